// The SGD kernel (THEORY.md §1), one file on purpose although it is longer than the others (about 900 lines):
// its three step paths (tiny widths, lazy-scaled fused, lazy-scaled general: stepTiny, stepFused, stepLazy) are
// deliberate variants of one rank-one update, each tuned for a width range and checked against Sgd.step to
// round-off (Properties/Engine/EngineTests.fs); kept side by side so that a change to one is made to all.
namespace LowRankVerify.Theory

open System
open System.Runtime.InteropServices
open System.Runtime.Intrinsics

/// How an engine run ended (THEORY.md §1 SGD; issue "Fast SGD engine").
[<RequireQualifiedAccess>]
type RunOutcome =
    /// Every requested step was taken and every residual and weight stayed finite.
    | Completed of steps: int64
    /// The step with zero-based index `step` (so `step` steps had completed before it) produced a
    /// non-finite residual r or a non-finite weight; the run stopped right after that step.
    | Diverged of step: int64
    /// The observer returned false after `steps` steps; the run stopped there.
    | Stopped of steps: int64

/// Flat, allocation-free state of one SGD chain (THEORY.md §1). Layer ℓ (zero-based `l`, the paper's
/// W_{l+1}) is stored row-major at `Weights.[Offsets.[l] ..]` with `Widths.[l+1]` rows and `Widths.[l]`
/// columns, and the true layer is `Scales.[l] · V_l` (lazy weight decay: one scale per layer, so the
/// decay (1 − 2ηλ) costs one multiplication per layer, not one per weight). Read weights through
/// `Engine.toNetwork` or after `Engine.normalise`.
type EngineState =
    {
        /// Widths n_0..n_L.
        Widths: int[]
        /// Start of each layer in `Weights` (length L + 1; the last is the total size).
        Offsets: int[]
        /// The unscaled layers V_l, layer after layer, row-major (W_l = Scales.[l] · V_l).
        Weights: float[]
        /// The lazy decay scale of each layer; kept within [2^-256, 2^256] by folding it back into V_l.
        Scales: float[]
        /// Per layer, an upper bound on max |V_l| (grown by |coef|·Σ|a|·Σ|b| per update, reset by a scan
        /// when it passes 1e300); a non-finite weight makes the scan fail, so divergence is detected at
        /// the exact step without checking every weight every step.
        Bounds: float[]
        /// Scratch for the forward chain: `B.[l * MaxWidth ..]` holds b_l (the input of layer l) for
        /// l ≥ 1 (b_0 = e_j is never stored).
        B: float[]
        /// Scratch for the backward chain: `A.[l * MaxWidth ..]` holds a_l (the output side of layer l)
        /// for l ≤ L − 2 (a_{L−1} = e_i is never stored).
        A: float[]
        /// Largest width, the stride of `A` and `B`.
        MaxWidth: int
        /// Row-major copy of A*.
        Target: float[]
        /// Row index i of each observed entry.
        ObservedRow: int[]
        /// Column index j of each observed entry.
        ObservedCol: int[]
        /// False when the last step stored a non-finite weight (checked inside the update loops).
        mutable WeightsFinite: bool
    }

/// Everything of an `EngineState` that changes while it runs (THEORY.md §1 θ, stored exactly as the
/// engine holds it: unscaled layers, lazy scales and divergence bounds), for checkpoints. Restoring it
/// into a state of the same widths continues the chain bit for bit (the scratch `A`/`B` is rewritten
/// by every step before it is read).
type EngineSnapshot =
    {
        /// Copy of `EngineState.Weights` (the unscaled V_l).
        Weights: float[]
        /// Copy of `EngineState.Scales`.
        Scales: float[]
        /// Copy of `EngineState.Bounds`.
        Bounds: float[]
        /// `EngineState.WeightsFinite`.
        WeightsFinite: bool
    }

