namespace LowRankVerify.Theory


/// Outcome of a C3 witness run.
type WitnessResult =
    {
        /// B_r was reached.
        Reached: bool
        /// Steps T until the first checkpoint in B_r (or all the steps run).
        Steps: int64
        /// log P of the exact path: T·log(1/N).
        LogProbPath: float
        /// log P of drawing only from the restricted set for T steps: T·log(N_S/N).
        LogProbSet: float
        /// The restricted entries S.
        Entries: (int * int)[]
        /// The largest smallest slack of B_r (`RegionSlack.Min`) over the start and the checkpoints: how
        /// close the run came (≥ 0 inside, as computed).
        BestSlack: float
    }

/// One C3 case run both ways from the same start, η, λ, region, draw stream, budget and cadence: the
/// restricted witness (entries of r random rows or columns) and unrestricted SGD (every observed entry).
type ReachComparison =
    {
        /// "aimed" (`aimedReachCase`) or "derived regime" (`randomSimulationCase`).
        Source: string
        /// The task.
        Task: Task
        /// Depth L.
        Depth: int
        /// Region B_r.
        Region: RegionParams
        /// η and λ.
        Hyper: Hyper
        /// The start θ_0 (outside B_r).
        Start: Network
        /// State of the draws' stream at step 0 (both runs start from it).
        DrawState: uint64
        /// Restricted to columns instead of rows.
        ByColumns: bool
        /// Step budget of each run.
        MaxSteps: int64
        /// Membership is checked every this many steps (both runs).
        CheckEvery: int64
        /// The restricted witness run.
        Restricted: WitnessResult
        /// Unrestricted SGD.
        Unrestricted: WitnessResult
    }

