namespace LowRankVerify.Theory

/// Verdict of one claim check (THEORY.md §4): a violation counts as a counterexample only when it
/// exceeds the round-off bound of that case; otherwise it is inconclusive.
[<RequireQualifiedAccess>]
type Verdict =
    /// No violation found in the cases tried.
    | Holds
    /// A violation larger than its round-off bound.
    | Counterexample
    /// A violation within round-off, or a case the check could not decide.
    | Inconclusive
    /// Claim level only: no violation, but fewer cases than required could have failed (the claim's
    /// non-triviality criterion, `ClaimOutcome.NonTrivialCriterion`); evidence of nothing, like Inconclusive.
    | Vacuous

/// The verdict rule.
[<RequireQualifiedAccess>]
module Verdict =

    /// THEORY.md §4 status rule for one violation: Counterexample when violation > bound (confirmed),
    /// Inconclusive when 0 < violation ≤ bound (within round-off), else Holds.
    let ofViolation (violation: float) (bound: float) =
        if violation > bound then Verdict.Counterexample
        elif violation > 0.0 then Verdict.Inconclusive
        else Verdict.Holds
