using System.Text.Json.Nodes;

namespace LowRankVerify.Runner.Reports;

/// <summary>The report of a merged sweep (<c>lowrank sweep merge</c>): results.json (the sweep, its
/// digest and the kind's merged cells), report.md and report.html with the kind's tables and figures.
/// Nothing in it depends on where or when the units ran except <c>run</c> (provenance) and the
/// <c>wallSeconds</c> fields, so a sweep merged from a cluster equals the same sweep run by
/// <c>sweep local</c> (docs/sweeps.md).</summary>
public static class SweepReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Most phase diagrams one report draws (one per combination of the grid axes beyond x and y).</summary>
    public const int MaxPhaseMaps = 12;

    private static string G(double x) => x.ToString("G4", Inv);

    /// <summary>The grid point of a cell as a JSON object (name → value).</summary>
    public static Dictionary<string, object> GridJson(SweepCell c) =>
        c.GridNames.ToDictionary(n => n, n => c.Values[n] switch
        {
            SweepValue.Real r => (object)r.Item,
            SweepValue.Integer i => i.Item,
            SweepValue.Text t => t.Item,
            _ => "?",
        });

    /// <summary>Writes the report of a merged sweep into <paramref name="dir"/> and returns the line naming it.</summary>
    public static string Write(OutputDirectory dir, SweepPlan plan, SweepMerged merged, double unitSeconds, RunInfo run)
    {
        var spec = plan.Spec;
        var doc = new Document($"LowRankVerify: sweep of {spec.Kind.Command}");
        ReportWriter.AddProvenance(doc, run);
        doc.H(2, "The sweep");
        doc.P($"Command `{spec.Kind.Command}`; {plan.Cells.Length} cell(s) × {spec.Seeds} seed(s), {plan.Units.Length} unit(s) of at most " +
              $"{spec.SeedsPerUnit} seed(s), master seed {spec.Seed}; plan digest `{plan.Digest[..16]}…`. Seeds: {spec.Kind.SeedsMeaning}. " +
              $"Every unit's full parameters and the single command it reproduces are in the sweep directory's `plan.json`; the units ran " +
              $"for {unitSeconds:0.#} s in all (wall time summed over units).");
        doc.T(["", "parameters"],
        [
            ["fixed", spec.Fixed.Count == 0 ? "—" : string.Join(", ", spec.Fixed.Select(f => $"{f.Name} = {SweepCell.Format(f.Value)}"))],
            ["grid (first axis outermost)", spec.Grid.Count == 0 ? "—" : string.Join("; ", spec.Grid.Select(g => $"{g.Name}: " + AxisText(g.Axis)))],
            ["defaults", string.Join(", ", spec.Kind.Parameters.Where(p => p.Default is not null && spec.Fixed.All(f => f.Name != p.Name) && spec.Grid.All(g => g.Name != p.Name)).Select(p => $"{p.Name} = {SweepCell.Format(p.Default!)}"))],
        ]);
        merged.Section(doc);
        doc.H(2, "Replay");
        doc.P("The sweep file is `sweep.json` in the sweep directory (its canonical form is below); on one machine:");
        doc.C($"{RunInfo.Replay("sweep plan sweep.json --out DIR")} && {RunInfo.Replay("sweep local DIR --parallel 2")}\n# or on a Slurm cluster: {RunInfo.Replay("sweep submit DIR")}; {RunInfo.Replay("sweep status DIR")}; {RunInfo.Replay("sweep merge DIR")}\n{spec.Canonical().TrimEnd()}");
        var json = new
        {
            sweep = JsonNode.Parse(spec.Canonical()),
            digest = plan.Digest,
            cells = plan.Cells.Length,
            units = plan.Units.Length,
            merged = merged.Json,
        };
        return ReportWriter.Write(dir, new ResultsEnvelope("sweep merge", run, null, false, unitSeconds, null), json, doc);
    }

    private static string AxisText(SweepAxis a) => a switch
    {
        SweepAxis.LogRange r => $"{r.Count} log-spaced values from {G(r.From)} to {G(r.To)}",
        SweepAxis.Values v => string.Join(", ", v.Item.Select(SweepCell.Format)),
        _ => "?",
    };

    /// <summary>Adds phase diagrams over the grid: x = eta (or the first numeric gridded axis), y = lambda
    /// (or the next one); one figure per combination of the other gridded axes. Returns the figures' count.</summary>
    public static int AddPhaseMaps(Document doc, OutputDirectory dir, SweepPlan plan, IReadOnlyList<(SweepCell Cell, string Phase)> cells,
        IReadOnlyList<string> phases, string what, string filePrefix, IReadOnlyList<string>? colors = null)
    {
        var spec = plan.Spec;
        var numeric = spec.Grid.Where(g => g.Axis is SweepAxis.LogRange || ((SweepAxis.Values)g.Axis).Item.All(v => v is not SweepValue.Text)).Select(g => g.Name).ToList();
        if (numeric.Count == 0) return 0;
        var xName = numeric.Contains("eta") ? "eta" : numeric[0];
        var rest = numeric.Where(n => n != xName).ToList();
        string? yName = rest.Contains("lambda") ? "lambda" : rest.FirstOrDefault();
        SweepFigures.Axis AxisOf(string name) =>
            SweepFigures.Axis.Of(name, cells.Select(c => c.Cell.Real(name)), spec.Grid.First(g => g.Name == name).Axis is SweepAxis.LogRange);
        var x = AxisOf(xName);
        var y = yName is null ? null : AxisOf(yName);
        var others = spec.Grid.Select(g => g.Name).Where(n => n != xName && n != yName).ToList();
        var groups = cells.GroupBy(c => string.Join(", ", others.Select(n => $"{n} = {SweepCell.Short(c.Cell.Values[n])}"))).ToList();
        var k = 0;
        foreach (var g in groups.Take(MaxPhaseMaps))
        {
            var fig = SweepFigures.PhaseMap($"{what}{(g.Key.Length > 0 ? ": " + g.Key : "")}", x, y,
                g.Select(c => (c.Cell.Real(xName), yName is null ? 0.0 : c.Cell.Real(yName), c.Phase)).ToList(), phases, colors);
            var name = $"{filePrefix}{(groups.Count > 1 ? "-" + (k + 1).ToString(Inv) : "")}";
            dir.WriteText(name + ".svg", fig.Svg);
            dir.WriteBytes(name + ".png", fig.Png);
            doc.F($"{what} over ({xName}, {yName ?? "—"}){(g.Key.Length > 0 ? " at " + g.Key : "")}: one filled cell per grid point, coloured by phase.",
                name + ".svg", name + ".png", fig.Svg);
            k++;
        }
        if (groups.Count > MaxPhaseMaps)
            doc.P($"{groups.Count - MaxPhaseMaps} more combinations of {string.Join(", ", others)} are in the table and results.json, not drawn.");
        return k;
    }

    private static double? Opt(FSharpOption<double> o) => FSharpOption<double>.get_IsSome(o) ? o.Value : null;

    private static string Steps(double? x) => x is { } v ? ReportFormat.Steps(Math.Round(v)) : "—";

    /// <summary>The E1 section: per-cell table, pooled jump-time distributions, phase diagrams.</summary>
    public static void AddE1(Document doc, OutputDirectory dir, SweepPlan plan, IReadOnlyList<(E1Sweep.Cell Cell, E1Result Result)> cells)
    {
        doc.H(2, "E1 over the grid");
        var p0 = cells[0].Cell.Params;
        doc.P($"Each cell is `experiment two-by-two` at its parameters with {plan.Spec.Seeds} SGD chains (chain s draws from `Rng.stream({plan.Spec.Seed}, s)`), " +
              "their SDE twins when the cell's `sde` is on, and the gradient-descent control, without the variants; the summary of a cell is " +
              "`E1.summarize` over all its chains, the summary `experiment two-by-two` reports for the same parameters and seeds. " +
              "Jump: θ enters B_1 at numerical rank 1 (monitored at every step, `E1Monitor`) and the run never collapses nor diverges afterwards. " +
              "Phases as in `lowrank explore --dynamics` (`Explore.phase`: \"SGD jumps\" needs a majority of the chains to jump).");
        var names = plan.Spec.Grid.Select(g => g.Name).ToList();
        var curves = cells.Select(x => (Label: (x.Cell.Sweep.GridNames.Count == 0 ? "SGD chains" : x.Cell.Sweep.Label()) + ", jumped",
            Jumps: x.Result.Chains.Where(c => c.Outcome.IsJumped).Select(c => (double)c.JumpStep.Value).ToArray(),
            Chains: x.Result.Chains.Length)).ToList();
        // one cell: its SDE twins beside the SGD chains (the C6 comparison of experiment two-by-two)
        if (cells.Count == 1 && cells[0].Result.Sde.Length > 0)
            curves.Add(("SDE twins, entered B_1 at rank 1",
                cells[0].Result.Sde.Where(c => FSharpOption<long>.get_IsSome(c.JumpStep)).Select(c => (double)c.JumpStep.Value).ToArray(),
                cells[0].Result.Sde.Length));
        var ecdf = SweepFigures.JumpEcdf($"E1 jump steps pooled over {plan.Spec.Seeds} seeds per cell", curves, cells.Max(x => x.Cell.Params.Steps));
        dir.WriteText("jump-steps.svg", ecdf.Svg);
        dir.WriteBytes("jump-steps.png", ecdf.Png);
        doc.F("Jump-time distribution per cell, pooled over its seeds (ECDF of the jump step of the SGD chains that jumped: entered B_1 at " +
              "rank 1 and never collapsed nor diverged; the plateau is the fraction that jumped within the budget)" +
              (cells.Count > SweepFigures.MaxCurves ? $"; the first {SweepFigures.MaxCurves} of {cells.Count} cells" : "") + ".",
            "jump-steps.svg", "jump-steps.png", ecdf.Svg);
        AddPhaseMaps(doc, dir, plan, cells.Select(x => (x.Cell.Sweep, Explore.phase(x.Result.Summary))).ToList(), Explore.phases, "E1 phase", "phase-map");
        doc.T([.. names, "SGD jumped", "jump step median (quartiles)", "collapsed", "diverged", "returns", "GD final rank", "SDE entered B_1 at rank 1", "phase"],
            cells.Select(x =>
            {
                var s = x.Result.Summary;
                var (sgd, sde) = (x.Result.Kinds[0], x.Result.Kinds[2]);
                return (IReadOnlyList<string>)
                [
                    .. names.Select(n => SweepCell.Short(x.Cell.Sweep.Values[n])),
                    $"{sgd.Jumped} of {sgd.Runs}",
                    $"{Steps(Opt(s.JumpMedian))} ({Steps(Opt(s.JumpQ1))} – {Steps(Opt(s.JumpQ3))})",
                    $"{G(100 * s.FractionCollapsed)} %", $"{G(100 * s.FractionDiverged)} %", s.TotalReturns.ToString(Inv),
                    s.GdFinalRank.ToString(Inv), sde.Runs == 0 ? "— (sde off)" : $"{sde.Entered} of {sde.Runs}", Explore.phase(s),
                ];
            }));
        if (cells.Count == 1) E1Report.AddComparison(doc, cells[0].Result);

    }

    /// <summary>The console line of an E1 sweep.</summary>
    public static string E1ConsoleLine(IReadOnlyList<(E1Sweep.Cell Cell, E1Result Result)> cells) =>
        $"E1 sweep: {cells.Count} cell(s), {cells.Sum(x => x.Result.Chains.Length)} chains, " +
        $"{cells.Sum(x => x.Result.Kinds[0].Jumped)} jumped; phases: " +
        string.Join("; ", cells.GroupBy(x => Explore.phase(x.Result.Summary)).Select(g => $"{g.Key}: {g.Count()}"));

    /// <summary>The explore section: table and phase diagrams.</summary>
    public static void AddExplore(Document doc, OutputDirectory dir, SweepPlan plan, IReadOnlyList<(SweepCell Cell, DynamicsCell? Dynamics, ClosureCell? C1, string Phase)> rows)
    {
        doc.H(2, "explore over the grid");
        doc.P("Each cell is one cell of `lowrank explore`: `Explore.dynamicsCell` (E1's phase from the SGD chains and the GD control) or " +
              "`Explore.closureCell` (C1 hunts over the κ_C ladder; held = no confirmed counterexample for some κ_C, evidence within the hunts' budget, not a proof). " +
              "\"Derived regime\" is R0–R4 of Regime.fs: R0–R2 are rigorous, R3–R4 first order, a heuristic (`Regime.label`).");
        var dyn = rows.Where(r => r.Dynamics is not null).Select(r => (r.Cell, r.Phase)).ToList();
        var c1 = rows.Where(r => r.C1 is not null).Select(r => (r.Cell, r.Phase)).ToList();
        if (dyn.Count > 0) AddPhaseMaps(doc, dir, plan, dyn, Explore.phases, "E1 dynamics phase", "phase-map");
        if (c1.Count > 0) AddPhaseMaps(doc, dir, plan, c1, ExploreSweep.C1Phases, "C1 closure", "c1-map", C1Colors);
        var names = plan.Spec.Grid.Select(g => g.Name).ToList();
        doc.T([.. names, "phase", "detail"], rows.Select(x => (IReadOnlyList<string>)
        [
            .. names.Select(n => SweepCell.Short(x.Cell.Values[n])), x.Phase,
            x.Dynamics is { } d ? $"SGD jumped {G(100 * d.Summary.FractionJumped)} %, collapsed {G(100 * d.Summary.FractionCollapsed)} %, GD final rank {d.Summary.GdFinalRank}"
            : x.C1 is { } c ? (c.Holds ? $"held with kappa_C = {G(c.KappaC.Value)}" : "counterexample: " + (c.Counterexample is null ? "" : c.Counterexample.Value.Description)) : "",
        ]));
    }

    /// <summary>Colours of <see cref="ExploreSweep.C1Phases"/>: held green (inside the regime) or blue, counterexample red, inside the regime black.</summary>
    public static readonly string[] C1Colors = ["#2ca02c", "#1f77b4", "#d62728", "#000000"];

    /// <summary>Colours of <see cref="HuntPhases"/>: every hunt confirmed red, some orange, none green, nothing tested grey.</summary>
    public static readonly string[] HuntColors = ["#d62728", "#ff7f0e", "#2ca02c", "#7f7f7f"];

    /// <summary>Categories of a hunt cell, in legend order.</summary>
    public static readonly string[] HuntPhases =
    [
        "every hunt confirmed a counterexample",
        "some hunts confirmed a counterexample",
        "no hunt confirmed a counterexample",
        "no candidate in scope (nothing tested)",
    ];

    /// <summary>The category of a hunt cell.</summary>
    public static string HuntPhase(IReadOnlyList<HuntResult> hunts)
    {
        var confirmed = hunts.Count(h => !h.Confirmed.IsEmpty);
        if (hunts.All(h => h.Valid == 0)) return HuntPhases[3];
        return confirmed == hunts.Count ? HuntPhases[0] : confirmed > 0 ? HuntPhases[1] : HuntPhases[2];
    }

    /// <summary>Summary of a hunt cell (results.json).</summary>
    public static object HuntSummaryJson(IReadOnlyList<HuntResult> hunts)
    {
        var first = Theory.Sweep.quartiles(hunts.Where(h => h.FirstConfirmed is not null).Select(h => (double)h.FirstConfirmed.Value.Item1));
        return new
        {
            hunts = hunts.Count,
            huntsConfirmed = hunts.Count(h => !h.Confirmed.IsEmpty),
            confirmed = hunts.Sum(h => h.Confirmed.Length),
            evaluations = hunts.Sum(h => (long)h.Evaluations),
            valid = hunts.Sum(h => (long)h.Valid),
            firstConfirmedEvaluation = new { count = first.Count, q1 = Opt(first.Q1), median = Opt(first.Median), q3 = Opt(first.Q3) },
        };
    }

    /// <summary>The hunt section: table and phase diagrams.</summary>
    public static void AddHunt(Document doc, OutputDirectory dir, SweepPlan plan, IReadOnlyList<HuntSweep.Cell> cells)
    {
        doc.H(2, "hunts over the grid");
        doc.P($"Each cell runs {plan.Spec.Seeds} independent hunts (`lowrank hunt` with seeds {plan.Spec.Seed}…{plan.Spec.Seed + (ulong)plan.Spec.Seeds - 1}), " +
              "each stopped at its evaluation count. A confirmed counterexample exceeds its round-off bound; a cell where no hunt confirmed one is evidence within the budget, not a proof.");
        AddPhaseMaps(doc, dir, plan, cells.Select(x => (x.Sweep, HuntPhase(x.Hunts))).ToList(), HuntPhases, "hunt outcome", "hunt-map", HuntColors);
        var names = plan.Spec.Grid.Select(g => g.Name).ToList();
        doc.T([.. names, "hunts confirmed", "confirmed cases", "first confirmed: median evaluation", "evaluations (valid)", "category"], cells.Select(x =>
        {
            var first = Theory.Sweep.quartiles(x.Hunts.Where(h => h.FirstConfirmed is not null).Select(h => (double)h.FirstConfirmed.Value.Item1));
            return (IReadOnlyList<string>)
            [
                .. names.Select(n => SweepCell.Short(x.Sweep.Values[n])),
                $"{x.Hunts.Count(h => !h.Confirmed.IsEmpty)} of {x.Hunts.Count}", x.Hunts.Sum(h => h.Confirmed.Length).ToString(Inv),
                first.Median is null ? "—" : G(first.Median.Value), $"{x.Hunts.Sum(h => (long)h.Evaluations)} ({x.Hunts.Sum(h => (long)h.Valid)})", HuntPhase(x.Hunts),
            ];
        }));
    }
}
