namespace LowRankVerify.Theory

open MathNet.Numerics.LinearAlgebra

/// Evidence that the loss L_λ of a task, at a depth and hidden widths, has a nonzero local minimum of a
/// given rank (the non-triviality criterion of C1 and C4): a run of `CriticalPoints.solve` that reached
/// its residual target, the smallest eigenvalue of the finite-difference Hessian there, and the numerical
/// rank of the product. Plain data: a reader re-checks it from `Minimum` alone (residual, Hessian, SVD).
type MinimumCertificate =
    {
        /// How the solver was started, in words (D7's exact point, or a balanced network of the observed
        /// entries' leading singular triplets).
        Start: string
        /// The point the solver reached, W_1 … W_L.
        Minimum: Network
        /// Relative gradient residual ‖∇L_λ‖ / (‖∇ℓ‖ + 2λ‖θ‖) at `Minimum` (`CriticalPoints.relativeResidual`).
        Residual: float
        /// The residual the solver had to reach (`Tolerance.criticalPointTarget`).
        ResidualTarget: float
        /// Smallest eigenvalue of the Hessian of L_λ at `Minimum` (`CriticalPoints.hessian`); +∞ when the
        /// network has more than `CriticalPoints.maxHessianParameters` parameters (then nothing is certified).
        MinEigenvalue: float
        /// Tolerance on it (`NonTriviality.hessianTolerance`): an eigenvalue ≥ −tolerance counts as ≥ 0.
        EigenTolerance: float
        /// Singular values of A at `Minimum`, descending.
        SingularValues: float[]
        /// Numerical rank of A: singular values above `NonTriviality.rankThreshold` · s_1(A).
        Rank: int
        /// Solver iterations (descent steps plus Newton iterations).
        Iterations: int
        /// Wall-clock seconds of the solver and the Hessian.
        Seconds: float
    }

    /// The solver reached its residual target.
    member this.Converged = this.Residual <= this.ResidualTarget

    /// The Hessian's smallest eigenvalue is ≥ −tolerance (a second-order critical point: the Hessian's zero
    /// eigenvalues are the gauge directions of D6 and, at L ≥ 3, nothing else is flat at these points).
    member this.SecondOrder =
        System.Double.IsFinite this.MinEigenvalue
        && this.MinEigenvalue >= -this.EigenTolerance

    /// True when the certificate shows a nonzero local minimum of rank > r (converged, Hessian check, rank).
    member this.RankAbove(r: int) =
        this.Converged && this.SecondOrder && this.Rank > r

