namespace LowRankVerify.Properties

open System
open System.IO
open System.Text.Json.Nodes
open Xunit
open LowRankVerify.Theory
open LowRankVerify.Runner
open LowRankVerify.Runner.Checkpoints
open LowRankVerify.Runner.Json
open LowRankVerify.Runner.Reports
open LowRankVerify.Runner.Sweeps

/// A synthetic sweep kind for the merge tests: unit K's result is `Payload` numbers that are a function
/// of K alone; the merge keeps, per cell, their count and sum. With `retain` the merger also keeps every
/// payload (the negative control of the bounded-memory test). Every `sampleEvery` units the merger
/// records the managed heap after a full collection.
type SyntheticKind(retain: bool, sampleEvery: int) =
    let kept = Collections.Generic.List<float[]>()

    /// Heap samples (bytes, after a full GC) taken while merging.
    member val Samples = Collections.Generic.List<int64>() with get

    /// Numbers per unit.
    static member Payload = 200

    /// The numbers of unit `id`.
    static member Values(id: int) =
        Array.init SyntheticKind.Payload (fun j -> float ((id * 7 + j * 13) % 1000))

    interface ISweepKind with
        member _.Command = "synthetic"

        member _.Parameters =
            [| SweepParameter("x", SweepType.Real, SweepValue.Real 1.0, "a number") |] :> _

        member _.SeedsMeaning = "synthetic units"
        member _.CheckSeeds(_, _) = ()
        member _.CheckCell(_, _, _) = ()
        member _.EstimateSeconds(_, _, _) = 0.001
        member _.Replay(_, _, _, _, _) = "none"

        member _.Open(_, _, _, _) =
            failwith "synthetic units are written by the test"

        member this.Merger(plan) =
            let count = Array.zeroCreate<int64> plan.Cells.Length
            let sum = Array.zeroCreate<float> plan.Cells.Length
            let mutable n = 0

            { new ISweepMerger with
                member _.Add(unit, c, path) =
                    let xs =
                        CheckpointFile.ReadList(c, path, "numbers", 100_000, fun p -> JsonSchema.ReadFinite(c, p))

                    count.[unit.Cell] <- count.[unit.Cell] + int64 xs.Count
                    sum.[unit.Cell] <- sum.[unit.Cell] + Seq.sum xs

                    if retain then
                        kept.Add(xs.ToArray())

                    n <- n + 1

                    if n % sampleEvery = 0 then
                        this.Samples.Add(GC.GetTotalMemory true)

                member _.Finish(_) =
                    SweepMerged(
                        {| count = count; sum = sum |},
                        (fun doc -> doc.P("synthetic") |> ignore),
                        sprintf "synthetic: %d units" n
                    )
            }

