namespace LowRankVerify.Theory

/// What the claim checks share: verdicts over cases, summaries in words, timing, replays, the negative-control
/// search, certificate values, and the parameters and records of the claims checked on E1's chains (C5, C6).
[<RequireQualifiedAccess>]
module Check =

    /// Median of a non-empty list (the upper one for an even count).
    let median (xs: float list) =
        let sorted = List.sort xs
        sorted.[sorted.Length / 2]

    /// `stat xs` printed with `format`, or "none" for an empty list: coverage lines never print NaN.
    let summary (stat: float list -> float) (format: Printf.StringFormat<float -> string>) (xs: float list) =
        if xs.IsEmpty then "none" else sprintf format (stat xs)

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

    /// `f ()` and the wall-clock seconds it took.
    let timed (f: unit -> 'a) =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let x = f ()
        x, sw.Elapsed.TotalSeconds

    /// x when it is finite, else `fallback` (case records hold finite numbers only).
    let finiteOr (fallback: float) (x: float) =
        if System.Double.IsFinite x then x else fallback

    /// The replay of a case of `claim`'s check in the verify run of `budget` (`Case`: its index in the claim's
    /// `--cases-out` file, when the replay points at one).
    let replay (claim: ClaimId) (budget: CheckBudget) (case: int option) : Replay =
        {
            Claim = claim
            Seed = budget.Seed
            Case = case
        }

    /// A negative control: `attempt i` for i = 0, 1, … until it returns a failing case (in words) or `count`
    /// attempts are spent; the control failed as expected when one was found.
    let control
        (name: string)
        (claim: ClaimId)
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

    /// The certificate's numbers as case-record values (`CaseRecord.Values`): the minimum's rank, residual
    /// and its target, the Hessian's smallest eigenvalue and its tolerance, the rank threshold, the product's
    /// singular values, the solver's start and iterations, and the minimum's layers.
    let certificateValues (c: MinimumCertificate) : (string * CaseValue) list =
        [
            "minimumRank", CaseValue.Integer(int64 c.Rank)
            "minimumResidual", CaseValue.Number c.Residual
            "minimumResidualTarget", CaseValue.Number c.ResidualTarget
            "minimumHessianMinEigenvalue", CaseValue.Number(finiteOr 0.0 c.MinEigenvalue)
            "minimumHessianChecked", CaseValue.Flag(System.Double.IsFinite c.MinEigenvalue)
            "minimumHessianTolerance", CaseValue.Number c.EigenTolerance
            "minimumRankThreshold", CaseValue.Number NonTriviality.rankThreshold
            "minimumSingularValues", CaseValue.Numbers c.SingularValues
            "minimumSolverStart", CaseValue.Text c.Start
            "minimumSolverIterations", CaseValue.Integer(int64 c.Iterations)
            "minimum", CaseValue.Networks [| c.Minimum |]
        ]

    /// Threads of C5's and C6's E1 runs (results do not depend on it).
    [<Literal>]
    let e1ClaimThreads = 2

    /// E1's parameters for C5 and C6 (THEORY.md §5, `E1.defaults`: ε = 0.1, L = 4, width 2, W_ℓ = I,
    /// η = 0.5, λ = 0.02, 3·10⁶ steps, B_1 of `E1.jumpRegion`): `perRun`·`budget.MinNonTrivialRuns`
    /// chains (not every chain is non-trivial), master seed `budget.Seed ^^^ tag`, no offshoots, with or
    /// without SDE chains.
    let e1ClaimParams (budget: CheckBudget) (tag: uint64) (perRun: int) (withSde: bool) : E1Params =
        let seeds = max 1 (perRun * budget.MinNonTrivialRuns)

        { E1.defaults with
            Seeds = seeds
            Sde = withSde
            Seed = budget.Seed ^^^ tag
            Offshoots = 0
        }

    /// A run of E1 as plain data: the task, the start W_ℓ = I, B_1's constants, η, λ, and what replays it
    /// (kind, chain, the initial state of its random stream, steps, the entry rule) with every monitored event.
    let e1RunRecord
        (claim: ClaimId)
        (index: int)
        (p: E1Params)
        (r: E1Run)
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
                 | E1RunKind.Sgd -> "E1 SGD run"
                 | E1RunKind.Gd -> "E1 GD run"
                 | E1RunKind.Sde -> "E1 SDE run")
            Task = Some(E1.task p)
            Layers = Some(E1.start p)
            Region = Some(E1.jumpRegion p)
            Eta = Some p.Eta
            Lambda = Some p.Lambda
            Verdict = verdict
            NonTrivial = nonTrivial
            Values =
                [
                    "chain", CaseValue.Integer(int64 r.Chain)
                    "stream", CaseValue.Seed (E1.streamOf p r.Kind r.Chain).State
                    "steps", CaseValue.Integer p.Steps
                    "rule",
                    CaseValue.Text(
                        match r.Kind with
                        | E1RunKind.Sgd ->
                            "SGD: each step draws entry k = Rng.nextInt(stream, N) of the observed list (SplitMix64, Lemire) and takes W_l <- (1 - 2 eta lambda) W_l + eta r a_l b_l^T"
                        | E1RunKind.Gd -> "GD: W_l <- W_l - eta grad L_lambda (full batch)"
                        | E1RunKind.Sde ->
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
                    "maxRelativeExcessAfterJump", CaseValue.Number(finiteOr -1.0 e.MaxExcessAfterJump)
                ]
                @ extra
        }
