namespace LowRankVerify.Theory

/// The constants (r, ε1, ε2, α, C, f_α) of the region B_r (THEORY.md §1).
type RegionParams =
    {
        /// Target rank r ≥ 0.
        R: int
        /// Balancedness budget ε1 ≥ 0 on ‖W_ℓᵀW_ℓ − W_{ℓ-1}W_{ℓ-1}ᵀ‖_F².
        Eps1: float
        /// Rank slack ε2 ≥ 0 in Σ_i f_α(s_i(W_ℓᵀW_ℓ)) ≤ r + ε2.
        Eps2: float
        /// Threshold α > 0 of f_α.
        Alpha: float
        /// Norm bound C > 0 on ‖W_ℓ‖_F².
        C: float
        /// The f_α family.
        Family: FAlphaFamily
    }

/// The three B_r quantities of a network, per layer.
type RegionMeasures =
    {
        /// ‖W_ℓᵀW_ℓ − W_{ℓ-1}W_{ℓ-1}ᵀ‖_F² for ℓ = 2..L (empty when L = 1).
        Balancedness: float[]
        /// Σ_i f_α(s_i(W_ℓᵀW_ℓ)) for ℓ = 1..L.
        ApproximateRanks: float[]
        /// ‖W_ℓ‖_F² for ℓ = 1..L.
        SquaredNorms: float[]
    }

/// Slack of each B_r condition: budget minus the worst layer; negative names the violated condition.
type RegionSlack =
    {
        /// ε1 − max_ℓ ‖D_ℓ‖_F² (ε1 when L = 1).
        Balancedness: float
        /// r + ε2 − max_ℓ Σ_i f_α(s_i(W_ℓᵀW_ℓ)).
        Rank: float
        /// C − max_ℓ ‖W_ℓ‖_F².
        Bounded: float
    }

    /// The smallest of the three slacks.
    member this.Min = min this.Balancedness (min this.Rank this.Bounded)

    /// The largest of the three values.
    member this.Max = max this.Balancedness (max this.Rank this.Bounded)

/// Which condition of B_r is meant.
[<RequireQualifiedAccess>]
type RegionCondition =
    /// Condition 1, approximately balanced.
    | Balancedness
    /// Condition 2, approximately rank r.
    | Rank
    /// Condition 3, bounded.
    | Bounded

