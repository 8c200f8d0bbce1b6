namespace LowRankVerify.Theory

/// Where the task of a completion experiment comes from (written into its report).
[<RequireQualifiedAccess>]
type TaskSource =
    /// m copies of E1's 2×2 task `[[1, 1/ε], [ε, 1]]` on the diagonal of a 2m×2m task
    /// (`CompletionTask.blocks`).
    | Blocks of blocks: int * epsilon: float
    /// An incoherent rank-k n×n truth observed at a uniform set of entries (`CompletionTask.random`).
    | Random of size: int * rank: int * observed: float * taskSeed: uint64
    /// A task file (the name as given).
    | File of name: string

/// The start θ_0 of every chain and of the gradient-descent control.
[<RequireQualifiedAccess>]
type StartKind =
    /// W_ℓ = I, the rectangular identity (E1's start; block-diagonal on the blocks family at width 2m).
    | Identity
    /// Entries N(0, scale²), drawn once from `Rng.stream seed CompletionTask.startStream`.
    | Gaussian of scale: float
    /// The balanced network (D5: every D_ℓ = 0) whose product is the rank-k truncated SVD of the spectral
    /// estimate (1/p)·P_I(A*) (p = N/(d_out·d_in), zero off the observed set), identity inner frames.
    | Balanced of rank: int

