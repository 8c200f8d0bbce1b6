namespace LowRankVerify.Theory


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

/// C7 Multiple minima (THEORY.md §2, abstract): for L ≥ 3 the loss has local minima of different ranks. Checked
/// exactly on fully observed tasks: every D7 critical point classified by its Hessian (`multipleMinima`); the
/// check on a budget (`check`) and its negative control (L = 2: one rank of minima).
[<RequireQualifiedAccess>]
module C7 =

    /// Every existing D7 point of a fully observed task with its Hessian's smallest eigenvalue.
    let d7Hessians (task: Task) (lambda: float) (hidden: int[]) : D7Hessian list =
        let k = min task.DOut task.DIn

        [
            for ch in ClaimCases.allChoices k do
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
                            Tolerance = NonTriviality.hessianTolerance h
                        }
        ]

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

    /// C7's non-triviality criterion, one sentence.
    [<Literal>]
    let criterion =
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
            Claim = ClaimId.C7
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

    /// C7 on `budget.Cases / 3` (at least 2) fully observed tasks up to 3×3, L ∈ 3..5 (`ClaimCases.randomC7Case`).
    let check (budget: CheckBudget) (progress: string -> unit) : CheckResult =

        let results =
            [
                for i in 0 .. max 2 (budget.Cases / 3) - 1 ->
                    let tk, depth, lambda, hidden, j =
                        ClaimCases.randomC7Case (budget.Seed ^^^ 0xC7UL) i 3 3 5

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
            Statement =
                "for L >= 3 the fully observed loss has local minima of different ranks, two non-zero ranks wherever D7 predicts them (D7 points, Hessian min eigenvalue >= -tol; expected saddles negative)"
            Verdict = Check.claimVerdict (results |> List.map (fun (_, _, _, _, _, m) -> m.Verdict))
            CasesTried = results.Length
            NonTrivialCases = ClaimOutcome.nonTrivialCount records
            BoundaryCoverage = cov
            Cases = records
            Counterexamples =
                [
                    for (i, (_, _, _, _, _, m)) in List.indexed results do
                        if m.Verdict <> Verdict.Holds then
                            yield
                                {
                                    Claim = ClaimId.C7
                                    Description = m.Description
                                    Violation = 0.0
                                    Bound = 0.0
                                    Status = m.Verdict
                                    Replay = Check.replay ClaimId.C7 budget (Some i)
                                }
                ]
        }

    /// C7's negative control: for L = 2 the minima have a single rank; it must fail.
    let controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list =
        [
            fun budget progress ->
                Check.control
                    "C7 with L = 2 (one rank of minima)"
                    ClaimId.C7
                    (max 2 (budget.Cases / 4))
                    (fun i ->
                        let tk, depth, lambda, hidden, _ =
                            ClaimCases.randomC7Case (budget.Seed ^^^ 0xC7C7UL) i 3 2 2

                        let m = multipleMinima tk depth lambda hidden

                        if m.Verdict = Verdict.Counterexample then
                            Some m.Description
                        else
                            None)
                    progress
        ]

    /// C7 in the registry (no hunt: the check is exact, on D7's closed-form points).
    let definition: ClaimDefinition =
        ClaimDefinition.asserted ClaimId.C7 "Multiple minima" criterion Required.Cases check controls None
