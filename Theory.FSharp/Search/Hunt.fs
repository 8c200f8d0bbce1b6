namespace LowRankVerify.Theory

/// Budget and strategy of a hunt.
type HuntSettings =
    {
        /// The claim.
        Claim: ClaimId
        /// Seed: the whole hunt is a function of it (and of the evaluation count reached).
        Seed: uint64
        /// Most evaluations (deterministic stop).
        MaxEvaluations: int
        /// Most seconds (wall-clock stop; the evaluation count reached is reported for replay).
        MaxSeconds: float
        /// Non-improving proposals before a restart from a fresh random candidate.
        Patience: int
        /// Stop at the first confirmed counterexample.
        StopAtFirst: bool
        /// Shrink every confirmed counterexample.
        Shrink: bool
        /// SGD steps per simulated run (C3, C4).
        Steps: int
        /// Fixed values.
        Overrides: HuntOverrides
    }

/// One candidate found by a hunt.
type HuntFinding =
    {
        /// The claim.
        Claim: ClaimId
        /// Size of the violation (≤ 0 when the claim held on this candidate).
        Violation: float
        /// Round-off bound (or, for C6, the documented threshold) of the violated quantity.
        Bound: float
        /// `Counterexample` (violation > bound: confirmed), `Inconclusive` (0 < violation ≤ bound, or an
        /// existence claim that a finite search cannot refute), `Holds`.
        Status: Verdict
        /// Search objective (larger is closer to a violation; > 0 for confirmed C1, C2, C4, C6 cases).
        Score: float
        /// 1-based evaluation index at which it was found.
        Evaluation: int
        /// Seconds into the hunt when it was found.
        Seconds: float
        /// True when the case lies inside the claim's documented regime.
        InRegime: bool
        /// Parameters of the case (name, value), for the store and the report.
        Parameters: (string * string) list
        /// The case in words.
        Description: string
        /// The full C1 case (C1 only), for the regression set.
        Case: ClosureCase option
        /// A size measure (smaller after shrinking).
        Size: int
        /// True when this finding is the result of shrinking another.
        Shrunk: bool
    }

/// Result of a hunt (or of the random-testing baseline).
type HuntResult =
    {
        /// The claim.
        Claim: ClaimId
        /// "hill-climb" or "random".
        Strategy: string
        /// The seed.
        Seed: uint64
        /// Evaluations done.
        Evaluations: int
        /// Restarts done (hill climbing).
        Restarts: int
        /// Seconds spent.
        Seconds: float
        /// Candidate with the largest score.
        Best: HuntFinding option
        /// Confirmed counterexamples (shrunk when asked), in the order found.
        Confirmed: HuntFinding list
        /// Evaluation index and seconds of the first confirmed counterexample.
        FirstConfirmed: (int * float) option
        /// Number of evaluated candidates that were valid (inside the scope).
        Valid: int
    }

/// Plain-data state of a hunt at a (re)start boundary (no climb in progress), from which `Hunt.advance`
/// continues exactly as the uninterrupted hunt would: checkpointable (THEORY.md §4 "Counterexample
/// hunting"; docs/long-runs.md).
type HuntState =
    {
        /// The search's random-number state (one `uint64`).
        Rng: Rng
        /// Evaluations done.
        Evaluations: int
        /// Evaluations of candidates inside the scope.
        Valid: int
        /// Restarts done.
        Restarts: int
        /// Index of the current climb (the objective alternates: `Score` on even, `AltScore` on odd climbs).
        ClimbIndex: int
        /// Initial samples of the current restart still to draw (0 when none is pending).
        InitLeft: int
        /// Non-improving proposals counted so far (only non-zero while no initial sample was valid).
        Stale: int
        /// Candidate with the largest score so far.
        Best: HuntFinding option
        /// Confirmed counterexamples so far (shrunk when asked), in the order found.
        Confirmed: HuntFinding list
        /// Evaluation index and seconds of the first confirmed counterexample.
        FirstConfirmed: (int * float) option
        /// Wall-clock seconds spent so far (a time budget continues with the remainder on resume).
        Seconds: float
        /// True when the hunt reached a stop (evaluations, time, or first counterexample when asked).
        Finished: bool
    }

