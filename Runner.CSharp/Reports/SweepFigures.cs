using ScottPlot;

namespace LowRankVerify.Runner.Reports;

/// <summary>The figures of a merged sweep (ScottPlot): phase diagrams over two grid axes drawn as filled
/// cells with a categorical colour per phase, log axes labelled by decades; pooled jump-time
/// distributions (one ECDF per cell).</summary>
public static class SweepFigures
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Figure size in pixels.</summary>
    public const int Width = 1000, Height = 700;

    /// <summary>Categorical colours (Tableau 10), one per phase in legend order.</summary>
    public static readonly string[] Palette = ["#d62728", "#1f77b4", "#9467bd", "#7f7f7f", "#000000", "#ff7f0e", "#2ca02c", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#aec7e8"];

    private static RenderedFigure Render(Plot plt) =>
        new(plt.GetSvgXml(Width, Height), plt.GetImageBytes(Width, Height, ImageFormat.Png));

    /// <summary>An axis of a phase diagram: its name, its distinct values (ascending) and whether it is
    /// drawn on a log scale (log10 of the values).</summary>
    public sealed record Axis(string Name, double[] Values, bool Log)
    {
        /// <summary>Where value <paramref name="v"/> sits on the plot.</summary>
        public double At(double v) => Log ? Math.Log10(v) : v;

        /// <summary>The edges of the cell of the k-th value: halfway to the neighbours (the outer cells
        /// are as wide as their inner half); a single value spans ±0.25 decade (log) or ±0.5.</summary>
        public (double Lo, double Hi) Edges(int k)
        {
            var t = Values.Select(At).ToArray();
            if (t.Length == 1) return Log ? (t[0] - 0.25, t[0] + 0.25) : (t[0] - 0.5, t[0] + 0.5);
            var lo = k > 0 ? (t[k - 1] + t[k]) / 2 : t[0] - (t[1] - t[0]) / 2;
            var hi = k < t.Length - 1 ? (t[k] + t[k + 1]) / 2 : t[^1] + (t[^1] - t[^2]) / 2;
            return (lo, hi);
        }

        /// <summary>A log axis for positive values spanning a factor ≥ 10 or given as a log range; else linear.</summary>
        public static Axis Of(string name, IEnumerable<double> values, bool logRange)
        {
            var v = values.Distinct().OrderBy(x => x).ToArray();
            var log = v.All(x => x > 0) && (logRange || (v.Length > 1 && v[^1] / v[0] >= 10));
            return new Axis(name, v, log);
        }
    }

    private static string Superscript(int k) =>
        string.Concat(k.ToString(Inv).Select(ch => ch switch
        {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        }));

    /// <summary>Ticks of an axis over [lo, hi]: on a log axis a major tick labelled 10^k at every decade
    /// inside and minor ticks at 2..9 × 10^k (with fewer than two decades inside, 2·10^k and 5·10^k are
    /// labelled too). On a linear axis, every value is labelled.</summary>
    public static ScottPlot.TickGenerators.NumericManual Ticks(Axis a, double lo, double hi)
    {
        var t = new ScottPlot.TickGenerators.NumericManual();
        if (!a.Log)
        {
            foreach (var v in a.Values) t.AddMajor(v, v.ToString("G4", Inv));
            return t;
        }
        var decades = Enumerable.Range((int)Math.Ceiling(lo), Math.Max(0, (int)Math.Floor(hi) - (int)Math.Ceiling(lo) + 1)).ToArray();
        foreach (var k in decades) t.AddMajor(k, "10" + Superscript(k));
        // With fewer than two decades in view, 2·10^k and 5·10^k are labelled too (still decade-based labels).
        var few = decades.Length < 2;
        for (var k = (int)Math.Floor(lo); k <= (int)Math.Ceiling(hi); k++)
            for (var m = 2; m <= 9; m++)
            {
                var x = k + Math.Log10(m);
                if (!(x > lo && x < hi)) continue;
                if (few && m is 2 or 5) t.AddMajor(x, $"{m}·10" + Superscript(k));
                else t.AddMinor(x);
            }
        return t;
    }

    /// <summary>A phase diagram: one filled rectangle per cell at (x, y), coloured by its phase
    /// (<paramref name="phases"/> in legend order, colours from <paramref name="colors"/>, by default
    /// <see cref="Palette"/>, one per phase in the same order); every phase that occurs
    /// is in the legend. With <paramref name="y"/> null the cells form one row.</summary>
    public static RenderedFigure PhaseMap(string title, Axis x, Axis? y, IReadOnlyList<(double X, double Y, string Phase)> cells, IReadOnlyList<string> phases,
        IReadOnlyList<string>? colors = null)
    {
        var palette = colors ?? Palette;
        var plt = new Plot();
        var shown = new HashSet<string>();
        // drawn in legend order, so that the legend lists the phases in the order of `phases`
        foreach (var (cx, cy, phase) in cells.OrderBy(c => phases.ToList().IndexOf(c.Phase)))
        {
            var k = Array.IndexOf(x.Values, cx);
            var (x0, x1) = x.Edges(k);
            var (y0, y1) = y is null ? (0.0, 1.0) : y.Edges(Array.IndexOf(y.Values, cy));
            var index = phases.ToList().IndexOf(phase);
            var r = plt.Add.Rectangle(x0, x1, y0, y1);
            r.FillColor = Color.FromHex(palette[Math.Max(0, index) % palette.Count]);
            r.LineColor = Colors.White;
            r.LineWidth = 1.5f;
            if (shown.Add(phase)) r.LegendText = phase;
        }
        var (xl, xh) = (x.Edges(0).Lo, x.Edges(x.Values.Length - 1).Hi);
        plt.Axes.Bottom.TickGenerator = Ticks(x, xl, xh);
        plt.Axes.Bottom.Label.Text = x.Log ? $"{x.Name} (log scale)" : x.Name;
        plt.Axes.SetLimitsX(xl, xh);
        if (y is not null)
        {
            var (yl, yh) = (y.Edges(0).Lo, y.Edges(y.Values.Length - 1).Hi);
            plt.Axes.Left.TickGenerator = Ticks(y, yl, yh);
            plt.Axes.Left.Label.Text = y.Log ? $"{y.Name} (log scale)" : y.Name;
            plt.Axes.SetLimitsY(yl, yh);
        }
        else
        {
            plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
            plt.Axes.SetLimitsY(0, 1);
        }
        plt.Title(title);
        plt.ShowLegend(Edge.Right);
        return Render(plt);
    }

    /// <summary>Pooled jump-time distributions: per cell the ECDF of the jump step over its seeds (x on a
    /// log scale, labelled by decades); chains that never jumped keep a curve below 1. At most
    /// <see cref="MaxCurves"/> cells are drawn (the caption says which).</summary>
    public static RenderedFigure JumpEcdf(string title, IReadOnlyList<(string Label, double[] Jumps, int Chains)> cells, long steps)
    {
        var plt = new Plot();
        var xmax = Math.Log10(Math.Max(10, steps));
        var k = 0;
        foreach (var (label, jumps, n) in cells.Take(MaxCurves))
        {
            var sorted = jumps.OrderBy(v => v).ToArray();
            var xs = new List<double> { 0 };
            var ys = new List<double> { 0 };
            for (var j = 0; j < sorted.Length; j++)
            {
                xs.Add(Math.Log10(Math.Max(1, sorted[j])));
                ys.Add((j + 1) / (double)n);
            }
            xs.Add(xmax);
            ys.Add(sorted.Length / (double)n);
            var s = plt.Add.Scatter(xs.ToArray(), ys.ToArray());
            s.ConnectStyle = ConnectStyle.StepHorizontal;
            s.Color = Color.FromHex(Palette[k++ % Palette.Length]);
            s.LineWidth = 2.5f;
            s.MarkerSize = 0;
            s.LegendText = $"{label}: {sorted.Length} of {n}";
        }
        plt.Axes.Bottom.TickGenerator = Ticks(new Axis("step", [1, Math.Pow(10, xmax)], true), 0, xmax);
        plt.Axes.Bottom.Label.Text = "SGD step t (log scale)";
        plt.Axes.Left.Label.Text = "fraction of chains by step t";
        plt.Axes.SetLimitsY(-0.03, 1.05);
        plt.Axes.SetLimitsX(0, xmax);
        plt.Title(title);
        plt.ShowLegend(Alignment.UpperLeft);
        return Render(plt);
    }

    /// <summary>Most curves in one <see cref="JumpEcdf"/> figure.</summary>
    public const int MaxCurves = 12;
}
