namespace LowRankVerify.Theory

open System
open System.Runtime.InteropServices
open System.Runtime.Intrinsics

/// Scratch of the full-batch gradient-descent step (`FullBatch.step`) for one shape: prefix products,
/// back-propagated residuals and a copy of θ before the step. Allocated once per run (`FullBatch.work`).
type FullBatchWork =
    {
        /// Q_ℓ = W_ℓ ⋯ W_1 (n_ℓ × d_in, row-major) for ℓ = 1..L at `QOffsets.[ℓ]`.
        Q: float[]
        /// Start of each Q_ℓ in `Q` (index ℓ = 1..L; index 0 unused).
        QOffsets: int[]
        /// B_ℓ = (W_L ⋯ W_{ℓ+1})ᵀ R (n_ℓ × d_in, row-major) for ℓ = 1..L at `QOffsets.[ℓ]` (B_L = R).
        B: float[]
        /// θ before the last step (the true weights, in the engine's layout), for the fixed-point test.
        Previous: float[]
        /// Scratch for Q_{ℓ−1}ᵀ (d_in × n_{ℓ−1}).
        T: float[]
        /// Scratch for one layer's gradient B_ℓ Q_{ℓ−1}ᵀ (n_ℓ × n_{ℓ−1}).
        G: float[]
        /// The standard normal draws ξ_k of the next SDE step (`FullBatch.sdeStep`), one per observed entry.
        Xi: float[]
    }

