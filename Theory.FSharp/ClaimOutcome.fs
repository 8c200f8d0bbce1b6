namespace LowRankVerify.Theory

/// One value of a case record beyond its task, layers, region and step sizes (`CaseRecord.Values`).
[<RequireQualifiedAccess>]
type CaseValue =
    /// A finite real number (a violation, a bound, a slack, an α …).
    | Number of float
    /// An integer (a step count, a hit time, an index).
    | Integer of int64
    /// A random-number state or seed (`Rng`: one uint64, SplitMix64), kept exact.
    | Seed of uint64
    /// A yes/no fact (reached, converged, entered).
    | Flag of bool
    /// Free text (root choices, the rule a case was built by).
    | Text of string
    /// A vector of reals (singular values, per-layer quantities).
    | Numbers of float[]
    /// Zero-based entries (i, j) of the target (a restricted draw set S, a worst entry).
    | Entries of (int * int)[]
    /// Further networks (e.g. the point a run ended at), each as its layers W_1 … W_L.
    | Networks of Network[]

/// Every input and result of one case that a claim check tried, in plain data: enough to re-check the
/// case from the record alone (`lowrank verify --cases-out`, one JSON object a line per claim).
type CaseRecord =
    {
        /// Claim ID, "C1" … "C7".
        Claim: string
        /// Position of the case in the check's sequence (zero-based).
        Index: int
        /// What was checked: "closure step", "critical point", "witness run", "absorption run", ….
        Kind: string
        /// The task (`A*` and the observed set I), when the case has one.
        Task: Task option
        /// The network θ the case starts from (a point of B_r, a critical point, a run's start).
        Layers: Network option
        /// The region B_r's constants, when the case is checked against one.
        Region: RegionParams option
        /// η, when the case takes steps.
        Eta: float option
        /// λ of the loss L_λ.
        Lambda: float option
        /// The case's own verdict (Holds, Counterexample, Inconclusive; never Vacuous).
        Verdict: Verdict
        /// True when the case meets the claim's non-triviality criterion: the claim could have failed on it.
        NonTrivial: bool
        /// Everything else needed to re-check it and what was measured, by name (entry, seeds, steps,
        /// violation and bound, certificates of non-triviality, …).
        Values: (string * CaseValue) list
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
        /// The verdict: Holds only when no case failed AND at least `NonTrivialRequired` cases were
        /// non-trivial; Vacuous when none failed but fewer could have.
        Verdict: Verdict
        /// Number of cases (points, runs, critical points) tried.
        CasesTried: int
        /// Cases on which the claim could have failed (`NonTrivialCriterion`).
        NonTrivialCases: int
        /// The non-triviality criterion, one sentence.
        NonTrivialCriterion: string
        /// The least number of non-trivial cases for the verdict Holds (`CheckBudget`).
        NonTrivialRequired: int
        /// How many cases came close to each boundary, in words (empty when not applicable).
        BoundaryCoverage: string
        /// Wall-clock seconds spent.
        Seconds: float
        /// Violations found (empty when the claim holds).
        Counterexamples: Counterexample list
        /// Every case tried, as plain data (for `--cases-out`).
        Cases: CaseRecord list
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
        /// Least number of non-trivial cases for a property claim (C1, C2, C6, C7) to hold.
        MinNonTrivial: int
        /// Least number of non-trivial runs for a simulation claim (C3, C4, C5) to hold.
        MinNonTrivialRuns: int
    }

/// Claim-level verdicts from case verdicts and non-trivial counts.
[<RequireQualifiedAccess>]
module ClaimOutcome =

    /// The verdict of a claim whose cases gave `verdict` (Holds, Counterexample or Inconclusive) with
    /// `nonTrivial` non-trivial cases: Holds becomes Vacuous below `required`; the others stay.
    let withNonTrivial (required: int) (nonTrivial: int) (verdict: Verdict) =
        if verdict = Verdict.Holds && nonTrivial < required then
            Verdict.Vacuous
        else
            verdict

    /// The non-trivial count of a list of case records.
    let nonTrivialCount (cases: CaseRecord seq) =
        cases |> Seq.filter (fun c -> c.NonTrivial) |> Seq.length
