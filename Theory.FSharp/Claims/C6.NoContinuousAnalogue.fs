namespace LowRankVerify.Theory

/// Outcome of C6's gradient-descent part on one E1 case.
type GdStayResult =
    {
        /// s_2/s_1 at the rank-2 minimum found (None when the solver did not find a converged rank-2 minimum).
        Ratio: float option
        /// Smallest Hessian eigenvalue there, with its tolerance.
        MinEigenvalue: float * float
        /// Smallest s_2/s_1 along the GD run from the perturbed minimum.
        MinRatioAlong: float
        /// Steps run.
        Steps: int
    }

/// C6 No continuous analogue (THEORY.md §2): the absorption is not recovered by a continuous approximation.
/// Checked in E1's regime: gradient descent stays at rank 2 while SGD is absorbed at rank 1, and the SDE chain with
/// SGD's exact per-step mean and covariance is not absorbed (`check`); secondary: GD from a perturbed rank-2 minimum
/// keeps rank 2 (`gdStays`, also the hunt objective). SGD chains in the SDE's role must fail the check (the
/// control).
[<RequireQualifiedAccess>]
module C6 =

    /// Seed tag of C6's E1 runs (mixed into the budget's seed), so that C5, C6 and verify's E1 section run
    /// independent chains.
    [<Literal>]
    let seedTag = 0xC6UL

    /// Chains per required non-trivial run of C6: an SDE chain enters B_1 at rank 1 in about 72 % of cases
    /// (144 of 200 measured, the others diverge first), so three times the required number.
    [<Literal>]
    let chainsPerRequiredRun = 3


    /// Ratio s_2/s_1 of a product (0 when s_1 = 0).
    let secondRatio (a: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
        let s = Linalg.singularValues a
        if s.Length < 2 || s.[0] = 0.0 then 0.0 else s.[1] / s.[0]

    /// The GD control of C6 stayed at rank 2: no jump, collapse or divergence, numerical rank 2 at the end.
    let gdAtRankTwo (gd: E1Run) =
        gd.Outcome = E1Outcome.Stayed && gd.Events.Rank = 2

    /// How a run that jumped left the rank-1 part of B_1, in words ("" when it did not).
    let leftRankOneBy (r: E1Run) =
        [
            if r.Returns > 0 then
                yield sprintf "returned to rank 2 at step %d" r.Events.ReturnSteps.[0]
            match r.CollapseStep with
            | Some c -> yield sprintf "collapsed to 0 at step %d" c
            | None -> ()
            match r.DivergenceStep with
            | Some d -> yield sprintf "diverged at step %d" d
            | None -> ()
        ]
        |> String.concat ", "

    /// C6's verdict and non-triviality for one continuous chain `candidate` (the SDE chain s; a negative
    /// control passes another run) against its SGD twin and the GD control, all from W_ℓ = I with the same
    /// η and λ. The comparison is informative only when GD stays at rank 2 (else Inconclusive). Then the
    /// candidate is a Counterexample when it is absorbed at rank 1 (`E1.absorbedAtRankOne`), like SGD;
    /// otherwise Holds. Non-trivial: GD stayed at rank 2, the twin was absorbed at rank 1 (the start, η, λ
    /// and budget produce SGD's absorption), and the candidate itself entered B_1 at rank 1, so it could
    /// have stayed there.
    let judge (gd: E1Run) (twin: E1Run) (candidate: E1Run) : Verdict * bool =
        if not (gdAtRankTwo gd) then
            Verdict.Inconclusive, false
        elif E1.absorbedAtRankOne candidate then
            Verdict.Counterexample, E1.absorbedAtRankOne twin
        else
            Verdict.Holds, E1.absorbedAtRankOne twin && candidate.JumpStep.IsSome

    /// The non-triviality criterion of C6, one sentence.
    [<Literal>]
    let criterion =
        "SDE chains that entered B_1 at numerical rank 1 (so could have stayed there as SGD does) while their SGD twin (same start W_l = I, eta, lambda, budget) was absorbed at rank 1 and the GD control stayed at rank 2"

    /// s_2/s_1 below which a product counts as rank one (C6): E1's rank-2 minima have s_2/s_1 of order ε²
    /// or more, far above it, and a collapse drives it to round-off.
    [<Literal>]
    let rankTwoRatio = 1e-3

    /// Fraction of its value at the minimum that s_2/s_1 must keep along the GD run for the run to "stay at
    /// rank 2" (C6; a choice: leaving the minimum's basin drives the ratio toward 0).
    [<Literal>]
    let keepFraction = 0.5

    /// C6 (GD part) on E1's task: a rank-2 critical point from `CriticalPoints.solve` started at W_ℓ = I,
    /// confirmed a local minimum by its Hessian; then GD (η = 0.5/‖H‖) from a perturbation of relative size
    /// 1e-3 for `steps` steps; the run "stays at its rank" when s_2/s_1 never drops below half its value.
    let gdStays (eps: float) (depth: int) (lambda: float) (steps: int) (rng: Rng) : GdStayResult =
        let tk = Task.e1 eps
        let start = Network.identityLike 1.0 (Array.create (depth + 1) 2)
        let sol = CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 20000 start
        let ratio = secondRatio (Network.product sol.Network)

        if not sol.Converged || ratio < rankTwoRatio then
            {
                Ratio = None
                MinEigenvalue = (nan, nan)
                MinRatioAlong = nan
                Steps = 0
            }
        else
            let h = CriticalPoints.hessian tk lambda sol.Network
            let eig = h.Evd().EigenValues |> Seq.map (fun z -> z.Real) |> Seq.min
            let hNorm = h.L2Norm()
            let x = Network.toVector sol.Network
            let noise, _ = Rng.gaussians rng x.Length
            let nx = sqrt (x |> Array.sumBy (fun v -> v * v))
            let nn = sqrt (noise |> Array.sumBy (fun v -> v * v))

            let mutable net =
                Network.ofVector sol.Network (Array.map2 (fun a b -> a + 1e-3 * nx * b / nn) x noise)

            let hyper = { Eta = 0.5 / hNorm; Lambda = lambda }
            let mutable minRatio = secondRatio (Network.product net)

            for _ in 1..steps do
                net <- Gd.step hyper tk net
                minRatio <- min minRatio (secondRatio (Network.product net))

            {
                Ratio = Some ratio
                MinEigenvalue = (eig, NonTriviality.hessianTolerance h)
                MinRatioAlong = minRatio
                Steps = steps
            }

    /// Radii tried for the one-step SDE draws of the stored regression case `C6-control-sde-leaves`
    /// (Properties/regressions/make-regressions.fsx): ‖ξ‖ from 1 to 10⁴. Not part of the C6 check, which
    /// runs whole SDE chains (`check`).
    let sdeRadii = [| 1.0; 3.0; 10.0; 30.0; 100.0; 300.0; 1000.0; 3000.0; 10000.0 |]

    /// The SDE draw ξ = radius·u of a C1 case, u a unit vector: a random direction (`outward` = false, from
    /// `rng`) or the direction that increases ‖W_ℓ‖² of the largest layer to first order
    /// (u_k ∝ ⟨W_ℓ, Ḡ_ℓ − G_{k,ℓ}⟩); ξ = 0 when that direction is 0. Rebuilds the stored regression case
    /// `C6-control-sde-leaves` (a single Gaussian step leaves a bounded set for large enough ξ).
    let sdeDraw (c: ClosureCase) (outward: bool) (radius: float) (rng: Rng) : float[] =
        let dir =
            if outward then
                let l = Network.layerSquaredNorms c.Point |> Array.indexed |> Array.maxBy snd |> fst

                let grads =
                    c.Task.Observed
                    |> Array.map (fun e -> (Sgd.sampleGradient c.Task c.Point e).[l])

                let mean = (grads |> Array.reduce (+)) / float grads.Length

                grads
                |> Array.map (fun g -> -(Seq.sum ((c.Point.W.[l].PointwiseMultiply(g - mean)).Enumerate())))
            else
                fst (Rng.gaussians rng c.Task.N)

        let n = sqrt (dir |> Array.sumBy (fun v -> v * v))

        if n = 0.0 then
            dir
        else
            dir |> Array.map (fun v -> radius * v / n)

    /// The one-step SDE exit of the stored regression case (`sdeDraw`, `Sde.stepWith`): (left B_r beyond
    /// round-off, log-density of ξ).
    let sdeLeavesAt (c: ClosureCase) (outward: bool) (radius: float) (rng: Rng) : bool * float =
        let xi = sdeDraw c outward radius rng
        let next = Sde.stepWith c.Hyper c.Task xi c.Point

        let s, b =
            Region.slackAndBoundAfterStep c.Region c.Hyper.Eta (2.0 * c.Hyper.Eta * c.Hyper.Lambda) c.Task c.Point next

        let left =
            -s.Balancedness > b.Balancedness || -s.Rank > b.Rank || -s.Bounded > b.Bounded

        left, Sde.logDensity xi

    /// The random draws of C6's secondary GD part, case i: ε ∈ [0.1, 0.2], L ∈ 3..5, λ ∈ [0.002, 0.012].
    let gdStaysCase (seed: uint64) (i: int) =
        let mutable rng = Rng.stream (seed ^^^ seedTag) (uint64 i)
        let eps = 0.1 + 0.1 * Rng.nextFloat &rng
        let depth = 3 + Rng.nextInt &rng 3
        let lambda = 0.002 + 0.01 * Rng.nextFloat &rng
        eps, depth, lambda, rng

    /// GD steps of each run of C6's secondary GD part.
    [<Literal>]
    let gdStaysSteps = 2000

    /// C6 on finished E1 runs (`Check.e1ClaimParams budget seedTag chainsPerRequiredRun true`): one case per SDE chain against its SGD
    /// twin and the GD control (`judge`), the GD control's own record, and the secondary GD part `gd2`
    /// (E1 cases with their `gdStays` results).
    let outcome
        (budget: CheckBudget)
        (p: E1Params)
        (r: E1Result)
        (gd2: ((float * int * float) * GdStayResult) list)
        : CheckResult =
        let gd = r.Gd

        let sdeCases =
            r.Sde
            |> Array.map (fun c ->
                let twin = r.Chains.[c.Chain]
                let v, nt = judge gd twin c
                c, twin, v, nt)

        let records =
            [
                for i, (c, twin, v, nt) in Array.indexed sdeCases do
                    yield
                        Check.e1RunRecord
                            ClaimId.C6
                            i
                            p
                            c
                            v
                            nt
                            [
                                "twinStream", CaseValue.Seed (E1.streamOf p E1RunKind.Sgd twin.Chain).State
                                "twinOutcome", CaseValue.Text(sprintf "%A" twin.Outcome)
                                "twinJumpStep", CaseValue.Integer(defaultArg twin.JumpStep -1L)
                                "twinAbsorbedAtRankOne", CaseValue.Flag(E1.absorbedAtRankOne twin)
                                "gdAtRankTwo", CaseValue.Flag(gdAtRankTwo gd)
                                "E1.absorbedAtRankOne", CaseValue.Flag(E1.absorbedAtRankOne c)
                                "leftRankOneBy", CaseValue.Text(leftRankOneBy c)
                            ]
                yield
                    Check.e1RunRecord
                        ClaimId.C6
                        sdeCases.Length
                        p
                        gd
                        (if gdAtRankTwo gd then
                             Verdict.Holds
                         else
                             Verdict.Inconclusive)
                        false
                        [ "finalRank", CaseValue.Integer(int64 gd.Events.Rank) ]
                for i, ((eps, depth, lambda), g) in List.indexed gd2 do
                    let eig, tol = g.MinEigenvalue
                    let isMin = g.Ratio.IsSome && eig >= -tol

                    yield
                        {
                            Claim = ClaimId.C6
                            Index = sdeCases.Length + 1 + i
                            Kind = "GD from a perturbed rank-2 minimum (secondary)"
                            Task = Some(Task.e1 eps)
                            Layers = Some(Network.identityLike 1.0 (Array.create (depth + 1) 2))
                            Region = None
                            Eta = None
                            Lambda = Some lambda
                            Verdict =
                                (if not isMin then
                                     Verdict.Inconclusive
                                 elif g.MinRatioAlong < keepFraction * g.Ratio.Value then
                                     Verdict.Counterexample
                                 else
                                     Verdict.Holds)
                            NonTrivial = false
                            Values =
                                [
                                    "rule",
                                    CaseValue.Text(
                                        "C6.gdStays: CriticalPoints.solve from the start (layers), Hessian check, GD with eta = 0.5/||H|| from a 1e-3 relative Gaussian perturbation (stream C6.gdStaysCase)"
                                    )
                                    "seed", CaseValue.Seed budget.Seed
                                    "case", CaseValue.Integer(int64 i)
                                    "steps", CaseValue.Integer(int64 g.Steps)
                                    "ratioAtMinimum", CaseValue.Number(defaultArg g.Ratio -1.0)
                                    "minRatioAlong",
                                    CaseValue.Number(
                                        if System.Double.IsFinite g.MinRatioAlong then
                                            g.MinRatioAlong
                                        else
                                            -1.0
                                    )
                                    "minHessianEigenvalue",
                                    CaseValue.Number(if System.Double.IsFinite eig then eig else 0.0)
                                    "NonTriviality.hessianTolerance",
                                    CaseValue.Number(if System.Double.IsFinite tol then tol else 0.0)
                                    "keepFraction", CaseValue.Number keepFraction
                                ]
                        }
            ]

        let bad =
            [
                for (c, twin, v, _) in sdeCases do
                    if v = Verdict.Counterexample then
                        yield
                            {
                                Claim = ClaimId.C6
                                Description =
                                    sprintf
                                        "E1 eps=%g L=%d eta=%g lambda=%g: SDE chain %d (master seed %d) jumped into B_1 at rank 1 at step %d and stayed there to step %d, like its SGD twin (jump %s); GD stayed at rank 2"
                                        p.Epsilon
                                        p.Depth
                                        p.Eta
                                        p.Lambda
                                        c.Chain
                                        p.Seed
                                        c.JumpStep.Value
                                        p.Steps
                                        (twin.JumpStep |> Option.map string |> Option.defaultValue "none")
                                Violation = float (p.Steps - c.JumpStep.Value)
                                Bound = 0.0
                                Status = Verdict.Counterexample
                                Replay = Check.replay ClaimId.C6 budget None
                            }
                for ((eps, depth, lambda), g) in gd2 do
                    let eig, tol = g.MinEigenvalue

                    if g.Ratio.IsSome && eig >= -tol && g.MinRatioAlong < keepFraction * g.Ratio.Value then
                        yield
                            {
                                Claim = ClaimId.C6
                                Description =
                                    sprintf
                                        "GD left the rank-2 minimum of E1 eps=%.3g L=%d lambda=%.3g: s2/s1 %.3g -> %.3g"
                                        eps
                                        depth
                                        lambda
                                        g.Ratio.Value
                                        g.MinRatioAlong
                                Violation = g.Ratio.Value - g.MinRatioAlong
                                Bound = keepFraction * g.Ratio.Value
                                Status = Verdict.Counterexample
                                Replay = Check.replay ClaimId.C6 budget None
                            }
            ]

        let ks = r.Kinds
        let sgdK, sdeK = ks.[0], ks.[2]
        let sdeJumped = r.Sde |> Array.filter (fun c -> c.JumpStep.IsSome)

        let minima =
            gd2
            |> List.filter (fun (_, g) -> let e, t = g.MinEigenvalue in g.Ratio.IsSome && e >= -t)

        let cov =
            sprintf
                "GD control: %A, final rank %d. SGD: %d of %d absorbed at rank 1 (jump median %s). SDE: %d of %d entered B_1 at rank 1 (jump median %s), %d absorbed at rank 1; after the jump %d left B_1 (%d exits, largest relative excess %.3g), %d returned to rank 2, %d collapsed to 0, %d diverged; %d SDE chains diverged or stayed without jumping. Secondary: GD kept rank 2 at %d of %d Hessian-confirmed rank-2 minima (%d cases)"
                gd.Outcome
                gd.Events.Rank
                sgdK.Absorbed
                r.Chains.Length
                (sgdK.JumpMedian |> Option.map (sprintf "%.0f") |> Option.defaultValue "n/a")
                sdeK.Entered
                r.Sde.Length
                (sdeK.EntryMedian |> Option.map (sprintf "%.0f") |> Option.defaultValue "n/a")
                sdeK.Absorbed
                (sdeJumped |> Array.filter (fun c -> c.Events.B1Exits > 0) |> Array.length)
                (sdeJumped |> Array.sumBy (fun c -> c.Events.B1Exits))
                (sdeJumped
                 |> Array.map (fun c -> c.Events.MaxExcessAfterJump)
                 |> Array.filter System.Double.IsFinite
                 |> Array.fold max 0.0)
                (sdeJumped |> Array.filter (fun c -> c.Returns > 0) |> Array.length)
                (sdeJumped |> Array.filter (fun c -> c.CollapseStep.IsSome) |> Array.length)
                (sdeJumped |> Array.filter (fun c -> c.Diverged) |> Array.length)
                (r.Sde.Length - sdeJumped.Length)
                (minima.Length
                 - (bad |> List.filter (fun b -> b.Description.StartsWith "GD left") |> List.length))
                minima.Length
                gd2.Length

        {
            Statement =
                sprintf
                    "E1 regime (eps = %g, L = %d, width %d, W_l = I, eta = %g, lambda = %g, %d steps; C6's own %d SGD chains, %d SDE chains and GD control, seed ^ 0xC6, every step monitored): GD stays at rank 2 while SGD is absorbed at rank 1, and the SDE chain with SGD's exact per-step mean and covariance (Euler-Maruyama, SdeEngine.step) is not: no SDE chain that entered B_1 at rank 1 stays there (no return, collapse or divergence) to the end of the budget. Secondary: GD from a perturbed Hessian-confirmed rank-2 minimum keeps rank 2"
                    p.Epsilon
                    p.Depth
                    p.Width
                    p.Eta
                    p.Lambda
                    p.Steps
                    p.Seeds
                    (E1.sdeCount p)
            Verdict =
                (if not bad.IsEmpty then Verdict.Counterexample
                 elif not (gdAtRankTwo gd) then Verdict.Inconclusive
                 else Verdict.Holds)
            CasesTried = records.Length
            NonTrivialCases = ClaimOutcome.nonTrivialCount records
            BoundaryCoverage = cov
            Cases = records
            Counterexamples = bad
        }

    /// C6 (THEORY.md §2) in the E1 regime: `Check.e1ClaimParams budget seedTag chainsPerRequiredRun true` (SGD chains, as many SDE
    /// chains, the GD control; every step monitored), each SDE chain judged against its SGD twin and GD
    /// (`judge`); plus the secondary GD part (`gdStays` at `budget.MinNonTrivialRuns` E1 cases).
    let check (budget: CheckBudget) (progress: string -> unit) : CheckResult =
        let p = Check.e1ClaimParams budget seedTag chainsPerRequiredRun true

        let r = E1.run p Check.e1ClaimThreads ignore

        let gd2 =
            [
                for i in 0 .. max 2 budget.MinNonTrivialRuns - 1 do
                    let eps, depth, lambda, rng = gdStaysCase budget.Seed i
                    yield (eps, depth, lambda), gdStays eps depth lambda gdStaysSteps rng
            ]

        let o = outcome budget p r gd2
        progress ("C6: " + o.BoundaryCoverage)
        o

    /// C6's negative control: the same check with SGD chains in the role of the continuous chains (each SGD
    /// chain of C6's parameters judged against itself as twin and the GD control): SGD is absorbed at rank 1,
    /// so the check must find a counterexample. Returns the first chain index that fails, with its text.
    let sgdAsContinuous (budget: CheckBudget) (gd: E1Run) (chain: int) : string option =
        let p = Check.e1ClaimParams budget seedTag chainsPerRequiredRun false
        let sgd = E1.chain p chain

        match judge gd sgd sgd with
        | Verdict.Counterexample, _ ->
            Some(
                sprintf
                    "SGD chain %d (master seed %d) in the SDE's role: jumped into B_1 at rank 1 at step %d and stayed there to step %d"
                    chain
                    p.Seed
                    sgd.JumpStep.Value
                    p.Steps
            )
        | _ -> None

    /// C6's negative control: SGD chains in the SDE chains' role are absorbed at rank 1, so the check fails; it
    /// must.
    let controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list =
        [
            fun budget progress ->
                let gd =
                    lazy (E1.gdControl (Check.e1ClaimParams budget seedTag chainsPerRequiredRun false))

                Check.control
                    "C6 with SGD chains in place of the SDE chains"
                    ClaimId.C6
                    (max 1 (2 * budget.MinNonTrivialRuns))
                    (fun i -> sgdAsContinuous budget gd.Value i)
                    progress
        ]

    /// s_2/s_1 of the product; NaN (a diverged run) when it is not finite or its SVD fails to converge.
    let private safeRatio (net: Network) =
        let a = Network.product net

        if not (Linalg.isFinite a) then
            nan
        else
            try
                secondRatio a
            with :? MathNet.Numerics.NonConvergenceException ->
                nan

    /// C6 objective on one case: the rank-2 minimum of E1 (`gdStays` machinery, with GD's η
    /// multiplied by `etaFactor`), score = (1 − keepFraction) − (min ratio along)/(ratio at the minimum):
    /// > 0 when GD lost rank 2 (violation = ratio − min ratio, bound = keepFraction · ratio).
    let evaluate (o: HuntOverrides) (gdSteps: int) (s: GdSpec) =
        let lambda = defaultArg o.Lambda s.Lambda
        let depth = defaultArg o.Depth s.Depth
        let tk = Task.e1 s.Epsilon
        let start = Network.identityLike 1.0 (Array.create (depth + 1) 2)
        let sol = CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 5000 start
        let ratio = secondRatio (Network.product sol.Network)

        if not sol.Converged || ratio < rankTwoRatio then
            Hunt.outOfScope
        else
            let h = CriticalPoints.hessian tk lambda sol.Network
            let eig = h.Evd().EigenValues |> Seq.map (fun z -> z.Real) |> Seq.min
            let isMin = eig >= -(NonTriviality.hessianTolerance h)

            if o.InRegimeOnly && not isMin then
                Hunt.outOfScope
            else
                let x = Network.toVector sol.Network
                let noise, _ = Rng.gaussians (Rng.stream s.Seed 6UL) x.Length
                let nx = sqrt (x |> Array.sumBy (fun v -> v * v))
                let nn = sqrt (noise |> Array.sumBy (fun v -> v * v))

                let mutable net =
                    Network.ofVector sol.Network (Array.map2 (fun a b -> a + 1e-3 * nx * b / nn) x noise)

                let hyper =
                    {
                        Eta = 0.5 / h.L2Norm() * o.EtaFactor
                        Lambda = lambda
                    }

                let mutable minRatio = secondRatio (Network.product net)
                let mutable k = 0

                while k < gdSteps && System.Double.IsFinite minRatio do
                    net <- Gd.step hyper tk net

                    minRatio <-
                        if net.W |> Array.forall Linalg.isFinite then
                            min minRatio (safeRatio net)
                        else
                            nan

                    k <- k + 1

                let minRatio = if System.Double.IsNaN minRatio then 0.0 else minRatio
                let v = ratio - minRatio
                let b = (1.0 - keepFraction) * ratio

                {
                    Score = (v - b) / ratio
                    AltScore = (v - b) / ratio
                    Violation = v
                    Bound = b
                    Status = (if v > b then Verdict.Counterexample else Verdict.Holds)
                    InRegime = isMin && o.EtaFactor <= 1.0
                    Description =
                        sprintf
                            "E1 eps=%.4g L=%d lambda=%.4g: rank-2 critical point (s2/s1 = %.4g, min Hessian eigenvalue %.3g), GD eta = %.3g for %d steps: s2/s1 fell to %.4g"
                            s.Epsilon
                            depth
                            lambda
                            ratio
                            eig
                            hyper.Eta
                            gdSteps
                            minRatio
                    Case = None
                }

    /// C6's hunt problem (its gradient-descent part) under fixed values, GD runs of `gdSteps` steps.
    let problem (o: HuntOverrides) (gdSteps: int) : Problem<GdSpec> =
        {
            Sample = ClaimCases.gdSpec
            Aimed = ClaimCases.gdSpec
            Mutate = Mutate.gdSpec
            Evaluate = evaluate o gdSteps
            Shrinks = Shrink.gdSpec o
            Size = Shrink.gdSize
            Parameters =
                fun s ->
                    [
                        "epsilon", Hunt.number s.Epsilon
                        "depth", string s.Depth
                        "lambda", Hunt.number s.Lambda
                        "seed", string s.Seed
                        "gdSteps", string gdSteps
                    ]
        }

    /// C6's hunter: `problem` with GD runs of max(200, 5 × the settings' steps).
    let hunter =
        Hunt.hunter (fun settings -> problem settings.Overrides (max 200 (settings.Steps * 5)))

    /// C6 in the registry.
    let definition: ClaimDefinition =
        ClaimDefinition.asserted
            ClaimId.C6
            "No continuous analogue"
            criterion
            Required.Runs
            check
            controls
            (Some hunter)
