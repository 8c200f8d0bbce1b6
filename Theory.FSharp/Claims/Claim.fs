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
        /// The claim whose check tried it.
        Claim: ClaimId
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

/// What replays a counterexample of a claim check, as data (the runner formats it as a command line through its
/// one formatter, `RunInfo.Replay`): `lowrank verify` at `Seed` (same tier) reruns the claim's check, and with
/// `--cases-out DIR` writes the case at `Case` of the claim's case file when the case is recorded by index.
type Replay =
    {
        /// The claim whose check found it.
        Claim: ClaimId
        /// The seed of the verify run (`CheckBudget.Seed`).
        Seed: uint64
        /// The case's index in the claim's `--cases-out` file (`CaseRecord.Index`), when the replay points at one.
        Case: int option
    }

/// One violation (or undecided case) found by a claim check.
type Counterexample =
    {
        /// The claim.
        Claim: ClaimId
        /// What was run: parameters, shapes, entry, in words a reader can follow.
        Description: string
        /// Size of the violation (for C1: minus the most negative slack after the step).
        Violation: float
        /// Round-off bound of the violated quantity for that case.
        Bound: float
        /// `Counterexample` when Violation > Bound, else `Inconclusive`.
        Status: Verdict
        /// What replays it.
        Replay: Replay
    }

/// Result of checking one claim on a budget.
type ClaimOutcome =
    {
        /// The claim.
        Claim: ClaimId
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
        /// The claim whose check is controlled.
        Claim: ClaimId
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

/// Which least number of non-trivial cases a claim's verdict needs (`CheckBudget`).
[<RequireQualifiedAccess>]
type Required =
    /// `MinNonTrivial`: claims checked on many cheap cases (C1, C2, C7, C1-E1).
    | Cases
    /// `MinNonTrivialRuns`: claims checked on simulated runs (C3, C4, C5, C6).
    | Runs

/// What a claim's check found on a budget. Verify adds the claim's ID, name, criterion, required count and the
/// seconds it took (`Verify.check`), and turns Holds into Vacuous below the required count.
type CheckResult =
    {
        /// The statement checked, with the regime it was checked in.
        Statement: string
        /// Holds, Counterexample or Inconclusive over the cases (`Check.claimVerdict`).
        Verdict: Verdict
        /// Number of cases (points, runs, critical points) tried.
        CasesTried: int
        /// Cases on which the claim could have failed (by the claim's criterion).
        NonTrivialCases: int
        /// How many cases came close to each boundary, in words (empty when not applicable).
        BoundaryCoverage: string
        /// Violations found (empty when the claim holds).
        Counterexamples: Counterexample list
        /// Every case tried, as plain data (for `--cases-out`).
        Cases: CaseRecord list
    }

/// A claim as the registry (`Claims.all`) holds it: its ID, its check, its negative controls and its hunt
/// objective. Verify, hunt, the reports and the tests iterate definitions; adding a claim is one file in Claims/
/// that defines one, one line in the registry and one test file (docs/adding-a-claim.md).
type ClaimDefinition =
    {
        /// Stable ID.
        Id: ClaimId
        /// Short name ("Closure", …).
        Name: string
        /// The non-triviality criterion, one sentence: which cases could have failed.
        Criterion: string
        /// An exploratory row: checked outside the regime where the claim is asserted, reported beside the claims
        /// with its own verdict, not part of verify's exit code (C1-E1).
        Exploratory: bool
        /// Which least number of non-trivial cases the verdict needs.
        Required: Required
        /// The check on a budget; the callback gets short progress lines.
        Check: CheckBudget -> (string -> unit) -> CheckResult
        /// The negative controls: the same check under violated hypotheses; each must fail.
        Controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list
        /// The hunt objective (`Hunt.hunter` of the claim's problem), when the claim has one.
        Hunter: Hunter option
    }

/// Building the registry entries of `Claims.all`.
[<RequireQualifiedAccess>]
module ClaimDefinition =

    /// The definition of a claim that verify asserts (not exploratory: its verdict is part of verify's exit
    /// code): its ID, short name, non-triviality criterion (one sentence), the unit of its required count
    /// (`Required.Cases` or `Required.Runs`), its check, its negative controls (each must fail) and its hunt
    /// objective (None when the claim has none). At least one control is required: a claim verify asserts
    /// without one could not show that its check can fail (an exploratory row is built by `exploratory`).
    let asserted
        (id: ClaimId)
        (name: string)
        (criterion: string)
        (required: Required)
        (check: CheckBudget -> (string -> unit) -> CheckResult)
        (controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list)
        (hunter: Hunter option)
        : ClaimDefinition =
        if List.isEmpty controls then
            invalidArg
                (nameof controls)
                (sprintf "claim %s has no negative control: an asserted claim needs at least one" id.Text)

        {
            Id = id
            Name = name
            Criterion = criterion
            Exploratory = false
            Required = required
            Check = check
            Controls = controls
            Hunter = hunter
        }

    /// An exploratory row (like C1-E1): checked outside the regime where the claim is asserted, reported beside
    /// the claims with its own verdict and non-trivial count, not part of verify's exit code; no controls, no
    /// hunter.
    let exploratory
        (id: ClaimId)
        (name: string)
        (criterion: string)
        (required: Required)
        (check: CheckBudget -> (string -> unit) -> CheckResult)
        : ClaimDefinition =
        {
            Id = id
            Name = name
            Criterion = criterion
            Exploratory = true
            Required = required
            Check = check
            Controls = []
            Hunter = None
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
