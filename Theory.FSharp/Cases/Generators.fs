namespace LowRankVerify.Theory

open MathNet.Numerics.LinearAlgebra

/// Pure, `Rng`-driven building blocks of every claim check (tests wrap them in FsCheck generators,
/// the runner calls them directly).
[<RequireQualifiedAccess>]
module Generators =

    let private uniform (rng: byref<Rng>) lo hi = lo + (hi - lo) * Rng.nextFloat &rng

    let private logUniform (rng: byref<Rng>) lo hi = exp (uniform &rng (log lo) (log hi))

    /// Target A* = U diag(s) Vᵀ of the spec's rank and scale (s_1 = Scale, s_i ∈ [0.2, 1]·Scale), Haar U, V.
    let target (spec: TaskSpec) : Matrix<float> =
        let mutable rng = Rng.stream spec.Seed 1UL
        let k = max 0 (min spec.TargetRank (min spec.DOut spec.DIn))

        if k = 0 then
            Linalg.M.Dense(spec.DOut, spec.DIn)
        else
            let u, r1 = Linalg.randomOrthonormal rng spec.DOut k
            let v, r2 = Linalg.randomOrthonormal r1 spec.DIn k
            rng <- r2
            let s = Array.zeroCreate k

            for i in 0 .. k - 1 do
                s.[i] <-
                    if i = 0 then
                        spec.Scale
                    else
                        spec.Scale * uniform &rng 0.2 1.0

            let s = Array.sortDescending s
            u * Linalg.M.DenseOfDiagonalArray(s) * v.Transpose()

    /// The task of a spec (random low-rank target, random / full observed set, or E1's task).
    let task (spec: TaskSpec) : Task =
        match spec.Kind with
        | TaskKind.E1 eps -> Task.e1 eps
        | kind ->
            let a = target spec
            let all = Task.allEntries spec.DOut spec.DIn

            let observed =
                match kind with
                | TaskKind.Partial f ->
                    let mutable rng = Rng.stream spec.Seed 2UL
                    let picked = ResizeArray()

                    for e in all do
                        if Rng.nextFloat &rng < f then
                            picked.Add e

                    let picked = picked.ToArray()

                    if picked.Length > 0 then
                        picked
                    else
                        [| all.[Rng.nextInt &rng all.Length] |]
                | _ -> all

            { Target = a; Observed = observed }

    /// A random task spec: sizes 1..maxSize, rank 1..min, scale log-uniform in [scaleLo, scaleHi];
    /// one in eight is E1's task (ε ∈ [0.05, 0.5]), one in four is fully observed.
    let taskSpec (rng: byref<Rng>) (maxSize: int) (scaleLo: float) (scaleHi: float) : TaskSpec =
        let dOut = 1 + Rng.nextInt &rng maxSize
        let dIn = 1 + Rng.nextInt &rng maxSize

        let kind =
            match Rng.nextInt &rng 8 with
            | 0 -> TaskKind.E1(uniform &rng 0.05 0.5)
            | 1
            | 2 -> TaskKind.Full
            | _ -> TaskKind.Partial(uniform &rng 0.3 0.9)

        let dOut, dIn =
            (match kind with
             | TaskKind.E1 _ -> 2, 2
             | _ -> dOut, dIn)

        {
            DOut = dOut
            DIn = dIn
            TargetRank = 1 + Rng.nextInt &rng (min dOut dIn)
            Scale = logUniform &rng scaleLo scaleHi
            Kind = kind
            Seed = Rng.nextUInt64 &rng
        }

    /// The spectrum size k of a point spec for a task: the smallest of d_out, d_in and the hidden widths.
    let spectrumSize (dOut: int) (dIn: int) (spec: PointSpec) =
        Array.fold min (min dOut dIn) spec.Hidden

    /// A random point spec for a task of size dOut × dIn: depth in [minDepth, maxDepth], hidden widths
    /// in 1..maxWidth, r ≤ k, each edge with probability 1/2, slack exponent 1..12, the balancedness edge
    /// reached along the shared frame or by a misaligned perturbation with probability 1/2 each.
    let pointSpec (rng: byref<Rng>) (dOut: int) (dIn: int) (minDepth: int) (maxDepth: int) (maxWidth: int) : PointSpec =
        let depth = minDepth + Rng.nextInt &rng (maxDepth - minDepth + 1)
        let hidden = Array.zeroCreate (depth - 1)

        for l in 0 .. depth - 2 do
            hidden.[l] <- 1 + Rng.nextInt &rng maxWidth

        let k = Array.fold min (min dOut dIn) hidden
        let r = Rng.nextInt &rng (k + 1)
        let full = if r = 0 then 0 else Rng.nextInt &rng (r + 1)
        let tail = Rng.nextInt &rng (k - full + 1)

        {
            Depth = depth
            Hidden = hidden
            R = r
            Full = full
            Tail = tail
            RankEdge = Rng.nextInt &rng 2 = 0
            NormEdge = Rng.nextInt &rng 2 = 0
            BalanceEdge = Rng.nextInt &rng 2 = 0
            SlackExponent = 1 + Rng.nextInt &rng 12
            Seed = Rng.nextUInt64 &rng
            Misaligned = Rng.nextInt &rng 2 = 0
        }

    /// The point spec at depth `d`: hidden widths kept, the last one repeated when the point gets deeper (2 when
    /// it had none), dropped from the end when it gets shallower (hunts' mutations and `Shrink.pointSpec`).
    let withDepth (d: int) (s: PointSpec) =
        let hidden =
            Array.init (max 0 (d - 1)) (fun l ->
                if l < s.Hidden.Length then s.Hidden.[l]
                elif s.Hidden.Length > 0 then s.Hidden.[s.Hidden.Length - 1]
                else 2)

        { s with Depth = d; Hidden = hidden }

    /// f_α⁻¹(y) for y ∈ [0, 1): the x < α with f_α(x) = y.
    let inverseFAlpha (family: FAlphaFamily) (alpha: float) (y: float) =
        match family with
        | FAlphaFamily.Piecewise -> alpha * y
        | FAlphaFamily.Quadratic -> alpha * (1.0 - sqrt (1.0 - y))

    /// Bisection steps of `toBoundary` (the bracket shrinks by 2⁻⁶⁰: far below any slack exponent used).
    [<Literal>]
    let boundarySteps = 60

    /// θ moved toward the boundary of B_r along a random direction (misaligned imbalance, issue #11): E_ℓ
    /// Gaussian in every layer, scaled to ‖W_ℓ‖_F (to √(C/L) for a zero layer), so it is tied to no singular
    /// frame of θ; t* = the first boundary crossing of t ↦ θ + tE (bracketed by doubling from t = 1, then
    /// `boundarySteps` bisection steps); returns θ + t*(1 − δ)E. θ itself when it is not in B_r or when E
    /// never leaves within 2⁶⁰.
    let toBoundary (rng: byref<Rng>) (p: RegionParams) (delta: float) (net: Network) : Network =
        if not (Region.contains p net) then
            net
        else
            let dirs: Matrix<float>[] = Array.zeroCreate net.W.Length

            for l in 0 .. net.W.Length - 1 do
                let w = net.W.[l]
                let xs, r' = Rng.gaussians rng (w.RowCount * w.ColumnCount)
                rng <- r'

                dirs.[l] <-
                    let g = Linalg.M.Dense(w.RowCount, w.ColumnCount, xs)
                    let gn = g.FrobeniusNorm()
                    let wn = w.FrobeniusNorm()

                    let target = if wn > 0.0 then wn else sqrt (p.C / float net.W.Length)

                    if gn > 0.0 then g * (target / gn) else g

            let at (t: float) =
                {
                    W = Array.map2 (fun (w: Matrix<float>) (d: Matrix<float>) -> w + t * d) net.W dirs
                }

            let inside t = Region.contains p (at t)
            let mutable hi = 1.0
            let mutable k = 0

            while k < 60 && inside hi do
                hi <- 2.0 * hi
                k <- k + 1

            if inside hi then
                net
            else
                let mutable lo = 0.0

                for _ in 1..boundarySteps do
                    let mid = 0.5 * (lo + hi)
                    if inside mid then lo <- mid else hi <- mid

                at (lo * (1.0 - delta))

    /// The point of B_r of a spec, for constants `p` (its R is used as r) and a task (d_out, d_in):
    /// 1. tail values x < α carrying f-mass r + ε2 − q − δ(r + ε2) at the rank edge (else a random mass
    ///    within budget), with δ = 0.5·10^{−SlackExponent};
    /// 2. q full values x ≥ α·c² whose sum makes max_ℓ ‖W_ℓ‖² = C(1 − δ) at the norm edge (else random);
    /// 3. the balanced network of A = U diag(x^{L/2}) Vᵀ (`Network.balancedRandom`, so s(W_ℓᵀW_ℓ) = x);
    /// 4. at the balancedness edge, the full directions of a random pair (W_{ℓ−1}, W_ℓ) scaled by (c, 1/c)
    ///    (product unchanged, tail untouched) with (c² − c⁻²)‖x_full‖ = √(ε1(1 − δ)); or, when `Misaligned`,
    ///    θ + t(1 − δ)E with E a Gaussian direction in every layer (each scaled to its layer's norm) and t the
    ///    boundary of B_r along E found by bisection (`toBoundary`): whichever condition E reaches first.
    /// Edges that the spectrum cannot reach (no tail room, q = 0) are left out. Returns the network.
    let rec point (p: RegionParams) (dOut: int) (dIn: int) (spec: PointSpec) : Network = pointIn None p dOut dIn spec

    /// `point` with the outer frames U (d_out × k) and V (d_in × k) given, e.g. the target's singular
    /// vectors so that the spectrum is aligned with the data (controls); random Haar frames when None.
    and pointIn
        (frames: (Matrix<float> * Matrix<float>) option)
        (p: RegionParams)
        (dOut: int)
        (dIn: int)
        (spec: PointSpec)
        : Network =
        let mutable rng = Rng.stream spec.Seed 3UL
        let k = spectrumSize dOut dIn spec
        let q = max 0 (min spec.Full (min p.R k))
        let t = max 0 (min spec.Tail (k - q))
        let delta = 0.5 * 10.0 ** (-(float spec.SlackExponent))
        let budget = float p.R + p.Eps2
        // 1. tail f-values
        let tailF =
            if t = 0 then
                [||]
            else
                let w = Array.zeroCreate t

                for i in 0 .. t - 1 do
                    w.[i] <- uniform &rng 1.0 2.0

                let ws = Array.sum w

                let mass =
                    if spec.RankEdge && float t > budget - float q then
                        budget - float q - delta * budget
                    else
                        min (float t) (budget - float q) * uniform &rng 0.0 0.9

                let fs = w |> Array.map (fun wi -> mass * wi / ws)

                let fs =
                    if fs |> Array.exists (fun f -> f >= 1.0) then
                        Array.create t (mass / float t)
                    else
                        fs

                fs |> Array.map (fun f -> min f (1.0 - 1e-9) |> max 0.0)

        let tailX = tailF |> Array.map (inverseFAlpha p.Family p.Alpha)
        let tailSum = Array.sum tailX
        // 2.-4. full values and the imbalance factor c, by a short fixed-point iteration
        let shape = Array.zeroCreate q

        for i in 0 .. q - 1 do
            shape.[i] <- uniform &rng 1.0 3.0

        let shapeSum = Array.sum shape
        let shapeNorm = sqrt (shape |> Array.sumBy (fun w -> w * w))
        let balance = spec.BalanceEdge && not spec.Misaligned && q >= 1 && spec.Depth >= 2
        let normEdge = spec.NormEdge && q >= 1

        let cFor beta =
            if not balance || beta <= 0.0 then
                1.0
            else
                let tau = sqrt (p.Eps1 * (1.0 - delta)) / (beta * shapeNorm)
                sqrt ((tau + sqrt (tau * tau + 4.0)) / 2.0)

        let minBeta c =
            if q = 0 then 0.0 else p.Alpha * c * c / Array.min shape

        let room = max 0.0 (p.C - tailSum)
        let randomFraction = uniform &rng 0.0 1.0
        let mutable c = 1.0
        let mutable beta = 0.0

        for _ in 1..8 do
            let lo = minBeta c

            let target =
                if normEdge then
                    (p.C * (1.0 - delta) - tailSum) / (c * c * shapeSum)
                else
                    lo + randomFraction * max 0.0 (room / (c * c * shapeSum) - lo) * 0.9

            beta <- max lo target
            c <- cFor beta

        let x = Array.append (shape |> Array.map (fun w -> beta * w)) tailX
        let order = x |> Array.sortDescending

        if order.Length = 0 then
            let ws = Array.concat [ [| dIn |]; spec.Hidden; [| dOut |] ]

            {
                W = Array.init spec.Depth (fun l -> Linalg.M.Dense(ws.[l + 1], ws.[l]))
            }
        else
            let s = order |> Array.map (fun xi -> xi ** (float spec.Depth / 2.0))

            let u, v, r2 =
                match frames with
                | Some(fu, fv) when fu.ColumnCount >= s.Length && fv.ColumnCount >= s.Length ->
                    fu.SubMatrix(0, dOut, 0, s.Length), fv.SubMatrix(0, dIn, 0, s.Length), rng
                | _ ->
                    let u, r1 = Linalg.randomOrthonormal rng dOut s.Length
                    let v, r2 = Linalg.randomOrthonormal r1 dIn s.Length
                    u, v, r2

            let net, r3 = Network.balancedRandom r2 u s v spec.Hidden
            rng <- r3

            if spec.BalanceEdge && spec.Misaligned then
                toBoundary &rng p delta net
            elif balance && c <> 1.0 && spec.Depth >= 2 then
                let l = 1 + Rng.nextInt &rng (spec.Depth - 1) // zero-based pair (l-1, l), paper's (ℓ−1, ℓ)
                let lower = net.W.[l - 1]
                let uu, _, _ = Linalg.thinSvd lower
                let uq = uu.SubMatrix(0, uu.RowCount, 0, q)
                let proj = uq * uq.Transpose()
                let n = proj.RowCount
                let up = Linalg.M.DenseIdentity n + (c - 1.0) * proj
                let down = Linalg.M.DenseIdentity n + (1.0 / c - 1.0) * proj
                let w = Array.copy net.W
                w.[l - 1] <- up * lower
                w.[l] <- net.W.[l] * down
                { W = w }
            else
                net

    /// A complete C1 case from specs: task, depth/rank from the point spec, constants from
    /// `Regime.derive settings` at λ, η = etaFraction · `Regime.etaMax`, and the point.
    let closureCase
        (settings: RegimeSettings)
        (taskSpec: TaskSpec)
        (pointSpec: PointSpec)
        (lambda: float)
        (etaFraction: float)
        : ClosureCase =
        let tk = task taskSpec
        let p = Regime.derive settings tk pointSpec.Depth pointSpec.R lambda
        let eta = etaFraction * Regime.etaMax p tk pointSpec.Depth lambda settings.Rho

        {
            Task = tk
            Depth = pointSpec.Depth
            Region = p
            Hyper = { Eta = eta; Lambda = lambda }
            Point = point p tk.DOut tk.DIn pointSpec
        }

    /// Relative closeness of each condition to its boundary: slack / budget (ε1, r + ε2, C).
    let relativeSlack (p: RegionParams) (s: RegionSlack) =
        {|
            Balancedness = s.Balancedness / p.Eps1
            Rank = s.Rank / (float p.R + p.Eps2)
            Bounded = s.Bounded / p.C
        |}

    /// A bucket name for a relative slack: "<1e-9", "<1e-6", "<1e-3", "<1e-1", ">=1e-1".
    let closenessBucket (rel: float) =
        if rel < 1e-9 then "<1e-9"
        elif rel < 1e-6 then "<1e-6"
        elif rel < 1e-3 then "<1e-3"
        elif rel < 1e-1 then "<1e-1"
        else ">=1e-1"

    /// Numerical rank of the observed part P_I(A*) (singular values above `NonTriviality.rankThreshold`·s_1):
    /// the highest rank the data can ask for through `NonTriviality.lambdaScale`.
    let observedRank (task: Task) =
        let s = Linalg.singularValues (NonTriviality.observedPart task)
        let cut = NonTriviality.rankThreshold * (if s.Length > 0 then s.[0] else 0.0)
        s |> Array.filter (fun x -> x > cut && x > 0.0) |> Array.length

    /// Range of λ / `NonTriviality.lambdaScale` in `closureSpec` for a fully observed task (choice): below 1,
    /// so that a minimum of rank > r exists (D7, exact); at least 0.4 of it, because the derived regime's
    /// η_max falls like a high power of λ (about λ¹² at L = 3), so smaller λ gives steps below round-off.
    let lambdaFractionRange = 0.4, 0.95

    /// The same for a partially observed task, where `lambdaScale` is a proxy that overestimates (measured on
    /// E1's task: the rank-2 minimum is certified up to about 0.3–0.5 of it): 0.2 to 0.6 (choice).
    let partialLambdaFractionRange = 0.2, 0.6

    /// Range of λ / `NonTriviality.lambdaScale` in `aimedClosureSpec` (choice): the weak-decay end, for fully
    /// and for partially observed tasks.
    let aimedLambdaFractionRange = 0.6, 0.95

    /// `aimedLambdaFractionRange` for partially observed tasks (choice, see `partialLambdaFractionRange`).
    let aimedPartialLambdaFractionRange = 0.3, 0.6

    /// Largest size of the small half of `closureSpec`'s tasks (choice): up to 2×2, N ≤ 4 observed entries,
    /// where the derived regime's η_max leaves a step visible above round-off in most cases; from N ≈ 12 on
    /// almost never (measured, issue #11). The other half (up to maxSize) adds coverage more than non-trivial
    /// cases.
    [<Literal>]
    let smallTaskSize = 2

    /// Fraction of `closureSpec`'s cases with a decay-dominated λ ∈ [0.1, 1] whatever the task (choice): no
    /// minimum of rank > r then exists (trivial by construction), but steps are large enough for the
    /// negative controls (λ = 0, large η, a broken step) to show that the check fails when it must.
    let decayDominatedOneIn = 16

    /// The point spec moved to the paper's setting on a task (issue #11), a nonzero low-rank point with data
    /// pulling toward higher rank: r below top = min(spectrum size, rank of P_I(A*)): r = top − 1 (the data ask
    /// for one more) in half the cases, else the spec's r when below top, else uniform below top; at least one
    /// full value when r ≥ 1 and at least one tail value when r = 0 (θ = 0 is a critical point: a step leaves
    /// it where it is, so it could never fail).
    let belowDataRank (rng: byref<Rng>) (tk: Task) (ps: PointSpec) : PointSpec =
        let k = spectrumSize tk.DOut tk.DIn ps
        let top = min k (observedRank tk)

        let ps =
            if top <= 0 then
                ps
            else
                let r =
                    if Rng.nextInt &rng 2 = 0 then top - 1
                    elif ps.R < top then ps.R
                    else Rng.nextInt &rng top

                { ps with R = r; Full = min ps.Full r }

        if ps.R >= 1 then
            { ps with
                Full = max 1 (min ps.Full ps.R)
            }
        elif k >= 1 then
            { ps with Tail = max 1 ps.Tail }
        else
            ps

    /// λ for a task, depth, widths and r: f · `NonTriviality.lambdaScale` with f uniform in `full` (fully
    /// observed task) or `partial` when the scale is positive, else log-uniform in [lo, hi] (the data cannot
    /// ask for rank > r).
    let lambdaFor
        (rng: byref<Rng>)
        (tk: Task)
        (ps: PointSpec)
        (full: float * float)
        (partial: float * float)
        (lo: float)
        (hi: float)
        =
        let scale = NonTriviality.lambdaScale tk ps.Depth ps.Hidden ps.R

        let fLo, fHi = if Task.isFullyObserved tk then full else partial

        if scale > 0.0 then
            scale * uniform &rng fLo fHi
        else
            logUniform &rng lo hi

    /// A random C1 spec (issue #11: aimed at the paper's setting, a low-rank point with data pulling toward
    /// higher rank): a task up to `smallTaskSize` in half the cases and up to maxSize in the other half (scale
    /// [0.1, 1]), depth in [minDepth, maxDepth], widths ≤ 6, r below the rank of the observed part
    /// (`belowDataRank`), λ = f · `NonTriviality.lambdaScale` with f in `lambdaFractionRange` (exact D7
    /// threshold for fully observed tasks) or `partialLambdaFractionRange` (a proxy otherwise), except one
    /// case in `decayDominatedOneIn` with λ log-uniform in [0.1, 1]; f_α family at random, η/etaMax in
    /// [0.05, 1] (half of them within 10^{−k} of 1, the regime's edge).
    let closureSpec (rng: byref<Rng>) (maxSize: int) (minDepth: int) (maxDepth: int) : ClosureSpec =
        let size =
            if Rng.nextInt &rng 2 = 0 then
                min maxSize smallTaskSize
            else
                maxSize

        let ts = taskSpec &rng size 0.1 1.0

        let dOut, dIn =
            (match ts.Kind with
             | TaskKind.E1 _ -> 2, 2
             | _ -> ts.DOut, ts.DIn)

        let ps = pointSpec &rng dOut dIn minDepth maxDepth 6
        let family = FAlpha.all.[Rng.nextInt &rng 2]

        let frac =
            if Rng.nextInt &rng 2 = 0 then
                1.0 - 10.0 ** (-(float (1 + Rng.nextInt &rng 8)))
            else
                uniform &rng 0.05 1.0

        let tk = task ts
        let ps = belowDataRank &rng tk ps

        let lambda =
            if Rng.nextInt &rng decayDominatedOneIn = 0 then
                logUniform &rng 0.1 1.0
            else
                lambdaFor &rng tk ps lambdaFractionRange partialLambdaFractionRange 0.1 1.0

        {
            Task = ts
            Point = ps
            Lambda = lambda
            EtaFraction = frac
            Family = family
        }

    /// The C1 spec `spec` moved to the limits of C1's hypotheses (the hunt's aimed starts, THEORY.md §4
    /// "Counterexample hunting"): every edge of B_r on (balancedness, norm, rank) at relative slack
    /// 0.5·10^{−k}, k ∈ 8..12, the balancedness edge along the shared frame or misaligned (half each); at least
    /// one full singular value (when r ≥ 1) and the rest of the spectrum in the tail; r one below
    /// min(spectrum size, rank of the observed part P_I(A*)), so that the loss pulls one tail value up; η within 10^{−k}, k ∈ 1..8, of the regime's
    /// η_max; λ at the weak-decay end of the data's scale, f · `NonTriviality.lambdaScale` with f in
    /// `aimedLambdaFractionRange` (`aimedPartialLambdaFractionRange` for a partially observed task;
    /// log-uniform in [0.1, 0.2] when the scale is 0). Shapes, depth, task and
    /// family are kept. When the region's r is fixed (`fixedR`, e.g. by a hunt's override), the spec's r
    /// follows it instead, so that the spectrum has its full values; when the task is fixed (`fixedTask`),
    /// it is used instead of the spec's.
    let aimedClosureSpec
        (rng: byref<Rng>)
        (fixedR: int option)
        (fixedTask: Task option)
        (spec: ClosureSpec)
        : ClosureSpec =
        let tk =
            match fixedTask with
            | Some t -> t
            | None -> task spec.Task

        let dataRank = observedRank tk
        let p = spec.Point
        let k = spectrumSize tk.DOut tk.DIn p

        let r =
            match fixedR with
            | Some r -> min r k
            | None -> max 0 (min k dataRank - 1)

        let full = if r >= 1 then min r (max 1 p.Full) else 0
        let slackExponent = 8 + Rng.nextInt &rng 5
        let etaFraction = 1.0 - 10.0 ** (-(float (1 + Rng.nextInt &rng 8)))
        let misaligned = Rng.nextInt &rng 2 = 0

        let point =
            { p with
                R = r
                Full = full
                Tail = min (max 1 (k - full)) (k - full)
                RankEdge = true
                NormEdge = true
                BalanceEdge = true
                SlackExponent = slackExponent
                Misaligned = misaligned
            }

        let lambda =
            lambdaFor &rng tk point aimedLambdaFractionRange aimedPartialLambdaFractionRange 0.1 0.2

        { spec with
            Point = point
            EtaFraction = etaFraction
            Lambda = lambda
        }

    /// The C1 case of a spec (`closureCase` with the spec's family in `Regime.defaults`).
    let closureCaseOf (spec: ClosureSpec) : ClosureCase =
        closureCase
            { Regime.defaults with
                Family = spec.Family
            }
            spec.Task
            spec.Point
            spec.Lambda
            spec.EtaFraction

    /// A random D7 spec: sizes 1..maxSize, depth in [minDepth, maxDepth], scale [0.5, 2], c/c_max ∈ [0.05, 0.95].
    let d7Spec (rng: byref<Rng>) (maxSize: int) (minDepth: int) (maxDepth: int) : D7Spec =
        let dOut = 1 + Rng.nextInt &rng maxSize
        let dIn = 1 + Rng.nextInt &rng maxSize

        {
            DOut = dOut
            DIn = dIn
            TargetRank = 1 + Rng.nextInt &rng (min dOut dIn)
            Scale = uniform &rng 0.5 2.0
            Depth = minDepth + Rng.nextInt &rng (maxDepth - minDepth + 1)
            CFraction = uniform &rng 0.05 0.95
            Seed = Rng.nextUInt64 &rng
        }

    /// c_max(s) = max_a (s − a) a^{1−2/L} = s/(1 + p)·(p s/(1 + p))^p with p = 1 − 2/L (L ≥ 3), s for L ≤ 2: a
    /// singular value s of A* has non-zero D7 roots iff 2λN ≤ c_max(s) (two for L ≥ 3, THEORY.md D7).
    let d7CMax (depth: int) (s: float) =
        if depth <= 2 then
            s
        else
            let pp = 1.0 - 2.0 / float depth
            s / (1.0 + pp) * (pp * s / (1.0 + pp)) ** pp

    /// A D7 spec aimed at local minima of two non-zero ranks (C7, with `d7CaseAt`): sizes 2..maxSize, target
    /// rank 2..min(d_out, d_in), depth in [minDepth, maxDepth], scale [0.5, 2], c/c_max ∈ [0.05, 0.95].
    let d7SpecTwoRanks (rng: byref<Rng>) (maxSize: int) (minDepth: int) (maxDepth: int) : D7Spec =
        let dOut = 2 + Rng.nextInt &rng (maxSize - 1)
        let dIn = 2 + Rng.nextInt &rng (maxSize - 1)

        {
            DOut = dOut
            DIn = dIn
            TargetRank = 2 + Rng.nextInt &rng (min dOut dIn - 1)
            Scale = uniform &rng 0.5 2.0
            Depth = minDepth + Rng.nextInt &rng (maxDepth - minDepth + 1)
            CFraction = uniform &rng 0.05 0.95
            Seed = Rng.nextUInt64 &rng
        }

    /// The D7 task of a spec with λ set against the j-th largest singular value s_j of A* (1-based, clamped to
    /// the target's rank): λ = CFraction·c_max(s_j)/(2N) (`d7CMax`), so every s_i ≥ s_j has non-zero roots and,
    /// for L ≥ 3, D7 predicts local minima of every rank 0..j at least (`Large` roots on a prefix). Returns
    /// (fully observed task, depth, λ, hidden widths min(d_out, d_in)).
    let d7CaseAt (j: int) (spec: D7Spec) =
        let tk =
            task
                {
                    DOut = spec.DOut
                    DIn = spec.DIn
                    TargetRank = spec.TargetRank
                    Scale = spec.Scale
                    Kind = TaskKind.Full
                    Seed = spec.Seed
                }

        let s = Linalg.singularValues tk.Target
        let rank = max 1 (min spec.TargetRank s.Length)
        let sj = s.[(max 1 (min j rank)) - 1]
        let lambda = spec.CFraction * d7CMax spec.Depth sj / (2.0 * float tk.N)
        tk, spec.Depth, lambda, Array.create (spec.Depth - 1) (min spec.DOut spec.DIn)

    /// The D7 task of a spec: (fully observed task, depth, λ, hidden widths k). λ = c/(2N) with
    /// c = CFraction · c_max, c_max = s_1 for L ≤ 2 and max_a (s_1 − a) a^{1−2/L} for L ≥ 3 (`d7CaseAt 1`).
    let d7Case (spec: D7Spec) = d7CaseAt 1 spec
