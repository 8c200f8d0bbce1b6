namespace LowRankVerify.Theory

/// The case streams of the claim checks, their controls and their hunts: a case (or a spec) for stream `index`
/// of a seed, built from the pure `Generators` (so that tests, `lowrank verify` and the hunts build cases the
/// same way). Every case derives its own `Rng.stream seed index`.
[<RequireQualifiedAccess>]
module ClaimCases =

    /// A random C1 case for stream `index` of `seed` (`Generators.closureSpec`: task up to 6×6, depth 3..5,
    /// widths ≤ 6), with its spec.
    let randomClosureCase (seed: uint64) (index: int) : ClosureCase * ClosureSpec =
        let mutable rng = Rng.stream seed (uint64 index)
        let spec = Generators.closureSpec &rng 6 3 5
        Generators.closureCaseOf spec, spec

    /// A C1 case in words: task shape, depth, widths, r, η, λ, the constants and f_α (the prefix of `C1.describe`
    /// and of the hunt's C1 and C4 findings).
    let caseText (c: ClosureCase) =
        sprintf
            "task %dx%d N=%d, L=%d, widths %s, r=%d, eta=%.4g, lambda=%.4g, eps1=%.3g, eps2=%.3g, alpha=%.3g, C=%.3g, %s"
            c.Task.DOut
            c.Task.DIn
            c.Task.N
            c.Depth
            (Network.widths c.Point |> Array.map string |> String.concat "-")
            c.Region.R
            c.Hyper.Eta
            c.Hyper.Lambda
            c.Region.Eps1
            c.Region.Eps2
            c.Region.Alpha
            c.Region.C
            (FAlpha.name c.Region.Family)

    /// A random L = 2 control spec: sizes 2..4, λ ∈ [0.001, 0.011].
    let depthTwoSpec (seed: uint64) (index: int) : DepthTwoSpec =
        let mutable rng = Rng.stream seed (uint64 index)
        let dOut = 2 + Rng.nextInt &rng 3
        let dIn = 2 + Rng.nextInt &rng 3

        {
            DOut = dOut
            DIn = dIn
            R = 1 + Rng.nextInt &rng (min dOut dIn - 1)
            Lambda = 0.001 + 0.01 * Rng.nextFloat &rng
            SlackExponent = 1 + Rng.nextInt &rng 8
            Seed = Rng.nextUInt64 &rng
        }

    /// C1's L = 2 control case: fully observed target of rank r + 1, L = 2, a point whose r full values and
    /// one tail value (at the rank edge) lie along the target's singular vectors, constants from
    /// `Regime.derive`, η the largest step allowed by R0, R1, R2, R4 (R3 cannot hold: the data ask for
    /// rank > r and L = 2 gives the tail no contraction).
    let depthTwoCaseOf (spec: DepthTwoSpec) : ClosureCase =
        let k = min spec.DOut spec.DIn
        let r = max 1 (min spec.R (k - 1))

        let ts =
            {
                DOut = spec.DOut
                DIn = spec.DIn
                TargetRank = r + 1
                Scale = 1.0
                Kind = TaskKind.Full
                Seed = spec.Seed
            }

        let tk = Generators.task ts
        let p = Regime.derive Regime.defaults tk 2 r spec.Lambda

        let ps =
            {
                Depth = 2
                Hidden = [| k |]
                R = r
                Full = r
                Tail = 1
                RankEdge = true
                NormEdge = false
                BalanceEdge = false
                SlackExponent = spec.SlackExponent
                Seed = spec.Seed + 1UL
                Misaligned = false
            }

        let u, _, v = Linalg.thinSvd tk.Target
        let eta = Regime.etaMaxIgnoring [ "R3" ] p tk 2 spec.Lambda Regime.defaults.Rho

        {
            Task = tk
            Depth = 2
            Region = p
            Hyper = { Eta = eta; Lambda = spec.Lambda }
            Point = Generators.pointIn (Some(u, v)) p spec.DOut spec.DIn ps
        }

    /// `depthTwoCaseOf (depthTwoSpec seed index)`.
    let depthTwoCase (seed: uint64) (index: int) =
        depthTwoCaseOf (depthTwoSpec seed index)


    /// Every choice vector in {Zero, Small, Large}^k (k ≤ 6 keeps this at most 729).
    let allChoices (k: int) : RootChoice[] list =
        let opts = [ RootChoice.Zero; RootChoice.Small; RootChoice.Large ]

        let rec go n =
            if n = 0 then
                [ [] ]
            else
                [
                    for rest in go (n - 1) do
                        for o in opts -> o :: rest
                ]

        go k |> List.map Array.ofList

    /// A fully observed D7 case for stream `index` (`Generators.d7Spec`, `Generators.d7Case`); also returns
    /// the advanced stream.
    let randomD7Case (seed: uint64) (index: int) (maxSize: int) (minDepth: int) (maxDepth: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let spec = Generators.d7Spec &rng maxSize minDepth maxDepth
        let tk, depth, lambda, hidden = Generators.d7Case spec
        tk, depth, lambda, hidden, rng

    /// α at `position` ∈ [0, 1] on a log scale of [min/3, 3·max] of the positive `values` (the point's
    /// s_i(A)^{2/L}), or of [0.01, 1] when there are none: puts f_α's threshold among the critical point's
    /// values (C2 checks, their tests, the C2 hunt).
    let alphaAt (values: float[]) (position: float) =
        let pos = values |> Array.filter (fun x -> x > 0.0)

        let lo, hi =
            (if pos.Length = 0 then
                 0.01, 1.0
             else
                 Array.min pos / 3.0, Array.max pos * 3.0)

        exp (log lo + (log hi - log lo) * position)

    /// ε2 for `boundaryRegion`: −1 (the exact boundary) or uniform in [0, 0.9), one half each.
    let drawEps2 (rng: byref<Rng>) =
        if Rng.nextInt &rng 2 = 0 then
            -1.0
        else
            0.9 * Rng.nextFloat &rng

    /// A random f_α family, α among `values` (`alphaAt`) and ε2 (`drawEps2`): the region of a D7 point.
    let familyAndAlpha (rng: byref<Rng>) (values: float[]) =
        let family = FAlpha.all.[Rng.nextInt &rng 2]
        let alpha = alphaAt values (Rng.nextFloat &rng)
        family, alpha, drawEps2 &rng

    /// Region constants that put a critical point near the rank boundary of B_r: r = ⌈max_ℓ Σ f_α − ε2⌉ (≥ 0),
    /// ε1 = 1e-6 (critical points are balanced, D3), C = 1.5 max_ℓ ‖W_ℓ‖² (or 1 at θ = 0). A negative `eps2`
    /// asks for the exact boundary: ε2 = frac(max_ℓ Σ f_α) + 1e-12 (rank slack 1e-12).
    let boundaryRegion (family: FAlphaFamily) (alpha: float) (eps2: float) (net: Network) : RegionParams =
        let q = Region.measure family alpha net
        let top = Array.max q.ApproximateRanks
        let eps2 = if eps2 < 0.0 then top - floor top + 1e-12 else eps2
        let c = 1.5 * Array.max q.SquaredNorms

        {
            R = max 0 (int (ceil (top - eps2)))
            Eps1 = 1e-6
            Eps2 = eps2
            Alpha = alpha
            C = (if c > 0.0 then c else 1.0)
            Family = family
        }

    /// The C2 criticality control's point (non-critical, imbalanced, inside B_r): k ∈ 2..min(d_out, d_in, 4)
    /// directions with random orthonormal outer frames U, V and aligned inner frames, L ∈ 2..5, hidden widths
    /// k. Direction i has layer values x_{ℓ,i} = s_{ℓ,i}² with geometric mean over ℓ equal to αγ (γ ∈ [1, 2]),
    /// so s_i(A)^{2/L} = αγ ≥ α and Σ_i f_α(s_i(A)^{2/L}) = k; but the whole mean sits in ONE layer per
    /// direction (layer (i + o) mod L holds αγ^L/t^{L−1}, every other layer αt, t ∈ [0.05, 0.8]), so each
    /// layer's rank quantity is at most ⌈k/L⌉ + (k − ⌈k/L⌉) f_α(αt) < k. The region is `boundaryRegion` at the
    /// exact rank boundary with ε1 just above the point's max_ℓ ‖D_ℓ‖_F² (the imbalance the construction
    /// needs), so θ ∈ B_r and the bound Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}) ≤ r + ε2 fails by
    /// (k − ⌈k/L⌉)(1 − f_α(αt)). The task (a D7 task of the same shape, `Generators.d7Case`) and its λ only
    /// certify that θ is not critical (relative gradient residual). Returns (task, λ, θ, region, description).
    let c2NonCriticalCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let dOut = 2 + Rng.nextInt &rng 3
        let dIn = 2 + Rng.nextInt &rng 3
        let k = 2 + Rng.nextInt &rng (min 3 (min dOut dIn - 1))
        let depth = 2 + Rng.nextInt &rng 4
        let family = FAlpha.all.[Rng.nextInt &rng 2]
        let alpha = exp (log 0.01 + (log 1.0 - log 0.01) * Rng.nextFloat &rng)
        let gamma = 1.0 + Rng.nextFloat &rng
        let t = 0.05 + 0.75 * Rng.nextFloat &rng
        let offset = Rng.nextInt &rng depth
        let u, r1 = Linalg.randomOrthonormal rng dOut k
        let v, r2 = Linalg.randomOrthonormal r1 dIn k
        rng <- r2
        let big = alpha * gamma ** float depth / t ** float (depth - 1)
        let small = alpha * t

        let layer l =
            let d =
                Linalg.M.DenseOfDiagonalArray(
                    Array.init k (fun i -> sqrt (if (i + offset) % depth = l then big else small))
                )

            if l = 0 then d * v.Transpose()
            elif l = depth - 1 then u * d
            else d

        let net = { W = Array.init depth layer }

        let imbalance =
            Network.balancednessMatrices net
            |> Array.map Linalg.squaredFrobenius
            |> Array.max

        let p =
            { boundaryRegion family alpha (-1.0) net with
                Eps1 = imbalance * (1.0 + 1e-6) + 1e-12
            }

        let spec =
            {
                DOut = dOut
                DIn = dIn
                TargetRank = k
                Scale = 1.0
                Depth = depth
                CFraction = 0.5
                Seed = Rng.nextUInt64 &rng
            }

        let tk, _, lambda, _ = Generators.d7Case spec

        let text =
            sprintf
                "%dx%d L=%d, k=%d directions, alpha=%.3g (%s), gamma=%.3g, t=%.3g, eps1=%.3g (max ||D||^2), r=%d, eps2=%.3g"
                dOut
                dIn
                depth
                k
                alpha
                (FAlpha.name family)
                gamma
                t
                p.Eps1
                p.R
                p.Eps2

        tk, lambda, net, p, text

    /// A C2 solver case for stream `index` of `seed`: a random task up to 3×3 (`Generators.taskSpec`: mostly
    /// partially observed, some fully observed or E1's; scale [0.5, 2]), depth 2..4, hidden widths 3,
    /// λ ∈ [0.002, 0.052] and a Gaussian start (entries N(0, σ²), σ ∈ [0.3, 1.3]). Returns the task, depth, λ,
    /// the start, the state of the stream the start was drawn from (`Network.gaussian`) and σ.
    let c2SolverCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let ts = Generators.taskSpec &rng 3 0.5 2.0
        let tk = Generators.task ts
        let depth = 2 + Rng.nextInt &rng 3

        let widths =
            Array.concat [ [| tk.DIn |]; Array.create (depth - 1) 3; [| tk.DOut |] ]

        let lambda = 0.002 + 0.05 * Rng.nextFloat &rng
        let scale = 0.3 + Rng.nextFloat &rng
        let startState = rng.State
        let start, _ = Network.gaussian rng scale widths
        tk, depth, lambda, start, startState, scale

    /// Smallest and largest relative size σ of the perturbation of a re-solved C2 case.
    let private resolveSigma = 1e-3, 0.3

    /// A C2 re-solved case for stream `index` of `seed`: a D7 task (`randomD7Case`, sizes ≤ 4, L ∈ 2..5), one of
    /// its non-zero exact critical points (root choice drawn among those that exist) and a start perturbed from
    /// it in random, misaligned directions: W_ℓ + σ‖W_ℓ‖_F G_ℓ/‖G_ℓ‖_F with Gaussian G_ℓ and σ log-uniform in
    /// [1e-3, 0.3]. Returns Some(task, depth, λ, choices, exact point, σ, the perturbation's stream state, start),
    /// None when the task has no non-zero critical point.
    let c2ResolvedCase (seed: uint64) (index: int) =
        let tk, depth, lambda, hidden, rng0 = randomD7Case seed index 4 2 5
        let mutable rng = rng0

        let points =
            allChoices (min tk.DOut tk.DIn)
            |> List.choose (fun ch ->
                match CriticalPoints.exactFullyObserved tk lambda hidden ch with
                | Ok(net, a) when a |> Array.exists (fun x -> x > 0.0) -> Some(ch, net)
                | _ -> None)

        if points.IsEmpty then
            None
        else
            let ch, net = points.[Rng.nextInt &rng points.Length]
            let lo, hi = resolveSigma
            let sigma = exp (log lo + (log hi - log lo) * Rng.nextFloat &rng)
            let state = rng.State

            let start =
                net
                |> Network.map (fun _ w ->
                    let g, r' = Rng.gaussians rng (w.RowCount * w.ColumnCount)
                    rng <- r'
                    let gm = Linalg.M.Dense(w.RowCount, w.ColumnCount, g)
                    w + (sigma * w.FrobeniusNorm() / gm.FrobeniusNorm()) * gm)

            Some(tk, depth, lambda, ch, net, sigma, state, start)

    /// A C7 task for stream `index` of `seed`: three in four aimed at two non-zero ranks of minima
    /// (`Generators.d7SpecTwoRanks` with λ against s_j, j uniform in 2..rank A*, `Generators.d7CaseAt`), one in
    /// four as before (`Generators.d7Spec`, λ against s_1). Sizes ≤ `maxSize`, depth in [minDepth, maxDepth].
    /// Returns (task, depth, λ, hidden widths, j).
    let randomC7Case (seed: uint64) (index: int) (maxSize: int) (minDepth: int) (maxDepth: int) =
        let mutable rng = Rng.stream seed (uint64 index)

        if Rng.nextInt &rng 4 = 0 then
            let spec = Generators.d7Spec &rng maxSize minDepth maxDepth
            let tk, depth, lambda, hidden = Generators.d7CaseAt 1 spec
            tk, depth, lambda, hidden, 1
        else
            let spec = Generators.d7SpecTwoRanks &rng maxSize minDepth maxDepth
            let j = 2 + Rng.nextInt &rng (spec.TargetRank - 1)
            let tk, depth, lambda, hidden = Generators.d7CaseAt j spec
            tk, depth, lambda, hidden, j

    /// A random start outside B_r: Gaussian layers scaled so that ‖W_ℓ‖_F² ≈ factor · C (doubling the
    /// factor until the point is outside).
    let outsideStart (rng: Rng) (p: RegionParams) (widths: int[]) : Network * Rng =
        let mutable r = rng
        let mutable factor = 3.0
        let mutable result = None

        while result.IsNone do
            let scale = sqrt (factor * p.C / float (widths.[0] * widths.[1]))
            let net, r' = Network.gaussian r scale widths
            r <- r'

            if not (Region.contains p net) || factor > 1e6 then
                result <- Some net

            factor <- factor * 2.0

        result.Value, r

    /// A random simulation case in the derived regime (C3, C4): task up to 4×4 (scale [0.1, 1]),
    /// depth 3..4, hidden widths ≤ 4, r ∈ 1..k, λ ∈ [0.2, 1], η = etaMax. Draws whose regime is empty
    /// (etaMax = 0, e.g. R3 fails whatever η) are redrawn from the same stream, at most 64 times, so
    /// no case runs with η = 0 (such a run cannot move and would leave C3 undecided).
    let randomSimulationCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)

        let draw () =
            let ts = Generators.taskSpec &rng 4 0.1 1.0
            let tk = Generators.task ts
            let depth = 3 + Rng.nextInt &rng 2
            let hidden = Array.init (depth - 1) (fun _ -> 2 + (index % 3))
            let widths = Array.concat [ [| tk.DIn |]; hidden; [| tk.DOut |] ]
            let k = Array.min widths
            let r = 1 + Rng.nextInt &rng k
            let lambda = 0.2 + 0.8 * Rng.nextFloat &rng
            let family = FAlpha.all.[Rng.nextInt &rng 2]
            let p = Regime.derive { Regime.defaults with Family = family } tk depth r lambda
            let eta = Regime.etaMax p tk depth lambda Regime.defaults.Rho
            tk, depth, widths, p, { Eta = eta; Lambda = lambda }

        let mutable case = draw ()
        let mutable attempts = 1

        while (let (_, _, _, _, h) = case in h.Eta <= 0.0) && attempts < 64 do
            case <- draw ()
            attempts <- attempts + 1

        let tk, depth, widths, p, hyper = case

        if hyper.Eta <= 0.0 then
            failwithf
                "randomSimulationCase: no draw with a non-empty regime in 64 attempts (seed %d, index %d)"
                seed
                index

        tk, depth, widths, p, hyper, rng

    /// Range (log-uniform) of λ of C3's aimed cases as a fraction of the largest λ at which the data's (r+1)-th
    /// singular value s_{r+1} still has non-zero D7 roots, c_max(s_{r+1})/(2N) (`Generators.d7CMax`; exact for
    /// fully observed tasks, a guide for the others): weak decay, so that the loss keeps minima of rank > r
    /// that unrestricted SGD can settle in, while restricted draws let the other rows decay by (1 − 2ηλ) per
    /// step. Measured (40 cases, seed 99, 2·10⁵ steps, checked every 100): unrestricted SGD stayed out of B_r
    /// from 29 starts (restricted witnesses from all 40, T ≤ 26 700); with λ ∈ [0.002, 0.01] regardless of the
    /// data, from 19 (mostly r = 1).
    let aimedReachFraction = 0.1, 0.5

    /// C3's aimed case (THEORY.md C3's mechanism where it matters; choice constants, outside the C1 regime on
    /// purpose): a task k × k' (k, k' ∈ 2..4) whose target has full rank k_min > r, fully observed or (one in
    /// three) each entry observed with probability 0.8, L ∈ 3..4, hidden widths k_min, B_r with
    /// r ∈ 1..k_min − 1, α = 0.05, ε1 = 0.05, ε2 = 0.5, C = 5 (piecewise f_α), weak decay λ
    /// (`aimedReachFraction`) and η = 0.1, a Gaussian start (entries N(0, 0.36)) outside B_r. Unrestricted SGD
    /// tends to keep fitting the data's extra directions; draws restricted to r rows (or columns) let every other
    /// row of W_L (column of W_1) decay. Returns (task, depth, region, η and λ, start, stream).
    let aimedReachCase (seed: uint64) (index: int) =
        let mutable rng = Rng.stream seed (uint64 index)
        let dOut = 2 + Rng.nextInt &rng 3
        let dIn = 2 + Rng.nextInt &rng 3
        let k = min dOut dIn
        let depth = 3 + Rng.nextInt &rng 2

        let ts =
            {
                DOut = dOut
                DIn = dIn
                TargetRank = k
                Scale = 1.0
                Kind =
                    (if Rng.nextInt &rng 3 = 0 then
                         TaskKind.Partial 0.8
                     else
                         TaskKind.Full)
                Seed = Rng.nextUInt64 &rng
            }

        let tk = Generators.task ts

        let p =
            {
                R = 1 + Rng.nextInt &rng (k - 1)
                Eps1 = 0.05
                Eps2 = 0.5
                Alpha = 0.05
                C = 5.0
                Family = FAlphaFamily.Piecewise
            }

        let lo, hi = aimedReachFraction
        let fraction = exp (log lo + (log hi - log lo) * Rng.nextFloat &rng)
        let s = Linalg.singularValues tk.Target
        let lambda = fraction * Generators.d7CMax depth s.[p.R] / (2.0 * float tk.N)
        let widths = Array.concat [ [| dIn |]; Array.create (depth - 1) k; [| dOut |] ]
        let mutable start, r1 = Network.gaussian rng 0.6 widths

        while Region.contains p start do
            let s', r' = Network.gaussian r1 0.6 widths
            start <- s'
            r1 <- r'

        tk, depth, p, { Eta = 0.1; Lambda = lambda }, start, r1

    /// A random point of C2's hunt space: a D7 task (`Generators.d7Spec`, sizes ≤ 4, depth in
    /// [minDepth, maxDepth]), a root choice among 729, f_α, α's position and ε2 (the exact boundary or
    /// uniform in [0, 0.9), one half each).
    let criticalSpec (minDepth: int) (maxDepth: int) (rng: Rng) : CriticalSpec * Rng =
        let mutable r = rng
        let d7 = Generators.d7Spec &r 4 minDepth maxDepth

        {
            D7 = d7
            Choice = Rng.nextInt &r 729
            Family = FAlpha.all.[Rng.nextInt &r 2]
            AlphaPosition = Rng.nextFloat &r
            Eps2 =
                (if Rng.nextInt &r 2 = 0 then
                     -1.0
                 else
                     0.9 * Rng.nextFloat &r)
        },
        r

    /// A random point of C3's hunt space, like `randomSimulationCase`: a task up to 4×4 (scale [0.1, 1]), depth
    /// 3..4, width 2..4, r ∈ 1..4, λ ∈ [0.2, 1], a start of size factor 3·e^{[0, 2]}, rows or columns.
    let reachSpec (rng: Rng) : ReachSpec * Rng =
        let mutable r = rng
        let ts = Generators.taskSpec &r 4 0.1 1.0

        {
            Task = ts
            Depth = 3 + Rng.nextInt &r 2
            Width = 2 + Rng.nextInt &r 3
            R = 1 + Rng.nextInt &r 4
            Lambda = 0.2 + 0.8 * Rng.nextFloat &r
            Family = FAlpha.all.[Rng.nextInt &r 2]
            StartFactor = 3.0 * exp (2.0 * Rng.nextFloat &r)
            ByColumns = Rng.nextInt &r 2 = 0
            Seed = Rng.nextUInt64 &r
        },
        r

    /// A random point of C6's hunt space: E1 with ε ∈ [0.1, 0.2], L ∈ 3..5, λ ∈ [0.002, 0.012].
    let gdSpec (rng: Rng) : GdSpec * Rng =
        let mutable r = rng

        {
            Epsilon = 0.1 + 0.1 * Rng.nextFloat &r
            Depth = 3 + Rng.nextInt &r 3
            Lambda = 0.002 + 0.01 * Rng.nextFloat &r
            Seed = Rng.nextUInt64 &r
        },
        r