/// The fast single-entry SGD engine (THEORY.md §1): forward chain b_ℓ, backward chain a_ℓ, rank-one
/// update, O(L·w²) per step, never forms the product A_θ, allocates nothing per step. The backward
/// chain and the update of each hidden layer share one sweep over its weights; the first and last
/// layers only touch column j and row i (decay is lazy). Equivalent to `Sgd.step` up to round-off
/// (checked in Properties/EngineTests.fs).
[<RequireQualifiedAccess>]
module Engine =

    /// Scales outside [2^-256, 2^256] are folded back into the weights before the next step, so the
    /// stored V_l = W_l / s_l can neither underflow nor overflow while W_l is representable.
    [<Literal>]
    let private scaleLow = 8.636168555094445e-78

    [<Literal>]
    let private scaleHigh = 1.157920892373162e77

    /// Packs a task and a network θ = (W_1, …, W_L) (THEORY.md §1) into a fresh engine state (copies
    /// the weights; every scale is 1).
    let create (task: Task) (net: Network) : EngineState =
        let widths = Network.widths net
        let depth = net.Depth

        if widths.[0] <> task.DIn || widths.[depth] <> task.DOut then
            invalidArg
                "net"
                (sprintf "network maps %d -> %d but the task is %d x %d" widths.[0] widths.[depth] task.DOut task.DIn)

        let offsets = Array.zeroCreate (depth + 1)

        for l in 0 .. depth - 1 do
            offsets.[l + 1] <- offsets.[l] + widths.[l + 1] * widths.[l]

        let weights = Array.zeroCreate offsets.[depth]

        for l in 0 .. depth - 1 do
            let w = net.W.[l]

            for r in 0 .. w.RowCount - 1 do
                for c in 0 .. w.ColumnCount - 1 do
                    weights.[offsets.[l] + r * w.ColumnCount + c] <- w.[r, c]

        let maxWidth = Array.max widths

        {
            Widths = widths
            Offsets = offsets
            Weights = weights
            Scales = Array.create depth 1.0
            Bounds =
                Array.init depth (fun l ->
                    Array.fold (fun m x -> max m (abs x)) 0.0 weights.[offsets.[l] .. offsets.[l + 1] - 1])
            B = Array.zeroCreate (depth * maxWidth + 4)
            A = Array.zeroCreate (depth * maxWidth + 4)
            MaxWidth = maxWidth
            Target = task.Target.ToRowMajorArray()
            ObservedRow = task.Observed |> Array.map fst
            ObservedCol = task.Observed |> Array.map snd
            WeightsFinite = true
        }

    /// Depth L of the chain (THEORY.md §1: the number of weight matrices).
    let depth (s: EngineState) = s.Widths.Length - 1

    /// An independent deep copy (for offshoots branched from a run, THEORY.md §5 E1).
    let copy (s: EngineState) : EngineState =
        { s with
            Weights = Array.copy s.Weights
            Scales = Array.copy s.Scales
            Bounds = Array.copy s.Bounds
            B = Array.copy s.B
            A = Array.copy s.A
        }

    /// Captures the mutable part of θ (THEORY.md §1) as an independent `EngineSnapshot` (copies).
    let capture (s: EngineState) : EngineSnapshot =
        {
            Weights = Array.copy s.Weights
            Scales = Array.copy s.Scales
            Bounds = Array.copy s.Bounds
            WeightsFinite = s.WeightsFinite
        }

    /// A fresh state for `task` with widths n_0..n_L holding `snap` (THEORY.md §1 θ), so that running
    /// it continues exactly where `capture` left off. Error naming the field when the snapshot does
    /// not fit the widths or holds a non-finite number where the engine never stores one.
    let restore (task: Task) (widths: int[]) (snap: EngineSnapshot) : Result<EngineState, InputError> =
        let bad f r = Error(InputError.create f r)
        let depth = widths.Length - 1

        if depth < 1 || widths.[0] <> task.DIn || widths.[depth] <> task.DOut then
            bad "widths" (sprintf "must run from d_in = %d to d_out = %d" task.DIn task.DOut)
        else
            let size = Array.sum (Array.init depth (fun l -> widths.[l + 1] * widths.[l]))

            if snap.Weights.Length <> size then
                bad "weights" (sprintf "must hold %d numbers for widths %A, not %d" size widths snap.Weights.Length)
            elif snap.Scales.Length <> depth then
                bad "scales" (sprintf "must hold %d numbers (one per layer), not %d" depth snap.Scales.Length)
            elif snap.Bounds.Length <> depth then
                bad "bounds" (sprintf "must hold %d numbers (one per layer), not %d" depth snap.Bounds.Length)
            elif not (Array.forall (fun x -> Double.IsFinite x && x <> 0.0) snap.Scales) then
                bad "scales" "must be finite and non-zero"
            elif not (Array.forall (fun x -> not (Double.IsNaN x) && x >= 0.0) snap.Bounds) then
                bad "bounds" "must be numbers >= 0"
            else
                let s = create task (Network.identityLike 0.0 widths)
                Array.blit snap.Weights 0 s.Weights 0 size
                Array.blit snap.Scales 0 s.Scales 0 depth
                Array.blit snap.Bounds 0 s.Bounds 0 depth
                s.WeightsFinite <- snap.WeightsFinite
                Ok s

    let private foldLayer (s: EngineState) (l: int) =
        let sc = s.Scales.[l]

        if sc <> 1.0 then
            let w = s.Weights

            for k in s.Offsets.[l] .. s.Offsets.[l + 1] - 1 do
                w.[k] <- sc * w.[k]

            s.Scales.[l] <- 1.0
            s.Bounds.[l] <- abs sc * s.Bounds.[l]

    /// Folds every lazy scale back into the stored weights (afterwards `Weights` holds W_l exactly as
    /// `toNetwork` reports it and every scale is 1). Costs one pass over the weights.
    let normalise (s: EngineState) =
        for l in 0 .. depth s - 1 do
            foldLayer s l

    /// Unpacks the current weights W_l = s_l·V_l into a `Network` θ (THEORY.md §1; allocates, for
    /// observation).
    let toNetwork (s: EngineState) : Network =
        {
            W =
                Array.init (s.Widths.Length - 1) (fun l ->
                    let rows, cols = s.Widths.[l + 1], s.Widths.[l]
                    let sc = s.Scales.[l]
                    Linalg.M.Dense(rows, cols, (fun r c -> sc * s.Weights.[s.Offsets.[l] + r * cols + c])))
        }

    /// True when every stored weight and scale of θ is finite (a full O(L·w²) scan, for observers).
    let isFinite (s: EngineState) =
        Array.forall Double.IsFinite s.Weights && Array.forall Double.IsFinite s.Scales

    /// Bounds at or above this trigger an exact scan of the layer (overflow is at 1.8e308).
    [<Literal>]
    let private boundLimit = 1e300

    // Σ |x[o .. o+n)| (NaN or ∞ when some entry is not finite).
    let private sumAbs (x: float[]) (o: int) (n: int) =
        let xr = &MemoryMarshal.GetArrayDataReference x
        let mutable acc = Vector256<float>.Zero
        let mutable c = 0

        while c + 3 < n do
            acc <- acc + Vector256.Abs(Vector256.LoadUnsafe(&xr, unativeint (o + c)))
            c <- c + 4

        let mutable total = Vector256.Sum acc

        while c < n do
            total <- total + abs x.[o + c]
            c <- c + 1

        total

    // Recomputes the bound of layer l by a scan; clears WeightsFinite if a weight is not finite.
    let private rescan (s: EngineState) (l: int) =
        let w = s.Weights
        let mutable m = 0.0
        let mutable finite = true

        for k in s.Offsets.[l] .. s.Offsets.[l + 1] - 1 do
            let x = w.[k]

            if not (Double.IsFinite x) then
                finite <- false
            elif abs x > m then
                m <- abs x

        if finite then
            s.Bounds.[l] <- m
        else
            s.Bounds.[l] <- infinity
            s.WeightsFinite <- false

    /// Overwrites θ with `weights`, given as true weights W_l in the layout of `Weights` (scales reset
    /// to 1, bounds and the finiteness flag recomputed). With `normalise` and `Weights` this lets a caller
    /// save and restore θ without allocating (the GD control of E1 does so per observed entry).
    let setWeights (s: EngineState) (weights: float[]) =
        Array.Copy(weights, s.Weights, s.Weights.Length)
        s.WeightsFinite <- true

        for l in 0 .. depth s - 1 do
            s.Scales.[l] <- 1.0
            rescan s l

    // Grows the bound of layer l by `inc` (an upper bound on the largest change of an entry).
    let inline private bump (s: EngineState) (l: int) (inc: float) =
        let nb = s.Bounds.[l] + inc
        if nb < boundLimit then s.Bounds.[l] <- nb else rescan s l

    // y[yo + r] = scale · Σ_c w[off + r·cols + c] · x[xo + c] for r < rows (rows in blocks of 4).
    // Callers guarantee the ranges lie inside the arrays (the loads are unchecked).
    let private matVec
        (w: float[])
        (off: int)
        (rows: int)
        (cols: int)
        (x: float[])
        (xo: int)
        (y: float[])
        (yo: int)
        (scale: float)
        =
        let wr = &MemoryMarshal.GetArrayDataReference w
        let xr = &MemoryMarshal.GetArrayDataReference x
        let vc = cols &&& ~~~3
        let mutable r = 0

        if vc > 0 then
            while r + 3 < rows do
                let o0 = off + r * cols
                let o1 = o0 + cols
                let o2 = o1 + cols
                let o3 = o2 + cols
                let mutable a0 = Vector256<float>.Zero
                let mutable a1 = Vector256<float>.Zero
                let mutable a2 = Vector256<float>.Zero
                let mutable a3 = Vector256<float>.Zero
                let mutable c = 0

                while c < vc do
                    let xv = Vector256.LoadUnsafe(&xr, unativeint (xo + c))
                    a0 <- Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(&wr, unativeint (o0 + c)), xv, a0)
                    a1 <- Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(&wr, unativeint (o1 + c)), xv, a1)
                    a2 <- Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(&wr, unativeint (o2 + c)), xv, a2)
                    a3 <- Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(&wr, unativeint (o3 + c)), xv, a3)
                    c <- c + 4

                let mutable s0 = Vector256.Sum a0
                let mutable s1 = Vector256.Sum a1
                let mutable s2 = Vector256.Sum a2
                let mutable s3 = Vector256.Sum a3

                while c < cols do
                    let xc = x.[xo + c]
                    s0 <- s0 + w.[o0 + c] * xc
                    s1 <- s1 + w.[o1 + c] * xc
                    s2 <- s2 + w.[o2 + c] * xc
                    s3 <- s3 + w.[o3 + c] * xc
                    c <- c + 1

                y.[yo + r] <- scale * s0
                y.[yo + r + 1] <- scale * s1
                y.[yo + r + 2] <- scale * s2
                y.[yo + r + 3] <- scale * s3
                r <- r + 4

        while r < rows do
            let o = off + r * cols
            let mutable acc = 0.0
            let mutable c = 0

            if vc > 0 then
                let mutable av = Vector256<float>.Zero

                while c < vc do
                    av <-
                        Vector256.FusedMultiplyAdd(
                            Vector256.LoadUnsafe(&wr, unativeint (o + c)),
                            Vector256.LoadUnsafe(&xr, unativeint (xo + c)),
                            av
                        )

                    c <- c + 4

                acc <- Vector256.Sum av

            while c < cols do
                acc <- acc + w.[o + c] * x.[xo + c]
                c <- c + 1

            y.[yo + r] <- scale * acc
            r <- r + 1

    // One sweep over hidden layer l: aOut = sOld · Vᵀ aIn (with the old V) and V += coef · aIn bInᵀ,
    // rows in blocks of 4 so that each vector of aOut is loaded and stored once per 4 rows.
    // Callers guarantee the ranges lie inside the arrays (the loads and stores are unchecked).
    let private backUpdate
        (v: float[])
        (off: int)
        (rows: int)
        (cols: int)
        (aIn: float[])
        (ai: int)
        (bIn: float[])
        (bi: int)
        (aOut: float[])
        (ao: int)
        (sOld: float)
        (coef: float)
        =
        let vr = &MemoryMarshal.GetArrayDataReference v
        let br = &MemoryMarshal.GetArrayDataReference bIn
        let outr = &MemoryMarshal.GetArrayDataReference aOut
        let vc = cols &&& ~~~3
        Array.Clear(aOut, ao, cols)
        let mutable r = 0

        if vc > 0 then
            while r + 3 < rows do
                let o0 = off + r * cols
                let o1 = o0 + cols
                let o2 = o1 + cols
                let o3 = o2 + cols
                let ar0 = aIn.[ai + r]
                let ar1 = aIn.[ai + r + 1]
                let ar2 = aIn.[ai + r + 2]
                let ar3 = aIn.[ai + r + 3]
                let x0 = Vector256.Create(sOld * ar0)
                let x1 = Vector256.Create(sOld * ar1)
                let x2 = Vector256.Create(sOld * ar2)
                let x3 = Vector256.Create(sOld * ar3)
                let y0 = Vector256.Create(coef * ar0)
                let y1 = Vector256.Create(coef * ar1)
                let y2 = Vector256.Create(coef * ar2)
                let y3 = Vector256.Create(coef * ar3)
                let mutable c = 0

                while c < vc do
                    let p0 = unativeint (o0 + c)
                    let p1 = unativeint (o1 + c)
                    let p2 = unativeint (o2 + c)
                    let p3 = unativeint (o3 + c)
                    let pa = unativeint (ao + c)
                    let v0 = Vector256.LoadUnsafe(&vr, p0)
                    let v1 = Vector256.LoadUnsafe(&vr, p1)
                    let v2 = Vector256.LoadUnsafe(&vr, p2)
                    let v3 = Vector256.LoadUnsafe(&vr, p3)

                    let acc =
                        Vector256.FusedMultiplyAdd(
                            x3,
                            v3,
                            Vector256.FusedMultiplyAdd(
                                x2,
                                v2,
                                Vector256.FusedMultiplyAdd(
                                    x1,
                                    v1,
                                    Vector256.FusedMultiplyAdd(x0, v0, Vector256.LoadUnsafe(&outr, pa))
                                )
                            )
                        )

                    Vector256.StoreUnsafe(acc, &outr, pa)
                    let bv = Vector256.LoadUnsafe(&br, unativeint (bi + c))
                    Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(y0, bv, v0), &vr, p0)
                    Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(y1, bv, v1), &vr, p1)
                    Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(y2, bv, v2), &vr, p2)
                    Vector256.StoreUnsafe(Vector256.FusedMultiplyAdd(y3, bv, v3), &vr, p3)
                    c <- c + 4

                while c < cols do
                    let v0 = v.[o0 + c]
                    let v1 = v.[o1 + c]
                    let v2 = v.[o2 + c]
                    let v3 = v.[o3 + c]

                    aOut.[ao + c] <-
                        aOut.[ao + c]
                        + sOld * ar0 * v0
                        + sOld * ar1 * v1
                        + sOld * ar2 * v2
                        + sOld * ar3 * v3

                    let bc = bIn.[bi + c]
                    v.[o0 + c] <- v0 + coef * ar0 * bc
                    v.[o1 + c] <- v1 + coef * ar1 * bc
                    v.[o2 + c] <- v2 + coef * ar2 * bc
                    v.[o3 + c] <- v3 + coef * ar3 * bc
                    c <- c + 1

                r <- r + 4

        while r < rows do
            let o0 = off + r * cols
            let ar0 = aIn.[ai + r]
            let x0 = sOld * ar0
            let y0 = coef * ar0
            let mutable c = 0

            if vc > 0 then
                let x0v = Vector256.Create x0
                let y0v = Vector256.Create y0

                while c < vc do
                    let p0 = unativeint (o0 + c)
                    let pa = unativeint (ao + c)
                    let v0 = Vector256.LoadUnsafe(&vr, p0)

                    Vector256.StoreUnsafe(
                        Vector256.FusedMultiplyAdd(x0v, v0, Vector256.LoadUnsafe(&outr, pa)),
                        &outr,
                        pa
                    )

                    Vector256.StoreUnsafe(
                        Vector256.FusedMultiplyAdd(y0v, Vector256.LoadUnsafe(&br, unativeint (bi + c)), v0),
                        &vr,
                        p0
                    )

                    c <- c + 4

            while c < cols do
                let v0 = v.[o0 + c]
                aOut.[ao + c] <- aOut.[ao + c] + x0 * v0
                v.[o0 + c] <- v0 + y0 * bIn.[bi + c]
                c <- c + 1

            r <- r + 1

    /// The step with lazy decay: W_l ← decay·W_l + η r a_l b_lᵀ, realised as s_l ← decay·s_l and
    /// V_l ← V_l + (η r / s_l) a_l b_lᵀ. Requires every decay·s_l within the fold range.
    let private stepLazy (s: EngineState) (decay: float) (eta: float) (i: int) (j: int) : float =
        let depth = s.Widths.Length - 1
        let w = s.Weights
        let sc = s.Scales
        let off = s.Offsets
        let widths = s.Widths
        let stride = s.MaxWidth
        let b = s.B
        let a = s.A
        let n0 = widths.[0]
        let last = depth - 1
        s.WeightsFinite <- true

        if depth = 1 then
            let k = i * n0 + j
            let res = s.Target.[k] - sc.[0] * w.[k]

            if Double.IsFinite res then
                let s0 = decay * sc.[0]
                sc.[0] <- s0
                let inc = eta * res / s0
                w.[k] <- w.[k] + inc
                bump s 0 (abs inc)

            res
        else
            // Forward chain: b_1 = s_0 · V_0[:, j], b_{l+1} = s_l · V_l b_l.
            let n1 = widths.[1]
            let s0 = sc.[0]
            let o0 = off.[0] + j

            for r in 0 .. n1 - 1 do
                b.[stride + r] <- s0 * w.[o0 + r * n0]

            for l in 1 .. depth - 2 do
                matVec w off.[l] widths.[l + 1] widths.[l] b (l * stride) b ((l + 1) * stride) sc.[l]
            // A_ij = s_{L-1} · V_{L-1}[i, :] · b_{L-1}.
            let cols = widths.[last]
            let rowI = off.[last] + i * cols
            let bL = last * stride
            let sL = sc.[last]
            let mutable dot = 0.0

            for c in 0 .. cols - 1 do
                dot <- dot + w.[rowI + c] * b.[bL + c]

            let res = s.Target.[i * n0 + j] - sL * dot

            if Double.IsFinite res then
                let g = eta * res
                // Backward chain starts at a_{L-2} = s_{L-1} · V_{L-1}[i, :] (old row), then row i update.
                let aL = (last - 1) * stride
                let sLn = decay * sL
                sc.[last] <- sLn
                let cL = g / sLn

                for c in 0 .. cols - 1 do
                    let v = w.[rowI + c]
                    a.[aL + c] <- sL * v
                    w.[rowI + c] <- v + cL * b.[bL + c]

                bump s last (abs cL * sumAbs b bL cols)
                // Hidden layers: one sweep computes a_{l-1} and updates V_l.
                for l in last - 1 .. -1 .. 1 do
                    let sl = sc.[l]
                    let sln = decay * sl
                    sc.[l] <- sln
                    let coef = g / sln
                    let lo = l * stride
                    backUpdate w off.[l] widths.[l + 1] widths.[l] a lo b lo a ((l - 1) * stride) sl coef
                    bump s l (abs coef * sumAbs a lo widths.[l + 1] * sumAbs b lo widths.[l])
                // First layer: only column j changes, V_0[:, j] += (g / s_0') a_0.
                let s0n = decay * s0
                sc.[0] <- s0n
                let c0 = g / s0n

                for r in 0 .. n1 - 1 do
                    let k = o0 + r * n0
                    w.[k] <- w.[k] + c0 * a.[r]

                bump s 0 (abs c0 * sumAbs a 0 n1)

            res

    /// Largest width that uses the fused-decay SGD step of THEORY.md §1 (`stepTiny`: plain loops, the
    /// decay fused into the update); at these widths the lazy path's bookkeeping (divisions, bounds)
    /// costs more than it saves.
    [<Literal>]
    let tinyWidth = 4

    // The step for tiny widths: W_l ← decay·W_l + η r a_l b_lᵀ on every weight (scales stay 1), with
    // the backward chain fused into the update sweep; finiteness checked on every new weight.
    let private stepTiny (s: EngineState) (decay: float) (eta: float) (i: int) (j: int) : float =
        let depth = s.Widths.Length - 1
        let w = s.Weights
        let off = s.Offsets
        let widths = s.Widths
        let stride = s.MaxWidth
        let b = s.B
        let a = s.A
        let n0 = widths.[0]
        let last = depth - 1

        if depth = 1 then
            let k = i * n0 + j
            let res = s.Target.[k] - w.[k]

            if Double.IsFinite res then
                let mutable chk = 0.0

                for q in 0 .. w.Length - 1 do
                    let nv = decay * w.[q]
                    w.[q] <- nv
                    chk <- chk + (nv - nv)

                let nv = w.[k] + eta * res
                w.[k] <- nv
                s.WeightsFinite <- (chk + (nv - nv) = 0.0)

            res
        else
            let n1 = widths.[1]

            for r in 0 .. n1 - 1 do
                b.[stride + r] <- w.[r * n0 + j]

            for l in 1 .. depth - 2 do
                let rows, cols = widths.[l + 1], widths.[l]
                let src = l * stride
                let dst = src + stride
                let mutable ro = off.[l]

                for r in 0 .. rows - 1 do
                    let mutable acc = 0.0

                    for c in 0 .. cols - 1 do
                        acc <- acc + w.[ro + c] * b.[src + c]

                    b.[dst + r] <- acc
                    ro <- ro + cols

            let cols = widths.[last]
            let rowI = off.[last] + i * cols
            let bL = last * stride
            let mutable dot = 0.0

            for c in 0 .. cols - 1 do
                dot <- dot + w.[rowI + c] * b.[bL + c]

            let res = s.Target.[i * n0 + j] - dot

            if Double.IsFinite res then
                let g = eta * res
                let mutable chk = 0.0
                // Last layer: a_{L-2} = old row i; every row decays, row i gains g·b_{L-1}.
                let aL = (last - 1) * stride

                for c in 0 .. cols - 1 do
                    a.[aL + c] <- w.[rowI + c]

                for k in off.[last] .. off.[depth] - 1 do
                    w.[k] <- decay * w.[k]

                for c in 0 .. cols - 1 do
                    let nv = w.[rowI + c] + g * b.[bL + c]
                    w.[rowI + c] <- nv
                    chk <- chk + (nv - nv)
                // Hidden layers: a_{l-1} = W_lᵀ a_l (old W_l) and W_l ← decay·W_l + g a_l b_lᵀ in one sweep.
                for l in last - 1 .. -1 .. 1 do
                    let rows, cols = widths.[l + 1], widths.[l]
                    let ao = (l - 1) * stride
                    let ai = l * stride

                    for c in 0 .. cols - 1 do
                        a.[ao + c] <- 0.0

                    let mutable ro = off.[l]

                    for r in 0 .. rows - 1 do
                        let ar = a.[ai + r]
                        let ga = g * ar

                        for c in 0 .. cols - 1 do
                            let v = w.[ro + c]
                            a.[ao + c] <- a.[ao + c] + ar * v
                            let nv = decay * v + ga * b.[ai + c]
                            w.[ro + c] <- nv
                            chk <- chk + (nv - nv)

                        ro <- ro + cols
                // First layer: every column decays, column j gains g·a_0.
                let mutable ro = 0

                for r in 0 .. n1 - 1 do
                    for k in 0 .. n0 - 1 do
                        w.[ro + k] <- decay * w.[ro + k]

                    let nv = w.[ro + j] + g * a.[r]
                    w.[ro + j] <- nv
                    chk <- chk + (nv - nv)
                    ro <- ro + n0

                s.WeightsFinite <- (chk = 0.0)

            res

    // Folds every layer whose next scale would leave the fold range; true when the lazy step may run.
    let inline private prepareScales (s: EngineState) (decay: float) =
        let sc = s.Scales
        let mutable ok = true

        for l in 0 .. sc.Length - 1 do
            let m = abs (decay * sc.[l])

            if not (m >= scaleLow && m <= scaleHigh) then
                foldLayer s l
                let m1 = abs decay

                if not (m1 >= scaleLow && m1 <= scaleHigh) then
                    ok <- false

        ok

    // Fused-decay fallback for a decay outside the fold range (0 included): normalises every scale to
    // 1, then the plain algorithm W_l ← decay·W_l + η r a_l b_lᵀ on every weight. Rare (controls only).
    let private stepFused (s: EngineState) (decay: float) (eta: float) (i: int) (j: int) : float =
        normalise s
        let depth = s.Widths.Length - 1
        let w = s.Weights
        let off = s.Offsets
        let widths = s.Widths
        let stride = s.MaxWidth
        let b = s.B
        let a = s.A
        let n0 = widths.[0]
        let last = depth - 1
        // bAt l c = b_l[c] (b_0 = e_j); aAt l r = a_l[r] (a_{L-1} = e_i).
        let bAt l c =
            if l = 0 then
                (if c = j then 1.0 else 0.0)
            else
                b.[l * stride + c]

        let aAt l r =
            if l = last then
                (if r = i then 1.0 else 0.0)
            else
                a.[l * stride + r]

        for l in 0 .. depth - 2 do
            let rows, cols = widths.[l + 1], widths.[l]

            for r in 0 .. rows - 1 do
                let mutable acc = 0.0

                for c in 0 .. cols - 1 do
                    acc <- acc + w.[off.[l] + r * cols + c] * bAt l c

                b.[(l + 1) * stride + r] <- acc

        let mutable aij = 0.0

        for c in 0 .. widths.[last] - 1 do
            aij <- aij + w.[off.[last] + i * widths.[last] + c] * bAt last c

        for l in last .. -1 .. 1 do
            let rows, cols = widths.[l + 1], widths.[l]

            for c in 0 .. cols - 1 do
                let mutable acc = 0.0

                for r in 0 .. rows - 1 do
                    acc <- acc + w.[off.[l] + r * cols + c] * aAt l r

                a.[(l - 1) * stride + c] <- acc

        let res = s.Target.[i * n0 + j] - aij

        if Double.IsFinite res then
            let g = eta * res
            let mutable finite = true

            for l in 0 .. depth - 1 do
                let rows, cols = widths.[l + 1], widths.[l]

                for r in 0 .. rows - 1 do
                    let ga = g * aAt l r

                    for c in 0 .. cols - 1 do
                        let k = off.[l] + r * cols + c
                        let nv = decay * w.[k] + ga * bAt l c
                        w.[k] <- nv

                        if not (Double.IsFinite nv) then
                            finite <- false

            s.WeightsFinite <- finite

            for l in 0 .. depth - 1 do
                rescan s l

        res

    /// One SGD step at entry (i, j) with explicit decay (`1 − 2ηλ` for the paper's step):
    /// W_ℓ ← decay·W_ℓ + η r a_ℓ b_ℓᵀ with r = A*_ij − A_θ,ij. Returns r. When r is not finite the
    /// weights are left unchanged; `WeightsFinite` reports whether the step stored a non-finite weight.
    let stepWithDecay (s: EngineState) (decay: float) (eta: float) (i: int) (j: int) : float =
        if s.MaxWidth <= tinyWidth then stepTiny s decay eta i j
        elif prepareScales s decay then stepLazy s decay eta i j
        else stepFused s decay eta i j

    /// One SGD step of THEORY.md §1 at entry (i, j): decay 1 − 2ηλ. Returns the residual r before the step.
    let step (s: EngineState) (hyper: Hyper) (i: int) (j: int) =
        stepWithDecay s (1.0 - 2.0 * hyper.Eta * hyper.Lambda) hyper.Eta i j

    // Up to `steps` steps with entries drawn by `rng`; returns the steps taken and whether the last
    // one diverged (non-finite residual or weight).
    let private runCore
        (s: EngineState)
        (decay: float)
        (eta: float)
        (rng: byref<Rng>)
        (steps: int64)
        : struct (int64 * bool) =
        let rows = s.ObservedRow
        let cols = s.ObservedCol
        let n = rows.Length
        let mutable t = 0L
        let mutable diverged = false

        while not diverged && t < steps do
            let e = Rng.nextInt &rng n
            let r = stepWithDecay s decay eta rows.[e] cols.[e]

            if not (Double.IsFinite r && s.WeightsFinite) then
                diverged <- true

            t <- t + 1L

        struct (t, diverged)

    /// `steps` SGD steps (THEORY.md §1) with entries drawn uniformly from the observed set by `rng`
    /// (advanced in place, one `Rng.nextInt` per step). Stops at the first step whose residual or
    /// new weights are not finite and reports its zero-based index.
    let runDetailed (s: EngineState) (hyper: Hyper) (rng: byref<Rng>) (steps: int64) : RunOutcome =
        let struct (t, diverged) =
            runCore s (1.0 - 2.0 * hyper.Eta * hyper.Lambda) hyper.Eta &rng steps

        if diverged then
            RunOutcome.Diverged(t - 1L)
        else
            RunOutcome.Completed t

    /// `runDetailed` (THEORY.md §1 SGD) as a bool: false, leaving the state after the first divergent step, when the run
    /// diverges.
    let run (s: EngineState) (hyper: Hyper) (rng: byref<Rng>) (steps: int64) : bool =
        let struct (_, diverged) =
            runCore s (1.0 - 2.0 * hyper.Eta * hyper.Lambda) hyper.Eta &rng steps

        not diverged

    /// `steps` SGD steps (THEORY.md §1), calling `observe t state` after every `every` steps (and after the last one),
    /// where t is the number of steps taken so far; `observe` returning false stops the run. The steps
    /// between observations run the same loop as `run`, so observation costs only the callbacks.
    let runObserved
        (s: EngineState)
        (hyper: Hyper)
        (rng: byref<Rng>)
        (steps: int64)
        (every: int64)
        (observe: int64 -> EngineState -> bool)
        : RunOutcome =
        if every <= 0L then
            invalidArg "every" "must be positive"

        let decay = 1.0 - 2.0 * hyper.Eta * hyper.Lambda
        let mutable t = 0L
        let mutable outcome = ValueNone

        while outcome.IsNone do
            let chunk = min every (steps - t)
            let struct (taken, diverged) = runCore s decay hyper.Eta &rng chunk
            t <- t + taken

            if diverged then
                outcome <- ValueSome(RunOutcome.Diverged(t - 1L))
            elif not (observe t s) then
                outcome <-
                    ValueSome(
                        if t >= steps then
                            RunOutcome.Completed t
                        else
                            RunOutcome.Stopped t
                    )
            elif t >= steps then
                outcome <- ValueSome(RunOutcome.Completed t)

        outcome.Value
