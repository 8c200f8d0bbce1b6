namespace LowRankVerify.Theory

/// How the observed set of a generated task is chosen.
[<RequireQualifiedAccess>]
type TaskKind =
    /// Each entry observed independently with this probability (at least one entry is always observed).
    | Partial of fraction: float
    /// Every entry observed (the D7 case).
    | Full
    /// E1's task `Task.e1 epsilon` (THEORY.md §5); the other fields of the spec are ignored.
    | E1 of epsilon: float

/// A random low-rank task, described by values that shrink (sizes, rank, scale) and a seed.
type TaskSpec =
    {
        /// d_out (1..6).
        DOut: int
        /// d_in (1..6).
        DIn: int
        /// Rank of A* (≤ min(d_out, d_in)).
        TargetRank: int
        /// Largest singular value of A* (its scale).
        Scale: float
        /// Observed-set kind.
        Kind: TaskKind
        /// Seed of the frames, the spectrum and the observed set.
        Seed: uint64
    }

/// A point of B_r built BY CONSTRUCTION (C1, C4): spectrum x_i = s_i(W_ℓᵀW_ℓ) chosen against the region
/// constants, a balanced network from `Network.balancedRandom`, then a controlled imbalance.
type PointSpec =
    {
        /// Depth L ≥ 2.
        Depth: int
        /// Hidden widths n_1..n_{L−1} (each ≤ 6); the spectrum has k = min(all widths) values.
        Hidden: int[]
        /// Target rank r of B_r.
        R: int
        /// q ≤ r "full" values x_i ≥ α (they count 1 in Σ f_α).
        Full: int
        /// Number of non-zero "tail" values x_i < α.
        Tail: int
        /// Put the rank condition at its boundary (needs q + Tail > r + ε2).
        RankEdge: bool
        /// Put the norm condition at its boundary (needs q ≥ 1).
        NormEdge: bool
        /// Put the balancedness condition at its boundary (needs q ≥ 1 and L ≥ 2).
        BalanceEdge: bool
        /// Relative slack 0.5·10^{−k} of each boundary condition (k ≥ 1).
        SlackExponent: int
        /// Seed of frames and spectrum shape.
        Seed: uint64
        /// With `BalanceEdge`: reach the boundary by a random perturbation of every layer (Gaussian, in no
        /// singular frame of the point, so the layers' frames no longer match) moved to the boundary of B_r
        /// by bisection, instead of scaling the full directions of one layer pair along their shared frame.
        Misaligned: bool
    }

/// One C1 case: task, region constants and step from the derived regime, and a point of B_r.
type ClosureCase =
    {
        /// The task.
        Task: Task
        /// Depth L.
        Depth: int
        /// Region constants (from `Regime.derive` unless a control overrides them).
        Region: RegionParams
        /// η and λ.
        Hyper: Hyper
        /// The point θ (in B_r when the construction succeeded; callers check).
        Point: Network
    }

/// Everything that defines a C1 case before it is built (tests and hunts shrink it with `Shrink.closureSpec`:
/// shape, depth, rank, spectrum and edges, its floats toward rounder values).
type ClosureSpec =
    {
        /// The task.
        Task: TaskSpec
        /// The point of B_r.
        Point: PointSpec
        /// λ (absolute; `closureSpec` draws it relative to the task's `NonTriviality.lambdaScale`).
        Lambda: float
        /// η as a fraction of `Regime.etaMax`.
        EtaFraction: float
        /// The f_α family.
        Family: FAlphaFamily
    }

/// A fully observed D7 task (C2, C7): target, depth and λ = c/(2N) with c a fraction of the largest c for
/// which the top singular value of A* has roots.
type D7Spec =
    {
        /// d_out.
        DOut: int
        /// d_in.
        DIn: int
        /// Rank of A*.
        TargetRank: int
        /// Largest singular value of A*.
        Scale: float
        /// Depth L.
        Depth: int
        /// c / c_max ∈ (0, 1).
        CFraction: float
        /// Seed of the target's frames and spectrum.
        Seed: uint64
    }

/// Shape of C1's L = 2 control case (shrinkable, `ClaimCases.depthTwoCaseOf`).
type DepthTwoSpec =
    {
        /// d_out ≥ 2.
        DOut: int
        /// d_in ≥ 2.
        DIn: int
        /// r ∈ 1..min(d_out, d_in) − 1; the target has rank r + 1.
        R: int
        /// λ.
        Lambda: float
        /// Relative rank slack 0.5·10^{−k}.
        SlackExponent: int
        /// Seed of target and point.
        Seed: uint64
    }


/// C2's hunt space: a D7 task, a root choice (index into every choice vector), f_α, α's position
/// between the point's smallest and largest values, and ε2 (< 0: the exact rank boundary).
type CriticalSpec =
    {
        /// The D7 task.
        D7: D7Spec
        /// Index into `ClaimCases.allChoices k` (modulo its length).
        Choice: int
        /// f_α family.
        Family: FAlphaFamily
        /// α = exp(lerp(log(min x / 3), log(3 max x), AlphaPosition)).
        AlphaPosition: float
        /// ε2 (< 0: the exact boundary, see `ClaimCases.boundaryRegion`).
        Eps2: float
    }


/// C3's hunt space: a simulation case (task, depth, hidden width, r, λ, f_α), the start's size
/// (‖W_ℓ‖² ≈ factor·C) and the restricted set (rows or columns).
type ReachSpec =
    {
        /// The task.
        Task: TaskSpec
        /// Depth L (3..4 in the regime).
        Depth: int
        /// Hidden width (all hidden layers).
        Width: int
        /// r of B_r.
        R: int
        /// λ.
        Lambda: float
        /// f_α family.
        Family: FAlphaFamily
        /// Start size factor (≥ 3, outside B_r).
        StartFactor: float
        /// Restrict to columns instead of rows.
        ByColumns: bool
        /// Seed of the start and of the draws.
        Seed: uint64
    }


/// C6's hunt space (its gradient-descent part): E1's ε, depth, λ and the perturbation's seed.
type GdSpec =
    {
        /// E1's ε.
        Epsilon: float
        /// Depth L.
        Depth: int
        /// λ.
        Lambda: float
        /// Seed of the perturbation.
        Seed: uint64
    }