/// C3 Reachability (THEORY.md §2): from any θ_t there is T with P(θ_{t+T} ∈ B_r | θ_t) > 0. A witness is an
/// explicit sequence of draws restricted to r rows (or columns) that lands in B_r (`witness`); a case is
/// non-trivial when unrestricted SGD does not get there with the same budget (`reachComparison`). The check on a
/// budget (`check`), its negative control and its hunt objective (`evaluate`, `problem`).
[<RequireQualifiedAccess>]
module C3 =

    /// The entries of r chosen rows (or columns when `byColumns`), chosen at random among those holding
    /// observed entries (THEORY.md C3 mechanism); every observed entry when r covers them all.
    let restrictedEntries (rng: byref<Rng>) (task: Task) (r: int) (byColumns: bool) : (int * int)[] =
        let key (i, j) = if byColumns then j else i
        let lines = task.Observed |> Array.map key |> Array.distinct
        let shuffled = Array.copy lines

        for a in shuffled.Length - 1 .. -1 .. 1 do
            let b = Rng.nextInt &rng (a + 1)
            let t = shuffled.[a]
            shuffled.[a] <- shuffled.[b]
            shuffled.[b] <- t

        let chosen = shuffled |> Array.truncate (max 1 r) |> Set.ofArray
        task.Observed |> Array.filter (fun e -> chosen.Contains(key e))

    /// C3: runs SGD drawing only from `entries` (the witness sequence is the draws of `rng`, uniform over
    /// `entries` by `Engine.run`), checking membership every `checkEvery` steps, up to `maxSteps`. A point
    /// counts as reached only when every slack of B_r is at least its round-off bound (measurement and the
    /// steps' accumulated round-off, `Region.slackAndBoundDrift`), never on noise. With `entries` = every
    /// observed entry this is unrestricted SGD (the comparison that makes a C3 case non-trivial).
    let witness
        (task: Task)
        (hyper: Hyper)
        (p: RegionParams)
        (start: Network)
        (entries: (int * int)[])
        (maxSteps: int64)
        (checkEvery: int64)
        (rng: Rng)
        : WitnessResult =
        let restricted = { task with Observed = entries }
        let st = Engine.create restricted start
        let mutable r = rng
        let mutable t = 0L
        let mutable prev = start
        let mutable drift = [||]
        let mutable best = -infinity
        // A witness must be inside B_r by more than round-off: every slack at least its round-off bound,
        // the steps' accumulated round-off included (`Region.stepRoundOff`).
        let clearlyInside (net: Network) =
            let s, b = Region.slackAndBoundDrift drift p net
            best <- max best s.Min
            s.Balancedness >= b.Balancedness && s.Rank >= b.Rank && s.Bounded >= b.Bounded

        let mutable reached = clearlyInside start
        let mutable ok = true

        while not reached && ok && t < maxSteps do
            let n = min checkEvery (maxSteps - t)
            ok <- Engine.run st hyper &r n
            t <- t + n

            if ok then
                let net = Engine.toNetwork st

                if net.W |> Array.forall Linalg.isFinite then
                    drift <- Region.stepRoundOff drift n hyper.Eta (2.0 * hyper.Eta * hyper.Lambda) restricted prev net
                    prev <- net
                    reached <- clearlyInside net
                else
                    ok <- false

        {
            Reached = reached
            Steps = t
            LogProbPath = float t * log (1.0 / float task.N)
            LogProbSet = float t * log (float entries.Length / float task.N)
            Entries = entries
            BestSlack = best
        }

    /// `witness` both ways (restricted to r rows or columns drawn from `rng`, and unrestricted) from `start`.
    let reachComparison source tk depth (p: RegionParams) hyper start (rng: Rng) maxSteps checkEvery =
        let mutable rng = rng
        let byColumns = Rng.nextInt &rng 2 = 0
        let entries = restrictedEntries &rng tk p.R byColumns
        let w = witness tk hyper p start entries maxSteps checkEvery rng
        let all = witness tk hyper p start tk.Observed maxSteps checkEvery rng

        {
            Source = source
            Task = tk
            Depth = depth
            Region = p
            Hyper = hyper
            Start = start
            DrawState = rng.State
            ByColumns = byColumns
            MaxSteps = maxSteps
            CheckEvery = checkEvery
            Restricted = w
            Unrestricted = all
        }

    /// C3 at aimed case `index` (`ClaimCases.aimedReachCase`), both ways with `maxSteps` and `checkEvery`.
    let aimedReach (seed: uint64) (index: int) (maxSteps: int64) (checkEvery: int64) =
        let tk, depth, p, hyper, start, rng = ClaimCases.aimedReachCase seed index
        reachComparison "aimed" tk depth p hyper start rng maxSteps checkEvery

    /// C3 at derived-regime case `index` (`ClaimCases.randomSimulationCase`, start from `ClaimCases.outsideStart`), both ways.
    let regimeReach (seed: uint64) (index: int) (maxSteps: int64) (checkEvery: int64) =
        let tk, depth, widths, p, hyper, rng0 = ClaimCases.randomSimulationCase seed index
        let start, rng = ClaimCases.outsideStart rng0 p widths
        reachComparison "derived regime" tk depth p hyper start rng maxSteps checkEvery

    /// C3's non-triviality: unrestricted SGD did not reach B_r at any checkpoint within the same budget.
    let reachNonTrivial (c: ReachComparison) = not c.Unrestricted.Reached

    /// C3's non-triviality criterion, one sentence.
    [<Literal>]
    let criterion =
        "a start from which unrestricted SGD (every observed entry drawn) is not in B_r at any checkpoint within the same steps, draws, eta and lambda, so that only the restricted draws' witness shows reachability"

    /// A C3 case as plain data (`--cases-out`): task, start, region, η, λ, the draws' stream state, the
    /// restricted entries, the budget and cadence, and both runs' outcomes.
    let reachRecord (index: int) (c: ReachComparison) : CaseRecord =
        let run (name: string) (w: WitnessResult) =
            [
                name + "Reached", CaseValue.Flag w.Reached
                name + "Steps", CaseValue.Integer w.Steps
                name + "BestSlack", CaseValue.Number w.BestSlack
            ]

        {
            Claim = ClaimId.C3
            Index = index
            Kind = sprintf "witness run (%s)" c.Source
            Task = Some c.Task
            Layers = Some c.Start
            Region = Some c.Region
            Eta = Some c.Hyper.Eta
            Lambda = Some c.Hyper.Lambda
            Verdict =
                (if c.Restricted.Reached then
                     Verdict.Holds
                 else
                     Verdict.Inconclusive)
            NonTrivial = reachNonTrivial c
            Values =
                [
                    "drawState", CaseValue.Seed c.DrawState
                    "restrictedEntries", CaseValue.Entries c.Restricted.Entries
                    "byColumns", CaseValue.Flag c.ByColumns
                    "maxSteps", CaseValue.Integer c.MaxSteps
                    "checkEvery", CaseValue.Integer c.CheckEvery
                    "logProbPath", CaseValue.Number c.Restricted.LogProbPath
                    "logProbSet", CaseValue.Number c.Restricted.LogProbSet
                ]
                @ run "restricted" c.Restricted
                @ run "unrestricted" c.Unrestricted
        }

    /// Aimed C3 cases per `budget.Cases` (quick 600 → 20, full 2000 → 66; at least 4).
    [<Literal>]
    let aimedReachPer = 30

    /// C3 on `budget.Cases / 4` derived-regime starts (at least 2) and `budget.Cases / aimedReachPer` aimed
    /// starts (at least 4), each run restricted and unrestricted with `budget.SimulationSteps` steps, checked
    /// every SimulationSteps/1000 (regime) or max(10, SimulationSteps/2000) steps (aimed).
    let check (budget: CheckBudget) (progress: string -> unit) : CheckResult =

        let runs =
            [
                for i in 0 .. max 2 (budget.Cases / 4) - 1 ->
                    regimeReach
                        (budget.Seed ^^^ 0xC3UL)
                        i
                        budget.SimulationSteps
                        (max 1L (budget.SimulationSteps / 1000L))
                for i in 0 .. max 4 (budget.Cases / aimedReachPer) - 1 ->
                    aimedReach
                        (budget.Seed ^^^ 0xC333UL)
                        i
                        budget.SimulationSteps
                        (max 10L (budget.SimulationSteps / 2000L))
            ]

        let records = runs |> List.mapi reachRecord

        let line (source: string) =
            let cs = runs |> List.filter (fun c -> c.Source = source)
            let nt = cs |> List.filter reachNonTrivial

            let ts =
                nt
                |> List.filter (fun c -> c.Restricted.Reached)
                |> List.map (fun c -> float c.Restricted.Steps)

            sprintf
                "%s: %d starts, restricted draws reached B_r in %d, unrestricted SGD in %d; non-trivial %d (witness reached in %d, T median %s, max %s)"
                source
                cs.Length
                (cs |> List.filter (fun c -> c.Restricted.Reached) |> List.length)
                (cs |> List.filter (fun c -> c.Unrestricted.Reached) |> List.length)
                nt.Length
                ts.Length
                (Check.summary Check.median "%.0f" ts)
                (Check.summary List.max "%.0f" ts)

        let reached = runs |> List.filter (fun c -> c.Restricted.Reached)

        let cov =
            sprintf
                "%s; %s; log P(path) min %s"
                (line "aimed")
                (line "derived regime")
                (reached
                 |> List.map (fun c -> c.Restricted.LogProbPath)
                 |> Check.summary List.min "%.3g")

        progress ("C3: " + cov)

        let undecided =
            [
                for (i, c) in List.indexed runs do
                    if not c.Restricted.Reached then
                        yield
                            {
                                Claim = ClaimId.C3
                                Description =
                                    sprintf
                                        "%s case: no witness within %d steps: task %dx%d N=%d, L=%d, r=%d, eta=%.3g, lambda=%.3g, %d restricted entries; unrestricted SGD %s"
                                        c.Source
                                        c.Restricted.Steps
                                        c.Task.DOut
                                        c.Task.DIn
                                        c.Task.N
                                        c.Depth
                                        c.Region.R
                                        c.Hyper.Eta
                                        c.Hyper.Lambda
                                        c.Restricted.Entries.Length
                                        (if c.Unrestricted.Reached then
                                             sprintf "reached B_r after %d steps" c.Unrestricted.Steps
                                         else
                                             "did not reach B_r either")
                                Violation = 0.0
                                Bound = 0.0
                                Status = Verdict.Inconclusive
                                Replay = Check.replay ClaimId.C3 budget (Some i)
                            }
            ]

        {
            Statement =
                "from theta outside B_r, drawing only entries of r chosen rows (or columns) reaches B_r in finite T (aimed weak-decay cases whose data ask for rank > r, and the derived regime, eta = etaMax); unrestricted SGD run beside each with the same budget"
            Verdict =
                (if undecided.IsEmpty then
                     Verdict.Holds
                 else
                     Verdict.Inconclusive)
            CasesTried = runs.Length
            NonTrivialCases = ClaimOutcome.nonTrivialCount records
            BoundaryCoverage = cov
            Cases = records
            Counterexamples = undecided
        }

    /// C3's negative control: without weight decay (λ = 0) restricted draws find no witness; it must fail.
    let controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list =
        [
            fun budget progress ->
                Check.control
                    "C3 with lambda = 0 (restricted draws, no decay)"
                    ClaimId.C3
                    (max 2 (budget.Cases / 8))
                    (fun i ->
                        let tk, depth, widths, p, hyper, rng0 =
                            ClaimCases.randomSimulationCase (budget.Seed ^^^ 0xC3C3UL) i

                        let mutable rng = rng0
                        let start, r1 = ClaimCases.outsideStart rng p widths
                        rng <- r1
                        let entries = restrictedEntries &rng tk p.R false

                        let w =
                            witness
                                tk
                                { hyper with Lambda = 0.0 }
                                p
                                start
                                entries
                                budget.SimulationSteps
                                (max 1L (budget.SimulationSteps / 100L))
                                rng

                        if w.Reached then
                            None
                        else
                            Some(
                                sprintf
                                    "task %dx%d N=%d L=%d r=%d eta=%.3g lambda=0: no witness in %d steps"
                                    tk.DOut
                                    tk.DIn
                                    tk.N
                                    depth
                                    p.R
                                    hyper.Eta
                                    w.Steps
                            ))
                    progress
        ]

    /// C3's hunt objective at a point of its hunt space: a restricted-draw witness run of `steps` steps from a
    /// start outside B_r; the later it reaches B_r the higher the score (no witness: score 0, inconclusive, since
    /// C3 is an existence claim that a finite search cannot refute).
    let evaluate (o: HuntOverrides) (steps: int) (s: ReachSpec) =
        let tk =
            match o.Task with
            | Some t -> t
            | None -> Generators.task s.Task

        let depth = defaultArg o.Depth s.Depth

        let widths =
            Array.concat [ [| tk.DIn |]; Array.create (depth - 1) s.Width; [| tk.DOut |] ]

        let k = Array.min widths
        let r = max 1 (min k (defaultArg o.R s.R))
        let family = defaultArg o.Family s.Family

        let lambdaC = Overrides.constantsLambda o s.Lambda

        let p =
            Regime.derive { Regime.defaults with Family = family } tk depth r lambdaC
            |> Overrides.region o

        let eta =
            defaultArg
                o.Eta
                (Regime.etaMaxIgnoring [ "R3" ] p tk depth lambdaC Regime.defaults.Rho
                 * o.EtaFactor)

        let hyper =
            {
                Eta = eta
                Lambda = defaultArg o.Lambda s.Lambda
            }

        let inside = eta > 0.0 && Regime.inside hyper p tk depth Regime.defaults.Rho

        if (o.InRegimeOnly && not inside) || eta <= 0.0 then
            Hunt.outOfScope
        else
            let mutable rng = Rng.stream s.Seed 5UL
            let scale = sqrt (s.StartFactor * p.C / float (widths.[0] * widths.[1]))
            let start, r1 = Network.gaussian rng scale widths
            rng <- r1

            if Region.contains p start then
                Hunt.outOfScope
            else
                let entries = restrictedEntries &rng tk r s.ByColumns

                let w =
                    witness tk hyper p start entries (int64 steps) (max 1L (int64 steps / 200L)) rng

                let frac = float w.Steps / float steps

                {
                    Score = (if w.Reached then frac - 1.0 else 0.0)
                    AltScore = (if w.Reached then frac - 1.0 else 0.0)
                    Violation = (if w.Reached then 0.0 else 1.0)
                    Bound = 0.0
                    Status = (if w.Reached then Verdict.Holds else Verdict.Inconclusive)
                    InRegime = inside
                    Description =
                        sprintf
                            "task %dx%d N=%d, L=%d, width %d, r=%d, eta=%.4g, lambda=%.4g, start factor %.3g, %d restricted entries (%s): %s"
                            tk.DOut
                            tk.DIn
                            tk.N
                            depth
                            s.Width
                            r
                            hyper.Eta
                            hyper.Lambda
                            s.StartFactor
                            entries.Length
                            (if s.ByColumns then "columns" else "rows")
                            (if w.Reached then
                                 sprintf "witness reached B_r after %d steps" w.Steps
                             else
                                 sprintf
                                     "no witness within %d steps (C3 is an existence claim: a finite search cannot confirm a counterexample)"
                                     w.Steps)
                    Case = None
                }

    /// C3's hunt problem under fixed values, with witness runs of `steps` steps.
    let problem (o: HuntOverrides) (steps: int) : Problem<ReachSpec> =
        {
            Sample = ClaimCases.reachSpec
            Aimed = ClaimCases.reachSpec
            Mutate = Mutate.reachSpec o
            Evaluate = evaluate o steps
            Shrinks = Shrink.reachSpec o
            Size = Shrink.reachSize
            Parameters =
                fun s ->
                    [
                        "dOut", string s.Task.DOut
                        "dIn", string s.Task.DIn
                        "taskSeed", string s.Task.Seed
                        "depth", string s.Depth
                        "width", string s.Width
                        "r", string s.R
                        "lambda", Hunt.number s.Lambda
                        "family", FAlpha.name s.Family
                        "startFactor", Hunt.number s.StartFactor
                        "byColumns", string s.ByColumns
                        "seed", string s.Seed
                        "steps", string steps
                    ]
        }

    /// C3's hunter: `problem` with witness runs of max(1000, 50 × the settings' steps).
    let hunter =
        Hunt.hunter (fun settings -> problem settings.Overrides (max 1000 (settings.Steps * 50)))

    /// C3 in the registry.
    let definition: ClaimDefinition =
        ClaimDefinition.asserted ClaimId.C3 "Reachability" criterion Required.Runs check controls (Some hunter)