/// Helpers of the sweep tests.
module SweepRun =

    /// A small E1 sweep file with SDE twins on or off: one cell unless `grid` is given, `seeds` chains in
    /// blocks of `perUnit`.
    let e1SweepWith (sde: string) (steps: int) (seeds: int) (perUnit: int) (seed: int) (grid: string) =
        sprintf
            """{"command": "experiment two-by-two", "fixed": {"steps": %d, "offshoots": 2, "offshoot-steps": 20000, "sde": "%s"}, "grid": {%s}, "seeds": %d, "seedsPerUnit": %d, "seed": %d}"""
            steps
            sde
            grid
            seeds
            perUnit
            seed

    /// `e1SweepWith "off"`: no SDE twins (the tests that are not about them run faster).
    let e1Sweep = e1SweepWith "off"

    /// Writes `text` to `dir/name` and returns the path.
    let write (dir: string) (name: string) (text: string) =
        let p = Path.Combine(dir, name)
        File.WriteAllText(p, text)
        p

    /// The JSON node at `path` (dot-separated keys) of a file.
    let node (file: string) (keys: string list) =
        let mutable n = JsonNode.Parse(File.ReadAllText file)

        for k in keys do
            n <- n.[k]

        n

    /// The `result` of unit `id`'s result.json.
    let unitResult (dir: string) (id: int) =
        (node (Path.Combine(dir, "units", string id, SweepUnits.ResultName)) [ "result" ]).ToJsonString()

    /// `sweep plan` in-process; fails the test unless it exits 0.
    let plan (sweep: string) (dir: string) =
        let rc, out, err = CliRun.run [ "sweep"; "plan"; sweep; "--out"; dir ]
        Assert.True((rc = 0), sprintf "plan exit %d: %s %s" rc out err)

    /// `sweep plan` of the file `text` (case `name`) is refused: exit 2, one line `error: FIELD: …`, no plan written.
    let planRefused (name: string) (text: string) (field: string) =
        let dir = CliRun.tempDir ()

        try
            let sweep = write dir "s.json" text

            let rc, out, err =
                CliRun.run [ "sweep"; "plan"; sweep; "--out"; Path.Combine(dir, "d") ]

            Assert.True((rc = 2), sprintf "%s: exit %d, stdout %s, stderr %s" name rc out err)
            Assert.Equal(1, err.Trim().Split('\n').Length)
            Assert.StartsWith(sprintf "error: %s: " field, err)
            Assert.False(File.Exists(Path.Combine(dir, "d", SweepPlan.FileName)), "a refused sweep left a plan")
        finally
            CliRun.cleanup dir

    /// Plans `text` into `dir/a` and `dir/b`: `a` runs by `sweep local`; in `b` unit `stopAt` runs first and is
    /// stopped in-process at its first checkpoint (one every `checkpointSteps` steps per run), `between b` is
    /// called, then every unit runs by `sweep run` in `order` (the stopped one resumes). The merge of `b` equals
    /// that of `a` (everything but provenance and times), unit by unit too; the control: `other` (another
    /// seed) merges to another report. Returns (a, b).
    let stoppedMergeEqualsLocal
        (dir: string)
        (text: string)
        (other: string)
        (stopAt: int)
        (checkpointSteps: int64)
        (order: int list)
        (between: string -> unit)
        =
        let a, b = Path.Combine(dir, "a"), Path.Combine(dir, "b")
        let sweep = write dir "s.json" text
        plan sweep a
        plan sweep b
        let rc, out, err = CliRun.run [ "sweep"; "local"; a; "--parallel"; "2"; "--quiet" ]
        Assert.True((rc = 0), out + err)
        let p = SweepPlan.Read(b, SweepKinds.All)
        Assert.Equal(order.Length, p.Units.Length)
        let quiet = Progress.Run(true, fun p -> p)
        use cts = new Threading.CancellationTokenSource()
        let policy = CheckpointPolicy(0.0, Nullable checkpointSteps)
        let mutable failure = null

        let stopped =
            let t =
                Threading.Tasks.Task.Run(fun () -> SweepUnits.Run(p, stopAt, policy, cts.Token, quiet, &failure))

            Assert.True(LongRun.waitFor (Path.Combine(b, "units", string stopAt, CheckpointFile.Name)) 60.0)
            cts.Cancel()
            t.Result

        Assert.Equal(UnitOutcome.Stopped, stopped)
        Assert.False(SweepUnits.IsDone(p, stopAt))
        between b

        for id in order do
            let rcu, _, erru = CliRun.run [ "sweep"; "run"; b; "--unit"; string id; "--quiet" ]
            Assert.True((rcu = 0), erru)

        let resumed =
            node
                (Path.Combine(b, "units", string stopAt, SweepUnits.ResultName))
                [ "execution"; "resumedFromCheckpoint" ]

        Assert.True(resumed.GetValue<bool>())
        let rcb, outb, errb = CliRun.run [ "sweep"; "merge"; b; "--quiet" ]
        Assert.True((rcb = 0), outb + errb)
        let ra = LongRun.comparable (Path.Combine(a, "report", "results.json"))
        Assert.Equal(ra, LongRun.comparable (Path.Combine(b, "report", "results.json")))

        for id in order do
            Assert.Equal(unitResult a id, unitResult b id)

        let c = Path.Combine(dir, "c")
        plan (write dir "o.json" other) c
        let rcc, _, errc = CliRun.run [ "sweep"; "local"; c; "--parallel"; "2"; "--quiet" ]
        Assert.True((rcc = 0), errc)
        Assert.NotEqual<string>(ra, LongRun.comparable (Path.Combine(c, "report", "results.json")))
        a, b

    /// Unit 0 of two plans of the same sweep: run whole in `full`; in `cut` stopped by SIGTERM (exit 143: a
    /// checkpoint and no result), then by SIGKILL after its next checkpoint (exit 137, no result), then run
    /// again: its result equals the uninterrupted one, after 3 sessions, with no checkpoint left. The stopped
    /// sessions checkpoint every 100000 steps per run; the unit must run for a few seconds.
    let termKillRerun (dir: string) (full: string) (cut: string) =
        let clock0 = Diagnostics.Stopwatch.StartNew()
        let rc, _, err = CliRun.run [ "sweep"; "run"; full; "--unit"; "0"; "--quiet" ]
        Assert.True((rc = 0), err)
        let uninterrupted = clock0.Elapsed.TotalSeconds
        let ck = Path.Combine(cut, "units", "0", CheckpointFile.Name)

        let args =
            [
                "sweep"
                "run"
                cut
                "--unit"
                "0"
                "--checkpoint-steps"
                "100000"
                "--quiet"
            ]
        // SIGTERM: checkpoint and exit 143, no result
        let term = LongRun.start dir args
        let p, _, _ = term
        Assert.True(LongRun.waitFor ck 60.0, "no checkpoint appeared")
        LongRun.signal "TERM" p.Id
        let rcTerm, errTerm = LongRun.finish 60 term
        Assert.True((rcTerm = 143), sprintf "exit %d: %s" rcTerm errTerm)
        Assert.Contains("stopped by SIGTERM", errTerm)
        Assert.True(File.Exists ck)
        Assert.False(File.Exists(Path.Combine(cut, "units", "0", SweepUnits.ResultName)))
        // SIGKILL after the next checkpoint
        let stamp = File.GetLastWriteTimeUtc ck
        let killed = LongRun.start dir args
        let pk, _, _ = killed
        let clock = Diagnostics.Stopwatch.StartNew()

        while File.GetLastWriteTimeUtc ck = stamp && clock.Elapsed.TotalSeconds < 60.0 do
            Threading.Thread.Sleep 20

        LongRun.signal "KILL" pk.Id
        let rcKill, _ = LongRun.finish 30 killed
        Assert.Equal(137, rcKill)

        Assert.False(
            File.Exists(Path.Combine(cut, "units", "0", SweepUnits.ResultName)),
            sprintf "the unit finished before the kill (uninterrupted: %.1f s)" uninterrupted
        )

        let rc2, _, err2 = CliRun.run [ "sweep"; "run"; cut; "--unit"; "0"; "--quiet" ]
        Assert.True((rc2 = 0), err2)
        Assert.Equal(unitResult full 0, unitResult cut 0)
        Assert.False(File.Exists ck, "checkpoint left after the unit finished")

        let sessions =
            node (Path.Combine(cut, "units", "0", SweepUnits.ResultName)) [ "execution"; "sessions" ]

        Assert.Equal(3, sessions.GetValue<int>())

