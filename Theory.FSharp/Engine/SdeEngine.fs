namespace LowRankVerify.Theory

/// Scratch of the in-place SDE step (`SdeEngine.step`): the per-sample chains and residuals of the N
/// observed entries, allocated once per run segment so that a step allocates nothing.
type SdeScratch =
    {
        /// a_ℓ of entry k at `(k·L + ℓ)·MaxWidth` (a_{L−1} = e_i).
        A: float[]
        /// b_ℓ of entry k at `(k·L + ℓ)·MaxWidth` (b_0 = e_j).
        B: float[]
        /// Residual r_k = A*_{i_k j_k} − A_θ,i_k j_k of entry k.
        Residuals: float[]
        /// The step's standard normal draws ξ_k, one per observed entry.
        Xi: float[]
    }

/// The SDE step of C6 (`Sde.stepWith`) in place on an engine state: the kernel E1's SDE chains run, checked
/// against the reference step (Properties: SdeTests).
[<RequireQualifiedAccess>]
module SdeEngine =

    /// Scratch for `step` on states shaped like `s`.
    let scratch (s: EngineState) : SdeScratch =
        let n = s.ObservedRow.Length
        let size = n * (s.Widths.Length - 1) * s.MaxWidth

        {
            A = Array.zeroCreate size
            B = Array.zeroCreate size
            Residuals = Array.zeroCreate n
            Xi = Array.zeroCreate n
        }

    /// The SDE step of `stepWith` in place on an engine state θ (THEORY.md §1 layout, every lazy scale 1:
    /// call `Engine.normalise` first) with the draws `sc.Xi`, noise multiplied by `noiseScale` (1 for C6;
    /// negative controls pass a wrong one). With G_k = −r_k a_ℓ b_ℓᵀ,
    /// −ηḠ + (η/√N) Σ_k ξ_k (G_k − Ḡ) = Σ_k c_k r_k a_ℓ b_ℓᵀ where c_k = η/N − (η/√N)(ξ_k − ξ̄) and ξ̄ is
    /// the mean draw, so W_ℓ ← (1 − 2ηλ)W_ℓ + Σ_k c_k r_k a_ℓ b_ℓᵀ, every per-sample chain a_ℓ, b_ℓ and
    /// residual r_k taken at the old θ. O(N·L·w²), allocates nothing. Returns false (weights unchanged)
    /// when a residual is not finite, or false after storing a non-finite weight.
    let stepScaled (s: EngineState) (sc: SdeScratch) (hyper: Hyper) (noiseScale: float) : bool =
        let depth = s.Widths.Length - 1
        let w = s.Weights
        let off = s.Offsets
        let widths = s.Widths
        let mw = s.MaxWidth
        let n = s.ObservedRow.Length
        let a = sc.A
        let b = sc.B
        let last = depth - 1
        let mutable ok = true

        for k in 0 .. n - 1 do
            let i = s.ObservedRow.[k]
            let j = s.ObservedCol.[k]
            let baseK = k * depth * mw

            for c in 0 .. widths.[0] - 1 do
                b.[baseK + c] <- (if c = j then 1.0 else 0.0)

            for l in 0 .. last - 1 do
                let rows, cols = widths.[l + 1], widths.[l]
                let src = baseK + l * mw
                let dst = src + mw

                for r in 0 .. rows - 1 do
                    let mutable acc = 0.0
                    let o = off.[l] + r * cols

                    for c in 0 .. cols - 1 do
                        acc <- acc + w.[o + c] * b.[src + c]

                    b.[dst + r] <- acc

            let cols = widths.[last]
            let mutable aij = 0.0

            for c in 0 .. cols - 1 do
                aij <- aij + w.[off.[last] + i * cols + c] * b.[baseK + last * mw + c]

            let res = s.Target.[i * widths.[0] + j] - aij
            sc.Residuals.[k] <- res

            if not (System.Double.IsFinite res) then
                ok <- false

            for r in 0 .. widths.[depth] - 1 do
                a.[baseK + last * mw + r] <- (if r = i then 1.0 else 0.0)

            for l in last .. -1 .. 1 do
                let rows, cols = widths.[l + 1], widths.[l]
                let src = baseK + l * mw
                let dst = src - mw

                for c in 0 .. cols - 1 do
                    let mutable acc = 0.0

                    for r in 0 .. rows - 1 do
                        acc <- acc + w.[off.[l] + r * cols + c] * a.[src + r]

                    a.[dst + c] <- acc

        if ok then
            let decay = 1.0 - 2.0 * hyper.Eta * hyper.Lambda
            let mutable finite = true

            let mutable xiMean = 0.0

            for k in 0 .. n - 1 do
                xiMean <- xiMean + sc.Xi.[k]

            xiMean <- xiMean / float n
            let noise = noiseScale * hyper.Eta / sqrt (float n)

            // the factor c_k r_k of each entry, reusing `Residuals`
            for k in 0 .. n - 1 do
                sc.Residuals.[k] <- (hyper.Eta / float n - noise * (sc.Xi.[k] - xiMean)) * sc.Residuals.[k]

            for l in 0 .. depth - 1 do
                let rows, cols = widths.[l + 1], widths.[l]

                for r in 0 .. rows - 1 do
                    for c in 0 .. cols - 1 do
                        let idx = off.[l] + r * cols + c
                        let mutable v = decay * w.[idx]

                        for k in 0 .. n - 1 do
                            let o = (k * depth + l) * mw
                            v <- v + sc.Residuals.[k] * a.[o + r] * b.[o + c]

                        w.[idx] <- v

                        if not (System.Double.IsFinite v) then
                            finite <- false

            s.WeightsFinite <- finite
            finite
        else
            false

    /// The SDE step of C6 in place (`stepScaled` with noise scale 1).
    let step (s: EngineState) (sc: SdeScratch) (hyper: Hyper) : bool = stepScaled s sc hyper 1.0

    /// Fills `sc.Xi` with N standard normal draws from `rng` (advanced in place).
    let drawInto (sc: SdeScratch) (rng: byref<Rng>) = Rng.fillGaussians sc.Xi &rng
