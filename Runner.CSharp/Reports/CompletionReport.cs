using static LowRankVerify.Runner.Reports.ReportFormat;

namespace LowRankVerify.Runner.Reports;

/// <summary>The completion experiment in a report (docs/completion.md): the results.json part (the
/// <c>completion</c> object whose keys scripts rely on), the figures and the text.</summary>
public static class CompletionReport
{
    /// <summary>File names of the figures inside a report directory (each also as .png).</summary>
    public const string StaircaseName = "completion-staircase", SingularName = "completion-singular-values",
        HittingName = "completion-hitting-times", OffshootsName = "completion-offshoots";

    private static string I(long x) => x.ToString(Inv);

    /// <summary>The task's description as a JSON object.</summary>
    public static object TaskJson(CompletionResult r)
    {
        var t = r.Params.Task;
        var (k, _) = Ladder.targetRank(t).ToValueTuple();
        object source = r.Params.Source switch
        {
            TaskSource.Blocks b => new { family = "blocks", blocks = b.blocks, epsilon = b.epsilon },
            TaskSource.Random q => new { family = "random", size = q.size, rank = q.rank, observed = q.observed, taskSeed = q.taskSeed },
            TaskSource.File f => new { family = "file", file = f.name },
            _ => new { family = "unknown" },
        };
        var (muU, muV) = CompletionTask.coherence(t, k).ToValueTuple();
        return new
        {
            source,
            file = "task.json",
            dOut = t.DOut,
            dIn = t.DIn,
            observed = t.N,
            unobserved = t.DOut * t.DIn - t.N,
            targetRank = k,
            targetRankRatio = Ladder.targetRankRatio,
            targetSingularValues = r.TargetSingular.Take(Math.Max(k, 1) + 2),
            coherenceLeft = muU,
            coherenceRight = muV,
        };
    }

    /// <summary>The parameters as a JSON object.</summary>
    public static object ParamsJson(CompletionParams p) => new
    {
        depth = p.Depth,
        width = p.Width,
        widths = Completion.widthsOf(p),
        init = CompletionTask.startName(p.Start),
        eta = p.Eta,
        lambda = p.Lambda,
        steps = p.Steps,
        seeds = p.Seeds,
        seed = p.Seed,
        chainStreams = "chain s draws its entries from Rng.stream(seed, s)",
        engine = p.Mode.IsLanes ? "ensemble" : "single",
        offshoots = p.Offshoots,
        offshootEta = p.OffshootEta,
        offshootLambda = p.OffshootLambda,
        offshootMaxSteps = p.OffshootMaxSteps,
        offshootTolerance = Completion.offshootTolerance,
        gdSteps = p.GdSteps,
        sde = p.Sde,
        sdeSteps = p.Sde ? p.SdeSteps : (long?)null,
        sdeStreams = $"SDE twin s draws its Gaussians from Rng.stream(seed ^ {E1.sdeStreamTag}, s)",
        sdeStep = "Euler-Maruyama (C6): theta+ = theta - eta grad L_lambda(theta) + (eta/sqrt N) sum_k xi_k (G_k - mean G), N draws xi ~ N(0, 1) per step: " +
                  "exactly the mean and covariance of one SGD step (full-batch form, FullBatch.sdeStep); no offshoots",
        observationsPerDecade = p.ObservationsPerDecade,
        eventInterval = p.EventInterval,
    };

    /// <summary>The ladder's constants and the definitions of level, return and collapse.</summary>
    public static object LadderJson(CompletionParams p) => new
    {
        top = p.Ladder.Top,
        alpha = p.Ladder.Alpha,
        eps1 = p.Ladder.Eps1,
        eps2 = p.Ladder.Eps2,
        C = p.Ladder.C,
        family = FAlpha.name(p.Ladder.Family),
        level = "smallest rho >= 0 with max_l sum_i f_alpha(s_i(W_l^T W_l)) <= rho + eps2 (the rank condition of B_rho on every layer)",
        membership = "theta in B_rho iff rho >= level and balanced (max_l ||W_l^T W_l - W_{l-1} W_{l-1}^T||_F^2 <= eps1) and bounded (max_l ||W_l||_F^2 <= C)",
        events = "the level is checked at step 0, at every multiple of eventInterval and at every observation step; a change between two checks is an event at the later check",
        drop = "an event to a lower level >= 1",
        returnEvent = "an event to a higher level (the claim says none)",
        collapse = "an event to level 0 (B_0: the network is near zero at scale alpha); counted apart from drops",
        hitting = "first check at which 1 <= level <= rho (rho >= 1); for rho = 0 the collapse step",
    };

