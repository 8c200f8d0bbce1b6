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

/// Budgeted checks of the claims C1–C7 and of their negative controls, reusable by the runner
/// (`lowrank verify`) and by the property tests. Every case derives its own stream from the budget's seed.
[<RequireQualifiedAccess>]
module ClaimChecks =

    /// Tolerance on the smallest Hessian eigenvalue of a local minimum (C7): the central-difference
    /// Hessian has entry errors ≈ 1e-10 relative (h = 1e-5: truncation h² and round-off u/h), and Weyl's
    /// inequality turns an n×n entrywise error e into an eigenvalue error ≤ n·e; we allow n·1e-9·max(1, max|H|).
    let hessianTolerance (h: MathNet.Numerics.LinearAlgebra.Matrix<float>) = NonTriviality.hessianTolerance h

    /// Median of a non-empty list (the upper one for an even count).
    let private median (xs: float list) =
        let sorted = List.sort xs
        sorted.[sorted.Length / 2]

    /// `stat xs` printed with `format`, or "none" for an empty list: coverage lines never print NaN.
    let private summary (stat: float list -> float) (format: Printf.StringFormat<float -> string>) (xs: float list) =
        if xs.IsEmpty then "none" else sprintf format (stat xs)

    // ------------------------------------------------------------------ C1

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

        let ratio = changeOverBound

        let mutable visible =
            {
                Balancedness = 0.0
                Rank = 0.0
                Bounded = 0.0
            }

        let zero =
            {
                Balancedness = 0.0
                Rank = 0.0
                Bounded = 0.0
            }

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
            let mutable after =
                {
                    Balancedness = infinity
                    Rank = infinity
                    Bounded = infinity
                }

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

                    visible <-
                        {
                            Balancedness = infinity
                            Rank = infinity
                            Bounded = infinity
                        }

                    if worstScore < infinity then
                        worstScore <- infinity
                        worst <- e
                        bound <- zero
                        violation <- infinity
                        vBound <- 0.0
                        cond <- Some RegionCondition.Bounded
                | Some(s, b) ->
                    after <-
                        {
                            Balancedness = min after.Balancedness s.Balancedness
                            Rank = min after.Rank s.Rank
                            Bounded = min after.Bounded s.Bounded
                        }

                    visible <-
                        {
                            Balancedness =
                                max
                                    visible.Balancedness
                                    (ratio
                                        (abs (s.Balancedness - before.Balancedness))
                                        (b.Balancedness + beforeBound.Balancedness))
                            Rank = max visible.Rank (ratio (abs (s.Rank - before.Rank)) (b.Rank + beforeBound.Rank))
                            Bounded =
                                max
                                    visible.Bounded
                                    (ratio (abs (s.Bounded - before.Bounded)) (b.Bounded + beforeBound.Bounded))
                        }

                    for (k, v, bb) in
                        [
                            RegionCondition.Balancedness, -s.Balancedness, b.Balancedness
                            RegionCondition.Rank, -s.Rank, b.Rank
                            RegionCondition.Bounded, -s.Bounded, b.Bounded
                        ] do
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

    /// A random C1 case for stream `index` of `seed` (`Generators.closureSpec`: task up to 6×6, depth 3..5,
    /// widths ≤ 6), with its spec.
    let randomClosureCase (seed: uint64) (index: int) : ClosureCase * ClosureSpec =
        let mutable rng = Rng.stream seed (uint64 index)
        let spec = Generators.closureSpec &rng 6 3 5
        Generators.closureCaseOf spec, spec

    /// A C1 case in words: task shape, depth, widths, r, η, λ, the constants and f_α (the prefix of `describe`
    /// and of the hunt's C1 and C4 findings).
    let caseText (c: ClosureCase) =
        sprintf
            "task %dx%d N=%d, L=%d, widths %s, r=%d, eta=%.4g, lambda=%.4g, eps1=%.3g, eps2=%.3g, alpha=%.3g, C=%.3g, %s"
            c.Task.DOut
            c.Task.DIn
            c.Task.N
            c.Depth
            (Network.widths c.Point |> Array.map string |> String.concat "-")
            c.Region.R
            c.Hyper.Eta
            c.Hyper.Lambda
            c.Region.Eps1
            c.Region.Eps2
            c.Region.Alpha
            c.Region.C
            (FAlpha.name c.Region.Family)

    /// One line describing a C1 case and its report (used in counterexamples and control examples).
    let describe (c: ClosureCase) (r: ClosureReport) =
        sprintf
            "%s; entry %A; %s"
            (caseText c)
            r.WorstEntry
            (match r.Condition with
             | Some k -> sprintf "%A violated by %.3g (round-off bound %.3g)" k r.Violation r.ViolationBound
             | None -> sprintf "stays inside (smallest slack after the step %.3g)" (-r.Violation))

    let private counterexampleOf claim (desc: string) (r: ClosureReport) replay =
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

    /// Claim-level verdict from per-case verdicts: Counterexample when any case is one; Inconclusive when no
    /// case was decided Holds; else Holds. Per-case Inconclusive verdicts (violations within round-off,
    /// which cases placed exactly on a boundary produce by design) are listed with the outcome's
    /// counterexamples and counted in its coverage line, but do not by themselves make the claim undecided.
    let claimVerdict (verdicts: Verdict seq) =
        let vs = List.ofSeq verdicts

        if vs |> List.contains Verdict.Counterexample then
            Verdict.Counterexample
        elif not (vs |> List.contains Verdict.Holds) then
            Verdict.Inconclusive
        else
            Verdict.Holds

    let private combine (verdicts: Verdict seq) = claimVerdict verdicts

    let private timed (f: unit -> 'a) =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let x = f ()
        x, sw.Elapsed.TotalSeconds

    /// A C1 case as plain data (`--cases-out`): task, point, region, η, λ, and the worst entry's slacks
    /// after the step with their round-off bounds.
    let closureRecord (index: int) (c: ClosureCase) (r: ClosureReport) (nonTrivial: bool) : CaseRecord =
        {
            Claim = "C1"
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
        member this.Visible =
            max this.Visibility.Balancedness (max this.Visibility.Rank this.Visibility.Bounded) > 1.0

        /// The certificate shows a nonzero local minimum of rank > r.
        member this.Certified(r: int) =
            match this.Certificate with
            | Some c -> c.RankAbove r
            | None -> false

        /// C1's non-triviality criterion (`c1Criterion`): certified minimum of rank > r and a visible step.
        member this.NonTrivial(r: int) = this.Visible && this.Certified r

    /// C1's non-triviality criterion, one sentence (issue #11).
    let c1Criterion =
        "the task and lambda (with the case's depth and widths) admit a nonzero local minimum of rank > r, certified by a solver run (NonTriviality.certify: relative residual <= 1e-12, smallest Hessian eigenvalue >= -n 1e-9 max|H|, numerical rank > r at 1e-6 s_1), AND the step moves some condition of B_r by more than the round-off bounds of its slack before and after (otherwise no confirmed counterexample was possible)"

    /// Hidden widths n_1 … n_{L−1} of a network.
    let hiddenWidths (net: Network) =
        let ws = Network.widths net
        ws.[1 .. ws.Length - 2]

    /// The evidence of a C1 case: its report and visibility, λ's scale, η_max and what sets it, and the
    /// certificate from `cache` when `certifyAll` or the step is visible (the criterion needs both, so an
    /// invisible step need not be certified).
    let closureEvidence (cache: NonTriviality.Cache) (certifyAll: bool) (c: ClosureCase) : ClosureEvidence =
        let report, visibility = closureDetailed Sgd.step c
        let hidden = hiddenWidths c.Point

        let visible =
            max visibility.Balancedness (max visibility.Rank visibility.Bounded) > 1.0

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
    /// (`NonTriviality.values`) and how the point was built (`construction`, when given).
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
                   | Some cert -> NonTriviality.values cert
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
            (summary median "%.2g" rates)

    /// C1 on `budget.Cases` random cases (`randomClosureCase`) inside the derived regime, each with its
    /// evidence (`closureEvidence`; certificates only for visible steps, which the criterion needs anyway).
    let checkC1 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let cache = NonTriviality.Cache()

        let run () =
            let results =
                [
                    for i in 0 .. budget.Cases - 1 do
                        let c, spec = randomClosureCase budget.Seed i

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
                    counterexampleOf
                        "C1"
                        (describe c ev.Report)
                        ev.Report
                        (sprintf "lowrank verify --seed %d" budget.Seed))

            let verdict = combine (results |> List.map (fun (_, _, _, ev) -> ev.Report.Verdict))

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

        let (n, cov, verdict, bad, records, nonTrivial, evidence), secs = timed run

        {
            Claim = "C1"
            Name = "Closure"
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
            NonTrivialCriterion = c1Criterion
            NonTrivialRequired = budget.MinNonTrivial
            BoundaryCoverage = evidence + "; boundary coverage: " + coverageText cov
            Seconds = secs
            Cases = records
            Counterexamples = bad
        }

    /// Steps a chain of `checkC1AtE1` may take to jump into B_1 at rank 1 (E1's default budget).
    [<Literal>]
    let e1JumpSteps = 3_000_000L

    /// Steps between the chain points `checkC1AtE1` checks after a jump, and how many it checks per chain.
    let e1Stride, e1PointsPerChain = 20L, 1000

    /// Relative distances δ of `checkC1AtE1`'s perturbed points from B_1's boundary (`Generators.toBoundary`):
    /// from halfway to 10⁻¹² of the boundary.
    let e1Deltas = [| 0.5; 0.1; 1e-3; 1e-6; 1e-9; 1e-12 |]

    /// C1 at the slides' operating point (issue #11; EXPLORATORY: outside the derived regime, reported and
    /// not part of verify's exit code): E1's task at `TwoByTwo.defaults` (ε = 0.1, L = 4, width 2, η = 0.5,
    /// λ = 0.02) and B_1 with `TwoByTwo.jumpRegion`'s constants. One-step exits (every observed entry,
    /// `closureDetailed`) are looked for (1) at points of real SGD chains after their jump: each chain (stream
    /// `Rng.stream (seed ^^^ 0xE1C1) k`) runs from W_ℓ = I until it is in B_1 at numerical rank 1 (checked every
    /// 1000 steps, at most `e1JumpSteps`), then every `e1Stride` steps for `e1PointsPerChain` points; (2) at
    /// perturbations of the rank-1 minimum (the solver from a chain's jump point) along random directions,
    /// moved to δ of B_1's boundary (`e1Deltas`). Non-trivial: the task at λ admits a certified minimum of
    /// rank 2 (`NonTriviality.certify`) and the step is visible above round-off.
    let checkC1AtE1 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let prm = TwoByTwo.defaults
        let tk = TwoByTwo.task prm
        let p = TwoByTwo.jumpRegion prm
        let hyper = { Eta = prm.Eta; Lambda = prm.Lambda }
        let start = TwoByTwo.start prm
        let hidden = hiddenWidths start
        let cert = NonTriviality.certify tk hyper.Lambda hidden
        let certified = cert.RankAbove p.R
        let chains = max 2 (budget.Cases / 150)
        let perturbations = max 12 (budget.Cases / 3)

        let caseAt (net: Network) =
            {
                Task = tk
                Depth = prm.Depth
                Region = p
                Hyper = hyper
                Point = net
            }

        let inB1AtRank1 (net: Network) =
            let s1, s2 = TwoByTwo.singularValues2 (Network.product net)
            Region.contains p net && TwoByTwo.rankOf s1 s2 = 1

        // (1) chain points after the jump
        let chainRuns =
            [
                for k in 0 .. chains - 1 do
                    let st = Engine.create tk start
                    let mutable rng = Rng.stream (budget.Seed ^^^ 0xE1C1UL) (uint64 k)
                    let mutable t = 0L
                    let mutable ok = true
                    let mutable jumped = false

                    while ok && not jumped && t < e1JumpSteps do
                        ok <- Engine.run st hyper &rng 1000L
                        t <- t + 1000L

                        if ok then
                            jumped <- inB1AtRank1 (Engine.toNetwork st)

                    let jumpStep = if jumped then Some t else None
                    let points = ResizeArray()

                    if jumped then
                        let mutable n = 0

                        while ok && n < e1PointsPerChain do
                            let net = Engine.toNetwork st
                            let rngState = rng

                            if Region.contains p net then
                                let c = caseAt net
                                let r, vis = closureDetailed Sgd.step c
                                points.Add(t, rngState, c, r, vis)

                            ok <- Engine.run st hyper &rng e1Stride
                            t <- t + e1Stride
                            n <- n + 1

                    yield k, jumpStep, List.ofSeq points
            ]

        // (2) perturbations of the rank-1 minimum (the solver from the first jump point)
        let minimum =
            chainRuns
            |> List.tryPick (fun (_, _, pts) ->
                match pts with
                | (_, _, c, _, _) :: _ -> Some c.Point
                | [] -> None)
            |> Option.map (fun net ->
                (CriticalPoints.solve tk hyper.Lambda Tolerance.criticalPointTarget NonTriviality.descentSteps net)
                    .Network)

        let perturbed =
            match minimum with
            | Some m when Region.contains p m ->
                [
                    for k in 0 .. perturbations - 1 do
                        let mutable rng = Rng.stream (budget.Seed ^^^ 0xE1C2UL) (uint64 k)
                        let delta = e1Deltas.[k % e1Deltas.Length]
                        let net = Generators.toBoundary &rng p delta m

                        if Region.contains p net then
                            let c = caseAt net
                            let r, vis = closureDetailed Sgd.step c
                            yield k, delta, c, r, vis
                ]
            | _ -> []

        let visibleOf (v: RegionSlack) =
            max v.Balancedness (max v.Rank v.Bounded) > 1.0

        let allPoints =
            [
                for (k, _, pts) in chainRuns do
                    for (t, rngState, c, r, vis) in pts do
                        yield sprintf "chain %d, step %d (entry stream state %d)" k t rngState.State, c, r, vis
                for (k, delta, c, r, vis) in perturbed do
                    yield sprintf "perturbation %d of the solver's rank-1 minimum, delta %g" k delta, c, r, vis
            ]

        let exits (xs: (ClosureReport * RegionSlack) list) =
            xs |> List.filter (fun (r, _) -> r.Verdict = Verdict.Counterexample)

        let chainPts =
            chainRuns
            |> List.collect (fun (_, _, pts) -> pts |> List.map (fun (_, _, _, r, v) -> r, v))

        let pertPts = perturbed |> List.map (fun (_, _, _, r, v) -> r, v)
        let chainExits = exits chainPts
        let pertExits = exits pertPts

        let sizes (xs: (ClosureReport * RegionSlack) list) =
            match xs with
            | [] -> "none"
            | _ ->
                let v = xs |> List.map (fun (r, _) -> r.Violation)

                let by =
                    xs
                    |> List.countBy (fun (r, _) -> r.Condition)
                    |> List.map (fun (k, n) ->
                        sprintf
                            "%s %d"
                            (match k with
                             | Some k -> sprintf "%A" k
                             | None -> "-")
                            n)
                    |> String.concat ", "

                sprintf "violation %.3g to %.3g (%s)" (List.min v) (List.max v) by

        let jumped = chainRuns |> List.filter (fun (_, j, _) -> j.IsSome)

        let byDelta =
            e1Deltas
            |> Array.map (fun d ->
                let at = perturbed |> List.filter (fun (_, delta, _, _, _) -> delta = d)

                sprintf
                    "%g: %d/%d"
                    d
                    (at
                     |> List.filter (fun (_, _, _, r, _) -> r.Verdict = Verdict.Counterexample)
                     |> List.length)
                    at.Length)
            |> String.concat ", "

        // how close the chain points come to B_1's boundary, per condition (relative slack, `Generators.relativeSlack`)
        let closest =
            match chainRuns |> List.collect (fun (_, _, pts) -> pts) with
            | [] -> "none"
            | pts ->
                let rel =
                    pts
                    |> List.map (fun (_, _, c, r, _) -> Generators.relativeSlack c.Region r.Before)

                sprintf
                    "balancedness %.3g, rank %.3g, norm %.3g"
                    (rel |> List.map (fun x -> x.Balancedness) |> List.min)
                    (rel |> List.map (fun x -> x.Rank) |> List.min)
                    (rel |> List.map (fun x -> x.Bounded) |> List.min)

        let regime =
            Regime.violated hyper p tk prm.Depth Regime.defaults.Rho
            |> List.map (fun id -> sprintf "%s (%s)" id (Regime.label id))
            |> String.concat ", "

        let cov =
            sprintf
                "%d of %d chains jumped into B_1 at rank 1 (steps %s); %d chain points in B_1 checked, %d with a confirmed one-step exit (%.1f%%: %s), smallest relative slack of the chain points %s; %d perturbed points of the solver's rank-1 minimum, %d with one (%s; exits per distance delta from the boundary: %s); %d visible steps; rank-2 minimum at this lambda: %s; regime conditions violated here: %s"
                jumped.Length
                chains
                (jumped |> List.map (fun (_, j, _) -> string j.Value) |> String.concat ", ")
                chainPts.Length
                chainExits.Length
                (if chainPts.IsEmpty then
                     0.0
                 else
                     100.0 * float chainExits.Length / float chainPts.Length)
                (sizes chainExits)
                closest
                pertPts.Length
                pertExits.Length
                (sizes pertExits)
                byDelta
                (allPoints |> List.filter (fun (_, _, _, v) -> visibleOf v) |> List.length)
                (if certified then
                     sprintf "certified (rank %d, residual %.2g)" cert.Rank cert.Residual
                 else
                     sprintf "NOT certified (rank %d)" cert.Rank)
                (if regime = "" then "none" else regime)

        progress ("C1-E1: " + cov)

        let records =
            allPoints
            |> List.mapi (fun i (construction, c, r, vis) ->
                let ev =
                    {
                        Report = r
                        Visibility = vis
                        Certificate = Some cert
                        LambdaScale = NonTriviality.lambdaScale tk prm.Depth hidden p.R
                        EtaMax = Regime.etaMax p tk prm.Depth hyper.Lambda Regime.defaults.Rho
                        EtaMaxSetBy = Regime.etaMaxSetBy p tk prm.Depth hyper.Lambda Regime.defaults.Rho
                    }

                { closureEvidenceRecord i c construction ev with
                    Claim = "C1-E1"
                })

        let bad =
            allPoints
            |> List.filter (fun (_, _, r, _) -> r.Verdict = Verdict.Counterexample)
            |> List.truncate 5
            |> List.map (fun (construction, c, r, _) ->
                counterexampleOf
                    "C1-E1"
                    (construction + ": " + describe c r)
                    r
                    (sprintf "lowrank verify --seed %d (exploratory row C1-E1)" budget.Seed))

        let nonTrivial =
            if certified then
                allPoints |> List.filter (fun (_, _, _, v) -> visibleOf v) |> List.length
            else
                0

        let verdict =
            if chainExits.Length + pertExits.Length > 0 then
                Verdict.Counterexample
            elif allPoints.IsEmpty then
                Verdict.Inconclusive
            else
                Verdict.Holds

        {
            Claim = "C1-E1"
            Name = "Closure at the slides' operating point (exploratory)"
            Statement =
                sprintf
                    "EXPLORATORY, outside the derived regime (reported, not part of the exit code): E1's task (eps = %g, L = %d, width %d), eta = %g, lambda = %g, B_1 with TwoByTwo.jumpRegion (eps1 = %.3g, eps2 = %g, alpha = %.3g, C = %.3g, piecewise); one SGD step from points of B_1 near the rank-1 minimum stays in B_1 for every observed entry: %d points every %d steps after each chain's jump, and perturbations of the solver's rank-1 minimum toward B_1's boundary"
                    prm.Epsilon
                    prm.Depth
                    prm.Width
                    prm.Eta
                    prm.Lambda
                    p.Eps1
                    p.Eps2
                    p.Alpha
                    p.C
                    e1PointsPerChain
                    e1Stride
            Verdict = ClaimOutcome.withNonTrivial budget.MinNonTrivial nonTrivial verdict
            CasesTried = allPoints.Length
            NonTrivialCases = nonTrivial
            NonTrivialCriterion =
                "the task at this lambda admits a certified minimum of rank 2 > r = 1 (NonTriviality.certify) and the step moves some condition of B_1 by more than its round-off"
            NonTrivialRequired = budget.MinNonTrivial
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = records
            Counterexamples = bad
        }

    /// Exploratory rows of verify's claims table (issue #11): checks outside the regime where a claim is
    /// asserted, reported beside the claims and NOT part of the exit code. Today: C1 at the slides'
    /// operating point (`checkC1AtE1`).
    let runExploratory (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome[] =
        [| checkC1AtE1 budget progress |]

    // ------------------------------------------------------------------ C2

    /// Every choice vector in {Zero, Small, Large}^k (k ≤ 6 keeps this at most 729).
    let allChoices (k: int) : RootChoice[] list =
        let opts = [ RootChoice.Zero; RootChoice.Small; RootChoice.Large ]

        let rec go n =
            if n = 0 then
                [ [] ]
            else
                [
                    for rest in go (n - 1) do
                        for o in opts -> o :: rest
                ]

        go k |> List.map Array.ofList

    /// Round-off bound ρ on the computed singular values of A = W_L ⋯ W_1, C2's numerical rank threshold:
    /// forming the product commits at most (L − 1)·γ_n·Π_ℓ ‖W_ℓ‖_F (Frobenius, Higham Thm 3.1 per product)
    /// and the backward-stable SVD γ_n‖A‖_F ≤ γ_n·Π_ℓ ‖W_ℓ‖_F more (n = max width + 2, `Tolerance.gamma`
    /// with its safety factor), so |ŝ_i − s_i(A)| ≤ ρ := L·γ_n·Π_ℓ ‖W_ℓ‖_F (Weyl). A computed ŝ_i ≤ ρ cannot
    /// be told from 0, so the numerical rank of A is #{i : ŝ_i > ρ} (THEORY.md C2 sums over i ≤ rank A).
    /// Why it matters: x ↦ x^{2/L} is not Lipschitz at 0, so a singular value that is exactly 0 but computed
    /// as 1e-16 would add f_α(1e-16^{2/L}) (1e-8/α at L = 4) to the sum; cut at ρ, a dropped value adds at
    /// most f_α(ρ^{2/L}) in exact arithmetic (recorded as `C2Measure.Dropped`).
    let c2RankThreshold (net: Network) =
        let n = Array.max (Network.widths net) + 2

        float net.Depth
        * Tolerance.gamma n
        * (Network.layerSquaredNorms net |> Array.fold (fun acc x -> acc * sqrt x) 1.0)

    /// Bounds δ_ℓ ≥ ‖D_ℓ‖_F (ℓ = 2..L, at index ℓ − 2) at a near-critical θ from its GRADIENT, not from its
    /// measured balancedness (the quantity C2 rests on): W_ℓᵀ∇_ℓL_λ − ∇_{ℓ−1}L_λ W_{ℓ−1}ᵀ = 2λ D_ℓ exactly
    /// (the data terms cancel, D3), so ‖D_ℓ‖_F ≤ (‖W_ℓ‖_F (g_ℓ + e_ℓ) + (g_{ℓ−1} + e_{ℓ−1}) ‖W_{ℓ−1}‖_F)/(2λ)
    /// with g_ℓ = ‖∇_ℓL_λ‖_F as computed and e_ℓ its round-off: ∇_ℓℓ = S_ℓᵀ(−R/N)P_{ℓ−1}ᵀ is a chain of L
    /// products with a residual R from the computed product, so e_ℓ ≤ γ_m (P_ℓ (‖R‖_F + P)/N + 2λ‖W_ℓ‖_F)
    /// with P = Π_k ‖W_k‖_F, P_ℓ = Π_{k≠ℓ} ‖W_k‖_F, m = L·(max width + 2) (first order, `Tolerance.gamma`'s
    /// safety factor). Needs λ > 0.
    let c2BalanceBounds (task: Task) (lambda: float) (net: Network) : float[] =
        let depth = net.Depth

        let g =
            Loss.gradient task lambda net
            |> Array.map (fun m -> sqrt (Linalg.squaredFrobenius m))

        let w = Network.layerSquaredNorms net |> Array.map sqrt
        let p = Array.fold (*) 1.0 w

        let rNorm =
            sqrt (Linalg.squaredFrobenius (Loss.residuals task (Network.product net)))

        let gm = Tolerance.gamma (depth * (Array.max (Network.widths net) + 2))

        let others l =
            w
            |> Array.indexed
            |> Array.fold (fun acc (k, x) -> if k = l then acc else acc * x) 1.0

        let e l =
            gm * (others l * (rNorm + p) / float task.N + 2.0 * lambda * w.[l])

        Array.init (depth - 1) (fun k ->
            let l = k + 1
            (w.[l] * (g.[l] + e l) + (g.[l - 1] + e (l - 1)) * w.[l - 1]) / (2.0 * lambda))

    /// E ≥ |ŝ_i² − s_i(W_1ᵀW_1)^L| for every i, for the computed singular values ŝ_i of A (largest `s1`),
    /// from bounds `delta` on ‖D_ℓ‖_F (ℓ = 2..L at index ℓ − 2): replacing W_ℓᵀW_ℓ = W_{ℓ−1}W_{ℓ−1}ᵀ + D_ℓ
    /// from ℓ = L down to 2 turns AᵀA into (W_1ᵀW_1)^L; step ℓ changes a power (L − ℓ + 1) of an operator of
    /// norm ≤ μ = max_ℓ ‖W_ℓ‖_F² sandwiched between factors of norm ≤ μ^{ℓ−1}, by ≤ (L − ℓ + 1) μ^{L−1} δ_ℓ
    /// (‖(Y + D)^k − Y^k‖ ≤ k μ^{k−1}‖D‖). Both matrices are symmetric PSD, so Weyl bounds each sorted
    /// eigenvalue difference by the sum, μ^{L−1} Σ_ℓ (L − ℓ + 1) δ_ℓ. The computed ŝ_i are within
    /// ρ = `c2RankThreshold` of s_i(A), so ŝ_i² within ρ(2ŝ_1 + ρ) of s_i(A)², which is added.
    let c2SpectrumError (delta: float[]) (net: Network) (s1: float) =
        let depth = net.Depth
        let mu = Network.layerSquaredNorms net |> Array.max
        let rho = c2RankThreshold net

        let e = delta |> Array.mapi (fun k d -> float (depth - k - 1) * d) |> Array.sum

        (if e > 0.0 then mu ** float (depth - 1) * e else 0.0) + rho * (2.0 * s1 + rho)

    /// Bound on (ŝ^{2/L} − x)_+ for a computed singular value ŝ of A and the exact x = s_i(W_1ᵀW_1) with
    /// |ŝ² − x^L| ≤ E (`c2SpectrumError`), i.e. on a^{1/L} − b^{1/L} with a = ŝ², b = x^L ≥ a − E:
    /// x ↦ x^{1/L} is concave, so for a > b it is Lipschitz on [b, a] with constant (1/L)·b^{1/L−1}
    /// (the derivative at the smaller end, min(a, b) = b), and b ≥ a − E gives
    /// a^{1/L} − b^{1/L} ≤ E·(1/L)·(a − E)^{1/L−1} when a > E. Always also ≤ a^{1/L} (b ≥ 0) and ≤ E^{1/L}
    /// (Hölder); the smallest of the three is returned.
    let c2IndexBound (depth: int) (e: float) (s: float) =
        let a = s * s
        let q = 1.0 / float depth
        let holder = e ** q
        let value = a ** q

        let lipschitz = if a > e then e * q * (a - e) ** (q - 1.0) else infinity

        min value (min holder lipschitz)

    /// Everything C2 measures at one point against one region.
    type C2Measure =
        {
            /// Σ_{i ≤ rank A} f_α(ŝ_i^{2/L}) over the numerical rank (`c2RankThreshold`).
            Quantity: float
            /// max_ℓ Σ_i f_α(s_i(W_ℓᵀW_ℓ)), the layers' rank quantity (equal to Quantity at an exact critical
            /// point, D3); Quantity − LayerQuantity is the discrepancy the tolerance must cover.
            LayerQuantity: float
            /// r + ε2.
            Bound: float
            /// Quantity − Bound (> 0: the inequality is violated as computed).
            Excess: float
            /// Tolerance: Lip(f_α)·Σ_{i ≤ rank A} min(1, `c2IndexBound`) + the layers' rank round-off
            /// (`Region.roundOffBound`). A violation counts only beyond it.
            Tolerance: float
            /// The tolerance this one replaced, for comparison: min(A's sizes)·Lip(f_α)·E^{1/L} + rank round-off
            /// (Hölder only, every index, no rank cut).
            HolderTolerance: float
            /// E (`c2SpectrumError`).
            SpectrumError: float
            /// Computed singular values of A, descending.
            SingularValues: float[]
            /// Number of singular values above the threshold.
            NumericalRank: int
            /// The threshold ρ (`c2RankThreshold`).
            RankThreshold: float
            /// Σ over the dropped values of f_α((ŝ_i + ρ)^{2/L}): the most they can add in exact arithmetic.
            Dropped: float
            /// Holds (excess ≤ 0), Inconclusive (0 < excess ≤ tolerance), Counterexample (excess > tolerance).
            Verdict: Verdict
        }

    /// C2's inequality at θ against region `p`, given bounds `delta` on ‖D_ℓ‖_F (`c2BalanceBounds`; zeros for
    /// a point taken as exactly critical, as the criticality control does). Does not test θ ∈ B_r. The
    /// tolerance: Σ_{i ≤ rank A} f_α(ŝ_i^{2/L}) ≤ Σ_{i ≤ rank A} f_α(x_i) + Lip(f_α) Σ_i min(1, `c2IndexBound`)
    /// (Weyl pairs the sorted values), Σ_{i ≤ rank A} f_α(x_i) ≤ Σ_i f_α(x_i) (f_α ≥ 0) is layer 1's rank
    /// quantity, which θ ∈ B_r bounds by r + ε2 up to its round-off.
    let c2MeasureWith (delta: float[]) (p: RegionParams) (net: Network) : C2Measure =
        let depth = net.Depth
        let s = Linalg.singularValues (Network.product net)
        let tau = c2RankThreshold net
        let kept = s |> Array.filter (fun x -> x > tau)
        let dropped = s |> Array.filter (fun x -> x <= tau)
        let f x = FAlpha.eval p.Family p.Alpha x
        let pow x = x ** (2.0 / float depth)
        let e = c2SpectrumError delta net (if s.Length = 0 then 0.0 else s.[0])
        let lip = FAlpha.lipschitz p.Family p.Alpha
        let roundOff = (Region.roundOffBound p net).Rank

        let tol =
            lip * (kept |> Array.sumBy (fun x -> min (1.0 / lip) (c2IndexBound depth e x)))
            + roundOff

        let quantity = kept |> Array.sumBy (pow >> f)
        let bound = float p.R + p.Eps2
        let excess = quantity - bound

        {
            Quantity = quantity
            LayerQuantity = (Region.measure p.Family p.Alpha net).ApproximateRanks |> Array.max
            Bound = bound
            Excess = excess
            Tolerance = tol
            HolderTolerance = float s.Length * lip * e ** (1.0 / float depth) + roundOff
            SpectrumError = e
            SingularValues = s
            NumericalRank = kept.Length
            RankThreshold = tau
            Dropped = dropped |> Array.sumBy (fun x -> f (pow (x + tau)))
            Verdict =
                (if excess > tol then Verdict.Counterexample
                 elif excess > 0.0 then Verdict.Inconclusive
                 else Verdict.Holds)
        }

    /// `c2MeasureWith` with the gradient-based bounds of `c2BalanceBounds` (C2 at a near-critical point).
    let c2Measure (p: RegionParams) (task: Task) (lambda: float) (net: Network) : C2Measure =
        c2MeasureWith (c2BalanceBounds task lambda net) p net

    /// C2's tolerance at a (near-)critical point θ (`c2Measure`), derived in four steps:
    /// 1. balance from the gradient (`c2BalanceBounds`): 2λD_ℓ = W_ℓᵀ∇_ℓL_λ − ∇_{ℓ−1}L_λ W_{ℓ−1}ᵀ gives
    ///    ‖D_ℓ‖_F ≤ δ_ℓ, small when the gradient residual is;
    /// 2. spectrum (`c2SpectrumError`): telescoping W_ℓᵀW_ℓ = W_{ℓ−1}W_{ℓ−1}ᵀ + D_ℓ and Weyl give
    ///    |ŝ_i² − x_i^L| ≤ E with x_i = s_i(W_1ᵀW_1), the computed ŝ_i's round-off included;
    /// 3. per index (`c2IndexBound`): x ↦ x^{1/L} is concave, so on [min(a, b), max(a, b)] it is Lipschitz with
    ///    constant (1/L)·min(a, b)^{1/L−1}; with a = ŝ_i², b = x_i^L ≥ a − E this gives
    ///    ŝ_i^{2/L} − x_i ≤ E·(1/L)·(a − E)^{1/L−1} when a > E, and always ≤ min(E^{1/L}, a^{1/L});
    /// 4. sum (`c2MeasureWith`): over i ≤ rank A (`c2RankThreshold`), Σ f_α(ŝ_i^{2/L}) ≤ Σ_i f_α(x_i) +
    ///    Lip(f_α)·Σ_i min(1/Lip(f_α), step 3), and θ ∈ B_r bounds Σ_i f_α(x_i) by r + ε2 up to the layers' rank
    ///    round-off (`Region.roundOffBound`), which is added.
    /// It replaces the Hölder form k·Lip(f_α)·E^{1/L} (|a^{1/L} − b^{1/L}| ≤ |a − b|^{1/L}, kept as
    /// `C2Measure.HolderTolerance`), which was 10⁷–10⁸ times larger (median, verify quick) and reached 0.6.
    let c2Tolerance (p: RegionParams) (task: Task) (lambda: float) (net: Network) =
        (c2Measure p task lambda net).Tolerance

    /// Region constants that put a critical point near the rank boundary of B_r: r = ⌈max_ℓ Σ f_α − ε2⌉ (≥ 0),
    /// ε1 = 1e-6 (critical points are balanced, D3), C = 1.5 max_ℓ ‖W_ℓ‖² (or 1 at θ = 0). A negative `eps2`
    /// asks for the exact boundary: ε2 = frac(max_ℓ Σ f_α) + 1e-12 (rank slack 1e-12).
    let boundaryRegion (family: FAlphaFamily) (alpha: float) (eps2: float) (net: Network) : RegionParams =
        let q = Region.measure family alpha net
        let top = Array.max q.ApproximateRanks
        let eps2 = if eps2 < 0.0 then top - floor top + 1e-12 else eps2
        let c = 1.5 * Array.max q.SquaredNorms

        {
            R = max 0 (int (ceil (top - eps2)))
            Eps1 = 1e-6
            Eps2 = eps2
            Alpha = alpha
            C = (if c > 0.0 then c else 1.0)
            Family = family
        }

    /// C2 without the B_r hypothesis (its first negative control) at the exact critical point of root choice
    /// `ch` (D7, fully observed task): the region of `boundaryRegion` (piecewise f_α, α at the smallest
    /// positive s_i(A)^{2/L}, ε2 = 0.25) with r lowered by one. Some(quantity Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}),
    /// r + ε2, tolerance `c2Tolerance`), None when the choice has no critical point or only A = 0.
    let c2WithoutRegion (tk: Task) (depth: int) (lambda: float) (hidden: int[]) (ch: RootChoice[]) =
        match CriticalPoints.exactFullyObserved tk lambda hidden ch with
        | Ok(net, a) when a |> Array.exists (fun x -> x > 0.0) ->
            let xs =
                a
                |> Array.filter (fun x -> x > 0.0)
                |> Array.map (fun x -> x ** (2.0 / float depth))

            let p0 =
                { boundaryRegion FAlphaFamily.Piecewise (Array.min xs) 0.25 net with
                    Eps2 = 0.25
                }

            let p = { p0 with R = max 0 (p0.R - 1) }
            let m = c2Measure p tk lambda net
            Some(m.Quantity, m.Bound, m.Tolerance)
        | _ -> None

    /// C2 at one point: when θ ∈ B_r, compares Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}) with r + ε2 (`c2Measure`);
    /// None when θ ∉ B_r.
    let criticalPointCheck (p: RegionParams) (task: Task) (lambda: float) (net: Network) : C2Measure option =
        if not (Region.contains p net) then
            None
        else
            Some(c2Measure p task lambda net)

    /// A fully observed D7 case for stream `index` (`Generators.d7Spec`, `Generators.d7Case`); also returns
    /// the advanced stream.
    let randomD7Case (seed: uint64) (index: int) (maxSize: int) (minDepth: int) (maxDepth: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let spec = Generators.d7Spec &rng maxSize minDepth maxDepth
        let tk, depth, lambda, hidden = Generators.d7Case spec
        tk, depth, lambda, hidden, rng

    /// α at `position` ∈ [0, 1] on a log scale of [min/3, 3·max] of the positive `values` (the point's
    /// s_i(A)^{2/L}), or of [0.01, 1] when there are none: puts f_α's threshold among the critical point's
    /// values (C2 checks, their tests, the C2 hunt).
    let alphaAt (values: float[]) (position: float) =
        let pos = values |> Array.filter (fun x -> x > 0.0)

        let lo, hi =
            (if pos.Length = 0 then
                 0.01, 1.0
             else
                 Array.min pos / 3.0, Array.max pos * 3.0)

        exp (log lo + (log hi - log lo) * position)

    /// ε2 for `boundaryRegion`: −1 (the exact boundary) or uniform in [0, 0.9), one half each.
    let drawEps2 (rng: byref<Rng>) =
        if Rng.nextInt &rng 2 = 0 then
            -1.0
        else
            0.9 * Rng.nextFloat &rng

    let private familyAndAlpha (rng: byref<Rng>) (values: float[]) =
        let family = FAlpha.all.[Rng.nextInt &rng 2]
        let alpha = alphaAt values (Rng.nextFloat &rng)
        family, alpha, drawEps2 &rng

    /// The C2 criticality control's point (non-critical, imbalanced, inside B_r): k ∈ 2..min(d_out, d_in, 4)
    /// directions with random orthonormal outer frames U, V and aligned inner frames, L ∈ 2..5, hidden widths
    /// k. Direction i has layer values x_{ℓ,i} = s_{ℓ,i}² with geometric mean over ℓ equal to αγ (γ ∈ [1, 2]),
    /// so s_i(A)^{2/L} = αγ ≥ α and Σ_i f_α(s_i(A)^{2/L}) = k; but the whole mean sits in ONE layer per
    /// direction (layer (i + o) mod L holds αγ^L/t^{L−1}, every other layer αt, t ∈ [0.05, 0.8]), so each
    /// layer's rank quantity is at most ⌈k/L⌉ + (k − ⌈k/L⌉) f_α(αt) < k. The region is `boundaryRegion` at the
    /// exact rank boundary with ε1 just above the point's max_ℓ ‖D_ℓ‖_F² (the imbalance the construction
    /// needs), so θ ∈ B_r and the bound Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}) ≤ r + ε2 fails by
    /// (k − ⌈k/L⌉)(1 − f_α(αt)). The task (a D7 task of the same shape, `Generators.d7Case`) and its λ only
    /// certify that θ is not critical (relative gradient residual). Returns (task, λ, θ, region, description).
    let c2NonCriticalCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let dOut = 2 + Rng.nextInt &rng 3
        let dIn = 2 + Rng.nextInt &rng 3
        let k = 2 + Rng.nextInt &rng (min 3 (min dOut dIn - 1))
        let depth = 2 + Rng.nextInt &rng 4
        let family = FAlpha.all.[Rng.nextInt &rng 2]
        let alpha = exp (log 0.01 + (log 1.0 - log 0.01) * Rng.nextFloat &rng)
        let gamma = 1.0 + Rng.nextFloat &rng
        let t = 0.05 + 0.75 * Rng.nextFloat &rng
        let offset = Rng.nextInt &rng depth
        let u, r1 = Linalg.randomOrthonormal rng dOut k
        let v, r2 = Linalg.randomOrthonormal r1 dIn k
        rng <- r2
        let big = alpha * gamma ** float depth / t ** float (depth - 1)
        let small = alpha * t

        let layer l =
            let d =
                Linalg.M.DenseOfDiagonalArray(
                    Array.init k (fun i -> sqrt (if (i + offset) % depth = l then big else small))
                )

            if l = 0 then d * v.Transpose()
            elif l = depth - 1 then u * d
            else d

        let net = { W = Array.init depth layer }

        let imbalance =
            Network.balancednessMatrices net
            |> Array.map Linalg.squaredFrobenius
            |> Array.max

        let p =
            { boundaryRegion family alpha (-1.0) net with
                Eps1 = imbalance * (1.0 + 1e-6) + 1e-12
            }

        let spec =
            {
                DOut = dOut
                DIn = dIn
                TargetRank = k
                Scale = 1.0
                Depth = depth
                CFraction = 0.5
                Seed = Rng.nextUInt64 &rng
            }

        let tk, _, lambda, _ = Generators.d7Case spec

        let text =
            sprintf
                "%dx%d L=%d, k=%d directions, alpha=%.3g (%s), gamma=%.3g, t=%.3g, eps1=%.3g (max ||D||^2), r=%d, eps2=%.3g"
                dOut
                dIn
                depth
                k
                alpha
                (FAlpha.name family)
                gamma
                t
                p.Eps1
                p.R
                p.Eps2

        tk, lambda, net, p, text

    /// C2 without the criticality hypothesis (its second negative control) at `c2NonCriticalCase`: the
    /// inequality with a tolerance for round-off only (θ taken as critical: zero balance bounds in
    /// `c2MeasureWith`). Returns (θ ∈ B_r, that measurement, relative gradient residual of θ, the full check's
    /// measurement with its gradient-based tolerance, description).
    let c2WithoutCriticality (seed: uint64) (index: int) =
        let tk, lambda, net, p, text = c2NonCriticalCase seed index
        let m = c2MeasureWith (Array.zeroCreate (net.Depth - 1)) p net

        Region.contains p net, m, CriticalPoints.relativeResidual tk lambda net, c2Measure p tk lambda net, text

    /// A C2 solver case for stream `index` of `seed`: a random task up to 3×3 (`Generators.taskSpec`: mostly
    /// partially observed, some fully observed or E1's; scale [0.5, 2]), depth 2..4, hidden widths 3,
    /// λ ∈ [0.002, 0.052] and a Gaussian start (entries N(0, σ²), σ ∈ [0.3, 1.3]). Returns the task, depth, λ,
    /// the start, the state of the stream the start was drawn from (`Network.gaussian`) and σ.
    let c2SolverCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let ts = Generators.taskSpec &rng 3 0.5 2.0
        let tk = Generators.task ts
        let depth = 2 + Rng.nextInt &rng 3

        let widths =
            Array.concat [ [| tk.DIn |]; Array.create (depth - 1) 3; [| tk.DOut |] ]

        let lambda = 0.002 + 0.05 * Rng.nextFloat &rng
        let scale = 0.3 + Rng.nextFloat &rng
        let startState = rng.State
        let start, _ = Network.gaussian rng scale widths
        tk, depth, lambda, start, startState, scale

    /// Smallest and largest relative size σ of the perturbation of a re-solved C2 case.
    let private resolveSigma = 1e-3, 0.3

    /// A C2 re-solved case for stream `index` of `seed`: a D7 task (`randomD7Case`, sizes ≤ 4, L ∈ 2..5), one of
    /// its non-zero exact critical points (root choice drawn among those that exist) and a start perturbed from
    /// it in random, misaligned directions: W_ℓ + σ‖W_ℓ‖_F G_ℓ/‖G_ℓ‖_F with Gaussian G_ℓ and σ log-uniform in
    /// [1e-3, 0.3]. Returns Some(task, depth, λ, choices, exact point, σ, the perturbation's stream state, start),
    /// None when the task has no non-zero critical point.
    let c2ResolvedCase (seed: uint64) (index: int) =
        let tk, depth, lambda, hidden, rng0 = randomD7Case seed index 4 2 5
        let mutable rng = rng0

        let points =
            allChoices (min tk.DOut tk.DIn)
            |> List.choose (fun ch ->
                match CriticalPoints.exactFullyObserved tk lambda hidden ch with
                | Ok(net, a) when a |> Array.exists (fun x -> x > 0.0) -> Some(ch, net)
                | _ -> None)

        if points.IsEmpty then
            None
        else
            let ch, net = points.[Rng.nextInt &rng points.Length]
            let lo, hi = resolveSigma
            let sigma = exp (log lo + (log hi - log lo) * Rng.nextFloat &rng)
            let state = rng.State

            let start =
                net
                |> Network.map (fun _ w ->
                    let g, r' = Rng.gaussians rng (w.RowCount * w.ColumnCount)
                    rng <- r'
                    let gm = Linalg.M.Dense(w.RowCount, w.ColumnCount, g)
                    w + (sigma * w.FrobeniusNorm() / gm.FrobeniusNorm()) * gm)

            Some(tk, depth, lambda, ch, net, sigma, state, start)

    /// The region of a non-trivial C2 point (`checkC2`, the properties `C2.solver`, `C2.resolved`):
    /// `boundaryRegion` at the exact rank boundary, the f_α family and α (`alphaAt` among the point's
    /// s_i(A)^{2/L} over the numerical rank of A) drawn from `rng`.
    let solvedRegion (rng: Rng) (depth: int) (net: Network) : RegionParams =
        let mutable rng = rng

        let xs =
            Linalg.singularValues (Network.product net)
            |> Array.filter (fun x -> x > c2RankThreshold net)
            |> Array.map (fun x -> x ** (2.0 / float depth))

        let family = FAlpha.all.[Rng.nextInt &rng 2]
        boundaryRegion family (alphaAt xs (Rng.nextFloat &rng)) (-1.0) net

    /// The values of a C2 measurement in a case record.
    let private c2Values (m: C2Measure) =
        [
            "quantity", CaseValue.Number m.Quantity
            "layerQuantity", CaseValue.Number m.LayerQuantity
            "bound", CaseValue.Number m.Bound
            "excess", CaseValue.Number m.Excess
            "tolerance", CaseValue.Number m.Tolerance
            "holderTolerance", CaseValue.Number m.HolderTolerance
            "spectrumError", CaseValue.Number m.SpectrumError
            "singularValues", CaseValue.Numbers m.SingularValues
            "numericalRank", CaseValue.Integer(int64 m.NumericalRank)
            "rankThreshold", CaseValue.Number m.RankThreshold
            "dropped", CaseValue.Number m.Dropped
        ]

    /// C2's non-triviality criterion, one sentence.
    [<Literal>]
    let c2Criterion =
        "a critical point whose balance is a result, not an input: found by the solver (random tasks, mostly partially observed) or re-solved after a random misaligned perturbation of a D7 point, converged to relative residual 1e-12, in B_r at the exact rank boundary, with A != 0; exact D7 points are a round-off check only"

    /// C2 on `budget.Cases` D7 tasks (every root choice: the round-off check), `budget.Cases / 4` solver runs
    /// on random tasks and `budget.Cases / 4` perturbed-and-re-solved D7 points (the non-trivial points, each
    /// put at the exact rank boundary of B_r). Root choices without a critical point, solver runs that did not
    /// converge and points outside B_r are counted with their reason and recorded.
    let checkC2 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let records = ResizeArray<CaseRecord>()
        let bad = ResizeArray<Counterexample>()
        let skipped = System.Collections.Generic.SortedDictionary<string, int>()
        let checkedBy = System.Collections.Generic.SortedDictionary<string, int>()
        let measured = ResizeArray<string * bool * C2Measure>()

        let bump (d: System.Collections.Generic.SortedDictionary<string, int>) key n =
            d.[key] <-
                (match d.TryGetValue key with
                 | true, c -> c + n
                 | _ -> n)

        let record kind tk (layers: Network option) region lambda verdict nonTrivial values =
            records.Add
                {
                    Claim = "C2"
                    Index = records.Count
                    Kind = kind
                    Task = Some tk
                    Layers = layers
                    Region = region
                    Eta = None
                    Lambda = Some lambda
                    Verdict = verdict
                    NonTrivial = nonTrivial
                    Values = values
                }

        let skipMany count reason kind tk layers lambda values =
            bump skipped reason count
            record kind tk layers None lambda Verdict.Inconclusive false (("skipped", CaseValue.Text reason) :: values)

        let skip = skipMany 1

        // checks a point in B_r (or records it as skipped), returns nothing
        let check kind (tk: Task) (net: Network) lambda (p: RegionParams) (nonTrivialIfNonzero: bool) extra describe =
            if not (Region.contains p net) then
                skip (kind + " outside B_r") (kind + " (skipped)") tk (Some net) lambda extra
            else
                let m = c2Measure p tk lambda net
                let nonTrivial = nonTrivialIfNonzero && m.NumericalRank > 0
                bump checkedBy kind 1
                measured.Add(kind, nonTrivial, m)
                record kind tk (Some net) (Some p) lambda m.Verdict nonTrivial (extra @ c2Values m)

                if m.Verdict <> Verdict.Holds then
                    bad.Add
                        {
                            Claim = "C2"
                            Description =
                                sprintf
                                    "%s: %s, r=%d, alpha=%.3g, eps2=%.3g, %s: sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) = %.9g vs r + eps2 = %.9g (tolerance %.3g)"
                                    kind
                                    describe
                                    p.R
                                    p.Alpha
                                    p.Eps2
                                    (FAlpha.name p.Family)
                                    m.Quantity
                                    m.Bound
                                    m.Tolerance
                            Violation = m.Excess
                            Bound = m.Tolerance
                            Status = m.Verdict
                            Replay =
                                sprintf
                                    "lowrank verify --seed %d --cases-out DIR (C2.jsonl, case %d)"
                                    budget.Seed
                                    (records.Count - 1)
                        }

        let shape (tk: Task) depth lambda =
            sprintf "task %dx%d N=%d L=%d lambda=%.4g" tk.DOut tk.DIn tk.N depth lambda

        let choicesText (ch: RootChoice[]) =
            ch |> Array.map (sprintf "%A") |> String.concat ","

        // exact D7 points: the round-off check
        for i in 0 .. budget.Cases - 1 do
            let tk, depth, lambda, hidden, rng0 = randomD7Case budget.Seed i 4 2 5
            let mutable rng = rng0
            let noRoot = ResizeArray<string>()

            for ch in allChoices (min tk.DOut tk.DIn) do
                match CriticalPoints.exactFullyObserved tk lambda hidden ch with
                | Error reason -> noRoot.Add(choicesText ch + ": " + reason)
                | Ok(net, a) ->
                    let family, alpha, eps2 =
                        familyAndAlpha &rng (a |> Array.map (fun x -> x ** (2.0 / float depth)))

                    let p = boundaryRegion family alpha eps2 net

                    check
                        "D7 point"
                        tk
                        net
                        lambda
                        p
                        false
                        [ "choices", CaseValue.Text(choicesText ch); "roots", CaseValue.Numbers a ]
                        (sprintf "%s choices %s" (shape tk depth lambda) (choicesText ch))

            if noRoot.Count > 0 then
                skipMany
                    noRoot.Count
                    "D7 root choice without a critical point"
                    "D7 root choices (skipped)"
                    tk
                    None
                    lambda
                    [
                        "depth", CaseValue.Integer(int64 depth)
                        "count", CaseValue.Integer(int64 noRoot.Count)
                        "choices", CaseValue.Text(String.concat "; " noRoot)
                    ]

        // a solver run from `start`: checked at the exact rank boundary when it converged, else skipped
        let solved kind (stream: uint64) (i: int) (tk: Task) depth lambda start extra describe =
            let sol = CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 3000 start

            let extra =
                extra
                @ [
                    "start", CaseValue.Networks [| start |]
                    "relativeResidual", CaseValue.Number sol.RelativeResidual
                    "solverIterations", CaseValue.Integer(int64 sol.Iterations)
                ]

            if not sol.Converged then
                skip (kind + " not converged") (kind + " (skipped)") tk (Some sol.Network) lambda extra
            else
                check
                    kind
                    tk
                    sol.Network
                    lambda
                    (solvedRegion (Rng.stream stream (uint64 i)) depth sol.Network)
                    true
                    extra
                    (sprintf "%s, residual %.2g" describe sol.RelativeResidual)

        // solver points of random tasks
        for i in 0 .. max 1 (budget.Cases / 4) - 1 do
            let tk, depth, lambda, start, startState, scale =
                c2SolverCase (budget.Seed ^^^ 0xC2UL) i

            solved
                "solver point"
                (budget.Seed ^^^ 0xC2A1UL)
                i
                tk
                depth
                lambda
                start
                [ "startSeed", CaseValue.Seed startState; "startScale", CaseValue.Number scale ]
                (shape tk depth lambda)

        // D7 points perturbed in random directions and re-solved
        for i in 0 .. max 1 (budget.Cases / 4) - 1 do
            match c2ResolvedCase (budget.Seed ^^^ 0xC2E5UL) i with
            | None -> bump skipped "D7 task without a non-zero critical point to perturb" 1
            | Some(tk, depth, lambda, ch, _, sigma, state, start) ->
                solved
                    "re-solved point"
                    (budget.Seed ^^^ 0xC2A2UL)
                    i
                    tk
                    depth
                    lambda
                    start
                    [
                        "perturbedFrom", CaseValue.Text(choicesText ch)
                        "perturbation", CaseValue.Number sigma
                        "perturbationSeed", CaseValue.Seed state
                    ]
                    (sprintf "%s from %s perturbed by %.3g" (shape tk depth lambda) (choicesText ch) sigma)

        let nonTrivial = measured |> Seq.filter (fun (_, n, _) -> n) |> Seq.length

        // ratios over points with a positive tolerance (θ = 0 has tolerance 0 and quantity 0)
        let positive =
            measured |> Seq.filter (fun (_, _, m) -> m.Tolerance > 0.0) |> Seq.toList

        let worst (value: C2Measure -> float) (pick: string * bool * C2Measure -> bool) =
            positive
            |> List.filter pick
            |> List.map (fun (_, _, m) -> value m / m.Tolerance)
            |> summary List.max "%.3g"

        let excess (m: C2Measure) = m.Excess
        let discrepancy (m: C2Measure) = m.Quantity - m.LayerQuantity

        let holderRatio =
            positive |> List.map (fun (_, _, m) -> m.HolderTolerance / m.Tolerance)

        let dict (d: System.Collections.Generic.SortedDictionary<string, int>) =
            if d.Count = 0 then
                "none"
            else
                d |> Seq.map (fun kv -> sprintf "%s %d" kv.Key kv.Value) |> String.concat ", "

        let within =
            measured
            |> Seq.filter (fun (_, _, m) -> m.Verdict = Verdict.Inconclusive)
            |> Seq.length

        let cov =
            sprintf
                "checked in B_r: %s; non-trivial %d (D7 points are a round-off check only); skipped: %s; %d within round-off; largest excess/tolerance: non-trivial %s, D7 %s; largest (sum over A - max layer sum)/tolerance: non-trivial %s, D7 %s; tolerance (Lipschitz of x^(1/L) away from 0) vs the Hoelder E^(1/L) one on the same points: median %s, max %s times smaller; largest tolerance %s (Hoelder: %s)"
                (dict checkedBy)
                nonTrivial
                (dict skipped)
                within
                (worst excess (fun (_, n, _) -> n))
                (worst excess (fun (k, _, _) -> k = "D7 point"))
                (worst discrepancy (fun (_, n, _) -> n))
                (worst discrepancy (fun (k, _, _) -> k = "D7 point"))
                (summary median "%.3g" holderRatio)
                (summary List.max "%.3g" holderRatio)
                (measured
                 |> Seq.map (fun (_, _, m) -> m.Tolerance)
                 |> Seq.toList
                 |> summary List.max "%.3g")
                (measured
                 |> Seq.map (fun (_, _, m) -> m.HolderTolerance)
                 |> Seq.toList
                 |> summary List.max "%.3g")

        progress ("C2: " + cov)

        {
            Claim = "C2"
            Name = "Critical points"
            Statement =
                "critical points in B_r satisfy sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) <= r + eps2 (solver and re-solved points at the exact rank boundary, up to their residual; D7 points of every root choice as a round-off check)"
            Verdict = combine (measured |> Seq.map (fun (_, _, m) -> m.Verdict))
            CasesTried = measured.Count
            NonTrivialCases = nonTrivial
            NonTrivialCriterion = c2Criterion
            NonTrivialRequired = budget.MinNonTrivial
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = List.ofSeq records
            Counterexamples = List.ofSeq bad
        }

    // ------------------------------------------------------------------ C3, C4, C5 (simulation)

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

    /// A random start outside B_r: Gaussian layers scaled so that ‖W_ℓ‖_F² ≈ factor · C (doubling the
    /// factor until the point is outside).
    let outsideStart (rng: Rng) (p: RegionParams) (widths: int[]) : Network * Rng =
        let mutable r = rng
        let mutable factor = 3.0
        let mutable result = None

        while result.IsNone do
            let scale = sqrt (factor * p.C / float (widths.[0] * widths.[1]))
            let net, r' = Network.gaussian r scale widths
            r <- r'

            if not (Region.contains p net) || factor > 1e6 then
                result <- Some net

            factor <- factor * 2.0

        result.Value, r

    /// A random simulation case in the derived regime (C3, C4): task up to 4×4 (scale [0.1, 1]),
    /// depth 3..4, hidden widths ≤ 4, r ∈ 1..k, λ ∈ [0.2, 1], η = etaMax. Draws whose regime is empty
    /// (etaMax = 0, e.g. R3 fails whatever η) are redrawn from the same stream, at most 64 times, so
    /// no case runs with η = 0 (such a run cannot move and would leave C3 undecided).
    let randomSimulationCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)

        let draw () =
            let ts = Generators.taskSpec &rng 4 0.1 1.0
            let tk = Generators.task ts
            let depth = 3 + Rng.nextInt &rng 2
            let hidden = Array.init (depth - 1) (fun _ -> 2 + (index % 3))
            let widths = Array.concat [ [| tk.DIn |]; hidden; [| tk.DOut |] ]
            let k = Array.min widths
            let r = 1 + Rng.nextInt &rng k
            let lambda = 0.2 + 0.8 * Rng.nextFloat &rng
            let family = FAlpha.all.[Rng.nextInt &rng 2]
            let p = Regime.derive { Regime.defaults with Family = family } tk depth r lambda
            let eta = Regime.etaMax p tk depth lambda Regime.defaults.Rho
            tk, depth, widths, p, { Eta = eta; Lambda = lambda }

        let mutable case = draw ()
        let mutable attempts = 1

        while (let (_, _, _, _, h) = case in h.Eta <= 0.0) && attempts < 64 do
            case <- draw ()
            attempts <- attempts + 1

        let tk, depth, widths, p, hyper = case

        if hyper.Eta <= 0.0 then
            failwithf
                "randomSimulationCase: no draw with a non-empty regime in 64 attempts (seed %d, index %d)"
                seed
                index

        tk, depth, widths, p, hyper, rng

    /// Range (log-uniform) of λ of C3's aimed cases as a fraction of the largest λ at which the data's (r+1)-th
    /// singular value s_{r+1} still has non-zero D7 roots, c_max(s_{r+1})/(2N) (`Generators.d7CMax`; exact for
    /// fully observed tasks, a guide for the others): weak decay, so that the loss keeps minima of rank > r
    /// that unrestricted SGD can settle in, while restricted draws let the other rows decay by (1 − 2ηλ) per
    /// step. Measured (40 cases, seed 99, 2·10⁵ steps, checked every 100): unrestricted SGD stayed out of B_r
    /// from 29 starts (restricted witnesses from all 40, T ≤ 26 700); with λ ∈ [0.002, 0.01] regardless of the
    /// data, from 19 (mostly r = 1).
    let aimedReachFraction = 0.1, 0.5

    /// C3's aimed case (THEORY.md C3's mechanism where it matters; choice constants, outside the C1 regime on
    /// purpose): a task k × k' (k, k' ∈ 2..4) whose target has full rank k_min > r, fully observed or (one in
    /// three) each entry observed with probability 0.8, L ∈ 3..4, hidden widths k_min, B_r with
    /// r ∈ 1..k_min − 1, α = 0.05, ε1 = 0.05, ε2 = 0.5, C = 5 (piecewise f_α), weak decay λ
    /// (`aimedReachFraction`) and η = 0.1, a Gaussian start (entries N(0, 0.36)) outside B_r. Unrestricted SGD
    /// tends to keep fitting the data's extra directions; draws restricted to r rows (or columns) let every other
    /// row of W_L (column of W_1) decay. Returns (task, depth, region, η and λ, start, stream).
    let aimedReachCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let dOut = 2 + Rng.nextInt &rng 3
        let dIn = 2 + Rng.nextInt &rng 3
        let k = min dOut dIn
        let depth = 3 + Rng.nextInt &rng 2

        let ts =
            {
                DOut = dOut
                DIn = dIn
                TargetRank = k
                Scale = 1.0
                Kind =
                    (if Rng.nextInt &rng 3 = 0 then
                         TaskKind.Partial 0.8
                     else
                         TaskKind.Full)
                Seed = Rng.nextUInt64 &rng
            }

        let tk = Generators.task ts

        let p =
            {
                R = 1 + Rng.nextInt &rng (k - 1)
                Eps1 = 0.05
                Eps2 = 0.5
                Alpha = 0.05
                C = 5.0
                Family = FAlphaFamily.Piecewise
            }

        let lo, hi = aimedReachFraction
        let fraction = exp (log lo + (log hi - log lo) * Rng.nextFloat &rng)
        let s = Linalg.singularValues tk.Target
        let lambda = fraction * Generators.d7CMax depth s.[p.R] / (2.0 * float tk.N)
        let widths = Array.concat [ [| dIn |]; Array.create (depth - 1) k; [| dOut |] ]
        let mutable start, r1 = Network.gaussian rng 0.6 widths

        while Region.contains p start do
            let s', r' = Network.gaussian r1 0.6 widths
            start <- s'
            r1 <- r'

        tk, depth, p, { Eta = 0.1; Lambda = lambda }, start, r1

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

    /// C3 at aimed case `index` (`aimedReachCase`), both ways with `maxSteps` and `checkEvery`.
    let aimedReach (seed: uint64) (index: int) (maxSteps: int64) (checkEvery: int64) =
        let tk, depth, p, hyper, start, rng = aimedReachCase seed index
        reachComparison "aimed" tk depth p hyper start rng maxSteps checkEvery

    /// C3 at derived-regime case `index` (`randomSimulationCase`, start from `outsideStart`), both ways.
    let regimeReach (seed: uint64) (index: int) (maxSteps: int64) (checkEvery: int64) =
        let tk, depth, widths, p, hyper, rng0 = randomSimulationCase seed index
        let start, rng = outsideStart rng0 p widths
        reachComparison "derived regime" tk depth p hyper start rng maxSteps checkEvery

    /// C3's non-triviality: unrestricted SGD did not reach B_r at any checkpoint within the same budget.
    let reachNonTrivial (c: ReachComparison) = not c.Unrestricted.Reached

    /// C3's non-triviality criterion, one sentence.
    [<Literal>]
    let c3Criterion =
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
            Claim = "C3"
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
    let checkC3 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()

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
                (summary median "%.0f" ts)
                (summary List.max "%.0f" ts)

        let reached = runs |> List.filter (fun c -> c.Restricted.Reached)

        let cov =
            sprintf
                "%s; %s; log P(path) min %s"
                (line "aimed")
                (line "derived regime")
                (reached
                 |> List.map (fun c -> c.Restricted.LogProbPath)
                 |> summary List.min "%.3g")

        progress ("C3: " + cov)

        let undecided =
            [
                for (i, c) in List.indexed runs do
                    if not c.Restricted.Reached then
                        yield
                            {
                                Claim = "C3"
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
                                Replay =
                                    sprintf "lowrank verify --seed %d --cases-out DIR (C3.jsonl, case %d)" budget.Seed i
                            }
            ]

        {
            Claim = "C3"
            Name = "Reachability"
            Statement =
                "from theta outside B_r, drawing only entries of r chosen rows (or columns) reaches B_r in finite T (aimed weak-decay cases whose data ask for rank > r, and the derived regime, eta = etaMax); unrestricted SGD run beside each with the same budget"
            Verdict =
                (if undecided.IsEmpty then
                     Verdict.Holds
                 else
                     Verdict.Inconclusive)
            CasesTried = runs.Length
            NonTrivialCases = ClaimOutcome.nonTrivialCount records
            NonTrivialCriterion = c3Criterion
            NonTrivialRequired = budget.MinNonTrivialRuns
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = records
            Counterexamples = undecided
        }

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

    /// Most membership checks per absorption run: runs longer than this are checked every
    /// ⌈steps / maxChecks⌉ steps (a membership check costs one SVD per layer, ~100 SGD steps).
    [<Literal>]
    let maxChecks = 5000L

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
        let ratio = changeOverBound

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

                    visible <-
                        List.max
                            [
                                visible
                                ratio (abs (s.Balancedness - sr.Balancedness)) (b.Balancedness + br.Balancedness)
                                ratio (abs (s.Rank - sr.Rank)) (b.Rank + br.Rank)
                                ratio (abs (s.Bounded - sr.Bounded)) (b.Bounded + br.Bounded)
                            ]

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
    let c4DenseSteps = 5000L

    /// C4's non-triviality criterion, one sentence (issue #11).
    let c4Criterion =
        "the run entered B_r, its task and lambda (with its depth and widths) admit a nonzero local minimum of rank > r (certified as for C1: NonTriviality.certify), and after entering the run moved some condition of B_r by more than the round-off bounds of its slack at the hit and at the check (otherwise no exit could have been confirmed)"

    /// One C4 run as plain data (`--cases-out`): the task, the start, the region, η, λ, the random-number
    /// state the entries are drawn from, the steps, the dense steps and the check interval (enough to replay
    /// it with `absorptionDetailed`), the hit, any exit, the run's visibility, the final state and the
    /// certificate of a minimum of rank > r.
    let absorptionRecord
        (index: int)
        (startKind: string)
        (task: Task)
        (hyper: Hyper)
        (p: RegionParams)
        (start: Network)
        (steps: int64)
        (rng: Rng)
        (d: AbsorptionDetail)
        (cert: MinimumCertificate)
        (nonTrivial: bool)
        : CaseRecord =
        let a = d.Result

        {
            Claim = "C4"
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
                    "runVisibility",
                    CaseValue.Number(
                        if System.Double.IsFinite d.Visibility then
                            d.Visibility
                        else
                            1e308
                    )
                    "runVisible", CaseValue.Flag(d.Visibility > 1.0)
                    "final", CaseValue.Networks [| a.Final |]
                    "lambdaScale", CaseValue.Number(NonTriviality.lambdaScale task start.Depth (hiddenWidths start) p.R)
                    "certifiedRankAboveR", CaseValue.Flag(cert.RankAbove p.R)
                ]
                @ NonTriviality.values cert
        }

    /// C4 on `budget.Cases / 4` runs (at least 2) of `budget.SimulationSteps` steps: half start outside B_r
    /// (`randomSimulationCase`: decay-dominated λ ∈ [0.2, 1], where hitting times are short), half at a C1
    /// point of B_r (`randomClosureCase`: mostly λ below the data's scale), the latter checked after every
    /// step for their first `c4DenseSteps` steps; every run with its certificate and visibility.
    let checkC4 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let cache = NonTriviality.Cache()

        let runs =
            [
                for i in 0 .. max 2 (budget.Cases / 4) - 1 do
                    if i % 2 = 0 then
                        let tk, depth, widths, p, hyper, rng0 =
                            randomSimulationCase (budget.Seed ^^^ 0xC4UL) i

                        let start, r1 = outsideStart rng0 p widths
                        let d = absorptionDetailed tk hyper p start budget.SimulationSteps 0L r1

                        yield
                            i,
                            sprintf
                                "outside start, task %dx%d N=%d, L=%d, r=%d, eta=%.3g, lambda=%.3g"
                                tk.DOut
                                tk.DIn
                                tk.N
                                depth
                                p.R
                                hyper.Eta
                                hyper.Lambda,
                            "outside B_r",
                            tk,
                            hyper,
                            p,
                            start,
                            r1,
                            d
                    else
                        let c, _ = randomClosureCase (budget.Seed ^^^ 0xC4UL) i

                        if
                            Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
                            && Region.contains c.Region c.Point
                        then
                            let rng = Rng.stream budget.Seed (uint64 (1000 + i))

                            let d =
                                absorptionDetailed
                                    c.Task
                                    c.Hyper
                                    c.Region
                                    c.Point
                                    budget.SimulationSteps
                                    (min c4DenseSteps budget.SimulationSteps)
                                    rng

                            yield
                                i,
                                sprintf
                                    "start in B_r, task %dx%d N=%d, L=%d, r=%d, eta=%.3g, lambda=%.3g"
                                    c.Task.DOut
                                    c.Task.DIn
                                    c.Task.N
                                    c.Depth
                                    c.Region.R
                                    c.Hyper.Eta
                                    c.Hyper.Lambda,
                                "in B_r (a C1 point)",
                                c.Task,
                                c.Hyper,
                                c.Region,
                                c.Point,
                                rng,
                                d
            ]

        let evidence =
            runs
            |> List.map (fun (i, desc, kind, tk, hyper, p, start, rng, d) ->
                let cert = cache.Get(tk, hyper.Lambda, hiddenWidths start)

                let nonTrivial = d.Result.HitTime.IsSome && d.Visibility > 1.0 && cert.RankAbove p.R

                (i, desc, kind, tk, hyper, p, start, rng, d), cert, nonTrivial)

        let entered =
            runs |> List.filter (fun (_, _, _, _, _, _, _, _, d) -> d.Result.HitTime.IsSome)

        let hits =
            entered
            |> List.map (fun (_, _, _, _, _, _, _, _, d) -> float d.Result.HitTime.Value)
            |> List.sort

        let nonTrivial = evidence |> List.filter (fun (_, _, n) -> n) |> List.length

        let certified =
            evidence
            |> List.filter (fun ((_, _, _, _, _, p, _, _, _), c, _) -> c.RankAbove p.R)
            |> List.length

        let visible =
            runs
            |> List.filter (fun (_, _, _, _, _, _, _, _, d) -> d.Visibility > 1.0)
            |> List.length

        let checks = runs |> List.sumBy (fun (_, _, _, _, _, _, _, _, d) -> d.Checks)

        let checkSeconds =
            runs |> List.sumBy (fun (_, _, _, _, _, _, _, _, d) -> d.CheckSeconds)

        let perCheck = if checks > 0L then checkSeconds / float checks else 0.0
        let every = max 1L ((budget.SimulationSteps + maxChecks - 1L) / maxChecks)

        let cov =
            sprintf
                "%d of %d runs entered B_r within %d steps (hit time median %s, max %s); %d round-off-level exits; %d non-trivial: %d with a certified minimum of rank > r, %d visible after the hit; checks: after every step for the first %d steps of runs started in B_r, then every %d steps: %d checks in %.1f s (%.1f us each; every step for every run would take about %.0f s per run); %d certificates in %.1f s"
                entered.Length
                runs.Length
                budget.SimulationSteps
                (summary median "%.0f" hits)
                (summary List.max "%.0f" hits)
                (runs |> List.sumBy (fun (_, _, _, _, _, _, _, _, d) -> d.Result.RoundOffExits))
                nonTrivial
                certified
                visible
                (min c4DenseSteps budget.SimulationSteps)
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
                for (_, d, _, _, _, _, _, _, a) in runs do
                    match a.Result.Exit with
                    | Some(t, v, b) ->
                        yield
                            {
                                Claim = "C4"
                                Description = sprintf "%s: left B_r at step %d" d t
                                Violation = v
                                Bound = b
                                Status = Verdict.Counterexample
                                Replay = sprintf "lowrank verify --seed %d" budget.Seed
                            }
                    | None -> ()
            ]

        let records =
            evidence
            |> List.map (fun ((i, _, kind, tk, hyper, p, start, rng, d), cert, nt) ->
                absorptionRecord i kind tk hyper p start budget.SimulationSteps rng d cert nt)

        {
            Claim = "C4"
            Name = "Absorption"
            Statement =
                sprintf
                    "SGD runs (derived regime R0-R4: R0-R2 rigorous, R3-R4 first order) that enter B_r never leave it; hitting times are finite. Runs from outside B_r (decay-dominated lambda in [0.2, 1]) and from C1 points of B_r (lambda mostly below the data's scale); membership checked after every step for the first %d steps of the runs started in B_r, then every %d steps (ceil(steps/%d)); an exit between two checks that returns before the next is not seen"
                    (min c4DenseSteps budget.SimulationSteps)
                    every
                    maxChecks
            Verdict =
                (if not bad.IsEmpty then Verdict.Counterexample
                 elif 2 * entered.Length >= runs.Length then Verdict.Holds
                 else Verdict.Inconclusive)
            CasesTried = runs.Length
            NonTrivialCases = nonTrivial
            NonTrivialCriterion = c4Criterion
            NonTrivialRequired = budget.MinNonTrivialRuns
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = records
            Counterexamples = bad
        }

    // ------------------------------------------------------------------ C5, C6 (E1 regime, every step)

    /// Seed tags of the E1 runs of C5 and C6 (mixed into the budget's seed), so the two checks and verify's
    /// E1 section run independent chains.
    [<Literal>]
    let c5SeedTag = 0xC5UL

    [<Literal>]
    let c6SeedTag = 0xC6UL

    /// Threads of C5's and C6's E1 runs (results do not depend on it).
    [<Literal>]
    let e1ClaimThreads = 2

    /// Chains per required non-trivial run of C5: an SGD chain of E1 jumps without collapsing within 3·10⁶
    /// steps in about 15 of 16 cases (measured, seed 1), so twice the required number leaves a wide margin.
    [<Literal>]
    let c5ChainsPerRequiredRun = 2

    /// Chains per required non-trivial run of C6: an SDE chain enters B_1 at rank 1 in about 72 % of cases
    /// (144 of 200 measured, the others diverge first), so three times the required number.
    [<Literal>]
    let c6ChainsPerRequiredRun = 3

    /// E1's parameters for C5 and C6 (THEORY.md §5, `TwoByTwo.defaults`: ε = 0.1, L = 4, width 2, W_ℓ = I,
    /// η = 0.5, λ = 0.02, 3·10⁶ steps, B_1 of `TwoByTwo.jumpRegion`): `perRun`·`budget.MinNonTrivialRuns`
    /// chains (not every chain is non-trivial), master seed `budget.Seed ^^^ tag`, no offshoots, with or
    /// without SDE chains.
    let e1ClaimParams (budget: CheckBudget) (tag: uint64) (perRun: int) (withSde: bool) : TwoByTwoParams =
        let seeds = max 1 (perRun * budget.MinNonTrivialRuns)

        { TwoByTwo.defaults with
            Seeds = seeds
            Sde = withSde
            Seed = budget.Seed ^^^ tag
            Offshoots = 0
        }

    /// A run of E1 as plain data: the task, the start W_ℓ = I, B_1's constants, η, λ, and what replays it
    /// (kind, chain, the initial state of its random stream, steps, the entry rule) with every monitored event.
    let e1RunRecord
        (claim: string)
        (index: int)
        (p: TwoByTwoParams)
        (r: TwoByTwoRun)
        (verdict: Verdict)
        (nonTrivial: bool)
        (extra: (string * CaseValue) list)
        : CaseRecord =
        let e = r.Events
        let opt (x: int64 option) = CaseValue.Integer(defaultArg x -1L)

        {
            Claim = claim
            Index = index
            Kind =
                (match r.Kind with
                 | TwoByTwoRunKind.Sgd -> "E1 SGD run"
                 | TwoByTwoRunKind.Gd -> "E1 GD run"
                 | TwoByTwoRunKind.Sde -> "E1 SDE run")
            Task = Some(TwoByTwo.task p)
            Layers = Some(TwoByTwo.start p)
            Region = Some(TwoByTwo.jumpRegion p)
            Eta = Some p.Eta
            Lambda = Some p.Lambda
            Verdict = verdict
            NonTrivial = nonTrivial
            Values =
                [
                    "chain", CaseValue.Integer(int64 r.Chain)
                    "stream", CaseValue.Seed (TwoByTwo.streamOf p r.Kind r.Chain).State
                    "steps", CaseValue.Integer p.Steps
                    "rule",
                    CaseValue.Text(
                        match r.Kind with
                        | TwoByTwoRunKind.Sgd ->
                            "SGD: each step draws entry k = Rng.nextInt(stream, N) of the observed list (SplitMix64, Lemire) and takes W_l <- (1 - 2 eta lambda) W_l + eta r a_l b_l^T"
                        | TwoByTwoRunKind.Gd -> "GD: W_l <- W_l - eta grad L_lambda (full batch)"
                        | TwoByTwoRunKind.Sde ->
                            "SDE: each step draws xi_k = Rng.nextGaussian(stream) for k = 1..N (Box-Muller) and takes W_l <- (1 - 2 eta lambda) W_l + sum_k c_k r_k a_l b_l^T, c_k = eta/N - (eta/sqrt N)(xi_k - mean xi)"
                    )
                    "rankOneRatio", CaseValue.Number E1Monitor.rankOneRatio
                    "collapseThreshold", CaseValue.Number E1Monitor.collapseThreshold
                    "b1ExitMargin", CaseValue.Number E1Monitor.b1ExitMargin
                    "outcome", CaseValue.Text(sprintf "%A" r.Outcome)
                    "jumpStep", opt r.JumpStep
                    "collapseStep", opt r.CollapseStep
                    "divergenceStep", opt r.DivergenceStep
                    "returns", CaseValue.Integer(int64 r.Returns)
                    "returnSteps", CaseValue.Numbers(e.ReturnSteps |> Array.map float)
                    "roundOffReturns", CaseValue.Integer(int64 e.RoundOffReturns)
                    "b1Exits", CaseValue.Integer(int64 e.B1Exits)
                    "b1ExitSteps", CaseValue.Numbers(e.B1ExitSteps |> Array.map float)
                    "stepsOutsideB1AfterJump", CaseValue.Integer e.StepsOutsideB1
                    "maxRatioAfterJump", CaseValue.Number e.MaxRatioAfterJump
                    "maxRelativeExcessAfterJump",
                    CaseValue.Number(
                        if System.Double.IsFinite e.MaxExcessAfterJump then
                            e.MaxExcessAfterJump
                        else
                            -1.0
                    )
                ]
                @ extra
        }

    /// C5's verdict on one run: Counterexample when it returned to rank 2 after its jump (beyond the ratio's
    /// round-off, `TwoByTwoMonitor.Returns`), Inconclusive when a transition to rank 2 lay within round-off,
    /// else Holds.
    let c5Verdict (r: TwoByTwoRun) =
        if r.Returns > 0 then Verdict.Counterexample
        elif r.Events.RoundOffReturns > 0 then Verdict.Inconclusive
        else Verdict.Holds

    /// C5's non-triviality: the run was at rank 2 (the jump requires an earlier step at numerical rank 2),
    /// then entered B_1 at rank 1, and never collapsed to the zero network nor diverged
    /// (`TwoByTwoOutcome.Jumped`): a run on which a return to rank 2 was possible.
    let c5NonTrivial (r: TwoByTwoRun) = r.Outcome = TwoByTwoOutcome.Jumped

    /// The non-triviality criterion of C5, one sentence.
    [<Literal>]
    let c5Criterion =
        "SGD runs that were at numerical rank 2 (s2/s1 >= 1e-2, s1 >= 1e-3), then entered B_1 (TwoByTwo.jumpRegion) at numerical rank 1 (s2/s1 < 1e-2) and never collapsed to the zero network (s1 < 1e-3) nor diverged within the budget"

    /// C5 on finished SGD runs of E1 (`e1ClaimParams`): the outcome of `checkC5` from its runs.
    let c5Outcome (budget: CheckBudget) (p: TwoByTwoParams) (runs: TwoByTwoRun[]) (seconds: float) : ClaimOutcome =
        let k = TwoByTwo.kindSummary TwoByTwoRunKind.Sgd runs

        let records =
            runs
            |> Array.mapi (fun i r -> e1RunRecord "C5" i p r (c5Verdict r) (c5NonTrivial r) [])
            |> Array.toList

        let bad =
            [
                for r in runs do
                    if r.Returns > 0 then
                        yield
                            {
                                Claim = "C5"
                                Description =
                                    sprintf
                                        "E1 eps=%g L=%d eta=%g lambda=%g, SGD chain %d (stream seed %d): jumped into B_1 at step %d, returned to rank 2 at step(s) %A"
                                        p.Epsilon
                                        p.Depth
                                        p.Eta
                                        p.Lambda
                                        r.Chain
                                        p.Seed
                                        r.JumpStep.Value
                                        r.Events.ReturnSteps
                                Violation = r.Events.MaxRatioAfterJump
                                Bound = E1Monitor.rankOneRatio
                                Status = Verdict.Counterexample
                                Replay = sprintf "lowrank verify --seed %d" budget.Seed
                            }
            ]

        let cov =
            sprintf
                "%d of %d SGD runs jumped into B_1 at rank 1 without collapsing (jump step median %s, quartiles %s-%s), %d collapsed (%d of them after passing B_1 at rank 1), %d diverged, %d stayed; returns to rank 2: %d (largest s2/s1 after a jump %.3g, threshold %g); %d exits from B_1 after the jump in %d runs (largest relative excess %.3g); every step monitored"
                k.Jumped
                k.Runs
                (k.JumpMedian |> Option.map (sprintf "%.0f") |> Option.defaultValue "n/a")
                (k.JumpQ1 |> Option.map (sprintf "%.0f") |> Option.defaultValue "n/a")
                (k.JumpQ3 |> Option.map (sprintf "%.0f") |> Option.defaultValue "n/a")
                k.Collapsed
                k.CollapsedAfterRankOne
                k.Diverged
                k.Stayed
                k.Returns
                (runs |> Array.map (fun r -> r.Events.MaxRatioAfterJump) |> Array.fold max 0.0)
                E1Monitor.rankOneRatio
                k.B1Exits
                k.RunsThatLeftB1
                (runs
                 |> Array.map (fun r -> r.Events.MaxExcessAfterJump)
                 |> Array.filter System.Double.IsFinite
                 |> Array.fold max 0.0)

        {
            Claim = "C5"
            Name = "One-way jumps"
            Statement =
                sprintf
                    "E1 regime (eps = %g, L = %d, width %d, W_l = I, eta = %g, lambda = %g; outside the derived regime, whose E1 runs only collapse): %d SGD chains of %d steps of C5's own (seed ^ 0xC5, not verify's E1 chains), every step monitored; a run that entered B_1 at rank 1 never returns to rank 2"
                    p.Epsilon
                    p.Depth
                    p.Width
                    p.Eta
                    p.Lambda
                    p.Seeds
                    p.Steps
            Verdict =
                (if not bad.IsEmpty then
                     Verdict.Counterexample
                 elif records |> List.exists (fun c -> c.Verdict = Verdict.Inconclusive) then
                     Verdict.Inconclusive
                 else
                     Verdict.Holds)
            CasesTried = runs.Length
            NonTrivialCases = ClaimOutcome.nonTrivialCount records
            NonTrivialCriterion = c5Criterion
            NonTrivialRequired = budget.MinNonTrivialRuns
            BoundaryCoverage = cov
            Seconds = seconds
            Cases = records
            Counterexamples = bad
        }

    /// C5 (THEORY.md §2) in the E1 regime: `e1ClaimParams budget c5SeedTag c5ChainsPerRequiredRun false` SGD chains (no SDE, no GD),
    /// monitored after every step; a return to rank 2 after entering B_1 is a counterexample.
    let checkC5 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let p = e1ClaimParams budget c5SeedTag c5ChainsPerRequiredRun false

        let runs, seconds =
            timed (fun () ->
                Array.init p.Seeds (fun s -> TwoByTwoRunKind.Sgd, s)
                |> TwoByTwo.runsOf p e1ClaimThreads ignore)

        let o = c5Outcome budget p runs seconds
        progress ("C5: " + o.BoundaryCoverage)
        o

    // ------------------------------------------------------------------ C6

    /// Ratio s_2/s_1 of a product (0 when s_1 = 0).
    let secondRatio (a: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
        let s = Linalg.singularValues a
        if s.Length < 2 || s.[0] = 0.0 then 0.0 else s.[1] / s.[0]

    /// A run absorbed at rank 1 (`TwoByTwo.absorbedAtRankOne`): what every SGD chain of E1 does (C5).
    let absorbedAtRankOne (r: TwoByTwoRun) = TwoByTwo.absorbedAtRankOne r

    /// The GD control of C6 stayed at rank 2: no jump, collapse or divergence, numerical rank 2 at the end.
    let gdAtRankTwo (gd: TwoByTwoRun) =
        gd.Outcome = TwoByTwoOutcome.Stayed && gd.Events.Rank = 2

    /// How a run that jumped left the rank-1 part of B_1, in words ("" when it did not).
    let leftRankOneBy (r: TwoByTwoRun) =
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
    /// candidate is a Counterexample when it is absorbed at rank 1 (`absorbedAtRankOne`), like SGD;
    /// otherwise Holds. Non-trivial: GD stayed at rank 2, the twin was absorbed at rank 1 (the start, η, λ
    /// and budget produce SGD's absorption), and the candidate itself entered B_1 at rank 1, so it could
    /// have stayed there.
    let c6Case (gd: TwoByTwoRun) (twin: TwoByTwoRun) (candidate: TwoByTwoRun) : Verdict * bool =
        if not (gdAtRankTwo gd) then
            Verdict.Inconclusive, false
        elif absorbedAtRankOne candidate then
            Verdict.Counterexample, absorbedAtRankOne twin
        else
            Verdict.Holds, absorbedAtRankOne twin && candidate.JumpStep.IsSome

    /// The non-triviality criterion of C6, one sentence.
    [<Literal>]
    let c6Criterion =
        "SDE chains that entered B_1 at numerical rank 1 (so could have stayed there as SGD does) while their SGD twin (same start W_l = I, eta, lambda, budget) was absorbed at rank 1 and the GD control stayed at rank 2"

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
        let tk = Task.twoByTwo eps
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
                MinEigenvalue = (eig, hessianTolerance h)
                MinRatioAlong = minRatio
                Steps = steps
            }

    /// Radii tried for the one-step SDE draws of the stored regression case `C6-control-sde-leaves`
    /// (Properties/regressions/make-regressions.fsx): ‖ξ‖ from 1 to 10⁴. Not part of the C6 check, which
    /// runs whole SDE chains (`checkC6`).
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
        let mutable rng = Rng.stream (seed ^^^ c6SeedTag) (uint64 i)
        let eps = 0.1 + 0.1 * Rng.nextFloat &rng
        let depth = 3 + Rng.nextInt &rng 3
        let lambda = 0.002 + 0.01 * Rng.nextFloat &rng
        eps, depth, lambda, rng

    /// GD steps of each run of C6's secondary GD part.
    [<Literal>]
    let gdStaysSteps = 2000

    /// C6 on finished E1 runs (`e1ClaimParams budget c6SeedTag c6ChainsPerRequiredRun true`): one case per SDE chain against its SGD
    /// twin and the GD control (`c6Case`), the GD control's own record, and the secondary GD part `gd2`
    /// (E1 cases with their `gdStays` results).
    let c6Outcome
        (budget: CheckBudget)
        (p: TwoByTwoParams)
        (r: TwoByTwoResult)
        (gd2: ((float * int * float) * GdStayResult) list)
        (seconds: float)
        : ClaimOutcome =
        let gd = r.Gd

        let sdeCases =
            r.Sde
            |> Array.map (fun c ->
                let twin = r.Chains.[c.Chain]
                let v, nt = c6Case gd twin c
                c, twin, v, nt)

        let records =
            [
                for i, (c, twin, v, nt) in Array.indexed sdeCases do
                    yield
                        e1RunRecord
                            "C6"
                            i
                            p
                            c
                            v
                            nt
                            [
                                "twinStream", CaseValue.Seed (TwoByTwo.streamOf p TwoByTwoRunKind.Sgd twin.Chain).State
                                "twinOutcome", CaseValue.Text(sprintf "%A" twin.Outcome)
                                "twinJumpStep", CaseValue.Integer(defaultArg twin.JumpStep -1L)
                                "twinAbsorbedAtRankOne", CaseValue.Flag(absorbedAtRankOne twin)
                                "gdAtRankTwo", CaseValue.Flag(gdAtRankTwo gd)
                                "absorbedAtRankOne", CaseValue.Flag(absorbedAtRankOne c)
                                "leftRankOneBy", CaseValue.Text(leftRankOneBy c)
                            ]
                yield
                    e1RunRecord
                        "C6"
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
                            Claim = "C6"
                            Index = sdeCases.Length + 1 + i
                            Kind = "GD from a perturbed rank-2 minimum (secondary)"
                            Task = Some(Task.twoByTwo eps)
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
                                        "ClaimChecks.gdStays: CriticalPoints.solve from the start (layers), Hessian check, GD with eta = 0.5/||H|| from a 1e-3 relative Gaussian perturbation (stream ClaimChecks.gdStaysCase)"
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
                                    "hessianTolerance",
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
                                Claim = "C6"
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
                                Replay = sprintf "lowrank verify --seed %d" budget.Seed
                            }
                for ((eps, depth, lambda), g) in gd2 do
                    let eig, tol = g.MinEigenvalue

                    if g.Ratio.IsSome && eig >= -tol && g.MinRatioAlong < keepFraction * g.Ratio.Value then
                        yield
                            {
                                Claim = "C6"
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
                                Replay = sprintf "lowrank verify --seed %d" budget.Seed
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
            Claim = "C6"
            Name = "No continuous analogue"
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
                    (TwoByTwo.sdeCount p)
            Verdict =
                (if not bad.IsEmpty then Verdict.Counterexample
                 elif not (gdAtRankTwo gd) then Verdict.Inconclusive
                 else Verdict.Holds)
            CasesTried = records.Length
            NonTrivialCases = ClaimOutcome.nonTrivialCount records
            NonTrivialCriterion = c6Criterion
            NonTrivialRequired = budget.MinNonTrivialRuns
            BoundaryCoverage = cov
            Seconds = seconds
            Cases = records
            Counterexamples = bad
        }

    /// C6 (THEORY.md §2) in the E1 regime: `e1ClaimParams budget c6SeedTag c6ChainsPerRequiredRun true` (SGD chains, as many SDE
    /// chains, the GD control; every step monitored), each SDE chain judged against its SGD twin and GD
    /// (`c6Case`); plus the secondary GD part (`gdStays` at `budget.MinNonTrivialRuns` E1 cases).
    let checkC6 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let p = e1ClaimParams budget c6SeedTag c6ChainsPerRequiredRun true

        let (r, gd2), seconds =
            timed (fun () ->
                let r = TwoByTwo.run p e1ClaimThreads ignore

                let gd2 =
                    [
                        for i in 0 .. max 2 budget.MinNonTrivialRuns - 1 do
                            let eps, depth, lambda, rng = gdStaysCase budget.Seed i
                            yield (eps, depth, lambda), gdStays eps depth lambda gdStaysSteps rng
                    ]

                r, gd2)

        let o = c6Outcome budget p r gd2 seconds
        progress ("C6: " + o.BoundaryCoverage)
        o

    /// SDE chains tried by C5's negative control (`runControls`): a return to rank 2 was measured in 9 of 200
    /// SDE chains at E1's parameters (4.5 %), so 400 chains miss one with probability below 10⁻⁷.
    [<Literal>]
    let c5ControlChains = 400

    /// C6's negative control: the same check with SGD chains in the role of the continuous chains (each SGD
    /// chain of C6's parameters judged against itself as twin and the GD control): SGD is absorbed at rank 1,
    /// so the check must find a counterexample. Returns the first chain index that fails, with its text.
    let c6SgdAsContinuous (budget: CheckBudget) (gd: TwoByTwoRun) (chain: int) : string option =
        let p = e1ClaimParams budget c6SeedTag c6ChainsPerRequiredRun false
        let sgd = TwoByTwo.chain p chain

        match c6Case gd sgd sgd with
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

    // ------------------------------------------------------------------ C7

    /// Classification of one D7 point by its Hessian.
    type D7Hessian =
        {
            /// The root choices.
            Choices: RootChoice[]
            /// Rank of the point (number of non-zero a_i).
            Rank: int
            /// Smallest Hessian eigenvalue.
            MinEigenvalue: float
            /// Its tolerance (`hessianTolerance`).
            Tolerance: float
        }

    /// Every existing D7 point of a fully observed task with its Hessian's smallest eigenvalue.
    let d7Hessians (task: Task) (lambda: float) (hidden: int[]) : D7Hessian list =
        let k = min task.DOut task.DIn

        [
            for ch in allChoices k do
                match CriticalPoints.exactFullyObserved task lambda hidden ch with
                | Error _ -> ()
                | Ok(net, a) ->
                    let h = CriticalPoints.hessian task lambda net
                    let eig = h.Evd().EigenValues |> Seq.map (fun z -> z.Real) |> Seq.min

                    yield
                        {
                            Choices = ch
                            Rank = a |> Array.filter (fun x -> x > 0.0) |> Array.length
                            MinEigenvalue = eig
                            Tolerance = hessianTolerance h
                        }
        ]

    /// C7 on one task.
    type MinimaReport =
        {
            /// Counterexample when an expected minimum (Large roots on a prefix of the singular values, Zero
            /// after it) has a Hessian eigenvalue below −tol, when fewer than two ranks of minima are certified,
            /// or when D7 predicts two non-zero ranks (`Predicted` ≥ 2) and fewer are certified; Inconclusive when
            /// an expected saddle has no clearly negative eigenvalue; else Holds.
            Verdict: Verdict
            /// Distinct ranks of the certified minima (Hessian min eigenvalue ≥ −tol), ascending.
            Ranks: int list
            /// Number of distinct NON-ZERO ranks among them (≥ 2: the task is non-trivial for C7).
            NonzeroRanks: int
            /// M, the number of singular values of A* with non-zero D7 roots: D7 predicts minima of every rank
            /// 0..M for L ≥ 3.
            Predicted: int
            /// Every D7 point with its Hessian's smallest eigenvalue.
            Points: D7Hessian list
            /// Expected minima with a clearly negative eigenvalue.
            BadMinima: int
            /// Expected saddles without one.
            WeakSaddles: int
            /// The task in words, for counterexamples.
            Description: string
        }

    /// C7 on one fully observed task (`MinimaReport`): every D7 point (`d7Hessians`) classified by its Hessian
    /// and compared with D7's prediction. Expected minima: Large roots on a prefix of the (descending)
    /// singular values, Zero after it. Zero before a Large, or any Small root, is expected to be a saddle
    /// (rotating a kept direction toward a larger dropped one, or moving a small root toward its larger one,
    /// lowers the loss).
    let multipleMinima (task: Task) (depth: int) (lambda: float) (hidden: int[]) : MinimaReport =
        let pts = d7Hessians task lambda hidden

        let isMinChoice (p: D7Hessian) =
            let m =
                p.Choices
                |> Array.tryFindIndex (fun c -> c <> RootChoice.Large)
                |> Option.defaultValue p.Choices.Length

            p.Choices |> Array.forall (fun c -> c <> RootChoice.Small)
            && p.Choices |> Array.skip m |> Array.forall (fun c -> c = RootChoice.Zero)

        let confirmed = pts |> List.filter (fun p -> p.MinEigenvalue >= -p.Tolerance)
        let ranks = confirmed |> List.map (fun p -> p.Rank) |> List.distinct |> List.sort
        let nonzero = ranks |> List.filter (fun r -> r > 0) |> List.length

        let predicted =
            Linalg.singularValues task.Target
            |> Array.filter (fun s -> (CriticalPoints.roots depth s (2.0 * lambda * float task.N)).Length > 0)
            |> Array.length

        let badMin =
            pts |> List.filter (fun p -> isMinChoice p && p.MinEigenvalue < -p.Tolerance)

        let weakSaddle =
            pts
            |> List.filter (fun p -> not (isMinChoice p) && p.MinEigenvalue >= -p.Tolerance)

        let verdict =
            if ranks.Length < 2 || not badMin.IsEmpty || (predicted >= 2 && nonzero < 2) then
                Verdict.Counterexample
            elif not weakSaddle.IsEmpty then
                Verdict.Inconclusive
            else
                Verdict.Holds

        {
            Verdict = verdict
            Ranks = ranks
            NonzeroRanks = nonzero
            Predicted = predicted
            Points = pts
            BadMinima = badMin.Length
            WeakSaddles = weakSaddle.Length
            Description =
                sprintf
                    "fully observed %dx%d L=%d lambda=%.4g: %d D7 points, %d singular values with roots, minima ranks %A, %d expected minima with a negative eigenvalue, %d expected saddles without one"
                    task.DOut
                    task.DIn
                    depth
                    lambda
                    pts.Length
                    predicted
                    ranks
                    badMin.Length
                    weakSaddle.Length
        }

    /// A C7 task for stream `index` of `seed`: three in four aimed at two non-zero ranks of minima
    /// (`Generators.d7SpecTwoRanks` with λ against s_j, j uniform in 2..rank A*, `Generators.d7CaseAt`), one in
    /// four as before (`Generators.d7Spec`, λ against s_1). Sizes ≤ `maxSize`, depth in [minDepth, maxDepth].
    /// Returns (task, depth, λ, hidden widths, j).
    let randomC7Case (seed: uint64) (index: int) (maxSize: int) (minDepth: int) (maxDepth: int) =
        let mutable rng = Rng.stream seed (uint64 index)

        if Rng.nextInt &rng 4 = 0 then
            let spec = Generators.d7Spec &rng maxSize minDepth maxDepth
            let tk, depth, lambda, hidden = Generators.d7CaseAt 1 spec
            tk, depth, lambda, hidden, 1
        else
            let spec = Generators.d7SpecTwoRanks &rng maxSize minDepth maxDepth
            let j = 2 + Rng.nextInt &rng (spec.TargetRank - 1)
            let tk, depth, lambda, hidden = Generators.d7CaseAt j spec
            tk, depth, lambda, hidden, j

    /// C7's non-triviality criterion, one sentence.
    [<Literal>]
    let c7Criterion =
        "a task whose Hessian-certified local minima have at least two distinct non-zero ranks (the zero minimum plus one non-zero rank does not count)"

    /// A C7 task as plain data (`--cases-out`): task, λ, depth, widths, every D7 point's root choices, rank
    /// and smallest Hessian eigenvalue with its tolerance, and the certified minima as networks.
    let minimaRecord (index: int) (tk: Task) (depth: int) (lambda: float) (hidden: int[]) (j: int) (m: MinimaReport) =
        let certified =
            m.Points
            |> List.filter (fun p -> p.MinEigenvalue >= -p.Tolerance)
            |> List.choose (fun p ->
                match CriticalPoints.exactFullyObserved tk lambda hidden p.Choices with
                | Ok(net, _) -> Some net
                | Error _ -> None)
            |> Array.ofList

        {
            Claim = "C7"
            Index = index
            Kind = "D7 minima of a fully observed task"
            Task = Some tk
            Layers = None
            Region = None
            Eta = None
            Lambda = Some lambda
            Verdict = m.Verdict
            NonTrivial = m.NonzeroRanks >= 2
            Values =
                [
                    "depth", CaseValue.Integer(int64 depth)
                    "hidden", CaseValue.Numbers(hidden |> Array.map float)
                    "lambdaAgainstSingularValue", CaseValue.Integer(int64 j)
                    "singularValuesWithRoots", CaseValue.Integer(int64 m.Predicted)
                    "minimumRanks", CaseValue.Numbers(m.Ranks |> List.map float |> Array.ofList)
                    "points",
                    CaseValue.Text(
                        m.Points
                        |> List.map (fun p ->
                            sprintf
                                "%s: rank %d, min eigenvalue %.6g (tol %.3g)"
                                (p.Choices |> Array.map (sprintf "%A") |> String.concat ",")
                                p.Rank
                                p.MinEigenvalue
                                p.Tolerance)
                        |> String.concat "; "
                    )
                    "certifiedMinima", CaseValue.Networks certified
                ]
        }

    /// C7 on `budget.Cases / 3` (at least 2) fully observed tasks up to 3×3, L ∈ 3..5 (`randomC7Case`).
    let checkC7 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()

        let results =
            [
                for i in 0 .. max 2 (budget.Cases / 3) - 1 ->
                    let tk, depth, lambda, hidden, j = randomC7Case (budget.Seed ^^^ 0xC7UL) i 3 3 5
                    tk, depth, lambda, hidden, j, multipleMinima tk depth lambda hidden
            ]

        let records =
            results
            |> List.mapi (fun i (tk, depth, lambda, hidden, j, m) -> minimaRecord i tk depth lambda hidden j m)

        let count f =
            results |> List.filter (fun (_, _, _, _, _, m) -> f m) |> List.length

        let cov =
            sprintf
                "tasks with minima of two or more distinct non-zero ranks: %d; only the zero minimum and one non-zero rank: %d; one rank of minima: %d; tasks where D7 predicts two or more non-zero ranks: %d"
                (count (fun m -> m.NonzeroRanks >= 2))
                (count (fun m -> m.NonzeroRanks = 1 && m.Ranks.Length = 2 && m.Ranks.Head = 0))
                (count (fun m -> m.Ranks.Length < 2))
                (count (fun m -> m.Predicted >= 2))

        progress ("C7: " + cov)

        {
            Claim = "C7"
            Name = "Multiple minima"
            Statement =
                "for L >= 3 the fully observed loss has local minima of different ranks, two non-zero ranks wherever D7 predicts them (D7 points, Hessian min eigenvalue >= -tol; expected saddles negative)"
            Verdict = combine (results |> List.map (fun (_, _, _, _, _, m) -> m.Verdict))
            CasesTried = results.Length
            NonTrivialCases = ClaimOutcome.nonTrivialCount records
            NonTrivialCriterion = c7Criterion
            NonTrivialRequired = budget.MinNonTrivial
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = records
            Counterexamples =
                [
                    for (i, (_, _, _, _, _, m)) in List.indexed results do
                        if m.Verdict <> Verdict.Holds then
                            yield
                                {
                                    Claim = "C7"
                                    Description = m.Description
                                    Violation = 0.0
                                    Bound = 0.0
                                    Status = m.Verdict
                                    Replay =
                                        sprintf
                                            "lowrank verify --seed %d --cases-out DIR (C7.jsonl, case %d)"
                                            budget.Seed
                                            i
                                }
                ]
        }

    // ------------------------------------------------------------------ entry points

    /// Claim checks C1..C7 on a budget, one outcome per claim in order; `progress` gets short lines.
    let runClaims (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome[] =
        let final (o: ClaimOutcome) =
            { o with
                Verdict = ClaimOutcome.withNonTrivial o.NonTrivialRequired o.NonTrivialCases o.Verdict
            }

        [|
            checkC1 budget progress
            checkC2 budget progress
            checkC3 budget progress
            checkC4 budget progress
            checkC5 budget progress
            checkC6 budget progress
            checkC7 budget progress
        |]
        |> Array.map final

    let private searchControl
        (name: string)
        (claim: string)
        (count: int)
        (attempt: int -> string option)
        (progress: string -> unit)
        : ControlOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let mutable found = None
        let mutable tried = 0

        while found.IsNone && tried < count do
            found <- attempt tried
            tried <- tried + 1

        progress (
            sprintf
                "control %s: %s after %d cases"
                name
                (if found.IsSome then
                     "failed as expected"
                 else
                     "did NOT fail")
                tried
        )

        {
            Control = name
            Claim = claim
            FailedAsExpected = found.IsSome
            CasesTried = tried
            Seconds = sw.Elapsed.TotalSeconds
            Example = defaultArg found ""
        }

    /// Runs a C1 control: cases from `make` checked with `rule` until the first confirmed counterexample or
    /// the budget is spent.
    let private closureControl
        (name: string)
        (rule: StepRule)
        (make: int -> ClosureCase)
        (budget: CheckBudget)
        (progress: string -> unit)
        : ControlOutcome =
        searchControl
            name
            "C1"
            budget.Cases
            (fun i ->
                let c = make i
                let r = closureWith rule c

                if r.Contained && r.Verdict = Verdict.Counterexample then
                    Some(describe c r)
                else
                    None)
            progress

    /// Shape of C1's L = 2 control case (shrinkable).
    type DepthTwoSpec =
        {
            /// d_out ≥ 2.
            DOut: int
            /// d_in ≥ 2.
            DIn: int
            /// r ∈ 1..min(d_out, d_in) − 1; the target has rank r + 1.
            R: int
            /// λ.
            Lambda: float
            /// Relative rank slack 0.5·10^{−k}.
            SlackExponent: int
            /// Seed of target and point.
            Seed: uint64
        }

    /// A random L = 2 control spec: sizes 2..4, λ ∈ [0.001, 0.011].
    let depthTwoSpec (seed: uint64) (index: int) : DepthTwoSpec =
        let mutable rng = Rng.stream seed (uint64 index)
        let dOut = 2 + Rng.nextInt &rng 3
        let dIn = 2 + Rng.nextInt &rng 3

        {
            DOut = dOut
            DIn = dIn
            R = 1 + Rng.nextInt &rng (min dOut dIn - 1)
            Lambda = 0.001 + 0.01 * Rng.nextFloat &rng
            SlackExponent = 1 + Rng.nextInt &rng 8
            Seed = Rng.nextUInt64 &rng
        }

    /// C1's L = 2 control case: fully observed target of rank r + 1, L = 2, a point whose r full values and
    /// one tail value (at the rank edge) lie along the target's singular vectors, constants from
    /// `Regime.derive`, η the largest step allowed by R0, R1, R2, R4 (R3 cannot hold: the data ask for
    /// rank > r and L = 2 gives the tail no contraction).
    let depthTwoCaseOf (spec: DepthTwoSpec) : ClosureCase =
        let k = min spec.DOut spec.DIn
        let r = max 1 (min spec.R (k - 1))

        let ts =
            {
                DOut = spec.DOut
                DIn = spec.DIn
                TargetRank = r + 1
                Scale = 1.0
                Kind = TaskKind.Full
                Seed = spec.Seed
            }

        let tk = Generators.task ts
        let p = Regime.derive Regime.defaults tk 2 r spec.Lambda

        let ps =
            {
                Depth = 2
                Hidden = [| k |]
                R = r
                Full = r
                Tail = 1
                RankEdge = true
                NormEdge = false
                BalanceEdge = false
                SlackExponent = spec.SlackExponent
                Seed = spec.Seed + 1UL
                Misaligned = false
            }

        let u, _, v = Linalg.thinSvd tk.Target
        let eta = Regime.etaMaxIgnoring [ "R3" ] p tk 2 spec.Lambda Regime.defaults.Rho

        {
            Task = tk
            Depth = 2
            Region = p
            Hyper = { Eta = eta; Lambda = spec.Lambda }
            Point = Generators.pointIn (Some(u, v)) p spec.DOut spec.DIn ps
        }

    /// `depthTwoCaseOf (depthTwoSpec seed index)`.
    let depthTwoCase (seed: uint64) (index: int) =
        depthTwoCaseOf (depthTwoSpec seed index)

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
        let v = Regime.violated c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho

        sprintf
            "regime conditions violated at this eta: %s; 1 - 2 eta lambda = %.3g"
            (if v.IsEmpty then
                 "none"
             else
                 v
                 |> List.map (fun id -> sprintf "%s (%s)" id (Regime.label id))
                 |> String.concat ", ")
            (1.0 - 2.0 * c.Hyper.Eta * c.Hyper.Lambda)

    /// Negative controls, one outcome each; every one must fail (find a confirmed counterexample).
    let runControls (budget: CheckBudget) (progress: string -> unit) : ControlOutcome[] =
        let baseCase i =
            let c, _ = randomClosureCase (budget.Seed ^^^ 0x5EEDUL) i in c

        [|
            closureControl
                "C1 with lambda = 0"
                Sgd.step
                (fun i ->
                    let c = baseCase i in

                    { c with
                        Hyper = { c.Hyper with Lambda = 0.0 }
                    })
                budget
                progress
            searchControl
                "C1 with eta at R0's cap (2 eta lambda = 1/10, far above eta_max; 1 - 2 eta lambda = 0.9)"
                "C1"
                budget.Cases
                (fun i ->
                    let c = largeEtaCase (baseCase i)
                    let r = closure c

                    if r.Contained && r.Verdict = Verdict.Counterexample then
                        Some(describe c r + "; " + regimeText c)
                    else
                        None)
                progress
            closureControl
                "C1 with L = 2 and data of rank r + 1"
                Sgd.step
                (depthTwoCase (budget.Seed ^^^ 0x12UL))
                budget
                progress
            closureControl "C1 with a broken SGD step (decay 1 + 2 eta lambda)" brokenStep baseCase budget progress
            (let p = e1ClaimParams budget c5SeedTag c5ChainsPerRequiredRun true

             searchControl
                 "C5 with the SDE chains (Gaussian noise of SGD's mean and covariance) in place of SGD"
                 "C5"
                 c5ControlChains
                 (fun i ->
                     let r = TwoByTwo.sdeChain p i

                     if r.Returns > 0 then
                         Some(
                             sprintf
                                 "SDE chain %d (master seed %d) entered B_1 at rank 1 at step %d and returned to rank 2 at step(s) %A (s2/s1 up to %.3g)"
                                 i
                                 p.Seed
                                 r.JumpStep.Value
                                 r.Events.ReturnSteps
                                 r.Events.MaxRatioAfterJump
                         )
                     else
                         None)
                 progress)
            (let gd =
                lazy (TwoByTwo.gdControl (e1ClaimParams budget c6SeedTag c6ChainsPerRequiredRun false))

             searchControl
                 "C6 with SGD chains in place of the SDE chains"
                 "C6"
                 (max 1 (2 * budget.MinNonTrivialRuns))
                 (fun i -> c6SgdAsContinuous budget gd.Value i)
                 progress)
            searchControl
                "C2 without the B_r hypothesis (r one below the point's rank quantity)"
                "C2"
                budget.Cases
                (fun i ->
                    let tk, depth, lambda, hidden, _ = randomD7Case (budget.Seed ^^^ 0xC2C2UL) i 4 2 5
                    let k = min tk.DOut tk.DIn

                    allChoices k
                    |> List.tryPick (fun ch ->
                        match c2WithoutRegion tk depth lambda hidden ch with
                        | Some(qa, bound, tol) when qa - bound > tol ->
                            Some(
                                sprintf
                                    "D7 %dx%d L=%d choices %A: quantity %.4g > r + eps2 = %.4g"
                                    tk.DOut
                                    tk.DIn
                                    depth
                                    ch
                                    qa
                                    bound
                            )
                        | _ -> None))
                progress
            searchControl
                "C2 without the criticality hypothesis (non-critical, imbalanced points inside B_r)"
                "C2"
                budget.Cases
                (fun i ->
                    let inside, m, residual, full, text =
                        c2WithoutCriticality (budget.Seed ^^^ 0xC2C3UL) i

                    if inside && m.Verdict = Verdict.Counterexample then
                        Some(
                            sprintf
                                "%s: sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) = %.6g > r + eps2 = %.6g beyond the round-off tolerance %.3g; theta is in B_r but not critical (relative gradient residual %.3g on a D7 task of its shape; the claim check's gradient-based tolerance there is %.3g)"
                                text
                                m.Quantity
                                m.Bound
                                m.Tolerance
                                residual
                                full.Tolerance
                        )
                    else
                        None)
                progress
            searchControl
                "C4 with lambda = 0 (runs from boundary points of B_r)"
                "C4"
                budget.Cases
                (fun i ->
                    let c = baseCase i

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
                                    (describe c (closure c))
                                    t
                                    v
                                    b
                            )
                        | None -> None)
                progress
            searchControl
                "C3 with lambda = 0 (restricted draws, no decay)"
                "C3"
                (max 2 (budget.Cases / 8))
                (fun i ->
                    let tk, depth, widths, p, hyper, rng0 =
                        randomSimulationCase (budget.Seed ^^^ 0xC3C3UL) i

                    let mutable rng = rng0
                    let start, r1 = outsideStart rng p widths
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
            searchControl
                "C7 with L = 2 (one rank of minima)"
                "C7"
                (max 2 (budget.Cases / 4))
                (fun i ->
                    let tk, depth, lambda, hidden, _ = randomC7Case (budget.Seed ^^^ 0xC7C7UL) i 3 2 2
                    let m = multipleMinima tk depth lambda hidden

                    if m.Verdict = Verdict.Counterexample then
                        Some m.Description
                    else
                        None)
                progress
        |]
