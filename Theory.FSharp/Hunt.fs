namespace LowRankVerify.Theory

/// Claims a hunt can target (THEORY.md §2, §4 "Counterexample hunting").
[<RequireQualifiedAccess>]
type HuntClaim =
    /// C1 closure: most negative slack after one SGD step from a point of B_r, over every entry.
    | C1
    /// C2 critical points: excess of Σ f_α(s_i(A)^{2/L}) over r + ε2 at D7 critical points in B_r.
    | C2
    /// C3 reachability: restricted-draw witness runs that take longest (or fail) to reach B_r.
    | C3
    /// C4 absorption: SGD runs started in B_r that come closest to leaving it.
    | C4
    /// C6 no continuous analogue (gradient-descent part): GD near E1's rank-2 minimum that loses rank.
    | C6

/// Values that a hunt keeps fixed instead of searching (None: searched). Values outside a claim's
/// regime are allowed: that is how negative controls are hunted.
type HuntOverrides =
    {
        /// A fixed task (from a file or E1's); None: random tasks from `Generators.taskSpec`.
        Task: Task option
        /// A fixed depth L.
        Depth: int option
        /// A fixed learning rate η (C1, C3, C4).
        Eta: float option
        /// Factor on the searched η (C1, C3, C4: η = fraction · etaMax · factor; C6: on GD's η = 0.5/‖H‖).
        EtaFactor: float
        /// A fixed λ (the region constants are still derived at the searched λ when it is 0).
        Lambda: float option
        /// A fixed rank r of B_r.
        R: int option
        /// A fixed ε1.
        Eps1: float option
        /// A fixed ε2.
        Eps2: float option
        /// A fixed α.
        Alpha: float option
        /// A fixed norm bound C.
        C: float option
        /// A fixed f_α family.
        Family: FAlphaFamily option
        /// Only candidates inside the claim's documented regime count (C1, C4: `Regime.inside`; C2: θ ∈ B_r).
        /// False for controls: C2 then lowers r by one below the point's boundary region (drops the B_r
        /// hypothesis).
        InRegimeOnly: bool
    }