/// Task families and starts of the completion experiment (issue "The ladder B_R ⊃ … ⊃ B_1"): E1's task
/// repeated on a block diagonal (a known-answer staircase), random incoherent low-rank truths, and the
/// start networks.
[<RequireQualifiedAccess>]
module CompletionTask =

    /// E1's observed entries of one block, in `Task.e1`'s order (the blocks family keeps it).
    let private blockEntries = (Task.e1 1.0).Observed

    /// The blocks task: m copies of `[[1, 1/ε], [ε, 1]]` on the diagonal of a 2m×2m target (off-block
    /// truth 0), observed entries of block b at (2b, 2b), (2b+1, 2b), (2b+1, 2b+1), block after block, so
    /// observed entry e is entry e % 3 of E1's task in block e / 3. Its unobserved entries are the m
    /// missing 1/ε and every off-block zero.
    let blocks (m: int) (epsilon: float) : Task =
        let e1 = Task.e1 epsilon
        let target = Linalg.M.Dense(2 * m, 2 * m)

        for b in 0 .. m - 1 do
            for i in 0..1 do
                for j in 0..1 do
                    target.[2 * b + i, 2 * b + j] <- e1.Target.[i, j]

        {
            Target = target
            Observed =
                [|
                    for b in 0 .. m - 1 do
                        for (i, j) in blockEntries -> 2 * b + i, 2 * b + j
                |]
        }

    /// Most tries of the rejection sampler of `random` before it gives up.
    [<Literal>]
    let maxCoverTries = 10_000

    /// The random task: A* = U Vᵀ with U, V (n × k) of independent standard Gaussians (incoherent with high
    /// probability), scaled to ‖A*‖_F = n so that the entries have root-mean-square 1 (the normalisation of
    /// Arora et al. 2019); N = max(1, round(p·n²)) observed entries drawn uniformly without replacement,
    /// redrawn until every row and every column holds one (at most `maxCoverTries` draws), listed
    /// row-major. Everything is drawn from `Rng.create taskSeed`. Errors name the option.
    let random (n: int) (k: int) (p: float) (taskSeed: uint64) : Result<Task, InputError> =
        let bad f r = Error(InputError.create f r)

        if n < 1 || n > 1000 then
            bad "size" "must be an integer in 1..1000"
        elif k < 1 || k > n then
            bad "rank" (sprintf "must be an integer in 1..size (= %d)" n)
        elif not (System.Double.IsFinite p) || p <= 0.0 || p > 1.0 then
            bad "observed" "must be a fraction in (0, 1]"
        else
            let count = max 1 (int (round (p * float (n * n))))

            if count < n then
                bad
                    "observed"
                    (sprintf
                        "gives %d observed entries, fewer than the %d needed to hit every row and column; raise it to at least %g"
                        count
                        n
                        (float n / float (n * n)))
            else
                let mutable rng = Rng.create taskSeed
                let u, r1 = Rng.gaussians rng (n * k)
                let v, r2 = Rng.gaussians r1 (n * k)
                rng <- r2
                let um = Linalg.M.Dense(n, k, u)
                let vm = Linalg.M.Dense(n, k, v)
                let a = um.TransposeAndMultiply vm
                let target = a * (float n / sqrt (Linalg.squaredFrobenius a))
                let cells = Array.init (n * n) id
                let mutable found = None
                let mutable tries = 0

                while found.IsNone && tries < maxCoverTries do
                    // Partial Fisher–Yates: the first `count` cells are a uniform subset.
                    for c in 0 .. count - 1 do
                        let pick = c + Rng.nextInt &rng (n * n - c)
                        let t = cells.[c]
                        cells.[c] <- cells.[pick]
                        cells.[pick] <- t

                    let chosen = Array.sort cells.[0 .. count - 1]
                    let rows = chosen |> Array.map (fun x -> x / n) |> Array.distinct
                    let cols = chosen |> Array.map (fun x -> x % n) |> Array.distinct

                    if rows.Length = n && cols.Length = n then
                        found <- Some chosen

                    tries <- tries + 1

                match found with
                | None ->
                    bad
                        "observed"
                        (sprintf
                            "no draw of %d entries hit every row and column in %d tries; raise it"
                            count
                            maxCoverTries)
                | Some chosen ->
                    Ok
                        {
                            Target = target
                            Observed = chosen |> Array.map (fun x -> x / n, x % n)
                        }

    /// The task of a family (`File` has no generator: the runner reads the file).
    let ofSource (source: TaskSource) : Result<Task, InputError> =
        match source with
        | TaskSource.Blocks(m, eps) ->
            if m < 1 || m > 500 then
                Error(InputError.create "blocks" "must be an integer in 1..500")
            elif not (System.Double.IsFinite eps) || eps <= 0.0 then
                Error(InputError.create "epsilon" "must be a finite number > 0")
            else
                Ok(blocks m eps)
        | TaskSource.Random(n, k, p, s) -> random n k p s
        | TaskSource.File name -> Error(InputError.create "task" (sprintf "the file '%s' is read by the runner" name))

    /// Coherence μ(U) = (n/k)·max_i ‖U_i‖² of the leading k left (or, on the transpose, right) singular
    /// vectors of A* (1 = perfectly incoherent, n/k = maximal), for the report.
    let coherence (task: Task) (k: int) =
        if k < 1 then
            1.0, 1.0
        else
            let u, _, v = Linalg.thinSvd task.Target

            let mu (x: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
                let rows = x.RowCount

                let best =
                    [| 0 .. rows - 1 |]
                    |> Array.map (fun i -> Seq.sum (seq { for c in 0 .. k - 1 -> x.[i, c] * x.[i, c] }))
                    |> Array.max

                float rows / float k * best

            mu u, mu v

    /// Stream index (under the master seed) of the Gaussian start: no chain index (< 100000) reaches it.
    [<Literal>]
    let startStream = 1_099_511_627_776UL

    /// Parses `identity`, `gaussian:SCALE` (finite, > 0) or `balanced:RANK` (integer ≥ 1). Errors name `init`.
    let parseStart (text: string) : Result<StartKind, InputError> =
        let bad r = Error(InputError.create "init" r)
        let inv = System.Globalization.CultureInfo.InvariantCulture

        match (if isNull text then "" else text).Split(':') with
        | [| "identity" |] -> Ok StartKind.Identity
        | [| "gaussian"; s |] ->
            match System.Double.TryParse(s, System.Globalization.NumberStyles.Float, inv) with
            | true, x when System.Double.IsFinite x && x > 0.0 -> Ok(StartKind.Gaussian x)
            | _ -> bad (sprintf "gaussian:SCALE needs a finite SCALE > 0, got '%s'" s)
        | [| "balanced"; s |] ->
            match System.Int32.TryParse(s, System.Globalization.NumberStyles.None, inv) with
            | true, k when k >= 1 -> Ok(StartKind.Balanced k)
            | _ -> bad (sprintf "balanced:RANK needs an integer RANK >= 1, got '%s'" s)
        | _ -> bad (sprintf "must be identity, gaussian:SCALE or balanced:RANK, got '%s'" text)

    /// The text form that `parseStart` reads back.
    let startName (start: StartKind) =
        match start with
        | StartKind.Identity -> "identity"
        | StartKind.Gaussian s -> "gaussian:" + s.ToString("R", System.Globalization.CultureInfo.InvariantCulture)
        | StartKind.Balanced k -> sprintf "balanced:%d" k

    /// Widths [d_in; w; …; w; d_out] (L + 1 numbers).
    let widths (task: Task) (depth: int) (width: int) =
        Array.init (depth + 1) (fun l ->
            if l = 0 then task.DIn
            elif l = depth then task.DOut
            else width)

    /// The start θ_0 (THEORY.md §1) for the task, widths and master seed. `balanced:RANK` needs RANK at
    /// most every width (and d_in, d_out); the error names `init`.
    let start (task: Task) (widths: int[]) (seed: uint64) (kind: StartKind) : Result<Network, InputError> =
        match kind with
        | StartKind.Identity -> Ok(Network.identityLike 1.0 widths)
        | StartKind.Gaussian scale -> Ok(fst (Network.gaussian (Rng.stream seed startStream) scale widths))
        | StartKind.Balanced k ->
            let narrowest = Array.min widths

            if k > narrowest then
                Error(
                    InputError.create
                        "init"
                        (sprintf
                            "balanced:%d needs every width (d_in, d_out and the hidden width) >= %d; the narrowest is %d"
                            k
                            k
                            narrowest)
                )
            else
                let p = float task.N / float (task.DOut * task.DIn)
                let m = Linalg.M.Dense(task.DOut, task.DIn)

                for (i, j) in task.Observed do
                    m.[i, j] <- task.Target.[i, j] / p

                let u, s, v = Linalg.thinSvd m
                let hidden = widths.[1 .. widths.Length - 2]

                Ok(
                    Network.balanced
                        (u.SubMatrix(0, u.RowCount, 0, k))
                        s.[0 .. k - 1]
                        (v.SubMatrix(0, v.RowCount, 0, k))
                        hidden
                )
