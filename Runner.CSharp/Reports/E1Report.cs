using System.Globalization;
using LowRankVerify.Theory;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner.Reports;

/// <summary>One regime of the regime map, with its result and wall time.</summary>
public sealed record RegimeRun(string Label, TwoByTwoResult Result, double Seconds);

/// <summary>E1 (THEORY.md §5) in a report: the results.json part, the figures and the text.</summary>
public static class E1Report
{
    /// <summary>File names of the E1 figures inside a report directory.</summary>
    public const string SlidesSvg = "e1-slides.svg", SlidesPng = "e1-slides.png",
        JumpsSvg = "e1-jump-steps.svg", JumpsPng = "e1-jump-steps.png";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static long? Opt(FSharpOption<long> o) => FSharpOption<long>.get_IsSome(o) ? o.Value : null;
    private static double? Opt(FSharpOption<double> o) => FSharpOption<double>.get_IsSome(o) ? o.Value : null;

    /// <summary>Formats a number for text: invariant culture, 4 significant digits.</summary>
    public static string N(double x) => x.ToString("G4", Inv);

    private static string N(double? x) => x is { } v ? N(v) : "n/a";

    /// <summary>A step count (possibly interpolated, e.g. a median) rounded to an integer, or n/a.</summary>
    private static string S(double? x) => x is { } v ? Steps(Math.Round(v)) : "n/a";

    /// <summary>Steps with thousands separators.</summary>
    public static string Steps(double x) => x.ToString("N0", Inv);

    /// <summary>The parameters as a JSON object (every one, with the B_1 constants).</summary>
    public static object ParamsJson(TwoByTwoParams p) => new
    {
        epsilon = p.Epsilon,
        depth = p.Depth,
        width = p.Width,
        eta = p.Eta,
        lambda = p.Lambda,
        steps = p.Steps,
        seeds = p.Seeds,
        seed = p.Seed,
        chainStreams = "chain s draws its entries from Rng.stream(seed, s)",
        start = "W_l = I (rectangular identity) for every layer",
        offshoots = p.Offshoots,
        offshootEta = p.OffshootEta,
        offshootLambda = p.OffshootLambda,
        offshootMaxSteps = p.OffshootMaxSteps,
        offshootTolerance = TwoByTwo.offshootTolerance,
        observationsPerDecade = p.ObservationsPerDecade,
    };

    /// <summary>The B_1 constants and rank thresholds as a JSON object.</summary>
    public static object DetectionJson(RegionParams b) => new
    {
        region = new { r = b.R, eps1 = b.Eps1, eps2 = b.Eps2, alpha = b.Alpha, C = b.C, family = FAlpha.name(b.Family) },
        rankOneRatio = TwoByTwo.rankOneRatio,
        collapseThreshold = TwoByTwo.collapseThreshold,
        jump = "first observed step with theta in B_1 and s2/s1 < rankOneRatio (and s1 >= collapseThreshold)",
        returns = "observations after the jump where the numerical rank goes from <= 1 to 2",
    };

    /// <summary>The summary as a JSON object.</summary>
    public static object SummaryJson(TwoByTwoSummary s) => new
    {
        fractionJumped = s.FractionJumped,
        fractionCollapsed = s.FractionCollapsed,
        fractionDiverged = s.FractionDiverged,
        jumpStepMedian = Opt(s.JumpMedian),
        jumpStepQ1 = Opt(s.JumpQ1),
        jumpStepQ3 = Opt(s.JumpQ3),
        totalReturns = s.TotalReturns,
        gdFinalRank = s.GdFinalRank,
        gdJumpStep = Opt(s.GdJumpStep),
        offshootTestErrorAfterJump = Opt(s.OffshootErrorAfterJump),
        offshootTestErrorBeforeJump = Opt(s.OffshootErrorBeforeJump),
    };

