namespace LowRankVerify.Theory

/// Which optimiser a run of the completion experiment uses.
[<RequireQualifiedAccess>]
type ChainKind =
    /// Single-entry SGD (THEORY.md §1).
    | Sgd
    /// Full-batch gradient descent from the same start with the same η and λ (the control of C6).
    | Gd
    /// The SDE twin of an SGD chain (C6; issue "Verdicts that mean something"): Euler–Maruyama steps with
    /// exactly SGD's per-step mean and covariance (`FullBatch.sdeStep`, the full-batch form of `Sde.stepWith`).
    | Sde

/// How the SGD chains are run (results differ between the two only by round-off).
[<RequireQualifiedAccess>]
type SgdMode =
    /// One chain per run unit, on the single-chain `Engine` (fastest at larger widths).
    | Single
    /// Up to `Completion.laneUnit` chains per run unit, on the SIMD `Ensemble` (fastest at small widths).
    | Lanes

/// Parameters of the completion experiment (issue "The ladder B_R ⊃ … ⊃ B_1"). Every one is stated in
/// the report.
type CompletionParams =
    {
        /// The task (A*, observed set); unobserved entries are the test set.
        Task: Task
        /// Where the task came from (family and its parameters, or a file).
        Source: TaskSource
        /// Depth L.
        Depth: int
        /// Hidden width n_1 = … = n_{L−1}.
        Width: int
        /// The start θ_0 of every run.
        Start: StartKind
        /// Learning rate η of the SGD chains and of the GD control.
        Eta: float
        /// Regularisation λ of the SGD chains and of the GD control.
        Lambda: float
        /// SGD steps per chain.
        Steps: int64
        /// Number of SGD chains.
        Seeds: int
        /// Master seed S: chain s draws its entries from `Rng.stream S s`.
        Seed: uint64
        /// Offshoots per chain, branched at log-spaced steps (`E1.branchSteps`).
        Offshoots: int
        /// Learning rate of the offshoots.
        OffshootEta: float
        /// Regularisation of the offshoots.
        OffshootLambda: float
        /// Most SGD steps of one offshoot.
        OffshootMaxSteps: int64
        /// Steps of the gradient-descent control (its horizon, at most `Steps`).
        GdSteps: int64
        /// With SDE twins (C6): SGD chain s gets an SDE twin with the same θ_0, η and λ, which draws its
        /// Gaussians from `Rng.stream (S ^^^ E1.sdeStreamTag) s` (E1's rule).
        Sde: bool
        /// Steps of each SDE twin (its horizon, 1..`Steps`; unused without `Sde`).
        SdeSteps: int64
        /// Observation points per decade of the log-spaced grid.
        ObservationsPerDecade: int
        /// The rank level is checked at every multiple of this many steps (and at every grid point).
        EventInterval: int64
        /// The ladder's constants.
        Ladder: LadderParams
        /// Engine of the SGD chains.
        Mode: SgdMode
    }

/// A change of a run's rank level between two consecutive checks.
type LevelEvent =
    {
        /// Step of the check that saw the new level (the change happened after the previous check).
        Step: int64
        /// Level at the previous check.
        FromRank: int
        /// Level at this check.
        ToRank: int
    }

/// One observation of a run on the log-spaced grid.
type CompletionObservation =
    {
        /// Steps taken.
        Step: int64
        /// Leading singular values of A_θ (at most `Completion.leading`), descending.
        Singular: float[]
        /// #{i : s_i ≥ `Completion.numericalRankRatio`·s_1} (0 when s_1 < `Completion.zeroProduct`·s_1(A*)).
        NumericalRank: int
        /// Σ_i f_α(s_i(A_θ)^{2/L}) (the C2 quantity, with the ladder's α and f_α).
        ProductRank: float
        /// The rank level (`Ladder.level`).
        Level: int
        /// max_ℓ Σ_i f_α(s_i(W_ℓᵀW_ℓ)).
        MaxLayerRank: float
        /// ‖W_ℓᵀW_ℓ − W_{ℓ−1}W_{ℓ−1}ᵀ‖_F², ℓ = 2..L.
        Balancedness: float[]
        /// ‖W_ℓ‖_F², ℓ = 1..L.
        LayerNorms: float[]
        /// Condition 1 of the ladder holds.
        Balanced: bool
        /// Condition 3 of the ladder holds.
        Bounded: bool
        /// Root-mean-square error over the unobserved entries (0 when every entry is observed).
        TestError: float
        /// Root-mean-square residual over the observed entries.
        TrainError: float
        /// ‖∇L_λ(θ)‖ over all layers (the full-batch gradient, with the run's λ): how far from stationary.
        GradientNorm: float
    }

