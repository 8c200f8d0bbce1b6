namespace LowRankVerify.Theory

open MathNet.Numerics.LinearAlgebra

/// A deep linear network θ = (W_1, …, W_L) (THEORY.md §1). `W.[0]` is W_1 (n_1 × d_in) and `W.[L-1]`
/// is W_L (d_out × n_{L-1}); the code's zero-based `W.[l]` is the paper's W_{l+1}.
type Network =
    {
        /// The layers W_1 … W_L; consecutive shapes agree (`W.[l].ColumnCount = W.[l-1].RowCount`).
        W: Matrix<float>[]
    }

    /// Depth L, the number of weight matrices.
    member this.Depth = this.W.Length

/// Shapes, products, norms and initialisers of deep linear networks.
[<RequireQualifiedAccess>]
module Network =

    /// Largest total number of weights accepted from user input (guards memory).
    [<Literal>]
    let maxParameters = 10_000_000

    /// Widths `[| n_0; n_1; …; n_L |]` with n_0 = d_in and n_L = d_out.
    let widths (net: Network) =
        Array.append [| net.W.[0].ColumnCount |] (net.W |> Array.map (fun w -> w.RowCount))

    /// Hidden widths n_1 … n_{L−1} of a network.
    let hiddenWidths (net: Network) =
        let ws = widths net
        ws.[1 .. ws.Length - 2]

    /// Checks shapes (every layer non-empty, consecutive shapes agree, optionally against a task's
    /// d_in and d_out) and finiteness of every weight.
    let validate (expected: (int * int) option) (net: Network) : Result<Network, InputError> =
        let err f r = Error(InputError.create f r)

        if isNull net.W || net.W.Length = 0 then
            err "layers" "must hold at least one matrix"
        else
            let mutable result = Ok net
            let mutable l = 0

            while Result.isOk result && l < net.W.Length do
                let w = net.W.[l]
                let f = sprintf "layers[%d]" l

                if w.RowCount = 0 || w.ColumnCount = 0 then
                    result <- err f "must be a non-empty matrix"
                elif l > 0 && w.ColumnCount <> net.W.[l - 1].RowCount then
                    result <-
                        err
                            f
                            (sprintf
                                "has %d columns but layers[%d] has %d rows"
                                w.ColumnCount
                                (l - 1)
                                net.W.[l - 1].RowCount)
                elif not (Linalg.isFinite w) then
                    result <- err f "every entry must be a finite number"

                l <- l + 1

            match result, expected with
            | Ok _, Some(dOut, dIn) when net.W.[0].ColumnCount <> dIn ->
                err "layers[0]" (sprintf "has %d columns but the task has d_in = %d" net.W.[0].ColumnCount dIn)
            | Ok _, Some(dOut, _) when net.W.[net.W.Length - 1].RowCount <> dOut ->
                err
                    (sprintf "layers[%d]" (net.W.Length - 1))
                    (sprintf "has %d rows but the task has d_out = %d" net.W.[net.W.Length - 1].RowCount dOut)
            | r, _ -> r

    /// Builds a network from layers given as arrays of rows (JSON form), validating shapes and values.
    let ofRowArrays (layers: float[][][]) : Result<Network, InputError> =
        if isNull layers || layers.Length = 0 then
            Error(InputError.create "layers" "must hold at least one matrix")
        else
            let total =
                layers
                |> Array.sumBy (fun w ->
                    if isNull w then
                        0L
                    else
                        w |> Array.sumBy (fun r -> if isNull r then 0L else int64 r.Length))

            if total > int64 maxParameters then
                Error(InputError.create "layers" (sprintf "hold more than %d weights" maxParameters))
            else
                let shapeError =
                    layers
                    |> Array.indexed
                    |> Array.tryPick (fun (l, w) ->
                        if isNull w || w.Length = 0 then
                            Some(InputError.create (sprintf "layers[%d]" l) "must be a non-empty array of rows")
                        else
                            w
                            |> Array.indexed
                            |> Array.tryPick (fun (i, row) ->
                                if isNull row || row.Length <> w.[0].Length || row.Length = 0 then
                                    Some(
                                        InputError.create
                                            (sprintf "layers[%d][%d]" l i)
                                            (sprintf "must have %d columns like layers[%d][0]" w.[0].Length l)
                                    )
                                else
                                    row
                                    |> Array.tryFindIndex (System.Double.IsFinite >> not)
                                    |> Option.map (fun j ->
                                        InputError.create
                                            (sprintf "layers[%d][%d][%d]" l i j)
                                            "must be a finite number")))

                match shapeError with
                | Some e -> Error e
                | None ->
                    validate
                        None
                        {
                            W = layers |> Array.map Linalg.M.DenseOfRowArrays
                        }

    /// The product A_θ = W_L ⋯ W_1 (d_out × d_in).
    let product (net: Network) : Matrix<float> =
        net.W |> Array.reduce (fun acc w -> w * acc)

    /// Squared Frobenius norm of every layer, ‖W_ℓ‖_F² for ℓ = 1..L.
    let layerSquaredNorms (net: Network) =
        net.W |> Array.map Linalg.squaredFrobenius

    /// ‖θ‖² = Σ_ℓ ‖W_ℓ‖_F² (THEORY.md §1).
    let squaredNorm (net: Network) = layerSquaredNorms net |> Array.sum

    /// Balancedness matrices D_ℓ = W_ℓᵀW_ℓ − W_{ℓ-1}W_{ℓ-1}ᵀ for ℓ = 2..L (D1, B_r condition 1).
    let balancednessMatrices (net: Network) : Matrix<float>[] =
        [|
            for l in 1 .. net.W.Length - 1 ->
                net.W.[l].TransposeThisAndMultiply(net.W.[l])
                - net.W.[l - 1].TransposeAndMultiply(net.W.[l - 1])
        |]

    /// Elementwise map over layers.
    let map (f: int -> Matrix<float> -> Matrix<float>) (net: Network) = { W = net.W |> Array.mapi f }

    /// θ + c·δ layer by layer.
    let axpy (c: float) (delta: Matrix<float>[]) (net: Network) =
        {
            W = Array.map2 (fun (w: Matrix<float>) d -> w + c * d) net.W delta
        }

    /// A deep copy (MathNet matrices are mutable).
    let copy (net: Network) =
        {
            W = net.W |> Array.map (fun w -> w.Clone())
        }

    /// Flattens θ into one vector (layer after layer, column-major within a layer).
    let toVector (net: Network) : float[] =
        net.W |> Array.collect (fun w -> w.ToColumnMajorArray())

    /// Inverse of `toVector` for the shapes of `like`.
    let ofVector (like: Network) (x: float[]) : Network =
        let mutable offset = 0

        {
            W =
                like.W
                |> Array.map (fun w ->
                    let n = w.RowCount * w.ColumnCount
                    let m = Linalg.M.Dense(w.RowCount, w.ColumnCount, Array.sub x offset n)
                    offset <- offset + n
                    m)
        }

    /// Gaussian initialiser: entries N(0, scale²) for widths `[| n_0; …; n_L |]`; returns the advanced rng.
    let gaussian (rng: Rng) (scale: float) (widths: int[]) : Network * Rng =
        let mutable r = rng

        let layers =
            [|
                for l in 1 .. widths.Length - 1 ->
                    let xs, r' = Rng.gaussians r (widths.[l] * widths.[l - 1])
                    r <- r'
                    Linalg.M.Dense(widths.[l], widths.[l - 1], xs |> Array.map ((*) scale))
            |]

        { W = layers }, r

    /// Identity-like initialiser: W_ℓ is the rectangular identity n_ℓ × n_{ℓ-1}, times `scale`.
    let identityLike (scale: float) (widths: int[]) : Network =
        {
            W =
                [|
                    for l in 1 .. widths.Length - 1 -> scale * Linalg.identityLike widths.[l] widths.[l - 1]
                |]
        }

    /// Balanced network of product `A = U diag(s) Vᵀ` (U: d_out × k, V: d_in × k orthonormal columns,
    /// s ≥ 0): W_ℓ = Q_ℓ diag(s)^{1/L} Q_{ℓ-1}ᵀ with Q_0 = V, Q_L = U and Q_ℓ (n_ℓ × k) from `inner`.
    /// Every D_ℓ is zero (up to round-off) and ‖θ‖² = L Σ s_i^{2/L} (D5). `hidden` are n_1..n_{L-1},
    /// each ≥ k.
    let balancedWith
        (inner: int -> Matrix<float>)
        (u: Matrix<float>)
        (s: float[])
        (v: Matrix<float>)
        (hidden: int[])
        : Network =
        let depth = hidden.Length + 1
        let k = s.Length

        if u.ColumnCount <> k || v.ColumnCount <> k then
            invalidArg "s" "U and V must have one column per singular value"

        if hidden |> Array.exists (fun n -> n < k) then
            invalidArg "hidden" "every hidden width must be at least the number of singular values"

        let root =
            Linalg.M.DenseOfDiagonalArray(s |> Array.map (fun x -> x ** (1.0 / float depth)))

        let q l =
            if l = 0 then v
            elif l = depth then u
            else inner l

        let qs = Array.init (depth + 1) q

        {
            W = [| for l in 1..depth -> qs.[l] * root * qs.[l - 1].Transpose() |]
        }

    /// `balancedWith` using the leading columns of the identity as inner frames Q_ℓ.
    let balanced (u: Matrix<float>) (s: float[]) (v: Matrix<float>) (hidden: int[]) =
        balancedWith (fun l -> Linalg.identityLike hidden.[l - 1] s.Length) u s v hidden

    /// `balancedWith` using random Haar frames Q_ℓ; returns the advanced rng.
    let balancedRandom (rng: Rng) (u: Matrix<float>) (s: float[]) (v: Matrix<float>) (hidden: int[]) : Network * Rng =
        let mutable r = rng

        let frames =
            hidden
            |> Array.map (fun n ->
                let q, r' = Linalg.randomOrthonormal r n s.Length
                r <- r'
                q)

        balancedWith (fun l -> frames.[l - 1]) u s v hidden, r

    /// Gauge transform W_ℓ → Q_ℓ W_ℓ Q_{ℓ-1}ᵀ (D6) with orthogonal `qs.[l-1]` = Q_ℓ for ℓ = 1..L−1
    /// (Q_0 = Q_L = I).
    let gauge (qs: Matrix<float>[]) (net: Network) : Network =
        let depth = net.W.Length

        {
            W =
                net.W
                |> Array.mapi (fun l w ->
                    let left = if l = depth - 1 then w else qs.[l] * w
                    if l = 0 then left else left * qs.[l - 1].Transpose())
        }