/// Non-triviality of C1 and C4 (issue #11): a case could have failed only when its task and λ (with its
/// depth and widths) admit a nonzero local minimum of rank > r, so that the data pull a point of B_r toward
/// higher rank. λ's scale for a task (`lambdaScale`) and the certificate of such a minimum (`certify`).
[<RequireQualifiedAccess>]
module NonTriviality =

    /// Relative threshold of the numerical rank of a certified minimum (choice): singular values of A above
    /// 1e-6 · s_1(A) count. At a local minimum of a D7 task every nonzero singular value is a Large root,
    /// ≥ p·s/(1 + p) with p = 1 − 2/L, i.e. ≥ s/4 of its singular value of A*; what a residual of 1e-12
    /// leaves in a switched-off direction is many orders below 1e-6 · s_1.
    [<Literal>]
    let rankThreshold = 1e-6

    /// Tolerance on the smallest Hessian eigenvalue of a local minimum: the central-difference Hessian has
    /// entry errors ≈ 1e-10 relative (h = 1e-5: truncation h² and round-off u/h), and Weyl's inequality
    /// turns an n×n entrywise error e into an eigenvalue error ≤ n·e; we allow n·1e-9·max(1, max|H|)
    /// (the same rule as C7's `ClaimChecks.hessianTolerance`).
    let hessianTolerance (h: Matrix<float>) =
        float h.RowCount * 1e-9 * max 1.0 (Linalg.maxAbs h)

    /// max_a (s − a)·a^{1−2/L} over a ∈ (0, s) (D7): a singular value s of A* has nonzero roots at
    /// 2λN exactly when this is ≥ 2λN. It is s/(1 + p)·(p s/(1 + p))^p with p = 1 − 2/L for L ≥ 3, and s
    /// for L ≤ 2 (the single root s − 2λN of L = 2; L = 1 has a root for every λ and is not used here).
    let rootThreshold (depth: int) (s: float) =
        if s <= 0.0 then
            0.0
        elif depth <= 2 then
            s
        else
            let p = 1.0 - 2.0 / float depth
            s / (1.0 + p) * (p * s / (1.0 + p)) ** p

    /// The observed part P_I(A*) of the target (zeros at unobserved entries).
    let observedPart (task: Task) : Matrix<float> =
        let m = Linalg.M.Dense(task.DOut, task.DIn)

        for (i, j) in task.Observed do
            m.[i, j] <- task.Target.[i, j]

        m

    /// λ's scale for rank > r (C1, C4 generators): rootThreshold(L, s_{r+1}) / (2N) with s_{r+1} the
    /// (r+1)-th singular value of the observed part P_I(A*); 0 when r + 1 exceeds the smallest width or the
    /// rank of P_I(A*). For a fully observed task (P_I(A*) = A*) this is EXACT (D7): a nonzero minimum of
    /// rank > r exists iff λ < `lambdaScale` (the D7 point with Large roots on the first r + 1 values and
    /// Zero on the rest). For a partially observed task it is a proxy (the rank-(r+1) fits of the observed
    /// entries alone): `certify` decides.
    let lambdaScale (task: Task) (depth: int) (hidden: int[]) (r: int) =
        let k = Array.fold min (min task.DOut task.DIn) hidden
        let s = Linalg.singularValues (observedPart task)
        let cut = rankThreshold * (if s.Length > 0 then s.[0] else 0.0)

        if r < 0 || r + 1 > k || r >= s.Length || s.[r] <= cut then
            0.0
        else
            rootThreshold depth s.[r] / (2.0 * float task.N)

    /// Descent steps of the solver before its Newton phase (`CriticalPoints.solve`).
    [<Literal>]
    let descentSteps = 400

    /// The start of the certificate's solver run and its description: the balanced network (`Network.balanced`,
    /// widths `hidden`) of U diag(a) Vᵀ, with (U, s, V) the SVD of P_I(A*) (of A* when fully observed) and a_i
    /// the Large root of (s_i − a) a^{1−2/L} = 2λN where it exists (Zero elsewhere), on at most min(widths)
    /// values. For a fully observed task this is D7's exact local minimum of the highest rank (its residual is
    /// at round-off; the solver then only confirms it); otherwise a guess the solver moves from.
    let start (task: Task) (lambda: float) (hidden: int[]) : Network * string =
        let depth = hidden.Length + 1
        let u, s, v = Linalg.thinSvd (observedPart task)
        let k = Array.fold min (min task.DOut task.DIn) hidden
        let c = 2.0 * lambda * float task.N

        let a =
            s
            |> Array.truncate k
            |> Array.map (fun si ->
                let roots = CriticalPoints.roots depth si c
                if roots.Length > 0 then roots.[roots.Length - 1] else 0.0)

        let keep = a |> Array.filter (fun x -> x > 0.0) |> Array.length
        let keep = max 1 keep
        let a = Array.truncate keep (Array.append a (Array.create keep 0.0))

        let a =
            if a |> Array.forall (fun x -> x = 0.0) then
                // no root at all: start from the observed part's leading value (the solver then decays)
                [| (if s.Length > 0 then s.[0] else 1.0) |]
            else
                a

        let cols (m: Matrix<float>) = m.SubMatrix(0, m.RowCount, 0, a.Length)
        let net = Network.balanced (cols u) a (cols v) hidden

        let text =
            sprintf
                "%s with Large roots of D7's equation on %d singular value(s) of %s"
                "balanced network"
                (a |> Array.filter (fun x -> x > 0.0) |> Array.length)
                (if Task.isFullyObserved task then
                     "A* (D7's exact minimum)"
                 else
                     "the observed part P_I(A*)")

        net, text

    /// The certificate of the solver run from `start`: `CriticalPoints.solve` to `Tolerance.criticalPointTarget`
    /// (`descentSteps` descent steps, then Newton), the Hessian's smallest eigenvalue with its tolerance, and
    /// the product's numerical rank. Deterministic (no random draw).
    let certify (task: Task) (lambda: float) (hidden: int[]) : MinimumCertificate =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let net0, text = start task lambda hidden

        let sol =
            CriticalPoints.solve task lambda Tolerance.criticalPointTarget descentSteps net0

        let n = (Network.toVector sol.Network).Length

        let eig, tol =
            if n > CriticalPoints.maxHessianParameters then
                infinity, 0.0
            else
                let h = CriticalPoints.hessian task lambda sol.Network

                let e =
                    h.Evd(Symmetricity.Symmetric).EigenValues
                    |> Seq.map (fun z -> z.Real)
                    |> Seq.min

                e, hessianTolerance h

        let sv = Linalg.singularValues (Network.product sol.Network)
        let cut = rankThreshold * (if sv.Length > 0 then sv.[0] else 0.0)

        {
            Start = text
            Minimum = sol.Network
            Residual = sol.RelativeResidual
            ResidualTarget = Tolerance.criticalPointTarget
            MinEigenvalue = eig
            EigenTolerance = tol
            SingularValues = sv
            Rank = sv |> Array.filter (fun x -> x > cut && x > 0.0) |> Array.length
            Iterations = sol.Iterations
            Seconds = sw.Elapsed.TotalSeconds
        }

    /// A key of (task, depth, widths, λ) for `Cache`: every number in round-trip form.
    let key (task: Task) (lambda: float) (hidden: int[]) =
        let f (x: float) =
            x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)

        let sb = System.Text.StringBuilder()

        sb.Append(task.DOut).Append('x').Append(task.DIn).Append(';') |> ignore

        for i in 0 .. task.DOut - 1 do
            for j in 0 .. task.DIn - 1 do
                sb.Append(f task.Target.[i, j]).Append(',') |> ignore

        for (i, j) in task.Observed do
            sb.Append(i).Append(':').Append(j).Append(',') |> ignore

        sb.Append(';').Append(f lambda).Append(';') |> ignore

        for h in hidden do
            sb.Append(h).Append(',') |> ignore

        sb.ToString()

    /// A cache of certificates per (task, depth, widths, λ) for one check run (cases that share them are
    /// certified once); counts hits, misses and the seconds spent.
    type Cache() =
        let table = System.Collections.Generic.Dictionary<string, MinimumCertificate>()
        let mutable misses = 0
        let mutable hits = 0
        let mutable seconds = 0.0

        /// The certificate of (task, λ, widths), computed once.
        member _.Get(task: Task, lambda: float, hidden: int[]) =
            let k = key task lambda hidden

            match table.TryGetValue k with
            | true, c ->
                hits <- hits + 1
                c
            | _ ->
                let c = certify task lambda hidden
                misses <- misses + 1
                seconds <- seconds + c.Seconds
                table.[k] <- c
                c

        /// Certificates computed.
        member _.Misses = misses

        /// Certificates reused.
        member _.Hits = hits

        /// Seconds spent computing certificates.
        member _.Seconds = seconds
