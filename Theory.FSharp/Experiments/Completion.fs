namespace LowRankVerify.Theory

/// The completion experiment (issue "The ladder B_R ⊃ … ⊃ B_1"): SGD chains and a GD control on a
/// general completion task, the rank level of each run checked every `EventInterval` steps (events:
/// drops, returns, collapse, divergence), observations on a log-spaced grid, offshoots, summaries. Pure:
/// no console or file output.
[<RequireQualifiedAccess>]
module Completion =

    /// Singular values of A_θ kept per observation.
    [<Literal>]
    let leading = 10

    /// Relative threshold of the recorded numerical rank (E1's `E1.rankOneRatio`).
    [<Literal>]
    let numericalRankRatio = 1e-2

    /// s_1(A_θ) below this fraction of s_1(A*) counts as numerical rank 0 (E1's collapse threshold 1e-3
    /// relative to E1's s_1(A*) ≈ 10).
    [<Literal>]
    let zeroProduct = 1e-4

    /// Chains per run unit in `SgdMode.Lanes` (4 SIMD groups: the ensemble overlaps their steps).
    [<Literal>]
    let laneUnit = 16

    /// Widest layer for which `autoMode` picks the ensemble. Measured per core (best 2-ms batches, L = 4,
    /// one thread, as a run unit runs): the ensemble of 16 chains makes 2.4×, 1.8× and 1.08× the chain steps
    /// of the single-chain engine at widths 4, 6 and 8, and 0.67×, 0.48×, 0.40× at 12, 16 and 20
    /// (docs/completion.md).
    [<Literal>]
    let lanesMaxWidth = 8

    /// Observations per decade of the grid (E1 uses 40; the completion records more per observation).
    [<Literal>]
    let defaultObservationsPerDecade = 10

    /// Offshoot convergence tolerance (E1's `E1.offshootTolerance`).
    let offshootTolerance = E1.offshootTolerance

    /// Widths n_0..n_L of the network.
    let widthsOf (p: CompletionParams) =
        CompletionTask.widths p.Task p.Depth p.Width

    /// The engine `autoMode` picks for the widths and number of chains: the ensemble when the widest layer
    /// is at most `lanesMaxWidth` and there are at least 4 chains (one full SIMD group), else single chains.
    let autoMode (widths: int[]) (seeds: int) =
        if Array.max widths <= lanesMaxWidth && seeds >= Ensemble.lanes then
            SgdMode.Lanes
        else
            SgdMode.Single

    /// Default check interval: 500 × the widest layer w. One check (L singular-value decompositions of
    /// w×w layers) costs about as much as 25·w to 50·w steps of a chain of that width (measured in
    /// docs/completion.md), so checks take about 5–10 % of the run.
    let defaultEventInterval (widths: int[]) = 500L * int64 (Array.max widths)

    /// Default horizon of the GD control: min(steps, 10^6). A GD step costs about 3·d_in SGD steps, and
    /// GD is deterministic: the report gives its gradient norm at the horizon (and an exact fixed point
    /// ends it early), so a longer control can be asked for with --gd-steps.
    let defaultGdSteps (steps: int64) = min steps 1_000_000L

    /// SGD chain steps that one SDE step costs, by the cost model used for the default horizon and the
    /// progress bar: 2·d_in. An SDE step (`FullBatch.sdeStep`) is a GD step plus N Gaussian draws; measured
    /// per core against the single-chain engine (docs/completion.md): 1.7·d_in (blocks m = 4, d = w = 8),
    /// 3.1·d_in and 2.8·d_in (20×20, w = 20, N = 120 and 200), 1.9·d_in (100×100, N = 2000).
    let sdeCostRatio (task: Task) = 2L * int64 task.DIn

    /// Default horizon of the SDE twins: max(1, min(steps, steps / `sdeCostRatio`)), so that the twins cost
    /// about what the SGD chains cost (0.85–1.55× by the measured ratios; a run with them takes about twice
    /// as long as without); a longer one can be asked for with --sde-steps.
    let defaultSdeSteps (task: Task) (steps: int64) =
        max 1L (min steps (steps / sdeCostRatio task))

    /// The Gaussian stream of SDE twin s: `Rng.stream (S ^^^ E1.sdeStreamTag) s` (E1's rule).
    let sdeStream (p: CompletionParams) (chain: int) =
        Rng.stream (p.Seed ^^^ E1.sdeStreamTag) (uint64 chain)

    /// The start network θ_0 (`CompletionTask.start`).
    let startNetwork (p: CompletionParams) =
        match CompletionTask.start p.Task (widthsOf p) p.Seed p.Start with
        | Ok n -> n
        | Error e -> invalidArg "p" (string e)

    /// The shape's rules, checked before any network is built: depth 1..64, width 1..1024, at most
    /// `Network.maxParameters` weights. Errors name the option without dashes.
    let checkShape (task: Task) (depth: int) (width: int) : Result<unit, InputError> =
        let bad f r = Error(InputError.create f r)

        if depth < 1 || depth > 64 then
            bad "depth" "must be an integer in 1..64"
        elif width < 1 || width > 1024 then
            bad "width" "must be an integer in 1..1024"
        else
            let widths = CompletionTask.widths task depth width

            let weights =
                Array.init depth (fun l -> int64 widths.[l] * int64 widths.[l + 1]) |> Array.sum

            if weights > int64 Network.maxParameters then
                bad "width" (sprintf "gives %d weights, more than %d" weights Network.maxParameters)
            else
                Ok()

    /// Checks every parameter (finite, in range; the start fits the widths; the ladder's constants). The
    /// rules shared with E1 (η, λ, 2ηλ < 1, steps, seeds, offshoots, observations per decade) are E1's own
    /// (`E1.validate`); the shape's are `checkShape`. Errors name the option without dashes.
    let validate (p: CompletionParams) : Result<CompletionParams, InputError> =
        let bad f r = Error(InputError.create f r)

        let shared =
            { E1.defaults with
                Depth = 1
                Width = 1
                Eta = p.Eta
                Lambda = p.Lambda
                Steps = p.Steps
                Seeds = p.Seeds
                Offshoots = p.Offshoots
                OffshootEta = p.OffshootEta
                OffshootLambda = p.OffshootLambda
                OffshootMaxSteps = p.OffshootMaxSteps
                ObservationsPerDecade = p.ObservationsPerDecade
            }

        match checkShape p.Task p.Depth p.Width with
        | Error e -> Error e
        | Ok() ->
            let widths = CompletionTask.widths p.Task p.Depth p.Width

            match E1.validate shared with
            | Error e -> Error e
            | Ok _ ->
                if p.GdSteps < 1L || p.GdSteps > p.Steps then
                    bad "gd-steps" "must be an integer in 1..steps"
                elif p.Sde && (p.SdeSteps < 1L || p.SdeSteps > p.Steps) then
                    bad "sde-steps" "must be an integer in 1..steps"
                elif p.EventInterval < 1L || p.EventInterval > 10_000_000_000L then
                    bad "event-interval" "must be an integer in 1..1e10"
                elif p.Ladder.Top <> Ladder.topOf widths then
                    bad "ladder" (sprintf "top must be %d for these widths" (Ladder.topOf widths))
                else
                    match Ladder.validate p.Ladder with
                    | Error e -> Error e
                    | Ok _ ->
                        match CompletionTask.start p.Task widths p.Seed p.Start with
                        | Error e -> Error e
                        | Ok _ -> Ok p

    /// The observation grid of a run kind: SGD chains observe at `E1.grid` points up to `Steps`
    /// with the offshoots' branch steps; the GD control up to `GdSteps`; the SDE twins (no offshoots, as
    /// in E1) up to `SdeSteps`.
    let gridOf (p: CompletionParams) (kind: ChainKind) =
        match kind with
        | ChainKind.Sgd -> E1.grid p.ObservationsPerDecade p.Steps (E1.branchSteps p.Offshoots p.Steps)
        | ChainKind.Gd -> E1.grid p.ObservationsPerDecade p.GdSteps [||]
        | ChainKind.Sde -> E1.grid p.ObservationsPerDecade p.SdeSteps [||]

    /// The horizon of a run kind: `Steps`, `GdSteps` or `SdeSteps`.
    let horizonOf (p: CompletionParams) (kind: ChainKind) =
        match kind with
        | ChainKind.Sgd -> p.Steps
        | ChainKind.Gd -> p.GdSteps
        | ChainKind.Sde -> p.SdeSteps

    /// Steps per segment of a unit when no `--checkpoint-steps` is given: about a tenth of a second of
    /// work by a cost model (SGD: L·w² per chain step; GD: 3·L·w²·d_in per step), so that a signal or a
    /// checkpoint timer is served promptly. Results do not depend on it.
    let segmentSteps (p: CompletionParams) (c: CompletionCursor) =
        let w = float (Array.max (widthsOf p))
        let cost = float p.Depth * w * w

        let steps =
            match c.Kind with
            | ChainKind.Sgd -> 5e8 / (cost * float c.Records.Length)
            | ChainKind.Gd
            | ChainKind.Sde -> 2e8 / (3.0 * cost * float p.Task.DIn)

        int64 (max 1.0 (min steps 262144.0))

    let private emptyRecord chain =
        {
            Chain = chain
            Level = -1
            Events = [||]
            Observations = [||]
            Offshoots = [||]
            DivergenceStep = None
            FixedPointStep = None
        }

    /// Number of SDE twins: `Seeds` with `Sde`, else 0.
    let sdeCount (p: CompletionParams) = if p.Sde then p.Seeds else 0

    /// The cursors of every run unit before the first step: the SDE twins in chain order (one each; first,
    /// so that the scheduler starts these costly units early), the SGD units in chain order (one chain each,
    /// or `laneUnit` chains each in `SgdMode.Lanes`), then the GD control last.
    let cursors (p: CompletionParams) : CompletionCursor[] =
        let unit kind (chains: int[]) =
            {
                Kind = kind
                Step = 0L
                Next = 0
                Checked = -1L
                Rngs =
                    chains
                    |> Array.map (fun s ->
                        match kind with
                        | ChainKind.Gd -> Rng.create p.Seed
                        | ChainKind.Sde -> sdeStream p s
                        | ChainKind.Sgd -> Rng.stream p.Seed (uint64 s))
                Engine = None
                Lanes = None
                Records = chains |> Array.map emptyRecord
                Done = false
            }

        let size =
            match p.Mode with
            | SgdMode.Single -> 1
            | SgdMode.Lanes -> laneUnit

        [|
            for s in 0 .. sdeCount p - 1 do
                yield unit ChainKind.Sde [| s |]
            for c0 in 0..size .. p.Seeds - 1 do
                yield unit ChainKind.Sgd [| c0 .. min p.Seeds (c0 + size) - 1 |]
            yield unit ChainKind.Gd [| -1 |]
        |]

    let private s1Cache =
        System.Runtime.CompilerServices.ConditionalWeakTable<Task, obj>()

    /// s_1(A*), computed once per task object.
    let targetS1 (task: Task) =
        s1Cache.GetValue(task, (fun t -> box (snd (Ladder.targetRank t)).[0])) :?> float

    /// Observes θ at `step`: spectrum of A_θ, the ladder position, norms, balancedness, test and training
    /// error (THEORY.md §1; allocates, for the grid).
    let observe (p: CompletionParams) (net: Network) (step: int64) : CompletionObservation =
        let task = p.Task
        let a = Network.product net
        // Finite weights can still overflow in A_θ (a diverging chain): NaN marks the observation as not
        // finite (`finiteObservation`), and the run is then stopped as diverged.
        let sv =
            if Linalg.isFinite a then
                Linalg.singularValues a
            else
                Array.create (min a.RowCount a.ColumnCount) nan

        let m = Region.measure p.Ladder.Family p.Ladder.Alpha net
        let pos = Ladder.positionOf p.Ladder m
        let s1Target = targetS1 task

        let numRank =
            if sv.Length = 0 || sv.[0] < zeroProduct * s1Target then
                0
            else
                sv |> Array.filter (fun x -> x >= numericalRankRatio * sv.[0]) |> Array.length

        {
            Step = step
            Singular = sv.[0 .. min leading sv.Length - 1]
            NumericalRank = numRank
            ProductRank =
                sv
                |> Array.sumBy (fun s -> FAlpha.eval p.Ladder.Family p.Ladder.Alpha (s ** (2.0 / float p.Depth)))
            Level = pos.Level
            MaxLayerRank = pos.MaxLayerRank
            Balancedness = m.Balancedness
            LayerNorms = m.SquaredNorms
            Balanced = pos.Balanced
            Bounded = pos.Bounded
            TestError = Loss.testError task a |> Option.defaultValue 0.0
            TrainError = sqrt (2.0 * Loss.dataLossOf task a)
            GradientNorm = Loss.gradient task p.Lambda net |> Loss.gradientNorm
        }

    /// True when every number of an observation is finite (finite weights can still overflow in A_θ).
    let finiteObservation (o: CompletionObservation) =
        Array.forall System.Double.IsFinite o.Singular
        && System.Double.IsFinite o.ProductRank
        && System.Double.IsFinite o.MaxLayerRank
        && Array.forall System.Double.IsFinite o.Balancedness
        && Array.forall System.Double.IsFinite o.LayerNorms
        && System.Double.IsFinite o.TestError
        && System.Double.IsFinite o.TrainError
        && System.Double.IsFinite o.GradientNorm

    /// Offshoot k of chain s branched at `branch` from θ held by `s`: entries from
    /// `Rng.stream (Rng.stream S s).State k` (E1's rule), `Offshoot.run` with the offshoot's η and λ.
    let offshoot (p: CompletionParams) (chain: int) (k: int) (branch: int64) (level: int) (s: EngineState) =
        let rng = Rng.stream (Rng.stream p.Seed (uint64 chain)).State (uint64 k)

        let hyper =
            {
                Eta = p.OffshootEta
                Lambda = p.OffshootLambda
            }

        let run = Offshoot.run p.Task hyper offshootTolerance p.OffshootMaxSteps s rng
        let o = observe p (Engine.toNetwork run.Final) (branch + run.Steps)

        {
            BranchStep = branch
            BranchLevel = level
            Steps = run.Steps
            Converged = run.Converged
            Diverged = run.Diverged
            FinalTestError = o.TestError
            FinalTrainError = o.TrainError
            FinalLevel = o.Level
        }

    /// True when no SDE step can change θ any more, whatever the draws (E1's `E1.frozen` for general
    /// tasks): L ≥ 3, every lazy scale 1, η·max(1, max|A*|) ≤ 10⁵⁰, every |w| ≤ `E1.frozenWeight` and
    /// (1 − 2ηλ)·w rounds back to w for every weight. Then every data term of `FullBatch.sdeStep` is exactly
    /// 0: a coefficient |c_k r_k| ≤ 19η·max|A*| ≤ 2·10⁵¹ (c_k = η/N − (η/√N)(ξ_k − ξ̄), Box–Muller draws below
    /// 8.6), summed over at most 1024 rows through one weight (about 2·10⁻¹⁴⁶ at most), meets a second weight factor
    /// (every data term holds L − 1 ≥ 2) and underflows to 0; products of two weights are 0 already. A
    /// collapsed SDE twin decays into this state.
    let frozen (p: CompletionParams) (s: EngineState) =
        E1.frozenAt p.Eta p.Lambda (Task.targetScale p.Task) s

    let private restoreEngine (p: CompletionParams) (snap: EngineSnapshot option) =
        match snap with
        | None -> Engine.create p.Task (startNetwork p)
        | Some s ->
            match Engine.restore p.Task (widthsOf p) s with
            | Ok st -> st
            | Error e -> invalidArg "c" (string e)

    // The ensemble of a Lanes unit: lane k holds chain Records.[k] with its stream Rngs.[k]; absolute step
    // numbers (StepsTaken = Step) so that DivergedAt holds zero-based step indices of the whole run.
    let private restoreLanes (p: CompletionParams) (c: CompletionCursor) =
        let n = c.Records.Length
        let start = startNetwork p

        let e =
            Ensemble.create p.Task (Array.create n start) (Array.create n { Eta = p.Eta; Lambda = p.Lambda }) p.Seed

        match c.Lanes with
        | Some w ->
            if w.Length <> e.Weights.Length then
                invalidArg "c" (sprintf "lanes must hold %d numbers, not %d" e.Weights.Length w.Length)

            System.Array.Copy(w, e.Weights, w.Length)
        | None -> ()

        for k in 0 .. n - 1 do
            e.Rngs.[k] <- c.Rngs.[k]

            e.DivergedAt.[k] <-
                match c.Records.[k].DivergenceStep with
                | Some d -> d
                | None -> -1L

        e.StepsTaken <- c.Step
        e

    /// Continues the unit of cursor `c` by at most `budget` steps (observations, level checks and offshoots
    /// at the points it reaches do not count against the budget) and returns the new cursor; `c` is
    /// unchanged. The level of every live run is checked at each multiple of `EventInterval` and at each
    /// grid point, in step order; a change of level is an event. SGD chain s draws from `Rng.stream S s`;
    /// the GD control takes `FullBatch.step`s and, once a step leaves θ exactly unchanged, skips the
    /// remaining steps (they cannot change it); SDE twin s takes `FullBatch.sdeStep`s with N Gaussians per
    /// step from `sdeStream p s` and, once a check finds it at level 0 and `frozen`, skips the remaining
    /// steps without drawing. Segmenting is exact: advancing by a then b steps equals advancing by a + b.
    let advance (p: CompletionParams) (c: CompletionCursor) (budget: int64) : CompletionCursor =
        if c.Done then
            c
        else
            let gd = c.Kind = ChainKind.Gd
            let sde = c.Kind = ChainKind.Sde
            let points = gridOf p c.Kind

            let branches =
                if c.Kind = ChainKind.Sgd then
                    E1.branchSteps p.Offshoots p.Steps
                else
                    [||]

            let hyper = { Eta = p.Eta; Lambda = p.Lambda }
            let lanes = c.Kind = ChainKind.Sgd && p.Mode = SgdMode.Lanes
            let single = if lanes then None else Some(restoreEngine p c.Engine)
            let ens = if lanes then Some(restoreLanes p c) else None

            let work =
                if gd || sde then
                    Some(FullBatch.work single.Value)
                else
                    None

            let recs = c.Records |> Array.map Rec
            let rngs = Array.copy c.Rngs
            let interval = p.EventInterval
            let mutable t = c.Step
            let mutable next = c.Next
            let mutable checkedAt = c.Checked
            let mutable left = budget
            let live k = recs.[k].DivergenceStep.IsNone

            let allDead () =
                recs |> Array.forall (fun r -> r.DivergenceStep.IsSome)

            let mutable fin = next >= points.Length || allDead ()
            let mutable pause = false

            let networkOf k =
                match ens with
                | Some e -> Ensemble.toNetwork e k
                | None -> Engine.toNetwork single.Value

            while not fin && not pause do
                let atGrid = points.[next] = t

                if (atGrid || t % interval = 0L) && checkedAt < t then
                    for k in 0 .. recs.Length - 1 do
                        let r = recs.[k]
                        let skipping = r.FixedPointStep.IsSome

                        if live k && (atGrid || not skipping) then
                            let net = networkOf k

                            let level =
                                if atGrid then
                                    let o = observe p net t

                                    if finiteObservation o then
                                        r.Observations.Add o

                                        match Array.tryFindIndex ((=) t) branches with
                                        | Some b ->
                                            let st =
                                                match ens with
                                                | Some _ -> Engine.create p.Task net
                                                | None -> single.Value

                                            r.Offshoots.Add(offshoot p r.Chain b t o.Level st)
                                        | None -> ()

                                        Some o.Level
                                    else
                                        // The weights are finite but A_θ (or its spectrum) overflows: the last step diverged.
                                        r.DivergenceStep <- Some(t - 1L)
                                        None
                                else
                                    Some(Ladder.level p.Ladder net)

                            match level with
                            | Some l ->
                                if r.Level >= 0 && l <> r.Level then
                                    r.Events.Add
                                        {
                                            Step = t
                                            FromRank = r.Level
                                            ToRank = l
                                        }

                                r.Level <- l

                                if sde && l = 0 && not skipping && frozen p single.Value then
                                    r.FixedPointStep <- Some t
                            | None -> ()

                    checkedAt <- t

                    if atGrid then
                        next <- next + 1

                    if next >= points.Length || allDead () then
                        fin <- true
                elif left <= 0L then
                    pause <- true
                else
                    let target = min points.[next] ((t / interval + 1L) * interval)
                    let n = min (target - t) left

                    match ens, work with
                    | Some e, _ ->
                        Ensemble.runWith 1 e n

                        for k in 0 .. recs.Length - 1 do
                            if live k && e.DivergedAt.[k] >= 0L then
                                recs.[k].DivergenceStep <- Some e.DivergedAt.[k]
                                // Its lane holds non-finite garbage: zero it (lanes are independent, so the
                                // others are unaffected, and the state stays finite for checkpoints).
                                for q in 0 .. e.Offsets.[e.Offsets.Length - 1] - 1 do
                                    e.Weights.[Ensemble.index e k q] <- 0.0

                        t <- t + n
                        left <- left - n
                    | None, Some wk when sde ->
                        let st = single.Value
                        let r = recs.[0]
                        let mutable rng = rngs.[0]
                        let mutable k = 0L

                        while k < n && live 0 do
                            if r.FixedPointStep.IsSome then
                                k <- n
                            else
                                FullBatch.drawInto wk &rng

                                if not (FullBatch.sdeStep st wk hyper 1.0) then
                                    r.DivergenceStep <- Some(t + k)

                                k <- k + 1L

                        rngs.[0] <- rng
                        t <- t + k
                        left <- left - k
                    | None, Some wk ->
                        let st = single.Value
                        let r = recs.[0]
                        let mutable k = 0L

                        while k < n && live 0 do
                            if r.FixedPointStep.IsSome then
                                k <- n
                            else
                                if not (FullBatch.step st wk hyper) then
                                    r.DivergenceStep <- Some(t + k)
                                elif FullBatch.isFixedPoint st wk then
                                    r.FixedPointStep <- Some(t + k)

                                k <- k + 1L

                        t <- t + k
                        left <- left - k
                    | None, None ->
                        let mutable rng = rngs.[0]

                        match Engine.runDetailed single.Value hyper &rng n with
                        | RunOutcome.Completed k
                        | RunOutcome.Stopped k ->
                            t <- t + k
                            left <- left - k
                        | RunOutcome.Diverged k ->
                            recs.[0].DivergenceStep <- Some(t + k)
                            t <- t + k + 1L
                            left <- left - (k + 1L)

                        rngs.[0] <- rng

                    if allDead () then
                        fin <- true

            match ens with
            | Some e ->
                for k in 0 .. rngs.Length - 1 do
                    rngs.[k] <- e.Rngs.[k]
            | None -> ()

            {
                Kind = c.Kind
                Step = t
                Next = next
                Checked = checkedAt
                Rngs = rngs
                Engine =
                    (match single with
                     | Some st when not fin -> Some(Engine.capture st)
                     | _ -> None)
                Lanes =
                    (match ens with
                     | Some e when not fin -> Some(Array.copy e.Weights)
                     | _ -> None)
                Records = recs |> Array.map (fun r -> r.ToRecord())
                Done = fin
            }

    /// The run of a record (finished or, for partial reports, not): events read off.
    let runOf (p: CompletionParams) (kind: ChainKind) (r: ChainRecord) : CompletionRun =
        let start =
            if r.Observations.Length > 0 then
                r.Observations.[0].Level
            else
                max r.Level 0

        let hitting =
            [|
                for rho in start - 1 .. -1 .. 1 do
                    let first = r.Events |> Array.tryFind (fun e -> e.ToRank >= 1 && e.ToRank <= rho)

                    match first with
                    | Some e -> yield rho, e.Step
                    | None -> ()
            |]

        {
            Kind = kind
            Chain = r.Chain
            Horizon = horizonOf p kind
            StartLevel = start
            FinalLevel = max r.Level 0
            Events = r.Events
            Drops =
                r.Events
                |> Array.filter (fun e -> e.ToRank < e.FromRank && e.ToRank >= 1)
                |> Array.length
            Returns = r.Events |> Array.filter (fun e -> e.ToRank > e.FromRank) |> Array.length
            LastReturnStep =
                r.Events
                |> Array.filter (fun e -> e.ToRank > e.FromRank)
                |> Array.tryLast
                |> Option.map (fun e -> e.Step)
            CollapseStep =
                r.Events
                |> Array.tryFind (fun e -> e.ToRank = 0)
                |> Option.map (fun e -> e.Step)
            Hitting = hitting
            Observations = r.Observations
            Offshoots = r.Offshoots
            DivergenceStep = r.DivergenceStep
            FixedPointStep = r.FixedPointStep
        }

    /// The runs of a unit, one per record.
    let finish (p: CompletionParams) (c: CompletionCursor) : CompletionRun[] = c.Records |> Array.map (runOf p c.Kind)

    /// The result from the finished units (`cursors` order: SDE twins, SGD units, then the GD control).
    let ofCursors (p: CompletionParams) (units: CompletionCursor[]) : CompletionResult =
        let runs = units |> Array.collect (finish p)
        let chains = runs |> Array.filter (fun r -> r.Kind = ChainKind.Sgd)
        let sde = runs |> Array.filter (fun r -> r.Kind = ChainKind.Sde)
        let gd = runs |> Array.find (fun r -> r.Kind = ChainKind.Gd)

        {
            Params = p
            TargetSingular = snd (Ladder.targetRank p.Task)
            Chains = chains
            Gd = gd
            Sde = sde
            Summary = CompletionStats.summarize p chains gd
            SdeSummary =
                if sde.Length > 0 then
                    Some(CompletionStats.summarize p sde gd)
                else
                    None
            Comparison = CompletionStats.comparison p chains gd sde
        }

    /// Runs every unit to the end (on at most `maxThreads` threads; results are stored by unit, so they
    /// do not depend on the thread count): the whole experiment as one segment per unit.
    let run (p: CompletionParams) (maxThreads: int) : CompletionResult =
        let units = cursors p

        let options =
            System.Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = max 1 maxThreads)

        System.Threading.Tasks.Parallel.For(
            0,
            units.Length,
            options,
            fun k -> units.[k] <- advance p units.[k] System.Int64.MaxValue
        )
        |> ignore

        ofCursors p units
