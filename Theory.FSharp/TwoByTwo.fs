namespace LowRankVerify.Theory

/// Parameters of the slides' experiment E1 (THEORY.md §5). Every one is stated in the report.
type TwoByTwoParams =
    {
        /// ε of the task `[[1, 1/ε], [ε, 1]]` (entry (0, 1) unobserved, the test entry).
        Epsilon: float
        /// Depth L (number of weight matrices).
        Depth: int
        /// Hidden width n_1 = … = n_{L-1} (d_in = d_out = 2).
        Width: int
        /// Learning rate η of the main SGD run and of the gradient-descent control.
        Eta: float
        /// Regularisation λ of the main SGD run and of the gradient-descent control.
        Lambda: float
        /// SGD steps of each main run (and gradient-descent steps of the control).
        Steps: int64
        /// Number of independent SGD chains (seeds).
        Seeds: int
        /// Master seed S: chain s draws its entries from `Rng.stream S s`.
        Seed: uint64
        /// Offshoots per chain, branched at log-spaced steps.
        Offshoots: int
        /// Learning rate of the offshoots (smaller than η).
        OffshootEta: float
        /// Regularisation of the offshoots (smaller than λ).
        OffshootLambda: float
        /// Largest number of SGD steps an offshoot may take before it is declared unconverged.
        OffshootMaxSteps: int64
        /// Observation points per decade of the log-spaced step grid.
        ObservationsPerDecade: int
    }

/// One observation of a run at a step of the log-spaced grid.
type TwoByTwoObservation =
    {
        /// Steps taken so far.
        Step: int64
        /// s_1 of A_θ.
        S1: float
        /// s_2 of A_θ.
        S2: float
        /// s_2/s_1 of A_θ (0 when s_1 = 0).
        Ratio: float
        /// Error on the unobserved entry (0, 1): `Loss.testError`.
        TestError: float
        /// θ ∈ B_1 with the experiment's constants (`TwoByTwo.jumpRegion`).
        InB1: bool
        /// Numerical rank of A_θ: 0 when s_1 < `TwoByTwo.collapseThreshold`, 1 when s_2/s_1 <
        /// `TwoByTwo.rankOneRatio`, else 2.
        Rank: int
    }

/// An offshoot: a run branched from a main run and continued with smaller η and λ to convergence.
type TwoByTwoOffshoot =
    {
        /// Step of the main run at which it branched.
        BranchStep: int64
        /// SGD steps the offshoot took.
        Steps: int64
        /// True when the convergence test passed before `OffshootMaxSteps`.
        Converged: bool
        /// Test error at the end of the offshoot.
        FinalTestError: float
        /// s_2/s_1 at the end of the offshoot.
        FinalRatio: float
        /// Numerical rank at the end of the offshoot.
        FinalRank: int
        /// True when the offshoot diverged (non-finite residual or weight); the final values are then
        /// those of the last finite block, so no report ever holds NaN.
        Diverged: bool
    }

/// One run (an SGD chain or the gradient-descent control).
type TwoByTwoRun =
    {
        /// Chain index s (stream `Rng.stream S s`); -1 for the gradient-descent control.
        Chain: int
        /// Observations on the log-spaced grid, step 0 first.
        Observations: TwoByTwoObservation[]
        /// First observed step with θ ∈ B_1 and numerical rank 1 (the jump), None when it never happened.
        JumpStep: int64 option
        /// First observed step with numerical rank 0 (collapse to the zero network), None when never.
        CollapseStep: int64 option
        /// Observations after the jump at which the rank went from 1 back to 2 (C5: expected 0).
        Returns: int
        /// True when the run produced a non-finite residual (it stops there).
        Diverged: bool
        /// Zero-based index of the step that diverged (so that many steps had completed before it): the
        /// first step whose residual or weights are not finite, or after which A_θ or its spectrum
        /// overflows. None when the run did not diverge; the last observation is the last finite state.
        DivergenceStep: int64 option
        /// Offshoots branched from this run (empty for the control).
        Offshoots: TwoByTwoOffshoot[]
    }

