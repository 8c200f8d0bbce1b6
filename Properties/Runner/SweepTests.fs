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
                        "--variant-steps"
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

                    // results.json holds observations as columns, the unit's cursor (the core's record) as
                    // an array of observation records: the same numbers, bit for bit.
                    let column (k: string) =
                        r.["observations"] :?> JsonArray
                        |> Seq.map (fun o -> o.[k].GetValue<double>())
                        |> Seq.toList

                    for k in [ "step"; "s1"; "s2"; "ratio"; "testError"; "rank" ] do
                        Assert.Equal<double list>(
                            e.["observations"].[k] :?> JsonArray
                            |> Seq.map (fun x -> x.GetValue<double>())
                            |> Seq.toList,
                            column k
                        )

                    Assert.Equal<bool list>(
                        e.["observations"].["inB1"] :?> JsonArray
                        |> Seq.map (fun x -> x.GetValue<bool>())
                        |> Seq.toList,
                        r.["observations"] :?> JsonArray
                        |> Seq.map (fun o -> o.["inB1"].GetValue<bool>())
                        |> Seq.toList
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

            Assert.Equal(
                (SweepRun.node results [ "e1"; "comparison" ]).ToJsonString(),
                cell.["comparison"].ToJsonString()
            )
            // Negative control: the same cell with seed 4 does not give the experiment's chains.
            let other = SweepRun.write dir "o.json" (SweepRun.e1SweepWith "on" 200000 5 2 4 "")
            SweepRun.plan other (Path.Combine(dir, "ot"))

            let rc3, _, err3 =
                CliRun.run [ "sweep"; "run"; Path.Combine(dir, "ot"); "--unit"; "0"; "--quiet" ]

            Assert.True((rc3 = 0), err3)

            let r0 =
                (SweepRun.node (Path.Combine(dir, "ot", "units", "0", SweepUnits.ResultName)) [ "result"; "runs" ]).[0]

            Assert.NotEqual<double list>(
                chains.[0].["observations"].["s1"] :?> JsonArray
                |> Seq.map (fun x -> x.GetValue<double>())
                |> Seq.toList,
                r0.["observations"] :?> JsonArray
                |> Seq.map (fun o -> o.["s1"].GetValue<double>())
                |> Seq.toList
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