    /// <summary>The name of a run kind in results.json and the report's tables.</summary>
    public static string KindName(ChainKind k) => k.IsGd ? "gd" : k.IsSde ? "sde" : "sgd";

    private static object RunJson(CompletionRun c)
    {
        var last = c.Observations.Length > 0 ? c.Observations[^1] : null;
        return new
        {
            kind = KindName(c.Kind),
            chain = c.Chain,
            horizon = c.Horizon,
            startRank = c.StartLevel,
            finalRank = c.FinalLevel,
            events = c.Events.Select(e => new { step = e.Step, fromRank = e.FromRank, toRank = e.ToRank }),
            drops = c.Drops,
            returns = c.Returns,
            lastReturnStep = Opt(c.LastReturnStep),
            collapseStep = Opt(c.CollapseStep),
            hitting = c.Hitting.Select(h => new { rank = h.Item1, step = h.Item2 }),
            diverged = FSharpOption<long>.get_IsSome(c.DivergenceStep),
            divergenceStep = Opt(c.DivergenceStep),
            fixedPointStep = Opt(c.FixedPointStep),
            finalTrainError = last?.TrainError,
            finalTestError = last?.TestError,
            finalGradientNorm = last?.GradientNorm,
            observations = new
            {
                step = c.Observations.Select(o => o.Step),
                singular = c.Observations.Select(o => o.Singular),
                numericalRank = c.Observations.Select(o => o.NumericalRank),
                productRank = c.Observations.Select(o => o.ProductRank),
                level = c.Observations.Select(o => o.Level),
                maxLayerRank = c.Observations.Select(o => o.MaxLayerRank),
                balanced = c.Observations.Select(o => o.Balanced),
                bounded = c.Observations.Select(o => o.Bounded),
                // The smallest rho with theta in B_rho (null: not balanced or not bounded, so in no B_rho).
                inLadderFrom = c.Observations.Select(o => o.Balanced && o.Bounded ? (int?)o.Level : null),
                balancedness = c.Observations.Select(o => o.Balancedness),
                layerNorms = c.Observations.Select(o => o.LayerNorms),
                testError = c.Observations.Select(o => o.TestError),
                trainError = c.Observations.Select(o => o.TrainError),
                gradientNorm = c.Observations.Select(o => o.GradientNorm),
            },
            offshoots = c.Offshoots.Select(o => new
            {
                branchStep = o.BranchStep,
                branchRank = o.BranchLevel,
                steps = o.Steps,
                converged = o.Converged,
                diverged = o.Diverged,
                finalTestError = o.FinalTestError,
                finalTrainError = o.FinalTrainError,
                finalRank = o.FinalLevel,
            }),
        };
    }

    private static Dictionary<string, int> CountsJson(Tuple<int, int>[] counts) => counts.ToDictionary(x => x.Item1.ToString(Inv), x => x.Item2);

    /// <summary>The fields a summary of SGD chains and of SDE twins share (the SDE twins take no offshoots, so
    /// their level rows carry no offshoot errors).</summary>
    private static IEnumerable<KeyValuePair<string, object?>> RunsSummary(CompletionSummary s, bool offshoots)
    {
        yield return new("levels", s.Levels.Select(l => offshoots
            ? (object)new
            {
                rank = l.Rank,
                fractionReached = l.FractionReached,
                stepMedian = Opt(l.StepMedian),
                stepQ1 = Opt(l.StepQ1),
                stepQ3 = Opt(l.StepQ3),
                offshootTestErrorBefore = Opt(l.OffshootErrorBefore),
                offshootTestErrorAfter = Opt(l.OffshootErrorAfter),
            }
            : new { rank = l.Rank, fractionReached = l.FractionReached, stepMedian = Opt(l.StepMedian), stepQ1 = Opt(l.StepQ1), stepQ3 = Opt(l.StepQ3) }).ToList());
        yield return new("totalDrops", s.TotalDrops);
        yield return new("totalReturns", s.TotalReturns);
        yield return new("lastReturnStep", Opt(s.LastReturnStep));
        yield return new("finalRankCounts", CountsJson(s.FinalRankCounts));
        yield return new("fractionCollapsed", s.FractionCollapsed);
        yield return new("fractionDiverged", s.FractionDiverged);
        yield return new("fractionBelowTarget", s.FractionBelowTarget);
    }

