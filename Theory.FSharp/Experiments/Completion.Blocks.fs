namespace LowRankVerify.Theory

/// Known-answer references of the blocks family (issue "The ladder B_R ⊃ … ⊃ B_1"): from a block-diagonal
/// start the m blocks of the block task's run evolve as m separate E1 networks under the same draws and
/// decay (SGD chains: `blockReference`; SDE twins: `sdeBlockReference`). Used by the property tests.
[<RequireQualifiedAccess>]
module CompletionBlocks =

    /// The m diagonal blocks of θ_0 (block b: rows and columns b·n_ℓ/m .. (b+1)·n_ℓ/m − 1 of each layer), for
    /// the block references; every width must be a multiple of m.
    let private diagonalBlocks (p: CompletionParams) (m: int) : Network[] =
        let start = Completion.startNetwork p
        let widths = Completion.widthsOf p

        if widths |> Array.exists (fun w -> w % m <> 0) then
            invalidArg "p" "every width must be a multiple of the number of blocks"

        Array.init m (fun b ->
            {
                W =
                    start.W
                    |> Array.mapi (fun l w ->
                        let r, c = widths.[l + 1] / m, widths.[l] / m
                        w.SubMatrix(b * r, r, b * c, c))
            })

    /// The blocks family's known answer (issue "The ladder B_R ⊃ … ⊃ B_1"): chain s of a blocks task run
    /// as m separate E1 chains. Step t draws observed entry e from `Rng.stream S s` exactly as the chain
    /// does; block e / 3 takes the SGD step of E1's entry e % 3 on its own 2×2 network, and every other
    /// block decays by 1 − 2ηλ. Block b starts from the diagonal block b of θ_0 (rows and columns
    /// b·n_ℓ/m .. (b+1)·n_ℓ/m − 1 of each layer); off-block entries of θ_0 are ignored, so the result is
    /// the chain only when θ_0 is block-diagonal. Returns the m block networks after `steps` steps.
    let blockReference (p: CompletionParams) (m: int) (epsilon: float) (chain: int) (steps: int64) : Network[] =
        let e1 = Task.e1 epsilon
        let decay = 1.0 - 2.0 * p.Eta * p.Lambda
        let states = diagonalBlocks p m |> Array.map (Engine.create e1)

        let mutable rng = Rng.stream p.Seed (uint64 chain)
        let n = p.Task.N

        for _ in 1L .. steps do
            let e = Rng.nextInt &rng n
            let drawn = e / 3
            let i, j = e1.Observed.[e % 3]

            for b in 0 .. m - 1 do
                if b = drawn then
                    Engine.stepWithDecay states.[b] decay p.Eta i j |> ignore
                else
                    let st = states.[b]
                    Engine.normalise st

                    for k in 0 .. st.Weights.Length - 1 do
                        st.Weights.[k] <- decay * st.Weights.[k]

        states |> Array.map Engine.toNetwork

    /// The blocks family's known answer for SDE twin s (C6): the twin run as m separate 2×2 networks. Step t
    /// draws the N = 3m Gaussians ξ from `Completion.sdeStream p s` exactly as the twin does and applies the
    /// SDE step in its definition form, θ⁺ = (1 − 2ηλ)θ − ηḠ + (η/√N) Σ_k ξ_k (G_k − Ḡ), written here
    /// independently of the engines' weighted-residual form c_k = η/N − (η/√N)(ξ_k − ξ̄): G_k is the
    /// per-sample data gradient of entry k (`Sgd.sampleGradient` on E1's task, at the block's θ before the
    /// step), zero outside its block, so block b takes W_ℓ ← (1 − 2ηλ)W_ℓ − ηḠ_b,ℓ + (η/√N)(Σ_{k in b} ξ_k G_k,ℓ
    /// − (Σ_k ξ_k) Ḡ_b,ℓ) with Ḡ_b = (1/N) Σ_{k in b} G_k. The SDE noise is in the span of the per-sample
    /// gradients, which are block-diagonal from a block-diagonal start, so the twin stays block-diagonal;
    /// unlike SGD's, its blocks are not independent E1 chains: every block moves at every step, and they
    /// share N and Σ_k ξ_k. Block b starts from the diagonal block b of θ_0 (as in `blockReference`).
    /// Returns the m block networks after `steps` steps.
    let sdeBlockReference (p: CompletionParams) (m: int) (epsilon: float) (chain: int) (steps: int64) : Network[] =
        let e1 = Task.e1 epsilon
        let decay = 1.0 - 2.0 * p.Eta * p.Lambda
        let n = p.Task.N
        let noise = p.Eta / sqrt (float n)
        let mutable nets = diagonalBlocks p m

        let mutable rng = Completion.sdeStream p chain
        let xi = Array.zeroCreate n

        for _ in 1L .. steps do
            Rng.fillGaussians xi &rng

            let xiSum = Array.sum xi

            nets <-
                nets
                |> Array.mapi (fun b net ->
                    let grads = e1.Observed |> Array.map (Sgd.sampleGradient e1 net)

                    {
                        W =
                            Array.init net.Depth (fun l ->
                                let gBar = (grads |> Array.map (fun g -> g.[l]) |> Array.reduce (+)) / float n
                                let mutable xiG = -xiSum * gBar

                                for q in 0 .. grads.Length - 1 do
                                    xiG <- xiG + xi.[3 * b + q] * grads.[q].[l]

                                decay * net.W.[l] - p.Eta * gBar + noise * xiG)
                    })

        nets
