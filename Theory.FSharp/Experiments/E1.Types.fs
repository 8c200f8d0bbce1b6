namespace LowRankVerify.Theory

/// Parameters of the slides' experiment E1 (THEORY.md §5). Every one is stated in the report.
type E1Params =
    {
        /// ε of the task `[[1, 1/ε], [ε, 1]]` (entry (0, 1) unobserved, the test entry).
        Epsilon: float
        /// Depth L (number of weight matrices).
        Depth: int
        /// Hidden width n_1 = … = n_{L-1} (d_in = d_out = 2).
        Width: int
        /// Learning rate η of the main SGD run and of the gradient-descent control.
        Eta: float
        /// Regularisation λ of the main SGD run and of the gradient-descent control.
        Lambda: float
        /// SGD steps of each main run (and gradient-descent steps of the control).
        Steps: int64
        /// Number of independent SGD chains (seeds).
        Seeds: int
        /// With SDE chains (C6): every SGD chain s gets an SDE twin with the same θ_0, η, λ and steps, which
        /// draws its Gaussians from `Rng.stream (S ^^^ E1.sdeStreamTag) s`.
        Sde: bool
        /// Master seed S: chain s draws its entries from `Rng.stream S s`.
        Seed: uint64
        /// Offshoots per chain, branched at log-spaced steps.
        Offshoots: int
        /// Learning rate of the offshoots (smaller than η).
        OffshootEta: float
        /// Regularisation of the offshoots (smaller than λ).
        OffshootLambda: float
        /// Largest number of SGD steps an offshoot may take before it is declared unconverged.
        OffshootMaxSteps: int64
        /// Observation points per decade of the log-spaced step grid.
        ObservationsPerDecade: int
    }

/// Which dynamics a run of E1 follows from the common start (THEORY.md §1, §5; C6).
[<RequireQualifiedAccess>]
type E1RunKind =
    /// SGD: one observed entry drawn uniformly per step (`Engine.step`).
    | Sgd
    /// Full-batch gradient descent, the mean of the SGD step (D2; `E1.gdStep`).
    | Gd
    /// The SDE chain: Euler–Maruyama with SGD's exact per-step mean and covariance (`SdeEngine.step`).
    | Sde

/// What a run of E1 did within its budget (every step monitored, `E1MonitorState`). Exactly one applies.
[<RequireQualifiedAccess>]
type E1Outcome =
    /// Jumped (entered B_1 at numerical rank 1 after rank 2) and never collapsed nor diverged.
    | Jumped
    /// Collapsed to the zero network (s_1 < `E1Monitor.collapseThreshold` at some step), whether or not it
    /// passed B_1 at rank 1 on its way: a collapse is not a jump.
    | Collapsed
    /// A residual, weight or A_θ stopped being finite.
    | Diverged
    /// None of these: never jumped, collapsed or diverged within the budget.
    | Stayed

/// One observation of a run at a step of the log-spaced grid.
type E1Observation =
    {
        /// Steps taken so far.
        Step: int64
        /// s_1 of A_θ.
        S1: float
        /// s_2 of A_θ.
        S2: float
        /// s_2/s_1 of A_θ (0 when s_1 = 0).
        Ratio: float
        /// Error on the unobserved entry (0, 1): `Loss.testError`.
        TestError: float
        /// θ ∈ B_1 with the experiment's constants (`E1.jumpRegion`).
        InB1: bool
        /// Numerical rank of A_θ: 0 when s_1 < `E1Monitor.collapseThreshold`, 1 when s_2/s_1 <
        /// `E1Monitor.rankOneRatio`, else 2.
        Rank: int
    }

/// An offshoot: a run branched from a main run and continued with smaller η and λ to convergence.
type E1Offshoot =
    {
        /// Step of the main run at which it branched.
        BranchStep: int64
        /// SGD steps the offshoot took.
        Steps: int64
        /// True when the convergence test passed before `OffshootMaxSteps`.
        Converged: bool
        /// Test error at the end of the offshoot.
        FinalTestError: float
        /// s_2/s_1 at the end of the offshoot.
        FinalRatio: float
        /// Numerical rank at the end of the offshoot.
        FinalRank: int
        /// True when the offshoot diverged (non-finite residual or weight); the final values are then
        /// those of the last finite block, so no report ever holds NaN.
        Diverged: bool
    }

/// One run (an SGD chain, an SDE chain or the gradient-descent control). Events are monitored after
/// every step (`E1MonitorState`), observations on the log grid are for figures.
type E1Run =
    {
        /// Chain index s (SGD and SDE chains); -1 for the gradient-descent control.
        Chain: int
        /// SGD, GD or SDE.
        Kind: E1RunKind
        /// Observations on the log-spaced grid, step 0 first.
        Observations: E1Observation[]
        /// The jump: first step with numerical rank 1 and θ ∈ B_1 after a step at rank 2 (every step
        /// checked), None when it never happened.
        JumpStep: int64 option
        /// First step with s_1 < `E1Monitor.collapseThreshold` (collapse to the zero network), None when never.
        CollapseStep: int64 option
        /// Returns to rank 2 after the jump, beyond the ratio's round-off (every step checked; C5: expected 0).
        Returns: int
        /// Every-step events: returns and exits from B_1 with their steps, time outside B_1 after the jump,
        /// the largest s_2/s_1 after it.
        Events: E1MonitorState
        /// Jumped, collapsed, diverged or stayed.
        Outcome: E1Outcome
        /// True when the run produced a non-finite residual (it stops there).
        Diverged: bool
        /// Zero-based index of the step that diverged (so that many steps had completed before it): the
        /// first step whose residual or weights are not finite, or after which A_θ or its spectrum
        /// overflows. None when the run did not diverge; the last observation is the last finite state.
        DivergenceStep: int64 option
        /// Offshoots branched from this run (empty for the control).
        Offshoots: E1Offshoot[]
    }