/// An offshoot: SGD branched from a chain and continued with smaller η and λ until its loss settles.
type CompletionOffshoot =
    {
        /// Step of the chain at which it branched.
        BranchStep: int64
        /// The chain's rank level there.
        BranchLevel: int
        /// SGD steps the offshoot took.
        Steps: int64
        /// True when its loss settled before `OffshootMaxSteps`.
        Converged: bool
        /// True when it diverged (the final values are then the last finite block's).
        Diverged: bool
        /// Test error at its end.
        FinalTestError: float
        /// Training error at its end.
        FinalTrainError: float
        /// Rank level at its end.
        FinalLevel: int
    }

/// Everything recorded for one run (an SGD chain or the GD control) so far.
type ChainRecord =
    {
        /// Chain index s (SGD chain s or its SDE twin); −1 for the GD control.
        Chain: int
        /// Level at the last check; −1 before the first.
        Level: int
        /// Every change of level, in order.
        Events: LevelEvent[]
        /// Observations on the grid, step 0 first.
        Observations: CompletionObservation[]
        /// Offshoots (SGD chains only).
        Offshoots: CompletionOffshoot[]
        /// Zero-based index of the step whose residual or weights (or A_θ) stopped being finite.
        DivergenceStep: int64 option
        /// GD: the step t whose update left θ exactly unchanged (θ_{t+1} = θ_t bit for bit), so that θ
        /// stays θ_t for every later step (the floating-point map is deterministic). SDE: the check step at
        /// which θ was found at level 0 and `Completion.frozen` (no later SDE step can change it, whatever
        /// the draws). The remaining steps are skipped.
        FixedPointStep: int64 option
    }

/// Where a run unit stands between two segments: one SGD chain (`SgdMode.Single`), a group of SGD chains
/// (`SgdMode.Lanes`) or the GD control. Advancing by a then b steps equals advancing by a + b bit for
/// bit (property-tested), so a run cut into segments and checkpointed between them gives the result of
/// an uninterrupted one.
type CompletionCursor =
    {
        /// The optimiser.
        Kind: ChainKind
        /// Steps taken by the unit's runs.
        Step: int64
        /// Index into the unit's grid (`Completion.gridOf`) of the next observation.
        Next: int
        /// Step of the last level check (−1 before the first).
        Checked: int64
        /// Random stream of each run, advanced to `Step`: entries (SGD), Gaussians (SDE); unused by the GD control.
        Rngs: Rng[]
        /// θ of a single chain or of the GD control, exactly as the engine holds it, while in progress.
        Engine: EngineSnapshot option
        /// The ensemble's weight array of a group of chains (`EnsembleState.Weights`) while in progress.
        Lanes: float[] option
        /// One record per run of the unit.
        Records: ChainRecord[]
        /// True when every grid point is observed or every run diverged.
        Done: bool
    }

/// One finished run with its events read off.
type CompletionRun =
    {
        /// The optimiser.
        Kind: ChainKind
        /// Chain index (−1: the GD control).
        Chain: int
        /// Steps this run was to take (`Steps`; `GdSteps` for the control, `SdeSteps` for an SDE twin).
        Horizon: int64
        /// Level at step 0.
        StartLevel: int
        /// Level at the last check.
        FinalLevel: int
        /// Every change of level.
        Events: LevelEvent[]
        /// Changes to a lower level ≥ 1.
        Drops: int
        /// Changes to a higher level (C5 says none).
        Returns: int
        /// Step of the last return, if any (returns early in a run are the growth of data directions
        /// past α, which the GD control shows too; late ones would be jumps back up).
        LastReturnStep: int64 option
        /// First step at level 0 (the collapse to B_0; not a drop).
        CollapseStep: int64 option
        /// For each level ρ in 1..StartLevel−1 that the run reached: (ρ, first step with 1 ≤ level ≤ ρ).
        Hitting: (int * int64)[]
        /// Observations on the grid.
        Observations: CompletionObservation[]
        /// Offshoots.
        Offshoots: CompletionOffshoot[]
        /// See `ChainRecord.DivergenceStep`.
        DivergenceStep: int64 option
        /// See `ChainRecord.FixedPointStep`.
        FixedPointStep: int64 option
    }

