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

/// Result of checking one claim on a budget.
type ClaimOutcome =
    {
        /// Claim ID, "C1" … "C7".
        Claim: string
        /// Short name ("Closure", "Critical points", …).
        Name: string
        /// The statement checked, with the regime it was checked in.
        Statement: string
        /// The verdict.
        Verdict: Verdict
        /// Number of cases (points, runs, critical points) tried.
        CasesTried: int
        /// How many cases came close to each boundary, in words (empty when not applicable).
        BoundaryCoverage: string
        /// Wall-clock seconds spent.
        Seconds: float
        /// Violations found (empty when the claim holds).
        Counterexamples: Counterexample list
    }

/// Result of one negative control: the same check under violated hypotheses, which must fail.
type ControlOutcome =
    {
        /// Which control, e.g. "C1 with lambda = 0".
        Control: string
        /// Claim ID whose check is controlled.
        Claim: string
        /// True when the check failed as it must (a confirmed counterexample was found).
        FailedAsExpected: bool
        /// Cases tried until the first confirmed failure (or in all, when none was found).
        CasesTried: int
        /// Wall-clock seconds spent.
        Seconds: float
        /// The (first, smallest) failing case in words, empty when none.
        Example: string
    }

/// Budget of a claim-checking run (the test suite uses small ones, `lowrank verify` larger ones).
type CheckBudget =
    {
        /// Random cases per property.
        Cases: int
        /// Seed of the run; every case derives its stream from it.
        Seed: uint64
        /// SGD steps per simulated run (C3, C4, C5).
        SimulationSteps: int64
    }
