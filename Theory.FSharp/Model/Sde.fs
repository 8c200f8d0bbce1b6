namespace LowRankVerify.Theory

/// The continuous analogue of SGD (C6): one Euler–Maruyama step (time step η) of the SDE
/// dθ = −∇L_λ(θ) dt + (η Σ(θ))^{1/2} dB, whose step has exactly the mean and covariance of one SGD step.
[<RequireQualifiedAccess>]
module Sde =

    /// One SDE step with the standard normal draws `xi` (one per observed entry, length N):
    /// θ⁺ = θ − η∇L_λ(θ) + (η/√N) Σ_k ξ_k (G_k − Ḡ), with G_k the per-sample data gradient at entry k and
    /// Ḡ their mean. Mean: the GD step, which is the mean SGD step (D2). Covariance: (η²/N) Σ_k (G_k − Ḡ)^{⊗2},
    /// exactly the covariance of the SGD step −2ηλθ − ηG_k over a uniform k (C6). The reference
    /// implementation (allocates); `SdeEngine.step` is the fast one and is checked against it.
    let stepWith (hyper: Hyper) (task: Task) (xi: float[]) (net: Network) : Network =
        if xi.Length <> task.N then
            invalidArg "xi" (sprintf "needs one draw per observed entry (%d), got %d" task.N xi.Length)

        let grads = task.Observed |> Array.map (Sgd.sampleGradient task net)
        let n = float task.N
        let depth = net.Depth

        let mean =
            Array.init depth (fun l -> (grads |> Array.map (fun g -> g.[l]) |> Array.reduce (+)) / n)

        let scale = hyper.Eta / sqrt n

        {
            W =
                Array.init depth (fun l ->
                    let mutable w = net.W.[l] - hyper.Eta * (mean.[l] + 2.0 * hyper.Lambda * net.W.[l])

                    for k in 0 .. grads.Length - 1 do
                        w <- w + (scale * xi.[k]) * (grads.[k].[l] - mean.[l])

                    w)
        }

    /// One SDE step with fresh draws ξ ~ N(0, I_N) from `rng`; returns θ⁺ and the advanced generator.
    let step (hyper: Hyper) (task: Task) (rng: Rng) (net: Network) : Network * Rng =
        let xi, r = Rng.gaussians rng task.N
        stepWith hyper task xi net, r

    /// N standard normal draws from `rng`.
    let draws (rng: Rng) (count: int) : float[] * Rng = Rng.gaussians rng count

    /// Log-density of the draws under N(0, I_N): −‖ξ‖²/2 − (N/2) log 2π.
    let logDensity (xi: float[]) =
        -0.5 * (xi |> Array.sumBy (fun x -> x * x))
        - 0.5 * float xi.Length * log (2.0 * System.Math.PI)
