namespace LowRankVerify.Runner.Reports;

/// <summary>The part of a merged sweep's report for <c>experiment completion</c>: a phase diagram over the
/// grid, a table of every cell, and per cell (at most <see cref="MaxCells"/>) the staircase and the
/// hitting-time distribution of each level pooled over the cell's seeds, drawn by
/// <see cref="CompletionFigures"/> exactly as the experiment's report draws them.</summary>
public static class CompletionSweepReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Most cells whose figures are drawn (the others are in the table and results.json).</summary>
    public const int MaxCells = SweepFigures.MaxCurves;

    private static string G(double x) => x.ToString("G4", Inv);

    private static string S(FSharpOption<double> x) => FSharpOption<double>.get_IsSome(x) ? ReportFormat.Steps(Math.Round(x.Value)) : "—";

    private static string Counts(CompletionSummary s) =>
        s.FinalRankCounts.Length == 0 ? "none" : string.Join(", ", s.FinalRankCounts.Select(x => $"{x.Item1}: {x.Item2}"));

    /// <summary>Adds the section; figures are written into <paramref name="dir"/>.</summary>
    public static void Add(Document doc, OutputDirectory dir, SweepPlan plan, IReadOnlyList<(CompletionSweep.Cell Cell, CompletionResult Result)> cells)
    {
        doc.H(2, "The rank ladder over the grid");
        doc.P($"Each cell is `experiment completion` at its parameters with {plan.Spec.Seeds} SGD chains (chain s draws from `Rng.stream({plan.Spec.Seed}, s)`) " +
              "and the gradient-descent control from the same start; the units ran the experiment's cursors (`Completion.advance`) and the summary " +
              "of a cell is `CompletionStats.summarize` over all its chains, the summary `experiment completion` reports for the same parameters and seeds. " +
              "The **rank level** of θ is the smallest ρ whose rank condition max_ℓ Σ_i f_α(s_i(W_ℓᵀW_ℓ)) ≤ ρ + ε2 holds; it is checked every " +
              "`event-interval` steps and at every observation step; a **drop** goes to a lower level ≥ 1, a **return** goes up (C5 says never, for η " +
              "and λ small enough), a **collapse** goes to level 0 (each cell's ladder constants are in results.json). Category of a cell: most chains " +
              "diverged, or collapsed; else the median final level of the chains that did not diverge against the GD control's final level.");
        SweepReport.AddPhaseMaps(doc, dir, plan, cells.Select(x => (x.Cell.Sweep, CompletionSweep.Phase(x.Result))).ToList(),
            CompletionSweep.Phases, "completion: SGD's final level against GD's", "phase-map", CompletionSweep.PhaseColors);
        var names = plan.Spec.Grid.Select(g => g.Name).ToList();
        // the task column only when the task varies over the grid (else the paragraph names it)
        var tasks = cells.Select(x => CompletionFigures.TaskTitle(x.Result)).Distinct().ToList();
        if (tasks.Count == 1) doc.P($"Task of every cell: {tasks[0]}.");
        doc.T([.. names, .. tasks.Count > 1 ? new[] { "task" } : [], "start level", "truth's rank", "SGD final levels (level: chains)", "median final level", "drops", "returns",
                "collapsed", "diverged", "GD final level", "category"],
            cells.Select(x =>
            {
                var s = x.Result.Summary;
                var median = CompletionSweep.MedianFinalLevel(x.Result);
                return (IReadOnlyList<string>)
                [
                    .. names.Select(n => SweepCell.Short(x.Cell.Sweep.Values[n])),
                    .. tasks.Count > 1 ? new[] { CompletionFigures.TaskTitle(x.Result) } : [],
                    s.StartLevel.ToString(Inv), s.TargetRank.ToString(Inv) + (s.CanFit ? "" : " (a width below it: the network cannot fit the data)"), Counts(s), median is { } m ? G(m) : "—",
                    s.TotalDrops.ToString(Inv), s.TotalReturns.ToString(Inv), $"{G(100 * s.FractionCollapsed)} %", $"{G(100 * s.FractionDiverged)} %",
                    s.GdFinalLevel.ToString(Inv), CompletionSweep.Phase(x.Result),
                ];
            }));
        foreach (var (x, k) in cells.Take(MaxCells).Select((x, k) => (x, k)))
        {
            var cell = x.Cell.Sweep;
            var label = cell.GridNames.Count == 0 ? "the cell" : $"cell {cell.Index}: {cell.Describe()}";
            doc.H(3, cell.GridNames.Count == 0 ? "The staircase" : $"Cell {cell.Index}: {cell.Describe()}");
            var suffix = cells.Count == 1 ? "" : "-cell-" + cell.Index.ToString(Inv);
            var staircase = CompletionFigures.StaircaseFigure(x.Result);
            dir.WriteText($"staircase{suffix}.svg", staircase.Svg);
            dir.WriteBytes($"staircase{suffix}.png", staircase.Png);
            doc.F($"The staircase of {label}: rank level against log step for every SGD chain (thin), their median (bold red), the GD control " +
                  "(orange) and the truth's rank (green).", $"staircase{suffix}.svg", $"staircase{suffix}.png", staircase.Svg);
            // the hitting-time figure only where some chain went below the start (else it would be empty)
            if (CompletionFigures.DrawnLevels(x.Result).Length > 0)
            {
                var hitting = CompletionFigures.HittingTimes(x.Result);
                dir.WriteText($"hitting-times{suffix}.svg", hitting.Svg);
                dir.WriteBytes($"hitting-times{suffix}.png", hitting.Png);
                doc.F($"Hitting times of {label}, pooled over its {x.Result.Chains.Length} seeds: for each level (the lowest eight reached), the fraction of " +
                      "chains that had reached it by step t.", $"hitting-times{suffix}.svg", $"hitting-times{suffix}.png", hitting.Svg);
            }
            var reached = x.Result.Summary.Levels.Where(l => l.FractionReached > 0).ToArray();
            if (reached.Length == 0) doc.P($"No chain of {label} went below its start level {x.Result.Summary.StartLevel} (no hitting times to draw).");
            else
                doc.T(["level ρ (the levels some chain reached)", "chains that reached it", "hitting step: median (quartiles)"], reached.Select(l => (IReadOnlyList<string>)
                [
                    l.Rank == 0 ? "0 (collapse)" : l.Rank.ToString(Inv), $"{G(100 * l.FractionReached)} %", $"{S(l.StepMedian)} ({S(l.StepQ1)} – {S(l.StepQ3)})",
                ]));
        }
        if (cells.Count > MaxCells)
            doc.P($"Figures are drawn for the first {MaxCells} of {cells.Count} cells; every cell's summary and chains are in results.json.");
    }

    /// <summary>The console line of a completion sweep.</summary>
    public static string ConsoleLine(IReadOnlyList<(CompletionSweep.Cell Cell, CompletionResult Result)> cells) =>
        $"completion sweep: {cells.Count} cell(s), {cells.Sum(x => x.Result.Chains.Length)} chains, drops {cells.Sum(x => x.Result.Summary.TotalDrops)}, " +
        $"returns {cells.Sum(x => x.Result.Summary.TotalReturns)}; categories: " +
        string.Join("; ", cells.GroupBy(x => CompletionSweep.Phase(x.Result)).Select(g => $"{g.Key}: {g.Count()}"));
}
