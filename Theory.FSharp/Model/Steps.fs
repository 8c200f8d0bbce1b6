namespace LowRankVerify.Theory

open MathNet.Numerics.LinearAlgebra

/// Step sizes of one optimiser run: learning rate η and regularisation λ (THEORY.md §1).
type Hyper =
    {
        /// Learning rate η > 0.
        Eta: float
        /// L2 regularisation λ ≥ 0.
        Lambda: float
    }

/// Result of the rank-one decomposition of one SGD step at entry (i, j).
type RankOneStep =
    {
        /// Residual r = A*_ij − A_θ,ij before the step.
        Residual: float
        /// a_ℓ = (W_L ⋯ W_{ℓ+1})ᵀ e_i for ℓ = 1..L (`A.[L-1]` = e_i).
        A: Vector<float>[]
        /// b_ℓ = W_{ℓ-1} ⋯ W_1 e_j for ℓ = 1..L (`B.[0]` = e_j).
        B: Vector<float>[]
    }

/// The reference single-entry SGD step of THEORY.md §1 in its rank-one form. Clear rather than fast:
/// it allocates; the engine (issue 5) is the fast path and is checked against this one.
[<RequireQualifiedAccess>]
module Sgd =

    /// Forward chain b_ℓ, backward chain a_ℓ and residual r at entry (i, j); O(L·w²), no full product.
    let rankOne (task: Task) (net: Network) (i: int, j: int) : RankOneStep =
        let depth = net.Depth
        let b = Array.zeroCreate depth
        b.[0] <- Linalg.V.Dense(net.W.[0].ColumnCount, (fun k -> if k = j then 1.0 else 0.0))

        for l in 1 .. depth - 1 do
            b.[l] <- net.W.[l - 1] * b.[l - 1]

        let a = Array.zeroCreate depth
        a.[depth - 1] <- Linalg.V.Dense(net.W.[depth - 1].RowCount, (fun k -> if k = i then 1.0 else 0.0))

        for l in depth - 2 .. -1 .. 0 do
            a.[l] <- net.W.[l + 1].TransposeThisAndMultiply(a.[l + 1])

        let aij = a.[depth - 1] * (net.W.[depth - 1] * b.[depth - 1])

        {
            Residual = task.Target.[i, j] - aij
            A = a
            B = b
        }

    /// Per-sample data gradient G_ℓ = −r a_ℓ b_ℓᵀ of (1/2)(A*_ij − A_ij)² (D1).
    let sampleGradient (task: Task) (net: Network) (entry: int * int) : Matrix<float>[] =
        let s = rankOne task net entry
        Array.init net.Depth (fun l -> -s.Residual * s.A.[l].OuterProduct(s.B.[l]))

    /// SGD step with an explicit decay factor: W_ℓ ← decay·W_ℓ + η r a_ℓ b_ℓᵀ. `step` passes the paper's
    /// decay 1 − 2ηλ; negative controls pass a wrong one.
    let stepWithDecay (decay: float) (eta: float) (task: Task) (net: Network) (entry: int * int) : Network =
        let s = rankOne task net entry

        {
            W = Array.init net.Depth (fun l -> decay * net.W.[l] + (eta * s.Residual) * s.A.[l].OuterProduct(s.B.[l]))
        }

    /// One SGD step θ ← (1 − 2ηλ)θ − (η/2)∇_θ(A*_ij − A_θ,ij)² at the observed entry (i, j) (THEORY.md §1).
    let step (hyper: Hyper) (task: Task) (net: Network) (entry: int * int) : Network =
        stepWithDecay (1.0 - 2.0 * hyper.Eta * hyper.Lambda) hyper.Eta task net entry

    /// The average of `step` over every observed entry (D2: equals `Gd.step`).
    let meanStep (hyper: Hyper) (task: Task) (net: Network) : Network =
        let steps = task.Observed |> Array.map (step hyper task net)

        {
            W =
                Array.init net.Depth (fun l ->
                    (steps |> Array.map (fun n -> n.W.[l]) |> Array.reduce (+)) / float task.N)
        }

/// Full-batch gradient descent θ ← θ − η∇L_λ(θ) (THEORY.md §1, a choice for controls).
[<RequireQualifiedAccess>]
module Gd =

    /// One gradient-descent step.
    let step (hyper: Hyper) (task: Task) (net: Network) : Network =
        Network.axpy (-hyper.Eta) (Loss.gradient task hyper.Lambda net) net
