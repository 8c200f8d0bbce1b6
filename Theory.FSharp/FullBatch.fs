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
    }

/// Full-batch gradient descent θ ← θ − η∇L_λ(θ) (THEORY.md §1, the control of C6) on the engine's flat
/// layout, for general completion tasks: through the products Q_ℓ = W_ℓ ⋯ W_1 and the back-propagated
/// masked residual B_ℓ = (W_L ⋯ W_{ℓ+1})ᵀ R, so that ∇_{W_ℓ} = −(1/N) B_ℓ Q_{ℓ−1}ᵀ (Q_0 = I). A step costs
/// about 3·Σ_ℓ n_ℓ n_{ℓ−1} d_in multiply-adds, against N·L·w² for E1's per-entry `TwoByTwo.gdStep`, so it is
/// the fast form whenever N > 3·d_in. Equals `Gd.step` up to round-off (Properties/CompletionTests.fs).
[<RequireQualifiedAccess>]
module FullBatch =

    /// Scratch for an engine state's shape.
    let work (s: EngineState) : FullBatchWork =
        let depth = Engine.depth s
        let dIn = s.Widths.[0]
        let offsets = Array.zeroCreate (depth + 2)

        for l in 1..depth do
            offsets.[l + 1] <- offsets.[l] + s.Widths.[l] * dIn

        {
            Q = Array.zeroCreate (offsets.[depth + 1] + 4)
            QOffsets = offsets
            B = Array.zeroCreate (offsets.[depth + 1] + 4)
            Previous = Array.zeroCreate s.Weights.Length
        }

    // y[yo .. yo+n) += a · x[xo .. xo+n) (Vector256 body, scalar tail).
    let private axpy (a: float) (x: float[]) (xo: int) (y: float[]) (yo: int) (n: int) =
        let xr = &MemoryMarshal.GetArrayDataReference x
        let yr = &MemoryMarshal.GetArrayDataReference y
        let av = Vector256.Create a
        let mutable k = 0

        if yo + n <= y.Length && xo + n <= x.Length then
            while k + 3 < n do
                let yv = Vector256.LoadUnsafe(&yr, unativeint (yo + k))
                let xv = Vector256.LoadUnsafe(&xr, unativeint (xo + k))
                Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(av, xv, yv), &yr, unativeint (yo + k))
                k <- k + 4

        while k < n do
            y.[yo + k] <- y.[yo + k] + a * x.[xo + k]
            k <- k + 1

    // Σ_k x[xo + k] · y[yo + k] for k < n.
    let private dot (x: float[]) (xo: int) (y: float[]) (yo: int) (n: int) =
        let xr = &MemoryMarshal.GetArrayDataReference x
        let yr = &MemoryMarshal.GetArrayDataReference y
        let mutable acc = Vector256<float>.Zero
        let mutable k = 0

        if yo + n <= y.Length && xo + n <= x.Length then
            while k + 3 < n do
                acc <-
                    Vector256.FusedMultiplyAdd(
                        Vector256.LoadUnsafe(&xr, unativeint (xo + k)),
                        Vector256.LoadUnsafe(&yr, unativeint (yo + k)),
                        acc
                    )

                k <- k + 4

        let mutable total = Vector256.Sum acc

        while k < n do
            total <- total + x.[xo + k] * y.[yo + k]
            k <- k + 1

        total

    /// One gradient-descent step of THEORY.md §1 in place: W_ℓ ← (1 − 2ηλ)W_ℓ + (η/N) B_ℓ Q_{ℓ−1}ᵀ, every
    /// gradient taken at the θ before the step (B and Q are computed first; layer ℓ's update reads only
    /// B_ℓ and Q_{ℓ−1}). The state's lazy scales are folded first (`Engine.normalise`), so afterwards every
    /// scale is 1 and `Weights` holds θ. θ before the step is left in `work.Previous`. Returns false when a
    /// residual or a new weight is not finite (the run diverged at this step).
    let step (s: EngineState) (work: FullBatchWork) (hyper: Hyper) : bool =
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
            Array.Clear(q, qo.[l], rows * dIn)

            for r in 0 .. rows - 1 do
                for c in 0 .. cols - 1 do
                    let a = w.[off.[l - 1] + r * cols + c]

                    if a <> 0.0 then
                        axpy a q (qo.[l - 1] + c * dIn) q (qo.[l] + r * dIn) dIn
        // B_L = R, the masked residual A* − A_θ on the observed entries.
        let dOut = widths.[depth]
        Array.Clear(b, qo.[depth], dOut * dIn)
        let mutable finite = true

        for k in 0 .. s.ObservedRow.Length - 1 do
            let i, j = s.ObservedRow.[k], s.ObservedCol.[k]
            let r = s.Target.[i * dIn + j] - q.[qo.[depth] + i * dIn + j]

            if not (Double.IsFinite r) then
                finite <- false

            b.[qo.[depth] + i * dIn + j] <- r
        // B_ℓ = W_{ℓ+1}ᵀ B_{ℓ+1}.
        for l in depth - 1 .. -1 .. 1 do
            let rows, cols = widths.[l + 1], widths.[l]
            Array.Clear(b, qo.[l], cols * dIn)

            for r in 0 .. rows - 1 do
                for c in 0 .. cols - 1 do
                    let a = w.[off.[l] + r * cols + c]

                    if a <> 0.0 then
                        axpy a b (qo.[l + 1] + r * dIn) b (qo.[l] + c * dIn) dIn
        // W_ℓ ← decay·W_ℓ + (η/N)·B_ℓ Q_{ℓ−1}ᵀ (Q_0 = I: the first layer's gradient is B_1 itself).
        let decay = 1.0 - 2.0 * hyper.Eta * hyper.Lambda
        let etaN = hyper.Eta / float s.ObservedRow.Length
        let mutable chk = 0.0

        for l in 1..depth do
            let rows, cols = widths.[l], widths.[l - 1]
            let o = off.[l - 1]

            for r in 0 .. rows - 1 do
                for c in 0 .. cols - 1 do
                    let g =
                        if l = 1 then
                            b.[qo.[1] + r * dIn + c]
                        else
                            dot b (qo.[l] + r * dIn) q (qo.[l - 1] + c * dIn) dIn

                    let nv = decay * w.[o + r * cols + c] + etaN * g
                    w.[o + r * cols + c] <- nv
                    chk <- chk + (nv - nv)

        // Bounds (the engine's divergence bookkeeping) follow the new weights.
        Engine.setWeights s w
        finite && chk = 0.0 && s.WeightsFinite

    /// True when the last `step` left θ exactly unchanged (bit for bit): θ is then a fixed point of the
    /// floating-point GD map, and every later step returns the same θ (the map is deterministic).
    let isFixedPoint (s: EngineState) (work: FullBatchWork) =
        let mutable same = true
        let mutable k = 0

        while same && k < s.Weights.Length do
            same <- s.Weights.[k] = work.Previous.[k]
            k <- k + 1

        same
