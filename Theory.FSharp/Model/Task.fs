namespace LowRankVerify.Theory

open MathNet.Numerics.LinearAlgebra

/// A matrix-completion task (THEORY.md §1): true matrix `A*` (d_out × d_in) and the observed set `I`.
type Task =
    {
        /// `A*`, d_out rows × d_in columns. Unobserved entries are the test set.
        Target: Matrix<float>
        /// Observed entries `(i, j)`, zero-based row and column, no duplicates; `N = Observed.Length`.
        Observed: (int * int)[]
    }

    /// d_out, the number of rows of `A*` (n_L).
    member this.DOut = this.Target.RowCount
    /// d_in, the number of columns of `A*` (n_0).
    member this.DIn = this.Target.ColumnCount
    /// N = |I|.
    member this.N = this.Observed.Length

/// Building and validating tasks.
[<RequireQualifiedAccess>]
module Task =

    /// Largest number of entries a target may have (guards memory against hostile input).
    [<Literal>]
    let maxEntries = 1_000_000

    /// Every entry of a `dOut × dIn` matrix, row-major.
    let allEntries (dOut: int) (dIn: int) =
        [|
            for i in 0 .. dOut - 1 do
                for j in 0 .. dIn - 1 -> i, j
        |]

    /// Validates a task given as row-major rows and observed pairs: rectangular non-empty target with
    /// finite values, at least one observed entry, each a pair of in-range indices, no duplicates.
    let create (target: float[][]) (observed: int[][]) : Result<Task, InputError> =
        let err f r = Error(InputError.create f r)

        if isNull target || target.Length = 0 then
            err "target" "must be a non-empty array of rows"
        elif target |> Array.exists (fun row -> isNull row || row.Length = 0) then
            err "target" "every row must be a non-empty array"
        elif target |> Array.exists (fun row -> row.Length <> target.[0].Length) then
            let i = target |> Array.findIndex (fun row -> row.Length <> target.[0].Length)

            err
                (sprintf "target[%d]" i)
                (sprintf "has %d columns but target[0] has %d" target.[i].Length target.[0].Length)
        elif int64 target.Length * int64 target.[0].Length > int64 maxEntries then
            err "target" (sprintf "has more than %d entries" maxEntries)
        else
            let bad =
                seq {
                    for i in 0 .. target.Length - 1 do
                        for j in 0 .. target.[i].Length - 1 do
                            if not (System.Double.IsFinite target.[i].[j]) then
                                yield i, j
                }
                |> Seq.tryHead

            match bad with
            | Some(i, j) -> err (sprintf "target[%d][%d]" i j) "must be a finite number"
            | None ->
                let rows, cols = target.Length, target.[0].Length

                if isNull observed || observed.Length = 0 then
                    err "observed" "must list at least one entry"
                else
                    let seen = System.Collections.Generic.HashSet<int * int>()
                    let mutable error = None
                    let mutable k = 0

                    while error.IsNone && k < observed.Length do
                        let p = observed.[k]
                        let f = sprintf "observed[%d]" k

                        if isNull p || p.Length <> 2 then
                            error <- Some(InputError.create f "must be a pair [i, j]")
                        elif p.[0] < 0 || p.[0] >= rows then
                            error <- Some(InputError.create f (sprintf "row %d is outside 0..%d" p.[0] (rows - 1)))
                        elif p.[1] < 0 || p.[1] >= cols then
                            error <- Some(InputError.create f (sprintf "column %d is outside 0..%d" p.[1] (cols - 1)))
                        elif not (seen.Add((p.[0], p.[1]))) then
                            error <- Some(InputError.create f (sprintf "entry (%d, %d) is listed twice" p.[0] p.[1]))

                        k <- k + 1

                    match error with
                    | Some e -> Error e
                    | None ->
                        Ok
                            {
                                Target = Linalg.M.DenseOfRowArrays target
                                Observed = observed |> Array.map (fun p -> p.[0], p.[1])
                            }

    /// Same as `create` for a target given as a matrix; every entry observed when `observed` is None.
    let ofMatrix (target: Matrix<float>) (observed: (int * int)[] option) : Result<Task, InputError> =
        let obs =
            match observed with
            | Some o -> o |> Array.map (fun (i, j) -> [| i; j |])
            | None ->
                allEntries target.RowCount target.ColumnCount
                |> Array.map (fun (i, j) -> [| i; j |])

        create (target.ToRowArrays()) obs

    /// True when every entry is observed (the fully observed case of D7).
    let isFullyObserved (task: Task) = task.N = task.DOut * task.DIn

    /// m = max_{(i,j)∈I} |A*_ij|, the largest observed target entry (the regime's bounds, the steps'
    /// round-off).
    let targetScale (task: Task) =
        task.Observed
        |> Array.fold (fun acc (i, j) -> max acc (abs task.Target.[i, j])) 0.0

    /// Unobserved entries (the test set, THEORY.md §1), row-major.
    let unobserved (task: Task) =
        let obs = System.Collections.Generic.HashSet<int * int>(task.Observed)
        allEntries task.DOut task.DIn |> Array.filter (obs.Contains >> not)

    /// E1's task (THEORY.md §5): `[[1, 1/ε], [ε, 1]]` with entries (0,0), (1,0), (1,1) observed.
    let e1 (epsilon: float) =
        {
            Target = Linalg.M.DenseOfRowArrays [| [| 1.0; 1.0 / epsilon |]; [| epsilon; 1.0 |] |]
            Observed = [| (0, 0); (1, 0); (1, 1) |]
        }
