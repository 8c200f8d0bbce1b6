namespace LowRankVerify.Theory

open MathNet.Numerics.LinearAlgebra

/// Small dense linear-algebra helpers over MathNet.Numerics, with singular values that stay accurate
/// for tiny matrices.
[<RequireQualifiedAccess>]
module Linalg =

    /// Dense matrix builder for doubles.
    let M = Matrix<float>.Build

    /// Dense vector builder for doubles.
    let V = Vector<float>.Build

    /// Squared Frobenius norm ‖X‖_F² (THEORY.md §1), summed in one pass.
    let squaredFrobenius (x: Matrix<float>) =
        let mutable s = 0.0

        for v in x.Enumerate() do
            s <- s + v * v

        s

    /// Largest absolute entry (0 for an empty matrix).
    let maxAbs (x: Matrix<float>) =
        if x.RowCount = 0 || x.ColumnCount = 0 then
            0.0
        else
            x.Enumerate() |> Seq.map abs |> Seq.max

    /// Singular values of `x`, descending, `min(rows, cols)` of them. The matrix is divided by its
    /// largest absolute entry before MathNet's SVD and the values scaled back, because the SVD's
    /// absolute thresholds misbehave on entries near 1e-16; an all-zero matrix gives zeros. The division
    /// is entry by entry: MathNet's `x / scale` multiplies by 1/scale, which overflows to ∞ when the
    /// largest entry is subnormal (below 2^-1022), and the SVD then fails to converge.
    let singularValues (x: Matrix<float>) : float[] =
        let k = min x.RowCount x.ColumnCount
        let scale = maxAbs x

        if k = 0 then
            [||]
        elif scale = 0.0 then
            Array.zeroCreate k
        else
            let s = x.Map(fun v -> v / scale).Svd(false).S.ToArray()
            s |> Array.map (fun v -> abs v * scale) |> Array.sortDescending

    /// Thin SVD `x = U diag(s) Vᵀ` with the same rescaling as `singularValues`; U is rows×k, V is cols×k.
    let thinSvd (x: Matrix<float>) : Matrix<float> * float[] * Matrix<float> =
        let k = min x.RowCount x.ColumnCount
        let scale = maxAbs x

        if scale = 0.0 then
            M.DenseIdentity(x.RowCount, k), Array.zeroCreate k, M.DenseIdentity(x.ColumnCount, k)
        else
            let svd = x.Map(fun v -> v / scale).Svd(true)
            let u = svd.U.SubMatrix(0, x.RowCount, 0, k)
            let v = svd.VT.Transpose().SubMatrix(0, x.ColumnCount, 0, k)
            u, svd.S.ToArray() |> Array.map (fun s -> s * scale), v

    /// Random matrix with orthonormal columns (rows × cols, rows ≥ cols) from the QR factorisation of a
    /// Gaussian matrix, signs fixed so that R has a positive diagonal (Haar-distributed).
    let randomOrthonormal (rng: Rng) (rows: int) (cols: int) : Matrix<float> * Rng =
        let xs, rng' = Rng.gaussians rng (rows * cols)

        if cols = 0 then
            M.Dense(rows, 0), rng'
        else
            let g = M.Dense(rows, cols, xs)
            let qr = g.QR(Factorization.QRMethod.Thin)
            let q = qr.Q.Clone()

            for c in 0 .. cols - 1 do
                if qr.R.[c, c] < 0.0 then
                    q.SetColumn(c, -q.Column(c))

            q, rng'

    /// `rows × cols` matrix with ones on the main diagonal ("identity-like"), the rectangular identity.
    let identityLike (rows: int) (cols: int) = M.DenseIdentity(rows, cols)

    /// True when every entry is finite (neither NaN nor ±∞).
    let isFinite (x: Matrix<float>) =
        x.Enumerate() |> Seq.forall System.Double.IsFinite
