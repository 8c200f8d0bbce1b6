namespace LowRankVerify.Theory

open MathNet.Numerics.LinearAlgebra

/// The regularised matrix-completion loss L_λ(θ) = (1/2N) Σ_{(i,j)∈I} (A*_ij − A_θ,ij)² + λ‖θ‖²
/// (THEORY.md §1), split into data loss and penalty, with its exact gradient.
[<RequireQualifiedAccess>]
module Loss =

    /// Masked residual matrix R with R_ij = A*_ij − A_ij on observed entries and 0 elsewhere.
    let residuals (task: Task) (a: Matrix<float>) : Matrix<float> =
        let r = Linalg.M.Dense(task.DOut, task.DIn)

        for (i, j) in task.Observed do
            r.[i, j] <- task.Target.[i, j] - a.[i, j]

        r

    /// Data loss ℓ(A) = (1/2N) Σ_{(i,j)∈I} (A*_ij − A_ij)² as a function of the product A.
    let dataLossOf (task: Task) (a: Matrix<float>) =
        let mutable s = 0.0

        for (i, j) in task.Observed do
            let d = task.Target.[i, j] - a.[i, j]
            s <- s + d * d

        s / (2.0 * float task.N)

    /// Data loss of the network, ℓ(A_θ).
    let dataLoss (task: Task) (net: Network) = dataLossOf task (Network.product net)

    /// Penalty λ‖θ‖².
    let penalty (lambda: float) (net: Network) = lambda * Network.squaredNorm net

    /// L_λ(θ) = data loss + penalty.
    let loss (task: Task) (lambda: float) (net: Network) = dataLoss task net + penalty lambda net

    /// ∇_A ℓ(A) = −(1/N) R, the gradient of the data loss with respect to the product (used by D4).
    let productGradient (task: Task) (a: Matrix<float>) = residuals task a / (-(float task.N))

    /// Prefix products P_ℓ = W_ℓ ⋯ W_1 for ℓ = 0..L (P_0 = I) and suffix products S_ℓ = W_L ⋯ W_{ℓ+1}
    /// for ℓ = 0..L (S_L = I).
    let chainProducts (net: Network) : Matrix<float>[] * Matrix<float>[] =
        let depth = net.Depth
        let ws = Network.widths net
        let prefix = Array.zeroCreate (depth + 1)
        prefix.[0] <- Linalg.M.DenseIdentity ws.[0]

        for l in 1..depth do
            prefix.[l] <- net.W.[l - 1] * prefix.[l - 1]

        let suffix = Array.zeroCreate (depth + 1)
        suffix.[depth] <- Linalg.M.DenseIdentity ws.[depth]

        for l in depth - 1 .. -1 .. 0 do
            suffix.[l] <- suffix.[l + 1] * net.W.[l]

        prefix, suffix

    /// Gradient of the data loss per layer: ∇_{W_ℓ} ℓ = S_ℓᵀ (∇_A ℓ) P_{ℓ-1}ᵀ.
    let dataGradient (task: Task) (net: Network) : Matrix<float>[] =
        let prefix, suffix = chainProducts net
        let g = productGradient task prefix.[net.Depth]
        Array.init net.Depth (fun l -> suffix.[l + 1].TransposeThisAndMultiply(g).TransposeAndMultiply(prefix.[l]))

    /// Full gradient ∇L_λ = ∇ℓ + 2λθ, one matrix per layer.
    let gradient (task: Task) (lambda: float) (net: Network) : Matrix<float>[] =
        Array.map2 (fun (g: Matrix<float>) (w: Matrix<float>) -> g + 2.0 * lambda * w) (dataGradient task net) net.W

    /// Frobenius norm of a layer-wise gradient over all layers, sqrt(Σ_ℓ ‖G_ℓ‖_F²).
    let gradientNorm (g: Matrix<float>[]) =
        g |> Array.sumBy Linalg.squaredFrobenius |> sqrt

    /// Root-mean-square error over the unobserved entries (the test set); None when all are observed.
    let testError (task: Task) (a: Matrix<float>) : float option =
        let test = Task.unobserved task

        if test.Length = 0 then
            None
        else
            test
            |> Array.averageBy (fun (i, j) -> (task.Target.[i, j] - a.[i, j]) ** 2.0)
            |> sqrt
            |> Some