    /// <summary>The SDE twins' summary (the SGD summary's fields without offshoots, with their number, horizon
    /// and how many froze), or null without twins.</summary>
    private static Dictionary<string, object?>? SdeSummaryJson(CompletionResult r)
    {
        if (FSharpOption<CompletionSummary>.get_IsNone(r.SdeSummary)) return null;
        var d = new Dictionary<string, object?> { ["runs"] = r.Sde.Length, ["horizon"] = r.Params.SdeSteps };
        foreach (var kv in RunsSummary(r.SdeSummary.Value, offshoots: false)) d[kv.Key] = kv.Value;
        d["frozen"] = r.Sde.Count(c => FSharpOption<long>.get_IsSome(c.FixedPointStep));
        return d;
    }

    /// <summary>The SGD/GD/SDE comparison rows as JSON.</summary>
    private static IEnumerable<object> ComparisonJson(CompletionResult r) => r.Comparison.Select(k => new
    {
        kind = KindName(k.Kind),
        atStep = k.Step,
        runs = k.Runs,
        levelCounts = CountsJson(k.LevelCounts),
        reachedTargetRank = k.ReachedTarget,
        targetRankStepMedian = Opt(k.TargetStepMedian),
        drops = k.Drops,
        returns = k.Returns,
        collapsed = k.Collapsed,
        diverged = k.Diverged,
        divergenceStepMedian = Opt(k.DivergenceMedian),
    }).ToList();

    /// <summary>The summary as a JSON object (<c>levels</c>, <c>totalReturns</c>, <c>finalRankCounts</c> are part of the contract;
    /// <c>sde</c> summarises the SDE twins, <c>comparison</c> puts SGD, GD and SDE side by side).</summary>
    public static object SummaryJson(CompletionResult r)
    {
        var s = r.Summary;
        var d = new Dictionary<string, object?> { ["startRank"] = s.StartLevel, ["targetRank"] = s.TargetRank, ["canFit"] = s.CanFit };
        foreach (var kv in RunsSummary(s, offshoots: true)) d[kv.Key] = kv.Value;
        d["gdFinalRank"] = s.GdFinalLevel;
        d["gdReturns"] = r.Gd.Returns;
        d["gdFixedPointStep"] = Opt(r.Gd.FixedPointStep);
        d["sde"] = SdeSummaryJson(r);
        d["comparison"] = ComparisonJson(r);
        return d;
    }

    /// <summary>The whole result as the <c>completion</c> object of results.json.</summary>
    public static object Json(CompletionResult r, double seconds, string replay) => new
    {
        parameters = ParamsJson(r.Params),
        task = TaskJson(r),
        ladder = LadderJson(r.Params),
        wallSeconds = seconds,
        summary = SummaryJson(r),
        gdControl = RunJson(r.Gd),
        chains = r.Chains.Select(RunJson),
        sdeChains = r.Sde.Select(RunJson),
        replay,
    };

    /// <summary>The four figures.</summary>
    public sealed record Figures(RenderedFigure Staircase, RenderedFigure Singular, RenderedFigure Hitting, RenderedFigure Offshoots);

    /// <summary>Writes the figures (SVG and PNG) and returns them.</summary>
    public static Figures WriteFigures(OutputDirectory dir, CompletionResult r)
    {
        var f = new Figures(CompletionFigures.StaircaseFigure(r), CompletionFigures.SingularValues(r),
            CompletionFigures.HittingTimes(r), CompletionFigures.Offshoots(r));
        foreach (var (name, fig) in new[] { (StaircaseName, f.Staircase), (SingularName, f.Singular), (HittingName, f.Hitting), (OffshootsName, f.Offshoots) })
        {
            dir.WriteText(name + ".svg", fig.Svg);
            dir.WriteBytes(name + ".png", fig.Png);
        }
        return f;
    }