/// One evaluation of a candidate.
type Evaluation =
    {
        /// Objective (−∞ for a candidate outside the scope).
        Score: float
        /// Alternative objective, used on every other restart (C1: slack-relative; others: = Score).
        AltScore: float
        /// Violation (as `HuntFinding.Violation`).
        Violation: float
        /// Bound (as `HuntFinding.Bound`).
        Bound: float
        /// Verdict of this candidate.
        Status: Verdict
        /// Inside the documented regime.
        InRegime: bool
        /// In words.
        Description: string
        /// The C1 case, when there is one.
        Case: ClosureCase option
    }

/// A search problem over specs 's: random sampling (the generator), a local mutation, the evaluation,
/// smaller variants for shrinking, a size and the parameter list.
type Problem<'s> =
    {
        /// A fresh random spec (the generator: also the random-testing baseline).
        Sample: Rng -> 's * Rng
        /// A fresh spec aimed at the limits of the claim's hypotheses (C1, C4:
        /// `Generators.aimedClosureSpec`; the other claims: = `Sample`), the hunt's even initial samples.
        Aimed: Rng -> 's * Rng
        /// A neighbour of a spec.
        Mutate: Rng -> 's -> 's * Rng
        /// Evaluates a spec.
        Evaluate: 's -> Evaluation
        /// Smaller or rounder variants of a spec, most aggressive first.
        Shrinks: 's -> 's list
        /// Size measure (sum of shapes and ranks).
        Size: 's -> int
        /// Parameters (name, value).
        Parameters: 's -> (string * string) list
    }

/// How a hunt draws the initial samples of each (re)start.
[<RequireQualifiedAccess>]
type HuntStarts =
    /// Aimed (`Problem.Aimed`) and plain (`Problem.Sample`) in turn: the hunt.
    | Aimed
    /// Plain only: the ablation without aimed starts.
    | Plain
    /// Plain samples that consume the aimed sampler's random draws: the race's negative control.
    | Placebo

/// A claim's hunt objective with its spec type hidden (`Hunt.hunter` of a `Problem`), so that the claim registry
/// (`Claims.all`) holds the hunters of every claim alike.
type Hunter =
    {
        /// Continues a hunt from a state (hill climbing when the flag is true, else random testing, with the given
        /// starts) until it finishes or, at a (re)start boundary, the pause test is true.
        Search: HuntSettings -> bool -> HuntStarts -> HuntState -> (int -> bool) -> HuntState
    }