/// Where a run of E1 (an SGD chain or the GD control) stands between two segments: everything needed
/// to continue it bit for bit, so a run cut into segments (and checkpointed between them) gives the same
/// `E1Run` as one uninterrupted run (property-tested in Properties/Experiments/E1Tests.fs).
type E1Cursor =
    {
        /// Chain index s; -1 for the gradient-descent control.
        Chain: int
        /// SGD, GD or SDE.
        Kind: E1RunKind
        /// Steps taken so far.
        Step: int64
        /// Index into the run's observation grid (`E1.runGrid`) of the next observation.
        Next: int
        /// The chain's random stream (SGD: entries; SDE: Gaussians), advanced to `Step` (unused by GD).
        Rng: Rng
        /// θ after `Step` steps, exactly as the engine holds it, while the run is in progress; None
        /// before its first step (θ = `E1.start`) and once it is done, so that runs waiting or
        /// finished hold no weights (memory stays bounded by the runs in progress).
        Engine: EngineSnapshot option
        /// Observations so far.
        Observations: E1Observation[]
        /// Offshoots so far.
        Offshoots: E1Offshoot[]
        /// Events monitored after every step so far.
        Monitor: E1MonitorState
        /// Zero-based index of the step that diverged, when the run diverged (then `Done`).
        DivergenceStep: int64 option
        /// True when the run is finished (every grid point observed, or diverged).
        Done: bool
    }

/// Summary of the runs of one kind (SGD, GD or SDE), side by side in reports (C5, C6).
type E1KindSummary =
    {
        /// SGD, GD or SDE.
        Kind: E1RunKind
        /// Number of runs.
        Runs: int
        /// Runs whose outcome is `Jumped` (entered B_1 at rank 1, never collapsed).
        Jumped: int
        /// Runs that collapsed to the zero network (`Collapsed`).
        Collapsed: int
        /// Of the collapsed runs, those that had entered B_1 at rank 1 before collapsing.
        CollapsedAfterRankOne: int
        /// Runs that diverged.
        Diverged: int
        /// Runs that stayed (no jump, collapse or divergence).
        Stayed: int
        /// Runs that entered B_1 at rank 1 at some step, whatever they did afterwards.
        Entered: int
        /// Runs absorbed at rank 1: jumped and, to the end of the budget, never returned to rank 2 (not even
        /// within round-off), collapsed or diverged (`E1.absorbedAtRankOne`).
        Absorbed: int
        /// Median step of entering B_1 at rank 1 over every run that entered (None when none).
        EntryMedian: float option
        /// Median jump step over the runs whose outcome is `Jumped` (None when none).
        JumpMedian: float option
        /// First quartile of the jump step (`Jumped` runs).
        JumpQ1: float option
        /// Third quartile of the jump step (`Jumped` runs).
        JumpQ3: float option
        /// Returns to rank 2 after a jump, summed over every run with a jump (collapsed ones included).
        Returns: int
        /// Runs with at least one return.
        RunsWithReturns: int
        /// Exits from B_1 after the jump, summed over every run that entered B_1 at rank 1.
        B1Exits: int
        /// Runs that entered B_1 at rank 1 and left it at least once afterwards.
        RunsThatLeftB1: int
        /// Steps after the jump spent outside B_1, summed over every run that entered B_1 at rank 1.
        StepsOutsideB1: int64
    }

/// Summary over the SGD chains (and the GD control's rank).
type E1Summary =
    {
        /// Fraction of chains that jumped to rank 1 within the budget without collapsing (`Jumped`).
        FractionJumped: float
        /// Fraction of chains that collapsed to the zero network (including those that passed rank 1).
        FractionCollapsed: float
        /// Fraction of chains that diverged.
        FractionDiverged: float
        /// Median jump step over the chains that jumped (None when none did).
        JumpMedian: float option
        /// First quartile of the jump step.
        JumpQ1: float option
        /// Third quartile of the jump step.
        JumpQ3: float option
        /// Returns to rank 2 after a jump, summed over chains (every step checked).
        TotalReturns: int
        /// Numerical rank of the gradient-descent control at the end.
        GdFinalRank: int
        /// Step at which the gradient-descent control entered B_1 at rank 1, if ever.
        GdJumpStep: int64 option
        /// Mean final test error of offshoots branched after their chain's jump (None when none).
        OffshootErrorAfterJump: float option
        /// Mean final test error of offshoots branched before their chain's jump (or in chains that never jumped).
        OffshootErrorBeforeJump: float option
    }

/// Everything E1 produced.
type E1Result =
    {
        /// The parameters.
        Params: E1Params
        /// The B_1 constants used for the jump detection.
        Region: RegionParams
        /// The SGD chains, chain 0 first.
        Chains: E1Run[]
        /// The SDE chains (one per SGD chain when `Sde`, else none), chain 0 first.
        Sde: E1Run[]
        /// The gradient-descent control from the same start with the same η and λ.
        Gd: E1Run
        /// Summary over the chains.
        Summary: E1Summary
        /// SGD, GD and SDE side by side (in that order).
        Kinds: E1KindSummary[]
    }