/// Full-batch gradient descent θ ← θ − η∇L_λ(θ) (THEORY.md §1, the control of C6) on the engine's flat
/// layout, for general completion tasks: through the products Q_ℓ = W_ℓ ⋯ W_1 and the back-propagated
/// masked residual B_ℓ = (W_L ⋯ W_{ℓ+1})ᵀ R, so that ∇_{W_ℓ} = −(1/N) B_ℓ Q_{ℓ−1}ᵀ (Q_0 = I). A step costs
/// about 3·Σ_ℓ n_ℓ n_{ℓ−1} d_in multiply-adds, against N·L·w² for E1's per-entry `E1.gdStep`, so it is
/// the fast form whenever N > 3·d_in. Equals `Gd.step` up to round-off (Properties/Experiments/CompletionTests.fs). The
/// same products with a weighted residual give the SDE step of C6 (`sdeStep`).
[<RequireQualifiedAccess>]
module FullBatch =

    /// Scratch for an engine state's shape.
    let work (s: EngineState) : FullBatchWork =
        let depth = Engine.depth s
        let dIn = s.Widths.[0]
        let offsets = Array.zeroCreate (depth + 2)

        for l in 1..depth do
            offsets.[l + 1] <- offsets.[l] + s.Widths.[l] * dIn

        let widest = Array.max s.Widths

        {
            Q = Array.zeroCreate (offsets.[depth + 1] + 4)
            QOffsets = offsets
            B = Array.zeroCreate (offsets.[depth + 1] + 4)
            Previous = Array.zeroCreate s.Weights.Length
            T = Array.zeroCreate (dIn * widest + 4)
            G = Array.zeroCreate (widest * widest + 4)
            Xi = Array.zeroCreate s.ObservedRow.Length
        }

    // C[i, 0..n) = Σ_{p<k} A(i, p) · B[p, 0..n) for i < m, with C (at cOff) and B (at bOff) row-major of
    // row length n, and A(i, p) = a.[aOff + i·ai + p·ap] (any strides: A is only read as broadcast
    // scalars, so A or Aᵀ serve alike). Register-blocked: 4 rows × 8 columns (8 Vector256 accumulators),
    // then 4 × 4, then scalar tails. Callers guarantee every index lies inside the arrays.
    let private gemm
        (a: float[])
        (aOff: int)
        (ai: int)
        (ap: int)
        (b: float[])
        (bOff: int)
        (c: float[])
        (cOff: int)
        (m: int)
        (k: int)
        (n: int)
        =
        let br = &MemoryMarshal.GetArrayDataReference b
        let cr = &MemoryMarshal.GetArrayDataReference c
        let mutable i = 0

        while i + 3 < m do
            let a0, a1, a2, a3 =
                aOff + i * ai, aOff + (i + 1) * ai, aOff + (i + 2) * ai, aOff + (i + 3) * ai

            let mutable j = 0

            while j + 7 < n do
                let mutable c00 = Vector256<float>.Zero
                let mutable c01 = Vector256<float>.Zero
                let mutable c10 = Vector256<float>.Zero
                let mutable c11 = Vector256<float>.Zero
                let mutable c20 = Vector256<float>.Zero
                let mutable c21 = Vector256<float>.Zero
                let mutable c30 = Vector256<float>.Zero
                let mutable c31 = Vector256<float>.Zero

                for p in 0 .. k - 1 do
                    let o = bOff + p * n + j
                    let b0 = Vector256.LoadUnsafe(&br, unativeint o)
                    let b1 = Vector256.LoadUnsafe(&br, unativeint (o + 4))
                    let q = p * ap
                    let x0 = Vector256.Create a.[a0 + q]
                    let x1 = Vector256.Create a.[a1 + q]
                    let x2 = Vector256.Create a.[a2 + q]
                    let x3 = Vector256.Create a.[a3 + q]
                    c00 <- Vector256.FusedMultiplyAdd(x0, b0, c00)
                    c01 <- Vector256.FusedMultiplyAdd(x0, b1, c01)
                    c10 <- Vector256.FusedMultiplyAdd(x1, b0, c10)
                    c11 <- Vector256.FusedMultiplyAdd(x1, b1, c11)
                    c20 <- Vector256.FusedMultiplyAdd(x2, b0, c20)
                    c21 <- Vector256.FusedMultiplyAdd(x2, b1, c21)
                    c30 <- Vector256.FusedMultiplyAdd(x3, b0, c30)
                    c31 <- Vector256.FusedMultiplyAdd(x3, b1, c31)

                let o = cOff + i * n + j
                Vector256.StoreUnsafe(c00, &cr, unativeint o)
                Vector256.StoreUnsafe(c01, &cr, unativeint (o + 4))
                Vector256.StoreUnsafe(c10, &cr, unativeint (o + n))
                Vector256.StoreUnsafe(c11, &cr, unativeint (o + n + 4))
                Vector256.StoreUnsafe(c20, &cr, unativeint (o + 2 * n))
                Vector256.StoreUnsafe(c21, &cr, unativeint (o + 2 * n + 4))
                Vector256.StoreUnsafe(c30, &cr, unativeint (o + 3 * n))
                Vector256.StoreUnsafe(c31, &cr, unativeint (o + 3 * n + 4))
                j <- j + 8

            while j + 3 < n do
                let mutable c0 = Vector256<float>.Zero
                let mutable c1 = Vector256<float>.Zero
                let mutable c2 = Vector256<float>.Zero
                let mutable c3 = Vector256<float>.Zero

                for p in 0 .. k - 1 do
                    let b0 = Vector256.LoadUnsafe(&br, unativeint (bOff + p * n + j))
                    let q = p * ap
                    c0 <- Vector256.FusedMultiplyAdd(Vector256.Create a.[a0 + q], b0, c0)
                    c1 <- Vector256.FusedMultiplyAdd(Vector256.Create a.[a1 + q], b0, c1)
                    c2 <- Vector256.FusedMultiplyAdd(Vector256.Create a.[a2 + q], b0, c2)
                    c3 <- Vector256.FusedMultiplyAdd(Vector256.Create a.[a3 + q], b0, c3)

                let o = cOff + i * n + j
                Vector256.StoreUnsafe(c0, &cr, unativeint o)
                Vector256.StoreUnsafe(c1, &cr, unativeint (o + n))
                Vector256.StoreUnsafe(c2, &cr, unativeint (o + 2 * n))
                Vector256.StoreUnsafe(c3, &cr, unativeint (o + 3 * n))
                j <- j + 4

            while j < n do
                for r in 0..3 do
                    let ar = aOff + (i + r) * ai
                    let mutable acc = 0.0

                    for p in 0 .. k - 1 do
                        acc <- acc + a.[ar + p * ap] * b.[bOff + p * n + j]

                    c.[cOff + (i + r) * n + j] <- acc

                j <- j + 1

            i <- i + 4

        while i < m do
            let ar = aOff + i * ai

            for j in 0 .. n - 1 do
                let mutable acc = 0.0

                for p in 0 .. k - 1 do
                    acc <- acc + a.[ar + p * ap] * b.[bOff + p * n + j]

                c.[cOff + i * n + j] <- acc

            i <- i + 1

    // W_ℓ ← (1 − 2ηλ)W_ℓ + B_ℓ Q_{ℓ−1}ᵀ·(η/N or 1) with B_L = R the masked residual (GD: `sde` false,
    // R_ij = r_ij, factor η/N) or the masked weighted residual (SDE: R_ij = c_k r_k with
    // c_k = η/N − noiseScale·(η/√N)(ξ_k − ξ̄) from `work.Xi`, factor 1). See `step` and `sdeStep`.
    let private stepCore (s: EngineState) (work: FullBatchWork) (hyper: Hyper) (sde: bool) (noiseScale: float) : bool =
        Engine.normalise s
        let depth = Engine.depth s
        let widths = s.Widths
        let dIn = widths.[0]
        let w = s.Weights
        let off = s.Offsets
        let q = work.Q
        let b = work.B
        let qo = work.QOffsets
        Array.Copy(w, work.Previous, w.Length)
        // Q_1 = W_1; Q_ℓ = W_ℓ Q_{ℓ−1}.
        Array.Copy(w, off.[0], q, qo.[1], widths.[1] * dIn)

        for l in 2..depth do
            let rows, cols = widths.[l], widths.[l - 1]
            gemm w off.[l - 1] cols 1 q qo.[l - 1] q qo.[l] rows cols dIn
        // B_L = R, the masked residual A* − A_θ on the observed entries.
        let dOut = widths.[depth]
        Array.Clear(b, qo.[depth], dOut * dIn)
        let mutable finite = true
        let n = s.ObservedRow.Length
        // SDE: the mean draw ξ̄ and the noise factor noiseScale·η/√N (the expressions of `SdeEngine.stepScaled`).
        let mutable xiMean = 0.0

        if sde then
            for k in 0 .. n - 1 do
                xiMean <- xiMean + work.Xi.[k]

            xiMean <- xiMean / float n

        let noise = noiseScale * hyper.Eta / sqrt (float n)

        for k in 0 .. n - 1 do
            let i, j = s.ObservedRow.[k], s.ObservedCol.[k]
            let r = s.Target.[i * dIn + j] - q.[qo.[depth] + i * dIn + j]

            if not (Double.IsFinite r) then
                finite <- false

            b.[qo.[depth] + i * dIn + j] <-
                if sde then
                    (hyper.Eta / float n - noise * (work.Xi.[k] - xiMean)) * r
                else
                    r
        // B_ℓ = W_{ℓ+1}ᵀ B_{ℓ+1}: A(i, p) = W_{ℓ+1}[p, i].
        for l in depth - 1 .. -1 .. 1 do
            let rows, cols = widths.[l + 1], widths.[l]
            gemm w off.[l] 1 cols b qo.[l + 1] b qo.[l] cols rows dIn
        // W_ℓ ← decay·W_ℓ + (η/N)·B_ℓ Q_{ℓ−1}ᵀ (Q_0 = I: the first layer's gradient is B_1 itself).
        let decay = 1.0 - 2.0 * hyper.Eta * hyper.Lambda
        let etaN = if sde then 1.0 else hyper.Eta / float n
        let t = work.T
        let g = work.G
        let mutable chk = 0.0

        for l in 1..depth do
            let rows, cols = widths.[l], widths.[l - 1]
            let o = off.[l - 1]

            let src, so =
                if l = 1 then
                    b, qo.[1]
                else
                    // Qᵀ_{ℓ−1} (d_in × n_{ℓ−1}) so that the gradient is one more gemm.
                    for c in 0 .. cols - 1 do
                        for j in 0 .. dIn - 1 do
                            t.[j * cols + c] <- q.[qo.[l - 1] + c * dIn + j]

                    gemm b qo.[l] dIn 1 t 0 g 0 rows dIn cols
                    g, 0

            for k in 0 .. rows * cols - 1 do
                let nv = decay * w.[o + k] + etaN * src.[so + k]
                w.[o + k] <- nv
                chk <- chk + (nv - nv)

        // Bounds (the engine's divergence bookkeeping) follow the new weights.
        Engine.setWeights s w
        finite && chk = 0.0 && s.WeightsFinite

    /// One gradient-descent step of THEORY.md §1 in place: W_ℓ ← (1 − 2ηλ)W_ℓ + (η/N) B_ℓ Q_{ℓ−1}ᵀ, every
    /// gradient taken at the θ before the step (B and Q are computed first; layer ℓ's update reads only
    /// B_ℓ and Q_{ℓ−1}). The state's lazy scales are folded first (`Engine.normalise`), so afterwards every
    /// scale is 1 and `Weights` holds θ. θ before the step is left in `work.Previous`. Returns false when a
    /// residual or a new weight is not finite (the run diverged at this step).
    let step (s: EngineState) (work: FullBatchWork) (hyper: Hyper) : bool = stepCore s work hyper false 1.0

    /// The SDE step of C6 (`Sde.stepWith`: Euler–Maruyama with exactly SGD's per-step mean and covariance)
    /// in place, in full-batch form, with the draws ξ in `work.Xi` and the noise multiplied by `noiseScale`
    /// (1 for C6; negative controls pass another). The step is θ⁺ = (1 − 2ηλ)θ + Σ_k c_k r_k a_ℓ b_ℓᵀ with
    /// c_k = η/N − (η/√N)(ξ_k − ξ̄) (`SdeEngine.stepScaled`), and Σ_k c_k r_k a_ℓ b_ℓᵀ = B_ℓ Q_{ℓ−1}ᵀ for the
    /// masked weighted residual R = Σ_k c_k r_k e_{i_k} e_{j_k}ᵀ: the GD step's products with R in place of
    /// the residual. A step costs about a GD step (3·Σ_ℓ n_ℓ n_{ℓ−1} d_in multiply-adds) plus N draws, against
    /// 2·N·Σ_ℓ n_ℓ n_{ℓ−1} for the per-entry `SdeEngine.step` (measured in docs/completion.md: 27× faster at
    /// 20×20 with N = 120, 400× at 100×100 with N = 2000). Equals `Sde.stepWith` up to round-off
    /// (Properties/Experiments/CompletionTests.fs). Lazy scales are folded first; returns false when a residual or a new
    /// weight is not finite.
    let sdeStep (s: EngineState) (work: FullBatchWork) (hyper: Hyper) (noiseScale: float) : bool =
        stepCore s work hyper true noiseScale

    /// Fills `work.Xi` with N standard normal draws from `rng` (advanced in place), in the order of
    /// `SdeEngine.drawInto`.
    let drawInto (work: FullBatchWork) (rng: byref<Rng>) = Rng.fillGaussians work.Xi &rng

    /// True when the last `step` left θ exactly unchanged (bit for bit): θ is then a fixed point of the
    /// floating-point GD map, and every later step returns the same θ (the map is deterministic).
    let isFixedPoint (s: EngineState) (work: FullBatchWork) =
        let mutable same = true
        let mutable k = 0

        while same && k < s.Weights.Length do
            same <- s.Weights.[k] = work.Previous.[k]
            k <- k + 1

        same
