namespace LowRankVerify.Theory

/// The slides' experiment E1 (THEORY.md §5): SGD on the 2×2 completion task `[[1, *], [ε, 1]]` from
/// W_ℓ = I, monitored after every step (`E1Monitor`: the jump to rank 1 into B_1, returns to rank 2, exits
/// from B_1, collapse) and observed on a log-spaced grid; offshoots with smaller η and λ, the
/// gradient-descent control and the SDE chains (C6) from the same start. Pure: no console or file output;
/// the only side channel is the `progress` callback.
[<RequireQualifiedAccess>]
module E1 =

    /// Numerical rank 1 threshold on s_2/s_1 (`E1Monitor.rankOneRatio`).
    [<Literal>]
    let rankOneRatio = E1Monitor.rankOneRatio

    /// s_1 below this counts as the zero network (`E1Monitor.collapseThreshold`).
    [<Literal>]
    let collapseThreshold = E1Monitor.collapseThreshold

    /// Mixed into the master seed for the SDE chains' Gaussian streams (`Rng.stream (S ^^^ tag) s`), so
    /// they share no stream with the SGD chains (`Rng.stream S s`) or their offshoots.
    [<Literal>]
    let sdeStreamTag = 0x5DE5DE5DE5DE5DEUL

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
            Sde = true
            Seed = 1UL
            Offshoots = 10
            OffshootEta = 0.05
            OffshootLambda = 0.00005
            OffshootMaxSteps = 1_000_000L
            ObservationsPerDecade = 40
        }

    /// `p` with another budget: steps per chain, number of chains and master seed.
    let withBudget (steps: int64) (seeds: int) (seed: uint64) (p: E1Params) =
        { p with
            Steps = steps
            Seeds = seeds
            Seed = seed
        }

    /// The experiment's task `[[1, 1/ε], [ε, 1]]`, entry (0, 1) unobserved (`Task.e1`).
    let task (p: E1Params) = Task.e1 p.Epsilon

    /// Widths [2; w; …; w; 2] of the network (L + 1 numbers).
    let widths (p: E1Params) =
        Array.init (p.Depth + 1) (fun k -> if k = 0 || k = p.Depth then 2 else p.Width)

    /// Checks every parameter: finite and in range (ε > 0, L ≥ 1, width ≥ 1, η > 0, λ ≥ 0,
    /// 2ηλ < 1, steps ≥ 1, seeds ≥ 1, offshoots ≥ 0, offshoot η in (0, η], offshoot λ in [0, λ],
    /// offshoot steps ≥ 1, 1 ≤ observations per decade ≤ 1000).
    let validate (p: E1Params) : Result<E1Params, InputError> =
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
    let targetS1 (p: E1Params) =
        sqrt (2.0 + p.Epsilon * p.Epsilon + 1.0 / (p.Epsilon * p.Epsilon))

    /// B_1 constants of the jump detection (choice, THEORY.md §1 B_r), relative to the balanced rank-1
    /// fit of A*, whose layers have s_1(W_ℓᵀW_ℓ) = σ := s_1(A*)^{2/L}:
    /// r = 1; piecewise f_α with α = σ/4, so the surviving direction counts 1 as soon as it holds a
    /// quarter of the rank-1 solution's per-layer mass; ε2 = 0.1, so the second direction must carry
    /// s_2(W_ℓᵀW_ℓ) ≤ 0.1 α = σ/40; ε1 = 0.1 σ² (balancedness within 10 % of the squared mass);
    /// C = 4σ (‖W_ℓ‖_F² ≤ four times the rank-1 fit's).
    let jumpRegion (p: E1Params) : RegionParams =
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

    /// Numerical rank of A_θ from its two singular values (`E1Monitor.rankOf`).
    let rankOf (s1: float) (s2: float) = E1Monitor.rankOf s1 s2

    /// Singular values (s_1, s_2) of a 2×2 matrix in closed form (`E1Monitor.singularValues2`). Used
    /// instead of an iterative SVD, which fails to converge on products near underflow (collapsed runs, L ≥ 6).
    let singularValues2 (a: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
        let struct (s1, s2) = E1Monitor.singularValues2 a.[0, 0] a.[0, 1] a.[1, 0] a.[1, 1]
        s1, s2

    /// Observes θ (held by an engine state) at `step`.
    let observe (task: Task) (region: RegionParams) (s: EngineState) (step: int64) : E1Observation =
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

    /// One full-batch gradient-descent step (THEORY.md §1) in place: the SDE step with its noise turned off
    /// (`SdeEngine.stepScaled` with noise scale 0), θ ← (1 − 2ηλ)θ + (η/N) Σ_{(i,j)∈I} r_ij a_ℓ b_ℓᵀ, every
    /// per-sample chain at the same θ (D2). Equals `Gd.step` up to round-off (Properties/Experiments/E1Tests.fs).
    /// `s` must hold every lazy scale at 1 (`Engine.normalise`). Returns false when a residual or a new
    /// weight is not finite.
    let gdStep (s: EngineState) (scratch: SdeScratch) (hyper: Hyper) : bool =
        SdeEngine.stepScaled s scratch hyper 0.0

    /// An offshoot (THEORY.md §5): continue SGD from a copy of `s` with the offshoot's η and λ until the
    /// loss settles (`Offshoot.run` with `offshootTolerance`, at most `OffshootMaxSteps`), observed at the end.
    let offshoot (p: E1Params) (task: Task) (s: EngineState) (rng: Rng) (branch: int64) : E1Offshoot =
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

    /// Weights at most this large in magnitude make every data term of a step exactly 0 at L ≥ 3
    /// (`frozen`): a data term is a coefficient (|η r| or |c_k r_k|, at most 10⁵⁰·10 under `frozen`'s
    /// conditions, Box–Muller draws being below 8.6) times a product of L − 1 ≥ 2 weights, below
    /// 10⁵¹·10⁻⁴⁰⁰, which underflows to 0.
    [<Literal>]
    let frozenWeight = 1e-200

    /// The test behind `frozen` on any task whose largest |A*_ij| is `targetScale` (also the completion
    /// experiment's, `Completion.frozen`): depth L = widths − 1 ≥ 3, every lazy scale 1,
    /// η·max(1, targetScale) ≤ 10⁵⁰, every |w| ≤ `frozenWeight` and (1 − 2ηλ)·w = w for every weight.
    let frozenAt (eta: float) (lambda: float) (targetScale: float) (s: EngineState) =
        let decay = 1.0 - 2.0 * eta * lambda

        s.Widths.Length > 3
        && eta * max 1.0 targetScale <= 1e50
        && Array.forall (fun x -> x = 1.0) s.Scales
        && Array.forall (fun (x: float) -> abs x <= frozenWeight && decay * x = x) s.Weights

    /// True when no SGD, GD or SDE step of E1 can change θ any more, exactly: L ≥ 3, every lazy scale 1,
    /// η·max(1, max|A*|) ≤ 10⁵⁰, every |w| ≤ `frozenWeight` (so every data term is exactly 0) and
    /// (1 − 2ηλ)·w rounds back to w for every weight (0, or a subnormal a few ulps wide that the decay no
    /// longer moves). A collapsed run decays into this state.
    let frozen (p: E1Params) (s: EngineState) =
        frozenAt p.Eta p.Lambda (max 1.0 p.Epsilon) s

    /// The start of every run: W_ℓ = I (rectangular identity) for every layer.
    let start (p: E1Params) = Network.identityLike 1.0 (widths p)

    /// The observation grid of a run of `kind` (GD and SDE: no branch points; SGD chains: with the
    /// offshoots' branch steps).
    let gridOf (p: E1Params) (kind: E1RunKind) =
        match kind with
        | E1RunKind.Sgd -> grid p.ObservationsPerDecade p.Steps (branchSteps p.Offshoots p.Steps)
        | E1RunKind.Gd
        | E1RunKind.Sde -> grid p.ObservationsPerDecade p.Steps [||]

    /// The observation grid of run `chain` (-1: the GD control; chains: SGD, with the offshoots' branch
    /// steps).
    let runGrid (p: E1Params) (chain: int) =
        gridOf p (if chain < 0 then E1RunKind.Gd else E1RunKind.Sgd)

    /// True when every number of the observation is finite (a finite θ can still overflow in A_θ).
    let finiteObservation (o: E1Observation) =
        System.Double.IsFinite o.S1
        && System.Double.IsFinite o.S2
        && System.Double.IsFinite o.Ratio
        && System.Double.IsFinite o.TestError

    /// The random stream a run of `kind` starts with: SGD chain s `Rng.stream S s` (entries), SDE chain s
    /// `Rng.stream (S ^^^ sdeStreamTag) s` (Gaussians), GD `Rng.create S` (unused).
    let streamOf (p: E1Params) (kind: E1RunKind) (chain: int) =
        match kind with
        | E1RunKind.Sgd -> Rng.stream p.Seed (uint64 chain)
        | E1RunKind.Sde -> Rng.stream (p.Seed ^^^ sdeStreamTag) (uint64 chain)
        | E1RunKind.Gd -> Rng.create p.Seed

    /// The cursor of a run of `kind` before its first step: θ = `start p`, the run's stream
    /// (`streamOf`), nothing observed. `chain` is the chain index s (ignored for GD, whose index is -1).
    let cursorStartOf (kind: E1RunKind) (p: E1Params) (chain: int) : E1Cursor =
        let chain = if kind = E1RunKind.Gd then -1 else chain

        {
            Chain = chain
            Kind = kind
            Step = 0L
            Next = 0
            Rng = streamOf p kind chain
            Engine = None
            Observations = [||]
            Offshoots = [||]
            Monitor = E1Monitor.empty
            DivergenceStep = None
            Done = false
        }

    /// The cursor of run `chain` (-1: the GD control, else SGD chain s) before its first step
    /// (`cursorStartOf`).
    let cursorStart (p: E1Params) (chain: int) : E1Cursor =
        cursorStartOf (if chain < 0 then E1RunKind.Gd else E1RunKind.Sgd) p chain

    /// Continues the run of cursor `c` by at most `budget` steps (observations and offshoots at the grid
    /// points it reaches do not count against the budget) and returns the new cursor; `c` is unchanged.
    /// Every step is followed by the monitor (`E1Tracker`: rank, B_1, jump, collapse, returns,
    /// exits). SGD chain s draws its entries from `Rng.stream S s` and offshoot k from
    /// `Rng.stream (Rng.stream S s).State k`; the GD control takes full-batch steps (`gdStep`, the SDE step
    /// without noise); SDE chain s
    /// takes `SdeEngine.step` steps with N Gaussians per step from its stream. A run whose θ is `frozen`
    /// skips its remaining steps without drawing: they cannot change θ or any event. Segmenting is exact: advancing by a then b steps equals advancing by a + b.
    let advance (p: E1Params) (c: E1Cursor) (budget: int64) : E1Cursor =
        if c.Done then
            c
        else
            let task = task p
            let region = jumpRegion p
            let hyper = { Eta = p.Eta; Lambda = p.Lambda }
            let ws = widths p

            let st =
                match c.Engine with
                | None -> Engine.create task (start p)
                | Some snap ->
                    match Engine.restore task ws snap with
                    | Ok st -> st
                    | Error e -> invalidArg "c" (string e)

            let points = gridOf p c.Kind

            let branches =
                match c.Kind with
                | E1RunKind.Sgd -> branchSteps p.Offshoots p.Steps
                | _ -> [||]

            let chainRng = Rng.stream p.Seed (uint64 (max c.Chain 0))
            let gd = c.Kind = E1RunKind.Gd
            let sde = c.Kind = E1RunKind.Sde

            let noise =
                if sde || gd then
                    SdeEngine.scratch st
                else
                    {
                        A = [||]
                        B = [||]
                        Residuals = [||]
                        Xi = [||]
                    }

            if sde || gd then
                Engine.normalise st

            let rows = st.ObservedRow
            let cols = st.ObservedCol
            let tracker = E1Tracker(region, ws, c.Monitor)
            let mutable rng = c.Rng
            let mutable t = c.Step
            let mutable next = c.Next
            let mutable left = budget
            let mutable diverged = c.DivergenceStep
            let obs = ResizeArray(c.Observations)
            let offs = ResizeArray(c.Offshoots)
            let mutable fin = next >= points.Length

            if c.Step = 0L && c.Next = 0 then
                tracker.Observe(st, 0L) |> ignore

            while not fin && (left > 0L || points.[next] = t) do
                let target = points.[next]

                if target > t then
                    let n = min (target - t) left
                    let mutable k = 0L

                    // A frozen θ (a collapse decays into it) is left unchanged by every step, and observing
                    // it again changes no event: skip to the next stop without drawing (checked before each
                    // step, so segments skip alike).
                    if tracker.Rank = 0 && frozen p st then
                        t <- t + n
                        k <- n

                    while diverged.IsNone && k < n do
                        let ok =
                            if gd then
                                gdStep st noise hyper
                            elif sde then
                                SdeEngine.drawInto noise &rng
                                SdeEngine.step st noise hyper
                            else
                                let e = Rng.nextInt &rng rows.Length
                                let r = Engine.step st hyper rows.[e] cols.[e]
                                System.Double.IsFinite r && st.WeightsFinite

                        if not ok then
                            diverged <- Some t

                        t <- t + 1L
                        k <- k + 1L

                        // A_θ or its spectrum overflows although the weights are finite: the step diverged.
                        if ok && not (tracker.Observe(st, t)) then
                            diverged <- Some(t - 1L)

                        if diverged.IsNone && tracker.Rank = 0 && frozen p st then
                            t <- t + (n - k)
                            k <- n


                    left <- left - k

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
                        // The weights are finite but the observation is not: the last step diverged.
                        diverged <- Some(t - 1L)
                        fin <- true

            { c with
                Step = t
                Next = next
                Rng = rng
                Engine = (if fin then None else Some(Engine.capture st))
                Observations = obs.ToArray()
                Offshoots = offs.ToArray()
                Monitor = tracker.Monitor
                DivergenceStep = diverged
                Done = fin
            }

    /// The outcome of a run from its monitored events (`E1Outcome`).
    let outcomeOf (m: E1MonitorState) (divergence: int64 option) =
        if divergence.IsSome then E1Outcome.Diverged
        elif m.CollapseStep.IsSome then E1Outcome.Collapsed
        elif m.JumpStep.IsSome then E1Outcome.Jumped
        else E1Outcome.Stayed

    /// The run of a finished (or, for partial reports, unfinished) cursor: its observations, the
    /// monitored events and outcome, divergence and offshoots.
    let finish (c: E1Cursor) : E1Run =
        {
            Chain = c.Chain
            Kind = c.Kind
            Observations = c.Observations
            JumpStep = c.Monitor.JumpStep
            CollapseStep = c.Monitor.CollapseStep
            Returns = c.Monitor.Returns
            Events = c.Monitor
            Outcome = outcomeOf c.Monitor c.DivergenceStep
            Diverged = c.DivergenceStep.IsSome
            DivergenceStep = c.DivergenceStep
            Offshoots = c.Offshoots
        }

    /// One run of `kind` (the whole run as one segment of `advance`).
    let runOf (kind: E1RunKind) (p: E1Params) (s: int) : E1Run =
        advance p (cursorStartOf kind p s) System.Int64.MaxValue |> finish

    /// One SGD chain s (the whole run as one segment of `advance`): entries drawn from `Rng.stream S s`;
    /// offshoot k draws from `Rng.stream (Rng.stream S s).State k`.
    let chain (p: E1Params) (s: int) : E1Run = runOf E1RunKind.Sgd p s

    /// SDE chain s (C6): same start, η and λ as SGD chain s; Gaussians from `Rng.stream (S ^^^ sdeStreamTag) s`.
    let sdeChain (p: E1Params) (s: int) : E1Run = runOf E1RunKind.Sde p s

    /// The gradient-descent control: same start, same η and λ, `Steps` full-batch steps, observed on the
    /// same grid.
    let gdControl (p: E1Params) : E1Run = runOf E1RunKind.Gd p -1

    /// Quantile q of sorted data by linear interpolation between order statistics (type 7).
    let quantile (sorted: float[]) (q: float) =
        if sorted.Length = 0 then
            None
        else
            let h = float (sorted.Length - 1) * q
            let lo = int (floor h)
            let hi = min (lo + 1) (sorted.Length - 1)
            Some(sorted.[lo] + (h - float lo) * (sorted.[hi] - sorted.[lo]))

    /// A run absorbed at rank 1 (C5, C6): it jumped into B_1 at rank 1 and, to the end of its budget, never
    /// returned to rank 2 (not even within round-off), collapsed to the zero network or diverged.
    let absorbedAtRankOne (r: E1Run) =
        r.Outcome = E1Outcome.Jumped && r.Returns = 0 && r.Events.RoundOffReturns = 0

    /// Summary of the runs of one kind (`E1KindSummary`).
    let kindSummary (kind: E1RunKind) (runs: E1Run[]) : E1KindSummary =
        let count f = runs |> Array.filter f |> Array.length

        let jumped = runs |> Array.filter (fun r -> r.Outcome = E1Outcome.Jumped)

        let jumps =
            jumped |> Array.choose (fun c -> c.JumpStep) |> Array.map float |> Array.sort

        {
            Kind = kind
            Runs = runs.Length
            Jumped = jumped.Length
            Collapsed = count (fun r -> r.Outcome = E1Outcome.Collapsed)
            CollapsedAfterRankOne =
                count (fun r ->
                    r.Outcome = E1Outcome.Collapsed
                    && (match r.JumpStep, r.CollapseStep with
                        | Some j, Some c -> j < c
                        | _ -> false))
            Diverged = count (fun r -> r.Outcome = E1Outcome.Diverged)
            Stayed = count (fun r -> r.Outcome = E1Outcome.Stayed)
            Entered = count (fun r -> r.JumpStep.IsSome)
            Absorbed = count absorbedAtRankOne
            EntryMedian = quantile (runs |> Array.choose (fun r -> r.JumpStep) |> Array.map float |> Array.sort) 0.5
            JumpMedian = quantile jumps 0.5
            JumpQ1 = quantile jumps 0.25
            JumpQ3 = quantile jumps 0.75
            Returns = runs |> Array.sumBy (fun r -> r.Returns)
            RunsWithReturns = count (fun r -> r.Returns > 0)
            B1Exits = runs |> Array.sumBy (fun r -> r.Events.B1Exits)
            RunsThatLeftB1 = count (fun r -> r.Events.B1Exits > 0)
            StepsOutsideB1 = runs |> Array.sumBy (fun r -> r.Events.StepsOutsideB1)
        }

    /// Summary over the chains and the control.
    let summarize (chains: E1Run[]) (gd: E1Run) : E1Summary =
        let k = kindSummary E1RunKind.Sgd chains
        let n = float chains.Length

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
            FractionJumped = float k.Jumped / n
            FractionCollapsed = float k.Collapsed / n
            FractionDiverged = float k.Diverged / n
            JumpMedian = k.JumpMedian
            JumpQ1 = k.JumpQ1
            JumpQ3 = k.JumpQ3
            TotalReturns = k.Returns
            GdFinalRank = gdLast.Rank
            GdJumpStep = gd.JumpStep
            OffshootErrorAfterJump = mean after
            OffshootErrorBeforeJump = mean before
        }

    /// The result of E1 from its finished runs (SGD chains and SDE chains in chain order, the GD control).
    let ofRuns (p: E1Params) (chains: E1Run[]) (sde: E1Run[]) (gd: E1Run) : E1Result =
        {
            Params = p
            Region = jumpRegion p
            Chains = chains
            Sde = sde
            Gd = gd
            Summary = summarize chains gd
            Kinds =
                [|
                    kindSummary E1RunKind.Sgd chains
                    kindSummary E1RunKind.Gd [| gd |]
                    kindSummary E1RunKind.Sde sde
                |]
        }

    /// Number of SDE chains: `Seeds` when `Sde`, else 0.
    let sdeCount (p: E1Params) = if p.Sde then p.Seeds else 0

    /// Every run of E1 as (kind, chain) in the order of `E1Result` and of checkpoints: SGD chains
    /// 0..Seeds−1, SDE chains 0..Seeds−1 (when `Sde`), then the GD control.
    let runList (p: E1Params) : (E1RunKind * int)[] =
        Array.concat
            [
                Array.init p.Seeds (fun s -> E1RunKind.Sgd, s)
                Array.init (sdeCount p) (fun s -> E1RunKind.Sde, s)
                [| E1RunKind.Gd, -1 |]
            ]

    /// The result of E1 from every run in the order of `runList`.
    let ofRunList (p: E1Params) (runs: E1Run[]) : E1Result =
        ofRuns p runs.[0 .. p.Seeds - 1] runs.[p.Seeds .. p.Seeds + sdeCount p - 1] runs.[runs.Length - 1]

    /// The runs `list` of (kind, chain) of `p`, each as one `advance`, in parallel on at most `maxThreads`
    /// threads (the last of the list first: in `runList` order the GD control, then the SDE chains);
    /// results are stored by position, so they do not depend on the thread count. `progress` is called
    /// with the number of finished runs from worker threads.
    let runsOf (p: E1Params) (maxThreads: int) (progress: int -> unit) (list: (E1RunKind * int)[]) =
        let runs = Array.zeroCreate list.Length
        let finished = ref 0

        let options =
            System.Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = max 1 maxThreads)

        let order = Array.init list.Length (fun k -> list.Length - 1 - k)

        System.Threading.Tasks.Parallel.ForEach(
            order,
            options,
            fun (k: int) ->
                let kind, s = list.[k]
                runs.[k] <- runOf kind p s
                progress (System.Threading.Interlocked.Increment(&finished.contents))
        )
        |> ignore

        runs

    /// Runs E1: every run of `runList` (`runsOf`, the GD control and the SDE chains first).
    let run (p: E1Params) (maxThreads: int) (progress: int -> unit) : E1Result =
        runList p |> runsOf p maxThreads progress |> ofRunList p

    /// The variants shown beside E1 (THEORY.md §5: "the phenomenon is regime-bound"; "regime" in the code means
    /// only the derived regime R0–R4 of C1): the base parameters and four contrasting variants, each with `steps` steps, `seeds` seeds, no offshoots and no
    /// SDE chains (the SDE comparison is made at the main parameters):
    /// a smaller step (η = 0.2, L = 4), a shallower net (L = 3), a deeper net at the same η and λ
    /// (L = 6: SGD collapses to the zero network), and L = 8, η = 0.2, λ = 0.006 (GD reaches rank 1).
    /// Labels say what changed.
    let variants (p: E1Params) (steps: int64) (seeds: int) : (string * E1Params)[] =
        let b =
            { p with
                Steps = steps
                Seeds = seeds
                Sde = false
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
