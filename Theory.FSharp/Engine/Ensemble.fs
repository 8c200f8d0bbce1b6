namespace LowRankVerify.Theory

open System
open System.Runtime.InteropServices
open System.Runtime.Intrinsics


/// Many independent SGD chains (THEORY.md §1) on one task and one shape, run together: different
/// seeds, or a grid of (η, λ). Structure of arrays in blocks of 4 chains (one SIMD register): with
/// K weights per chain (k counting them layer after layer, row-major), weight k of chain c is at
/// `Weights.[((c / 4) * K + k) * 4 + c % 4]`, so one register holds the same weight of 4 consecutive
/// chains and every operation of the step vectorises across chains, while each block of 4 chains
/// owns a contiguous range (no cache line is shared by two threads, and a block's weights stream
/// sequentially). `Ensemble.index` computes the position. Chain c draws its entries from
/// `Rng.stream seed c`, so its trajectory does not depend on the thread count or the other chains.
type EnsembleState =
    {
        /// Number of chains.
        Chains: int
        /// `Chains` rounded up to a multiple of 4 (padding lanes have η = 0 and zero weights).
        Stride: int
        /// Widths n_0..n_L shared by every chain.
        Widths: int[]
        /// Start of each layer in weight units k (length L + 1; the last is the weights per chain).
        Offsets: int[]
        /// All weights, weight k of chain c at `Weights.[((c / 4) * K + k) * 4 + c % 4]` (true values:
        /// the decay is fused into the update).
        Weights: float[]
        /// Per lane decay 1 − 2ηλ.
        Decay: float[]
        /// Per lane learning rate η.
        Eta: float[]
        /// Per lane generator (lane c < Chains starts at `Rng.stream seed c`).
        Rngs: Rng[]
        /// Row-major copy of A*.
        Target: float[]
        /// Row index i of each observed entry.
        ObservedRow: int[]
        /// Column index j of each observed entry.
        ObservedCol: int[]
        /// (i, j, A*_ij) of observed entry e at `[3e .. 3e + 2]`, indices as floats (for SIMD masks).
        EntryTable: float[]
        /// Per chain: −1, or the zero-based index of the first step whose residual or new weights were
        /// not finite (the chain's later values are meaningless).
        DivergedAt: int64[]
        /// Steps taken by every chain so far.
        mutable StepsTaken: int64
    }