/// Where a run of E1 (an SGD chain or the GD control) stands between two segments: everything needed
/// to continue it bit for bit, so a run cut into segments (and checkpointed between them) gives the same
/// `TwoByTwoRun` as one uninterrupted run (property-tested in Properties/TwoByTwoTests.fs).
type TwoByTwoCursor =
    {
        /// Chain index s; -1 for the gradient-descent control.
        Chain: int
        /// Steps taken so far.
        Step: int64
        /// Index into the run's observation grid (`TwoByTwo.runGrid`) of the next observation.
        Next: int
        /// The chain's entry stream, advanced to `Step` (unused by the GD control).
        Rng: Rng
        /// θ after `Step` steps, exactly as the engine holds it, while the run is in progress; None
        /// before its first step (θ = `TwoByTwo.start`) and once it is done, so that runs waiting or
        /// finished hold no weights (memory stays bounded by the runs in progress).
        Engine: EngineSnapshot option
        /// Observations so far.
        Observations: TwoByTwoObservation[]
        /// Offshoots so far.
        Offshoots: TwoByTwoOffshoot[]
        /// Zero-based index of the step that diverged, when the run diverged (then `Done`).
        DivergenceStep: int64 option
        /// True when the run is finished (every grid point observed, or diverged).
        Done: bool
    }

/// Summary over the SGD chains.
type TwoByTwoSummary =
    {
        /// Fraction of chains that jumped to rank 1 within the budget.
        FractionJumped: float
        /// Fraction of chains that collapsed to the zero network.
        FractionCollapsed: float
        /// Fraction of chains that diverged.
        FractionDiverged: float
        /// Median jump step over the chains that jumped (None when none did).
        JumpMedian: float option
        /// First quartile of the jump step.
        JumpQ1: float option
        /// Third quartile of the jump step.
        JumpQ3: float option
        /// Returns to rank 2 after a jump, summed over chains.
        TotalReturns: int
        /// Numerical rank of the gradient-descent control at the end.
        GdFinalRank: int
        /// Step at which the gradient-descent control entered B_1 at rank 1, if ever.
        GdJumpStep: int64 option
        /// Mean final test error of offshoots branched after their chain's jump (None when none).
        OffshootErrorAfterJump: float option
        /// Mean final test error of offshoots branched before their chain's jump (or in chains that never jumped).
        OffshootErrorBeforeJump: float option
    }

/// Everything E1 produced.
type TwoByTwoResult =
    {
        /// The parameters.
        Params: TwoByTwoParams
        /// The B_1 constants used for the jump detection.
        Region: RegionParams
        /// The SGD chains, chain 0 first.
        Chains: TwoByTwoRun[]
        /// The gradient-descent control from the same start with the same η and λ.
        Gd: TwoByTwoRun
        /// Summary over the chains.
        Summary: TwoByTwoSummary
    }