/// Budget and strategy of a hunt.
type HuntSettings =
    {
        /// The claim.
        Claim: HuntClaim
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
        Claim: HuntClaim
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
        Claim: HuntClaim
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
/// hunting"; README "Long runs").
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

/// Counterexample hunting (THEORY.md §4): aimed and plain starts, then hill climbing with restarts over the
/// generators' parameters,
/// maximising each claim's violation relative to its round-off bound, then shrinking; plus the random
/// testing baseline with the same generator. Deterministic per seed for a given evaluation count.
[<RequireQualifiedAccess>]
module Hunt =

    /// No override, in-regime scope.
    let noOverrides =
        {
            Task = None
            Depth = None
            Eta = None
            EtaFactor = 1.0
            Lambda = None
            R = None
            Eps1 = None
            Eps2 = None
            Alpha = None
            C = None
            Family = None
            InRegimeOnly = true
        }

    /// Default settings for a claim: 2000 evaluations, 60 s, patience 40, shrinking, 300 simulation steps.
    let defaults (claim: HuntClaim) (seed: uint64) =
        {
            Claim = claim
            Seed = seed
            MaxEvaluations = 2000
            MaxSeconds = 60.0
            Patience = 40
            StopAtFirst = false
            Shrink = true
            Steps = 300
            Overrides = noOverrides
        }

    /// The claim's ID string ("C1" …).
    let claimId (c: HuntClaim) =
        match c with
        | HuntClaim.C1 -> "C1"
        | HuntClaim.C2 -> "C2"
        | HuntClaim.C3 -> "C3"
        | HuntClaim.C4 -> "C4"
        | HuntClaim.C6 -> "C6"

    /// Parses "C1" … (case-insensitive); Error names the allowed values.
    let parseClaim (field: string) (s: string) : Result<HuntClaim, InputError> =
        match (if isNull s then "" else s.Trim().ToUpperInvariant()) with
        | "C1" -> Ok HuntClaim.C1
        | "C2" -> Ok HuntClaim.C2
        | "C3" -> Ok HuntClaim.C3
        | "C4" -> Ok HuntClaim.C4
        | "C6" -> Ok HuntClaim.C6
        | _ ->
            Error(
                InputError.create
                    field
                    (sprintf
                        "must be one of C1, C2, C3, C4, C6 (C5 follows from C1 + C3, C7 is checked exactly by verify), got '%s'"
                        s)
            )

    /// THEORY.md §2 status rule: Counterexample when violation > bound (confirmed), Inconclusive when
    /// 0 < violation ≤ bound (within round-off), else Holds.
    let status (violation: float) (bound: float) =
        if violation > bound then Verdict.Counterexample
        elif violation > 0.0 then Verdict.Inconclusive
        else Verdict.Holds

    // ------------------------------------------------------------------ the search problem

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

    let private invalid =
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

    let private uniform (rng: byref<Rng>) lo hi = lo + (hi - lo) * Rng.nextFloat &rng

    let private clampI lo hi (x: int) = max lo (min hi x)

    let private clampF lo hi (x: float) = max lo (min hi x)

    /// Rounds x to `digits` significant digits (shrinking toward rounder numbers).
    let roundSignificant (digits: int) (x: float) =
        if x = 0.0 || not (System.Double.IsFinite x) then
            x
        else
            let e = floor (log10 (abs x)) - float (digits - 1)
            let f = 10.0 ** e
            System.Math.Round(x / f) * f

    let private rounded (x: float) =
        [ roundSignificant 1 x; roundSignificant 2 x ]
        |> List.filter (fun y -> y <> x && y > 0.0)
        |> List.distinct

    let private fmt (x: float) =
        x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)

    // ------------------------------------------------------------------ C1 and C4: closure specs

    let private withDepth (d: int) (s: PointSpec) =
        let hidden =
            Array.init (max 0 (d - 1)) (fun l ->
                if l < s.Hidden.Length then s.Hidden.[l]
                elif s.Hidden.Length > 0 then s.Hidden.[s.Hidden.Length - 1]
                else 2)

        { s with Depth = d; Hidden = hidden }

    let private fixSpec (o: HuntOverrides) (s: ClosureSpec) =
        let ts =
            match s.Task.Kind with
            | TaskKind.E1 _ -> { s.Task with DOut = 2; DIn = 2 }
            | _ -> s.Task

        let ts =
            { ts with
                TargetRank = clampI 1 (min ts.DOut ts.DIn) ts.TargetRank
            }

        let ps =
            match o.Depth with
            | Some d -> withDepth d s.Point
            | None -> s.Point

        let dOut, dIn =
            (match o.Task with
             | Some t -> t.DOut, t.DIn
             | None -> ts.DOut, ts.DIn)

        let k = Generators.spectrumSize dOut dIn ps
        let r = clampI 0 k ps.R
        let full = clampI 0 r ps.Full

        let ps =
            { ps with
                R = r
                Full = full
                Tail = clampI 0 (k - full) ps.Tail
            }

        { s with
            Task = ts
            Point = ps
            Family = defaultArg o.Family s.Family
        }

    /// The C1 case of a spec under overrides: constants from `Regime.derive` at the spec's λ (the searched
    /// one when the override is 0), then each fixed constant; η = EtaFraction · etaMax (ignoring R3, which η
    /// cannot change) · EtaFactor, or the fixed η; the point from `Generators.point`.
    let closureCase (o: HuntOverrides) (s: ClosureSpec) : ClosureCase =
        let s = fixSpec o s

        let tk =
            match o.Task with
            | Some t -> t
            | None -> Generators.task s.Task

        let depth = s.Point.Depth

        let lambdaC =
            match o.Lambda with
            | Some l when l > 0.0 -> l
            | _ -> s.Lambda

        let p0 =
            Regime.derive
                { Regime.defaults with
                    Family = s.Family
                }
                tk
                depth
                s.Point.R
                lambdaC

        let p =
            { p0 with
                Eps1 = defaultArg o.Eps1 p0.Eps1
                Eps2 = defaultArg o.Eps2 p0.Eps2
                Alpha = defaultArg o.Alpha p0.Alpha
                C = defaultArg o.C p0.C
            }

        let pPoint = { p with R = defaultArg o.R s.Point.R }

        let eta0 =
            s.EtaFraction
            * Regime.etaMaxIgnoring [ "R3" ] pPoint tk depth lambdaC Regime.defaults.Rho
            * o.EtaFactor

        // the large-η controls (EtaFactor > 1) stay within R0's 2ηλ ≤ 1/10 (`Regime.capAtR0`): they break
        // R1, R2, R4, not the sign of the decay
        let eta0 =
            if o.EtaFactor > 1.0 then
                Regime.capAtR0 eta0 (defaultArg o.Lambda s.Lambda)
            else
                eta0

        let eta = defaultArg o.Eta eta0

        {
            Task = tk
            Depth = depth
            Region = pPoint
            Hyper =
                {
                    Eta = eta
                    Lambda = defaultArg o.Lambda s.Lambda
                }
            Point = Generators.point pPoint tk.DOut tk.DIn s.Point
        }

    /// True when a C1 case lies in the derived regime R0–R4 (`Regime.inside`).
    let inRegime (c: ClosureCase) =
        c.Hyper.Eta > 0.0
        && Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho

    let private scaleOf (p: RegionParams) (k: RegionCondition) =
        match k with
        | RegionCondition.Balancedness -> max p.Eps1 1e-300
        | RegionCondition.Rank -> float p.R + p.Eps2
        | RegionCondition.Bounded -> p.C

    /// C1 objective on a case: over every observed entry and condition, (−slack − bound)/scale after the
    /// step (scale ε1, r + ε2, C), its maximiser, and the status of that condition (confirmed when
    /// −slack > round-off bound). Returns (score, violation, bound, entry, condition, alternative score), or
    /// None when θ ∉ B_r. The alternative score divides by the condition's slack before the step instead of
    /// its scale (the fraction of the available slack one step eats, minus one): also > 0 exactly when confirmed.
    let closureScore (c: ClosureCase) =
        let p = c.Region

        if not (Region.contains p c.Point) then
            None
        else
            let mutable best = (-infinity, 0.0, 0.0, (0, 0), RegionCondition.Rank)
            let s0 = Region.slack p c.Point
            let mutable alt = -infinity

            let before k =
                match k with
                | RegionCondition.Balancedness -> s0.Balancedness
                | RegionCondition.Rank -> s0.Rank
                | RegionCondition.Bounded -> s0.Bounded

            for e, step in ClaimChecks.closureSteps Sgd.step c do
                match step with
                | Some(s, b) ->
                    for (k, v, bb) in
                        [
                            RegionCondition.Balancedness, -s.Balancedness, b.Balancedness
                            RegionCondition.Rank, -s.Rank, b.Rank
                            RegionCondition.Bounded, -s.Bounded, b.Bounded
                        ] do
                        let score = (v - bb) / scaleOf p k
                        let (bs, _, _, _, _) = best

                        if score > bs then
                            best <- (score, v, bb, e, k)

                        alt <- max alt ((v - bb) / max (before k) (max bb (1e-300 * scaleOf p k)))
                | None ->
                    best <- (infinity, infinity, 0.0, e, RegionCondition.Bounded)
                    alt <- infinity

            let (score, v, bb, e, k) = best
            Some(score, v, bb, e, k, alt)

    let private c1Describe (c: ClosureCase) (v: float) (b: float) (e: int * int) (k: RegionCondition) =
        sprintf
            "%s; worst entry (%d, %d): %A %s %.3g (round-off bound %.3g)"
            (ClaimChecks.caseText c)
            (fst e)
            (snd e)
            k
            (if v > 0.0 then "violated by" else "slack")
            (abs v)
            b

    let private mutateTask (rng: byref<Rng>) (t: TaskSpec) =
        match Rng.nextInt &rng 6 with
        | 0 ->
            { t with
                DOut = clampI 1 6 (t.DOut + (if Rng.nextInt &rng 2 = 0 then -1 else 1))
            }
        | 1 ->
            { t with
                DIn = clampI 1 6 (t.DIn + (if Rng.nextInt &rng 2 = 0 then -1 else 1))
            }
        | 2 ->
            { t with
                TargetRank = clampI 1 6 (t.TargetRank + (if Rng.nextInt &rng 2 = 0 then -1 else 1))
            }
        | 3 ->
            { t with
                Scale = clampF 0.01 10.0 (t.Scale * exp (0.5 * Rng.nextGaussian &rng))
            }
        | 4 ->
            { t with
                Kind =
                    match t.Kind with
                    | TaskKind.Partial f ->
                        if Rng.nextInt &rng 3 = 0 then
                            TaskKind.Full
                        else
                            TaskKind.Partial(clampF 0.05 1.0 (f + 0.2 * Rng.nextGaussian &rng))
                    | TaskKind.Full -> TaskKind.Partial(uniform &rng 0.3 0.9)
                    | TaskKind.E1 eps -> TaskKind.E1(clampF 0.01 0.9 (eps * exp (0.3 * Rng.nextGaussian &rng)))
            }
        | _ -> { t with Seed = Rng.nextUInt64 &rng }

    let private mutatePoint (rng: byref<Rng>) (minDepth: int) (p: PointSpec) =
        let sign = if Rng.nextInt &rng 2 = 0 then -1 else 1
        let step () = sign

        match Rng.nextInt &rng 9 with
        | 0 -> withDepth (clampI minDepth 6 (p.Depth + step ())) p
        | 1 when p.Hidden.Length > 0 ->
            let h = Array.copy p.Hidden
            let l = Rng.nextInt &rng h.Length
            h.[l] <- clampI 1 6 (h.[l] + step ())
            { p with Hidden = h }
        | 2 ->
            { p with
                R = clampI 0 6 (p.R + step ())
            }
        | 3 ->
            { p with
                Full = clampI 0 6 (p.Full + step ())
            }
        | 4 ->
            { p with
                Tail = clampI 0 6 (p.Tail + step ())
            }
        | 5 ->
            match Rng.nextInt &rng 4 with
            | 0 -> { p with RankEdge = not p.RankEdge }
            | 1 -> { p with NormEdge = not p.NormEdge }
            | 2 -> { p with Misaligned = not p.Misaligned }
            | _ ->
                { p with
                    BalanceEdge = not p.BalanceEdge
                }
        | 6 ->
            { p with
                SlackExponent = clampI 1 15 (p.SlackExponent + step ())
            }
        | _ -> { p with Seed = Rng.nextUInt64 &rng }

    let private mutateClosure (o: HuntOverrides) (minDepth: int) (rng: Rng) (s: ClosureSpec) =
        let mutable r = rng
        let moves = 1 + Rng.nextInt &r 2
        let mutable s = s

        for _ in 1..moves do
            s <-
                match Rng.nextInt &r 5 with
                | 0 when o.Task.IsNone -> { s with Task = mutateTask &r s.Task }
                | 1 ->
                    // down to 1e-12: λ below the data's scale (`NonTriviality.lambdaScale`) reaches 1e-5 and less
                    { s with
                        Lambda = clampF 1e-12 10.0 (s.Lambda * exp (0.5 * Rng.nextGaussian &r))
                    }
                | 2 ->
                    // toward or away from the regime's edge η = etaMax, on a log scale of 1 − fraction
                    let gap = clampF 1e-12 0.99 (1.0 - s.EtaFraction)

                    { s with
                        EtaFraction = clampF 1e-3 1.0 (1.0 - gap * exp (1.0 * Rng.nextGaussian &r))
                    }
                | 3 when o.Family.IsNone && Rng.nextInt &r 4 = 0 ->
                    { s with
                        Family =
                            (if s.Family = FAlphaFamily.Piecewise then
                                 FAlphaFamily.Quadratic
                             else
                                 FAlphaFamily.Piecewise)
                    }
                | _ ->
                    { s with
                        Point = mutatePoint &r minDepth s.Point
                    }

        fixSpec o s, r

    let private sampleClosure (o: HuntOverrides) (minDepth: int) (maxDepth: int) (rng: Rng) =
        let mutable r = rng
        let s = Generators.closureSpec &r 6 minDepth maxDepth

        let s =
            match o.Task with
            | Some t ->
                { s with
                    Point = Generators.pointSpec &r t.DOut t.DIn minDepth maxDepth 6
                }
            | None -> s

        fixSpec o s, r

    let private aimedClosure (o: HuntOverrides) (minDepth: int) (maxDepth: int) =
        fun (rng: Rng) ->
            let s, r = sampleClosure o minDepth maxDepth rng
            let mutable r = r
            let s = Generators.aimedClosureSpec &r o.R o.Task s
            fixSpec o s, r

    let private closureShrinks (o: HuntOverrides) (s: ClosureSpec) : ClosureSpec list =
        let t, p = s.Task, s.Point

        [
            if o.Task.IsNone then
                if t.DOut > 1 then
                    yield
                        { s with
                            Task = { t with DOut = t.DOut - 1 }
                        }

                if t.DIn > 1 then
                    yield
                        { s with
                            Task = { t with DIn = t.DIn - 1 }
                        }

                if t.TargetRank > 1 then
                    yield
                        { s with
                            Task = { t with TargetRank = t.TargetRank - 1 }
                        }

                match t.Kind with
                | TaskKind.Partial _ ->
                    yield
                        { s with
                            Task = { t with Kind = TaskKind.Full }
                        }
                | _ -> ()

                for x in rounded t.Scale do
                    yield { s with Task = { t with Scale = x } }
            if o.Depth.IsNone && p.Depth > 3 then
                yield
                    { s with
                        Point = withDepth (p.Depth - 1) p
                    }
            for l in 0 .. p.Hidden.Length - 1 do
                if p.Hidden.[l] > 1 then
                    let h = Array.copy p.Hidden
                    h.[l] <- h.[l] - 1
                    yield { s with Point = { p with Hidden = h } }
            if p.R > 0 then
                yield
                    { s with
                        Point = { p with R = p.R - 1 }
                    }
            if p.Full > 0 then
                yield
                    { s with
                        Point = { p with Full = p.Full - 1 }
                    }
            if p.Tail > 0 then
                yield
                    { s with
                        Point = { p with Tail = p.Tail - 1 }
                    }
            if p.Misaligned then
                yield
                    { s with
                        Point = { p with Misaligned = false }
                    }
            if p.BalanceEdge then
                yield
                    { s with
                        Point = { p with BalanceEdge = false }
                    }
            if p.NormEdge then
                yield
                    { s with
                        Point = { p with NormEdge = false }
                    }
            if p.RankEdge then
                yield
                    { s with
                        Point = { p with RankEdge = false }
                    }
            if p.SlackExponent > 1 then
                yield
                    { s with
                        Point =
                            { p with
                                SlackExponent = p.SlackExponent - 1
                            }
                    }
            for x in rounded s.Lambda do
                yield { s with Lambda = x }
            for x in rounded s.EtaFraction do
                if x <= 1.0 then
                    yield { s with EtaFraction = x }
        ]
        |> List.map (fixSpec o)

    let private closureSize (s: ClosureSpec) =
        s.Task.DOut
        + s.Task.DIn
        + s.Task.TargetRank
        + s.Point.Depth
        + Array.sum s.Point.Hidden
        + s.Point.R
        + s.Point.Full
        + s.Point.Tail
        + (if s.Point.RankEdge then 1 else 0)
        + (if s.Point.NormEdge then 1 else 0)
        + (if s.Point.BalanceEdge then 1 else 0)
        + (if s.Point.Misaligned then 1 else 0)

    let private closureParameters (o: HuntOverrides) (s: ClosureSpec) =
        let c = closureCase o s

        [
            "task",
            (match o.Task with
             | Some _ -> "fixed"
             | None -> sprintf "%A" s.Task.Kind)
            "dOut", string c.Task.DOut
            "dIn", string c.Task.DIn
            "N", string c.Task.N
            "targetRank", string s.Task.TargetRank
            "scale", fmt s.Task.Scale
            "taskSeed", string s.Task.Seed
            "depth", string c.Depth
            "widths", (Network.widths c.Point |> Array.map string |> String.concat ",")
            "r", string c.Region.R
            "full", string s.Point.Full
            "tail", string s.Point.Tail
            "edges",
            sprintf
                "rank=%b norm=%b balance=%b misaligned=%b"
                s.Point.RankEdge
                s.Point.NormEdge
                s.Point.BalanceEdge
                s.Point.Misaligned
            "slackExponent", string s.Point.SlackExponent
            "pointSeed", string s.Point.Seed
            "eta", fmt c.Hyper.Eta
            "etaFraction", fmt s.EtaFraction
            "lambda", fmt c.Hyper.Lambda
            "eps1", fmt c.Region.Eps1
            "eps2", fmt c.Region.Eps2
            "alpha", fmt c.Region.Alpha
            "C", fmt c.Region.C
            "family", FAlpha.name c.Region.Family
            "etaMaxSetBy", Regime.etaMaxSetBy c.Region c.Task c.Depth c.Hyper.Lambda Regime.defaults.Rho
        ]

    let private c1Problem (o: HuntOverrides) : Problem<ClosureSpec> =
        // L ≥ 3 unless the depth is fixed: a control (λ = 0, large η) then never mixes in the L = 2 control
        let minDepth = 3

        {
            Sample = sampleClosure o minDepth 5
            Aimed = aimedClosure o minDepth 5
            Mutate = mutateClosure o minDepth
            Evaluate =
                fun s ->
                    let c = closureCase o s
                    let inside = inRegime c

                    if o.InRegimeOnly && not inside then
                        invalid
                    else
                        match closureScore c with
                        | None -> invalid
                        | Some(score, v, b, e, k, alt) ->
                            {
                                Score = score
                                AltScore = alt
                                Violation = v
                                Bound = b
                                Status = status v b
                                InRegime = inside
                                Description = c1Describe c v b e k
                                Case = Some c
                            }
            Shrinks = closureShrinks o
            Size = closureSize
            Parameters = closureParameters o
        }

    // ------------------------------------------------------------------ C4: absorption runs

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

                for (k, v, bb) in
                    [
                        RegionCondition.Balancedness, -s.Balancedness, b.Balancedness
                        RegionCondition.Rank, -s.Rank, b.Rank
                        RegionCondition.Bounded, -s.Bounded, b.Bounded
                    ] do
                    let score = (v - bb) / scaleOf p k
                    let (bs, _, _, _) = best

                    if score > bs then
                        best <- (score, v, bb, t)

                let (bs, _, _, _) = best

                if bs > 0.0 then
                    ok <- false

        best

    let private c4Problem (o: HuntOverrides) (steps: int) : Problem<ClosureSpec> =
        let p1 = c1Problem o

        { p1 with
            Evaluate =
                fun s ->
                    let c = closureCase o s
                    let inside = inRegime c

                    if (o.InRegimeOnly && not inside) || not (Region.contains c.Region c.Point) then
                        invalid
                    else
                        let score, v, b, t = absorptionScore c steps (Rng.stream s.Point.Seed 4UL)

                        {
                            Score = score
                            AltScore = score
                            Violation = v
                            Bound = b
                            Status = status v b
                            InRegime = inside
                            Description =
                                sprintf
                                    "SGD run of %d steps from a point of B_r (%s); closest approach at step %d: %s %.3g (round-off bound %.3g)"
                                    steps
                                    (ClaimChecks.caseText c)
                                    t
                                    (if v > 0.0 then "left by" else "slack")
                                    (abs v)
                                    b
                            Case = None
                        }
        }

    // ------------------------------------------------------------------ C2: D7 critical points

    /// C2 search space: a D7 task, a root choice (index into every choice vector), f_α, α's position
    /// between the point's smallest and largest values, and ε2 (< 0: the exact rank boundary).
    type CriticalSpec =
        {
            /// The D7 task.
            D7: D7Spec
            /// Index into `ClaimChecks.allChoices k` (modulo its length).
            Choice: int
            /// f_α family.
            Family: FAlphaFamily
            /// α = exp(lerp(log(min x / 3), log(3 max x), AlphaPosition)).
            AlphaPosition: float
            /// ε2 (< 0: the exact boundary, see `ClaimChecks.boundaryRegion`).
            Eps2: float
        }

    let private criticalEval (o: HuntOverrides) (s: CriticalSpec) =
        let tk, depth, lambda, hidden = Generators.d7Case s.D7
        let lambda = defaultArg o.Lambda lambda
        let choices = ClaimChecks.allChoices (min tk.DOut tk.DIn)
        let ch = choices.[((s.Choice % choices.Length) + choices.Length) % choices.Length]

        match CriticalPoints.exactFullyObserved tk lambda hidden ch with
        | Error _ -> invalid
        | Ok(net, a) ->
            let xs =
                a
                |> Array.filter (fun x -> x > 0.0)
                |> Array.map (fun x -> x ** (2.0 / float depth))

            let alpha = defaultArg o.Alpha (ClaimChecks.alphaAt xs s.AlphaPosition)
            let family = defaultArg o.Family s.Family
            let p0 = ClaimChecks.boundaryRegion family alpha (defaultArg o.Eps2 s.Eps2) net

            let p =
                if o.InRegimeOnly then
                    p0
                else
                    { p0 with R = max 0 (p0.R - 1) }

            let p = { p with R = defaultArg o.R p.R }
            let contained = Region.contains p net

            if o.InRegimeOnly && not contained then
                invalid
            else
                let m = ClaimChecks.c2Measure p tk lambda net
                let qa = m.Quantity
                let excess = m.Excess
                let tol = m.Tolerance

                {
                    Score = (excess - tol) / (float p.R + p.Eps2)
                    AltScore = (excess - tol) / (float p.R + p.Eps2)
                    Violation = excess
                    Bound = tol
                    Status = status excess tol
                    InRegime = contained
                    Description =
                        sprintf
                            "D7 %dx%d L=%d lambda=%.4g choices %s, r=%d, alpha=%.3g, eps2=%.3g, %s: sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) = %.6g vs r + eps2 = %.6g (tolerance %.3g)%s"
                            tk.DOut
                            tk.DIn
                            depth
                            lambda
                            (ch |> Array.map (sprintf "%A") |> String.concat ",")
                            p.R
                            p.Alpha
                            p.Eps2
                            (FAlpha.name p.Family)
                            qa
                            (float p.R + p.Eps2)
                            tol
                            (if contained then
                                 ""
                             else
                                 "; theta NOT in B_r (hypothesis dropped)")
                    Case = None
                }

    let private c2Problem (o: HuntOverrides) : Problem<CriticalSpec> =
        let minDepth, maxDepth =
            (match o.Depth with
             | Some d -> d, d
             | None -> 2, 5)

        let sample (rng: Rng) =
            let mutable r = rng
            let d7 = Generators.d7Spec &r 4 minDepth maxDepth

            {
                D7 = d7
                Choice = Rng.nextInt &r 729
                Family = FAlpha.all.[Rng.nextInt &r 2]
                AlphaPosition = Rng.nextFloat &r
                Eps2 =
                    (if Rng.nextInt &r 2 = 0 then
                         -1.0
                     else
                         0.9 * Rng.nextFloat &r)
            },
            r

        let mutate (rng: Rng) (s: CriticalSpec) =
            let mutable r = rng
            let sign = if Rng.nextInt &r 2 = 0 then -1 else 1
            let step () = sign
            let d = s.D7

            let s' =
                match Rng.nextInt &r 9 with
                | 0 ->
                    { s with
                        D7 =
                            { d with
                                DOut = clampI 1 4 (d.DOut + step ())
                            }
                    }
                | 1 ->
                    { s with
                        D7 =
                            { d with
                                DIn = clampI 1 4 (d.DIn + step ())
                            }
                    }
                | 2 ->
                    { s with
                        D7 =
                            { d with
                                TargetRank = clampI 1 4 (d.TargetRank + step ())
                            }
                    }
                | 3 ->
                    { s with
                        D7 =
                            { d with
                                Depth = clampI minDepth maxDepth (d.Depth + step ())
                            }
                    }
                | 4 ->
                    { s with
                        D7 =
                            { d with
                                CFraction = clampF 0.01 0.99 (d.CFraction + 0.1 * Rng.nextGaussian &r)
                            }
                    }
                | 5 -> { s with Choice = s.Choice + step () }
                | 6 ->
                    { s with
                        AlphaPosition = clampF 0.0 1.0 (s.AlphaPosition + 0.1 * Rng.nextGaussian &r)
                    }
                | 7 ->
                    { s with
                        Eps2 =
                            (if s.Eps2 < 0.0 then 0.9 * Rng.nextFloat &r
                             elif Rng.nextInt &r 3 = 0 then -1.0
                             else clampF 0.0 0.99 (s.Eps2 + 0.1 * Rng.nextGaussian &r))
                    }
                | _ ->
                    { s with
                        D7 = { d with Seed = Rng.nextUInt64 &r }
                        Family =
                            (if Rng.nextInt &r 4 = 0 then
                                 FAlpha.all.[Rng.nextInt &r 2]
                             else
                                 s.Family)
                    }

            let d = s'.D7

            { s' with
                D7 =
                    { d with
                        TargetRank = clampI 1 (min d.DOut d.DIn) d.TargetRank
                    }
            },
            r

        let shrinks (s: CriticalSpec) =
            let d = s.D7

            [
                if d.DOut > 1 then
                    yield
                        { s with
                            D7 =
                                { d with
                                    DOut = d.DOut - 1
                                    TargetRank = min d.TargetRank (min (d.DOut - 1) d.DIn)
                                }
                        }
                if d.DIn > 1 then
                    yield
                        { s with
                            D7 =
                                { d with
                                    DIn = d.DIn - 1
                                    TargetRank = min d.TargetRank (min d.DOut (d.DIn - 1))
                                }
                        }
                if d.TargetRank > 1 then
                    yield
                        { s with
                            D7 = { d with TargetRank = d.TargetRank - 1 }
                        }
                if d.Depth > minDepth then
                    yield
                        { s with
                            D7 = { d with Depth = d.Depth - 1 }
                        }
                for x in rounded d.CFraction do
                    yield { s with D7 = { d with CFraction = x } }
                for x in rounded s.AlphaPosition do
                    yield { s with AlphaPosition = x }
                if s.Eps2 > 0.0 then
                    for x in rounded s.Eps2 do
                        yield { s with Eps2 = x }
            ]

        {
            Sample = sample
            Aimed = sample
            Mutate = mutate
            Evaluate = criticalEval o
            Shrinks = shrinks
            Size = fun s -> s.D7.DOut + s.D7.DIn + s.D7.TargetRank + s.D7.Depth
            Parameters =
                fun s ->
                    [
                        "dOut", string s.D7.DOut
                        "dIn", string s.D7.DIn
                        "targetRank", string s.D7.TargetRank
                        "scale", fmt s.D7.Scale
                        "depth", string s.D7.Depth
                        "cFraction", fmt s.D7.CFraction
                        "taskSeed", string s.D7.Seed
                        "choice", string s.Choice
                        "family", FAlpha.name (defaultArg o.Family s.Family)
                        "alphaPosition", fmt s.AlphaPosition
                        "eps2", fmt s.Eps2
                    ]
        }

    // ------------------------------------------------------------------ C3: witness runs

    /// C3 search space: a simulation case (task, depth, hidden width, r, λ, f_α), the start's size
    /// (‖W_ℓ‖² ≈ factor·C) and the restricted set (rows or columns).
    type ReachSpec =
        {
            /// The task.
            Task: TaskSpec
            /// Depth L (3..4 in the regime).
            Depth: int
            /// Hidden width (all hidden layers).
            Width: int
            /// r of B_r.
            R: int
            /// λ.
            Lambda: float
            /// f_α family.
            Family: FAlphaFamily
            /// Start size factor (≥ 3, outside B_r).
            StartFactor: float
            /// Restrict to columns instead of rows.
            ByColumns: bool
            /// Seed of the start and of the draws.
            Seed: uint64
        }

    let private reachEval (o: HuntOverrides) (steps: int) (s: ReachSpec) =
        let tk =
            match o.Task with
            | Some t -> t
            | None -> Generators.task s.Task

        let depth = defaultArg o.Depth s.Depth

        let widths =
            Array.concat [ [| tk.DIn |]; Array.create (depth - 1) s.Width; [| tk.DOut |] ]

        let k = Array.min widths
        let r = clampI 1 k (defaultArg o.R s.R)
        let family = defaultArg o.Family s.Family

        let lambdaC =
            match o.Lambda with
            | Some l when l > 0.0 -> l
            | _ -> s.Lambda

        let p0 = Regime.derive { Regime.defaults with Family = family } tk depth r lambdaC

        let p =
            { p0 with
                Eps1 = defaultArg o.Eps1 p0.Eps1
                Eps2 = defaultArg o.Eps2 p0.Eps2
                Alpha = defaultArg o.Alpha p0.Alpha
                C = defaultArg o.C p0.C
            }

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
            invalid
        else
            let mutable rng = Rng.stream s.Seed 5UL
            let scale = sqrt (s.StartFactor * p.C / float (widths.[0] * widths.[1]))
            let start, r1 = Network.gaussian rng scale widths
            rng <- r1

            if Region.contains p start then
                invalid
            else
                let entries = ClaimChecks.restrictedEntries &rng tk r s.ByColumns

                let w =
                    ClaimChecks.witness tk hyper p start entries (int64 steps) (max 1L (int64 steps / 200L)) rng

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

    let private c3Problem (o: HuntOverrides) (steps: int) : Problem<ReachSpec> =
        let sample (rng: Rng) =
            let mutable r = rng
            let ts = Generators.taskSpec &r 4 0.1 1.0

            {
                Task = ts
                Depth = 3 + Rng.nextInt &r 2
                Width = 2 + Rng.nextInt &r 3
                R = 1 + Rng.nextInt &r 4
                Lambda = 0.2 + 0.8 * Rng.nextFloat &r
                Family = FAlpha.all.[Rng.nextInt &r 2]
                StartFactor = 3.0 * exp (2.0 * Rng.nextFloat &r)
                ByColumns = Rng.nextInt &r 2 = 0
                Seed = Rng.nextUInt64 &r
            },
            r

        let mutate (rng: Rng) (s: ReachSpec) =
            let mutable r = rng
            let sign = if Rng.nextInt &r 2 = 0 then -1 else 1
            let step () = sign

            let s' =
                match Rng.nextInt &r 8 with
                | 0 when o.Task.IsNone -> { s with Task = mutateTask &r s.Task }
                | 1 ->
                    { s with
                        Depth = clampI 3 5 (s.Depth + step ())
                    }
                | 2 ->
                    { s with
                        Width = clampI 1 5 (s.Width + step ())
                    }
                | 3 ->
                    { s with
                        R = clampI 1 5 (s.R + step ())
                    }
                | 4 ->
                    { s with
                        Lambda = clampF 1e-3 2.0 (s.Lambda * exp (0.5 * Rng.nextGaussian &r))
                    }
                | 5 ->
                    { s with
                        StartFactor = clampF 3.0 1e4 (s.StartFactor * exp (0.7 * Rng.nextGaussian &r))
                    }
                | 6 -> { s with ByColumns = not s.ByColumns }
                | _ -> { s with Seed = Rng.nextUInt64 &r }

            s', r

        {
            Sample = sample
            Aimed = sample
            Mutate = mutate
            Evaluate = reachEval o steps
            Shrinks =
                fun s ->
                    [
                        if s.Task.DOut > 1 then
                            yield
                                { s with
                                    Task =
                                        { s.Task with
                                            DOut = s.Task.DOut - 1
                                            TargetRank = min s.Task.TargetRank (min (s.Task.DOut - 1) s.Task.DIn)
                                        }
                                }
                        if s.Task.DIn > 1 then
                            yield
                                { s with
                                    Task =
                                        { s.Task with
                                            DIn = s.Task.DIn - 1
                                            TargetRank = min s.Task.TargetRank (min s.Task.DOut (s.Task.DIn - 1))
                                        }
                                }
                        if s.Depth > 3 then
                            yield { s with Depth = s.Depth - 1 }
                        if s.Width > 1 then
                            yield { s with Width = s.Width - 1 }
                        if s.R > 1 then
                            yield { s with R = s.R - 1 }
                        for x in rounded s.Lambda do
                            yield { s with Lambda = x }
                    ]
            Size = fun s -> s.Task.DOut + s.Task.DIn + s.Depth + s.Width + s.R
            Parameters =
                fun s ->
                    [
                        "dOut", string s.Task.DOut
                        "dIn", string s.Task.DIn
                        "taskSeed", string s.Task.Seed
                        "depth", string s.Depth
                        "width", string s.Width
                        "r", string s.R
                        "lambda", fmt s.Lambda
                        "family", FAlpha.name s.Family
                        "startFactor", fmt s.StartFactor
                        "byColumns", string s.ByColumns
                        "seed", string s.Seed
                        "steps", string steps
                    ]
        }

    // ------------------------------------------------------------------ C6: GD at E1's rank-2 minimum

    /// C6 (GD part) search space: E1's ε, depth, λ and the perturbation's seed.
    type GdSpec =
        {
            /// E1's ε.
            Epsilon: float
            /// Depth L.
            Depth: int
            /// λ.
            Lambda: float
            /// Seed of the perturbation.
            Seed: uint64
        }

    /// s_2/s_1 of the product; NaN (a diverged run) when it is not finite or its SVD fails to converge.
    let private safeRatio (net: Network) =
        let a = Network.product net

        if not (Linalg.isFinite a) then
            nan
        else
            try
                ClaimChecks.secondRatio a
            with :? MathNet.Numerics.NonConvergenceException ->
                nan

    /// C6 objective on one case: the rank-2 minimum of E1 (`ClaimChecks.gdStays` machinery, with GD's η
    /// multiplied by `etaFactor`), score = (1 − keepFraction) − (min ratio along)/(ratio at the minimum):
    /// > 0 when GD lost rank 2 (violation = ratio − min ratio, bound = keepFraction · ratio).
    let private gdEval (o: HuntOverrides) (gdSteps: int) (s: GdSpec) =
        let lambda = defaultArg o.Lambda s.Lambda
        let depth = defaultArg o.Depth s.Depth
        let tk = Task.twoByTwo s.Epsilon
        let start = Network.identityLike 1.0 (Array.create (depth + 1) 2)
        let sol = CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 5000 start
        let ratio = ClaimChecks.secondRatio (Network.product sol.Network)

        if not sol.Converged || ratio < ClaimChecks.rankTwoRatio then
            invalid
        else
            let h = CriticalPoints.hessian tk lambda sol.Network
            let eig = h.Evd().EigenValues |> Seq.map (fun z -> z.Real) |> Seq.min
            let isMin = eig >= -(ClaimChecks.hessianTolerance h)

            if o.InRegimeOnly && not isMin then
                invalid
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

                let mutable minRatio = ClaimChecks.secondRatio (Network.product net)
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
                let b = (1.0 - ClaimChecks.keepFraction) * ratio

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

    let private c6Problem (o: HuntOverrides) (gdSteps: int) : Problem<GdSpec> =
        let sample (rng: Rng) =
            let mutable r = rng

            {
                Epsilon = 0.1 + 0.1 * Rng.nextFloat &r
                Depth = 3 + Rng.nextInt &r 3
                Lambda = 0.002 + 0.01 * Rng.nextFloat &r
                Seed = Rng.nextUInt64 &r
            },
            r

        let mutate (rng: Rng) (s: GdSpec) =
            let mutable r = rng

            let s' =
                match Rng.nextInt &r 4 with
                | 0 ->
                    { s with
                        Epsilon = clampF 0.02 0.5 (s.Epsilon * exp (0.2 * Rng.nextGaussian &r))
                    }
                | 1 ->
                    { s with
                        Depth = clampI 3 8 (s.Depth + (if Rng.nextInt &r 2 = 0 then -1 else 1))
                    }
                | 2 ->
                    { s with
                        Lambda = clampF 1e-4 0.05 (s.Lambda * exp (0.4 * Rng.nextGaussian &r))
                    }
                | _ -> { s with Seed = Rng.nextUInt64 &r }

            s', r

        {
            Sample = sample
            Aimed = sample
            Mutate = mutate
            Evaluate = gdEval o gdSteps
            Shrinks =
                fun s ->
                    [
                        if s.Depth > 3 then
                            yield { s with Depth = s.Depth - 1 }
                        for x in rounded s.Epsilon do
                            yield { s with Epsilon = x }
                        for x in rounded s.Lambda do
                            yield { s with Lambda = x }
                    ]
            Size = fun s -> s.Depth
            Parameters =
                fun s ->
                    [
                        "epsilon", fmt s.Epsilon
                        "depth", string s.Depth
                        "lambda", fmt s.Lambda
                        "seed", string s.Seed
                        "gdSteps", string gdSteps
                    ]
        }

    // ------------------------------------------------------------------ the searches

    let private finding
        (claim: HuntClaim)
        (pr: Problem<'s>)
        (s: 's)
        (e: Evaluation)
        (n: int)
        (secs: float)
        (shrunk: bool)
        =
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
    /// region misses (README "Hunting counterexamples").
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
        (claim: HuntClaim)
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
                    finding claim pr s e n (elapsed ()) false

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
                            confirmed.Add(finding claim pr s2 e2 n (elapsed ()) (pr.Size s2 < pr.Size s))
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

    /// Initial samples of a hunt: aimed (the hunt), plain only (ablation), or placebo (plain samples that
    /// consume the aimed sampler's random draws: the race's negative control).
    type private Starts =
        | AimedStarts
        | PlainStarts
        | PlaceboStarts

    let private dispatch (settings: HuntSettings) (climb: bool) (starts: Starts) (st: HuntState) (pause: int -> bool) =
        let o = settings.Overrides

        let go (pr: Problem<'s>) =
            let pr =
                match starts with
                | PlaceboStarts ->
                    { pr with
                        Aimed =
                            fun rng ->
                                let s, _ = pr.Sample rng
                                let _, r = pr.Aimed rng
                                s, r
                    }
                | _ -> pr

            search settings.Claim pr settings climb (starts <> PlainStarts) st pause

        match settings.Claim with
        | HuntClaim.C1 -> go (c1Problem o)
        | HuntClaim.C4 -> go (c4Problem o settings.Steps)
        | HuntClaim.C2 -> go (c2Problem o)
        | HuntClaim.C3 -> go (c3Problem o (max 1000 (settings.Steps * 50)))
        | HuntClaim.C6 -> go (c6Problem o (max 200 (settings.Steps * 5)))

    /// Continues the hunt (hill climbing, as `run`) from state `st` until it finishes or, at a (re)start
    /// boundary, `pause evaluationsDoneInThisCall` is true; the returned state is plain data (checkpoint it,
    /// then `advance` again). Advancing in segments equals one `advance` (property `hunt.segments`), apart
    /// from wall-clock seconds; with a time budget the remaining seconds continue (`Seconds` carries over).
    let advance (settings: HuntSettings) (st: HuntState) (pause: int -> bool) : HuntState =
        if st.Finished then
            st
        else
            dispatch settings true AimedStarts st pause

    /// The hunt: `initialSamples` fresh specs per (re)start, aimed (`Problem.Aimed`: for C1 and C4 the
    /// hypotheses at their limits, `Generators.aimedClosureSpec`) and plain (`Problem.Sample`) in turn, then
    /// hill climbing from the best of them (objective alternating between restarts: `Score`, then `AltScore`)
    /// over the generator's parameters (1–2 field mutations per proposal, equal
    /// scores accepted, restart from a fresh random spec after `Patience` non-improving proposals or after a
    /// confirmed counterexample), each confirmed counterexample shrunk (`shrinkWith`).
    let run (settings: HuntSettings) : HuntResult =
        advance settings (start settings) (fun _ -> false) |> finish settings true

    /// The random-testing baseline: fresh specs from the same generator, uniform sampling, no climbing.
    let randomTesting (settings: HuntSettings) : HuntResult =
        dispatch settings false PlainStarts (start settings) (fun _ -> false)
        |> finish settings false

    /// Ablation of `run` without aimed starts (every initial sample from `Problem.Sample`): what the aimed
    /// starts are worth (README race table).
    let runUnaimed (settings: HuntSettings) : HuntResult =
        dispatch settings true PlainStarts (start settings) (fun _ -> false)
        |> finish settings true

    /// Placebo of `run`: every aimed sample replaced by the plain sample drawn from the same random state,
    /// the random stream advanced as the aimed sampler advances it (so the initial samples differ from
    /// random testing's, but are no better): the race property's negative control.
    let runPlacebo (settings: HuntSettings) : HuntResult =
        dispatch settings true PlaceboStarts (start settings) (fun _ -> false)
        |> finish settings true

    /// Shrinks a C1 spec under overrides until no smaller variant is still confirmed; returns
    /// (original size, shrunk size, still confirmed, the shrunk finding). For tests and the runner.
    let shrinkClosure (o: HuntOverrides) (s: ClosureSpec) : int * int * HuntFinding option =
        let pr = c1Problem o
        let e = pr.Evaluate s

        if e.Status <> Verdict.Counterexample then
            pr.Size s, pr.Size s, None
        else
            let s2, e2, _ = shrinkWith pr shrinkBudget s e
            pr.Size s, pr.Size s2, Some(finding HuntClaim.C1 pr s2 e2 0 0.0 true)

    /// Evaluates one C1 spec under overrides (the hunt's objective and status).
    let evaluateClosure (o: HuntOverrides) (s: ClosureSpec) : HuntFinding =
        let pr = c1Problem o
        finding HuntClaim.C1 pr s (pr.Evaluate s) 0 0.0 false

    /// Factor on η_max of the large-η control: large enough that η is R0's cap 2ηλ = 1/10 for every case
    /// whose η_max is set by R1–R4 (measured, issue #11: with 1 − 2ηλ ≥ 1/2, even 10⁴·η_max gave no
    /// counterexample in 591 cases; at R0's cap 68 did, all through the balancedness condition).
    [<Literal>]
    let largeEtaFactor = 1e12

    /// The C1 negative controls of THEORY.md §4 as hunt overrides (outside the regime on purpose): λ = 0,
    /// L = 2, and η raised to R0's cap (2ηλ = 1/10: `largeEtaFactor` · η_max capped by `Regime.capAtR0`, so
    /// that 1 − 2ηλ = 0.9 and the control breaks R1, R2, R4 rather than flipping the decay's sign).
    let c1Controls =
        [
            "lambda = 0",
            { noOverrides with
                InRegimeOnly = false
                Lambda = Some 0.0
            }
            "L = 2",
            { noOverrides with
                InRegimeOnly = false
                Depth = Some 2
            }
            "eta at R0's cap (2 eta lambda = 1/10)",
            { noOverrides with
                InRegimeOnly = false
                EtaFactor = largeEtaFactor
            }
        ]

    /// Warm-up (JIT, caches) of both searches on a settings' problem, two evaluations each, so that the
    /// first timed search does not pay for it (`race`, `hunt --compare-random`).
    let warmUp (settings: HuntSettings) =
        let tiny =
            { settings with
                MaxEvaluations = 2
                StopAtFirst = false
                Shrink = false
            }

        randomTesting tiny |> ignore
        run tiny |> ignore

    /// Time to the first confirmed counterexample, `search` against random testing with the same generator
    /// and budget, on `seeds` seeds (seed, seed + 1, …): pairs (search, random), each stopped at its first
    /// confirmed counterexample (no shrinking, so the time is the search's alone), after a short warm-up
    /// of both searches. `search` is `run`, or an ablation (`runUnaimed`, `runPlacebo`).
    let raceWith (search: HuntSettings -> HuntResult) (settings: HuntSettings) (seeds: int) =
        warmUp settings

        [|
            for k in 0 .. seeds - 1 do
                let s =
                    { settings with
                        Seed = settings.Seed + uint64 k
                        StopAtFirst = true
                        Shrink = false
                    }

                yield search s, randomTesting s
        |]

    /// `raceWith run`: the hunter against random testing.
    let race (settings: HuntSettings) (seeds: int) : (HuntResult * HuntResult)[] = raceWith run settings seeds