    private static string Counts(CompletionSummary s) =>
        s.FinalRankCounts.Length == 0 ? "none" : string.Join(", ", s.FinalRankCounts.Select(x => $"level {x.Item1}: {x.Item2}"));

    /// <summary>One-line summary for the console.</summary>
    public static string ConsoleLine(CompletionResult r, double seconds)
    {
        var s = r.Summary;
        return $"completion ({CompletionFigures.TaskTitle(r)}): {r.Chains.Length} SGD chains from level {s.StartLevel}, final levels {Counts(s)}; " +
               $"drops {s.TotalDrops}, returns {s.TotalReturns}, collapsed {N(100 * s.FractionCollapsed)}%, diverged {N(100 * s.FractionDiverged)}%; " +
               $"GD control final level {s.GdFinalLevel}; {SdeConsole(r)}; truth rank {s.TargetRank}; {seconds:0.0}s";
    }

    private static string SdeConsole(CompletionResult r)
    {
        if (FSharpOption<CompletionSummary>.get_IsNone(r.SdeSummary)) return "no SDE twins";
        var d = r.SdeSummary.Value;
        return $"{r.Sde.Length} SDE twins to step {Steps(r.Params.SdeSteps)}: final levels {Counts(d)}, returns {d.TotalReturns}, " +
               $"collapsed {N(100 * d.FractionCollapsed)}%, diverged {N(100 * d.FractionDiverged)}%";
    }

    private static string TaskText(CompletionResult r)
    {
        var t = r.Params.Task;
        var k = r.Summary.TargetRank;
        var sv = string.Join(", ", r.TargetSingular.Take(Math.Max(k, 1) + 1).Select(N));
        var common = $"A* is {t.DOut}×{t.DIn} with N = {t.N} observed entries ({N(100.0 * t.N / (t.DOut * t.DIn))} %); the test set is the " +
                     $"{t.DOut * t.DIn - t.N} unobserved ones (test error: their root-mean-square error). The truth has numerical rank {k} " +
                     $"(singular values above {Ladder.targetRankRatio:0e0}·s_1; leading values {sv}). The task is in `task.json` next to this report.";
        return r.Params.Source switch
        {
            TaskSource.Blocks b => $"Task: the blocks family, m = {b.blocks} copies of E1's `[[1, 1/ε], [ε, 1]]` (ε = {N(b.epsilon)}, entry (0, 1) of each block " +
                                   "unobserved) on the diagonal; off-block entries are unobserved with truth 0. From a block-diagonal start every update " +
                                   "stays inside one block, so each block runs its own E1 chain (property `completion.blocks` in `dotnet test`), and the " +
                                   $"expected staircase steps from {2 * b.blocks} down to {b.blocks}, one block at a time. " +
                                   "Note: a rank-1 matrix fits every observed entry of this task (the blocks share no row or column), so the lowest rank " +
                                   $"that fits the observed entries is 1 in general; {b.blocks} is the lowest among block-diagonal networks, which a " +
                                   "block-diagonal start never leaves. " + common,
            TaskSource.Random q => $"Task: the random family, A* = U Vᵀ with U, V ({q.size}×{q.rank}) standard Gaussian, scaled to ‖A*‖_F = {q.size} (entries of " +
                                   $"RMS 1, as in Arora et al. 2019), observed fraction p = {N(q.observed)} drawn uniformly with every row and column hit, " +
                                   $"task seed {q.taskSeed}. Coherence μ(U), μ(V) of the truth's singular vectors: {N(CompletionTask.coherence(t, k).Item1)}, " +
                                   $"{N(CompletionTask.coherence(t, k).Item2)} (1 is perfectly incoherent, n/k maximal). " + common,
            TaskSource.File f => $"Task: the file `{f.name}`. " + common,
            _ => common,
        };
    }