/// The slides' experiment E1 (THEORY.md §5): SGD on the 2×2 completion task `[[1, *], [ε, 1]]` from
/// W_ℓ = I, observed on a log-spaced grid; the jump to rank 1 (entry into B_1), returns to rank 2,
/// offshoots with smaller η and λ, and the gradient-descent control. Pure: no console or file output;
/// the only side channel is the `progress` callback.
[<RequireQualifiedAccess>]
module TwoByTwo =

    /// Numerical rank 1 threshold on s_2/s_1 (choice): a ratio below 1e-2 counts as rank 1. At the
    /// rank-2 minimum of E1 the ratio is of order ε or larger, and after a jump it decays geometrically
    /// towards 0, so the threshold separates the two by orders of magnitude.
    [<Literal>]
    let rankOneRatio = 1e-2

    /// s_1 below this counts as the zero network (rank 0, collapse; choice): far below the s_1 ≈ 1 of
    /// every fit of the task.
    [<Literal>]
    let collapseThreshold = 1e-3

    /// Relative change of the offshoot's loss per convergence block below which it has converged.
    [<Literal>]
    let offshootTolerance = 1e-3

    /// The defaults of E1 (measured; see the report text for the regime map).
    let defaults =
        {
            Epsilon = 0.1
            Depth = 4
            Width = 2
            Eta = 0.5
            Lambda = 0.02
            Steps = 3_000_000L
            Seeds = 16
            Seed = 1UL
            Offshoots = 10
            OffshootEta = 0.05
            OffshootLambda = 0.00005
            OffshootMaxSteps = 1_000_000L
            ObservationsPerDecade = 40
        }

    /// `p` with another budget: steps per chain, number of chains and master seed.
    let withBudget (steps: int64) (seeds: int) (seed: uint64) (p: TwoByTwoParams) =
        { p with
            Steps = steps
            Seeds = seeds
            Seed = seed
        }

    /// The experiment's task `[[1, 1/ε], [ε, 1]]`, entry (0, 1) unobserved (`Task.twoByTwo`).
    let task (p: TwoByTwoParams) = Task.twoByTwo p.Epsilon

    /// Widths [2; w; …; w; 2] of the network (L + 1 numbers).
    let widths (p: TwoByTwoParams) =
        Array.init (p.Depth + 1) (fun k -> if k = 0 || k = p.Depth then 2 else p.Width)

    /// Checks every parameter: finite and in range (ε > 0, L ≥ 1, width ≥ 1, η > 0, λ ≥ 0,
    /// 2ηλ < 1, steps ≥ 1, seeds ≥ 1, offshoots ≥ 0, offshoot η in (0, η], offshoot λ in [0, λ],
    /// offshoot steps ≥ 1, 1 ≤ observations per decade ≤ 1000).
    let validate (p: TwoByTwoParams) : Result<TwoByTwoParams, InputError> =
        let bad f r = Error(InputError.create f r)
        let fin (x: float) = System.Double.IsFinite x

        if not (fin p.Epsilon) || p.Epsilon <= 0.0 then
            bad "epsilon" "must be a finite number > 0"
        elif p.Depth < 1 || p.Depth > 64 then
            bad "depth" "must be an integer in 1..64"
        elif p.Width < 1 || p.Width > 64 then
            bad "width" "must be an integer in 1..64"
        elif not (fin p.Eta) || p.Eta <= 0.0 then
            bad "eta" "must be a finite number > 0"
        elif not (fin p.Lambda) || p.Lambda < 0.0 then
            bad "lambda" "must be a finite number >= 0"
        elif 2.0 * p.Eta * p.Lambda >= 1.0 then
            bad "eta, lambda" "must satisfy 2*eta*lambda < 1 (the decay factor 1 - 2*eta*lambda must be positive)"
        elif p.Steps < 1L || p.Steps > 10_000_000_000L then
            bad "steps" "must be an integer in 1..1e10"
        elif p.Seeds < 1 || p.Seeds > 100_000 then
            bad "seeds" "must be an integer in 1..100000"
        elif p.Offshoots < 0 || p.Offshoots > 1000 then
            bad "offshoots" "must be an integer in 0..1000"
        elif not (fin p.OffshootEta) || p.OffshootEta <= 0.0 || p.OffshootEta > p.Eta then
            bad "offshoot-eta" "must be a finite number in (0, eta]"
        elif
            not (fin p.OffshootLambda)
            || p.OffshootLambda < 0.0
            || p.OffshootLambda > p.Lambda
        then
            bad "offshoot-lambda" "must be a finite number in [0, lambda]"
        elif p.OffshootMaxSteps < 1L then
            bad "offshoot-steps" "must be an integer >= 1"
        elif p.ObservationsPerDecade < 1 || p.ObservationsPerDecade > 1000 then
            bad "observations-per-decade" "must be an integer in 1..1000"
        else
            Ok p

    /// s_1 of the rank-1 completion A* = [[1, 1/ε], [ε, 1]], i.e. its Frobenius norm.
    let targetS1 (p: TwoByTwoParams) =
        sqrt (2.0 + p.Epsilon * p.Epsilon + 1.0 / (p.Epsilon * p.Epsilon))

    /// B_1 constants of the jump detection (choice, THEORY.md §1 B_r), relative to the balanced rank-1
    /// fit of A*, whose layers have s_1(W_ℓᵀW_ℓ) = σ := s_1(A*)^{2/L}:
    /// r = 1; piecewise f_α with α = σ/4, so the surviving direction counts 1 as soon as it holds a
    /// quarter of the rank-1 solution's per-layer mass; ε2 = 0.1, so the second direction must carry
    /// s_2(W_ℓᵀW_ℓ) ≤ 0.1 α = σ/40; ε1 = 0.1 σ² (balancedness within 10 % of the squared mass);
    /// C = 4σ (‖W_ℓ‖_F² ≤ four times the rank-1 fit's).
    let jumpRegion (p: TwoByTwoParams) : RegionParams =
        let sigma = targetS1 p ** (2.0 / float p.Depth)

        {
            R = 1
            Eps1 = 0.1 * sigma * sigma
            Eps2 = 0.1
            Alpha = sigma / 4.0
            C = 4.0 * sigma
            Family = FAlphaFamily.Piecewise
        }

    /// Log-spaced observation grid: 0, then round(10^(k/ppd)) for k ≥ 0 up to `steps`, deduplicated,
    /// together with the `extra` steps (branch points), ending at `steps`.
    let grid (perDecade: int) (steps: int64) (extra: int64[]) : int64[] =
        let decades = log10 (float (max steps 1L))
        let n = int (ceil (decades * float perDecade))

        seq {
            yield 0L

            for k in 0..n do
                yield int64 (round (10.0 ** (float k / float perDecade)))

            yield! extra
            yield steps
        }
        |> Seq.filter (fun s -> s >= 0L && s <= steps)
        |> Seq.distinct
        |> Seq.sort
        |> Seq.toArray

    /// The K branch steps of the offshoots: log-spaced from 100 (or 1 when steps < 1000) to `steps`.
    let branchSteps (offshoots: int) (steps: int64) : int64[] =
        if offshoots <= 0 then
            [||]
        else
            let lo = if steps >= 1000L then 2.0 else 0.0
            let hi = log10 (float steps)

            Array.init offshoots (fun k ->
                let x =
                    if offshoots = 1 then
                        hi
                    else
                        lo + (hi - lo) * float k / float (offshoots - 1)

                min steps (max 1L (int64 (round (10.0 ** x)))))
            |> Array.distinct

    /// Numerical rank of A_θ from its two singular values (see `rankOneRatio`, `collapseThreshold`).
    let rankOf (s1: float) (s2: float) =
        if s1 < collapseThreshold then 0
        elif s2 / s1 < rankOneRatio then 1
        else 2

    /// Singular values (s_1, s_2) of a 2×2 matrix in closed form: with F = ‖A‖_F and d = |det A|,
    /// s_1 = (sqrt(F² + 2d) + sqrt(max 0 (F² − 2d)))/2 and s_2 = d/s_1 (no cancellation). Used instead of
    /// an iterative SVD, which fails to converge on products near underflow (collapsed runs, L ≥ 6).
    let singularValues2 (a: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
        let scale = Linalg.maxAbs a

        if scale = 0.0 then
            0.0, 0.0
        else
            let x = a.Map(fun v -> v / scale) // entry-wise: 1/scale overflows for a subnormal scale
            let f2 = Linalg.squaredFrobenius x
            let d = abs (x.[0, 0] * x.[1, 1] - x.[0, 1] * x.[1, 0])
            let s1 = (sqrt (f2 + 2.0 * d) + sqrt (max 0.0 (f2 - 2.0 * d))) / 2.0
            scale * s1, scale * (d / s1)

    /// Observes θ (held by an engine state) at `step`.
    let observe (task: Task) (region: RegionParams) (s: EngineState) (step: int64) : TwoByTwoObservation =
        let net = Engine.toNetwork s
        let a = Network.product net
        let s1, s2 = singularValues2 a

        {
            Step = step
            S1 = s1
            S2 = s2
            Ratio = (if s1 > 0.0 then s2 / s1 else 0.0)
            TestError = (Loss.testError task a |> Option.defaultValue 0.0)
            InB1 = Region.contains region net
            Rank = rankOf s1 s2
        }

    /// One full-batch gradient-descent step (THEORY.md §1) in place, through D2: θ ← (1 − 2ηλ)θ +
    /// (η/N) Σ_{(i,j)∈I} r_ij a_ℓ b_ℓᵀ, each rank-one term computed by the engine at the same θ on
    /// `scratch`. Equals `Gd.step` up to round-off. `theta` and `delta` are scratch arrays of θ's size.
    let gdStep (s: EngineState) (scratch: EngineState) (theta: float[]) (delta: float[]) (hyper: Hyper) : bool =
        let len = s.Weights.Length
        Engine.normalise s
        System.Array.Copy(s.Weights, theta, len)
        System.Array.Clear(delta, 0, len)
        let n = s.ObservedRow.Length
        let etaN = hyper.Eta / float n
        let mutable ok = true

        for k in 0 .. n - 1 do
            Engine.setWeights scratch theta
            let r = Engine.stepWithDecay scratch 1.0 etaN s.ObservedRow.[k] s.ObservedCol.[k]

            if not (System.Double.IsFinite r) then
                ok <- false

            Engine.normalise scratch

            for m in 0 .. len - 1 do
                delta.[m] <- delta.[m] + (scratch.Weights.[m] - theta.[m])

        let decay = 1.0 - 2.0 * hyper.Eta * hyper.Lambda

        for m in 0 .. len - 1 do
            delta.[m] <- decay * theta.[m] + delta.[m]

        Engine.setWeights s delta
        ok && Engine.isFinite s

    /// Jump step, collapse step and returns of a sequence of observations.
    let private events (obs: TwoByTwoObservation[]) =
        let jump =
            obs
            |> Array.tryFind (fun o -> o.InB1 && o.Rank = 1)
            |> Option.map (fun o -> o.Step)

        let collapse =
            obs |> Array.tryFind (fun o -> o.Rank = 0) |> Option.map (fun o -> o.Step)

        let returns =
            match jump with
            | None -> 0
            | Some j ->
                let after = obs |> Array.filter (fun o -> o.Step >= j)

                after
                |> Array.pairwise
                |> Array.filter (fun (a, b) -> a.Rank <= 1 && b.Rank = 2)
                |> Array.length

        jump, collapse, returns

    /// An offshoot (THEORY.md §5): continue SGD from a copy of `s` with the offshoot's η and λ until the
    /// loss settles (`Offshoot.run` with `offshootTolerance`, at most `OffshootMaxSteps`), observed at the end.
    let offshoot (p: TwoByTwoParams) (task: Task) (s: EngineState) (rng: Rng) (branch: int64) : TwoByTwoOffshoot =
        let hyper =
            {
                Eta = p.OffshootEta
                Lambda = p.OffshootLambda
            }

        let run = Offshoot.run task hyper offshootTolerance p.OffshootMaxSteps s rng
        let o = observe task (jumpRegion p) run.Final (branch + run.Steps)

        {
            BranchStep = branch
            Steps = run.Steps
            Converged = run.Converged
            FinalTestError = o.TestError
            FinalRatio = o.Ratio
            FinalRank = o.Rank
            Diverged = run.Diverged
        }

    /// The start of every run: W_ℓ = I (rectangular identity) for every layer.
    let start (p: TwoByTwoParams) = Network.identityLike 1.0 (widths p)

    /// The observation grid of run `chain` (-1: the GD control, no branch points; chains: with the
    /// offshoots' branch steps).
    let runGrid (p: TwoByTwoParams) (chain: int) =
        if chain < 0 then
            grid p.ObservationsPerDecade p.Steps [||]
        else
            grid p.ObservationsPerDecade p.Steps (branchSteps p.Offshoots p.Steps)

    /// True when every number of the observation is finite (a finite θ can still overflow in A_θ).
    let finiteObservation (o: TwoByTwoObservation) =
        System.Double.IsFinite o.S1
        && System.Double.IsFinite o.S2
        && System.Double.IsFinite o.Ratio
        && System.Double.IsFinite o.TestError

    /// The cursor of run `chain` (-1: the GD control) before its first step: θ = `start p`, the chain's
    /// stream `Rng.stream S s`, nothing observed.
    let cursorStart (p: TwoByTwoParams) (chain: int) : TwoByTwoCursor =
        {
            Chain = chain
            Step = 0L
            Next = 0
            Rng =
                (if chain < 0 then
                     Rng.create p.Seed
                 else
                     Rng.stream p.Seed (uint64 chain))
            Engine = None
            Observations = [||]
            Offshoots = [||]
            DivergenceStep = None
            Done = false
        }

    /// Continues the run of cursor `c` by at most `budget` steps (observations and offshoots at the grid
    /// points it reaches do not count against the budget) and returns the new cursor; `c` is unchanged.
    /// SGD chain s draws its entries from `Rng.stream S s` and offshoot k from
    /// `Rng.stream (Rng.stream S s).State k`; the GD control takes full-batch steps (`gdStep`).
    /// Segmenting is exact: advancing by a then b steps equals advancing by a + b.
    let advance (p: TwoByTwoParams) (c: TwoByTwoCursor) (budget: int64) : TwoByTwoCursor =
        if c.Done then
            c
        else
            let task = task p
            let region = jumpRegion p
            let hyper = { Eta = p.Eta; Lambda = p.Lambda }

            let st =
                match c.Engine with
                | None -> Engine.create task (start p)
                | Some snap ->
                    match Engine.restore task (widths p) snap with
                    | Ok st -> st
                    | Error e -> invalidArg "c" (string e)

            let points = runGrid p c.Chain

            let branches =
                if c.Chain < 0 then
                    [||]
                else
                    branchSteps p.Offshoots p.Steps

            let chainRng = Rng.stream p.Seed (uint64 (max c.Chain 0))
            let gd = c.Chain < 0
            let scratch = if gd then Engine.copy st else st
            let theta: float[] = if gd then Array.zeroCreate st.Weights.Length else [||]
            let delta: float[] = if gd then Array.zeroCreate st.Weights.Length else [||]
            let mutable rng = c.Rng
            let mutable t = c.Step
            let mutable next = c.Next
            let mutable left = budget
            let mutable diverged = c.DivergenceStep
            let obs = ResizeArray(c.Observations)
            let offs = ResizeArray(c.Offshoots)
            let mutable fin = next >= points.Length

            while not fin && (left > 0L || points.[next] = t) do
                let target = points.[next]

                if target > t then
                    let n = min (target - t) left

                    if gd then
                        let mutable k = 0L

                        while diverged.IsNone && k < n do
                            if not (gdStep st scratch theta delta hyper) then
                                diverged <- Some t

                            t <- t + 1L
                            k <- k + 1L

                        left <- left - k
                    else
                        match Engine.runDetailed st hyper &rng n with
                        | RunOutcome.Completed k
                        | RunOutcome.Stopped k ->
                            t <- t + k
                            left <- left - k
                        | RunOutcome.Diverged k ->
                            diverged <- Some(t + k)
                            t <- t + k + 1L
                            left <- left - (k + 1L)

                    if diverged.IsSome then
                        fin <- true

                if not fin && t = target then
                    let o = observe task region st t

                    if finiteObservation o then
                        obs.Add o

                        match Array.tryFindIndex ((=) t) branches with
                        | Some k -> offs.Add(offshoot p task st (Rng.stream chainRng.State (uint64 k)) t)
                        | None -> ()

                        next <- next + 1

                        if next >= points.Length then
                            fin <- true
                    else
                        // The weights are finite but A_θ (or its spectrum) overflows: the last step diverged.
                        diverged <- Some(t - 1L)
                        fin <- true

            { c with
                Step = t
                Next = next
                Rng = rng
                Engine = (if fin then None else Some(Engine.capture st))
                Observations = obs.ToArray()
                Offshoots = offs.ToArray()
                DivergenceStep = diverged
                Done = fin
            }

    /// The run of a finished (or, for partial reports, unfinished) cursor: its observations, the jump,
    /// collapse and return events, divergence and offshoots.
    let finish (c: TwoByTwoCursor) : TwoByTwoRun =
        let jump, collapse, returns = events c.Observations

        {
            Chain = c.Chain
            Observations = c.Observations
            JumpStep = jump
            CollapseStep = collapse
            Returns = returns
            Diverged = c.DivergenceStep.IsSome
            DivergenceStep = c.DivergenceStep
            Offshoots = c.Offshoots
        }

    /// One SGD chain s (the whole run as one segment of `advance`): entries drawn from `Rng.stream S s`;
    /// offshoot k draws from `Rng.stream (Rng.stream S s).State k`.
    let chain (p: TwoByTwoParams) (s: int) : TwoByTwoRun =
        advance p (cursorStart p s) System.Int64.MaxValue |> finish

    /// The gradient-descent control: same start, same η and λ, `Steps` full-batch steps, observed on the
    /// same grid.
    let gdControl (p: TwoByTwoParams) : TwoByTwoRun =
        advance p (cursorStart p -1) System.Int64.MaxValue |> finish

    /// Quantile q of sorted data by linear interpolation between order statistics (type 7).
    let quantile (sorted: float[]) (q: float) =
        if sorted.Length = 0 then
            None
        else
            let h = float (sorted.Length - 1) * q
            let lo = int (floor h)
            let hi = min (lo + 1) (sorted.Length - 1)
            Some(sorted.[lo] + (h - float lo) * (sorted.[hi] - sorted.[lo]))

    /// Summary over the chains and the control.
    let summarize (chains: TwoByTwoRun[]) (gd: TwoByTwoRun) : TwoByTwoSummary =
        let n = float chains.Length

        let jumps =
            chains |> Array.choose (fun c -> c.JumpStep) |> Array.map float |> Array.sort

        let frac f =
            float (chains |> Array.filter f |> Array.length) / n

        let after, before =
            chains
            |> Array.collect (fun c ->
                c.Offshoots
                |> Array.map (fun o ->
                    (match c.JumpStep with
                     | Some j -> o.BranchStep >= j
                     | None -> false),
                    o.FinalTestError))
            |> Array.partition fst

        let mean (xs: (bool * float)[]) =
            if xs.Length = 0 then
                None
            else
                Some(xs |> Array.averageBy snd)

        let gdLast = gd.Observations.[gd.Observations.Length - 1]

        {
            FractionJumped = frac (fun c -> c.JumpStep.IsSome)
            FractionCollapsed = frac (fun c -> c.CollapseStep.IsSome)
            FractionDiverged = frac (fun c -> c.Diverged)
            JumpMedian = quantile jumps 0.5
            JumpQ1 = quantile jumps 0.25
            JumpQ3 = quantile jumps 0.75
            TotalReturns = chains |> Array.sumBy (fun c -> c.Returns)
            GdFinalRank = gdLast.Rank
            GdJumpStep = gd.JumpStep
            OffshootErrorAfterJump = mean after
            OffshootErrorBeforeJump = mean before
        }

    /// The result of E1 from its finished runs (chains in chain order, then the GD control).
    let ofRuns (p: TwoByTwoParams) (chains: TwoByTwoRun[]) (gd: TwoByTwoRun) : TwoByTwoResult =
        {
            Params = p
            Region = jumpRegion p
            Chains = chains
            Gd = gd
            Summary = summarize chains gd
        }

    /// Runs E1: every chain (in parallel on at most `maxThreads` threads; results are stored by chain
    /// index, so they do not depend on the thread count) and the gradient-descent control.
    /// `progress` is called with the number of finished runs (chains + control) from worker threads.
    let run (p: TwoByTwoParams) (maxThreads: int) (progress: int -> unit) : TwoByTwoResult =
        let chains = Array.zeroCreate p.Seeds
        let finished = ref 0

        let options =
            System.Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = max 1 maxThreads)

        let gd: TwoByTwoRun[] = Array.zeroCreate 1

        System.Threading.Tasks.Parallel.For(
            -1,
            p.Seeds,
            options,
            fun (s: int) ->
                if s < 0 then
                    gd.[0] <- gdControl p
                else
                    chains.[s] <- chain p s

                progress (System.Threading.Interlocked.Increment(&finished.contents))
        )
        |> ignore

        {
            Params = p
            Region = jumpRegion p
            Chains = chains
            Gd = gd.[0]
            Summary = summarize chains gd.[0]
        }

    /// The regime map shown beside E1 (THEORY.md §5: "the phenomenon is regime-bound"): the base
    /// parameters and four contrasting regimes, each with `steps` steps, `seeds` seeds and no offshoots:
    /// a smaller step (η = 0.2, L = 4), a shallower net (L = 3), a deeper net at the same η and λ
    /// (L = 6: SGD collapses to the zero network), and L = 8, η = 0.2, λ = 0.006 (GD reaches rank 1).
    /// Labels say what changed.
    let regimes (p: TwoByTwoParams) (steps: int64) (seeds: int) : (string * TwoByTwoParams)[] =
        let b =
            { p with
                Steps = steps
                Seeds = seeds
                Offshoots = 0
            }

        [|
            "base (the parameters above)", b
            "smaller step: eta = 0.2", { b with Eta = 0.2 }
            "shallower: L = 3", { b with Depth = 3 }
            "deeper: L = 6", { b with Depth = 6 }
            "L = 8, eta = 0.2, lambda = 0.006",
            { b with
                Depth = 8
                Eta = 0.2
                Lambda = 0.006
                OffshootLambda = min b.OffshootLambda 0.006
            }
        |]