    private static object RunJson(TwoByTwoRun c) => new
    {
        chain = c.Chain,
        jumpStep = Opt(c.JumpStep),
        collapseStep = Opt(c.CollapseStep),
        returns = c.Returns,
        diverged = c.Diverged,
        divergenceStep = Opt(c.DivergenceStep),
        // Column-wise (one array per quantity, index k = k-th observation) to keep the file small.
        observations = new
        {
            step = c.Observations.Select(o => o.Step),
            s1 = c.Observations.Select(o => o.S1),
            s2 = c.Observations.Select(o => o.S2),
            ratio = c.Observations.Select(o => o.Ratio),
            testError = c.Observations.Select(o => o.TestError),
            inB1 = c.Observations.Select(o => o.InB1),
            rank = c.Observations.Select(o => o.Rank),
        },
        offshoots = c.Offshoots.Select(o => new
        {
            branchStep = o.BranchStep,
            steps = o.Steps,
            converged = o.Converged,
            finalTestError = o.FinalTestError,
            finalRatio = o.FinalRatio,
            finalRank = o.FinalRank,
            diverged = o.Diverged,
        }),
    };

    /// <summary>A divergence found by a run (THEORY.md §4 negative control "large η"): where it happened,
    /// the parameters, and the last finite state observed before it.</summary>
    public sealed record Divergence(string Experiment, int Chain, long Step, double Eta, double Lambda, int Depth, int Width,
        long LastFiniteStep, double LastS1, double LastS2, double LastTestError);

    /// <summary>Every divergence of the main experiment and the regime map (chains, GD controls, and
    /// offshoots as chain-level entries with their branch step), in run order.</summary>
    public static List<Divergence> Divergences(TwoByTwoResult r, IReadOnlyList<RegimeRun> regimes)
    {
        var list = new List<Divergence>();
        void Add(string experiment, TwoByTwoResult x)
        {
            foreach (var c in x.Chains.Append(x.Gd))
                if (Opt(c.DivergenceStep) is { } step)
                {
                    var last = c.Observations[^1];
                    list.Add(new Divergence(experiment, c.Chain, step, x.Params.Eta, x.Params.Lambda, x.Params.Depth, x.Params.Width,
                        last.Step, last.S1, last.S2, last.TestError));
                }
        }
        Add("main", r);
        foreach (var g in regimes) Add(g.Label, g.Result);
        return list;
    }

    /// <summary>The whole E1 result as a JSON object (every chain with its observations).</summary>
    public static object Json(TwoByTwoResult r, double seconds, IReadOnlyList<RegimeRun> regimes) => new
    {
        parameters = ParamsJson(r.Params),
        detection = DetectionJson(r.Region),
        wallSeconds = seconds,
        // Findings: runs whose residual or weights stopped being finite (chain -1 is the GD control).
        divergences = Divergences(r, regimes).Select(d => new
        {
            experiment = d.Experiment,
            chain = d.Chain,
            step = d.Step,
            eta = d.Eta,
            lambda = d.Lambda,
            depth = d.Depth,
            width = d.Width,
            lastFinite = new { step = d.LastFiniteStep, s1 = d.LastS1, s2 = d.LastS2, testError = d.LastTestError },
        }),
        offshootsDiverged = r.Chains.Sum(c => c.Offshoots.Count(o => o.Diverged)),
        summary = SummaryJson(r.Summary),
        gdControl = RunJson(r.Gd),
        chains = r.Chains.Select(RunJson),
        regimeMap = regimes.Select(g => new
        {
            label = g.Label,
            parameters = ParamsJson(g.Result.Params),
            wallSeconds = g.Seconds,
            summary = SummaryJson(g.Result.Summary),
            finalRanks = g.Result.Chains.Select(c => c.Observations[^1].Rank),
        }),
    };

    /// <summary>Writes the two figures (SVG and PNG) and returns them.</summary>
    public static (RenderedFigure Slides, RenderedFigure Jumps) WriteFigures(OutputDirectory dir, TwoByTwoResult r)
    {
        var slides = E1Figures.Slides(r);
        var jumps = E1Figures.JumpDistribution(r);
        dir.WriteText(SlidesSvg, slides.Svg);
        dir.WriteBytes(SlidesPng, slides.Png);
        dir.WriteText(JumpsSvg, jumps.Svg);
        dir.WriteBytes(JumpsPng, jumps.Png);
        return (slides, jumps);
    }

    private static string RankWord(int rank) => rank switch { 0 => "0 (zero network)", 1 => "1", _ => "2" };