    private static string SdeText(CompletionResult r)
    {
        var p = r.Params;
        if (!p.Sde) return "SDE twins: none (`--sde off`).";
        var frozen = r.Sde.Count(c => FSharpOption<long>.get_IsSome(c.FixedPointStep));
        return $"SDE twins (C6): SGD chain s has a twin with the same θ_0, η and λ that takes {Steps(p.SdeSteps)} Euler–Maruyama steps " +
               "θ⁺ = θ − η∇L_λ(θ) + (η/√N) Σ_k ξ_k (G_k − Ḡ) (G_k the per-sample data gradient of observed entry k, N fresh standard normal draws per step " +
               $"from `Rng.stream({p.Seed} ^ {E1.sdeStreamTag}, s)`): exactly the mean and covariance of one SGD step, without its jumps. " +
               $"One SDE step costs about {Completion.sdeCostRatio(p.Task)} SGD steps (2·d_in: a full-batch step plus N draws), hence " +
               (p.SdeSteps < p.Steps ? $"the twins' shorter horizon ({Steps(p.SdeSteps)} of {Steps(p.Steps)} steps; the comparison below reads SGD at both). " : "their horizon. ") +
               "The twins take no offshoots (as in E1); they are checked and observed like the chains" +
               (frozen > 0 ? $"; {frozen} collapsed twin(s) decayed to a θ that no SDE step can change (every weight below 1e-200), and skipped their remaining steps." : ".");
    }

    /// <summary>SGD, GD and the SDE twins side by side (one column per row of <c>CompletionResult.Comparison</c>).</summary>
    public static void AddComparison(Document doc, CompletionResult r)
    {
        var ks = r.Comparison;
        var k = r.Summary.TargetRank;
        string Head(KindComparison c) => c.Kind.IsSgd ? $"SGD ({c.Runs}) at step {Steps(c.Step)}" : c.Kind.IsGd ? $"GD control at step {Steps(c.Step)}" :
            $"SDE twins ({c.Runs}) at step {Steps(c.Step)}";
        string Levels(KindComparison c) => c.LevelCounts.Length == 0 ? "none (every run diverged)" : string.Join(", ", c.LevelCounts.Select(x => $"{x.Item1}: {x.Item2}"));
        IReadOnlyList<string> Line(string name, Func<KindComparison, string> f) => [name, .. ks.Select(f)];
        doc.T(["", .. ks.Select(Head)],
        [
            Line("level at that step (level: runs; diverged runs left out)", Levels),
            Line($"reached the truth's rank {k} (level 1…{k}): runs (median step)", c => $"{c.ReachedTarget} of {c.Runs} ({S(Opt(c.TargetStepMedian))})"),
            Line("drops (to a lower level ≥ 1)", c => c.Drops.ToString(Inv)),
            Line("returns (rises; C5 claims none for SGD)", c => c.Returns.ToString(Inv)),
            Line("collapsed to level 0", c => $"{c.Collapsed} of {c.Runs}"),
            Line("diverged: runs (median step)", c => $"{c.Diverged} of {c.Runs}" + (c.Diverged > 0 ? $" ({S(Opt(c.DivergenceMedian))})" : "")),
        ]);
    }

