namespace LowRankVerify.Theory

/// The constants of the ladder B_0 ⊂ B_1 ⊂ … ⊂ B_R (THEORY.md §1 B_r): one region per rank ρ, all with
/// the same ε1, ε2, α, C and f_α, so that the regions differ only in ρ and are nested.
type LadderParams =
    {
        /// Top R of the ladder: the largest rank a layer can have, max_ℓ min(n_ℓ, n_{ℓ−1}).
        Top: int
        /// Balancedness budget ε1 (condition 1 of every B_ρ).
        Eps1: float
        /// Rank slack ε2 < 1 (condition 2: Σ_i f_α(s_i(W_ℓᵀW_ℓ)) ≤ ρ + ε2).
        Eps2: float
        /// Threshold α of f_α.
        Alpha: float
        /// Norm bound C (condition 3).
        C: float
        /// The f_α family.
        Family: FAlphaFamily
    }

/// What one look at θ tells about the ladder (THEORY.md §1 B_r, with the slack of each condition).
type LadderPosition =
    {
        /// The rank level: the smallest ρ ≥ 0 whose rank condition holds on every layer,
        /// max_ℓ Σ_i f_α(s_i(W_ℓᵀW_ℓ)) ≤ ρ + ε2.
        Level: int
        /// max_ℓ Σ_i f_α(s_i(W_ℓᵀW_ℓ)), the quantity the level is read from.
        MaxLayerRank: float
        /// max_ℓ ‖W_ℓᵀW_ℓ − W_{ℓ−1}W_{ℓ−1}ᵀ‖_F² ≤ ε1 (condition 1, shared by every B_ρ).
        Balanced: bool
        /// max_ℓ ‖W_ℓ‖_F² ≤ C (condition 3, shared by every B_ρ).
        Bounded: bool
    }

/// The rank ladder of the completion experiment: rank level, membership in each B_ρ and default
/// constants. θ ∈ B_ρ exactly when `Balanced`, `Bounded` and ρ ≥ `Level` (the three conditions of
/// THEORY.md §1 with r = ρ), so the smallest region holding θ is B_Level when θ is balanced and bounded.
[<RequireQualifiedAccess>]
module Ladder =

    /// B_ρ of the ladder (r = ρ, the ladder's constants).
    let region (p: LadderParams) (rho: int) : RegionParams =
        {
            R = rho
            Eps1 = p.Eps1
            Eps2 = p.Eps2
            Alpha = p.Alpha
            C = p.C
            Family = p.Family
        }

    /// The smallest ρ ≥ 0 with `x ≤ ρ + ε2`, decided by the same floating-point comparison as
    /// `Region.slackOf` (`float ρ + ε2 − x ≥ 0`), so that the level and B_ρ membership never disagree.
    let levelOf (eps2: float) (x: float) =
        let mutable rho = max 0 (int (ceil (x - eps2)) - 1)

        while float rho + eps2 - x < 0.0 do
            rho <- rho + 1

        rho

    /// The layers' approximate ranks Σ_i f_α(s_i(W_ℓᵀW_ℓ)), ℓ = 1..L (`Region.approximateRank`).
    let layerRanks (p: LadderParams) (net: Network) =
        net.W |> Array.map (Region.approximateRank p.Family p.Alpha)

    /// The rank level of θ alone (one SVD per layer; no balancedness or norms): what the event checks use.
    let level (p: LadderParams) (net: Network) =
        levelOf p.Eps2 (Array.max (layerRanks p net))

    /// The level with the two shared conditions, from the B_r measures of θ (`Region.measure`).
    let positionOf (p: LadderParams) (m: RegionMeasures) : LadderPosition =
        let top = Array.max m.ApproximateRanks
        let s = Region.slackOf (region p 0) m

        {
            Level = levelOf p.Eps2 top
            MaxLayerRank = top
            Balanced = s.Balancedness >= 0.0
            Bounded = s.Bounded >= 0.0
        }

    /// θ ∈ B_ρ for the ladder (THEORY.md §1), from a position.
    let contains (pos: LadderPosition) (rho: int) =
        pos.Balanced && pos.Bounded && rho >= pos.Level

    /// Top of the ladder for widths n_0..n_L: max_ℓ min(n_ℓ, n_{ℓ−1}).
    let topOf (widths: int[]) =
        Array.init (widths.Length - 1) (fun l -> min widths.[l] widths.[l + 1])
        |> Array.max

    /// Relative threshold below which a singular value of A* does not count towards its rank
    /// (`targetRank`): far above round-off (1e-16) and far below any singular value of the families'
    /// truths (their smallest is at least 1e-3 of the largest for ε ≥ 1e-3).
    [<Literal>]
    let targetRankRatio = 1e-9

    /// Numerical rank of the truth A* (`targetRankRatio`), and its singular values.
    let targetRank (task: Task) =
        let s = Linalg.singularValues task.Target

        let k =
            if s.Length = 0 || s.[0] = 0.0 then
                0
            else
                s |> Array.filter (fun x -> x > targetRankRatio * s.[0]) |> Array.length

        k, s

    /// Default constants (a choice, generalising E1's `E1.jumpRegion`), from the truth's singular
    /// values s_i (i ≤ k = `targetRank`) and the start θ_0, with σ_i = s_i^{2/L} the per-layer
    /// s_i(W_ℓᵀW_ℓ) of the balanced fit of A*: α = σ_k/4 (every direction of the truth counts 1 once it
    /// holds a quarter of its share); ε2 = 0.1; ε1 = 0.1·σ_1²; C = 4·max(Σ_{i≤k} σ_i, max_ℓ ‖W_ℓ(θ_0)‖_F²)
    /// (four times the balanced fit's per-layer norm, and the start is bounded). For E1's task at r = 1 this
    /// is `E1.jumpRegion` (with C raised to the start's norm when that is larger).
    let defaults (task: Task) (start: Network) : LadderParams =
        let depth = start.Depth
        let k, s = targetRank task
        let sigma i = s.[i] ** (2.0 / float depth)
        let sigma1 = if k = 0 then 1.0 else sigma 0
        let sigmaK = if k = 0 then 1.0 else sigma (k - 1)
        let fit = if k = 0 then 1.0 else Array.sumBy sigma [| 0 .. k - 1 |]
        let startNorm = Network.layerSquaredNorms start |> Array.max

        {
            Top = topOf (Network.widths start)
            Eps1 = 0.1 * sigma1 * sigma1
            Eps2 = 0.1
            Alpha = sigmaK / 4.0
            C = 4.0 * max fit startNorm
            Family = FAlphaFamily.Piecewise
        }

    /// Checks the constants (`Region.validate`, and ε2 < 1 so that consecutive regions differ). Errors
    /// name the option (`alpha`, `eps1`, `eps2`, `C`).
    let validate (p: LadderParams) : Result<LadderParams, InputError> =
        match Region.validate (region p p.Top) with
        | Error e -> Error e
        | Ok _ when p.Eps2 >= 1.0 ->
            Error(
                InputError.create
                    "eps2"
                    "must be < 1 on the ladder (with eps2 >= 1, B_rho and B_rho+1 hold the same ranks)"
            )
        | Ok _ -> Ok p
