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
    let hessianTolerance (h: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
        float h.RowCount * 1e-9 * max 1.0 (Linalg.maxAbs h)

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

    /// C1 on one case: steps with `rule` at EVERY observed entry (`closureSteps`) and takes the worst slack
    /// after the step. A negative slack is a counterexample only when it exceeds the round-off bound at θ⁺,
    /// the step's own round-off included; a step that is not finite is a counterexample (violation +∞ of
    /// the norm bound).
    let closureWith (rule: StepRule) (c: ClosureCase) : ClosureReport =
        let p = c.Region
        let before = Region.slack p c.Point

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
            }
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
            }

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

    /// C1 on `budget.Cases` random cases inside the derived regime.
    let checkC1 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let run () =
            let results =
                [
                    for i in 0 .. budget.Cases - 1 do
                        let c, _ = randomClosureCase budget.Seed i

                        if Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho then
                            let r = closure c

                            if r.Contained then
                                yield i, c, r
                ]

            let cov = coverage (results |> List.map (fun (_, c, r) -> c.Region, r.Before))

            let bad =
                results
                |> List.filter (fun (_, _, r) -> r.Verdict <> Verdict.Holds)
                |> List.map (fun (_, c, r) ->
                    counterexampleOf "C1" (describe c r) r (sprintf "lowrank verify --seed %d" budget.Seed))

            let verdict = combine (results |> List.map (fun (_, _, r) -> r.Verdict))

            let within =
                results
                |> List.filter (fun (_, _, r) -> r.Verdict = Verdict.Inconclusive)
                |> List.length

            progress (sprintf "C1: %d cases (%d within round-off), %s" results.Length within (coverageText cov))
            let records = results |> List.map (fun (i, c, r) -> closureRecord i c r false)
            results.Length, cov, verdict, bad, records

        let (n, cov, verdict, bad, records), secs = timed run

        {
            Claim = "C1"
            Name = "Closure"
            Statement =
                "theta in B_r => theta+ in B_r for every observed entry, inside the derived regime R0-R4 (Regime.fs)"
            Verdict = verdict
            CasesTried = n
            NonTrivialCases = 0
            NonTrivialCriterion = "not assessed yet"
            NonTrivialRequired = budget.MinNonTrivial
            BoundaryCoverage = coverageText cov
            Seconds = secs
            Cases = records
            Counterexamples = bad
        }

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

    /// Tolerance of C2 at a (near-)critical point, from its gradient, NOT from its measured balancedness:
    /// W_ℓᵀ∇_ℓL_λ − ∇_{ℓ−1}L_λ W_{ℓ−1}ᵀ = 2λ D_ℓ (the data terms cancel), so ‖D_ℓ‖_F ≤ δ_ℓ :=
    /// (‖W_ℓ‖_F‖∇_ℓ‖_F + ‖∇_{ℓ−1}‖_F‖W_{ℓ−1}‖_F)/(2λ). Replacing W_ℓᵀW_ℓ = W_{ℓ−1}W_{ℓ−1}ᵀ + D_ℓ layer by layer
    /// gives ‖AᵀA − (W_1ᵀW_1)^L‖_2 ≤ E := μ^{L−1} Σ_ℓ (L − ℓ + 1) δ_ℓ (μ = max_ℓ ‖W_ℓ‖_F²), plus round-off
    /// 4Lγ_n μ^L. Weyl and Hölder (|a^{1/L} − b^{1/L}| ≤ |a − b|^{1/L}) bound |s_i(A)^{2/L} − s_i(W_1ᵀW_1)| by
    /// E^{1/L}, so Σ f_α(s_i(A)^{2/L}) ≤ Σ f_α(s_i(W_1ᵀW_1)) + k·Lip(f_α)·E^{1/L}; the rank round-off of
    /// `Region.roundOffBound` is added.
    let c2Tolerance (p: RegionParams) (task: Task) (lambda: float) (net: Network) =
        let depth = net.Depth

        let g =
            Loss.gradient task lambda net
            |> Array.map (fun m -> sqrt (Linalg.squaredFrobenius m))

        let w = Network.layerSquaredNorms net |> Array.map sqrt
        let mu = w |> Array.map (fun x -> x * x) |> Array.max

        let e =
            [
                for l in 1 .. depth - 1 -> float (depth - l) * (w.[l] * g.[l] + g.[l - 1] * w.[l - 1]) / (2.0 * lambda)
            ]
            |> List.sum

        let n = (Array.max (Network.widths net)) + 2

        let bigE =
            mu ** float (depth - 1) * e
            + 4.0 * float depth * Tolerance.gamma n * mu ** float depth

        let k = float (min task.DOut task.DIn)

        k * FAlpha.lipschitz p.Family p.Alpha * bigE ** (1.0 / float depth)
        + (Region.roundOffBound p net).Rank

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

    /// C2 without the B_r hypothesis (its negative control) at the exact critical point of root choice `ch`
    /// (D7, fully observed task): the region of `boundaryRegion` (piecewise f_α, α at the smallest positive
    /// s_i(A)^{2/L}, ε2 = 0.25) with r lowered by one. Some(quantity Σ f_α(s_i(A)^{2/L}), r + ε2, tolerance
    /// `c2Tolerance`), None when the choice has no critical point or only A = 0.
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
            let qa = Region.productApproximateRank p.Family p.Alpha depth (Network.product net)
            Some(qa, float p.R + p.Eps2, c2Tolerance p tk lambda net)
        | _ -> None

    /// C2 at one point: when θ ∈ B_r, compares Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}) with r + ε2 (tolerance
    /// `c2Tolerance`). Returns None when θ ∉ B_r, else (quantity − (r + ε2), tolerance, verdict).
    let criticalPointCheck
        (p: RegionParams)
        (task: Task)
        (lambda: float)
        (net: Network)
        : (float * float * Verdict) option =
        if not (Region.contains p net) then
            None
        else
            let qa =
                Region.productApproximateRank p.Family p.Alpha net.Depth (Network.product net)

            let excess = qa - (float p.R + p.Eps2)
            let tol = c2Tolerance p task lambda net

            let v =
                if excess > tol then Verdict.Counterexample
                elif excess > 0.0 then Verdict.Inconclusive
                else Verdict.Holds

            Some(excess, tol, v)

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

    /// C2 on `budget.Cases` D7 tasks (every root choice) and `budget.Cases / 4` partially observed tasks
    /// solved numerically (converged points only; tolerance from the residual through `c2Tolerance`).
    let checkC2 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let results = ResizeArray<string * float * float * Verdict>()
        let mutable d7Points = 0
        let mutable solved = 0
        let mutable notConverged = 0

        for i in 0 .. budget.Cases - 1 do
            let tk, depth, lambda, hidden, rng0 = randomD7Case budget.Seed i 4 2 5
            let mutable rng = rng0
            let k = min tk.DOut tk.DIn

            for ch in allChoices k do
                match CriticalPoints.exactFullyObserved tk lambda hidden ch with
                | Error _ -> ()
                | Ok(net, a) ->
                    d7Points <- d7Points + 1

                    let family, alpha, eps2 =
                        familyAndAlpha &rng (a |> Array.map (fun x -> x ** (2.0 / float depth)))

                    let p = boundaryRegion family alpha eps2 net

                    match criticalPointCheck p tk lambda net with
                    | Some(ex, tol, v) ->
                        results.Add(
                            sprintf
                                "D7 %dx%d L=%d lambda=%.3g choices %A r=%d alpha=%.3g eps2=%.3g %s"
                                tk.DOut
                                tk.DIn
                                depth
                                lambda
                                ch
                                p.R
                                alpha
                                eps2
                                (FAlpha.name family),
                            ex,
                            tol,
                            v
                        )
                    | None -> ()

        for i in 0 .. max 1 (budget.Cases / 4) - 1 do
            let mutable rng = Rng.stream (budget.Seed ^^^ 0xC2UL) (uint64 i)
            let ts = Generators.taskSpec &rng 3 0.5 2.0
            let tk = Generators.task ts
            let depth = 2 + Rng.nextInt &rng 3

            let widths =
                Array.concat [ [| tk.DIn |]; Array.init (depth - 1) (fun _ -> 3); [| tk.DOut |] ]

            let lambda = 0.002 + 0.05 * Rng.nextFloat &rng
            let start, r1 = Network.gaussian rng (0.3 + Rng.nextFloat &rng) widths
            rng <- r1
            let sol = CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 3000 start

            if sol.Converged then
                solved <- solved + 1

                let xs =
                    Linalg.singularValues (Network.product sol.Network)
                    |> Array.map (fun x -> x ** (2.0 / float depth))

                let family, alpha, eps2 = familyAndAlpha &rng xs
                let p = boundaryRegion family alpha eps2 sol.Network

                match criticalPointCheck p tk lambda sol.Network with
                | Some(ex, tol, v) ->
                    results.Add(
                        sprintf
                            "solved %dx%d N=%d L=%d lambda=%.3g residual %.2g r=%d alpha=%.3g eps2=%.3g %s"
                            tk.DOut
                            tk.DIn
                            tk.N
                            depth
                            lambda
                            sol.RelativeResidual
                            p.R
                            alpha
                            eps2
                            (FAlpha.name family),
                        ex,
                        tol,
                        v
                    )
                | None -> ()
            else
                notConverged <- notConverged + 1

        let within =
            results
            |> Seq.filter (fun (_, _, _, v) -> v = Verdict.Inconclusive)
            |> Seq.length

        let cov =
            sprintf
                "%d D7 points, %d solved critical points (%d solver runs not converged, skipped); %d checked in B_r, %d of them at the exact rank boundary within round-off; largest excess %s"
                d7Points
                solved
                notConverged
                results.Count
                within
                (results
                 |> Seq.map (fun (_, e, _, _) -> e)
                 |> Seq.toList
                 |> summary List.max "%.3g")

        progress ("C2: " + cov)

        let bad =
            [
                for (d, e, t, v) in results do
                    if v <> Verdict.Holds then
                        yield
                            {
                                Claim = "C2"
                                Description = d
                                Violation = e
                                Bound = t
                                Status = v
                                Replay = sprintf "lowrank verify --seed %d" budget.Seed
                            }
            ]

        {
            Claim = "C2"
            Name = "Critical points"
            Statement =
                "critical points in B_r satisfy sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) <= r + eps2 (D7 points, every root choice; solver points up to their residual)"
            Verdict = combine (results |> Seq.map (fun (_, _, _, v) -> v))
            CasesTried = results.Count
            NonTrivialCases = 0
            NonTrivialCriterion = "not assessed yet"
            NonTrivialRequired = budget.MinNonTrivial
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = []
            Counterexamples = bad
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

    /// C3: runs SGD drawing only from `entries` (the witness sequence is the draws of `rng`), checking
    /// membership every `checkEvery` steps, up to `maxSteps`. A point counts as reached only when every
    /// slack of B_r is at least its round-off bound (measurement and the steps' accumulated round-off,
    /// `Region.slackAndBoundDrift`), never on noise.
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
        // A witness must be inside B_r by more than round-off: every slack at least its round-off bound,
        // the steps' accumulated round-off included (`Region.stepRoundOff`).
        let clearlyInside (net: Network) =
            let s, b = Region.slackAndBoundDrift drift p net
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

    /// C3's mechanism case (choice constants, outside the C1 regime on purpose): a fully observed task
    /// k × k' (k, k' ∈ 2..4) whose target has full rank k_min > r, L = 3, hidden widths k_min, weak decay
    /// λ = 0.005 and η = 0.1 (2ηλ = 10⁻³), B_r with r ∈ 1..k_min − 1, α = 0.05, ε1 = 0.05, ε2 = 0.5, C = 5
    /// (piecewise f_α), a Gaussian start (entries N(0, 0.36)) outside B_r. Unrestricted SGD keeps fitting
    /// the data's extra directions; draws restricted to r rows let every other row of W_L decay.
    let mechanismCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let dOut = 2 + Rng.nextInt &rng 3
        let dIn = 2 + Rng.nextInt &rng 3
        let k = min dOut dIn

        let ts =
            {
                DOut = dOut
                DIn = dIn
                TargetRank = k
                Scale = 1.0
                Kind = TaskKind.Full
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

        let widths = [| dIn; k; k; dOut |]
        let mutable start, r1 = Network.gaussian rng 0.6 widths

        while Region.contains p start do
            let s', r' = Network.gaussian r1 0.6 widths
            start <- s'
            r1 <- r'

        tk, p, { Eta = 0.1; Lambda = 0.005 }, start, r1

    /// C3's mechanism on one case: (restricted witness, unrestricted run) with the same budget, checking
    /// every 10 steps.
    let mechanism (seed: uint64) (index: int) (maxSteps: int64) =
        let tk, p, hyper, start, rng0 = mechanismCase seed index
        let mutable rng = rng0
        let entries = restrictedEntries &rng tk p.R (Rng.nextInt &rng 2 = 0)
        let w = witness tk hyper p start entries maxSteps 10L rng
        let all = witness tk hyper p start tk.Observed maxSteps 10L rng
        tk, p, w, all

    /// C3 on `budget.Cases / 4` random starts outside B_r (at least 2).
    let checkC3 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()

        let runs =
            [
                for i in 0 .. max 2 (budget.Cases / 4) - 1 do
                    let tk, depth, widths, p, hyper, rng0 =
                        randomSimulationCase (budget.Seed ^^^ 0xC3UL) i

                    let mutable rng = rng0
                    let start, r1 = outsideStart rng p widths
                    rng <- r1
                    let entries = restrictedEntries &rng tk p.R (Rng.nextInt &rng 2 = 0)

                    let w =
                        witness
                            tk
                            hyper
                            p
                            start
                            entries
                            budget.SimulationSteps
                            (max 1L (budget.SimulationSteps / 1000L))
                            rng

                    yield tk, depth, p, hyper, w
            ]

        let mech =
            [
                for i in 0 .. max 2 (budget.Cases / 16) - 1 ->
                    mechanism (budget.Seed ^^^ 0xC333UL) i (max budget.SimulationSteps 20000L)
            ]

        let mechReached = mech |> List.filter (fun (_, _, w, _) -> w.Reached) |> List.length
        let mechAll = mech |> List.filter (fun (_, _, _, a) -> a.Reached) |> List.length
        let reached = runs |> List.filter (fun (_, _, _, _, w) -> w.Reached)
        let ts = reached |> List.map (fun (_, _, _, _, w) -> float w.Steps)

        let cov =
            sprintf
                "%d of %d starts reached B_r; T median %s, max %s; log P(path) min %s"
                reached.Length
                runs.Length
                (summary median "%.0f" ts)
                (summary List.max "%.0f" ts)
                (reached
                 |> List.map (fun (_, _, _, _, w) -> w.LogProbPath)
                 |> summary List.min "%.3g")

        let cov =
            cov
            + sprintf
                "; mechanism (weak decay, data of rank > r): restricted draws reached B_r in %d of %d cases, unrestricted SGD in %d"
                mechReached
                mech.Length
                mechAll

        progress ("C3: " + cov)

        let undecided =
            [
                for (tk, p, w, _) in mech do
                    if not w.Reached then
                        yield
                            {
                                Claim = "C3"
                                Description =
                                    sprintf
                                        "mechanism case: no witness within %d steps: task %dx%d, r=%d"
                                        w.Steps
                                        tk.DOut
                                        tk.DIn
                                        p.R
                                Violation = 0.0
                                Bound = 0.0
                                Status = Verdict.Inconclusive
                                Replay = sprintf "lowrank verify --seed %d" budget.Seed
                            }
                for (tk, depth, p, hyper, w) in runs do
                    if not w.Reached then
                        yield
                            {
                                Claim = "C3"
                                Description =
                                    sprintf
                                        "no witness within %d steps: task %dx%d N=%d, L=%d, r=%d, eta=%.3g, lambda=%.3g, %d restricted entries"
                                        w.Steps
                                        tk.DOut
                                        tk.DIn
                                        tk.N
                                        depth
                                        p.R
                                        hyper.Eta
                                        hyper.Lambda
                                        w.Entries.Length
                                Violation = 0.0
                                Bound = 0.0
                                Status = Verdict.Inconclusive
                                Replay = sprintf "lowrank verify --seed %d" budget.Seed
                            }
            ]

        {
            Claim = "C3"
            Name = "Reachability"
            Statement =
                "from theta outside B_r, drawing only entries of r chosen rows (or columns) reaches B_r in finite T (derived regime, eta = etaMax; and a weak-decay mechanism case where the data ask for rank > r)"
            Verdict =
                (if undecided.IsEmpty then
                     Verdict.Holds
                 else
                     Verdict.Inconclusive)
            CasesTried = runs.Length + mech.Length
            NonTrivialCases = 0
            NonTrivialCriterion = "not assessed yet"
            NonTrivialRequired = budget.MinNonTrivialRuns
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = []
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

    /// Runs `steps` uniform SGD steps with the engine, checking B_r after every step when steps ≤ `maxChecks`
    /// (else every ⌈steps / maxChecks⌉ steps); records the first hit and any later exit (an exit counts only
    /// beyond the round-off bound with the steps' accumulated round-off, `Region.roundOffBoundAt`; a
    /// non-finite state after the hit is an exit).
    let absorption
        (task: Task)
        (hyper: Hyper)
        (p: RegionParams)
        (start: Network)
        (steps: int64)
        (rng: Rng)
        : AbsorptionResult =
        let every = max 1L ((steps + maxChecks - 1L) / maxChecks)
        let st = Engine.create task start
        let mutable r = rng
        let mutable hit = if Region.contains p start then Some 0L else None
        let mutable exit = None
        let mutable roundOff = 0
        let mutable t = 0L
        let mutable ok = true
        let mutable prev = start
        let mutable drift = [||]

        while ok && exit.IsNone && t < steps do
            let n = min every (steps - t)
            ok <- Engine.run st hyper &r n
            t <- t + n
            let net = Engine.toNetwork st

            if not ok || not (net.W |> Array.forall Linalg.isFinite) then
                ok <- false

                if hit.IsSome then
                    exit <- Some(t, infinity, 0.0)
            else
                let s = Region.slack p net
                // the computed run drifts from the exact one by the steps' round-off (`Region.stepRoundOff`)
                drift <- Region.stepRoundOff drift n hyper.Eta (2.0 * hyper.Eta * hyper.Lambda) task prev net
                prev <- net

                match hit with
                | None ->
                    if s.Min >= 0.0 then
                        hit <- Some t
                | Some _ ->
                    if s.Min < 0.0 then
                        let b = Region.roundOffBoundAt drift p net

                        let over =
                            [ -s.Balancedness - b.Balancedness; -s.Rank - b.Rank; -s.Bounded - b.Bounded ]
                            |> List.max

                        if over > 0.0 then
                            exit <- Some(t, -s.Min, -s.Min - over)
                        else
                            roundOff <- roundOff + 1

        {
            HitTime = hit
            Exit = exit
            RoundOffExits = roundOff
            CheckEvery = every
            Final = Engine.toNetwork st
        }

    /// C4 on `budget.Cases / 4` runs (at least 2): half start outside B_r, half at a C1 point of B_r.
    let checkC4 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()

        let runs =
            [
                for i in 0 .. max 2 (budget.Cases / 4) - 1 do
                    if i % 2 = 0 then
                        let tk, depth, widths, p, hyper, rng0 =
                            randomSimulationCase (budget.Seed ^^^ 0xC4UL) i

                        let start, r1 = outsideStart rng0 p widths

                        yield
                            sprintf
                                "outside start, task %dx%d N=%d, L=%d, r=%d, eta=%.3g, lambda=%.3g"
                                tk.DOut
                                tk.DIn
                                tk.N
                                depth
                                p.R
                                hyper.Eta
                                hyper.Lambda,
                            absorption tk hyper p start budget.SimulationSteps r1
                    else
                        let c, _ = randomClosureCase (budget.Seed ^^^ 0xC4UL) i

                        if
                            Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
                            && Region.contains c.Region c.Point
                        then
                            yield
                                sprintf
                                    "start in B_r, task %dx%d N=%d, L=%d, r=%d, eta=%.3g, lambda=%.3g"
                                    c.Task.DOut
                                    c.Task.DIn
                                    c.Task.N
                                    c.Depth
                                    c.Region.R
                                    c.Hyper.Eta
                                    c.Hyper.Lambda,
                                absorption
                                    c.Task
                                    c.Hyper
                                    c.Region
                                    c.Point
                                    budget.SimulationSteps
                                    (Rng.stream budget.Seed (uint64 (1000 + i)))
            ]

        let entered = runs |> List.filter (fun (_, a) -> a.HitTime.IsSome)
        let hits = entered |> List.map (fun (_, a) -> float a.HitTime.Value) |> List.sort

        let cov =
            sprintf
                "%d of %d runs entered B_r within %d steps (hit time median %s, max %s); %d round-off-level exits"
                entered.Length
                runs.Length
                budget.SimulationSteps
                (summary median "%.0f" hits)
                (summary List.max "%.0f" hits)
                (runs |> List.sumBy (fun (_, a) -> a.RoundOffExits))

        progress ("C4: " + cov)

        let bad =
            [
                for (d, a) in runs do
                    match a.Exit with
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

        {
            Claim = "C4"
            Name = "Absorption"
            Statement =
                "SGD runs (derived regime) that enter B_r never leave it; hitting times are finite (checked after every step)"
            Verdict =
                (if not bad.IsEmpty then Verdict.Counterexample
                 elif 2 * entered.Length >= runs.Length then Verdict.Holds
                 else Verdict.Inconclusive)
            CasesTried = runs.Length
            NonTrivialCases = 0
            NonTrivialCriterion = "not assessed yet"
            NonTrivialRequired = budget.MinNonTrivialRuns
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = []
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
                    "E1 regime (eps = %g, L = %d, width %d, W_l = I, eta = %g, lambda = %g, %d steps; C6's own %d SGD chains, %d SDE chains and GD control, seed ^ 0xC6, every step monitored): GD stays at rank 2 while SGD is absorbed at rank 1, and the SDE chain with SGD's exact per-step mean and covariance (Euler-Maruyama, Sde.stepEngine) is not: no SDE chain that entered B_1 at rank 1 stays there (no return, collapse or divergence) to the end of the budget. Secondary: GD from a perturbed Hessian-confirmed rank-2 minimum keeps rank 2"
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

    /// C7 on one task: (verdict, ranks of Hessian-confirmed minima, description). Counterexample when an
    /// expected minimum (Large roots on the leading singular values, Zero on the rest) has an eigenvalue below
    /// −tol, or fewer than two ranks of minima are confirmed; an expected saddle (a Small root, or a Zero
    /// before a Large) without a clearly negative eigenvalue is Inconclusive.
    let multipleMinima (task: Task) (depth: int) (lambda: float) (hidden: int[]) =
        let pts = d7Hessians task lambda hidden
        // Expected minima: Large roots on a prefix of the (descending) singular values, Zero after it. Zero
        // before a Large, or any Small root, is expected to be a saddle (rotating a kept direction toward a
        // larger dropped one, or moving a small root toward its larger one, lowers the loss).
        let isMinChoice (p: D7Hessian) =
            let m =
                p.Choices
                |> Array.tryFindIndex (fun c -> c <> RootChoice.Large)
                |> Option.defaultValue p.Choices.Length

            p.Choices |> Array.forall (fun c -> c <> RootChoice.Small)
            && p.Choices |> Array.skip m |> Array.forall (fun c -> c = RootChoice.Zero)

        let confirmed = pts |> List.filter (fun p -> p.MinEigenvalue >= -p.Tolerance)
        let ranks = confirmed |> List.map (fun p -> p.Rank) |> List.distinct |> List.sort

        let badMin =
            pts |> List.filter (fun p -> isMinChoice p && p.MinEigenvalue < -p.Tolerance)

        let weakSaddle =
            pts
            |> List.filter (fun p -> not (isMinChoice p) && p.MinEigenvalue >= -p.Tolerance)

        let verdict =
            if ranks.Length < 2 || not badMin.IsEmpty then
                Verdict.Counterexample
            elif not weakSaddle.IsEmpty then
                Verdict.Inconclusive
            else
                Verdict.Holds

        let desc =
            sprintf
                "fully observed %dx%d L=%d lambda=%.3g: %d D7 points, minima ranks %A, %d expected minima with a negative eigenvalue, %d expected saddles without one"
                task.DOut
                task.DIn
                depth
                lambda
                pts.Length
                ranks
                badMin.Length
                weakSaddle.Length

        verdict, ranks, desc

    /// C7 on `budget.Cases / 4` (at least 2) fully observed tasks up to 3×3, L ∈ 3..5.
    let checkC7 (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let sw = System.Diagnostics.Stopwatch.StartNew()

        let results =
            [
                for i in 0 .. max 2 (budget.Cases / 4) - 1 ->
                    let tk, depth, lambda, hidden, _ = randomD7Case (budget.Seed ^^^ 0xC7UL) i 3 3 5 in
                    multipleMinima tk depth lambda hidden
            ]

        let rankCounts = results |> List.countBy (fun (_, r, _) -> r.Length)
        let cov = sprintf "tasks by number of distinct minimum ranks: %A" rankCounts
        progress ("C7: " + cov)

        {
            Claim = "C7"
            Name = "Multiple minima"
            Statement =
                "for L >= 3 the fully observed loss has local minima of at least two ranks (D7 points, Hessian min eigenvalue >= -tol; Small-root saddles negative)"
            Verdict = combine (results |> List.map (fun (v, _, _) -> v))
            CasesTried = results.Length
            NonTrivialCases = 0
            NonTrivialCriterion = "not assessed yet"
            NonTrivialRequired = budget.MinNonTrivial
            BoundaryCoverage = cov
            Seconds = sw.Elapsed.TotalSeconds
            Cases = []
            Counterexamples =
                [
                    for (v, _, d) in results do
                        if v <> Verdict.Holds then
                            yield
                                {
                                    Claim = "C7"
                                    Description = d
                                    Violation = 0.0
                                    Bound = 0.0
                                    Status = v
                                    Replay = sprintf "lowrank verify --seed %d" budget.Seed
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
            closureControl
                "C1 with eta = 30 x etaMax"
                Sgd.step
                (fun i ->
                    let c = baseCase i in

                    { c with
                        Hyper =
                            { c.Hyper with
                                Eta = 30.0 * c.Hyper.Eta
                            }
                    })
                budget
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
                    let tk, depth, lambda, hidden, _ = randomD7Case (budget.Seed ^^^ 0xC7C7UL) i 3 2 2
                    let v, _, d = multipleMinima tk depth lambda hidden
                    if v = Verdict.Counterexample then Some d else None)
                progress
        |]