    /// <summary>One-line summary for the console.</summary>
    public static string ConsoleLine(TwoByTwoResult r, double seconds)
    {
        var s = r.Summary;
        return $"E1: {N(100 * s.FractionJumped)}% of {r.Chains.Length} SGD chains jumped to rank 1 (jump step median {S(Opt(s.JumpMedian))}, " +
               $"quartiles {S(Opt(s.JumpQ1))}–{S(Opt(s.JumpQ3))}), returns to rank 2: {s.TotalReturns}; GD control final rank {s.GdFinalRank}; {seconds:0.0}s";
    }

    /// <summary>Adds the E1 section (text, figures, tables, regime map) to a report.</summary>
    public static void AddSection(Document doc, TwoByTwoResult r, double seconds, RenderedFigure slides, RenderedFigure jumps,
        IReadOnlyList<RegimeRun> regimes, string replay)
    {
        var p = r.Params;
        var s = r.Summary;
        var b = r.Region;
        var shown = E1Figures.ShownChain(r);
        doc.H(2, "The slides' experiment (E1)");
        doc.P($"Task (THEORY.md §5): observe 3 of the 4 entries of `[[1, *], [ε, 1]]` with ε = {N(p.Epsilon)}; the ground truth is the rank-1 " +
              $"matrix with `* = 1/ε = {N(1 / p.Epsilon)}`, and the test error is the error on that missing entry. Network: depth L = {p.Depth}, " +
              $"widths 2–{p.Width}–…–2, start `W_l = I`. SGD with η = {N(p.Eta)}, λ = {N(p.Lambda)} for {Steps(p.Steps)} steps on {p.Seeds} seeds " +
              $"(chain s draws from `Rng.stream({p.Seed}, s)`), two chains at a time. Gradient-descent control: same start, same η and λ, " +
              $"{Steps(p.Steps)} full-batch steps. Offshoots: {p.Offshoots} per chain, branched at log-spaced steps and continued with " +
              $"η = {N(p.OffshootEta)}, λ = {N(p.OffshootLambda)} until the loss changes by less than {N(TwoByTwo.offshootTolerance)} (relative) " +
              $"over two blocks of ⌈100/η⌉ steps, at most {Steps(p.OffshootMaxSteps)} steps. Wall time {seconds:0.0} s.");
        doc.P($"Jump detection (a choice; the slides give no constants): θ is in B_1 with r = 1, piecewise f_α, α = σ/4 = {N(b.Alpha)}, " +
              $"ε2 = {N(b.Eps2)}, ε1 = 0.1σ² = {N(b.Eps1)}, C = 4σ = {N(b.C)}, where σ = s_1(A*)^(2/L) = {N(b.Alpha * 4)} is the per-layer " +
              $"s_1(W_lᵀW_l) of the balanced rank-1 fit. The jump step is the first observed step (on a grid of {p.ObservationsPerDecade} " +
              $"log-spaced points per decade, so it is resolved to about {N(100 * (Math.Pow(10, 1.0 / p.ObservationsPerDecade) - 1))} %) with " +
              $"θ ∈ B_1 and numerical rank 1. Numerical rank: 0 when s_1 < {N(TwoByTwo.collapseThreshold)}, 1 when s_2/s_1 < " +
              $"{N(TwoByTwo.rankOneRatio)}, else 2. A return is an observation after the jump at which the rank goes back to 2.");
        doc.F($"E1 laid out like the slides, chain {shown.Chain} (the first chain that jumped): s2/s1 (red), test error (light blue), " +
              "offshoots' final test error at their branch step (dark blue points); the gradient-descent control in orange (s2/s1) and purple (test error).",
              SlidesSvg, SlidesPng, slides.Svg);
        doc.T(["quantity", "value"],
        [
            ["SGD chains that jumped to rank 1", $"{r.Chains.Count(c => FSharpOption<long>.get_IsSome(c.JumpStep))} of {r.Chains.Length} ({N(100 * s.FractionJumped)} %)"],
            ["jump step: median (quartiles)", $"{S(Opt(s.JumpMedian))} ({S(Opt(s.JumpQ1))} – {S(Opt(s.JumpQ3))})"],
            ["returns to rank 2 after a jump (expected 0)", s.TotalReturns.ToString(Inv)],
            ["chains collapsed to the zero network", $"{N(100 * s.FractionCollapsed)} %"],
            ["chains diverged", $"{N(100 * s.FractionDiverged)} %"],
            ["GD control: final rank; entered B_1", $"{RankWord(s.GdFinalRank)}; {(Opt(s.GdJumpStep) is { } g ? "at step " + Steps(g) : "never")}"],
            ["GD control: final s2/s1, test error", $"{N(r.Gd.Observations[^1].Ratio)}, {N(r.Gd.Observations[^1].TestError)}"],
            ["offshoots branched after the jump: mean final test error", N(Opt(s.OffshootErrorAfterJump))],
            ["offshoots branched before the jump (or never-jumped chains): mean final test error", N(Opt(s.OffshootErrorBeforeJump))],
            ["offshoots converged", $"{r.Chains.Sum(c => c.Offshoots.Count(o => o.Converged))} of {r.Chains.Sum(c => c.Offshoots.Length)}"],
        ]);
        var divergences = Divergences(r, regimes);
        if (divergences.Count > 0)
        {
            doc.H(3, "Divergences (η too large)");
            doc.P($"{divergences.Count} run(s) diverged: at the step below the residual or a weight (or A_θ) stopped being finite, and the run " +
                  "stopped there. This is a finding about the step size, not a crash; the figures and tables use the last finite state " +
                  "(zero-based step index; chain −1 is the gradient-descent control).");
            doc.T(["experiment", "chain", "diverged at step", "η", "λ", "L", "width", "last finite step", "s1, s2 there", "test error there"],
                divergences.Select(d => (IReadOnlyList<string>)
                [
                    d.Experiment, d.Chain.ToString(Inv), Steps(d.Step), N(d.Eta), N(d.Lambda), d.Depth.ToString(Inv), d.Width.ToString(Inv),
                    Steps(d.LastFiniteStep), $"{N(d.LastS1)}, {N(d.LastS2)}", N(d.LastTestError),
                ]));
        }
        var offDiv = r.Chains.Sum(c => c.Offshoots.Count(o => o.Diverged));
        if (offDiv > 0)
            doc.P($"{offDiv} offshoot(s) diverged; their final values are those of their last finite block.");
        doc.F("Jump steps over the seeds: empirical distribution (the plateau is the fraction that jumped within the budget).",
              JumpsSvg, JumpsPng, jumps.Svg);
        doc.H(3, "Regime map: where the phenomenon holds and where it does not");
        doc.P("The jump is regime-bound; a report that showed only the favourable regime would mislead. The same experiment without " +
              "offshoots, in contrasting regimes (same ε, start and seeds; one row per regime):");
        doc.T(["regime", "L", "η", "λ", "steps × seeds", "SGD jumped", "SGD collapsed to 0", "jump median", "returns", "GD final rank (entered B_1)", "time"],
            regimes.Select(g =>
            {
                var q = g.Result.Params;
                var t = g.Result.Summary;
                return (IReadOnlyList<string>)
                [
                    g.Label, q.Depth.ToString(Inv), N(q.Eta), N(q.Lambda), $"{Steps(q.Steps)} × {q.Seeds}",
                    $"{N(100 * t.FractionJumped)} %", $"{N(100 * t.FractionCollapsed)} %", S(Opt(t.JumpMedian)), t.TotalReturns.ToString(Inv),
                    $"{RankWord(t.GdFinalRank)} ({(Opt(t.GdJumpStep) is { } gj ? "step " + Steps(gj) : "never")})", $"{g.Seconds:0.0}s",
                ];
            }));
        doc.P("Reading the map: the slides' picture (GD stays at rank 2, SGD jumps to rank 1 and stays) appears at the defaults. With a " +
              "smaller step or a shallower network SGD may not jump within the budget; in deeper networks at the same η SGD collapses to " +
              "the zero network (B_0, which lies inside B_1, so collapse is reported separately from a jump); and in some regimes gradient " +
              "descent itself reaches rank 1, so a jump is not by itself evidence of SGD's noise. The theorem's \"small enough η and λ\" is " +
              "not quantified on the slides: these rows are measurements at the stated budget, not bounds.");
        doc.P("Replay this experiment:");
        doc.C(replay);
    }
}
