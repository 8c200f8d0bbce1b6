namespace LowRankVerify.Theory

/// What `lowrank verify` checked: every claim of a registry, its exploratory rows and every negative control.
type VerifyOutcome =
    {
        /// The claims' outcomes, in registry order (the exit code's part).
        Claims: ClaimOutcome[]
        /// The exploratory rows' outcomes (reported, not part of the exit code).
        Exploratory: ClaimOutcome[]
        /// The negative controls' outcomes, claim by claim in registry order.
        Controls: ControlOutcome[]
    }

/// Verify's core: checks a registry of claims (`Claims.all`, or any list of `ClaimDefinition`s) on a budget. The
/// progress callback gets the claim's ID and a short line.
[<RequireQualifiedAccess>]
module Verify =

    /// One claim's check on a budget, timed, with its identity and requirement: Holds only with at least the
    /// required number of non-trivial cases (else Vacuous, `ClaimOutcome.withNonTrivial`).
    let check (d: ClaimDefinition) (budget: CheckBudget) (progress: string -> unit) : ClaimOutcome =
        let r, seconds = Check.timed (fun () -> d.Check budget progress)

        let required =
            match d.Required with
            | Required.Cases -> budget.MinNonTrivial
            | Required.Runs -> budget.MinNonTrivialRuns

        {
            Claim = d.Id
            Name = d.Name
            Statement = r.Statement
            Verdict = ClaimOutcome.withNonTrivial required r.NonTrivialCases r.Verdict
            CasesTried = r.CasesTried
            NonTrivialCases = r.NonTrivialCases
            NonTrivialCriterion = d.Criterion
            NonTrivialRequired = required
            BoundaryCoverage = r.BoundaryCoverage
            Seconds = seconds
            Counterexamples = r.Counterexamples
            Cases = r.Cases
        }

    let private checkAll
        (exploratory: bool)
        (registry: ClaimDefinition list)
        budget
        (progress: ClaimId -> string -> unit)
        =
        registry
        |> List.filter (fun d -> d.Exploratory = exploratory)
        |> List.map (fun d -> check d budget (progress d.Id))
        |> Array.ofList

    /// The checks of the registry's claims (not the exploratory rows), in registry order.
    let claims (registry: ClaimDefinition list) (budget: CheckBudget) (progress: ClaimId -> string -> unit) =
        checkAll false registry budget progress

    /// The checks of the registry's exploratory rows: outside the regime where a claim is asserted, reported beside
    /// the claims and not part of the exit code (C1-E1).
    let exploratory (registry: ClaimDefinition list) (budget: CheckBudget) (progress: ClaimId -> string -> unit) =
        checkAll true registry budget progress

    /// Every negative control of the registry, claim by claim; each must fail (find a confirmed counterexample).
    let controls (registry: ClaimDefinition list) (budget: CheckBudget) (progress: ClaimId -> string -> unit) =
        [|
            for d in registry do
                for control in d.Controls do
                    yield control budget (progress d.Id)
        |]

    /// Claims, exploratory rows and controls of a registry on a budget.
    let run (registry: ClaimDefinition list) (budget: CheckBudget) (progress: ClaimId -> string -> unit) =
        let cs = claims registry budget progress
        let xs = exploratory registry budget progress

        {
            Claims = cs
            Exploratory = xs
            Controls = controls registry budget progress
        }

    /// True when every claim holds and every control failed as expected (verify's exit code 0).
    let passed (o: VerifyOutcome) =
        o.Claims |> Array.forall (fun c -> c.Verdict = Verdict.Holds)
        && o.Controls |> Array.forall (fun c -> c.FailedAsExpected)
