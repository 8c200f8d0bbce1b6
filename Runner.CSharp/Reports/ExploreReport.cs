using ScottPlot;

namespace LowRankVerify.Runner.Reports;

/// <summary>The maps of <c>lowrank explore</c> (core <c>Explore</c>): the C1 phase diagram over (η, λ) with
/// the derived regime's boundary, and the E1 dynamics map over (η, λ, L); figures (ScottPlot, SVG + PNG),
/// tables and JSON.</summary>
public static class ExploreReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Figure size in pixels.</summary>
    public const int Width = 900, Height = 700;

    private static string G(double x) => x.ToString("G3", Inv);

    private static RenderedFigure Render(Plot plt) =>
        new(plt.GetSvgXml(Width, Height), plt.GetImageBytes(Width, Height, ImageFormat.Png));

    private static void Points(Plot plt, IEnumerable<(double X, double Y)> pts, string color, MarkerShape shape, string legend, float size = 14)
    {
        var a = pts.ToArray();
        if (a.Length == 0) return;
        var s = plt.Add.Scatter(a.Select(p => p.X).ToArray(), a.Select(p => p.Y).ToArray());
        s.LineWidth = 0;
        s.MarkerSize = size;
        s.MarkerShape = shape;
        s.Color = Color.FromHex(color);
        s.LegendText = legend;
    }

    /// <summary>The report of a finished explore run (the maps, their figures and tables, results.json) and its
    /// console lines; exit 0 (a map has no pass/fail).</summary>
    public static int Finish(LongRun.Context x, ExploreCommand.ExplorePlan pl, string replay)
    {
        var map = pl.Task is null ? null : Explore.closureMapOf(pl.Task, pl.Depth, pl.Rank, pl.Family, pl.EtaGrid, pl.LambdaGrid, pl.Kappas, pl.Evaluations, pl.Closure.Select(c => c!).ToArray());
        var cells = pl.Dynamics.Select(c => c!).ToArray();
        var dp = pl.Dyn;
        var doc = x.Document("LowRankVerify: the map of small enough eta and lambda");
        if (map is not null) AddClosure(doc, x.Dir, map, pl.TaskLabel);
        if (dp is not null) AddDynamics(doc, x.Dir, cells, dp, pl.DynDepths);
        doc.H(2, "Replay");
        doc.P($"Wall time {x.Clock.Elapsed.TotalSeconds:0} s.");
        doc.C(replay);
        var where = x.Write(doc, new
        {
            seed = pl.Seed,
            c1 = map is null ? null : ClosureJson(map),
            dynamics = dp is null ? null : new { epsilon = dp.Epsilon, width = dp.Width, steps = dp.Steps, seeds = dp.Seeds, cells = DynamicsJson(cells) },
        }, replay, x.Clock.Elapsed.TotalSeconds);
        if (map is not null)
        {
            Console.WriteLine($"C1 map: {map.Cells.Count(c => c.Holds)}/{map.Cells.Length} cells held, {map.Cells.Count(c => c.InRegime)} inside the derived regime ({map.Cells.Count(c => c.InRegime && !c.Holds)} of them failed)");
            foreach (var t in Explore.boundary(map))
                Console.WriteLine($"  lambda {G(t.Item1)}: derived etaMax {G(t.Item2)}, held up to eta {(t.Item3 is null ? "none" : G(t.Item3.Value))}, first failure at {(t.Item4 is null ? "none" : G(t.Item4.Value))}");
        }
        if (dp is not null)
            Console.WriteLine("E1 dynamics: " + string.Join("; ", Explore.phases.Select(ph => $"{ph}: {cells.Count(c => c.Phase == ph)}")));
        Console.WriteLine(where);
        return Cli.Ok;
    }

    /// <summary>The C1 phase diagram: one marker per (log10 η, log10 λ) cell: C1 held inside the derived
    /// regime (green), held outside it (blue), confirmed counterexample (red cross); the derived boundary
    /// etaMax(λ) as a grey line with point markers (solid: SkiaSharp's SVG backend drops dash patterns).</summary>
    public static RenderedFigure ClosureFigure(ClosureMap m, string taskLabel)
    {
        var plt = new Plot();
        (double, double) P(ClosureCell c) => (Math.Log10(c.Eta), Math.Log10(c.Lambda));
        Points(plt, m.Cells.Where(c => c.Holds && c.InRegime).Select(P), "#2ca02c", MarkerShape.FilledCircle, "C1 held, inside the derived regime R0-R4");
        Points(plt, m.Cells.Where(c => c.Holds && !c.InRegime).Select(P), "#1f77b4", MarkerShape.OpenCircle, "C1 held (hunt found none), outside the derived regime");
        Points(plt, m.Cells.Where(c => !c.Holds && !c.InRegime).Select(P), "#d62728", MarkerShape.Cross, "confirmed counterexample (every C of the ladder)");
        Points(plt, m.Cells.Where(c => !c.Holds && c.InRegime).Select(P), "#000000", MarkerShape.FilledDiamond, "counterexample INSIDE the regime", 18);
        var b = Explore.boundary(m).Where(t => t.Item2 > 0).ToArray();
        if (b.Length > 0)
        {
            var line = plt.Add.Scatter(b.Select(t => Math.Log10(t.Item2)).ToArray(), b.Select(t => Math.Log10(t.Item1)).ToArray());
            line.Color = Color.FromHex("#555555");
            line.LineWidth = 2;
            line.MarkerSize = 6;
            line.LegendText = "derived etaMax(lambda) (Regime.etaMax, best C of the ladder)";
        }
        plt.Axes.Bottom.Label.Text = "log10 eta";
        plt.Axes.Left.Label.Text = "log10 lambda";
        plt.Title($"C1 closure map: {taskLabel}, L={m.Depth}, r={m.R}, {FAlpha.name(m.Family)} f_alpha");
        plt.ShowLegend(Edge.Bottom);
        return Render(plt);
    }

    private static readonly string[] PhaseColors = ["#d62728", "#1f77b4", "#9467bd", "#7f7f7f", "#000000", "#ff7f0e"];

    /// <summary>The E1 dynamics map for one depth: one marker per (log10 η, log10 λ), coloured by phase.</summary>
    public static RenderedFigure DynamicsFigure(IEnumerable<DynamicsCell> cells, int depth, E1Params p)
    {
        var plt = new Plot();
        var cs = cells.Where(c => c.Depth == depth).ToArray();
        for (var k = 0; k < Explore.phases.Length; k++)
        {
            var name = Explore.phases[k];
            Points(plt, cs.Where(c => c.Phase == name).Select(c => (Math.Log10(c.Eta), Math.Log10(c.Lambda))), PhaseColors[k],
                k == 0 ? MarkerShape.FilledCircle : k == 4 ? MarkerShape.FilledSquare : k == 5 ? MarkerShape.Cross : MarkerShape.OpenCircle, name, 16);
        }
        plt.Axes.Bottom.Label.Text = "log10 eta";
        plt.Axes.Left.Label.Text = "log10 lambda";
        plt.Title($"E1 dynamics: eps={p.Epsilon}, L={depth}, width {p.Width}, {p.Steps:N0} steps, {p.Seeds} SGD chains + GD");
        plt.ShowLegend(Edge.Bottom);
        return Render(plt);
    }

    /// <summary>Adds the C1 map section (figure, boundary table, cell table).</summary>
    public static void AddClosure(Document doc, OutputDirectory dir, ClosureMap m, string taskLabel)
    {
        var fig = ClosureFigure(m, taskLabel);
        dir.WriteText("c1-map.svg", fig.Svg);
        dir.WriteBytes("c1-map.png", fig.Png);
        doc.H(2, "C1: where closure holds");
        doc.P($"Task {taskLabel} ({m.Task.DOut}x{m.Task.DIn}, N = {m.Task.N}), L = {m.Depth}, r = {m.R}, {FAlpha.name(m.Family)} f_α. " +
              $"In each (η, λ) cell, for each κ_C of the ladder {string.Join(", ", m.Kappas.Select(G))} (C = κ_C m²/(8λ); α, ε1 from `Regime.derive`, ε2 = 0.5), " +
              $"a hunt of {m.EvaluationsPerHunt} evaluations (hill climbing over points of B_r built by construction, every entry) looks for a " +
              "confirmed C1 counterexample; the cell holds with the smallest κ_C whose hunt found none. \"Inside the derived regime\" means " +
              "R0–R4 of Regime.fs hold at those constants: R0 (hypotheses), R1 (balancedness, from D1) and R2 (norm bound) are rigorous, " +
              "R3 (tail contraction) and R4 (second-order term) are first order, i.e. heuristics. A cell that holds is evidence, not proof: the hunt's budget is finite.");
        doc.F("C1 closure map over (η, λ): green = held inside the derived regime, blue = held outside it, red = confirmed counterexample; grey line = derived etaMax(λ).",
            "c1-map.svg", "c1-map.png", fig.Svg);
        var inside = m.Cells.Count(c => c.InRegime);
        var insideFail = m.Cells.Count(c => c.InRegime && !c.Holds);
        var holdsOutside = m.Cells.Count(c => !c.InRegime && c.Holds);
        doc.P($"{m.Cells.Length} cells: {m.Cells.Count(c => c.Holds)} held, {m.Cells.Count(c => !c.Holds)} with a confirmed counterexample; " +
              $"{inside} inside the derived regime ({insideFail} of them failed — a failure there would show that the first-order conditions R3/R4 " +
              "do not suffice, or, if it broke the balancedness or norm condition, contradict the rigorous R1/R2), " +
              $"{holdsOutside} held outside it (the derived regime is not necessary). " +
              "The condition that sets the derived etaMax (Regime.etaMaxSetBy), counted over the cells: " +
              string.Join(", ", Explore.etaMaxSetByCounts(m).Select(t => $"{t.Item1} ({Regime.label(t.Item1)}) {t.Item2}")) + ".");
        doc.H(3, "Empirical boundary against the derived regime");
        doc.T(["λ", "derived etaMax", "largest grid η that held (below the first failure)", "smallest grid η that failed", "ratio empirical / derived"],
            Explore.boundary(m).Select(t => (IReadOnlyList<string>)
            [
                G(t.Item1), t.Item2 > 0 ? G(t.Item2) : "0 (R3 or R0 fails for every η)",
                t.Item3 is null ? "none" : G(t.Item3.Value), t.Item4 is null ? "none" : G(t.Item4.Value),
                t.Item2 > 0 && t.Item3 is not null ? G(t.Item3.Value / t.Item2) : "—",
            ]));
        doc.H(3, "Cells");
        doc.T(["η", "λ", "C1", "smallest κ_C", "eps1", "eps2", "C", "derived regime", "etaMax set by", "counterexample (boundary)"],
            m.Cells.Select(c => (IReadOnlyList<string>)
            [
                G(c.Eta), G(c.Lambda), c.Holds ? "held" : "**counterexample**", c.KappaC is null ? "—" : G(c.KappaC.Value),
                G(c.Constants.Eps1), G(c.Constants.Eps2), G(c.Constants.C),
                c.InRegime ? "inside" : "outside (" + string.Join(",", c.Violated) + ")",
                Explore.etaMaxSetBy(m, c),
                c.Counterexample is null ? "—" : $"{HuntReport.G(c.Counterexample.Value.Violation)} > bound {HuntReport.G(c.Counterexample.Value.Bound)}: {c.Counterexample.Value.Description}",
            ]));
    }

    /// <summary>C1 map as JSON.</summary>
    public static object ClosureJson(ClosureMap m) => new
    {
        depth = m.Depth,
        r = m.R,
        family = FAlpha.name(m.Family),
        etas = m.Etas,
        lambdas = m.Lambdas,
        kappas = m.Kappas,
        evaluationsPerHunt = m.EvaluationsPerHunt,
        cells = m.Cells.Select(c => new
        {
            eta = c.Eta,
            lambda = c.Lambda,
            holds = c.Holds,
            kappaC = c.KappaC is null ? (double?)null : c.KappaC.Value,
            eps1 = c.Constants.Eps1,
            eps2 = c.Constants.Eps2,
            alpha = c.Constants.Alpha,
            C = c.Constants.C,
            inRegime = c.InRegime,
            violatedRegimeConditions = c.Violated,
            etaMaxSetBy = Explore.etaMaxSetBy(m, c),
            evaluations = c.Evaluations,
            counterexample = c.Counterexample is null ? null : new { violation = c.Counterexample.Value.Violation, bound = c.Counterexample.Value.Bound, description = c.Counterexample.Value.Description },
        }),
        boundary = Explore.boundary(m).Select(t => new
        {
            lambda = t.Item1,
            derivedEtaMax = t.Item2,
            largestHeldEta = t.Item3 is null ? (double?)null : t.Item3.Value,
            smallestFailedEta = t.Item4 is null ? (double?)null : t.Item4.Value,
        }),
    };

    /// <summary>Adds the E1 dynamics section (one figure per depth, a table).</summary>
    public static void AddDynamics(Document doc, OutputDirectory dir, DynamicsCell[] cells, E1Params p, int[] depths)
    {
        doc.H(2, "E1 dynamics: where SGD jumps, collapses, or stays");
        doc.P($"Task [[1, *], [ε, 1]] with ε = {G(p.Epsilon)}, width {p.Width}, start W_ℓ = I; per (η, λ, L): {p.Seeds} SGD chains of {p.Steps:N0} steps " +
              "(seed " + p.Seed + ") and the gradient-descent control from the same start (E1.run, no offshoots, no SDE chains), every step monitored. " +
              "Phases: \"SGD jumps\" when a strict majority of the chains entered B_1 (E1.jumpRegion) at numerical rank 1 and never collapsed; " +
              "\"collapses\" when at least half the chains reached the zero network (s1 < 1e-3), including chains that passed rank 1 on their way " +
              "(a collapse is not a jump); \"diverges\" when at least half diverged; GD's rank is its final numerical rank (s2/s1 < 1e-2 is rank 1).");
        foreach (var d in depths)
        {
            var fig = DynamicsFigure(cells, d, p);
            dir.WriteText($"e1-dynamics-L{d}.svg", fig.Svg);
            dir.WriteBytes($"e1-dynamics-L{d}.png", fig.Png);
            doc.F($"E1 phases over (η, λ) at L = {d}.", $"e1-dynamics-L{d}.svg", $"e1-dynamics-L{d}.png", fig.Svg);
        }
        doc.T(["L", "η", "λ", "phase", "SGD jumped (no collapse)", "SGD collapsed", "median jump step", "GD final rank"],
            cells.Select(c => (IReadOnlyList<string>)
            [
                c.Depth.ToString(Inv), G(c.Eta), G(c.Lambda), c.Phase, $"{c.Summary.FractionJumped:P0}", $"{c.Summary.FractionCollapsed:P0}",
                c.Summary.JumpMedian is null ? "—" : c.Summary.JumpMedian.Value.ToString("N0", Inv), c.Summary.GdFinalRank.ToString(Inv),
            ]));
        doc.P("Cells per phase: " + string.Join("; ", Explore.phases.Select(ph => $"{ph}: {cells.Count(c => c.Phase == ph)}")) + ".");
    }

    /// <summary>Dynamics map as JSON.</summary>
    public static object DynamicsJson(DynamicsCell[] cells) => cells.Select(c => new
    {
        depth = c.Depth,
        eta = c.Eta,
        lambda = c.Lambda,
        phase = c.Phase,
        fractionJumped = c.Summary.FractionJumped,
        fractionCollapsed = c.Summary.FractionCollapsed,
        fractionDiverged = c.Summary.FractionDiverged,
        jumpMedian = c.Summary.JumpMedian is null ? (double?)null : c.Summary.JumpMedian.Value,
        gdFinalRank = c.Summary.GdFinalRank,
    }).ToArray();
}