    /// <summary>Adds the completion section (text, tables, figures) to a report.</summary>
    public static void AddSection(Document doc, CompletionResult r, double seconds, Figures figs, string replay)
    {
        var p = r.Params;
        var s = r.Summary;
        var b = p.Ladder;
        var widths = Completion.widthsOf(p);
        doc.H(2, "The rank ladder on a completion task");
        doc.P(TaskText(r));
        if (!s.CanFit)
            doc.P($"**The network cannot fit the data**: its narrowest width ({widths.Min()}) is below the truth's rank {s.TargetRank}, so every " +
                  "run is confined to ranks below the truth's (allowed; the levels below are still measured).");
        doc.P($"Network: depth L = {p.Depth}, widths {string.Join("–", widths)}, start `{CompletionTask.startName(p.Start)}`. SGD with η = {N(p.Eta)}, " +
              $"λ = {N(p.Lambda)} for {Steps(p.Steps)} steps on {p.Seeds} chains (chain s draws from `Rng.stream({p.Seed}, s)`; engine: " +
              $"{(p.Mode.IsLanes ? $"the SIMD ensemble, {Completion.laneUnit} chains per run unit" : "the single-chain engine")}, two run units at a time). " +
              $"Gradient-descent control: same start, same η and λ, {Steps(p.GdSteps)} full-batch steps" +
              (FSharpOption<long>.get_IsSome(r.Gd.FixedPointStep) ? $" (it reached an exact floating-point fixed point at step {Steps(r.Gd.FixedPointStep.Value)}: θ_(t+1) = θ_t bit for bit, so every later step returns the same θ)" : "") +
              $". {SdeText(r)} Offshoots: {p.Offshoots} per SGD chain at log-spaced steps, continued with η = {N(p.OffshootEta)}, λ = {N(p.OffshootLambda)} until the loss changes by " +
              $"less than {N(Completion.offshootTolerance)} (relative) over two blocks of ⌈100/η⌉ steps, at most {Steps(p.OffshootMaxSteps)} steps. Wall time {seconds:0.0} s.");
        doc.P($"The ladder (a choice; the paper gives no constants): B_ρ for ρ = 0 … {b.Top} with the same ε1 = {N(b.Eps1)}, ε2 = {N(b.Eps2)}, α = {N(b.Alpha)}, " +
              $"C = {N(b.C)}, {FAlpha.name(b.Family)} f_α. **Rank level** of θ: the smallest ρ ≥ 0 with max_ℓ Σ_i f_α(s_i(W_ℓᵀW_ℓ)) ≤ ρ + ε2, i.e. the " +
              "smallest ρ whose rank condition holds on every layer; θ ∈ B_ρ exactly when ρ ≥ the level and θ is balanced and bounded (the two " +
              "conditions every B_ρ shares; the observations record both). The level is checked at step 0, at every multiple of " +
              $"{Steps(p.EventInterval)} steps and at every observation step ({p.ObservationsPerDecade} per decade); an **event** is a change between two " +
              "checks, stamped with the later check (so events are resolved to the interval, and a drop and return within one interval would be missed). " +
              "A **drop** goes to a lower level ≥ 1; a **return** goes up (C5 says never); a **collapse** goes to level 0 (B_0: the network is near zero at " +
              "scale α) and is counted apart from drops. The hitting step of a level ρ ≥ 1 is the first check with 1 ≤ level ≤ ρ.");
        doc.F("The staircase: rank level against log step for every SGD chain (thin blue), their median (bold red), the GD control (orange), " +
              (p.Sde ? "the SDE twins (thin purple, to their horizon), " : "") + "a cross where a run diverged, and the truth's rank (green).",
            CompletionReport.StaircaseName + ".svg", StaircaseName + ".png", figs.Staircase.Svg);
        var gdLast = r.Gd.Observations.Length > 0 ? r.Gd.Observations[^1] : null;
        doc.T(["quantity", "value"],
        [
            ["level at step 0 (every run starts from the same θ_0)", s.StartLevel.ToString(Inv)],
            ["rank of the truth A*", s.TargetRank.ToString(Inv)],
            ["SGD chains: final level (chains)", Counts(s)],
            ["drops, summed over chains", s.TotalDrops.ToString(Inv)],
            ["returns (rises), summed over chains (claim: 0); the last at step", $"{s.TotalReturns}; {(Opt(s.LastReturnStep) is { } lr ? Steps(lr) : "none")}"],
            ["chains that collapsed to level 0", $"{N(100 * s.FractionCollapsed)} %"],
            ["chains that ended below the truth's rank without collapsing", $"{N(100 * s.FractionBelowTarget)} %"],
            ["chains that diverged", $"{N(100 * s.FractionDiverged)} %"],
            ["GD control: final level; returns (the last at step)", $"{s.GdFinalLevel}; {r.Gd.Returns} ({(Opt(r.Gd.LastReturnStep) is { } gr ? Steps(gr) : "none")})"],
            ["GD control: final training / test error; ‖∇L_λ‖ at its horizon", gdLast is null ? "n/a" : $"{N(gdLast.TrainError)} / {N(gdLast.TestError)}; {N(gdLast.GradientNorm)}"],
        ]);
        doc.H(3, "SGD, GD and the SDE twins side by side (C5, C6)");
        doc.P(p.Sde
            ? "The same start, η and λ for the three dynamics, each read at a stated step (SGD also at the SDE twins' horizon when that is shorter). " +
              "C5: SGD steps down and never returns; C6: a continuous approximation does not reproduce that: GD (the mean step) can stay at a " +
              "rank-overestimating point, and the SDE twin, with SGD's exact per-step mean and covariance, should not be absorbed like SGD."
            : "SGD and the GD control (no SDE twins: `--sde off`).");
        AddComparison(doc, r);
        if (s.TotalReturns > 0 || r.Gd.Returns > 0)
            doc.P($"Returns: {s.TotalReturns} in {r.Chains.Count(c => c.Returns > 0)} of {r.Chains.Length} chains, the last at step " +
                  $"{(Opt(s.LastReturnStep) is { } last ? Steps(last) : "none")}; the GD control: {r.Gd.Returns}. C5 (no return) is claimed for η and λ " +
                  "small enough (THEORY.md §2; the derived regime of C1 is far below the η and λ of a run that shows a staircase in this budget), so a " +
                  "return here is a measurement outside that regime; one that the GD control shows too is the deterministic growth of a data " +
                  "direction past α early in the run, not a jump back caused by SGD's noise.");
        doc.H(3, "Levels below the start");
        doc.T(["level ρ", "chains that reached it", "hitting step: median (quartiles)", "offshoots before: mean test error", "offshoots after: mean test error"],
            s.Levels.Select(l => (IReadOnlyList<string>)
            [
                l.Rank == 0 ? "0 (collapse)" : l.Rank.ToString(Inv),
                $"{N(100 * l.FractionReached)} %",
                $"{S(Opt(l.StepMedian))} ({S(Opt(l.StepQ1))} – {S(Opt(l.StepQ3))})",
                N(Opt(l.OffshootErrorBefore)),
                N(Opt(l.OffshootErrorAfter)),
            ]));
        doc.H(3, "Where the chains stop: the truth's rank, or below it?");
        var byLevel = r.Chains.Where(c => FSharpOption<long>.get_IsNone(c.DivergenceStep) && c.Observations.Length > 0)
            .GroupBy(c => c.FinalLevel).OrderBy(g => g.Key).Select(g => (IReadOnlyList<string>)
            [
                g.Key.ToString(Inv),
                g.Count().ToString(Inv),
                N(g.Average(c => c.Observations[^1].TrainError)),
                N(g.Average(c => c.Observations[^1].TestError)),
                g.Key < s.TargetRank ? (g.Key == 0 ? "collapsed" : "below the truth's rank: underfits") : g.Key == s.TargetRank ? "the truth's rank" : "above it",
            ]).ToList();
        doc.P($"At the horizon of {Steps(p.Steps)} steps: the chains grouped by final level, with their mean training error (RMS on the observed " +
              "entries) and test error. A level below the truth's rank cannot fit generic observations of a rank-k truth; its training error says how " +
              "far from fitting it is.");
        doc.T(["final level", "chains", "mean training error", "mean test error", "reading"], byLevel);
        doc.F($"Leading singular values of A_θ over time: chain {CompletionFigures.ShownChain(r).Chain} (the chain that ended lowest) and the GD control.",
            SingularName + ".svg", SingularName + ".png", figs.Singular.Svg);
        doc.F("Hitting times: for each level (the lowest eight reached), the fraction of chains that had reached it by step t.",
            HittingName + ".svg", HittingName + ".png", figs.Hitting.Svg);
        doc.F("Offshoots: final test error of offshoots branched before (orange) and after (blue) their chain reached each level.",
            OffshootsName + ".svg", OffshootsName + ".png", figs.Offshoots.Svg);
        var diverged = r.Chains.Concat(r.Sde).Append(r.Gd).Where(c => FSharpOption<long>.get_IsSome(c.DivergenceStep)).ToList();
        if (diverged.Count > 0)
        {
            doc.H(3, "Divergences (η too large)");
            doc.P($"{diverged.Count} run(s) diverged: at the step below the residual or a weight (or A_θ) stopped being finite and the run stopped " +
                  "(chain −1 is the GD control; an SDE twin diverges when its Gaussian kicks throw θ far enough, a finding about the Euler–Maruyama " +
                  "chain at this η). A finding about the step size, not a crash; the tables use the last finite state.");
            doc.T(["run", "chain", "diverged at step", "level before", "last observed step"],
                diverged.Select(c => (IReadOnlyList<string>)[KindName(c.Kind).ToUpperInvariant(), c.Chain.ToString(Inv), Steps(c.DivergenceStep.Value),
                    c.FinalLevel.ToString(Inv), c.Observations.Length > 0 ? Steps(c.Observations[^1].Step) : "none"]));
        }
        doc.P("Replay this experiment (a generated task is regenerated from its family; `--task task.json` with the same options gives the same run):");
        doc.C(replay);
    }
}