/// Sweeps (issue "Sweeps beyond one machine"): grid expansion, unit IDs and seed blocks; an E1 unit gives
/// what `experiment two-by-two` gives for the same cell and seeds; a sweep merged from units run in any
/// order, stopped and resumed, equals `sweep local`; the merge streams 10⁴ units in bounded memory;
/// every bad field or option is exit 2 with one line naming it; the Slurm array script.
[<Collection("Console")>]
type SweepTests() =

    [<Fact>]
    member _.``grid: cells are the cartesian product (first axis outermost), seed blocks cover the seeds, unit IDs are cell-major``
        ()
        =
        let axes =
            [|
                SweepAxis.Values [| SweepValue.Integer 4L; SweepValue.Integer 6L |]
                SweepAxis.LogRange(0.05, 0.8, 5)
            |]

        let cells = Sweep.cells axes
        Assert.Equal(10, cells.Length)
        Assert.Equal(10L, Sweep.cellCount axes)
        Assert.Equal<SweepValue[]>([| SweepValue.Integer 4L; SweepValue.Real 0.05 |], cells.[0])
        Assert.Equal<SweepValue[]>([| SweepValue.Integer 4L; SweepValue.Real 0.1 |], cells.[1])
        Assert.Equal<SweepValue[]>([| SweepValue.Integer 6L; SweepValue.Real 0.8 |], cells.[9])
        // a factor-2 log range is exact (lo * 2^k); any range hits its end points exactly and the values in
        // between to the round-off of one power (a few ulps: 8 epsilon relative, named here)
        let relativeTolerance = 8.0 * 2.220446049250313e-16
        Assert.Equal<float[]>([| 0.05; 0.1; 0.2; 0.4; 0.8 |], Sweep.logValues 0.05 0.8 5)
        let v = Sweep.logValues 0.001 1.0 4
        Assert.Equal(0.001, v.[0])
        Assert.Equal(1.0, v.[3])
        Assert.True(abs (v.[1] - 0.01) <= relativeTolerance * 0.01, sprintf "%.17g" v.[1])
        Assert.True(abs (v.[2] - 0.1) <= relativeTolerance * 0.1, sprintf "%.17g" v.[2])
        Assert.Equal<(int * int)[]>([| 0, 3; 3, 6; 6, 7 |], Sweep.seedBlocks 7 3)
        let units = Sweep.units 2 7 3
        Assert.Equal(6, units.Length)
        Assert.Equal<int[]>([| 0..5 |], units |> Array.map (fun u -> u.Id))
        Assert.Equal(1, units.[4].Cell)
        Assert.Equal(1, units.[4].Block)
        Assert.Equal(3, units.[4].SeedFrom)
        Assert.Equal(6, units.[4].SeedTo)
        Assert.Equal("0-3,7,9-10", Sweep.ranges [ 10; 9; 7; 3; 2; 1; 0 ])
        Assert.Equal("5", Sweep.ranges [ 5 ])

    [<Fact>]
    member _.``an E1 unit gives what experiment two-by-two gives for the same cell and seeds; the merged cell's summary is the experiment's (control: another seed differs)``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            let sweep = SweepRun.write dir "s.json" (SweepRun.e1SweepWith "on" 200000 5 2 3 "")
            SweepRun.plan sweep (Path.Combine(dir, "sw"))

            let rc, out, err =
                CliRun.run [ "sweep"; "local"; Path.Combine(dir, "sw"); "--quiet" ]

            Assert.True((rc = 0), out + err)
            let exp = Path.Combine(dir, "exp")

            let rc2, _, err2 =
                CliRun.run
                    [
                        "experiment"
                        "two-by-two"
                        "--steps"
                        "200000"
                        "--seeds"
                        "5"
                        "--seed"
                        "3"
                        "--offshoots"
                        "2"
                        "--offshoot-steps"
                        "20000"
                        "--regime-steps"
                        "0"
                        "--out"
                        exp
                        "--quiet"
                    ]

            Assert.True((rc2 = 0), err2)
            let results = Path.Combine(exp, "results.json")
            let chains = SweepRun.node results [ "e1"; "chains" ] :?> JsonArray
            let sde = SweepRun.node results [ "e1"; "sdeChains" ] :?> JsonArray
            let gd = SweepRun.node results [ "e1"; "gdControl" ]
            // Each unit's runs (chains SeedFrom..SeedTo-1, GD control in block 0) against the experiment's.
            let mutable compared = 0

            for id in 0..2 do
                let runs =
                    SweepRun.node
                        (Path.Combine(dir, "sw", "units", string id, SweepUnits.ResultName))
                        [ "result"; "runs" ]
                    :?> JsonArray

                for r in runs do
                    let chain = r.["chain"].GetValue<int>()

                    let e =
                        match r.["kind"].GetValue<string>() with
                        | "gd" -> gd
                        | "sde" -> sde.[chain]
                        | _ -> chains.[chain]

                    Assert.Equal(chain, e.["chain"].GetValue<int>())
                    Assert.Equal(r.["kind"].GetValue<string>(), e.["kind"].GetValue<string>())

                    for k in [ "step"; "s1"; "s2"; "ratio"; "testError"; "rank" ] do
                        Assert.Equal(e.["observations"].[k].ToJsonString(), r.["observations"].[k].ToJsonString())

                    let inB =
                        e.["observations"].["inB1"] :?> JsonArray
                        |> Seq.map (fun x -> if x.GetValue<bool>() then 1 else 0)

                    Assert.Equal<int seq>(
                        inB,
                        r.["observations"].["inB1"] :?> JsonArray
                        |> Seq.map (fun x -> x.GetValue<int>())
                    )

                    let offs (a: JsonNode) =
                        (a :?> JsonArray)
                        |> Seq.map (fun o -> o.["finalTestError"].ToJsonString(), o.["branchStep"].ToJsonString())
                        |> Seq.toList

                    Assert.Equal<(string * string) list>(offs e.["offshoots"], offs r.["offshoots"])
                    compared <- compared + 1

            Assert.Equal(11, compared) // 5 SGD chains, their 5 SDE twins, the GD control
            let merged = Path.Combine(dir, "sw", "report", "results.json")
            let cell = (SweepRun.node merged [ "merged"; "cells" ]).[0]
            Assert.Equal((SweepRun.node results [ "e1"; "summary" ]).ToJsonString(), cell.["summary"].ToJsonString())
            Assert.Equal((SweepRun.node results [ "e1"; "comparison" ]).ToJsonString(), cell.["comparison"].ToJsonString())
            // Negative control: the same cell with seed 4 does not give the experiment's chains.
            let other = SweepRun.write dir "o.json" (SweepRun.e1SweepWith "on" 200000 5 2 4 "")
            SweepRun.plan other (Path.Combine(dir, "ot"))

            let rc3, _, err3 =
                CliRun.run [ "sweep"; "run"; Path.Combine(dir, "ot"); "--unit"; "0"; "--quiet" ]

            Assert.True((rc3 = 0), err3)

            let r0 =
                (SweepRun.node (Path.Combine(dir, "ot", "units", "0", SweepUnits.ResultName)) [ "result"; "runs" ]).[0]

            Assert.NotEqual<string>(
                chains.[0].["observations"].["s1"].ToJsonString(),
                r0.["observations"].["s1"].ToJsonString()
            )
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``merge of units run in another order, one stopped mid-run and resumed, equals sweep local (control: another seed differs)``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            let grid =
                """ "eta": [0.2, 0.5], "lambda": {"log": {"from": 0.006, "to": 0.02, "count": 2}} """

            SweepRun.stoppedMergeEqualsLocal
                dir
                (SweepRun.e1Sweep 150000 3 2 1 grid)
                (SweepRun.e1Sweep 150000 3 2 2 grid)
                2
                20000L
                [ 7; 2; 5; 0; 1; 6; 3; 4 ]
                (fun b ->
                    // merge before every unit is done: exit 2 naming the missing units
                    let rcm, _, errm = CliRun.run [ "sweep"; "merge"; b; "--quiet" ]
                    Assert.Equal(2, rcm)
                    Assert.Contains("8 of 8 unit(s) are not done: 0-7", errm))
            |> ignore
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``sweep run: SIGTERM checkpoints (exit 143), kill -9 mid-unit and a rerun give the uninterrupted unit's result``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            let sweep = SweepRun.write dir "s.json" (SweepRun.e1Sweep 3000000 2 2 5 "")
            let full, cut = Path.Combine(dir, "full"), Path.Combine(dir, "cut")
            SweepRun.plan sweep full
            SweepRun.plan sweep cut
            SweepRun.termKillRerun dir full cut
            // a finished unit is not run again
            let rc3, out3, _ = CliRun.run [ "sweep"; "run"; cut; "--unit"; "0" ]
            Assert.Equal(0, rc3)
            Assert.Contains("already done", out3)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``a plan is immutable: the same sweep again is accepted, a changed one into the same DIR is refused``() =
        let dir = CliRun.tempDir ()

        try
            let s1 = SweepRun.write dir "s.json" (SweepRun.e1Sweep 1000 2 1 1 "")
            let d = Path.Combine(dir, "d")
            SweepRun.plan s1 d
            // the same sweep, written differently (spacing, key order): same canonical form
            let s1b =
                SweepRun.write
                    dir
                    "s1b.json"
                    """{"seed": 1, "seedsPerUnit": 1, "seeds": 2, "grid": {}, "fixed": {"steps": 1000, "offshoots": 2, "sde": "off", "offshoot-steps": 20000},
                        "command": "experiment two-by-two"}"""

            let rc, out, _ = CliRun.run [ "sweep"; "plan"; s1b; "--out"; d ]
            Assert.Equal(0, rc)
            Assert.Contains("already planned", out)
            let s2 = SweepRun.write dir "s2.json" (SweepRun.e1Sweep 1000 2 1 2 "")
            let rc2, _, err2 = CliRun.run [ "sweep"; "plan"; s2; "--out"; d ]
            Assert.Equal(2, rc2)
            Assert.StartsWith("error: --out: ", err2)
            Assert.Contains("another sweep", err2)
            // an edited plan.json is refused
            let p = Path.Combine(d, SweepPlan.FileName)
            File.WriteAllText(p, File.ReadAllText(p).Replace("\"steps\": 1000", "\"steps\": 1001"))
            let rc3, _, err3 = CliRun.run [ "sweep"; "status"; d ]
            Assert.Equal(2, rc3)
            Assert.StartsWith("error: digest: ", err3)
        finally
            CliRun.cleanup dir

    /// Bad sweep files: (name, file text, field the one-line error must name).
    static member BadSweeps: obj[] seq =
        let e1 fixedPart gridPart seeds perUnit seed =
            sprintf
                """{"command": "experiment two-by-two", "fixed": {%s}, "grid": {%s}, "seeds": %s, "seedsPerUnit": %s, "seed": %s}"""
                fixedPart
                gridPart
                seeds
                perUnit
                seed

        let ok f g = e1 f g "4" "2" "1"

        [
            "malformed JSON", "{\"command\": ", "command"
            "NaN literal", (ok "\"eta\": NaN" ""), "fixed.eta"
            "missing field",
            """{"command": "experiment two-by-two", "fixed": {}, "grid": {}, "seedsPerUnit": 1, "seed": 1}""",
            "seeds"
            "unknown field",
            """{"command": "experiment two-by-two", "fixed": {}, "grid": {}, "seeds": 1, "seedsPerUnit": 1, "seed": 1, "seedz": 2}""",
            "seedz"
            "unknown command",
            """{"command": "experiment three", "fixed": {}, "grid": {}, "seeds": 1, "seedsPerUnit": 1, "seed": 1}""",
            "command"
            "command not a string",
            """{"command": 3, "fixed": {}, "grid": {}, "seeds": 1, "seedsPerUnit": 1, "seed": 1}""",
            "command"
            "fixed not an object", (e1 "" "" "1" "1" "1").Replace("\"fixed\": {}", "\"fixed\": []"), "fixed"
            "unknown parameter", (ok "\"depht\": 4" ""), "fixed.depht"
            "duplicate parameter", (ok "\"eta\": 0.1, \"eta\": 0.2" ""), "fixed.eta"
            "integer parameter with a fraction", (ok "\"depth\": 2.5" ""), "fixed.depth"
            "real parameter as a string", (ok "\"eta\": \"fast\"" ""), "fixed.eta"
            "value neither number nor string", (ok "\"eta\": true" ""), "fixed.eta"
            "empty axis", (ok "" "\"eta\": []"), "grid.eta"
            "repeated axis value", (ok "" "\"eta\": [0.1, 0.2, 0.1]"), "grid.eta[2]"
            "log range of an integer parameter",
            (ok "" "\"depth\": {\"log\": {\"from\": 2, \"to\": 8, \"count\": 3}}"),
            "grid.depth"
            "log range from 0", (ok "" "\"eta\": {\"log\": {\"from\": 0, \"to\": 1, \"count\": 3}}"), "grid.eta.log"
            "log range count 1",
            (ok "" "\"eta\": {\"log\": {\"from\": 0.1, \"to\": 1, \"count\": 1}}"),
            "grid.eta.log.count"
            "axis neither list nor range", (ok "" "\"eta\": 0.5"), "grid.eta"
            "parameter fixed and gridded", (ok "\"eta\": 0.5" "\"eta\": [0.1, 0.2]"), "grid.eta"
            "seeds 0", e1 "" "" "0" "1" "1", "seeds"
            "seeds not an integer", e1 "" "" "2.5" "1" "1", "seeds"
            "seedsPerUnit above seeds", e1 "" "" "2" "3" "1", "seedsPerUnit"
            "negative seed", e1 "" "" "2" "1" "-1", "seed"
            "eta <= 0 (the command's rule)", (ok "\"eta\": -0.5" ""), "fixed.eta"
            "2 eta lambda >= 1 in one cell", (ok "\"lambda\": 2" "\"eta\": [0.1, 0.5]"), "grid.eta, fixed.lambda"
            "depth out of range", (ok "" "\"depth\": [4, 99]"), "grid.depth"
            "offshoot eta above eta", (ok "\"offshoot-eta\": 0.9" ""), "fixed.offshoot-eta"
            "sde neither on nor off", (ok "\"sde\": \"maybe\"" ""), "fixed.sde"
            "offshoot lambda (default) above lambda", (ok "\"lambda\": 0.00001" ""), "fixed.offshoot-lambda (default)"
            "too many units",
            (e1
                ""
                "\"eta\": {\"log\": {\"from\": 0.01, \"to\": 0.5, \"count\": 1000}}, \"lambda\": {\"log\": {\"from\": 0.001, \"to\": 0.01, \"count\": 1000}}"
                "10"
                "1"
                "1"),
            "grid"
            "explore: seeds split",
            """{"command": "explore", "fixed": {"eta": 0.5, "lambda": 0.02}, "grid": {}, "seeds": 4, "seedsPerUnit": 2, "seed": 1}""",
            "seedsPerUnit"
            "explore: eta not set",
            """{"command": "explore", "fixed": {"lambda": 0.02}, "grid": {}, "seeds": 4, "seedsPerUnit": 4, "seed": 1}""",
            "fixed.eta (not set)"
            "explore: unknown map",
            """{"command": "explore", "fixed": {"map": "c2", "eta": 0.5, "lambda": 0.02}, "grid": {}, "seeds": 1, "seedsPerUnit": 1, "seed": 1}""",
            "fixed.map"
            "explore c1: seeds above 1",
            """{"command": "explore", "fixed": {"map": "c1", "eta": 0.5, "lambda": 0.02}, "grid": {}, "seeds": 2, "seedsPerUnit": 2, "seed": 1}""",
            "seeds"
            "explore: bad kappas",
            """{"command": "explore", "fixed": {"map": "c1", "eta": 0.5, "lambda": 0.02, "kappas": "4,2"}, "grid": {}, "seeds": 1, "seedsPerUnit": 1, "seed": 1}""",
            "fixed.kappas"
            "hunt: unknown claim",
            """{"command": "hunt", "fixed": {"claim": "C9"}, "grid": {}, "seeds": 1, "seedsPerUnit": 1, "seed": 1}""",
            "fixed.claim"
            "hunt: depth out of range in the grid",
            """{"command": "hunt", "fixed": {"scope": "any"}, "grid": {"depth": [3, 1]}, "seeds": 1, "seedsPerUnit": 1, "seed": 1}""",
            "grid.depth"
            "hunt: evaluations 0",
            """{"command": "hunt", "fixed": {"evaluations": 0}, "grid": {}, "seeds": 1, "seedsPerUnit": 1, "seed": 1}""",
            "fixed.evaluations"
        ]
        |> Seq.map (fun (n, t, f) -> [| box n; box t; box f |])

    [<Theory>]
    [<MemberData(nameof SweepTests.BadSweeps)>]
    member _.``a bad sweep file is exit 2 with one line naming the field``(name: string, text: string, field: string) =
        SweepRun.planRefused name text field

    [<Fact>]
    member _.``bad options are exit 2 with one line naming the option (control: a good sweep plans)``() =
        let dir = CliRun.tempDir ()

        try
            let sweep = SweepRun.write dir "s.json" (SweepRun.e1Sweep 1000 2 1 1 "")
            let d = Path.Combine(dir, "d")
            SweepRun.plan sweep d
            File.WriteAllText(Path.Combine(dir, "notaplan.txt"), "x")

            let cases =
                [
                    [ "sweep"; "run"; d; "--unit"; "2" ], "--unit"
                    [ "sweep"; "run"; d; "--unit"; "-1" ], "--unit"
                    [ "sweep"; "run"; d ], "--unit"
                    [ "sweep"; "run"; d; "--unit"; "0"; "--checkpoint-every"; "-1" ], "--checkpoint-every"
                    [ "sweep"; "local"; d; "--parallel"; "0" ], "--parallel"
                    [ "sweep"; "submit"; d; "--dry-run"; "--time"; "1" ], "--time"
                    [ "sweep"; "submit"; d; "--dry-run"; "--time"; "soon" ], "--time"
                    [ "sweep"; "submit"; d; "--dry-run"; "--mem"; "4Q" ], "--mem"
                    [ "sweep"; "submit"; d; "--dry-run"; "--partition"; "a b" ], "--partition"
                    [ "sweep"; "submit"; d; "--dry-run"; "--account"; "x;rm" ], "--account"
                    [ "sweep"; "submit"; d; "--dry-run"; "--qos"; "$(id)" ], "--qos"
                    [ "sweep"; "submit"; d; "--dry-run"; "--max-running"; "0" ], "--max-running"
                    [ "sweep"; "submit"; d; "--dry-run"; "--cpus-per-task"; "0" ], "--cpus-per-task"
                    [ "sweep"; "status"; d; "--log-lines"; "500" ], "--log-lines"
                    [ "sweep"; "merge"; Path.Combine(dir, "nope") ], "DIR"
                    [ "sweep"; "merge"; dir ], "DIR"
                    [ "sweep"; "merge"; d ], "DIR"
                    [
                        "sweep"
                        "plan"
                        Path.Combine(dir, "missing.json")
                        "--out"
                        Path.Combine(dir, "e")
                    ],
                    "SWEEP"
                    [ "sweep"; "plan"; sweep; "--out"; Path.Combine(dir, "notaplan.txt") ], "--out"
                    [ "sweep"; "plan"; sweep; "--out"; dir ], "--out"
                ]

            for args, field in cases do
                let rc, _, err = CliRun.run args
                let line = String.Join(" ", args)
                Assert.True((rc = 2), sprintf "%s: exit %d, stderr %s" line rc err)
                Assert.Equal(1, err.Trim().Split('\n').Length)
                Assert.True(err.StartsWith(sprintf "error: %s: " field), sprintf "%s: %s" line err)
            // merge names the missing units
            let _, _, err = CliRun.run [ "sweep"; "merge"; d ]
            Assert.Contains("2 of 2 unit(s) are not done: 0-1", err)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``submit --dry-run: an array over the units not done (failed and stopped included), throttled, signal, requeue, one log per task; status names them``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            let sweep = SweepRun.write dir "s.json" (SweepRun.e1Sweep 1000 6 1 1 "")
            let d = Path.Combine(dir, "d")
            SweepRun.plan sweep d

            let rc0, _, _ =
                CliRun.run [ "sweep"; "submit"; d; "--dry-run"; "--max-running"; "3"; "--time"; "1:00:00" ]

            Assert.Equal(0, rc0)
            let script = File.ReadAllText(Path.Combine(d, Slurm.ScriptName))
            Assert.Contains("#SBATCH --array=0-5%3\n", script)
            Assert.Contains("#SBATCH --signal=B:USR1@120\n", script)
            Assert.Contains("#SBATCH --requeue\n", script)
            Assert.Contains("#SBATCH --time=1:00:00\n", script)
            Assert.Contains(sprintf "#SBATCH --output=%s/logs/unit-%%a.log\n" (Path.GetFullPath d), script)
            Assert.Contains("sweep run", script)
            Assert.Contains("scontrol requeue", script)
            // units 1 and 4 done, unit 2 failed, unit 3 stopped with a checkpoint
            for id in [ 1; 4 ] do
                let rc, _, err = CliRun.run [ "sweep"; "run"; d; "--unit"; string id; "--quiet" ]
                Assert.True((rc = 0), err)

            Directory.CreateDirectory(Path.Combine(d, "units", "2")) |> ignore

            File.WriteAllText(
                Path.Combine(d, "units", "2", SweepUnits.FailureName),
                """{"unit": 2, "message": "IOException: disk full"}"""
            )

            Directory.CreateDirectory(Path.Combine(d, "logs")) |> ignore
            File.WriteAllLines(Path.Combine(d, "logs", "unit-2.log"), [ "line a"; "the last line" ])
            Directory.CreateDirectory(Path.Combine(d, "units", "3")) |> ignore
            File.WriteAllText(Path.Combine(d, "units", "3", CheckpointFile.Name), "{}")
            let rc1, _, _ = CliRun.run [ "sweep"; "submit"; d; "--dry-run" ]
            Assert.Equal(0, rc1)
            let script2 = File.ReadAllText(Path.Combine(d, Slurm.ScriptName))
            Assert.Contains("#SBATCH --array=0,2-3,5\n", script2)
            let rc2, out2, _ = CliRun.run [ "sweep"; "status"; d ]
            Assert.Equal(0, rc2)
            Assert.Contains("6 unit(s): 2 done", out2)
            Assert.Contains("1 failed", out2)
            Assert.Contains("1 stopped", out2)
            Assert.Contains("2 missing", out2)
            Assert.Contains("unit 2 failed: IOException: disk full", out2)
            Assert.Contains("the last line", out2)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``merge streams 10^4 synthetic units in bounded memory, in seconds (control: a merger that keeps every unit grows)``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            let sweep =
                SweepRun.write
                    dir
                    "s.json"
                    """{"command": "synthetic", "fixed": {}, "grid": {"x": {"log": {"from": 1, "to": 1000, "count": 10}}}, "seeds": 1000, "seedsPerUnit": 1, "seed": 1}"""

            // The units are written once (in parallel); the streaming merge and the retaining control read the same files.
            let d = Path.Combine(dir, "units")
            let t0 = Diagnostics.Stopwatch.StartNew()
            let write: ISweepKind list = [ SyntheticKind(false, 1000) ]

            let struct (plan, _) =
                SweepPlan.Create(SweepSpec.Read("SWEEP", sweep, write), d, write)

            Assert.Equal(10_000, plan.Units.Length)

            Threading.Tasks.Parallel.ForEach(
                plan.Units,
                fun (u: SweepUnit) ->
                    SweepUnits.WriteResult(plan, u, (fun w -> w.Vector(SyntheticKind.Values u.Id, "result")), false)
            )
            |> ignore

            Console.Error.WriteLine(sprintf "10^4 synthetic unit files written in %.2f s" t0.Elapsed.TotalSeconds)

            let merge (retain: bool) =
                let kind = SyntheticKind(retain, 1000)
                let plan = SweepPlan.Read(d, [ kind ])
                let out = Path.Combine(dir, (if retain then "keep" else "stream"))
                let clock = Diagnostics.Stopwatch.StartNew()
                let rc = SweepCommand.Merge(plan, out, false, true)
                Assert.Equal(0, rc)
                let seconds = clock.Elapsed.TotalSeconds
                let samples = kind.Samples |> Seq.toArray
                Assert.Equal(10, samples.Length)
                // growth from the first sample (1000 units in) to the largest later one
                let growth = (Array.max samples.[1..]) - samples.[0]
                let merged = Path.Combine(out, "results.json")
                let sums = SweepRun.node merged [ "merged"; "sum" ] :?> JsonArray
                let counts = SweepRun.node merged [ "merged"; "count" ] :?> JsonArray

                for cell in 0..9 do
                    let expected =
                        plan.Units
                        |> Array.filter (fun u -> u.Cell = cell)
                        |> Array.sumBy (fun u -> Array.sum (SyntheticKind.Values u.Id))

                    Assert.Equal(expected, sums.[cell].GetValue<float>())
                    Assert.Equal(1000L * int64 SyntheticKind.Payload, counts.[cell].GetValue<int64>())

                growth, seconds

            let growth, seconds = merge false
            let keptGrowth, _ = merge true
            // 9000 payloads of 200 doubles are 14.4 MB: the streaming merge must stay far below.
            Assert.True(growth < 4L * 1024L * 1024L, sprintf "streaming merge grew by %d bytes" growth)

            Assert.True(
                keptGrowth > 12L * 1024L * 1024L,
                sprintf "the retaining control grew only by %d bytes" keptGrowth
            )

            Assert.True(seconds < 60.0, sprintf "merging 10^4 units took %.1f s" seconds)

            Console.Error.WriteLine(
                sprintf "merge of 10^4 units: %.2f s, heap growth %d bytes (control %d)" seconds growth keptGrowth
            )
        finally
            // 10^4 unit directories: removed in parallel
            let t1 = Diagnostics.Stopwatch.StartNew()
            let units = Path.Combine(dir, "units", "units")

            if Directory.Exists units then
                Threading.Tasks.Parallel.ForEach(
                    Directory.GetDirectories units,
                    fun (u: string) -> Directory.Delete(u, true)
                )
                |> ignore

            CliRun.cleanup dir
            Console.Error.WriteLine(sprintf "10^4 unit directories removed in %.2f s" t1.Elapsed.TotalSeconds)

    [<Fact>]
    member _.``hunt and explore units give what lowrank hunt and lowrank explore give for the same cell and seed``() =
        let dir = CliRun.tempDir ()

        try
            let hunt =
                SweepRun.write
                    dir
                    "h.json"
                    """{"command": "hunt", "fixed": {"claim": "C1", "evaluations": 300, "scope": "any"}, "grid": {"depth": [2, 3]}, "seeds": 2, "seedsPerUnit": 1, "seed": 7}"""

            let h = Path.Combine(dir, "h")
            SweepRun.plan hunt h
            let rc, _, err = CliRun.run [ "sweep"; "run"; h; "--unit"; "1"; "--quiet" ] // depth 2, seed 8
            Assert.True((rc = 0), err)

            let rc2, _, _ =
                CliRun.run
                    [
                        "hunt"
                        "--claim"
                        "C1"
                        "--evaluations"
                        "300"
                        "--scope"
                        "any"
                        "--depth"
                        "2"
                        "--seed"
                        "8"
                        "--budget"
                        "86400"
                        "--out"
                        Path.Combine(dir, "hr")
                        "--quiet"
                    ]

            Assert.True(rc2 = 0 || rc2 = 1)

            let state =
                (SweepRun.node (Path.Combine(h, "units", "1", SweepUnits.ResultName)) [ "result"; "hunts" ]).[0]

            let direct = Path.Combine(dir, "hr", "results.json")

            Assert.Equal(
                (SweepRun.node direct [ "hunt"; "evaluations" ]).GetValue<int>(),
                state.["evaluations"].GetValue<int>()
            )

            Assert.Equal(
                (SweepRun.node direct [ "hunt"; "confirmed" ] :?> JsonArray).Count,
                (state.["confirmed"] :?> JsonArray).Count
            )

            Assert.Equal(
                (SweepRun.node direct [ "hunt"; "best"; "violation" ]).ToJsonString(),
                state.["best"].["violation"].ToJsonString()
            )

            let explore =
                SweepRun.write
                    dir
                    "x.json"
                    """{"command": "explore", "fixed": {"steps": 100000, "lambda": 0.02}, "grid": {"eta": [0.2, 0.5]}, "seeds": 2, "seedsPerUnit": 2, "seed": 3}"""

            let x = Path.Combine(dir, "x")
            SweepRun.plan explore x
            let rc3, _, err3 = CliRun.run [ "sweep"; "local"; x; "--quiet" ]
            Assert.True((rc3 = 0), err3)

            let rc4, _, err4 =
                CliRun.run
                    [
                        "explore"
                        "--dynamics"
                        "--dyn-etas"
                        "0.2,0.5"
                        "--dyn-lambdas"
                        "0.02"
                        "--dyn-depths"
                        "4"
                        "--steps"
                        "100000"
                        "--seeds"
                        "2"
                        "--seed"
                        "3"
                        "--out"
                        Path.Combine(dir, "xr")
                        "--quiet"
                    ]

            Assert.True((rc4 = 0), err4)

            let cells =
                SweepRun.node (Path.Combine(dir, "xr", "results.json")) [ "dynamics"; "cells" ] :?> JsonArray

            let merged =
                SweepRun.node (Path.Combine(x, "report", "results.json")) [ "merged"; "cells" ] :?> JsonArray

            for k in 0..1 do
                Assert.Equal(cells.[k].ToJsonString(), merged.[k].["dynamics"].ToJsonString())
        finally
            CliRun.cleanup dir

