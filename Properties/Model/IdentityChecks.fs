namespace LowRankVerify.Properties

open System.Collections.Concurrent
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open MathNet.Numerics.LinearAlgebra

/// The checks behind the exact identities D1–D7 of THEORY.md §3. Each returns (error, tolerance) pairs;
/// every tolerance is round-off (`Tolerance.gamma` × the scale of the computed terms) plus, at numerical
/// critical points, a term proportional to the measured gradient residual. Nothing here is fitted.
[<RequireQualifiedAccess>]
module IdentityChecks =

    /// γ for the inner products of a Gram matrix WᵀW or WWᵀ of a network plus the few operations around
    /// them (subtraction, scaling): n = max width + 4.
    let gramGamma (net: Network) =
        Tolerance.gamma (Array.max (Network.widths net) + 4)

    /// γ for gauge transforms Q W Qᵀ followed by a product of L layers: n = 4 L · max width.
    let chainGamma (net: Network) =
        Tolerance.gamma (4 * net.Depth * Array.max (Network.widths net))

    /// Absolute error of `n` operations in gradual underflow: each may add up to the smallest subnormal
    /// 2^-1074 (`Double.Epsilon` in .NET) on top of the relative error γ (Higham §2.1, model with underflow),
    /// times `Tolerance.safetyFactor`. Matters only at points like the solver's near-zero critical points
    /// (weights ~1e-162 whose squares are subnormal), where every relative bound underflows to 0.
    let underflowFloor (n: int) =
        Tolerance.safetyFactor * float n * System.Double.Epsilon

    /// D1: D_ℓ⁺ − [(1 − 2ηλ)² D_ℓ + η² (G_ℓᵀG_ℓ − G_{ℓ-1}G_{ℓ-1}ᵀ)] after `Sgd.stepWithDecay decay` at a
    /// drawn entry (decay = 1 − 2ηλ is the paper's step). Max-abs entry error per pair of layers against
    /// γ (s_ℓ² + s_{ℓ-1}² + d²(w_ℓ² + w_{ℓ-1}²) + η²(g_ℓ² + g_{ℓ-1}²)), s_ℓ = |decay| w_ℓ + η g_ℓ the scale
    /// of the updated layer, w = ‖W‖_F, g = ‖G‖_F: each term's Gram entries err by γ × its squared scale.
    let d1 (decay: Case -> float) (c: Case) : (float * float)[] =
        let task = Gens.task c
        let net = Gens.network c
        let e = Gens.entry c 3
        let d = 1.0 - 2.0 * c.Eta * c.Lambda
        let next = Sgd.stepWithDecay (decay c) c.Eta task net e
        let gs = Sgd.sampleGradient task net e
        let before = Network.balancednessMatrices net
        let after = Network.balancednessMatrices next
        let w = Scales.layerNorms net
        let g = gs |> Array.map (Linalg.squaredFrobenius >> sqrt)
        let s = Array.init net.Depth (fun l -> abs (decay c) * w.[l] + c.Eta * g.[l])
        let gamma = gramGamma net

        [|
            for k in 0 .. before.Length - 1 ->
                let l = k + 1

                let predicted =
                    d * d * before.[k]
                    + c.Eta
                      * c.Eta
                      * (gs.[l].TransposeThisAndMultiply(gs.[l])
                         - gs.[l - 1].TransposeAndMultiply(gs.[l - 1]))

                let err = Linalg.maxAbs (after.[k] - predicted)

                let tol =
                    gamma
                    * (s.[l] ** 2.0
                       + s.[l - 1] ** 2.0
                       + d * d * (w.[l] ** 2.0 + w.[l - 1] ** 2.0)
                       + c.Eta ** 2.0 * (g.[l] ** 2.0 + g.[l - 1] ** 2.0))

                err, tol
        |]

    /// Number of independent error sources of a step entry compared between two computations of the same
    /// step (the decay term, the chains a_ℓ, b_ℓ or S_ℓ, P_ℓ, and the residual), each ≤ γ × step scale.
    [<Literal>]
    let stepErrorSources = 3.0

    /// D2: per layer, max-abs difference of `mean` (the average of SGD steps over I) and `Gd.step`,
    /// against stepErrorSources · γ_n · `Scales.stepScale` (n = L · max width + N).
    let d2 (mean: Hyper -> Task -> Network -> Network) (c: Case) : (float * float)[] =
        let task = Gens.task c
        let net = Gens.network c
        let hyper = Gens.hyper c
        let gamma = Tolerance.gamma (Scales.accumulation task net)
        let scale = Scales.stepScale (1.0 - 2.0 * c.Eta * c.Lambda) c.Eta task net

        Array.map2
            (fun err s -> err, stepErrorSources * gamma * s)
            (Scales.layerDiffs (mean hyper task net) (Gd.step hyper task net))
            scale

    /// Average of `Sgd.stepWithDecay (1 − ηλ)` over I: the deliberately wrong mean step of the D1/D2 controls.
    let wrongMeanStep (hyper: Hyper) (task: Task) (net: Network) =
        let steps =
            task.Observed
            |> Array.map (Sgd.stepWithDecay (1.0 - hyper.Eta * hyper.Lambda) hyper.Eta task net)

        {
            W =
                Array.init net.Depth (fun l ->
                    (steps |> Array.map (fun n -> n.W.[l]) |> Array.reduce (+)) / float task.N)
        }

    /// Gauge frames Q_1 … Q_{L-1} (orthogonal, Haar) of a case, from stream 4.
    let orthogonalFrames (c: Case) : Matrix<float>[] =
        let mutable r = Gens.rng c 4

        [|
            for l in 1 .. c.Depth - 1 ->
                let q, r' = Gens.orthogonal r c.Widths.[l]
                r <- r'
                q
        |]

    /// Non-orthogonal frames for the D6 control: Haar Q_ℓ times diag(σ) with σ in [0.5, 2].
    let skewedFrames (c: Case) : Matrix<float>[] =
        let mutable r = Gens.rng c 4

        [|
            for l in 1 .. c.Depth - 1 ->
                let m, _, r' = Gens.wellConditioned r c.Widths.[l] (0.5, 2.0)
                r <- r'
                m
        |]

    /// α values of f_α used by the D6 check: the typical s² of a layer and ten times it.
    let alphas (c: Case) =
        [| c.Scale * c.Scale * float (Array.max c.Widths); 10.0 * c.Scale * c.Scale |]

    /// D6: gauge by `frames c`; (error, tolerance) pairs for A_θ, the loss, every B_r quantity of every
    /// layer for both f_α families, and the commutation of `Sgd.step` and `Gd.step` with the gauge.
    /// γ is `chainGamma` (gauge multiplications + product chain). Tolerances:
    /// - A: γ ∏‖W‖_F (both products err by at most that, the gauge adds two orthogonal factors per layer);
    /// - loss: 2δ(max|A*| + ∏‖W‖ + δ) + 2γ(ℓ + λ‖θ‖²), δ the A tolerance;
    /// - ‖D_ℓ‖_F²: 2‖D‖δ_D + δ_D², δ_D = 2γ(w_ℓ² + w_{ℓ-1}²)·sqrt(#entries) (both sides);
    /// - Σf_α(s²): #values × Lip(f_α) × (2 s_max δ_s + δ_s²), δ_s = 2γ‖W‖_F (backward-stable SVD, both sides);
    /// - ‖W_ℓ‖_F²: 2γ w_ℓ²;
    /// - steps: 2 sides × stepErrorSources × γ × `Scales.stepScale` per layer.
    let d6 (frames: Case -> Matrix<float>[]) (c: Case) : (string * float * float)[] =
        let task = Gens.task c
        let net = Gens.network c
        let hyper = Gens.hyper c
        let qs = frames c
        let gauged = Network.gauge qs net
        let gamma = chainGamma net
        let p = Scales.productBound net
        let w = Scales.layerNorms net
        let deltaA = gamma * p
        let maxTarget = Linalg.maxAbs task.Target

        let productCheck =
            "product", Linalg.maxAbs (Network.product gauged - Network.product net), deltaA

        let lossCheck =
            let l0 = Loss.loss task c.Lambda net

            "loss",
            abs (Loss.loss task c.Lambda gauged - l0),
            2.0 * deltaA * (maxTarget + p + deltaA)
            + 2.0 * gamma * (Loss.dataLoss task net + c.Lambda * Network.squaredNorm net)

        let regionChecks =
            [|
                for family in FAlpha.all do
                    for alpha in alphas c do
                        let m0 = Region.measure family alpha net
                        let m1 = Region.measure family alpha gauged
                        let ds = Network.balancednessMatrices net

                        for k in 0 .. m0.Balancedness.Length - 1 do
                            let dd =
                                2.0
                                * gamma
                                * (w.[k + 1] ** 2.0 + w.[k] ** 2.0)
                                * sqrt (float (ds.[k].RowCount * ds.[k].ColumnCount))

                            let dn = sqrt m0.Balancedness.[k]

                            yield
                                sprintf "balancedness[%d]" k,
                                abs (m1.Balancedness.[k] - m0.Balancedness.[k]),
                                2.0 * dn * dd + dd * dd

                        for l in 0 .. net.Depth - 1 do
                            let ds = 2.0 * gamma * w.[l]
                            let count = float (min net.W.[l].RowCount net.W.[l].ColumnCount)
                            let smax = w.[l]

                            yield
                                sprintf "rank[%d] %s alpha=%g" l (FAlpha.name family) alpha,
                                abs (m1.ApproximateRanks.[l] - m0.ApproximateRanks.[l]),
                                count * FAlpha.lipschitz family alpha * (2.0 * smax * ds + ds * ds)

                            yield
                                sprintf "norm[%d]" l,
                                abs (m1.SquaredNorms.[l] - m0.SquaredNorms.[l]),
                                2.0 * gamma * w.[l] ** 2.0
            |]

        let scale = Scales.stepScale (1.0 - 2.0 * c.Eta * c.Lambda) c.Eta task net
        let e = Gens.entry c 3

        let sgd =
            Array.map2
                (fun err s -> "sgd-commutes", err, 2.0 * stepErrorSources * gamma * s)
                (Scales.layerDiffs (Sgd.step hyper task gauged e) (Network.gauge qs (Sgd.step hyper task net e)))
                scale

        let gd =
            Array.map2
                (fun err s -> "gd-commutes", err, 2.0 * stepErrorSources * gamma * s)
                (Scales.layerDiffs (Gd.step hyper task gauged) (Network.gauge qs (Gd.step hyper task net)))
                scale

        Array.concat [ [| productCheck; lossCheck |]; regionChecks; sgd; gd ]

    /// Absolute round-off bound on the computed gradient ∇L_λ at θ: γ_n((‖A*‖_F + √N ∏‖W‖)/N · ‖chains‖ +
    /// 2λ‖θ‖), covering the residual matrix, the chain products around each layer and the penalty term.
    /// It also covers the construction error of D7 points (A* = U S Vᵀ only to γ‖A*‖_F).
    let gradientRoundOff (task: Task) (lambda: float) (net: Network) =
        let gamma = Tolerance.gamma (Scales.accumulation task net)
        let chains = Scales.chainBounds net |> Array.sumBy (fun x -> x * x) |> sqrt
        let n = float task.N

        gamma
        * ((sqrt (Linalg.squaredFrobenius task.Target) + sqrt n * Scales.productBound net)
           / n
           * chains
           + 2.0 * lambda * sqrt (Network.squaredNorm net))

    /// The denominator of `CriticalPoints.relativeResidual`: ‖∇ℓ‖ + 2λ‖θ‖.
    let residualScale (task: Task) (lambda: float) (net: Network) =
        Loss.gradientNorm (Loss.dataGradient task net)
        + 2.0 * lambda * sqrt (Network.squaredNorm net)

    /// Upper bound on the true ‖∇L_λ‖ at a point certified critical at relative level `rho`:
    /// rho·(‖∇ℓ‖ + 2λ‖θ‖) + the gradient's round-off (relative and underflow).
    let gradientBound (task: Task) (lambda: float) (rho: float) (net: Network) =
        rho * residualScale task lambda net
        + gradientRoundOff task lambda net
        + underflowFloor (Scales.accumulation task net)

    /// D3, balance: for every ℓ, ‖D_ℓ‖_F ≤ (‖W_ℓ‖_F + ‖W_{ℓ-1}‖_F)·‖∇L_λ‖/2λ + round-off. This follows
    /// from the exact identity 2λD_ℓ = W_ℓᵀ∇_{W_ℓ}L_λ − ∇_{W_{ℓ-1}}L_λ W_{ℓ-1}ᵀ (the data terms are both
    /// S_{ℓ-1}ᵀ ∇_Aℓ P_{ℓ-1}ᵀ), so a point certified critical at level `rho` is balanced to that level.
    let d3Balance (task: Task) (lambda: float) (rho: float) (net: Network) : (float * float)[] =
        let gb = gradientBound task lambda rho net
        let w = Scales.layerNorms net
        let gamma = gramGamma net

        Network.balancednessMatrices net
        |> Array.mapi (fun k d ->
            let err = sqrt (Linalg.squaredFrobenius d)

            let roundOff =
                gamma
                * (w.[k + 1] ** 2.0 + w.[k] ** 2.0)
                * sqrt (float (d.RowCount * d.ColumnCount))

            err,
            (w.[k + 1] + w.[k]) * gb / (2.0 * lambda)
            + roundOff
            + underflowFloor (Scales.accumulation task net) / (2.0 * lambda))

    /// `xs` padded with zeros to length n (singular values of a smaller matrix, as a multiset).
    let private pad n (xs: float[]) =
        Array.init n (fun i -> if i < xs.Length then xs.[i] else 0.0)

    /// D3, spectra: s_i(W_ℓᵀW_ℓ) = s_i(A)^{2/L}, checked in the equivalent, numerically stable form
    /// |s_i(W_ℓ)^{2L} − s_i(A)²| ≤ tol_ℓ (the 2/L power amplifies round-off on zero singular values).
    /// With m_ℓ = ‖W_ℓ‖_F², d_ℓ = ‖D_ℓ‖_F (+ its round-off): X_ℓX_ℓᵀ − (W_ℓW_ℓᵀ)^ℓ = E_ℓ with
    /// ‖E_ℓ‖ ≤ m_ℓ((m_ℓ + d_ℓ)^{ℓ-1} − m_ℓ^{ℓ-1}) + m_ℓ‖E_{ℓ-1}‖, E_1 = 0 (induction on prefixes X_ℓ);
    /// Weyl gives |s_i(A)² − s_i(W_L)^{2L}| ≤ ‖E_L‖ and |s_i(W_ℓᵀW_ℓ) − s_i(W_LᵀW_L)| ≤ Σ_{k>ℓ} d_k, then
    /// |x^L − y^L| ≤ L·max^{L-1}|x − y|. Round-off: δs(W) = γ‖W‖_F, δs(A) = γ(‖A‖_F + ∏‖W‖_F).
    let d3Spectra (net: Network) : (float * float)[] =
        let depth = net.Depth
        let a = Network.product net
        let w = Scales.layerNorms net
        let m = w |> Array.map (fun x -> x * x)
        let gamma = chainGamma net
        let gram = gramGamma net

        let d =
            Network.balancednessMatrices net
            |> Array.mapi (fun k dk ->
                sqrt (Linalg.squaredFrobenius dk)
                + gram * (m.[k + 1] + m.[k]) * sqrt (float (dk.RowCount * dk.ColumnCount)))
        // E_ℓ for the paper's ℓ = 2..L; code layer l (0-based) pairs with d.[l-1].
        let mutable e = 0.0

        for l in 1 .. depth - 1 do
            let k = float l // paper ℓ − 1
            e <- m.[l] * ((m.[l] + d.[l - 1]) ** k - m.[l] ** k) + m.[l] * e

        let mmax = (Array.max m) + Array.sum d
        let n = Array.max (Network.widths net)
        let sA = Linalg.singularValues a |> pad n
        let dsA = gamma * (sqrt (Linalg.squaredFrobenius a) + Scales.productBound net)
        let a2Err = 2.0 * (Array.max sA) * dsA + dsA * dsA

        [|
            for l in 0 .. depth - 1 do
                let sW = Linalg.singularValues net.W.[l] |> pad n
                let dsW = gamma * w.[l]
                let chain = d.[l..] |> Array.sum
                let weyl = float depth * mmax ** float (depth - 1) * chain

                for i in 0 .. n - 1 do
                    let x = sW.[i] * sW.[i]
                    let dx = 2.0 * sW.[i] * dsW + dsW * dsW
                    let xErr = float depth * (x + dx) ** float (depth - 1) * dx

                    yield
                        abs (x ** float depth - sA.[i] * sA.[i]),
                        e + weyl + a2Err + xErr + underflowFloor (depth * n * n)
        |]

    /// D4, Euler identity: |‖θ‖² + (L/2λ)⟨∇_Aℓ(A), A⟩| = |⟨θ, ∇L_λ⟩|/2λ ≤ ‖θ‖‖∇L_λ‖/2λ at a point certified
    /// critical at level `rho` (Σ_ℓ⟨W_ℓ, ∇_{W_ℓ}ℓ⟩ = L⟨∇_Aℓ, A⟩ by homogeneity), plus round-off
    /// γ(‖θ‖² + (L/2λ)·2(max|A*| + 2∏‖W‖)·∏‖W‖) of the two computed sides.
    let d4 (task: Task) (lambda: float) (rho: float) (net: Network) : float * float =
        let a = Network.product net
        let theta2 = Network.squaredNorm net
        let depth = float net.Depth

        let inner =
            (Loss.productGradient task a).PointwiseMultiply(a).Enumerate() |> Seq.sum

        let err = abs (theta2 + depth / (2.0 * lambda) * inner)
        let p = Scales.productBound net
        let gamma = Tolerance.gamma (Scales.accumulation task net)

        let roundOff =
            gamma
            * (theta2
               + depth / (2.0 * lambda) * 2.0 * (Linalg.maxAbs task.Target + 2.0 * p) * p)

        err,
        sqrt theta2 * gradientBound task lambda rho net / (2.0 * lambda)
        + roundOff
        + underflowFloor (Scales.accumulation task net) * (1.0 + depth / (2.0 * lambda))

    /// Condition-number bound of the invertible frames M_ℓ of the D5 transform (singular values in [0.5, 2]).
    [<Literal>]
    let frameCondition = 4.0

    /// A D5 case's product A = U diag(s) Vᵀ (rank k uniform in 1..min width, s log-uniform in
    /// [0.1, 3]·TargetScale, Haar U, V) and its balanced network with random inner frames (stream 7).
    let d5Balanced (c: Case) : float[] * Network =
        let mutable r = Gens.rng c 7
        let k = 1 + Rng.nextInt &r (Array.min c.Widths)

        let s =
            Array.init k (fun _ -> c.TargetScale * 0.1 * 30.0 ** Rng.nextFloat &r)
            |> Array.sortDescending

        let u, r1 = Linalg.randomOrthonormal r c.DOut k
        let v, r2 = Linalg.randomOrthonormal r1 c.DIn k
        let net, _ = Network.balancedRandom r2 u s v c.Hidden
        s, net

    /// L Σ s_i^{2/L}, the representation cost of D5 (`depth` is L).
    let cost (depth: int) (s: float[]) =
        float depth * (s |> Array.sumBy (fun x -> x ** (2.0 / float depth)))

    /// D5, tight: |‖θ‖² − L Σ s_i^{2/L}| at a network `net` built for singular values `s`, against
    /// γ(4 L · max width) · L Σ s_i^{2/L} (the frames are orthonormal to γ, each layer's norm sums squares).
    let d5Equality (s: float[]) (net: Network) : float * float =
        let target = cost net.Depth s
        abs (Network.squaredNorm net - target), chainGamma net * target

    /// W_ℓ → M_ℓ W_ℓ M_{ℓ-1}⁻¹ with random well-conditioned M_ℓ (M_0 = M_L = I), from stream 8: the same
    /// product, generically unbalanced.
    let d5Transform (c: Case) (net: Network) : Network =
        let mutable r = Gens.rng c 8

        let frames =
            [|
                for l in 1 .. net.Depth - 1 ->
                    let m, inv, r' = Gens.wellConditioned r c.Widths.[l] (0.5, 2.0)
                    r <- r'
                    m, inv
            |]

        {
            W =
                net.W
                |> Array.mapi (fun l w ->
                    let left = if l = net.Depth - 1 then w else fst frames.[l] * w
                    if l = 0 then left else left * snd frames.[l - 1])
        }

    /// D5, lower bound: ‖θ‖²(1 + γ) ≥ cost(depth, (s_i − e)_+) where s are singular values the exact product
    /// of the stored θ has to within e (spectral norm): the representation cost is the minimum over every
    /// θ with that product. Returned as (bound, ‖θ‖²(1 + γ)): the pair passes when bound ≤ ‖θ‖²(1 + γ),
    /// and their ratio says how close θ is to the minimum (1 for balanced θ).
    let d5LowerBound (costOf: int -> float[] -> float) (s: float[]) (e: float) (net: Network) : float * float =
        let gamma = chainGamma net
        costOf net.Depth (s |> Array.map (fun x -> max 0.0 (x - e))), Network.squaredNorm net * (1.0 + gamma)

    /// The D5 lower-bound comparisons of a case: the transformed balanced network against the constructed
    /// s (e = √(#entries)·(measured |A' − A| + γ∏‖W'‖_F)), and the case's Gaussian network against its
    /// own computed singular values (e = γ(‖A‖_F + ∏‖W‖_F): product and SVD round-off).
    let d5Minimal (costOf: int -> float[] -> float) (c: Case) : (float * float)[] =
        let s, bal = d5Balanced c
        let moved = d5Transform c bal
        let gamma = chainGamma moved
        let entries = sqrt (float (c.DOut * c.DIn))

        let eMoved =
            entries
            * (Linalg.maxAbs (Network.product moved - Network.product bal)
               + frameCondition * frameCondition * gamma * Scales.productBound moved)

        let gaussian = Gens.network c
        let a = Network.product gaussian

        let eGauss =
            chainGamma gaussian
            * (sqrt (Linalg.squaredFrobenius a) + Scales.productBound gaussian)

        [|
            d5LowerBound costOf s eMoved moved
            d5LowerBound costOf (Linalg.singularValues a) eGauss gaussian
        |]

    /// Relative size of the perturbation that turns a critical point into the non-critical point of the
    /// D3/D4 controls (far above every round-off level, far below the scale of the point).
    [<Literal>]
    let perturbation = 1e-4

    /// θ + perturbation·(1 + max|θ|)·(unit Gaussian direction), from stream 6: a non-critical point.
    let perturb (c: Case) (net: Network) =
        let v = Gens.direction (Gens.rng c 6) net
        let size = perturbation * (1.0 + (net.W |> Array.map Linalg.maxAbs |> Array.max))
        Network.axpy size v net

    /// Fully observed cases whose hidden widths hold every rank (D7 needs hidden ≥ rank of the point):
    /// depth 1..6, d_in, d_out 1..4, hidden widths ≥ min(d_in, d_out), λ in [1e-4, 0.05].
    let d7Valid (c: Case) =
        c.ObservedFraction >= 1.0
        && c.DIn <= 4
        && c.DOut <= 4
        && c.Hidden |> Array.forall (fun n -> n >= min c.DIn c.DOut)

    /// Ranges of D7 cases (filtered by `d7Valid`).
    let d7Spec =
        { Gens.general with
            Width = 1, 5
            FullyObserved = 1.0
            TargetScale = 0.3, 3.0
            Lambda = 1e-4, 0.05
        }

    /// The root choices of a D7 case: per singular value of A*, uniform among the choices whose root
    /// exists (Zero for L ≥ 2, Large when a root exists, Small when two do), from stream 5.
    let d7Choices (c: Case) (task: Task) : RootChoice[] =
        let _, s, _ = Linalg.thinSvd task.Target
        let cc = 2.0 * c.Lambda * float task.N
        let mutable r = Gens.rng c 5

        s
        |> Array.map (fun si ->
            let roots = CriticalPoints.roots c.Depth si cc

            let options =
                [|
                    if c.Depth >= 2 then
                        RootChoice.Zero
                    if roots.Length >= 1 then
                        RootChoice.Large
                    if roots.Length = 2 then
                        RootChoice.Small
                |]

            if options.Length = 0 then
                RootChoice.Zero
            else
                options.[Rng.nextInt &r options.Length])

    /// The D7 point of a case (fails the test if the core refuses a choice the roots say exists).
    let d7Point (c: Case) : Task * Network * float[] * RootChoice[] =
        let task = Gens.task c
        let choices = d7Choices c task

        match CriticalPoints.exactFullyObserved task c.Lambda c.Hidden choices with
        | Ok(net, a) -> task, net, a, choices
        | Error e -> failwithf "exactFullyObserved refused %A: %s" choices e

    /// D7: relative residual of the exact point against γ-level round-off of the gradient (relative to the
    /// residual's denominator) plus the root's bracket: a root known to `rootBracketUlps` ulps leaves
    /// |g(a)| ≤ ulps·ε·a^p·s and so a relative residual ≤ ulps·ε·s/(s − a) per singular value (× safety).
    let d7Residual (c: Case) (task: Task) (net: Network) (a: float[]) : float * float =
        let _, s, _ = Linalg.thinSvd task.Target

        let rootTerm =
            Array.map2 (fun si ai -> if ai > 0.0 then si / (si - ai) else 0.0) s a
            |> Array.fold max 0.0

        let denom = residualScale task c.Lambda net

        let roundOff =
            if denom > 0.0 then
                gradientRoundOff task c.Lambda net / denom
            else
                0.0

        CriticalPoints.relativeResidual task c.Lambda net,
        roundOff
        + Tolerance.safetyFactor
          * Tolerance.rootBracketUlps
          * Tolerance.machineEpsilon
          * rootTerm

    /// Balanced network of the roots of the WRONG equation (s − a)a^{1−2/L} = λN (c halved): the D7 control.
    let d7WrongPoint (c: Case) : Task * Network * float[] =
        let task = Gens.task c
        let u, s, v = Linalg.thinSvd task.Target

        let a =
            s
            |> Array.map (fun si ->
                match CriticalPoints.roots c.Depth si (c.Lambda * float task.N) with
                | [||] -> 0.0
                | rs -> rs.[rs.Length - 1])

        let keep =
            [|
                for k in 0 .. a.Length - 1 do
                    if a.[k] > 0.0 then
                        k
            |]

        let cols (mm: Matrix<float>) =
            Linalg.M.DenseOfColumnVectors(keep |> Array.map mm.Column)

        if keep.Length = 0 then
            task, Network.identityLike 0.0 c.Widths, a
        else
            task, Network.balanced (cols u) (keep |> Array.map (fun k -> a.[k])) (cols v) c.Hidden, a

    /// A root-count case (L, s, c): s log-uniform in [1e-2, 1e2] and c = κ s^{2−2/L} with κ log-uniform in
    /// [1e-3, 2], which straddles the threshold κ* = p^p/(1+p)^{1+p} (p = 1 − 2/L) where the two roots merge.
    let rootCase (depths: int * int) : Arbitrary<int * float * float> =
        Arb.fromGen (
            gen {
                let! depth = Gen.choose depths
                let! s = Gens.logUniform (1e-2, 1e2)
                let! kappa = Gens.logUniform (1e-3, 2.0)
                return depth, s, kappa * s ** (2.0 - 2.0 / float depth)
            }
        )

    /// Grid points of the independent root-count check.
    [<Literal>]
    let rootGrid = 2000

    /// D7 root count, checked independently of the bisection: the roots are ascending in (0, s); if g(a) =
    /// (s − a)a^{1−2/L} − c is positive anywhere on a 2000-point grid of (0, s) there must be two roots
    /// (g < 0 at both ends); with two roots g is positive between them; and the count is 0 or 2.
    let rootCount (depth: int, s: float, c: float) : bool =
        let rs = CriticalPoints.roots depth s c
        let p = 1.0 - 2.0 / float depth
        let g a = (s - a) * a ** p - c

        let positiveSomewhere =
            Seq.init (rootGrid - 1) (fun k -> s * float (k + 1) / float rootGrid)
            |> Seq.exists (fun a -> g a > 0.0)

        let ordered =
            rs |> Array.forall (fun a -> a > 0.0 && a < s)
            && (rs.Length < 2 || rs.[0] < rs.[1])

        let between = rs.Length <> 2 || g (0.5 * (rs.[0] + rs.[1])) > 0.0

        ordered
        && between
        && (rs.Length = 0 || rs.Length = 2)
        && (not positiveSomewhere || rs.Length = 2)

    /// Cases for the numerical solver: depth 1..3, widths 1..3 (≤ 27 parameters: the finite-difference
    /// Hessian stays cheap), λ in [0.01, 0.2], partly or fully observed.
    let solverSpec =
        { Gens.general with
            Depth = 1, 3
            Width = 1, 3
            Scale = 0.3, 1.0
            TargetScale = 0.5, 2.0
            FullyObserved = 0.3
            Lambda = 0.01, 0.2
        }

    /// ‖θ‖² below which a solver point counts as the zero critical point (reported separately: D3 and D4
    /// hold there trivially, so the solver test requires enough points above it).
    [<Literal>]
    let zeroPointNorm = 1e-6

    /// Gradient-descent steps the solver may take before its Newton refinement.
    [<Literal>]
    let solverDescentSteps = 3000

    let private solved =
        ConcurrentDictionary<Case, SolverResult>(HashIdentity.Structural)

    /// `CriticalPoints.solve` from the case's network to `Tolerance.criticalPointTarget`, memoised (D3 and
    /// D4 share the solves).
    let solve (c: Case) : SolverResult =
        solved.GetOrAdd(
            c,
            fun c ->
                CriticalPoints.solve
                    (Gens.task c)
                    c.Lambda
                    Tolerance.criticalPointTarget
                    solverDescentSteps
                    (Gens.network c)
        )

    /// Records every (error, tolerance) pair in `worst` and returns whether all pass (true when empty):
    /// one FsCheck verdict per case.
    let worstOf (worst: Worst) (pairs: (float * float)[]) =
        pairs |> Array.fold (fun ok (e, t) -> worst.Record(e, t) && ok) true
