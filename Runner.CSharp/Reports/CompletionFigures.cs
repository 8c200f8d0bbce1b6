using ScottPlot;

namespace LowRankVerify.Runner.Reports;

/// <summary>The figures of the completion experiment (docs/completion.md), drawn with ScottPlot and the
/// shared helpers of <see cref="E1Figures"/>: the staircase of rank levels, the leading singular values
/// of one chain, the distribution of hitting times per level, and the offshoots' test error before and
/// after each level.</summary>
public static class CompletionFigures
{
    private static readonly Color Chain = Color.FromHex("#4a6fa5").WithAlpha(0.45);
    private static readonly Color Truth = Color.FromHex("#2ca02c");
    private static readonly Color SdeTwin = Color.FromHex("#9467bd").WithAlpha(0.6);

    private static double Log(long step) => Math.Log10(Math.Max(1, step));

    /// <summary>Level of a run at step <paramref name="t"/> (from its events; the start level before the first).</summary>
    public static int LevelAt(CompletionRun run, long t)
    {
        var level = run.StartLevel;
        foreach (var e in run.Events)
        {
            if (e.Step > t) break;
            level = e.ToRank;
        }
        return level;
    }

    /// <summary>Last step a run's level is known for: its horizon, or the step before it diverged.</summary>
    public static long LastStep(CompletionRun run) =>
        FSharpOption<long>.get_IsSome(run.DivergenceStep) ? Math.Max(0, run.DivergenceStep.Value - 1) : run.Horizon;

    private static (double[] X, double[] Y) Staircase(CompletionRun run, double offset)
    {
        var xs = new List<double> { 0 };
        var ys = new List<double> { run.StartLevel + offset };
        foreach (var e in run.Events)
        {
            xs.Add(Log(e.Step));
            ys.Add(e.ToRank + offset);
        }
        xs.Add(Log(LastStep(run)));
        ys.Add(ys[^1]);
        return (xs.ToArray(), ys.ToArray());
    }