/// Slurm.Exec as an option (None: the program is not installed).
module SlurmExec =
    /// Runs `program args` with a timeout: Some(exit code, stdout, stderr) or None.
    let run (program: string) (args: string list) (seconds: int) =
        let r = Slurm.Exec(program, args, seconds)
        if r.HasValue then Some r.Value else None

/// `[<SlurmFact>]`: a test that needs a running Slurm cluster (`sinfo` answers). Where there is none it is
/// reported as skipped with the reason, unless LOWRANK_REQUIRE_SLURM=1 (CI's Slurm stage,
/// deploy/slurm/local-cluster.sh), where it runs and fails without a cluster.
type SlurmFactAttribute() as this =
    inherit FactAttribute()

    do
        if Environment.GetEnvironmentVariable "LOWRANK_REQUIRE_SLURM" <> "1" then
            match SlurmExec.run "sinfo" [ "-h"; "-o"; "%t" ] 10 with
            | Some(struct (0, _, _)) -> ()
            | Some _ ->
                this.Skip <-
                    "SKIPPED: Slurm is installed but no cluster answers (sinfo failed); CI runs this on a real one-node cluster: deploy/slurm/local-cluster.sh"
            | None ->
                this.Skip <-
                    "SKIPPED: Slurm is not installed here (no sinfo on PATH); CI runs this on a real one-node cluster: deploy/slurm/local-cluster.sh"

