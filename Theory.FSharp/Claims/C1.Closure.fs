namespace LowRankVerify.Theory

/// A single-entry step rule θ → θ⁺ at an entry (the paper's `Sgd.step`, or a broken one for a control).
type StepRule = Hyper -> Task -> Network -> int * int -> Network

/// Result of checking C1 on one case: the worst slack after the step over every observed entry.
type ClosureReport =
    {
        /// θ was in B_r as computed (cases outside are not checked).
        Contained: bool
        /// Slack of θ.
        Before: RegionSlack
        /// Smallest slack of each condition after one step, over every observed entry.
        After: RegionSlack
        /// Round-off bound of each condition at the worst θ⁺.
        Bound: RegionSlack
        /// The entry whose step gave the most negative slack (relative to its bound).
        WorstEntry: int * int
        /// max over conditions of −slack after (≤ 0 when the step stayed inside).
        Violation: float
        /// The round-off bound of the violated condition.
        ViolationBound: float
        /// The violated condition, if any.
        Condition: RegionCondition option
        /// Holds, Counterexample (violation > bound) or Inconclusive (violation within round-off).
        Verdict: Verdict
    }

/// Everything C1's check measures on one case beyond its report (issue #11): how visible the step is
/// (`closureDetailed`), the certificate of a minimum of rank > r when one was computed, λ's scale for the
/// task (`NonTriviality.lambdaScale`), the regime's η_max and the condition that sets it.
type ClosureEvidence =
    {
        /// The C1 report of the case.
        Report: ClosureReport
        /// Per condition, the step's largest slack change over the sum of round-off bounds (`closureDetailed`).
        Visibility: RegionSlack
        /// The certificate of the case's (task, λ, depth, widths), when computed.
        Certificate: MinimumCertificate option
        /// `NonTriviality.lambdaScale` for the case's task, depth, widths and r (0: the data cannot ask for
        /// rank > r).
        LambdaScale: float
        /// `Regime.etaMax` at the case's constants and λ.
        EtaMax: float
        /// `Regime.etaMaxSetBy`: the condition that sets η_max.
        EtaMaxSetBy: string
    }

    /// The step moved some condition of B_r by more than its round-off (a confirmed counterexample was
    /// possible).
    member this.Visible = this.Visibility.Max > 1.0

    /// The certificate shows a nonzero local minimum of rank > r.
    member this.Certified(r: int) =
        match this.Certificate with
        | Some c -> c.RankAbove r
        | None -> false

    /// C1's non-triviality criterion (`criterion`): certified minimum of rank > r and a visible step.
    member this.NonTrivial(r: int) = this.Visible && this.Certified r

