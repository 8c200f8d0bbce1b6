namespace LowRankVerify.Theory

/// C1 at the slides' operating point (issue #11): an EXPLORATORY row of verify's claims table, outside the derived
/// regime where C1 is asserted, reported with its own verdict and not part of the exit code. E1's task and
/// parameters, B_1 of `E1.jumpRegion`; one-step exits looked for at points of real SGD chains after their
/// jump and at perturbations of the rank-1 minimum toward B_1's boundary.
[<RequireQualifiedAccess>]
module C1E1 =

    /// Steps a chain of `check` may take to jump into B_1 at rank 1 (E1's default budget).
    [<Literal>]
    let jumpSteps = 3_000_000L

    /// Steps between the chain points `check` checks after a jump, and how many it checks per chain.
    let stride, pointsPerChain = 20L, 1000

    /// Relative distances δ of `check`'s perturbed points from B_1's boundary (`Generators.toBoundary`):
    /// from halfway to 10⁻¹² of the boundary.
    let deltas = [| 0.5; 0.1; 1e-3; 1e-6; 1e-9; 1e-12 |]

    /// C1-E1's non-triviality criterion, one sentence.
    [<Literal>]
    let criterion =
        "the task at this lambda admits a certified minimum of rank 2 > r = 1 (NonTriviality.certify) and the step moves some condition of B_1 by more than its round-off"

    /// C1 at the slides' operating point (issue #11; EXPLORATORY: outside the derived regime, reported and
    /// not part of verify's exit code): E1's task at `E1.defaults` (ε = 0.1, L = 4, width 2, η = 0.5,
    /// λ = 0.02) and B_1 with `E1.jumpRegion`'s constants. One-step exits (every observed entry,
    /// `closureDetailed`) are looked for (1) at points of real SGD chains after their jump: each chain (stream
    /// `Rng.stream (seed ^^^ 0xE1C1) k`) runs from W_ℓ = I until it is in B_1 at numerical rank 1 (checked every
    /// 1000 steps, at most `jumpSteps`), then every `stride` steps for `pointsPerChain` points; (2) at
    /// perturbations of the rank-1 minimum (the solver from a chain's jump point) along random directions,
    /// moved to δ of B_1's boundary (`deltas`). Non-trivial: the task at λ admits a certified minimum of
    /// rank 2 (`NonTriviality.certify`) and the step is visible above round-off.
    let check (budget: CheckBudget) (progress: string -> unit) : CheckResult =
        let prm = E1.defaults
        let tk = E1.task prm
        let p = E1.jumpRegion prm
        let hyper = { Eta = prm.Eta; Lambda = prm.Lambda }
        let start = E1.start prm
        let hidden = Network.hiddenWidths start
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
            let s1, s2 = E1.singularValues2 (Network.product net)
            Region.contains p net && E1.rankOf s1 s2 = 1

        // (1) chain points after the jump
        let chainRuns =
            [
                for k in 0 .. chains - 1 do
                    let st = Engine.create tk start
                    let mutable rng = Rng.stream (budget.Seed ^^^ 0xE1C1UL) (uint64 k)
                    let mutable t = 0L
                    let mutable ok = true
                    let mutable jumped = false

                    while ok && not jumped && t < jumpSteps do
                        ok <- Engine.run st hyper &rng 1000L
                        t <- t + 1000L

                        if ok then
                            jumped <- inB1AtRank1 (Engine.toNetwork st)

                    let jumpStep = if jumped then Some t else None
                    let points = ResizeArray()

                    if jumped then
                        let mutable n = 0

                        while ok && n < pointsPerChain do
                            let net = Engine.toNetwork st
                            let rngState = rng

                            if Region.contains p net then
                                let c = caseAt net
                                let r, vis = C1.closureDetailed Sgd.step c
                                points.Add(t, rngState, c, r, vis)

                            ok <- Engine.run st hyper &rng stride
                            t <- t + stride
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
                        let delta = deltas.[k % deltas.Length]
                        let net = Generators.toBoundary &rng p delta m

                        if Region.contains p net then
                            let c = caseAt net
                            let r, vis = C1.closureDetailed Sgd.step c
                            yield k, delta, c, r, vis
                ]
            | _ -> []

        let visibleOf (v: RegionSlack) = v.Max > 1.0

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
            deltas
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

        let regime = Regime.violatedText hyper p tk prm.Depth Regime.defaults.Rho

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
                regime

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

                { C1.closureEvidenceRecord i c construction ev with
                    Claim = ClaimId.C1E1
                })

        let bad =
            allPoints
            |> List.filter (fun (_, _, r, _) -> r.Verdict = Verdict.Counterexample)
            |> List.truncate 5
            |> List.map (fun (construction, c, r, _) ->
                C1.counterexample
                    ClaimId.C1E1
                    (construction + ": " + C1.describe c r)
                    r
                    (Check.replay ClaimId.C1E1 budget None))

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
            Statement =
                sprintf
                    "EXPLORATORY, outside the derived regime (reported, not part of the exit code): E1's task (eps = %g, L = %d, width %d), eta = %g, lambda = %g, B_1 with E1.jumpRegion (eps1 = %.3g, eps2 = %g, alpha = %.3g, C = %.3g, piecewise); one SGD step from points of B_1 near the rank-1 minimum stays in B_1 for every observed entry: %d points every %d steps after each chain's jump, and perturbations of the solver's rank-1 minimum toward B_1's boundary"
                    prm.Epsilon
                    prm.Depth
                    prm.Width
                    prm.Eta
                    prm.Lambda
                    p.Eps1
                    p.Eps2
                    p.Alpha
                    p.C
                    pointsPerChain
                    stride
            Verdict = verdict
            CasesTried = allPoints.Length
            NonTrivialCases = nonTrivial
            BoundaryCoverage = cov
            Cases = records
            Counterexamples = bad
        }

    /// C1-E1 in the registry: an exploratory row (not in verify's exit code), no controls, no hunt.
    let definition: ClaimDefinition =
        ClaimDefinition.exploratory
            ClaimId.C1E1
            "Closure at the slides' operating point (exploratory)"
            criterion
            Required.Cases
            check
