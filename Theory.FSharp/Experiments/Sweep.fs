namespace LowRankVerify.Theory

/// A parameter value of a sweep (docs/sweeps.md): the sweep file's JSON values, typed.
[<RequireQualifiedAccess>]
type SweepValue =
    /// A real number (finite).
    | Real of float
    /// An integer (|x| ≤ 2^53, exact in JSON).
    | Integer of int64
    /// A string (a claim, a family, a map name).
    | Text of string

/// How one parameter varies over a sweep's grid.
[<RequireQualifiedAccess>]
type SweepAxis =
    /// The listed values, in order.
    | Values of SweepValue[]
    /// `Count` values log-spaced from `From` to `To`, both included exactly (`Sweep.logValues`).
    | LogRange of From: float * To: float * Count: int

/// One unit of a sweep: a cell of the grid and a block of its seeds (THEORY-free plain data).
type SweepUnit =
    {
        /// Stable ID K = Cell · blocks + Block (the Slurm array index; directory `units/K/`).
        Id: int
        /// Index of the cell (grid point) in `Sweep.cells` order.
        Cell: int
        /// Index of the seed block within the cell.
        Block: int
        /// First seed of the block (included).
        SeedFrom: int
        /// End of the block (excluded): the unit runs seeds SeedFrom .. SeedTo − 1.
        SeedTo: int
    }

/// Statistics of the runs a sweep pools over seeds (merge).
type SweepQuartiles =
    {
        /// Number of values.
        Count: int
        /// First quartile (None when Count = 0).
        Q1: float option
        /// Median.
        Median: float option
        /// Third quartile.
        Q3: float option
    }

/// Sweeps (docs/sweeps.md): a grid of parameter values times blocks of seeds, expanded
/// into units with stable IDs; pure functions shared by `sweep plan`, `sweep run` and `sweep merge`.
[<RequireQualifiedAccess>]
module Sweep =

    /// Largest number of units one plan may hold (a Slurm array is usually capped well below this).
    [<Literal>]
    let maxUnits = 1_000_000

    /// `n` ≥ 2 values log-spaced from `lo` to `hi`: lo · (hi/lo)^(k/(n − 1)), with the end points exactly
    /// `lo` and `hi` (so a factor-2 range such as 0.05..0.8 gives 0.05, 0.1, 0.2, 0.4, 0.8 as written).
    let logValues (lo: float) (hi: float) (n: int) : float[] =
        Array.init n (fun k ->
            if k = 0 then lo
            elif k = n - 1 then hi
            else lo * (hi / lo) ** (float k / float (n - 1)))

    /// The values of an axis, in order.
    let axisValues (axis: SweepAxis) : SweepValue[] =
        match axis with
        | SweepAxis.Values vs -> vs
        | SweepAxis.LogRange(lo, hi, n) -> logValues lo hi n |> Array.map SweepValue.Real

    /// Number of cells of a grid (the product of the axes' lengths, 1 for no axis), as int64 so that a
    /// huge grid is reported, not wrapped.
    let cellCount (axes: SweepAxis[]) : int64 =
        axes |> Array.fold (fun n a -> n * int64 (axisValues a).Length) 1L

    /// The grid points: the cartesian product of the axes, first axis outermost (cell k's value of axis
    /// j is `axisValues axes.[j]` at the j-th digit of k in the mixed radix of the axis lengths).
    let cells (axes: SweepAxis[]) : SweepValue[][] =
        let values = axes |> Array.map axisValues
        let n = cellCount axes |> int

        Array.init n (fun k ->
            let digits = Array.zeroCreate values.Length
            let mutable rest = k

            for j in values.Length - 1 .. -1 .. 0 do
                digits.[j] <- values.[j].[rest % values.[j].Length]
                rest <- rest / values.[j].Length

            digits)

    /// Seed blocks [a, b) of `perUnit` seeds covering 0 .. seeds − 1 (the last one may be shorter).
    let seedBlocks (seeds: int) (perUnit: int) : (int * int)[] =
        [| for a in 0..perUnit .. seeds - 1 -> a, min seeds (a + perUnit) |]

    /// The units of a sweep: every cell times every seed block, cell-major; unit K has ID K.
    let units (cells: int) (seeds: int) (perUnit: int) : SweepUnit[] =
        let blocks = seedBlocks seeds perUnit

        [|
            for c in 0 .. cells - 1 do
                for b in 0 .. blocks.Length - 1 do
                    let a, e = blocks.[b]

                    yield
                        {
                            Id = c * blocks.Length + b
                            Cell = c
                            Block = b
                            SeedFrom = a
                            SeedTo = e
                        }
        |]

    /// Sorted distinct indices written as ranges ("0-3,7,9-12"): Slurm's `--array` syntax and the
    /// lists in messages.
    let ranges (ids: int seq) : string =
        let xs = ids |> Seq.distinct |> Seq.sort |> Seq.toArray
        let parts = ResizeArray<string>()
        let mutable k = 0

        while k < xs.Length do
            let mutable e = k

            while e + 1 < xs.Length && xs.[e + 1] = xs.[e] + 1 do
                e <- e + 1

            parts.Add(
                if e = k then
                    string xs.[k]
                else
                    sprintf "%d-%d" xs.[k] xs.[e]
            )

            k <- e + 1

        String.concat "," parts

    /// Quartiles (type 7, `E1.quantile`) of the values.
    let quartiles (xs: float seq) : SweepQuartiles =
        let s = xs |> Seq.toArray |> Array.sort

        {
            Count = s.Length
            Q1 = E1.quantile s 0.25
            Median = E1.quantile s 0.5
            Q3 = E1.quantile s 0.75
        }

    /// A finished E1 run reduced to what a merged sweep keeps of it: its events, offshoots and last
    /// observation (the final rank). `E1.summarize` reads only these fields of the chains and the
    /// last observation of the GD control, so summaries of compact runs equal those of full runs (tested).
    let compactRun (r: E1Run) : E1Run =
        { r with
            Observations =
                if r.Observations.Length = 0 then
                    [||]
                else
                    [| r.Observations.[r.Observations.Length - 1] |]
        }