    /// <summary>The staircase: rank level against log step, every SGD chain thin (offset vertically by up to
    /// ±0.15 so that coinciding chains stay visible), the median over the live chains bold, the GD control
    /// orange, the SDE twins thin purple (offset alike, to their horizon), a cross where a run diverged, the
    /// truth's rank green.</summary>
    public static RenderedFigure StaircaseFigure(CompletionResult r)
    {
        var plt = new Plot();
        var n = r.Chains.Length;
        var crosses = new List<(double X, double Y)>();
        // Thin lines offset by up to ±0.15; a diverged run's line ends in a cross.
        void Thin(CompletionRun[] runs, Color color, float width, string legend)
        {
            for (var k = 0; k < runs.Length; k++)
            {
                var offset = runs.Length == 1 ? 0 : 0.3 * ((double)k / (runs.Length - 1) - 0.5);
                var (x, y) = Staircase(runs[k], offset);
                var s = plt.Add.Scatter(x, y);
                s.ConnectStyle = ConnectStyle.StepHorizontal;
                s.Color = color; s.LineWidth = width; s.MarkerSize = 0;
                if (k == 0) s.LegendText = legend;
                if (FSharpOption<long>.get_IsSome(runs[k].DivergenceStep)) crosses.Add((x[^1], y[^1]));
            }
        }
        Thin(r.Chains, Chain, 1, $"SGD chains ({n}; offset ±0.15 to stay visible)");
        Thin(r.Sde, SdeTwin, 1.2f, $"SDE twins ({r.Sde.Length}; to step {r.Params.SdeSteps:N0})");
        if (crosses.Count > 0)
        {
            var m = plt.Add.Scatter(crosses.Select(c => c.X).ToArray(), crosses.Select(c => c.Y).ToArray());
            m.LineWidth = 0; m.MarkerSize = 9; m.MarkerShape = MarkerShape.Eks; m.Color = Color.FromHex("#5b3a8c");
            m.LegendText = $"diverged ({crosses.Count} runs: the line ends there)";
        }
        var steps = r.Params.Steps;
        var grid = Enumerable.Range(0, 400).Select(i => Math.Pow(10, Log(steps) * i / 399.0)).ToArray();
        var med = new List<(double X, double Y)>();
        foreach (var t in grid)
        {
            var levels = r.Chains.Where(c => LastStep(c) >= (long)t).Select(c => (double)LevelAt(c, (long)t)).OrderBy(v => v).ToArray();
            if (levels.Length == 0) continue;
            var m = levels.Length % 2 == 1 ? levels[levels.Length / 2] : 0.5 * (levels[levels.Length / 2 - 1] + levels[levels.Length / 2]);
            med.Add((Math.Log10(t), m));
        }
        var median = plt.Add.Scatter(med.Select(p => p.X).ToArray(), med.Select(p => p.Y).ToArray());
        median.ConnectStyle = ConnectStyle.StepHorizontal;
        median.Color = E1Figures.Red; median.LineWidth = 3.5f; median.MarkerSize = 0;
        median.LegendText = "median over SGD chains";
        var (gx, gy) = Staircase(r.Gd, 0);
        var gd = plt.Add.Scatter(gx, gy);
        gd.ConnectStyle = ConnectStyle.StepHorizontal;
        gd.Color = E1Figures.Orange; gd.LineWidth = 3; gd.MarkerSize = 0;
        gd.LegendText = $"GD control (to step {r.Params.GdSteps:N0})";
        var truth = plt.Add.HorizontalLine(r.Summary.TargetRank);
        truth.Color = Truth; truth.LineWidth = 1.5f;
        truth.LegendText = $"rank of the truth A* ({r.Summary.TargetRank})";
        E1Figures.LogX(plt, "step (log scale)");
        plt.Axes.Left.Label.Text = "rank level (smallest ρ whose rank condition holds)";
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        var top = r.Chains.Concat(r.Sde).Append(r.Gd).SelectMany(c => c.Events.Select(e => e.ToRank)).Append(r.Summary.StartLevel).Max();
        plt.Axes.SetLimitsY(-0.4, top + 0.6);
        plt.Axes.SetLimitsX(0, Log(Math.Max(10, steps)));
        plt.Title($"Rank levels: {TaskTitle(r)}, L={r.Params.Depth}, width {r.Params.Width}, η={r.Params.Eta}, λ={r.Params.Lambda}");
        plt.ShowLegend(Alignment.LowerLeft);
        return E1Figures.Render(plt);
    }

    /// <summary>Short description of the task for titles.</summary>
    public static string TaskTitle(CompletionResult r) => r.Params.Source switch
    {
        TaskSource.Blocks b => $"blocks m={b.blocks}, ε={b.epsilon}",
        TaskSource.Random q => $"random {q.size}x{q.size} rank {q.rank}, p={q.observed}",
        TaskSource.File f => $"task {Path.GetFileName(f.name)} ({r.Params.Task.DOut}x{r.Params.Task.DIn})",
        _ => "task",
    };

    /// <summary>The chain shown in the singular-value figure: the one that ended at the lowest level without
    /// diverging (the first such), chain 0 when every chain diverged.</summary>
    public static CompletionRun ShownChain(CompletionResult r) =>
        r.Chains.Where(c => FSharpOption<long>.get_IsNone(c.DivergenceStep)).OrderBy(c => c.FinalLevel).ThenBy(c => c.Chain).FirstOrDefault() ?? r.Chains[0];

    /// <summary>Smallest singular value drawn (log scale): smaller ones sit on this floor.</summary>
    public const double Floor = 1e-8;