/// Counterexample hunting (THEORY.md §4), claim-agnostic: aimed and plain starts, then hill climbing with restarts
/// over a spec space, maximising a claim's violation relative to its round-off bound (its `Problem`, defined
/// with the claim in Claims/), then shrinking (`Shrink`); plus the random testing baseline with the same
/// generator. Deterministic per seed for a given evaluation count.
[<RequireQualifiedAccess>]
module Hunt =

    /// Default settings for a claim: 2000 evaluations, 60 s, patience 40, shrinking, 300 simulation steps.
    let defaults (claim: ClaimId) (seed: uint64) =
        {
            Claim = claim
            Seed = seed
            MaxEvaluations = 2000
            MaxSeconds = 60.0
            Patience = 40
            StopAtFirst = false
            Shrink = true
            Steps = 300
            Overrides = Overrides.none
        }

    /// The evaluation of a candidate outside the scope (objective −∞).
    let outOfScope =
        {
            Score = -infinity
            AltScore = -infinity
            Violation = 0.0
            Bound = 0.0
            Status = Verdict.Holds
            InRegime = false
            Description = "outside the scope"
            Case = None
        }

    /// A float in round-trip form (the parameters of a finding).
    let number (x: float) =
        x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)


    /// A finding of a problem's spec with its evaluation, evaluation index, seconds and whether it was shrunk.
    let findingOf (claim: ClaimId) (pr: Problem<'s>) (s: 's) (e: Evaluation) (n: int) (secs: float) (shrunk: bool) =
        {
            Claim = claim
            Violation = e.Violation
            Bound = e.Bound
            Status = e.Status
            Score = e.Score
            Evaluation = n
            Seconds = secs
            InRegime = e.InRegime
            Parameters = pr.Parameters s
            Description = e.Description
            Case = e.Case
            Size = pr.Size s
            Shrunk = shrunk
        }

    /// Greedy shrinking: repeatedly takes the first smaller/rounder variant that is still a confirmed
    /// counterexample, at most `maxEvaluations` evaluations. Returns the final spec and its evaluation.
    let shrinkWith (pr: Problem<'s>) (maxEvaluations: int) (s: 's) (e: Evaluation) : 's * Evaluation * int =
        let mutable cur, curE = s, e
        let mutable used = 0
        let mutable progress = true

        while progress && used < maxEvaluations do
            progress <- false
            let cands = pr.Shrinks cur
            let mutable k = 0
            let cands = Array.ofList cands

            while not progress && k < cands.Length && used < maxEvaluations do
                let c = cands.[k]
                used <- used + 1
                let ce = pr.Evaluate c

                if ce.Status = Verdict.Counterexample && pr.Size c <= pr.Size cur then
                    cur <- c
                    curE <- ce
                    progress <- true

                k <- k + 1

        cur, curE, used

    /// Most evaluations spent shrinking one counterexample.
    [<Literal>]
    let shrinkBudget = 150

    /// Most confirmed counterexamples kept (and shrunk) per hunt.
    [<Literal>]
    let maxConfirmed = 8

    /// Fresh samples drawn at each (re)start before climbing from the best of them, aimed (`Problem.Aimed`)
    /// on even and plain (`Problem.Sample`) on odd draws: the aimed ones make the hunt faster than random
    /// testing on the standard controls, the plain ones keep it from being much slower where the aimed
    /// region misses (docs/hunting-and-maps.md, "Hunts").
    [<Literal>]
    let initialSamples = 8

    /// Longest climb, in units of `Patience` proposals, before a restart.
    [<Literal>]
    let maxClimb = 5

    /// The state of a hunt before its first evaluation (its random stream is `Rng.stream seed 0x4807`).
    let start (settings: HuntSettings) : HuntState =
        {
            Rng = Rng.stream settings.Seed 0x4807UL
            Evaluations = 0
            Valid = 0
            Restarts = 0
            ClimbIndex = 0
            InitLeft = 0
            Stale = 0
            Best = None
            Confirmed = []
            FirstConfirmed = None
            Seconds = 0.0
            Finished = false
        }

    /// True when the settings' stop rule holds after `n` evaluations and `seconds` of wall time.
    let private stopped (settings: HuntSettings) (n: int) (seconds: float) (first: (int * float) option) =
        n >= settings.MaxEvaluations
        || not (seconds < settings.MaxSeconds)
        || (settings.StopAtFirst && first.IsSome)

    let private search
        (claim: ClaimId)
        (pr: Problem<'s>)
        (settings: HuntSettings)
        (climb: bool)
        (aim: bool)
        (st: HuntState)
        (pause: int -> bool)
        : HuntState =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let elapsed () = st.Seconds + sw.Elapsed.TotalSeconds
        let mutable rng = st.Rng
        let mutable n = st.Evaluations
        let n0 = st.Evaluations
        let mutable valid = st.Valid
        let mutable restarts = st.Restarts
        let mutable best: HuntFinding option = st.Best
        let confirmed = ResizeArray<HuntFinding>(st.Confirmed)
        let mutable first = st.FirstConfirmed
        let mutable cur: ('s * Evaluation) option = None
        let mutable stale = st.Stale
        let mutable climbLength = 0
        let mutable initLeft = st.InitLeft
        // the objective alternates between restarts: Score on even climbs, AltScore on odd ones
        let mutable climbIndex = st.ClimbIndex
        let mutable paused = false

        let obj (e: Evaluation) =
            if climbIndex % 2 = 0 then e.Score else e.AltScore

        let stop () = stopped settings n (elapsed ()) first

        // the restart's initial sample number i = initialSamples − 1 − initLeft: aimed when i is even (hunter)
        let draw () =
            if climb && aim && (initialSamples - 1 - initLeft) % 2 = 0 then
                pr.Aimed rng
            else
                pr.Sample rng

        while not (stop ()) && not paused do
            // a (re)start boundary: nothing of a climb is in progress, so the state is plain data
            if cur.IsNone && pause (n - n0) then
                paused <- true
            else
                let s, r' =
                    match cur with
                    | Some(s, _) when climb && initLeft = 0 -> pr.Mutate rng s
                    | Some _ ->
                        // still drawing the restart's initial samples: fresh ones, the best is kept as `cur`
                        initLeft <- initLeft - 1
                        draw ()
                    | None ->
                        // a restart (or, while no initial sample was valid yet, the next initial sample)
                        if climb && n > 0 && initLeft <= 0 then
                            restarts <- restarts + 1
                            climbIndex <- climbIndex + 1

                        climbLength <- 0
                        initLeft <- (if initLeft > 0 then initLeft - 1 else initialSamples - 1)
                        draw ()

                rng <- r'
                climbLength <- climbLength + 1
                let e = pr.Evaluate s
                n <- n + 1

                if System.Double.IsFinite e.Score || e.Score = infinity then
                    valid <- valid + 1

                let f () =
                    findingOf claim pr s e n (elapsed ()) false

                match best with
                | Some b when b.Score >= e.Score -> ()
                | _ ->
                    if e.Score > -infinity then
                        best <- Some(f ())

                if e.Status = Verdict.Counterexample then
                    if first.IsNone then
                        first <- Some(n, elapsed ())

                    if confirmed.Count < maxConfirmed then
                        if settings.Shrink then
                            let s2, e2, _ = shrinkWith pr shrinkBudget s e
                            confirmed.Add(findingOf claim pr s2 e2 n (elapsed ()) (pr.Size s2 < pr.Size s))
                        else
                            confirmed.Add(f ())
                    // a confirmed case ends this climb: restart elsewhere to find different ones
                    cur <- None
                    stale <- 0
                elif climbLength >= maxClimb * settings.Patience then
                    // a climb creeping upward by tiny steps also ends: restart
                    cur <- None
                    stale <- 0
                else
                    match cur with
                    | Some(_, ce) when obj e < obj ce ->
                        stale <- stale + 1

                        if stale >= settings.Patience then
                            cur <- None
                            stale <- 0
                    | _ ->
                        if obj e > -infinity then
                            (match cur with
                             | Some(_, ce) when obj e = obj ce -> stale <- stale + 1
                             | _ -> stale <- 0)

                            cur <- Some(s, e)

                            if stale >= settings.Patience then
                                cur <- None
                                stale <- 0
                        else
                            stale <- stale + 1

                            if stale >= settings.Patience then
                                cur <- None
                                stale <- 0

        {
            Rng = rng
            Evaluations = n
            Valid = valid
            Restarts = restarts
            ClimbIndex = climbIndex
            InitLeft = initLeft
            Stale = stale
            Best = best
            Confirmed = List.ofSeq confirmed
            FirstConfirmed = first
            Seconds = elapsed ()
            Finished = not paused
        }

    /// The result of a hunt's (finished or paused) state.
    let finish (settings: HuntSettings) (climb: bool) (st: HuntState) : HuntResult =
        {
            Claim = settings.Claim
            Strategy = (if climb then "hill-climb" else "random")
            Seed = settings.Seed
            Evaluations = st.Evaluations
            Restarts = st.Restarts
            Seconds = st.Seconds
            Best = st.Best
            Confirmed = st.Confirmed
            FirstConfirmed = st.FirstConfirmed
            Valid = st.Valid
        }

    /// The hunter of a claim's problem (built from the settings' fixed values and steps): what the claim's
    /// registry entry holds.
    let hunter (problem: HuntSettings -> Problem<'s>) : Hunter =
        {
            Search =
                fun settings climb starts st pause ->
                    let pr = problem settings

                    let pr =
                        match starts with
                        | HuntStarts.Placebo ->
                            { pr with
                                Aimed =
                                    fun rng ->
                                        let s, _ = pr.Sample rng
                                        let _, r = pr.Aimed rng
                                        s, r
                            }
                        | _ -> pr

                    search settings.Claim pr settings climb (starts <> HuntStarts.Plain) st pause
        }

    /// Continues the hunt (hill climbing, as `run`) from state `st` until it finishes or, at a (re)start
    /// boundary, `pause evaluationsDoneInThisCall` is true; the returned state is plain data (checkpoint it,
    /// then `advance` again). Advancing in segments equals one `advance` (property `hunt.segments`), apart
    /// from wall-clock seconds; with a time budget the remaining seconds continue (`Seconds` carries over).
    let advance (h: Hunter) (settings: HuntSettings) (st: HuntState) (pause: int -> bool) : HuntState =
        if st.Finished then
            st
        else
            h.Search settings true HuntStarts.Aimed st pause

    /// The hunt: `initialSamples` fresh specs per (re)start, aimed (`Problem.Aimed`: for C1 and C4 the
    /// hypotheses at their limits, `Generators.aimedClosureSpec`) and plain (`Problem.Sample`) in turn, then
    /// hill climbing from the best of them (objective alternating between restarts: `Score`, then `AltScore`)
    /// over the generator's parameters (1–2 field mutations per proposal, equal
    /// scores accepted, restart from a fresh random spec after `Patience` non-improving proposals or after a
    /// confirmed counterexample), each confirmed counterexample shrunk (`shrinkWith`).
    let run (h: Hunter) (settings: HuntSettings) : HuntResult =
        advance h settings (start settings) (fun _ -> false) |> finish settings true

    /// The random-testing baseline: fresh specs from the same generator, uniform sampling, no climbing.
    let randomTesting (h: Hunter) (settings: HuntSettings) : HuntResult =
        h.Search settings false HuntStarts.Plain (start settings) (fun _ -> false)
        |> finish settings false

    /// Ablation of `run` without aimed starts (every initial sample from `Problem.Sample`): what the aimed
    /// starts are worth (the race table of docs/hunting-and-maps.md, "Hunter against random testing").
    let runUnaimed (h: Hunter) (settings: HuntSettings) : HuntResult =
        h.Search settings true HuntStarts.Plain (start settings) (fun _ -> false)
        |> finish settings true

    /// Placebo of `run`: every aimed sample replaced by the plain sample drawn from the same random state,
    /// the random stream advanced as the aimed sampler advances it (so the initial samples differ from
    /// random testing's, but are no better): the race property's negative control.
    let runPlacebo (h: Hunter) (settings: HuntSettings) : HuntResult =
        h.Search settings true HuntStarts.Placebo (start settings) (fun _ -> false)
        |> finish settings true

    /// Warm-up (JIT, caches) of both searches on a settings' problem, two evaluations each, so that the
    /// first timed search does not pay for it (`race`, `hunt --compare-random`).
    let warmUp (h: Hunter) (settings: HuntSettings) =
        let tiny =
            { settings with
                MaxEvaluations = 2
                StopAtFirst = false
                Shrink = false
            }

        randomTesting h tiny |> ignore
        run h tiny |> ignore

    /// Time to the first confirmed counterexample, `search` against random testing with the same generator
    /// and budget, on `seeds` seeds (seed, seed + 1, …): pairs (search, random), each stopped at its first
    /// confirmed counterexample (no shrinking, so the time is the search's alone), after a short warm-up
    /// of both searches. `search` is `run`, or an ablation (`runUnaimed`, `runPlacebo`).
    let raceWith (search: Hunter -> HuntSettings -> HuntResult) (h: Hunter) (settings: HuntSettings) (seeds: int) =
        warmUp h settings

        [|
            for k in 0 .. seeds - 1 do
                let s =
                    { settings with
                        Seed = settings.Seed + uint64 k
                        StopAtFirst = true
                        Shrink = false
                    }

                yield search h s, randomTesting h s
        |]

    /// `raceWith run`: the hunter against random testing.
    let race (h: Hunter) (settings: HuntSettings) (seeds: int) : (HuntResult * HuntResult)[] =
        raceWith run h settings seeds