/// Per rank level below the start: how many chains reached it and when.
type LevelSummary =
    {
        /// The level ρ (0: collapse).
        Rank: int
        /// Fraction of chains that reached it (for ρ ≥ 1: some check with 1 ≤ level ≤ ρ).
        FractionReached: float
        /// Median of the hitting steps over the chains that reached it.
        StepMedian: float option
        /// First quartile.
        StepQ1: float option
        /// Third quartile.
        StepQ3: float option
        /// Mean final test error of offshoots branched before their chain reached ρ (or in chains that never did).
        OffshootErrorBefore: float option
        /// Mean final test error of offshoots branched at or after their chain reached ρ.
        OffshootErrorAfter: float option
    }

/// Summary over the SGD chains and the control.
type CompletionSummary =
    {
        /// The common level at step 0.
        StartLevel: int
        /// Numerical rank of the truth A* (`Ladder.targetRank`).
        TargetRank: int
        /// One row per level from StartLevel − 1 down to 0.
        Levels: LevelSummary[]
        /// Drops summed over chains.
        TotalDrops: int
        /// Returns (rises) summed over chains.
        TotalReturns: int
        /// The last return step over the chains, if any.
        LastReturnStep: int64 option
        /// (final level, number of chains) over the chains that did not diverge, ascending.
        FinalRankCounts: (int * int)[]
        /// Fraction of chains that collapsed to level 0.
        FractionCollapsed: float
        /// Fraction of chains that diverged.
        FractionDiverged: float
        /// Fraction of chains that ended below the truth's rank without collapsing (1 ≤ level < TargetRank).
        FractionBelowTarget: float
        /// Final level of the GD control.
        GdFinalLevel: int
        /// True when every width is at least the truth's rank (else the network cannot fit the data).
        CanFit: bool
    }

/// One dynamics of the SGD/GD/SDE comparison (C5, C6), its runs read at a common step.
type KindComparison =
    {
        /// SGD, GD or SDE.
        Kind: ChainKind
        /// The step the runs are read at (their horizon, or the SDE twins' horizon for SGD's first row).
        Step: int64
        /// Number of runs.
        Runs: int
        /// (level at `Step`, number of runs) over the runs that had not diverged by then, ascending.
        LevelCounts: (int * int)[]
        /// Runs that reached the truth's rank k by `Step` (some check with 1 ≤ level ≤ k; a collapse does not count).
        ReachedTarget: int
        /// Median step of reaching the truth's rank over those runs.
        TargetStepMedian: float option
        /// Drops (to a lower level ≥ 1) by `Step`, summed over the runs.
        Drops: int
        /// Returns (rises) by `Step`, summed over the runs.
        Returns: int
        /// Runs that collapsed to level 0 by `Step`.
        Collapsed: int
        /// Runs that diverged by `Step`.
        Diverged: int
        /// Median divergence step over those runs.
        DivergenceMedian: float option
    }

/// Everything the completion experiment produced.
type CompletionResult =
    {
        /// The parameters.
        Params: CompletionParams
        /// Singular values of A*.
        TargetSingular: float[]
        /// The SGD chains, chain 0 first.
        Chains: CompletionRun[]
        /// The gradient-descent control.
        Gd: CompletionRun
        /// The SDE twins (one per SGD chain with `Sde`, else none), chain 0 first.
        Sde: CompletionRun[]
        /// Summary over the SGD chains.
        Summary: CompletionSummary
        /// Summary over the SDE twins (None without them; offshoot fields None: the twins take no offshoots).
        SdeSummary: CompletionSummary option
        /// SGD (at the SDE twins' horizon when shorter, and at its own), GD and SDE side by side.
        Comparison: KindComparison[]
    }

type internal Rec(r: ChainRecord) =
    member val Level = r.Level with get, set
    member val Events = ResizeArray(r.Events)
    member val Observations = ResizeArray(r.Observations)
    member val Offshoots = ResizeArray(r.Offshoots)
    member val DivergenceStep = r.DivergenceStep with get, set
    member val FixedPointStep = r.FixedPointStep with get, set
    member _.Chain = r.Chain

    member this.ToRecord() : ChainRecord =
        {
            Chain = this.Chain
            Level = this.Level
            Events = this.Events.ToArray()
            Observations = this.Observations.ToArray()
            Offshoots = this.Offshoots.ToArray()
            DivergenceStep = this.DivergenceStep
            FixedPointStep = this.FixedPointStep
        }
