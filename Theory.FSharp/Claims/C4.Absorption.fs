namespace LowRankVerify.Theory

/// Outcome of an absorption run (C4, C5).
type AbsorptionResult =
    {
        /// First step at which θ_t ∈ B_r (None when never).
        HitTime: int64 option
        /// A step after the hit at which θ_t ∉ B_r beyond round-off, with its violation and bound.
        Exit: (int64 * float * float) option
        /// Checks after the hit at which the slack was negative within round-off.
        RoundOffExits: int
        /// Steps between membership checks (1: every step).
        CheckEvery: int64
        /// The last state reached.
        Final: Network
    }

/// What `absorptionDetailed` measures beyond `AbsorptionResult` (C4, issue #11).
type AbsorptionDetail =
    {
        /// The run's result.
        Result: AbsorptionResult
        /// Steps at the start of the run checked after every step (then every `Result.CheckEvery`).
        DenseSteps: int64
        /// Membership checks done.
        Checks: int64
        /// Seconds the membership checks took (the measured cost of a check is CheckSeconds / Checks).
        CheckSeconds: float
        /// After the hit: the largest |slack_t − slack_hit| / (bound_t + bound_hit) over the checks and the
        /// conditions of B_r; above 1, the run moved some condition by more than round-off, so an exit
        /// could have been confirmed (0 when the run never entered B_r).
        Visibility: float
    }

/// One run of C4's check: where it started and everything that replays it, with what `absorptionDetailed` measured.
type AbsorptionRun =
    {
        /// Position of the run in the check's sequence.
        Index: int
        /// "outside B_r" or "in B_r (a C1 point)".
        StartKind: string
        /// The task.
        Task: Task
        /// Depth L.
        Depth: int
        /// η and λ.
        Hyper: Hyper
        /// Region B_r.
        Region: RegionParams
        /// θ_0.
        Start: Network
        /// The random-number state the entries are drawn from.
        Rng: Rng
        /// What the run measured.
        Detail: AbsorptionDetail
    }

    /// The run in words, for a counterexample.
    member this.Description =
        sprintf
            "%s, task %dx%d N=%d, L=%d, r=%d, eta=%.3g, lambda=%.3g"
            (if this.StartKind = "outside B_r" then
                 "outside start"
             else
                 "start in B_r")
            this.Task.DOut
            this.Task.DIn
            this.Task.N
            this.Depth
            this.Region.R
            this.Hyper.Eta
            this.Hyper.Lambda

