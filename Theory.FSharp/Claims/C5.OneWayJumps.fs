namespace LowRankVerify.Theory

/// C5 One-way jumps (THEORY.md §2): SGD jumps from a higher-rank region to a lower-rank one with non-zero
/// probability, and never back. Checked in E1's regime: SGD chains monitored after every step; a return to rank 2
/// after entering B_1 at rank 1 is a counterexample (`check`); the SDE chains must return (the control).
[<RequireQualifiedAccess>]
module C5 =


    /// Seed tag of C5's E1 runs (mixed into the budget's seed), so that C5, C6 and verify's E1 section run
    /// independent chains.
    [<Literal>]
    let seedTag = 0xC5UL

    /// Chains per required non-trivial run of C5: an SGD chain of E1 jumps without collapsing within 3·10⁶
    /// steps in about 15 of 16 cases (measured, seed 1), so twice the required number leaves a wide margin.
    [<Literal>]
    let chainsPerRequiredRun = 2

    /// C5's verdict on one run: Counterexample when it returned to rank 2 after its jump (beyond the ratio's
    /// round-off, `E1MonitorState.Returns`), Inconclusive when a transition to rank 2 lay within round-off,
    /// else Holds.
    let verdict (r: E1Run) =
        if r.Returns > 0 then Verdict.Counterexample
        elif r.Events.RoundOffReturns > 0 then Verdict.Inconclusive
        else Verdict.Holds

    /// C5's non-triviality: the run was at rank 2 (the jump requires an earlier step at numerical rank 2),
    /// then entered B_1 at rank 1, and never collapsed to the zero network nor diverged
    /// (`E1Outcome.Jumped`): a run on which a return to rank 2 was possible.
    let nonTrivial (r: E1Run) = r.Outcome = E1Outcome.Jumped

    /// The non-triviality criterion of C5, one sentence.
    [<Literal>]
    let criterion =
        "SGD runs that were at numerical rank 2 (s2/s1 >= 1e-2, s1 >= 1e-3), then entered B_1 (E1.jumpRegion) at numerical rank 1 (s2/s1 < 1e-2) and never collapsed to the zero network (s1 < 1e-3) nor diverged within the budget"

    /// C5 on finished SGD runs of E1 (`Check.e1ClaimParams`): the outcome of `check` from its runs.
    let outcome (budget: CheckBudget) (p: E1Params) (runs: E1Run[]) : CheckResult =
        let k = E1.kindSummary E1RunKind.Sgd runs

        let records =
            runs
            |> Array.mapi (fun i r -> Check.e1RunRecord ClaimId.C5 i p r (verdict r) (nonTrivial r) [])
            |> Array.toList

        let bad =
            [
                for r in runs do
                    if r.Returns > 0 then
                        yield
                            {
                                Claim = ClaimId.C5
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
                                Replay = Check.replay ClaimId.C5 budget None
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
            BoundaryCoverage = cov
            Cases = records
            Counterexamples = bad
        }

    /// C5 (THEORY.md §2) in the E1 regime: `Check.e1ClaimParams budget seedTag chainsPerRequiredRun false` SGD chains (no SDE, no GD),
    /// monitored after every step; a return to rank 2 after entering B_1 is a counterexample.
    let check (budget: CheckBudget) (progress: string -> unit) : CheckResult =
        let p = Check.e1ClaimParams budget seedTag chainsPerRequiredRun false

        let runs =
            Array.init p.Seeds (fun s -> E1RunKind.Sgd, s)
            |> E1.runsOf p Check.e1ClaimThreads ignore

        let o = outcome budget p runs
        progress ("C5: " + o.BoundaryCoverage)
        o

    /// SDE chains tried by C5's negative control (`controls`): a return to rank 2 was measured in 9 of 200
    /// SDE chains at E1's parameters (4.5 %), so 400 chains miss one with probability below 10⁻⁷.
    [<Literal>]
    let controlChains = 400

    /// C5's negative control: the SDE chains (Gaussian noise of SGD's mean and covariance) in place of SGD return to
    /// rank 2; it must fail.
    let controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list =
        [
            fun budget progress ->
                let p = Check.e1ClaimParams budget seedTag chainsPerRequiredRun true

                Check.control
                    "C5 with the SDE chains (Gaussian noise of SGD's mean and covariance) in place of SGD"
                    ClaimId.C5
                    controlChains
                    (fun i ->
                        let r = E1.sdeChain p i

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
                    progress
        ]

    /// C5 in the registry (no hunt: C5 follows from C1 + C3, and its check monitors every step of E1's chains).
    let definition: ClaimDefinition =
        ClaimDefinition.asserted ClaimId.C5 "One-way jumps" criterion Required.Runs check controls None