    /// <summary>Leading singular values of A_θ over time for one chain (solid, red shades) and the GD control
    /// (orange), log-log, at most <c>Completion.leading</c> of each.</summary>
    public static RenderedFigure SingularValues(CompletionResult r)
    {
        var chain = ShownChain(r);
        var plt = new Plot();
        var k = Math.Min(Completion.leading, Math.Max(1, r.Summary.StartLevel));
        void Lines(CompletionRun run, Color color, float width, string label)
        {
            var obs = run.Observations.Where(o => o.Step >= 1).ToArray();
            for (var i = 0; i < k; i++)
            {
                var ys = obs.Select(o => Math.Log10(Math.Max(Floor, i < o.Singular.Length ? o.Singular[i] : 0))).ToArray();
                var s = plt.Add.Scatter(obs.Select(o => Math.Log10(o.Step)).ToArray(), ys);
                s.Color = color.WithAlpha(1.0 - 0.6 * i / Math.Max(1, k - 1)); s.LineWidth = width; s.MarkerSize = 0;
                if (i == 0) s.LegendText = label;
            }
        }
        Lines(r.Gd, E1Figures.Orange, 1.5f, $"GD control: s_1 … s_{k} of A_θ");
        Lines(chain, E1Figures.Red, 2.5f, $"SGD chain {chain.Chain}: s_1 … s_{k} of A_θ (darker = larger)");
        foreach (var e in chain.Events.Where(e => e.ToRank < e.FromRank))
        {
            var v = plt.Add.VerticalLine(Log(e.Step));
            v.Color = E1Figures.Grey.WithAlpha(0.5); v.LineWidth = 1;
        }
        E1Figures.LogX(plt, "step (log scale); grey lines: the chain's drops of level");
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            LabelFormatter = y => y == Math.Round(y) ? $"1e{y:0}" : "",
        };
        plt.Axes.Left.Label.Text = $"singular values of A_θ (log scale, floor {Floor:0e0})";
        plt.Axes.SetLimitsX(0, Log(Math.Max(10, r.Params.Steps)));
        plt.Title($"Leading singular values: {TaskTitle(r)} (chain {chain.Chain} and the GD control)");
        plt.ShowLegend(Alignment.LowerLeft);
        return E1Figures.Render(plt);
    }

    /// <summary>Levels drawn in the hitting-time figure: from the start down to 0, at most the 8 lowest
    /// that some chain reached (a 20×20 identity start has 19 levels, most reached within the first
    /// few hundred steps).</summary>
    public static int[] DrawnLevels(CompletionResult r) =>
        r.Summary.Levels.Where(l => l.FractionReached > 0).Select(l => l.Rank).OrderBy(x => x).Take(8).ToArray();

    /// <summary>Empirical distribution (ECDF) of the hitting step of each level over the chains (the
    /// plateau's height is the fraction that reached it), x on a log scale.</summary>
    public static RenderedFigure HittingTimes(CompletionResult r)
    {
        var plt = new Plot();
        var n = (double)r.Chains.Length;
        var xmax = Log(Math.Max(10, r.Params.Steps));
        var palette = new ScottPlot.Palettes.Category10();
        var drawn = DrawnLevels(r);
        for (var j = 0; j < drawn.Length; j++)
        {
            var rho = drawn[j];
            var hits = r.Chains.Select(c => CompletionStats.hittingStep(c, rho)).Where(FSharpOption<long>.get_IsSome)
                .Select(h => Log(h.Value)).OrderBy(x => x).ToArray();
            var xs = new List<double> { 0 };
            var ys = new List<double> { 0 };
            for (var k = 0; k < hits.Length; k++) { xs.Add(hits[k]); ys.Add((k + 1) / n); }
            xs.Add(xmax); ys.Add(hits.Length / n);
            var s = plt.Add.Scatter(xs.ToArray(), ys.ToArray());
            s.ConnectStyle = ConnectStyle.StepHorizontal;
            s.Color = palette.GetColor(j); s.LineWidth = 2.5f; s.MarkerSize = 0;
            s.LegendText = rho == 0 ? $"collapse to level 0 ({hits.Length} of {n})" : $"level ≤ {rho} reached ({hits.Length} of {n})";
        }
        if (drawn.Length == 0)
        {
            var t = plt.Add.Text("no chain went below its start level", xmax / 3, 0.5);
            t.LabelFontSize = 18;
        }
        E1Figures.LogX(plt, "hitting step (log scale)");
        plt.Axes.Left.Label.Text = "fraction of SGD chains";
        plt.Axes.SetLimitsY(-0.03, 1.05);
        plt.Axes.SetLimitsX(0, xmax);
        plt.Title($"Hitting times of the levels over {r.Chains.Length} chains: {TaskTitle(r)}");
        plt.ShowLegend(Alignment.UpperLeft);
        return E1Figures.Render(plt);
    }

    /// <summary>Ticks of a log-scale axis (data given as log10 values) between <paramref name="lo"/> and
    /// <paramref name="hi"/> (log10 units), labelled with their values: at 1, 2 and 5 times the powers of
    /// ten, or at every integer multiple when that gives fewer than three ticks (a narrow range).</summary>
    public static void LogTicks(ScottPlot.IAxis axis, double lo, double hi)
    {
        (double[] Pos, string[] Labels) Ticks(double[] mantissas)
        {
            var pos = new List<double>();
            var labels = new List<string>();
            for (var e = (int)Math.Floor(lo) - 1; e <= (int)Math.Ceiling(hi) + 1; e++)
                foreach (var m in mantissas)
                {
                    var y = e + Math.Log10(m);
                    if (y < lo - 0.05 || y > hi + 0.05) continue;
                    pos.Add(y);
                    labels.Add((m * Math.Pow(10, e)).ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
                }
            return (pos.ToArray(), labels.ToArray());
        }
        var t = Ticks([1.0, 2.0, 5.0]);
        if (t.Pos.Length < 3) t = Ticks([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        axis.SetTicks(t.Pos, t.Labels);
    }

    /// <summary>Final test error of the offshoots, per level ρ: branched before the chain reached ρ (orange,
    /// left of ρ) and at or after (blue, right of ρ), each offshoot a small point, the means large, y log scale.</summary>
    public static RenderedFigure Offshoots(CompletionResult r)
    {
        var plt = new Plot();
        var levels = DrawnLevels(r);
        var anyBefore = false;
        var anyAfter = false;
        foreach (var rho in levels)
        {
            var parts = r.Chains.SelectMany(c =>
            {
                var h = CompletionStats.hittingStep(c, rho);
                return c.Offshoots.Select(o => (After: FSharpOption<long>.get_IsSome(h) && o.BranchStep >= h.Value, Err: o.FinalTestError));
            }).ToArray();
            foreach (var (after, color, dx) in new[] { (false, E1Figures.Orange, -0.18), (true, E1Figures.DarkBlue, 0.18) })
            {
                var errs = parts.Where(p => p.After == after).Select(p => Math.Log10(Math.Max(1e-12, p.Err))).ToArray();
                if (errs.Length == 0) continue;
                var pts = plt.Add.Scatter(errs.Select((_, i) => rho + dx + 0.08 * ((i % 7) / 6.0 - 0.5)).ToArray(), errs);
                pts.LineWidth = 0; pts.MarkerSize = 5; pts.Color = color.WithAlpha(0.5);
                var m = plt.Add.Scatter(new[] { rho + dx }, new[] { Math.Log10(errs.Select(e => Math.Pow(10, e)).Average()) });
                m.LineWidth = 0; m.MarkerSize = 16; m.MarkerShape = MarkerShape.FilledDiamond; m.Color = color;
                if (!after && !anyBefore) { m.LegendText = "branched before the chain reached level ρ (mean: diamond)"; anyBefore = true; }
                if (after && !anyAfter) { m.LegendText = "branched at or after it reached ρ (mean: diamond)"; anyAfter = true; }
            }
        }
        if (!anyBefore && !anyAfter)
        {
            var t = plt.Add.Text("no offshoots, or no level below the start reached", 0, 0);
            t.LabelFontSize = 18;
        }
        plt.Axes.Bottom.Label.Text = "rank level ρ";
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        var errors = r.Chains.SelectMany(c => c.Offshoots).Select(o => Math.Log10(Math.Max(1e-12, o.FinalTestError))).ToArray();
        if (errors.Length > 0) LogTicks(plt.Axes.Left, errors.Min(), errors.Max());
        plt.Axes.Left.Label.Text = "final test error (log scale)";
        if (levels.Length > 0) plt.Axes.SetLimitsX(levels.Min() - 0.6, levels.Max() + 0.6);
        plt.Title($"Offshoots (η={r.Params.OffshootEta}, λ={r.Params.OffshootLambda}): test error before and after each level");
        plt.ShowLegend(Edge.Bottom);
        return E1Figures.Render(plt);
    }
}