/// C4 Absorption (THEORY.md §2): for any θ_0 and r there is T with P(θ_t ∈ B_r for all t > T | θ_0) = 1;
/// empirically, hitting times of B_r are finite and no run leaves B_r after entering it. SGD runs checked for
/// membership (`absorptionDetailed`), the check on a budget (`check`), its negative control and its hunt
/// objective (`absorptionScore`, `problem`).
[<RequireQualifiedAccess>]
module C4 =

    /// Most membership checks per absorption run: runs longer than this are checked every
    /// ⌈steps / maxChecks⌉ steps (a membership check costs one SVD per layer, ~100 SGD steps).
    [<Literal>]
    let maxChecks = 5000L

    /// Runs `steps` uniform SGD steps with the engine from `start` (entries drawn from `rng`), checking B_r
    /// after every step for the first `denseSteps` steps and when steps ≤ `maxChecks`, else every
    /// ⌈steps / maxChecks⌉ steps; records the first hit and any later exit (an exit counts only beyond the
    /// round-off bound with the steps' accumulated round-off, `Region.slackAndBoundDrift`; a non-finite state
    /// after the hit is an exit), the cost of the checks and how visible the run was after the hit.
    let absorptionDetailed
        (task: Task)
        (hyper: Hyper)
        (p: RegionParams)
        (start: Network)
        (steps: int64)
        (denseSteps: int64)
        (rng: Rng)
        : AbsorptionDetail =
        let every = max 1L ((steps + maxChecks - 1L) / maxChecks)
        let st = Engine.create task start
        let mutable r = rng
        let s0, b0 = Region.slackAndBound p start
        let mutable hit = if s0.Min >= 0.0 then Some 0L else None
        let mutable reference = s0, b0
        let mutable exit = None
        let mutable roundOff = 0
        let mutable t = 0L
        let mutable ok = true
        let mutable prev = start
        let mutable drift = [||]
        let mutable checks = 0L
        let mutable visible = 0.0
        let clock = System.Diagnostics.Stopwatch()
        let ratio = C1.changeOverBound

        while ok && exit.IsNone && t < steps do
            let n = if t < denseSteps then 1L else min every (steps - t)
            ok <- Engine.run st hyper &r n
            t <- t + n
            let net = Engine.toNetwork st

            if not ok || not (net.W |> Array.forall Linalg.isFinite) then
                ok <- false

                if hit.IsSome then
                    exit <- Some(t, infinity, 0.0)
                    visible <- infinity
            else
                clock.Start()
                // the computed run drifts from the exact one by the steps' round-off (`Region.stepRoundOff`)
                drift <- Region.stepRoundOff drift n hyper.Eta (2.0 * hyper.Eta * hyper.Lambda) task prev net
                prev <- net
                let s, b = Region.slackAndBoundDrift drift p net
                checks <- checks + 1L

                match hit with
                | None ->
                    if s.Min >= 0.0 then
                        hit <- Some t
                        reference <- s, b
                | Some _ ->
                    let sr, br = reference
                    let change = Region.mapSlack2 (fun x y -> abs (y - x)) sr s
                    let bounds = Region.mapSlack2 (+) b br
                    visible <- max visible (Region.mapSlack2 ratio change bounds).Max

                    if s.Min < 0.0 then
                        let over =
                            [ -s.Balancedness - b.Balancedness; -s.Rank - b.Rank; -s.Bounded - b.Bounded ]
                            |> List.max

                        if over > 0.0 then
                            exit <- Some(t, -s.Min, -s.Min - over)
                        else
                            roundOff <- roundOff + 1

                clock.Stop()

        {
            Result =
                {
                    HitTime = hit
                    Exit = exit
                    RoundOffExits = roundOff
                    CheckEvery = every
                    Final = Engine.toNetwork st
                }
            DenseSteps = denseSteps
            Checks = checks
            CheckSeconds = clock.Elapsed.TotalSeconds
            Visibility = visible
        }

    /// Runs `steps` uniform SGD steps with the engine, checking B_r after every step when steps ≤ `maxChecks`
    /// (else every ⌈steps / maxChecks⌉ steps); records the first hit and any later exit (an exit counts only
    /// beyond the round-off bound with the steps' accumulated round-off, `Region.roundOffBoundAt`; a
    /// non-finite state after the hit is an exit). `absorptionDetailed` without dense steps.
    let absorption
        (task: Task)
        (hyper: Hyper)
        (p: RegionParams)
        (start: Network)
        (steps: int64)
        (rng: Rng)
        : AbsorptionResult =
        (absorptionDetailed task hyper p start steps 0L rng).Result

    /// Steps checked after every step at the start of C4's runs from points of B_r (choice): a run started at
    /// a boundary point is likeliest to leave right away; the rest of the run is checked every
    /// ⌈steps / maxChecks⌉ steps (every-step checks over whole runs cost too much: see C4's coverage line).
    [<Literal>]
    let denseSteps = 5000L

    /// C4's non-triviality criterion, one sentence (issue #11).
    let criterion =
        "the run entered B_r, its task and lambda (with its depth and widths) admit a nonzero local minimum of rank > r (certified as for C1: NonTriviality.certify), and after entering the run moved some condition of B_r by more than the round-off bounds of its slack at the hit and at the check (otherwise no exit could have been confirmed)"

    /// One C4 run as plain data (`--cases-out`): the task, the start, the region, η, λ, the random-number
    /// state the entries are drawn from, the steps, the dense steps and the check interval (enough to replay
    /// it with `absorptionDetailed`), the hit, any exit, the run's visibility, the final state and the
    /// certificate of a minimum of rank > r.
    let absorptionRecord
        (run: AbsorptionRun)
        (steps: int64)
        (cert: MinimumCertificate)
        (nonTrivial: bool)
        : CaseRecord =
        let d, task, start, p, hyper, rng =
            run.Detail, run.Task, run.Start, run.Region, run.Hyper, run.Rng

        let index, startKind = run.Index, run.StartKind
        let a = d.Result

        {
            Claim = ClaimId.C4
            Index = index
            Kind = "absorption run"
            Task = Some task
            Layers = Some start
            Region = Some p
            Eta = Some hyper.Eta
            Lambda = Some hyper.Lambda
            Verdict =
                (match a.Exit with
                 | Some _ -> Verdict.Counterexample
                 | None when a.HitTime.IsSome -> Verdict.Holds
                 | None -> Verdict.Inconclusive)
            NonTrivial = nonTrivial
            Values =
                [
                    "start", CaseValue.Text startKind
                    "rngState", CaseValue.Seed rng.State
                    "steps", CaseValue.Integer steps
                    "denseSteps", CaseValue.Integer d.DenseSteps
                    "checkEvery", CaseValue.Integer a.CheckEvery
                    "hitTime", CaseValue.Integer(defaultArg a.HitTime -1L)
                    "exitStep",
                    CaseValue.Integer(
                        match a.Exit with
                        | Some(t, _, _) -> t
                        | None -> -1L
                    )
                    "exitViolation",
                    CaseValue.Number(
                        match a.Exit with
                        | Some(_, v, _) when System.Double.IsFinite v -> v
                        | _ -> 0.0
                    )
                    "exitBound",
                    CaseValue.Number(
                        match a.Exit with
                        | Some(_, _, b) -> b
                        | None -> 0.0
                    )
                    "roundOffExits", CaseValue.Integer(int64 a.RoundOffExits)
                    "checks", CaseValue.Integer d.Checks
                    "runVisibility", CaseValue.Number(Check.finiteOr 1e308 d.Visibility)
                    "runVisible", CaseValue.Flag(d.Visibility > 1.0)
                    "final", CaseValue.Networks [| a.Final |]
                    "lambdaScale",
                    CaseValue.Number(NonTriviality.lambdaScale task start.Depth (Network.hiddenWidths start) p.R)
                    "certifiedRankAboveR", CaseValue.Flag(cert.RankAbove p.R)
                ]
                @ Check.certificateValues cert
        }

    /// C4 on `budget.Cases / 4` runs (at least 2) of `budget.SimulationSteps` steps: half start outside B_r
    /// (`ClaimCases.randomSimulationCase`: decay-dominated λ ∈ [0.2, 1], where hitting times are short), half at a C1
    /// point of B_r (`ClaimCases.randomClosureCase`: mostly λ below the data's scale), the latter checked after every
    /// step for their first `denseSteps` steps; every run with its certificate and visibility.
    let check (budget: CheckBudget) (progress: string -> unit) : CheckResult =
        let cache = NonTriviality.Cache()

        let run i startKind (tk: Task) depth hyper p start rng dense =
            {
                Index = i
                StartKind = startKind
                Task = tk
                Depth = depth
                Hyper = hyper
                Region = p
                Start = start
                Rng = rng
                Detail = absorptionDetailed tk hyper p start budget.SimulationSteps dense rng
            }

        let runs =
            [
                for i in 0 .. max 2 (budget.Cases / 4) - 1 do
                    if i % 2 = 0 then
                        let tk, depth, widths, p, hyper, rng0 =
                            ClaimCases.randomSimulationCase (budget.Seed ^^^ 0xC4UL) i

                        let start, r1 = ClaimCases.outsideStart rng0 p widths
                        yield run i "outside B_r" tk depth hyper p start r1 0L
                    else
                        let c, _ = ClaimCases.randomClosureCase (budget.Seed ^^^ 0xC4UL) i

                        if
                            Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
                            && Region.contains c.Region c.Point
                        then
                            yield
                                run
                                    i
                                    "in B_r (a C1 point)"
                                    c.Task
                                    c.Depth
                                    c.Hyper
                                    c.Region
                                    c.Point
                                    (Rng.stream budget.Seed (uint64 (1000 + i)))
                                    (min denseSteps budget.SimulationSteps)
            ]

        let evidence =
            runs
            |> List.map (fun r ->
                let cert = cache.Get(r.Task, r.Hyper.Lambda, Network.hiddenWidths r.Start)
                let d = r.Detail
                r, cert, d.Result.HitTime.IsSome && d.Visibility > 1.0 && cert.RankAbove r.Region.R)

        let entered = runs |> List.filter (fun r -> r.Detail.Result.HitTime.IsSome)

        let hits =
            entered |> List.map (fun r -> float r.Detail.Result.HitTime.Value) |> List.sort

        let nonTrivial = evidence |> List.filter (fun (_, _, n) -> n) |> List.length

        let certified =
            evidence |> List.filter (fun (r, c, _) -> c.RankAbove r.Region.R) |> List.length

        let visible =
            runs |> List.filter (fun r -> r.Detail.Visibility > 1.0) |> List.length

        let checks = runs |> List.sumBy (fun r -> r.Detail.Checks)

        let checkSeconds = runs |> List.sumBy (fun r -> r.Detail.CheckSeconds)

        let perCheck = if checks > 0L then checkSeconds / float checks else 0.0
        let every = max 1L ((budget.SimulationSteps + maxChecks - 1L) / maxChecks)

        let cov =
            sprintf
                "%d of %d runs entered B_r within %d steps (hit time median %s, max %s); %d round-off-level exits; %d non-trivial: %d with a certified minimum of rank > r, %d visible after the hit; checks: after every step for the first %d steps of runs started in B_r, then every %d steps: %d checks in %.1f s (%.1f us each; every step for every run would take about %.0f s per run); %d certificates in %.1f s"
                entered.Length
                runs.Length
                budget.SimulationSteps
                (Check.summary Check.median "%.0f" hits)
                (Check.summary List.max "%.0f" hits)
                (runs |> List.sumBy (fun r -> r.Detail.Result.RoundOffExits))
                nonTrivial
                certified
                visible
                (min denseSteps budget.SimulationSteps)
                every
                checks
                checkSeconds
                (1e6 * perCheck)
                (perCheck * float budget.SimulationSteps)
                cache.Misses
                cache.Seconds

        progress ("C4: " + cov)

        let bad =
            [
                for r in runs do
                    match r.Detail.Result.Exit with
                    | Some(t, v, b) ->
                        yield
                            {
                                Claim = ClaimId.C4
                                Description = sprintf "%s: left B_r at step %d" r.Description t
                                Violation = v
                                Bound = b
                                Status = Verdict.Counterexample
                                Replay = Check.replay ClaimId.C4 budget None
                            }
                    | None -> ()
            ]

        let records =
            evidence
            |> List.map (fun (r, cert, nt) -> absorptionRecord r budget.SimulationSteps cert nt)

        {
            Statement =
                sprintf
                    "SGD runs (derived regime R0-R4: R0-R2 rigorous, R3-R4 first order) that enter B_r never leave it; hitting times are finite. Runs from outside B_r (decay-dominated lambda in [0.2, 1]) and from C1 points of B_r (lambda mostly below the data's scale); membership checked after every step for the first %d steps of the runs started in B_r, then every %d steps (ceil(steps/%d)); an exit between two checks that returns before the next is not seen"
                    (min denseSteps budget.SimulationSteps)
                    every
                    maxChecks
            Verdict =
                (if not bad.IsEmpty then Verdict.Counterexample
                 elif 2 * entered.Length >= runs.Length then Verdict.Holds
                 else Verdict.Inconclusive)
            CasesTried = runs.Length
            NonTrivialCases = nonTrivial
            BoundaryCoverage = cov
            Cases = records
            Counterexamples = bad
        }

    /// C4's negative control: without weight decay (λ = 0) SGD runs from boundary points of B_r leave it; it must
    /// fail.
    let controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list =
        [
            fun budget progress ->
                Check.control
                    "C4 with lambda = 0 (runs from boundary points of B_r)"
                    ClaimId.C4
                    budget.Cases
                    (fun i ->
                        let c = C1.controlCase budget i

                        if not (Region.contains c.Region c.Point) then
                            None
                        else
                            let a =
                                absorption
                                    c.Task
                                    { c.Hyper with Lambda = 0.0 }
                                    c.Region
                                    c.Point
                                    (min budget.SimulationSteps 300L)
                                    (Rng.stream budget.Seed (uint64 (90000 + i)))

                            match a.Exit with
                            | Some(t, v, b) ->
                                Some(
                                    sprintf
                                        "%s; with lambda = 0 the run left B_r at step %d by %.3g (bound %.3g)"
                                        (C1.describe c (C1.closure c))
                                        t
                                        v
                                        b
                                )
                            | None -> None)
                    progress
        ]


    /// C4 objective: `steps` SGD steps (`Engine`) from a C1 point of B_r, B_r checked after every step;
    /// the largest (−slack − bound)/scale over the run (the run leaves B_r beyond round-off when > 0; the
    /// bound covers the measurement and the steps' accumulated round-off, `Region.stepRoundOff`).
    /// Returns (score, violation, bound, step).
    let absorptionScore (c: ClosureCase) (steps: int) (rng: Rng) =
        let p = c.Region
        let st = Engine.create c.Task c.Point
        let mutable r = rng
        let mutable best = (-infinity, 0.0, 0.0, 0)
        let mutable t = 0
        let mutable ok = true
        let mutable prev = c.Point
        let mutable drift = [||]

        while ok && t < steps do
            ok <- Engine.run st c.Hyper &r 1L
            t <- t + 1
            let net = Engine.toNetwork st

            if not ok || not (net.W |> Array.forall Linalg.isFinite) then
                ok <- false
                best <- (infinity, infinity, 0.0, t)
            else
                // the computed run drifts from the exact one by the steps' round-off (`Region.stepRoundOff`)
                drift <- Region.stepRoundOff drift 1L c.Hyper.Eta (2.0 * c.Hyper.Eta * c.Hyper.Lambda) c.Task prev net
                prev <- net
                let s, b = Region.slackAndBoundDrift drift p net

                for (k, v, bb) in Region.violations s b do
                    let score = (v - bb) / C1.conditionScale p k
                    let (bs, _, _, _) = best

                    if score > bs then
                        best <- (score, v, bb, t)

                let (bs, _, _, _) = best

                if bs > 0.0 then
                    ok <- false

        best

    /// C4's hunt problem under fixed values: C1's space of points of B_r (`C1.problem`), objective
    /// `absorptionScore` over runs of `steps` steps.
    let problem (o: HuntOverrides) (steps: int) : Problem<ClosureSpec> =
        let p1 = C1.problem o

        { p1 with
            Evaluate =
                fun s ->
                    let c = Overrides.closureCase o s
                    let inside = C1.inRegime c

                    if (o.InRegimeOnly && not inside) || not (Region.contains c.Region c.Point) then
                        Hunt.outOfScope
                    else
                        let score, v, b, t = absorptionScore c steps (Rng.stream s.Point.Seed 4UL)

                        {
                            Score = score
                            AltScore = score
                            Violation = v
                            Bound = b
                            Status = Verdict.ofViolation v b
                            InRegime = inside
                            Description =
                                sprintf
                                    "SGD run of %d steps from a point of B_r (%s); closest approach at step %d: %s %.3g (round-off bound %.3g)"
                                    steps
                                    (ClaimCases.caseText c)
                                    t
                                    (if v > 0.0 then "left by" else "slack")
                                    (abs v)
                                    b
                            Case = None
                        }
        }

    /// C4's hunter: `problem` with runs of the settings' steps.
    let hunter = Hunt.hunter (fun settings -> problem settings.Overrides settings.Steps)

    /// C4 in the registry.
    let definition: ClaimDefinition =
        ClaimDefinition.asserted ClaimId.C4 "Absorption" criterion Required.Runs check controls (Some hunter)