/// C1 Closure (THEORY.md §2): θ_t ∈ B_r ⇒ θ_{t+1} ∈ B_r for every entry SGD can draw. The check on one case
/// (`closure`) and on a budget (`check`, inside the derived regime, with the evidence that makes a case
/// non-trivial), its negative controls, and its hunt objective (`closureScore`, `problem`).
[<RequireQualifiedAccess>]
module C1 =


    /// C1's data at one case: for every observed entry, the slack of B_r after one step with `rule` and its
    /// round-off bound, the step's own round-off included (`Region.slackAndBoundAfterStep`; every rule here
    /// has decay 1 ± 2ηλ, so |1 − decay| = 2ηλ); None when the step or its slacks are not finite (the step
    /// left every bounded set: a counterexample by construction, never a NaN comparison). A bound that is not
    /// finite (e.g. Lip(f_α) = 1/α overflowing) is +∞: nothing is confirmed against it. Shared by
    /// `closureWith` and the hunt's objective (`Hunt.closureScore`).
    let closureSteps (rule: StepRule) (c: ClosureCase) : ((int * int) * (RegionSlack * RegionSlack) option)[] =
        let gap = 2.0 * c.Hyper.Eta * c.Hyper.Lambda

        let orInfinity (x: float) =
            if System.Double.IsFinite x then x else infinity

        c.Task.Observed
        |> Array.map (fun e ->
            let next = rule c.Hyper c.Task c.Point e

            if next.W |> Array.forall Linalg.isFinite then
                let s, b =
                    Region.slackAndBoundAfterStep c.Region c.Hyper.Eta gap c.Task c.Point next

                if [ s.Balancedness; s.Rank; s.Bounded ] |> List.forall System.Double.IsFinite then
                    let b =
                        {
                            Balancedness = orInfinity b.Balancedness
                            Rank = orInfinity b.Rank
                            Bounded = orInfinity b.Bounded
                        }

                    e, Some(s, b)
                else
                    e, None
            else
                e, None)

    /// A slack's change over its round-off bound (the step's or run's visibility, issue #11): 0 for no change,
    /// +∞ for a change against a zero bound.
    let changeOverBound (change: float) (bound: float) =
        if change = 0.0 then 0.0
        elif bound > 0.0 then change / bound
        else infinity

    /// C1 on one case with how visible the step is to the check (issue #11): the report of `closureWith`
    /// and, per condition of B_r, the largest |slack after − slack before| over the observed entries divided
    /// by the sum of the two slacks' round-off bounds (`Region.slackAndBound` before, the step's bound after):
    /// above 1, the step moved that condition by more than round-off, so a confirmed counterexample was
    /// possible; at most 1 for every condition, the step is invisible (θ⁺ and θ cannot be told apart by the
    /// check: a case that could not fail). +∞ for a step that is not finite; 0 when θ ∉ B_r.
    let rec closureDetailed (rule: StepRule) (c: ClosureCase) : ClosureReport * RegionSlack =
        let p = c.Region
        let before, beforeBound = Region.slackAndBound p c.Point

        let zero = Region.uniformSlack 0.0
        let mutable visible = zero

        if before.Min < 0.0 then
            {
                Contained = false
                Before = before
                After = before
                Bound = zero
                WorstEntry = (0, 0)
                Violation = 0.0
                ViolationBound = 0.0
                Condition = None
                Verdict = Verdict.Inconclusive
            },
            visible
        else
            let mutable after = Region.uniformSlack infinity

            let mutable bound = zero
            let mutable worst = (0, 0)
            let mutable worstScore = -infinity
            let mutable violation = -infinity
            let mutable vBound = 0.0
            let mutable cond = None
            // a violation against an infinite bound can be neither confirmed nor dismissed
            let mutable unbounded = false

            for e, step in closureSteps rule c do
                match step with
                | None ->
                    after <- { after with Bounded = -infinity }

                    visible <- Region.uniformSlack infinity

                    if worstScore < infinity then
                        worstScore <- infinity
                        worst <- e
                        bound <- zero
                        violation <- infinity
                        vBound <- 0.0
                        cond <- Some RegionCondition.Bounded
                | Some(s, b) ->
                    after <- Region.mapSlack2 min after s
                    let change = Region.mapSlack2 (fun x y -> abs (y - x)) before s
                    let bounds = Region.mapSlack2 (+) b beforeBound
                    visible <- Region.mapSlack2 max visible (Region.mapSlack2 changeOverBound change bounds)

                    for (k, v, bb) in Region.violations s b do
                        let score = v - bb

                        if v > 0.0 && bb = infinity then
                            unbounded <- true

                        if score > worstScore then
                            worstScore <- score
                            worst <- e
                            bound <- b
                            violation <- v
                            vBound <- bb
                            cond <- if v > 0.0 then Some k else None

            let verdict =
                if violation > vBound then Verdict.Counterexample
                elif violation > 0.0 || unbounded then Verdict.Inconclusive
                else Verdict.Holds

            {
                Contained = true
                Before = before
                After = after
                Bound = bound
                WorstEntry = worst
                Violation = violation
                ViolationBound = vBound
                Condition = cond
                Verdict = verdict
            },
            visible

    /// C1 on one case: steps with `rule` at EVERY observed entry (`closureSteps`) and takes the worst slack
    /// after the step. A negative slack is a counterexample only when it exceeds the round-off bound at θ⁺,
    /// the step's own round-off included; a step that is not finite is a counterexample (violation +∞ of
    /// the norm bound).
    and closureWith (rule: StepRule) (c: ClosureCase) : ClosureReport = fst (closureDetailed rule c)

    /// C1 with the paper's step `Sgd.step`.
    let closure (c: ClosureCase) = closureWith Sgd.step c

    /// The broken step of a negative control: decay 1 + 2ηλ (sign error) instead of 1 − 2ηλ.
    let brokenStep: StepRule =
        fun hyper task net e -> Sgd.stepWithDecay (1.0 + 2.0 * hyper.Eta * hyper.Lambda) hyper.Eta task net e

    /// One line describing a C1 case and its report (used in counterexamples and control examples).
    let describe (c: ClosureCase) (r: ClosureReport) =
        sprintf
            "%s; entry %A; %s"
            (ClaimCases.caseText c)
            r.WorstEntry
            (match r.Condition with
             | Some k -> sprintf "%A violated by %.3g (round-off bound %.3g)" k r.Violation r.ViolationBound
             | None -> sprintf "stays inside (smallest slack after the step %.3g)" (-r.Violation))

    /// A counterexample (or, within round-off, an inconclusive case) of `claim` from a C1 report.
    let counterexample (claim: ClaimId) (desc: string) (r: ClosureReport) (replay: Replay) : Counterexample =
        {
            Claim = claim
            Description = desc
            Violation = r.Violation
            Bound = r.ViolationBound
            Status =
                (if r.Violation > r.ViolationBound then
                     Verdict.Counterexample
                 else
                     Verdict.Inconclusive)
            Replay = replay
        }

    /// Counts, per tightest condition, how close the checked points came to the boundary (C1 coverage).
    let coverage (cases: (RegionParams * RegionSlack) seq) : Map<string, int> =
        cases
        |> Seq.map (fun (p, s) ->
            let rel = Generators.relativeSlack p s
            let k = Region.tightest s

            let v =
                match k with
                | RegionCondition.Balancedness -> rel.Balancedness
                | RegionCondition.Rank -> rel.Rank
                | RegionCondition.Bounded -> rel.Bounded

            sprintf "%A %s" k (Generators.closenessBucket v))
        |> Seq.countBy id
        |> Map.ofSeq

    let private coverageText (m: Map<string, int>) =
        m
        |> Map.toList
        |> List.map (fun (k, n) -> sprintf "%s: %d" k n)
        |> String.concat "; "

    /// A C1 case as plain data (`--cases-out`): task, point, region, η, λ, and the worst entry's slacks
    /// after the step with their round-off bounds.
    let closureRecord (index: int) (c: ClosureCase) (r: ClosureReport) (nonTrivial: bool) : CaseRecord =
        {
            Claim = ClaimId.C1
            Index = index
            Kind = "closure step"
            Task = Some c.Task
            Layers = Some c.Point
            Region = Some c.Region
            Eta = Some c.Hyper.Eta
            Lambda = Some c.Hyper.Lambda
            Verdict = r.Verdict
            NonTrivial = nonTrivial
            Values =
                [
                    "worstEntry", CaseValue.Entries [| r.WorstEntry |]
                    "violation", CaseValue.Number r.Violation
                    "violationBound", CaseValue.Number r.ViolationBound
                    "slackBefore", CaseValue.Numbers [| r.Before.Balancedness; r.Before.Rank; r.Before.Bounded |]
                    "slackAfter", CaseValue.Numbers [| r.After.Balancedness; r.After.Rank; r.After.Bounded |]
                ]
        }

    /// C1's non-triviality criterion, one sentence (issue #11).
    let criterion =
        "the task and lambda (with the case's depth and widths) admit a nonzero local minimum of rank > r, certified by a solver run (NonTriviality.certify: relative residual <= 1e-12, smallest Hessian eigenvalue >= -n 1e-9 max|H|, numerical rank > r at 1e-6 s_1), AND the step moves some condition of B_r by more than the round-off bounds of its slack before and after (otherwise no confirmed counterexample was possible)"

    /// The evidence of a C1 case: its report and visibility, λ's scale, η_max and what sets it, and the
    /// certificate from `cache` when `certifyAll` or the step is visible (the criterion needs both, so an
    /// invisible step need not be certified).
    let closureEvidence (cache: NonTriviality.Cache) (certifyAll: bool) (c: ClosureCase) : ClosureEvidence =
        let report, visibility = closureDetailed Sgd.step c
        let hidden = Network.hiddenWidths c.Point

        let visible = visibility.Max > 1.0

        {
            Report = report
            Visibility = visibility
            Certificate =
                (if certifyAll || visible then
                     Some(cache.Get(c.Task, c.Hyper.Lambda, hidden))
                 else
                     None)
            LambdaScale = NonTriviality.lambdaScale c.Task c.Depth hidden c.Region.R
            EtaMax = Regime.etaMax c.Region c.Task c.Depth c.Hyper.Lambda Regime.defaults.Rho
            EtaMaxSetBy = Regime.etaMaxSetBy c.Region c.Task c.Depth c.Hyper.Lambda Regime.defaults.Rho
        }

    /// A C1 case with its evidence as plain data (`--cases-out`): `closureRecord`'s values, then λ's scale and
    /// λ over it, η_max with the condition that sets it and that condition's label (rigorous / first order),
    /// 2ηλ, the step's visibility per condition (balancedness, rank, norm), the certificate
    /// (`Check.certificateValues`) and how the point was built (`construction`, when given).
    let closureEvidenceRecord (index: int) (c: ClosureCase) (construction: string) (ev: ClosureEvidence) =
        let rec0 = closureRecord index c ev.Report (ev.NonTrivial c.Region.R)

        { rec0 with
            Values =
                rec0.Values
                @ [
                    "lambdaScale", CaseValue.Number ev.LambdaScale
                    "lambdaOverScale",
                    CaseValue.Number(
                        if ev.LambdaScale > 0.0 then
                            c.Hyper.Lambda / ev.LambdaScale
                        else
                            0.0
                    )
                    "etaMax", CaseValue.Number ev.EtaMax
                    "etaMaxSetBy", CaseValue.Text ev.EtaMaxSetBy
                    "etaMaxSetByLabel", CaseValue.Text(Regime.label ev.EtaMaxSetBy)
                    "twoEtaLambda", CaseValue.Number(2.0 * c.Hyper.Eta * c.Hyper.Lambda)
                    "stepVisibility",
                    CaseValue.Numbers [| ev.Visibility.Balancedness; ev.Visibility.Rank; ev.Visibility.Bounded |]
                    "stepVisible", CaseValue.Flag ev.Visible
                    "certifiedRankAboveR", CaseValue.Flag(ev.Certified c.Region.R)
                    "construction", CaseValue.Text construction
                ]
                @ (match ev.Certificate with
                   | Some cert -> Check.certificateValues cert
                   | None -> [ "minimumRank", CaseValue.Text "not computed (the step is invisible)" ])
        }

    /// Counts of C1 evidence, in words: cases with a certified minimum of rank > r, with a visible step (and by
    /// which condition), both (the non-trivial ones) and of those with r ≥ 1; which condition sets η_max; the
    /// median 2ηλ; the certificates' cost.
    let evidenceText (cases: (ClosureCase * ClosureEvidence) list) (cache: NonTriviality.Cache) =
        let n = cases.Length
        let count f = cases |> List.filter f |> List.length
        let certified = count (fun (c, e) -> e.Certified c.Region.R)
        let visible = count (fun (_, e) -> e.Visible)
        let nonTrivial = count (fun (c, e) -> e.NonTrivial c.Region.R)

        let nonTrivialR1 = count (fun (c, e) -> e.NonTrivial c.Region.R && c.Region.R >= 1)

        let by k =
            count (fun (_, e) -> k e.Visibility > 1.0)

        let setBy =
            cases
            |> List.countBy (fun (_, e) -> e.EtaMaxSetBy)
            |> List.sortBy fst
            |> List.map (fun (k, m) -> sprintf "%s (%s) %d" k (Regime.label k) m)
            |> String.concat ", "

        let rates = cases |> List.map (fun (c, _) -> 2.0 * c.Hyper.Eta * c.Hyper.Lambda)

        sprintf
            "%d of %d non-trivial (%d with r >= 1): %d with a visible step (by balancedness %d, rank %d, norm %d), %d with a certified minimum of rank > r (%d certificates computed, in %.1f s); eta_max set by %s; median 2 eta lambda %s"
            nonTrivial
            n
            nonTrivialR1
            visible
            (by (fun v -> v.Balancedness))
            (by (fun v -> v.Rank))
            (by (fun v -> v.Bounded))
            certified
            cache.Misses
            cache.Seconds
            setBy
            (Check.summary Check.median "%.2g" rates)

    /// C1 on `budget.Cases` random cases (`ClaimCases.randomClosureCase`) inside the derived regime, each with its
    /// evidence (`closureEvidence`; certificates only for visible steps, which the criterion needs anyway).
    let check (budget: CheckBudget) (progress: string -> unit) : CheckResult =
        let cache = NonTriviality.Cache()

        let run () =
            let results =
                [
                    for i in 0 .. budget.Cases - 1 do
                        let c, spec = ClaimCases.randomClosureCase budget.Seed i

                        if Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho then
                            let ev = closureEvidence cache false c

                            if ev.Report.Contained then
                                yield i, c, spec, ev
                ]

            let cov =
                coverage (results |> List.map (fun (_, c, _, ev) -> c.Region, ev.Report.Before))

            let bad =
                results
                |> List.filter (fun (_, _, _, ev) -> ev.Report.Verdict <> Verdict.Holds)
                |> List.map (fun (_, c, _, ev) ->
                    counterexample ClaimId.C1 (describe c ev.Report) ev.Report (Check.replay ClaimId.C1 budget None))

            let verdict =
                Check.claimVerdict (results |> List.map (fun (_, _, _, ev) -> ev.Report.Verdict))

            let within =
                results
                |> List.filter (fun (_, _, _, ev) -> ev.Report.Verdict = Verdict.Inconclusive)
                |> List.length

            let evidence = evidenceText (results |> List.map (fun (_, c, _, ev) -> c, ev)) cache

            progress (
                sprintf "C1: %d cases (%d within round-off), %s; %s" results.Length within evidence (coverageText cov)
            )

            let records =
                results
                |> List.map (fun (i, c, spec, ev) -> closureEvidenceRecord i c (sprintf "%A" spec.Point) ev)

            let nonTrivial =
                results
                |> List.filter (fun (_, c, _, ev) -> ev.NonTrivial c.Region.R)
                |> List.length

            results.Length, cov, verdict, bad, records, nonTrivial, evidence

        let n, cov, verdict, bad, records, nonTrivial, evidence = run ()

        {
            Statement =
                sprintf
                    "theta in B_r => theta+ in B_r for every observed entry, inside the derived regime R0-R4 (Regime.fs: R0-R2 rigorous, R3-R4 first order, a heuristic), on cases aimed at the paper's setting: r below the rank of the observed data, lambda = %g-%g of the largest lambda with a minimum of rank > r (exact D7 threshold for fully observed tasks; %g-%g of a proxy for partially observed ones; 1 case in %d decay-dominated, lambda in [0.1, 1]), half the tasks at most %dx%d, the balancedness edge along the shared frame or misaligned (a random perturbation moved to the boundary by bisection). In this regime eta_max (set by R4 in most cases) makes 2 eta lambda tiny, so that the step is visible above round-off mostly on small tasks (counts in the coverage line)"
                    (fst Generators.lambdaFractionRange)
                    (snd Generators.lambdaFractionRange)
                    (fst Generators.partialLambdaFractionRange)
                    (snd Generators.partialLambdaFractionRange)
                    Generators.decayDominatedOneIn
                    Generators.smallTaskSize
                    Generators.smallTaskSize
            Verdict = verdict
            CasesTried = n
            NonTrivialCases = nonTrivial
            BoundaryCoverage = evidence + "; boundary coverage: " + coverageText cov
            Cases = records
            Counterexamples = bad
        }

    /// The cases of C1's controls (and of C4's λ = 0 control): C1 cases of stream i of seed ^ 0x5EED.
    let controlCase (budget: CheckBudget) (i: int) =
        let c, _ = ClaimCases.randomClosureCase (budget.Seed ^^^ 0x5EEDUL) i
        c

    /// Runs a C1 control: cases from `make` checked with `rule` until the first confirmed counterexample or
    /// the budget is spent; the failing case in words (`describe`, then `more`).
    let private closureControl
        (name: string)
        (rule: StepRule)
        (make: int -> ClosureCase)
        (more: ClosureCase -> string)
        (budget: CheckBudget)
        (progress: string -> unit)
        : ControlOutcome =
        Check.control
            name
            ClaimId.C1
            budget.Cases
            (fun i ->
                let c = make i
                let r = closureWith rule c

                if r.Contained && r.Verdict = Verdict.Counterexample then
                    Some(describe c r + more c)
                else
                    None)
            progress

    /// The large-η control's case (issue #11): η raised to R0's cap, 2ηλ = 1/10 (`Regime.capAtR0` of an
    /// unbounded η), so that 1 − 2ηλ = 0.9: a counterexample then comes from R1, R2 or R4, not from a decay
    /// that changes sign (which is what 30·η_max gave: measured, 45 of 45 counterexamples in 591 cases).
    let largeEtaCase (c: ClosureCase) =
        { c with
            Hyper =
                { c.Hyper with
                    Eta = Regime.capAtR0 infinity c.Hyper.Lambda
                }
        }

    /// The regime conditions a case violates, with their labels, and its decay 1 − 2ηλ, in words.
    let regimeText (c: ClosureCase) =
        sprintf
            "regime conditions violated at this eta: %s; 1 - 2 eta lambda = %.3g"
            (Regime.violatedText c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho)
            (1.0 - 2.0 * c.Hyper.Eta * c.Hyper.Lambda)

    /// C1's negative controls: λ = 0, η at R0's cap, L = 2 with data of rank r + 1, a broken step (decay
    /// 1 + 2ηλ); each must find a confirmed counterexample.
    let controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list =
        let none (_: ClosureCase) = ""

        [
            fun budget ->
                closureControl
                    "C1 with lambda = 0"
                    Sgd.step
                    (fun i ->
                        let c = controlCase budget i

                        { c with
                            Hyper = { c.Hyper with Lambda = 0.0 }
                        })
                    none
                    budget
            fun budget ->
                closureControl
                    "C1 with eta at R0's cap (2 eta lambda = 1/10, far above eta_max; 1 - 2 eta lambda = 0.9)"
                    Sgd.step
                    (controlCase budget >> largeEtaCase)
                    (fun c -> "; " + regimeText c)
                    budget
            fun budget ->
                closureControl
                    "C1 with L = 2 and data of rank r + 1"
                    Sgd.step
                    (ClaimCases.depthTwoCase (budget.Seed ^^^ 0x12UL))
                    none
                    budget
            fun budget ->
                closureControl
                    "C1 with a broken SGD step (decay 1 + 2 eta lambda)"
                    brokenStep
                    (controlCase budget)
                    none
                    budget
        ]

    /// True when a C1 case lies in the derived regime R0–R4 (`Regime.inside`).
    let inRegime (c: ClosureCase) =
        c.Hyper.Eta > 0.0
        && Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho

    /// The scale a C1 or C4 hunt divides a violation by: ε1, r + ε2 or C.
    let conditionScale (p: RegionParams) (k: RegionCondition) =
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

            for e, step in closureSteps Sgd.step c do
                match step with
                | Some(s, b) ->
                    for (k, v, bb) in Region.violations s b do
                        let score = (v - bb) / conditionScale p k
                        let (bs, _, _, _, _) = best

                        if score > bs then
                            best <- (score, v, bb, e, k)

                        alt <- max alt ((v - bb) / max (before k) (max bb (1e-300 * conditionScale p k)))
                | None ->
                    best <- (infinity, infinity, 0.0, e, RegionCondition.Bounded)
                    alt <- infinity

            let (score, v, bb, e, k) = best
            Some(score, v, bb, e, k, alt)

    let private c1Describe (c: ClosureCase) (v: float) (b: float) (e: int * int) (k: RegionCondition) =
        sprintf
            "%s; worst entry (%d, %d): %A %s %.3g (round-off bound %.3g)"
            (ClaimCases.caseText c)
            (fst e)
            (snd e)
            k
            (if v > 0.0 then "violated by" else "slack")
            (abs v)
            b

    /// C1's hunt problem under fixed values: points of B_r from `Generators.closureSpec` (aimed starts from
    /// `Generators.aimedClosureSpec`), the objective `closureScore` (alternative objective: slack-relative), in the
    /// derived regime unless the scope is every candidate.
    let problem (o: HuntOverrides) : Problem<ClosureSpec> =
        // L ≥ 3 unless the depth is fixed: a control (λ = 0, large η) then never mixes in the L = 2 control
        let minDepth = 3

        {
            Sample = Overrides.sampleClosure o minDepth 5
            Aimed = Overrides.aimedClosure o minDepth 5
            Mutate = Mutate.closureSpec o minDepth
            Evaluate =
                fun s ->
                    let c = Overrides.closureCase o s
                    let inside = inRegime c

                    if o.InRegimeOnly && not inside then
                        Hunt.outOfScope
                    else
                        match closureScore c with
                        | None -> Hunt.outOfScope
                        | Some(score, v, b, e, k, alt) ->
                            {
                                Score = score
                                AltScore = alt
                                Violation = v
                                Bound = b
                                Status = Verdict.ofViolation v b
                                InRegime = inside
                                Description = c1Describe c v b e k
                                Case = Some c
                            }
            Shrinks = fun s -> Shrink.closureSpec minDepth o s |> List.map (Overrides.fixClosure o)
            Size = Shrink.closureSize
            Parameters = Overrides.closureParameters o
        }

    /// C1's hunter (`problem` of the settings' fixed values).
    let hunter = Hunt.hunter (fun settings -> problem settings.Overrides)

    /// Shrinks a C1 spec under overrides until no smaller variant is still confirmed; returns
    /// (original size, shrunk size, still confirmed, the shrunk finding). For tests and the runner.
    let shrinkSpec (o: HuntOverrides) (s: ClosureSpec) : int * int * HuntFinding option =
        let pr = problem o
        let e = pr.Evaluate s

        if e.Status <> Verdict.Counterexample then
            pr.Size s, pr.Size s, None
        else
            let s2, e2, _ = Hunt.shrinkWith pr Hunt.shrinkBudget s e
            pr.Size s, pr.Size s2, Some(Hunt.findingOf ClaimId.C1 pr s2 e2 0 0.0 true)

    /// Evaluates one C1 spec under overrides (the hunt's objective and status).
    let evaluateSpec (o: HuntOverrides) (s: ClosureSpec) : HuntFinding =
        let pr = problem o
        Hunt.findingOf ClaimId.C1 pr s (pr.Evaluate s) 0 0.0 false

    /// Factor on η_max of the large-η control: large enough that η is R0's cap 2ηλ = 1/10 for every case
    /// whose η_max is set by R1–R4 (measured, issue #11: with 1 − 2ηλ ≥ 1/2, even 10⁴·η_max gave no
    /// counterexample in 591 cases; at R0's cap 68 did, all through the balancedness condition).
    [<Literal>]
    let largeEtaFactor = 1e12

    /// The C1 negative controls of THEORY.md §4 as hunt overrides (outside the regime on purpose): λ = 0,
    /// L = 2, and η raised to R0's cap (2ηλ = 1/10: `largeEtaFactor` · η_max capped by `Regime.capAtR0`, so
    /// that 1 − 2ηλ = 0.9 and the control breaks R1, R2, R4 rather than flipping the decay's sign).
    let huntControls =
        [
            "lambda = 0",
            { Overrides.none with
                InRegimeOnly = false
                Lambda = Some 0.0
            }
            "L = 2",
            { Overrides.none with
                InRegimeOnly = false
                Depth = Some 2
            }
            "eta at R0's cap (2 eta lambda = 1/10)",
            { Overrides.none with
                InRegimeOnly = false
                EtaFactor = largeEtaFactor
            }
        ]

    /// C1 in the registry.
    let definition: ClaimDefinition =
        ClaimDefinition.asserted ClaimId.C1 "Closure" criterion Required.Cases check controls (Some hunter)
