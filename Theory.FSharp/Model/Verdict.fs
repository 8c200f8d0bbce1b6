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

/// One violation found by a check or a hunt.
type Counterexample =
    {
        /// Claim ID, "C1" … "C7".
        Claim: string
        /// What was run: parameters, shapes, entry, in words a reader can follow.
        Description: string
        /// Size of the violation (for C1: minus the most negative slack after the step).
        Violation: float
        /// Round-off bound of the violated quantity for that case.
        Bound: float
        /// `Counterexample` when Violation > Bound, else `Inconclusive`.
        Status: Verdict
        /// Command line that replays it.
        Replay: string
    }
