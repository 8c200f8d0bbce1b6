namespace LowRankVerify.Theory

open MathNet.Numerics.LinearAlgebra

/// Which root of D7's equation to take for one singular value of A*.
[<RequireQualifiedAccess>]
type RootChoice =
    /// a = 0 (the direction is switched off; a critical point for L ≥ 2).
    | Zero
    /// The smaller root (a saddle for L ≥ 3).
    | Small
    /// The larger root (a local minimum for L ≥ 3; the only root for L ≤ 2).
    | Large

/// Outcome of the numerical critical-point solver.
type SolverResult =
    {
        /// The point reached.
        Network: Network
        /// ‖∇L_λ‖ over all layers at that point.
        GradientNorm: float
        /// ‖∇L_λ‖ / (‖∇ℓ‖ + 2λ‖θ‖): the gradient relative to the two terms that cancel at a critical point.
        RelativeResidual: float
        /// Gradient-descent steps plus Newton iterations used.
        Iterations: int
        /// RelativeResidual ≤ the requested target.
        Converged: bool
    }

/// Critical points of L_λ: the exact fully observed ones (D7) and a numerical solver (C2, C7).
[<RequireQualifiedAccess>]
module CriticalPoints =

    /// Roots of (s − a) a^{1−2/L} = c on (0, s), ascending, with c = 2λN (D7). For L ≥ 3 there are zero
    /// or two (one when tangent); for L = 2 one (a = s − c when positive); for L = 1 one (a = s/(1+c)).
    /// Roots are bracketed by bisection to a few ulps.
    let roots (depth: int) (s: float) (c: float) : float[] =
        if s <= 0.0 || c <= 0.0 then
            [||]
        elif depth = 1 then
            [| s / (1.0 + c) |]
        elif depth = 2 then
            if s > c then [| s - c |] else [||]
        else
            let p = 1.0 - 2.0 / float depth
            let g a = (s - a) * a ** p - c
            let peak = p * s / (1.0 + p)

            let bisect lo hi increasing =
                let mutable lo = lo
                let mutable hi = hi
                let mutable k = 0

                while k < 2000 && hi - lo > Tolerance.rootBracketUlps * Tolerance.machineEpsilon * hi do
                    let mid = 0.5 * (lo + hi)
                    if (g mid < 0.0) = increasing then lo <- mid else hi <- mid
                    k <- k + 1

                0.5 * (lo + hi)

            let top = g peak

            if top < 0.0 then [||]
            elif top = 0.0 then [| peak |]
            else [| bisect 0.0 peak true; bisect peak s false |]

    /// The exact critical point of D7 for a fully observed task: A = U diag(a) Vᵀ with a_i chosen per
    /// singular value of A* by `choices`, realised as the balanced network with identity inner frames and
    /// hidden widths `hidden`. Errors when the task is not fully observed, a chosen root does not exist,
    /// `choices` has the wrong length, or a hidden width is below the number of non-zero a_i.
    /// Returns the network and the chosen a_i.
    let exactFullyObserved
        (task: Task)
        (lambda: float)
        (hidden: int[])
        (choices: RootChoice[])
        : Result<Network * float[], string> =
        let depth = hidden.Length + 1

        if not (Task.isFullyObserved task) then
            Error "D7 needs a fully observed task"
        elif lambda <= 0.0 then
            Error "D7 needs lambda > 0"
        else
            let u, s, v = Linalg.thinSvd task.Target

            if choices.Length <> s.Length then
                Error(sprintf "choices has %d entries but A* has %d singular values" choices.Length s.Length)
            else
                let c = 2.0 * lambda * float task.N

                let picked =
                    Array.map2
                        (fun si ch ->
                            let rs = roots depth si c

                            match ch, rs.Length with
                            | RootChoice.Zero, _ when depth >= 2 -> Some 0.0
                            | RootChoice.Large, n when n >= 1 -> Some rs.[n - 1]
                            | RootChoice.Small, 2 -> Some rs.[0]
                            | _ -> None)
                        s
                        choices

                if picked |> Array.exists Option.isNone then
                    Error "a chosen root does not exist for this singular value, depth and lambda"
                else
                    let a = picked |> Array.map Option.get

                    let keep =
                        [|
                            for k in 0 .. a.Length - 1 do
                                if a.[k] > 0.0 then
                                    k
                        |]

                    if hidden |> Array.exists (fun n -> n < keep.Length) then
                        Error "every hidden width must be at least the rank of the critical point"
                    else
                        let cols (m: Matrix<float>) =
                            Linalg.M.DenseOfColumnVectors(keep |> Array.map m.Column)

                        let net =
                            if keep.Length = 0 then
                                {
                                    W =
                                        Array.init depth (fun l ->
                                            let ws = Array.concat [ [| task.DIn |]; hidden; [| task.DOut |] ]
                                            Linalg.M.Dense(ws.[l + 1], ws.[l]))
                                }
                            else
                                Network.balanced (cols u) (keep |> Array.map (fun k -> a.[k])) (cols v) hidden

                        Ok(net, a)

    /// Relative gradient residual ‖∇L_λ‖ / (‖∇ℓ‖ + 2λ‖θ‖) (0 when the gradient vanishes).
    let relativeResidual (task: Task) (lambda: float) (net: Network) =
        let gd = Loss.dataGradient task net

        let g =
            Array.map2 (fun (x: Matrix<float>) (w: Matrix<float>) -> x + 2.0 * lambda * w) gd net.W

        let num = Loss.gradientNorm g

        if num = 0.0 then
            0.0
        else
            num / (Loss.gradientNorm gd + 2.0 * lambda * sqrt (Network.squaredNorm net))

    /// Largest parameter count for which the dense Hessian is formed.
    [<Literal>]
    let maxHessianParameters = 1500

    /// Hessian of L_λ over the flattened parameters (`Network.toVector` order), by central differences of
    /// the exact gradient with step h = 1e-5·max(1, max|θ|): truncation O(h²) ≈ 1e-10 relative, round-off
    /// O(u/h) ≈ 1e-11; symmetrised.
    let hessian (task: Task) (lambda: float) (net: Network) : Matrix<float> =
        let x = Network.toVector net
        let n = x.Length

        if n > maxHessianParameters then
            invalidArg "net" (sprintf "the dense Hessian is limited to %d parameters" maxHessianParameters)

        let h = 1e-5 * max 1.0 (x |> Array.map abs |> Array.max)

        let grad (y: float[]) =
            Loss.gradient task lambda (Network.ofVector net y)
            |> Array.collect (fun g -> g.ToColumnMajorArray())

        let hm = Linalg.M.Dense(n, n)

        for k in 0 .. n - 1 do
            let xp = Array.copy x
            let xm = Array.copy x
            xp.[k] <- x.[k] + h
            xm.[k] <- x.[k] - h
            let gp = grad xp
            let gm = grad xm

            for r in 0 .. n - 1 do
                hm.[r, k] <- (gp.[r] - gm.[r]) / (2.0 * h)

        (hm + hm.Transpose()) * 0.5

    /// Numerical critical point from `start`: gradient descent with Armijo backtracking on L_λ (up to
    /// `maxDescentSteps`), then Levenberg–Marquardt on ∇L_λ = 0 with the finite-difference Hessian
    /// (finds saddles as well as minima), until the relative residual reaches `target` or stalls.
    let solve (task: Task) (lambda: float) (target: float) (maxDescentSteps: int) (start: Network) : SolverResult =
        let lossAt = Loss.loss task lambda
        let mutable net = Network.copy start
        let mutable iterations = 0
        let mutable eta = 1.0
        let mutable descending = true

        while descending && iterations < maxDescentSteps do
            let g = Loss.gradient task lambda net
            let gn2 = g |> Array.sumBy Linalg.squaredFrobenius

            if gn2 = 0.0 || relativeResidual task lambda net < 1e-6 then
                descending <- false
            else
                let f0 = lossAt net
                let mutable accepted = false
                let mutable tries = 0

                while not accepted && tries < 60 do
                    let candidate = Network.axpy (-eta) g net

                    if lossAt candidate <= f0 - 0.5 * eta * gn2 then
                        net <- candidate
                        accepted <- true
                        eta <- eta * 2.0
                    else
                        eta <- eta * 0.5

                    tries <- tries + 1

                if not accepted then
                    descending <- false

                iterations <- iterations + 1

        let n = (Network.toVector net).Length
        let mutable mu = 1e-6
        let mutable refining = n <= maxHessianParameters
        let mutable newton = 0

        while refining && newton < 100 && relativeResidual task lambda net > target do
            let hm = hessian task lambda net

            let grad = Loss.gradient task lambda net

            let g =
                Linalg.V.DenseOfArray(grad |> Array.collect (fun m -> m.ToColumnMajorArray()))

            let h2 = hm * hm
            let hg = hm * g
            let before = Loss.gradientNorm grad
            let mutable improved = false
            let mutable tries = 0

            while not improved && tries < 30 do
                let delta = (h2 + mu * Linalg.M.DenseIdentity n).Solve(hg)

                let candidate =
                    Network.ofVector net (Array.map2 (-) (Network.toVector net) (delta.ToArray()))

                let after = Loss.gradientNorm (Loss.gradient task lambda candidate)

                if System.Double.IsFinite after && after < before then
                    net <- candidate
                    improved <- true
                    mu <- max 1e-15 (mu / 10.0)
                else
                    mu <- mu * 10.0

                tries <- tries + 1

            if not improved then
                refining <- false

            newton <- newton + 1

        let rel = relativeResidual task lambda net

        {
            Network = net
            GradientNorm = Loss.gradientNorm (Loss.gradient task lambda net)
            RelativeResidual = rel
            Iterations = iterations + newton
            Converged = rel <= target
        }