/// Membership in B_r with its slack, and the round-off bound of each quantity.
[<RequireQualifiedAccess>]
module Region =

    /// Checks the constants: r ≥ 0, ε1 ≥ 0, ε2 ≥ 0, α > 0 (`FAlpha.alphaRule`), C > 0, all finite.
    let validate (p: RegionParams) : Result<RegionParams, InputError> =
        let bad f r = Error(InputError.create f r)

        if p.R < 0 then
            bad "r" "must be >= 0"
        elif not (System.Double.IsFinite p.Eps1) || p.Eps1 < 0.0 then
            bad "eps1" "must be a finite number >= 0"
        elif not (System.Double.IsFinite p.Eps2) || p.Eps2 < 0.0 then
            bad "eps2" "must be a finite number >= 0"
        elif (FAlpha.alphaRule p.Alpha).IsSome then
            bad "alpha" (FAlpha.alphaRule p.Alpha).Value
        elif not (System.Double.IsFinite p.C) || p.C <= 0.0 then
            bad "C" "must be a finite number > 0"
        else
            Ok p

    /// Σ_i f_α(s_i(WᵀW)) for one layer; s_i(WᵀW) = s_i(W)² computed from the rescaled SVD of W.
    let approximateRank (family: FAlphaFamily) (alpha: float) (w: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
        Linalg.singularValues w
        |> Array.sumBy (fun s -> FAlpha.eval family alpha (s * s))

    /// Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}) of a product A (the quantity bounded by C2).
    let productApproximateRank
        (family: FAlphaFamily)
        (alpha: float)
        (depth: int)
        (a: MathNet.Numerics.LinearAlgebra.Matrix<float>)
        =
        Linalg.singularValues a
        |> Array.sumBy (fun s -> FAlpha.eval family alpha (s ** (2.0 / float depth)))

    /// The three quantities of B_r for every layer.
    let measure (family: FAlphaFamily) (alpha: float) (net: Network) : RegionMeasures =
        {
            Balancedness = Network.balancednessMatrices net |> Array.map Linalg.squaredFrobenius
            ApproximateRanks = net.W |> Array.map (approximateRank family alpha)
            SquaredNorms = Network.layerSquaredNorms net
        }

    let private maxOr0 (xs: float[]) =
        if xs.Length = 0 then 0.0 else Array.max xs

    /// Slack of each condition for given measures (THEORY.md §1).
    let slackOf (p: RegionParams) (m: RegionMeasures) : RegionSlack =
        {
            Balancedness = p.Eps1 - maxOr0 m.Balancedness
            Rank = float p.R + p.Eps2 - maxOr0 m.ApproximateRanks
            Bounded = p.C - maxOr0 m.SquaredNorms
        }

    /// Slack of each condition at θ.
    let slack (p: RegionParams) (net: Network) =
        slackOf p (measure p.Family p.Alpha net)

    /// θ ∈ B_r: every slack ≥ 0.
    let contains (p: RegionParams) (net: Network) = (slack p net).Min >= 0.0

    /// The same value for every condition (a `RegionSlack` used as a per-condition record of numbers).
    let uniformSlack (x: float) : RegionSlack =
        {
            Balancedness = x
            Rank = x
            Bounded = x
        }

    /// `f` condition by condition.
    let mapSlack2 (f: float -> float -> float) (a: RegionSlack) (b: RegionSlack) : RegionSlack =
        {
            Balancedness = f a.Balancedness b.Balancedness
            Rank = f a.Rank b.Rank
            Bounded = f a.Bounded b.Bounded
        }

    /// Per condition: the condition, its violation −slack (> 0 outside B_r) and its round-off bound (C1's and C4's
    /// checks and hunt objectives).
    let violations (slack: RegionSlack) (bound: RegionSlack) =
        [
            RegionCondition.Balancedness, -slack.Balancedness, bound.Balancedness
            RegionCondition.Rank, -slack.Rank, bound.Rank
            RegionCondition.Bounded, -slack.Bounded, bound.Bounded
        ]

    /// The condition with the smallest slack.
    let tightest (s: RegionSlack) =
        if s.Balancedness <= s.Rank && s.Balancedness <= s.Bounded then
            RegionCondition.Balancedness
        elif s.Rank <= s.Bounded then
            RegionCondition.Rank
        else
            RegionCondition.Bounded

    /// Rounding errors in the decay part (1 − 2ηλ)W_ℓ of one step: 2ηλ, 1 − 2ηλ, the product (or the
    /// engine's lazy scale update) and the final subtraction.
    [<Literal>]
    let decayRoundings = 4

    /// Error sources of the gradient part η r a_ℓ b_ℓᵀ counted by `stepRoundOff`: the chain a_ℓ, the chain
    /// b_ℓ and the residual r (each relative to the a-priori size of its inputs).
    [<Literal>]
    let gradientErrorSources = 3

    /// First-order bound on the round-off that steps commit on each layer (Frobenius norm of the difference
    /// between the computed and the exact iterate), added to `drift` (one entry per layer; empty: zeros), for
    /// `steps` steps with learning rate `eta` on `task` that took the computed θ from `before` to `after`
    /// (C1, C3, C4: a claim about the exact iterates is violated only beyond what the computed one can be
    /// off by). In one step W_ℓ⁺ = decay·W_ℓ + η r a_ℓ b_ℓᵀ (decay = 1 − 2ηλ, THEORY.md §1; `decayGap` =
    /// |1 − decay|):
    /// - the decay part errs by γ_4 ‖W_ℓ‖ (`decayRoundings`);
    /// - the gradient part: a_ℓ, b_ℓ are chains of matrix–vector products and r = A*_ij − (W_L⋯W_1)_ij, so
    ///   with P = Π_k ‖W_k‖_F, P_ℓ = Π_{k≠ℓ} ‖W_k‖_F (at θ before the step) and m = max |A*_ij| over the
    ///   observed entries, their errors
    ///   are at most γ_n relative to the a-priori sizes ‖a_ℓ‖‖b_ℓ‖ ≤ P_ℓ and |r| ≤ m + P (NOT to the computed
    ///   change, which cancellation can make far smaller), n = L·(max width + 2): 3 γ_n η (m + P) P_ℓ
    ///   (`gradientErrorSources`);
    /// - steps of another form (SDE, GD) are covered by γ_n (‖W_ℓ⁺ − W_ℓ‖ + decayGap ‖W_ℓ‖) ≥ γ_n ‖ηG_ℓ‖, added.
    /// A chunk of `steps` > 1 steps observed only at its ends is charged `steps` times that with every norm
    /// the larger of its two ends and the change term max(‖W_ℓ‖, ‖W_ℓ⁺ − W_ℓ‖) (it assumes no step in the
    /// chunk has larger weights or a larger gradient part than that; per-step sizes are not recorded by the
    /// engine). Errors made earlier are not amplified by later steps (first order; `Tolerance.safetyFactor`
    /// is inside γ). Checked against exact arithmetic in `Properties/RoundOffTests.fs`.
    let stepRoundOff
        (drift: float[])
        (steps: int64)
        (eta: float)
        (decayGap: float)
        (task: Task)
        (before: Network)
        (after: Network)
        : float[] =
        let ws = Network.widths after
        let gDecay = Tolerance.gamma decayRoundings
        let gGrad = Tolerance.gamma (after.W.Length * (Array.max ws + 2))

        let m = Task.targetScale task

        let normsBefore = before.W |> Array.map (fun w -> w.FrobeniusNorm())

        let norms =
            Array.init after.W.Length (fun l -> max normsBefore.[l] (after.W.[l].FrobeniusNorm()))

        // one step computes its chains and residual from θ before the step; a chunk may pass anywhere between
        let chainNorms = if steps = 1L then normsBefore else norms
        let product = Array.fold (*) 1.0 chainNorms

        Array.init after.W.Length (fun l ->
            let d0 = if l < drift.Length then drift.[l] else 0.0
            let w = norms.[l]
            let change = (after.W.[l] - before.W.[l]).FrobeniusNorm()

            let others =
                chainNorms
                |> Array.indexed
                |> Array.fold (fun acc (k, x) -> if k = l then acc else acc * x) 1.0

            let aPriori = float gradientErrorSources * eta * (m + product) * others

            if steps = 1L then
                d0 + gDecay * w + gGrad * (aPriori + change + decayGap * normsBefore.[l])
            else
                d0 + float steps * (gDecay * w + gGrad * (aPriori + max w change)))

    /// Round-off bounds (as `roundOffBoundOf`) for a computed iterate that may be `drift.[ℓ]` (Frobenius) away from the exact one
    /// (`stepRoundOff`; empty: 0): with E = drift, ‖D_ℓ‖ moves by ≤ Σ (2‖W‖E + E²) over its two layers,
    /// singular values by ≤ E (Weyl), ‖W_ℓ‖² by ≤ 2‖W_ℓ‖E + E².
    let roundOffBoundDrift (drift: float[]) (p: RegionParams) (net: Network) (m: RegionMeasures) : RegionSlack =
        let ws = Network.widths net
        let n = (Array.max ws) + 2
        let g = Tolerance.gamma n
        let norms = m.SquaredNorms

        let e l =
            if l < drift.Length then drift.[l] else 0.0

        let moved l = 2.0 * sqrt norms.[l] * e l + e l * e l

        let dBounds =
            m.Balancedness
            |> Array.mapi (fun k d2 ->
                // D_ℓ (ℓ = k + 2) is n_{ℓ-1} × n_{ℓ-1}
                let side = float net.W.[k + 1].ColumnCount
                let deltaF = side * g * (norms.[k + 1] + norms.[k]) + moved (k + 1) + moved k
                let dF = sqrt d2
                2.0 * dF * deltaF + deltaF * deltaF)

        let rankBounds =
            net.W
            |> Array.mapi (fun l w ->
                let fro = sqrt norms.[l]
                let e = g * fro + e l
                let count = float (min w.RowCount w.ColumnCount)
                count * FAlpha.lipschitz p.Family p.Alpha * (2.0 * fro * e + e * e))

        let normBounds =
            net.W
            |> Array.mapi (fun l w -> Tolerance.gamma (w.RowCount * w.ColumnCount) * norms.[l] + moved l)

        {
            Balancedness = maxOr0 dBounds
            Rank = maxOr0 rankBounds
            Bounded = maxOr0 normBounds
        }

    /// Absolute round-off bounds on the three computed quantities at θ, as a `RegionSlack` of bounds:
    /// - balancedness: entries of D_ℓ carry error γ_n (‖W_ℓ‖² + ‖W_{ℓ-1}‖²) (n = longest inner product),
    ///   and ‖D‖_F² then errs by at most 2‖D‖_F δ_F + δ_F² with δ_F = sqrt(#entries)·that;
    /// - rank: singular values of W carry error γ_n ‖W‖_F (backward-stable SVD), so s² errs by
    ///   2 s_max γ_n ‖W‖_F + (γ_n ‖W‖_F)² and the sum by width × Lipschitz(f_α) × that;
    /// - bounded: a sum of n squares errs by γ_n ‖W‖_F².
    /// Each carries `Tolerance.safetyFactor` through `Tolerance.gamma`.
    /// `roundOffBound` from measures already computed at θ: it reads only ‖D_ℓ‖_F² and ‖W_ℓ‖_F² of `m`
    /// (`ApproximateRanks` is not used), so `slackAndBound` builds the balancedness matrices once.
    let roundOffBoundOf (p: RegionParams) (net: Network) (m: RegionMeasures) : RegionSlack =
        roundOffBoundDrift [||] p net m

    /// Absolute round-off bounds at a computed iterate θ that may be `drift` away from the exact one (see
    /// `roundOffBoundDrift`; empty: measurement only); no SVD is needed for them.
    let roundOffBoundAt (drift: float[]) (p: RegionParams) (net: Network) : RegionSlack =
        roundOffBoundDrift
            drift
            p
            net
            {
                Balancedness = Network.balancednessMatrices net |> Array.map Linalg.squaredFrobenius
                ApproximateRanks = [||]
                SquaredNorms = Network.layerSquaredNorms net
            }

    /// Absolute round-off bounds at θ (see `roundOffBoundOf`); no SVD is needed for them.
    let roundOffBound (p: RegionParams) (net: Network) : RegionSlack = roundOffBoundAt [||] p net

    /// `slackAndBound` at a computed iterate `drift` away from the exact one (`stepRoundOff`).
    let slackAndBoundDrift (drift: float[]) (p: RegionParams) (net: Network) : RegionSlack * RegionSlack =
        let m = measure p.Family p.Alpha net
        slackOf p m, roundOffBoundDrift drift p net m

    /// Slack of each condition and its round-off bound at θ, from one `measure` (C1, C3, C4 checks).
    let slackAndBound (p: RegionParams) (net: Network) : RegionSlack * RegionSlack = slackAndBoundDrift [||] p net

    /// `slackAndBound` after one computed step with learning rate `eta` on `task` from `before` to `after`
    /// whose decay is 1 − `decayGap` (C1): the bounds include the step's own round-off (`stepRoundOff`).
    let slackAndBoundAfterStep
        (p: RegionParams)
        (eta: float)
        (decayGap: float)
        (task: Task)
        (before: Network)
        (after: Network)
        : RegionSlack * RegionSlack =
        slackAndBoundDrift (stepRoundOff [||] 1L eta decayGap task before after) p after
