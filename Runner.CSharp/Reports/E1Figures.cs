using ScottPlot;

namespace LowRankVerify.Runner.Reports;

/// <summary>A rendered figure: SVG text and PNG bytes of the same plot.</summary>
public sealed record RenderedFigure(string Svg, byte[] Png);

/// <summary>The figures of E1 (THEORY.md §5), drawn with ScottPlot: the slides' layout for one chain
/// with the gradient-descent control, and the distribution of jump steps over the chains.</summary>
public static class E1Figures
{
    /// <summary>Figure size in pixels.</summary>
    public const int Width = 1000, Height = 560;

    internal static readonly Color Red = Color.FromHex("#d62728");
    internal static readonly Color LightBlue = Color.FromHex("#6baed6");
    internal static readonly Color DarkBlue = Color.FromHex("#08306b");
    internal static readonly Color Grey = Color.FromHex("#555555");
    internal static readonly Color Orange = Color.FromHex("#ff7f0e");
    internal static readonly Color Purple = Color.FromHex("#9467bd");
    internal static readonly Color Green = Color.FromHex("#2ca02c");
    internal static readonly Color Black = Color.FromHex("#000000");

    private static bool Some(Microsoft.FSharp.Core.FSharpOption<long> o) => Microsoft.FSharp.Core.FSharpOption<long>.get_IsSome(o);

    /// <summary>The chain drawn in the main figure: the lowest-index chain that jumped without collapsing
    /// (the figure is then about the jump), chain 0 when none did.</summary>
    public static E1Run ShownChain(E1Result r) =>
        r.Chains.FirstOrDefault(c => c.Outcome.IsJumped) ?? r.Chains[0];

    /// <summary>The SDE chain drawn beside <see cref="ShownChain"/>: its twin (same index), if there is one.</summary>
    public static E1Run? ShownSde(E1Result r)
    {
        var k = ShownChain(r).Chain;
        return r.Sde.FirstOrDefault(c => c.Chain == k) ?? r.Sde.FirstOrDefault();
    }