/// Sweeps on a real Slurm cluster (CI: deploy/slurm/local-cluster.sh): submit, wait, merge, compare with
/// `sweep local`; the time-limit signal (SIGUSR1 to the batch shell) checkpoints and requeues a unit that
/// resumes; a unit cancelled mid-run (`scancel`) is resubmitted alone and resumes; both merges equal the
/// local sweep.
[<Collection("Console"); Trait("Category", "Slurm")>]
type SweepSlurmTests() =

    /// `dotnet lowrank.dll args` in `cwd`: exit code, stdout, stderr.
    let child (cwd: string) (args: string list) =
        let p, out, err = LongRun.start cwd args

        if not (p.WaitForExit 300_000) then
            p.Kill true
            failwithf "lowrank %s did not finish within 300 s" (String.Join(" ", args))

        p.WaitForExit()
        p.ExitCode, out.Result, err.Result

    /// Waits until `ok ()` (polling every 0.2 s, at most `seconds`); fails with `what` otherwise.
    let waitUntil (seconds: float) (what: string) (ok: unit -> bool) =
        let clock = Diagnostics.Stopwatch.StartNew()

        while not (ok ()) && clock.Elapsed.TotalSeconds < seconds do
            Threading.Thread.Sleep 200

        Assert.True(ok (), sprintf "%s: not within %.0f s" what seconds)

    let scancel (args: string list) =
        match SlurmExec.run "scancel" args 30 with
        | Some(struct (0, _, _)) -> ()
        | Some(struct (rc, o, e)) -> failwithf "scancel %s: exit %d %s %s" (String.Join(" ", args)) rc o e
        | None -> failwith "scancel is not installed"

    /// Submits `dir` as a child process (so the script runs this lowrank.dll); returns the job ID.
    let submit (cwd: string) (dir: string) =
        let rc, out, err =
            child cwd [ "sweep"; "submit"; dir; "--cpus-per-task"; "1"; "--checkpoint-every"; "0.5" ]

        Assert.True((rc = 0), sprintf "submit: exit %d: %s %s" rc out err)
        let job = out.Trim().Split('\n') |> Array.last
        Assert.Matches("^[0-9]+$", job)
        job

    /// Waits until every unit of `dir` is done and none of its tasks is queued.
    let waitDone (plan: SweepPlan) =
        waitUntil 300.0 "every unit done and the queue empty" (fun () ->
            plan.Units |> Array.forall (fun u -> SweepUnits.IsDone(plan, u.Id))
            && (Slurm.Queue plan
                |> Option.ofObj
                |> Option.map (fun q -> q.Count = 0)
                |> Option.defaultValue true))

    [<SlurmFact>]
    member _.``Slurm: an array sweep merges to the local sweep; a unit signalled at its time limit requeues and resumes; a cancelled unit is resubmitted alone, resumes, and the merge equals the local sweep again``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            // 4 units: unit 0 runs chain 0 and the GD control (about 5 s), units 1-3 one chain each.
            let text =
                (SweepRun.e1Sweep 10_000_000 4 1 1 "").Replace("\"offshoots\": 2", "\"offshoots\": 0")

            let sweep = SweepRun.write dir "s.json" text
            let a, b, c = Path.Combine(dir, "a"), Path.Combine(dir, "b"), Path.Combine(dir, "c")

            for d in [ a; b; c ] do
                SweepRun.plan sweep d

            let pa = SweepPlan.Read(a, SweepKinds.All)
            Assert.Equal(4, pa.Units.Length)
            let t0 = Diagnostics.Stopwatch.StartNew()
            let job = submit dir a
            // the time-limit path: SIGUSR1 to the batch shell of unit 0 once it has a checkpoint
            waitUntil 120.0 "unit 0 checkpointed" (fun () ->
                File.Exists(Path.Combine(a, "units", "0", CheckpointFile.Name)))

            Assert.False(SweepUnits.IsDone(pa, 0), "unit 0 finished before the signal")
            // scancel --signal waits on the task it signals (which requeues itself): it runs beside the test
            use usr1 =
                Diagnostics.Process.Start("scancel", [ "--signal=USR1"; "--batch"; sprintf "%s_0" job ])

            waitDone pa

            if not (usr1.WaitForExit 10_000) then
                usr1.Kill()

            let log0 = File.ReadAllText(Path.Combine(a, "logs", "unit-0.log"))
            Assert.Contains("checkpointed before its time limit; requeueing", log0)

            let exec0 =
                SweepRun.node (Path.Combine(a, "units", "0", SweepUnits.ResultName)) [ "execution" ]

            Assert.True(exec0.["resumedFromCheckpoint"].GetValue<bool>(), "unit 0 did not resume from its checkpoint")
            let rcm, outm, errm = CliRun.run [ "sweep"; "merge"; a; "--quiet" ]
            Assert.True((rcm = 0), outm + errm)
            let slurmSeconds = t0.Elapsed.TotalSeconds
            // the same sweep on this machine
            let rcl, outl, errl =
                CliRun.run [ "sweep"; "local"; b; "--parallel"; "2"; "--quiet" ]

            Assert.True((rcl = 0), outl + errl)
            let local = LongRun.comparable (Path.Combine(b, "report", "results.json"))
            Assert.Equal(local, LongRun.comparable (Path.Combine(a, "report", "results.json")))
            // the fault case: cancel unit 0 mid-run, resubmit, merge
            let pc = SweepPlan.Read(c, SweepKinds.All)
            let job2 = submit dir c

            waitUntil 120.0 "unit 0 checkpointed" (fun () ->
                File.Exists(Path.Combine(c, "units", "0", CheckpointFile.Name)))

            Assert.False(SweepUnits.IsDone(pc, 0), "unit 0 finished before the cancel")
            scancel [ sprintf "%s_0" job2 ]

            waitUntil 300.0 "the array left the queue" (fun () ->
                (Slurm.Queue pc
                 |> Option.ofObj
                 |> Option.map (fun q -> q.Count = 0)
                 |> Option.defaultValue true)
                && [ 1; 2; 3 ] |> List.forall (fun id -> SweepUnits.IsDone(pc, id)))

            Assert.False(SweepUnits.IsDone(pc, 0))

            Assert.True(
                File.Exists(Path.Combine(c, "units", "0", CheckpointFile.Name)),
                "the cancelled unit left no checkpoint"
            )

            let rc2, _, err2 = CliRun.run [ "sweep"; "merge"; c; "--quiet" ]
            Assert.Equal(2, rc2)
            Assert.Contains("1 of 4 unit(s) are not done: 0 ", err2)
            let rcs, outs, _ = CliRun.run [ "sweep"; "status"; c ]
            Assert.Equal(0, rcs)
            Assert.Contains("3 done", outs)
            let _ = submit dir c
            Assert.Contains("#SBATCH --array=0\n", File.ReadAllText(Path.Combine(c, Slurm.ScriptName)))
            waitDone pc

            let exec =
                SweepRun.node (Path.Combine(c, "units", "0", SweepUnits.ResultName)) [ "execution" ]

            Assert.True(exec.["resumedFromCheckpoint"].GetValue<bool>())
            Assert.Equal(2, exec.["sessions"].GetValue<int>())
            let rc3, out3, err3 = CliRun.run [ "sweep"; "merge"; c; "--quiet" ]
            Assert.True((rc3 = 0), out3 + err3)
            Assert.Equal(local, LongRun.comparable (Path.Combine(c, "report", "results.json")))

            Console.Error.WriteLine(
                sprintf
                    "Slurm sweep of 4 units with a requeue: %.1f s; whole test %.1f s"
                    slurmSeconds
                    t0.Elapsed.TotalSeconds
            )
        finally
            CliRun.cleanup dir