/// Building, running and reading ensembles of SGD chains (THEORY.md §1 SGD, vectorised across chains).
[<RequireQualifiedAccess>]
module Ensemble =

    /// Chains per SIMD register (Vector256 of doubles).
    [<Literal>]
    let lanes = 4

    /// Position in `Weights` of weight k (0 ≤ k < K, layer after layer, row-major) of chain c.
    let index (e: EnsembleState) (c: int) (k: int) =
        ((c / lanes) * e.Offsets.[e.Offsets.Length - 1] + k) * lanes + c % lanes

    let inline private ldAt (wr: byref<float>) (k: int) = Vector256.LoadUnsafe(&wr, unativeint k)

    let inline private stAt (v: Vector256<float>) (wr: byref<float>) (k: int) =
        Vector256.StoreUnsafe(v, &wr, unativeint k)

    /// An ensemble where chain c starts from `nets.[c]` with `hypers.[c]` and draws its entries from
    /// `Rng.stream seed c`. Every network must have the task's shape and the same widths.
    let create (task: Task) (nets: Network[]) (hypers: Hyper[]) (seed: uint64) : EnsembleState =
        if nets.Length = 0 then
            invalidArg "nets" "must hold at least one network"

        if hypers.Length <> nets.Length then
            invalidArg "hypers" "must hold one Hyper per network"

        let widths = Network.widths nets.[0]

        if widths.[0] <> task.DIn || widths.[widths.Length - 1] <> task.DOut then
            invalidArg "nets" "the networks do not have the task's shape"

        if nets |> Array.exists (fun n -> Network.widths n <> widths) then
            invalidArg "nets" "every network must have the same widths"

        let depth = widths.Length - 1
        let chains = nets.Length
        let stride = (chains + lanes - 1) / lanes * lanes
        let offsets = Array.zeroCreate (depth + 1)

        for l in 0 .. depth - 1 do
            offsets.[l + 1] <- offsets.[l] + widths.[l + 1] * widths.[l]

        let weights = Array.zeroCreate (offsets.[depth] * stride)

        for c in 0 .. chains - 1 do
            for l in 0 .. depth - 1 do
                let w = nets.[c].W.[l]

                for r in 0 .. w.RowCount - 1 do
                    for col in 0 .. w.ColumnCount - 1 do
                        weights.[((c / lanes) * offsets.[depth] + offsets.[l] + r * w.ColumnCount + col) * lanes
                                 + c % lanes] <- w.[r, col]

        {
            Chains = chains
            Stride = stride
            Widths = widths
            Offsets = offsets
            Weights = weights
            Decay =
                Array.init stride (fun c ->
                    if c < chains then
                        1.0 - 2.0 * hypers.[c].Eta * hypers.[c].Lambda
                    else
                        1.0)
            Eta = Array.init stride (fun c -> if c < chains then hypers.[c].Eta else 0.0)
            Rngs = Array.init stride (fun c -> Rng.stream seed (uint64 c))
            Target = task.Target.ToRowMajorArray()
            ObservedRow = task.Observed |> Array.map fst
            ObservedCol = task.Observed |> Array.map snd
            EntryTable =
                task.Observed
                |> Array.collect (fun (i, j) -> [| float i; float j; task.Target.[i, j] |])
            DivergedAt = Array.create chains -1L
            StepsTaken = 0L
        }

    /// `chains` chains from the same start `net` and the same `hyper`, differing only by their streams.
    let ofSeeds (task: Task) (net: Network) (hyper: Hyper) (seed: uint64) (chains: int) : EnsembleState =
        if chains < 1 then
            invalidArg "chains" "must be at least 1"

        create task (Array.create chains net) (Array.create chains hyper) seed

    /// A grid of chains from the same start: chain `e * lambdas.Length + k` has η = `etas.[e]` and
    /// λ = `lambdas.[k]`.
    let grid (task: Task) (net: Network) (etas: float[]) (lambdas: float[]) (seed: uint64) : EnsembleState =
        let hypers =
            [|
                for eta in etas do
                    for lambda in lambdas -> { Eta = eta; Lambda = lambda }
            |]

        create task (Array.create hypers.Length net) hypers seed

    /// The current network of chain c (allocates; for observation).
    let toNetwork (e: EnsembleState) (c: int) : Network =
        if c < 0 || c >= e.Chains then
            invalidArg "c" "chain index out of range"

        {
            W =
                Array.init (e.Widths.Length - 1) (fun l ->
                    let rows, cols = e.Widths.[l + 1], e.Widths.[l]
                    Linalg.M.Dense(rows, cols, (fun r col -> e.Weights.[index e c (e.Offsets.[l] + r * cols + col)])))
        }

    /// The generator state of chain c (where its stream stands now).
    let rng (e: EnsembleState) (c: int) : Rng = e.Rngs.[c]

    /// The zero-based step at which chain c diverged, if it did.
    let divergedAt (e: EnsembleState) (c: int) : int64 option =
        if e.DivergedAt.[c] < 0L then
            None
        else
            Some e.DivergedAt.[c]

    // One SGD step of the 4 chains of lane group c0 (lanes c0..c0+3). `b` and `a` are per-thread
    // scratch of L·maxWidth vectors; b.[l·mw + r] = b_l[r] (l ≥ 1), a.[l·mw + r] = a_l[r] (l ≤ L−2).
    // Returns a vector that is 0 in lanes whose residual and new weights are finite, NaN otherwise.
    let private groupStep
        (e: EnsembleState)
        (c0: int)
        (mw: int)
        (b: Vector256<float>[])
        (a: Vector256<float>[])
        : Vector256<float> =
        let widths = e.Widths
        let off = e.Offsets
        let w = e.Weights
        let depth = widths.Length - 1
        let last = depth - 1
        let n0 = widths.[0]
        let n = e.ObservedRow.Length
        let e0 = Rng.nextInt &e.Rngs.[c0] n
        let e1 = Rng.nextInt &e.Rngs.[c0 + 1] n
        let e2 = Rng.nextInt &e.Rngs.[c0 + 2] n
        let e3 = Rng.nextInt &e.Rngs.[c0 + 3] n
        // Entry e as floats (i, j, A*_ij) at EntryTable.[3e ..]: masks compare against float indices.
        let et = e.EntryTable
        let iv = Vector256.Create(et.[3 * e0], et.[3 * e1], et.[3 * e2], et.[3 * e3])

        let jv =
            Vector256.Create(et.[3 * e0 + 1], et.[3 * e1 + 1], et.[3 * e2 + 1], et.[3 * e3 + 1])

        let tv =
            Vector256.Create(et.[3 * e0 + 2], et.[3 * e1 + 2], et.[3 * e2 + 2], et.[3 * e3 + 2])

        let decay = Vector256.LoadUnsafe(&e.Decay.[c0])
        let eta = Vector256.LoadUnsafe(&e.Eta.[c0])
        // The block of lanes c0..c0+3 starts at c0·K; weight k of the block is at c0·K + 4k.
        let wr = &MemoryMarshal.GetArrayDataReference w
        let bs = c0 * off.[depth]
        let mutable chk = Vector256<float>.Zero

        if depth = 1 then
            let mutable aij = Vector256<float>.Zero

            for r in 0 .. widths.[1] - 1 do
                let mi = Vector256.Equals(iv, Vector256.Create(float r))

                for k in 0 .. n0 - 1 do
                    let m = mi &&& Vector256.Equals(jv, Vector256.Create(float k))
                    aij <- Vector256.ConditionalSelect(m, ldAt &wr (bs + 4 * (r * n0 + k)), aij)

            let res = tv - aij
            let g = eta * res

            for r in 0 .. widths.[1] - 1 do
                let mi = Vector256.Equals(iv, Vector256.Create(float r))

                for k in 0 .. n0 - 1 do
                    let m = mi &&& Vector256.Equals(jv, Vector256.Create(float k))

                    let nv =
                        decay * ldAt &wr (bs + 4 * (r * n0 + k))
                        + Vector256.ConditionalSelect(m, g, Vector256<float>.Zero)

                    stAt nv &wr (bs + 4 * (r * n0 + k))
                    chk <- chk + (nv - nv)

            chk + (res - res)
        else
            // Forward: b_1[r] = W_0[r, j] (masked gather), b_{l+1} = W_l b_l.
            let n1 = widths.[1]

            for r in 0 .. n1 - 1 do
                let mutable acc = Vector256<float>.Zero

                for k in 0 .. n0 - 1 do
                    acc <-
                        Vector256.ConditionalSelect(
                            Vector256.Equals(jv, Vector256.Create(float k)),
                            ldAt &wr (bs + 4 * (r * n0 + k)),
                            acc
                        )

                b.[mw + r] <- acc

            for l in 1 .. depth - 2 do
                let rowsL, colsL = widths.[l + 1], widths.[l]

                for r in 0 .. rowsL - 1 do
                    let mutable acc = Vector256<float>.Zero
                    let ko = off.[l] + r * colsL

                    for c in 0 .. colsL - 1 do
                        acc <- Vector256.FusedMultiplyAdd(ldAt &wr (bs + 4 * (ko + c)), b.[l * mw + c], acc)

                    b.[(l + 1) * mw + r] <- acc
            // a_{L-2}[c] = W_{L-1}[i, c] (masked gather), A_ij = a_{L-2} · b_{L-1}.
            let nL = widths.[depth]
            let cl = widths.[last]
            let aL = (last - 1) * mw
            let bL = last * mw
            let mutable aij = Vector256<float>.Zero

            for c in 0 .. cl - 1 do
                let mutable acc = Vector256<float>.Zero

                for r in 0 .. nL - 1 do
                    acc <-
                        Vector256.ConditionalSelect(
                            Vector256.Equals(iv, Vector256.Create(float r)),
                            ldAt &wr (bs + 4 * (off.[last] + r * cl + c)),
                            acc
                        )

                a.[aL + c] <- acc
                aij <- Vector256.FusedMultiplyAdd(acc, b.[bL + c], aij)

            let res = tv - aij
            let g = eta * res
            // Last layer: W ← decay·W + [r = i] g b_{L-1}ᵀ.
            for r in 0 .. nL - 1 do
                let gi =
                    Vector256.ConditionalSelect(
                        Vector256.Equals(iv, Vector256.Create(float r)),
                        g,
                        Vector256<float>.Zero
                    )

                let ko = off.[last] + r * cl

                for c in 0 .. cl - 1 do
                    let nv =
                        Vector256.FusedMultiplyAdd(gi, b.[bL + c], decay * ldAt &wr (bs + 4 * (ko + c)))

                    stAt nv &wr (bs + 4 * (ko + c))
                    chk <- chk + (nv - nv)
            // Hidden layers: a_{l-1} = W_lᵀ a_l with the old W_l, then W_l ← decay·W_l + g a_l b_lᵀ.
            for l in last - 1 .. -1 .. 1 do
                let rowsL, colsL = widths.[l + 1], widths.[l]
                let ao = (l - 1) * mw

                for c in 0 .. colsL - 1 do
                    a.[ao + c] <- Vector256<float>.Zero

                for r in 0 .. rowsL - 1 do
                    let ar = a.[l * mw + r]
                    let ga = g * ar
                    let ko = off.[l] + r * colsL

                    for c in 0 .. colsL - 1 do
                        let v = ldAt &wr (bs + 4 * (ko + c))
                        a.[ao + c] <- Vector256.FusedMultiplyAdd(ar, v, a.[ao + c])
                        let nv = Vector256.FusedMultiplyAdd(ga, b.[l * mw + c], decay * v)
                        stAt nv &wr (bs + 4 * (ko + c))
                        chk <- chk + (nv - nv)
            // First layer: W ← decay·W + [k = j] g a_0.
            for r in 0 .. n1 - 1 do
                let ga = g * a.[r]
                let ko = r * n0

                for k in 0 .. n0 - 1 do
                    let gk =
                        Vector256.ConditionalSelect(
                            Vector256.Equals(jv, Vector256.Create(float k)),
                            ga,
                            Vector256<float>.Zero
                        )

                    let nv = decay * ldAt &wr (bs + 4 * (ko + k)) + gk
                    stAt nv &wr (bs + 4 * (ko + k))
                    chk <- chk + (nv - nv)

            chk + (res - res)

    // Runs `steps` steps on lane groups [g0, g1) with its own scratch.
    let private runGroups (e: EnsembleState) (g0: int) (g1: int) (steps: int64) =
        let mw = Array.max e.Widths
        let depth = e.Widths.Length - 1
        let b = Array.zeroCreate<Vector256<float>> (depth * mw)
        let a = Array.zeroCreate<Vector256<float>> (depth * mw)
        let start = e.StepsTaken
        // Steps outer, groups inner: consecutive group steps are independent, so the CPU overlaps
        // them (a group's step t+1 waits on its step t; the next group's step does not).
        let mutable t = 0L

        while t < steps do
            for g in g0 .. g1 - 1 do
                let c0 = g * lanes
                let bad = groupStep e c0 mw b a

                if not (Vector256.EqualsAll(bad, Vector256<float>.Zero)) then
                    for k in 0 .. lanes - 1 do
                        let c = c0 + k

                        if c < e.Chains && e.DivergedAt.[c] < 0L && bad.GetElement k <> 0.0 then
                            e.DivergedAt.[c] <- start + t

            t <- t + 1L

    /// `steps` SGD steps of every chain on at most `threads` threads (contiguous blocks of lane
    /// groups, one per thread). The result does not depend on `threads`.
    let runWith (threads: int) (e: EnsembleState) (steps: int64) =
        if threads < 1 then
            invalidArg "threads" "must be at least 1"

        if steps < 0L then
            invalidArg "steps" "must be non-negative"

        let groups = e.Stride / lanes
        let parts = min threads groups

        if parts = 1 then
            runGroups e 0 groups steps
        else
            let options = System.Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = parts)

            System.Threading.Tasks.Parallel.For(
                0,
                parts,
                options,
                fun p -> runGroups e (p * groups / parts) ((p + 1) * groups / parts) steps
            )
            |> ignore

        e.StepsTaken <- e.StepsTaken + steps

    /// `runWith` on every core (`Environment.ProcessorCount` threads).
    let run (e: EnsembleState) (steps: int64) =
        runWith Environment.ProcessorCount e steps

    /// `steps` steps of every chain, calling `observe t e` every `every` steps (and after the last);
    /// false from `observe` stops. Returns the steps taken.
    let runObserved (e: EnsembleState) (steps: int64) (every: int64) (observe: int64 -> EnsembleState -> bool) : int64 =
        if every <= 0L then
            invalidArg "every" "must be positive"

        let mutable t = 0L
        let mutable go = true

        while go do
            let chunk = min every (steps - t)
            run e chunk
            t <- t + chunk
            go <- observe t e && t < steps

        t