    /// <summary>Log-scale x axis (data given as log10 values, ticks labelled 1eK), shared with the completion figures.</summary>
    internal static void LogX(Plot plt, string label)
    {
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => x == Math.Round(x) ? $"1e{x:0}" : "",
        };
        plt.Axes.Bottom.Label.Text = label;
    }

    /// <summary>SVG and PNG of a plot at the figure size.</summary>
    internal static RenderedFigure Render(Plot plt) =>
        new(plt.GetSvgXml(Width, Height), plt.GetImageBytes(Width, Height, ImageFormat.Png));

    /// <summary>The slides' figure for one chain: x = steps (log scale); s₂/s₁ of A_θ in red (left
    /// axis); test error in light blue (right axis); final test errors of the offshoots in dark blue,
    /// one point at each branch step; the gradient-descent control in orange (s₂/s₁) and purple (test
    /// error); a thin grey line at the jump step. Lines are told apart by colour, not by dash pattern:
    /// SkiaSharp's SVG backend drops dash patterns (and warns "Unsupported path effect").</summary>
    public static RenderedFigure Slides(E1Result r)
    {
        var chain = ShownChain(r);
        var plt = new Plot();
        var obs = chain.Observations.Where(o => o.Step >= 1).ToArray();
        var gd = r.Gd.Observations.Where(o => o.Step >= 1).ToArray();
        double[] X(IEnumerable<E1Observation> os) => os.Select(o => Math.Log10(o.Step)).ToArray();

        var gdRatio = plt.Add.Scatter(X(gd), gd.Select(o => o.Ratio).ToArray());
        gdRatio.Color = Orange; gdRatio.MarkerSize = 0; gdRatio.LineWidth = 2;
        gdRatio.LegendText = "GD control: s2/s1";
        var gdErr = plt.Add.Scatter(X(gd), gd.Select(o => o.TestError).ToArray());
        gdErr.Color = Purple; gdErr.MarkerSize = 0; gdErr.LineWidth = 2;
        gdErr.LegendText = "GD control: test error";
        gdErr.Axes.YAxis = plt.Axes.Right;

        var ratio = plt.Add.Scatter(X(obs), obs.Select(o => o.Ratio).ToArray());
        ratio.Color = Red; ratio.MarkerSize = 0; ratio.LineWidth = 2.5f;
        ratio.LegendText = $"SGD chain {chain.Chain}: s2/s1";
        var err = plt.Add.Scatter(X(obs), obs.Select(o => o.TestError).ToArray());
        err.Color = LightBlue; err.MarkerSize = 0; err.LineWidth = 2.5f;
        err.LegendText = $"SGD chain {chain.Chain}: test error";
        err.Axes.YAxis = plt.Axes.Right;

        if (ShownSde(r) is { } sde)
        {
            // s2/s1 only while s1 is above the collapse threshold (the ratio of a collapsed network is noise).
            var end = Some(sde.CollapseStep) ? sde.CollapseStep.Value : long.MaxValue;
            var so = sde.Observations.Where(o => o.Step >= 1 && o.Step < end).ToArray();
            if (so.Length > 0)
            {
                var sr = plt.Add.Scatter(X(so), so.Select(o => o.Ratio).ToArray());
                sr.Color = Green; sr.MarkerSize = 0; sr.LineWidth = 2;
                sr.LegendText = $"SDE chain {sde.Chain}: s2/s1";
            }
            var stop = Some(sde.CollapseStep) ? sde.CollapseStep : sde.DivergenceStep;
            if (Some(stop))
            {
                var m = plt.Add.Scatter(new[] { Math.Log10(Math.Max(1, stop.Value)) }, new[] { 0.0 });
                m.Color = Green; m.LineWidth = 0; m.MarkerSize = 12; m.MarkerShape = MarkerShape.Eks;
                m.LegendText = $"SDE chain {sde.Chain} {(Some(sde.CollapseStep) ? "collapsed to 0" : "diverged")} (step {stop.Value:N0})";
            }
        }
        if (chain.Offshoots.Length > 0)
        {
            var offs = chain.Offshoots.Where(o => o.BranchStep >= 1).ToArray();
            var pts = plt.Add.Scatter(offs.Select(o => Math.Log10(o.BranchStep)).ToArray(), offs.Select(o => o.FinalTestError).ToArray());
            pts.Color = DarkBlue; pts.LineWidth = 0; pts.MarkerSize = 9; pts.MarkerShape = MarkerShape.FilledCircle;
            pts.LegendText = "offshoots: final test error (at branch step)";
            pts.Axes.YAxis = plt.Axes.Right;
        }
        if (Microsoft.FSharp.Core.FSharpOption<long>.get_IsSome(chain.JumpStep))
        {
            var v = plt.Add.VerticalLine(Math.Log10(chain.JumpStep.Value));
            v.Color = Grey; v.LineWidth = 1;
            v.LegendText = $"jump into B_1 (step {chain.JumpStep.Value:N0})";
        }
        LogX(plt, "SGD / GD / SDE steps (log scale)");
        plt.Axes.Left.Label.Text = "s2/s1 of A_θ";
        plt.Axes.Right.Label.Text = "test error |A*_01 − A_θ,01|";
        var maxErr = Math.Max(1.0, chain.Observations.Concat(r.Gd.Observations).Max(o => o.TestError));
        plt.Axes.SetLimitsY(-0.03, 1.05, plt.Axes.Left);
        plt.Axes.SetLimitsY(-0.03 * maxErr * 1.1, maxErr * 1.1, plt.Axes.Right);
        var xmax = Math.Log10(Math.Max(10, r.Params.Steps));
        plt.Axes.SetLimitsX(0, xmax);
        var p = r.Params;
        plt.Title($"E1: ε={p.Epsilon}, L={p.Depth}, width {p.Width}, η={p.Eta}, λ={p.Lambda}; offshoots η={p.OffshootEta}, λ={p.OffshootLambda}");
        plt.ShowLegend(Alignment.LowerLeft);
        return Render(plt);
    }

    // Adds the ECDF of `steps` over `runs` runs (log10 x) as a step line; returns it.
    private static ScottPlot.Plottables.Scatter Ecdf(Plot plt, double[] steps, int runs, double xmax, Color color, string label)
    {
        var sorted = steps.OrderBy(x => x).ToArray();
        var n = (double)Math.Max(1, runs);
        var xs = new List<double> { 0 };
        var ys = new List<double> { 0 };
        for (var k = 0; k < sorted.Length; k++)
        {
            xs.Add(Math.Log10(Math.Max(1, sorted[k])));
            ys.Add((k + 1) / n);
        }
        xs.Add(xmax);
        ys.Add(sorted.Length / n);
        var ecdf = plt.Add.Scatter(xs.ToArray(), ys.ToArray());
        ecdf.ConnectStyle = ConnectStyle.StepHorizontal;
        ecdf.Color = color; ecdf.LineWidth = 2.5f; ecdf.MarkerSize = 0;
        ecdf.LegendText = label;
        return ecdf;
    }

    /// <summary>Empirical distribution (ECDF) of the jump step over the SGD chains that jumped without
    /// collapsing, x on a log scale; chains that never jumped keep the curve below 1 (the plateau's height
    /// is the fraction that jumped). With SDE chains: the ECDF of their step of entering B_1 at rank 1
    /// (green) and of their collapse or divergence (black).</summary>
    public static RenderedFigure JumpDistribution(E1Result r)
    {
        var plt = new Plot();
        var jumps = r.Chains.Where(c => c.Outcome.IsJumped).Select(c => (double)c.JumpStep.Value).OrderBy(x => x).ToArray();
        var xmax = Math.Log10(Math.Max(10, r.Params.Steps));
        Ecdf(plt, jumps, r.Chains.Length, xmax, Red, $"SGD chains that jumped by step t ({jumps.Length} of {r.Chains.Length})");
        if (r.Sde.Length > 0)
        {
            var entered = r.Sde.Where(c => Some(c.JumpStep)).Select(c => (double)c.JumpStep.Value).ToArray();
            Ecdf(plt, entered, r.Sde.Length, xmax, Green, $"SDE chains that entered B_1 at rank 1 by step t ({entered.Length} of {r.Sde.Length})");
            var ended = r.Sde.Select(c => Some(c.CollapseStep) ? c.CollapseStep : c.DivergenceStep).Where(Some).Select(o => (double)o.Value).ToArray();
            Ecdf(plt, ended, r.Sde.Length, xmax, Black, $"SDE chains collapsed to 0 or diverged by step t ({ended.Length} of {r.Sde.Length})");
        }
        if (jumps.Length > 0)
        {
            var rug = plt.Add.Scatter(jumps.Select(j => Math.Log10(Math.Max(1, j))).ToArray(), jumps.Select(_ => 0.0).ToArray());
            rug.LineWidth = 0; rug.MarkerSize = 10; rug.MarkerShape = MarkerShape.VerticalBar; rug.Color = DarkBlue;
            rug.LegendText = "SGD jump steps";
        }
        var gdJumped = Some(r.Gd.JumpStep);
        if (gdJumped)
        {
            var v = plt.Add.VerticalLine(Math.Log10(Math.Max(1, r.Gd.JumpStep.Value)));
            v.Color = Orange; v.LegendText = "GD control entered B_1 here";
        }
        LogX(plt, "step t (log scale)");
        plt.Axes.Left.Label.Text = "fraction of chains";
        plt.Axes.SetLimitsY(-0.03, 1.05);
        plt.Axes.SetLimitsX(0, xmax);
        plt.Title($"E1 jump steps over {r.Chains.Length} seeds (GD control {(gdJumped ? "jumped" : "never jumped")})");
        plt.ShowLegend(Alignment.UpperLeft);
        return Render(plt);
    }
}
