namespace LowRankVerify.Theory

/// Flat, allocation-free state of one SGD chain (THEORY.md §1, issue 5). Layer ℓ (zero-based `l`) is
/// stored row-major at `Weights.[Offsets.[l] ..]` with `Widths.[l+1]` rows and `Widths.[l]` columns.
type EngineState =
    { /// Widths n_0..n_L.
      Widths: int[]
      /// Start of each layer in `Weights` (length L + 1; the last is the total size).
      Offsets: int[]
      /// All weights, layer after layer, row-major.
      Weights: float[]
      /// Scratch for the forward chain b_ℓ: `B.[l * maxWidth ..]` holds b_{l+1}.
      B: float[]
      /// Scratch for the backward chain a_ℓ, same layout as `B`.
      A: float[]
      /// Largest width, the stride of `A` and `B`.
      MaxWidth: int
      /// Row-major copy of A*.
      Target: float[]
      /// Observed entries flattened as i·d_in + j.
      Observed: int[] }

/// The fast single-entry SGD engine: forward chain, backward chain, fused decay and rank-one update,
/// O(L·w²) per step, no allocation per step. Equivalent to `Sgd.step` up to round-off.
[<RequireQualifiedAccess>]
module Engine =

    /// Packs a task and a network into a fresh engine state (copies the weights).
    let create (task: Task) (net: Network) : EngineState =
        let widths = Network.widths net
        let depth = net.Depth
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
        { Widths = widths
          Offsets = offsets
          Weights = weights
          B = Array.zeroCreate (depth * maxWidth)
          A = Array.zeroCreate (depth * maxWidth)
          MaxWidth = maxWidth
          Target = task.Target.ToRowMajorArray()
          Observed = task.Observed |> Array.map (fun (i, j) -> i * task.DIn + j) }

    /// Unpacks the current weights into a `Network` (allocates; for observation, not the hot loop).
    let toNetwork (s: EngineState) : Network =
        { W =
            Array.init (s.Widths.Length - 1) (fun l ->
                let rows, cols = s.Widths.[l + 1], s.Widths.[l]
                Linalg.M.Dense(rows, cols, (fun r c -> s.Weights.[s.Offsets.[l] + r * cols + c]))) }

    /// One SGD step at entry (i, j) with explicit decay (`1 − 2ηλ` for the paper's step): computes
    /// b_ℓ, a_ℓ and r, then W_ℓ ← decay·W_ℓ + η r a_ℓ b_ℓᵀ in place. Returns the residual r.
    let stepWithDecay (s: EngineState) (decay: float) (eta: float) (i: int) (j: int) : float =
        let depth = s.Widths.Length - 1
        let w = s.Weights
        let stride = s.MaxWidth
        let b = s.B
        let a = s.A
        // b_1 = e_j, then b_{l+1} = W_l b_l: b_2 is column j of W_1.
        let n0 = s.Widths.[0]
        let n1 = s.Widths.[1]
        System.Array.Clear(b, 0, n0)
        b.[j] <- 1.0
        if depth > 1 then
            let off = s.Offsets.[0]
            for r in 0 .. n1 - 1 do
                b.[stride + r] <- w.[off + r * n0 + j]
            for l in 1 .. depth - 2 do
                let rows, cols = s.Widths.[l + 1], s.Widths.[l]
                let off = s.Offsets.[l]
                let src = l * stride
                let dst = (l + 1) * stride
                for r in 0 .. rows - 1 do
                    let mutable acc = 0.0
                    let ro = off + r * cols
                    for c in 0 .. cols - 1 do
                        acc <- acc + w.[ro + c] * b.[src + c]
                    b.[dst + r] <- acc
        // a_L = e_i, then a_{l} = W_{l+1}ᵀ a_{l+1}: a_{L-1} is row i of W_L.
        let last = depth - 1
        let nL = s.Widths.[depth]
        let nLm1 = s.Widths.[last]
        let lastOff = s.Offsets.[last]
        System.Array.Clear(a, last * stride, nL)
        a.[last * stride + i] <- 1.0
        // A_ij = row i of W_L · b_L
        let mutable aij = 0.0
        let bL = last * stride
        let rowI = lastOff + i * nLm1
        for c in 0 .. nLm1 - 1 do
            aij <- aij + w.[rowI + c] * b.[bL + c]
        if depth > 1 then
            for c in 0 .. nLm1 - 1 do
                a.[(last - 1) * stride + c] <- w.[rowI + c]
            for l in last - 1 .. -1 .. 1 do
                let rows, cols = s.Widths.[l + 1], s.Widths.[l]
                let off = s.Offsets.[l]
                let src = l * stride
                let dst = (l - 1) * stride
                System.Array.Clear(a, dst, cols)
                for r in 0 .. rows - 1 do
                    let ar = a.[src + r]
                    if ar <> 0.0 then
                        let ro = off + r * cols
                        for c in 0 .. cols - 1 do
                            a.[dst + c] <- a.[dst + c] + ar * w.[ro + c]
        let res = s.Target.[i * n0 + j] - aij
        let g = eta * res
        for l in 0 .. depth - 1 do
            let rows, cols = s.Widths.[l + 1], s.Widths.[l]
            let off = s.Offsets.[l]
            let ao = l * stride
            let bo = l * stride
            for r in 0 .. rows - 1 do
                let ga = g * a.[ao + r]
                let ro = off + r * cols
                for c in 0 .. cols - 1 do
                    w.[ro + c] <- decay * w.[ro + c] + ga * b.[bo + c]
        res

    /// One SGD step of THEORY.md §1 at entry (i, j); returns the residual r before the step.
    let step (s: EngineState) (hyper: Hyper) (i: int) (j: int) =
        stepWithDecay s (1.0 - 2.0 * hyper.Eta * hyper.Lambda) hyper.Eta i j

    /// `steps` SGD steps with entries drawn uniformly from the observed set by `rng` (advanced in place).
    /// Returns false, leaving the state at the first non-finite residual, when the run diverges.
    let run (s: EngineState) (hyper: Hyper) (rng: byref<Rng>) (steps: int64) : bool =
        let decay = 1.0 - 2.0 * hyper.Eta * hyper.Lambda
        let n0 = s.Widths.[0]
        let obs = s.Observed
        let mutable ok = true
        let mutable t = 0L
        while ok && t < steps do
            let e = obs.[Rng.nextInt &rng obs.Length]
            let r = stepWithDecay s decay hyper.Eta (e / n0) (e % n0)
            if not (System.Double.IsFinite r) then ok <- false
            t <- t + 1L
        ok
