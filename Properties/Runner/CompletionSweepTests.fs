namespace LowRankVerify.Properties

open System
open System.IO
open System.Text.Json.Nodes
open Xunit
open LowRankVerify.Runner.Checkpoints
open LowRankVerify.Runner.Reports
open LowRankVerify.Runner.Sweeps

/// Helpers of the completion sweep tests.
module CompletionSweepRun =

    /// A small completion sweep of the blocks family (m = 2: a 4×4 task, widths 4): `fixed` parameters
    /// added to the family's, `grid` axes, `seeds` chains in blocks of `perUnit`, master seed `seed`.
    let sweep (fixedPart: string) (grid: string) (seeds: int) (perUnit: int) (seed: int) =
        sprintf
            """{"command": "experiment completion", "fixed": {"family": "blocks", "blocks": 2, "lambda": 0.01, "offshoot-steps": 5000%s}, "grid": {%s}, "seeds": %d, "seedsPerUnit": %d, "seed": %d}"""
            fixedPart
            grid
            seeds
            perUnit
            seed

    /// `lowrank experiment completion` with the sweep's family and `extra` options into `out`; fails unless exit 0.
    let experiment (out: string) (extra: string list) =
        let rc, o, e =
            CliRun.run (
                [
                    "experiment"
                    "completion"
                    "--family"
                    "blocks"
                    "--blocks"
                    "2"
                    "--lambda"
                    "0.01"
                    "--offshoot-steps"
                    "5000"
                    "--out"
                    out
                    "--quiet"
                ]
                @ extra
            )

        Assert.True((rc = 0), sprintf "experiment completion: exit %d %s %s" rc o e)
        Path.Combine(out, "results.json")

    /// Every record (run) of unit `id`'s result: its chain and record node.
    let records (dir: string) (id: int) =
        let runs =
            SweepRun.node (Path.Combine(dir, "units", string id, SweepUnits.ResultName)) [ "result"; "runs" ]
            :?> JsonArray

        [
            for cursor in runs do
                for r in cursor.["records"] :?> JsonArray do
                    yield r.["chain"].GetValue<int>(), r
        ]

    /// The experiment's run (results.json: `completion.chains[k]`, or `gdControl` for chain −1).
    let experimentRun (results: string) (chain: int) =
        if chain < 0 then
            SweepRun.node results [ "completion"; "gdControl" ]
        else
            (SweepRun.node results [ "completion"; "chains" ]).[chain]

    /// Events of a run (an experiment's run or a unit record: both lists of objects).
    let events (e: JsonNode) =
        (e.["events"] :?> JsonArray)
        |> Seq.map (fun x ->
            x.["step"].GetValue<int64>(), x.["fromRank"].GetValue<int64>(), x.["toRank"].GetValue<int64>())
        |> Seq.toList

    /// The observation columns compared bit for bit (their JSON: round-trip numbers).
    let columns =
        [
            "step"
            "singular"
            "numericalRank"
            "productRank"
            "level"
            "balancedness"
            "layerNorms"
            "testError"
            "trainError"
            "gradientNorm"
        ]

    /// Final test errors of a run's offshoots (their JSON).
    let offshootErrors (run: JsonNode) =
        (run.["offshoots"] :?> JsonArray)
        |> Seq.map (fun o -> o.["finalTestError"].ToJsonString())
        |> Seq.toList

    /// A JSON number or (nested) array of numbers as a flat list of doubles, so values are compared, not texts.
    let rec numbers (x: JsonNode) : float list =
        match x with
        | :? JsonArray as a -> a |> Seq.collect numbers |> List.ofSeq
        | v -> [ v.GetValue<float>() ]

    /// True when the unit record (observations a list of records, `CheckpointJson`) equals the experiment's run
    /// (results.json: observations column-wise): every observation column bit for bit, the events and the
    /// offshoots' final errors.
    let sameRun (r: JsonNode) (e: JsonNode) =
        let obs = r.["observations"] :?> JsonArray

        columns
        |> List.forall (fun k ->
            let column = e.["observations"].[k] :?> JsonArray

            column.Count = obs.Count
            && Seq.forall2 (fun (o: JsonNode) c -> numbers o.[k] = numbers c) obs column)
        && events r = events e
        && offshootErrors r = offshootErrors e

/// Sweeps of `experiment completion` (issue "Sweeps beyond one machine", kind `CompletionSweep`): a unit
/// gives the experiment's chains bit for bit (single engine and ensemble, with units that cut the
/// ensemble's groups of 16), a merged cell the experiment's summary; the merge of units run in another
/// order, one stopped and resumed, equals `sweep local`; SIGTERM and SIGKILL mid-unit and a rerun give the
/// uninterrupted unit; every bad field is exit 2 with one line naming it.
[<Collection("Console")>]
type CompletionSweepTests() =

    [<Fact>]
    member _.``a completion unit gives what experiment completion gives for the same cell and seeds (ensemble with cut groups, and single); the merged cell is the experiment's (controls: another seed, the neighbouring chain)``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            // 20 chains in units of 7: [0,7) [7,14) [14,20) cut the ensemble's groups [0,16) [16,20).
            let text =
                CompletionSweepRun.sweep
                    ", \"steps\": 20000, \"offshoots\": 1"
                    "\"engine\": [\"ensemble\", \"single\"]"
                    20
                    7
                    3

            let sw = Path.Combine(dir, "sw")
            SweepRun.plan (SweepRun.write dir "s.json" text) sw
            let rc, out, err = CliRun.run [ "sweep"; "local"; sw; "--parallel"; "2"; "--quiet" ]
            Assert.True((rc = 0), out + err)
            let merged = Path.Combine(sw, "report", "results.json")
            let mutable compared = 0
            let mutable dropped = 0

            for cell, engine in [ 0, "ensemble"; 1, "single" ] do
                let results =
                    CompletionSweepRun.experiment
                        (Path.Combine(dir, engine))
                        [
                            "--steps"
                            "20000"
                            "--offshoots"
                            "1"
                            "--seeds"
                            "20"
                            "--seed"
                            "3"
                            "--engine"
                            engine
                            "--sde"
                            "off"
                        ]

                Assert.Equal(
                    engine,
                    (SweepRun.node results [ "completion"; "parameters"; "engine" ]).GetValue<string>()
                )
                // every run of the cell's three units (chains 0..19 and the GD control) against the experiment's
                for id in 3 * cell .. 3 * cell + 2 do
                    for chain, r in CompletionSweepRun.records sw id do
                        let e = CompletionSweepRun.experimentRun results chain

                        Assert.True(
                            CompletionSweepRun.sameRun r e,
                            sprintf "%s: unit %d chain %d differs" engine id chain
                        )

                        dropped <- dropped + (CompletionSweepRun.events r).Length
                        compared <- compared + 1
                // control: chain 7 (unit 1's first) is not the experiment's chain 6
                let _, first = CompletionSweepRun.records sw (3 * cell + 1) |> List.head
                Assert.False(CompletionSweepRun.sameRun first (CompletionSweepRun.experimentRun results 6))
                // the merged cell: the experiment's summary, and its chains' events and final levels
                let m = (SweepRun.node merged [ "merged"; "cells" ]).[cell]

                Assert.Equal(
                    (SweepRun.node results [ "completion"; "summary" ]).ToJsonString(),
                    m.["summary"].ToJsonString()
                )

                for k in 0..19 do
                    let e = CompletionSweepRun.experimentRun results k
                    Assert.Equal(e.["events"].ToJsonString(), m.["chains"].["events"].[k].ToJsonString())
                    Assert.Equal(e.["finalRank"].GetValue<int>(), m.["chains"].["finalRank"].[k].GetValue<int>())

            Assert.Equal(42, compared) // 2 cells x (20 chains + the GD control)
            Assert.True(dropped > 0, "no run changed level: the event comparison could not fail")
            // control: seed 4 gives other chains
            let ot = Path.Combine(dir, "ot")

            SweepRun.plan
                (SweepRun.write
                    dir
                    "o.json"
                    (CompletionSweepRun.sweep
                        ", \"steps\": 20000, \"offshoots\": 1"
                        "\"engine\": [\"ensemble\", \"single\"]"
                        20
                        7
                        4))
                ot

            let rc3, _, err3 = CliRun.run [ "sweep"; "run"; ot; "--unit"; "0"; "--quiet" ]
            Assert.True((rc3 = 0), err3)
            let results = Path.Combine(dir, "ensemble", "results.json")

            let chain0 =
                CompletionSweepRun.records ot 0 |> List.find (fun (c, _) -> c = 0) |> snd

            Assert.False(CompletionSweepRun.sameRun chain0 (CompletionSweepRun.experimentRun results 0))
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``completion sweep: the merge of units run in another order, one stopped mid-run and resumed, equals sweep local; figures per cell (control: another seed differs)``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            let text seed =
                CompletionSweepRun.sweep ", \"steps\": 30000, \"offshoots\": 1" "\"eta\": [0.2, 0.5]" 5 2 seed
            // unit 3 (cell 1: chains 0-1 and the GD control) is the one stopped and resumed
            let _, b =
                SweepRun.stoppedMergeEqualsLocal dir (text 1) (text 2) 3 2000L [ 5; 3; 1; 0; 4; 2 ] ignore

            let report = Path.Combine(b, "report")
            Assert.True(File.Exists(Path.Combine(report, "phase-map.png")))
            // per cell: the staircase, and the hitting times where some chain went below the start level
            let cells =
                SweepRun.node (Path.Combine(report, "results.json")) [ "merged"; "cells" ] :?> JsonArray

            let mutable drawn = 0

            for k in 0..1 do
                Assert.True(File.Exists(Path.Combine(report, sprintf "staircase-cell-%d.png" k)))

                let reached =
                    cells.[k].["summary"].["levels"] :?> JsonArray
                    |> Seq.exists (fun l -> l.["fractionReached"].GetValue<float>() > 0.0)

                Assert.Equal(reached, File.Exists(Path.Combine(report, sprintf "hitting-times-cell-%d.png" k)))
                drawn <- drawn + (if reached then 1 else 0)

            Assert.True(drawn > 0, "no cell has hitting times: their figure was not tested")

            Assert.Contains("The rank ladder over the grid", File.ReadAllText(Path.Combine(b, "report", "report.md")))
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``completion sweep run: SIGTERM checkpoints (exit 143), kill -9 mid-unit and a rerun give the uninterrupted unit's result``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            // one unit: 2 chains on the single engine (auto below 4 seeds) and a short GD control
            let text =
                CompletionSweepRun.sweep ", \"steps\": 4000000, \"offshoots\": 0, \"gd-steps\": 1000" "" 2 2 5

            let sweep = SweepRun.write dir "s.json" text
            let full, cut = Path.Combine(dir, "full"), Path.Combine(dir, "cut")
            SweepRun.plan sweep full
            SweepRun.plan sweep cut
            SweepRun.termKillRerun dir full cut
            // a unit result with its first run removed is refused by the merge, naming the field
            let result = Path.Combine(cut, "units", "0", SweepUnits.ResultName)
            let node = JsonNode.Parse(File.ReadAllText result)
            (node.["result"].["runs"] :?> JsonArray).RemoveAt 0
            File.WriteAllText(result, node.ToJsonString())
            let rcm, _, errm = CliRun.run [ "sweep"; "merge"; cut; "--quiet" ]
            Assert.Equal(2, rcm)
            Assert.Equal(1, errm.Trim().Split('\n').Length)
            Assert.StartsWith("error: result.runs[0].records[0].chain: must be 0 at this position", errm)
        finally
            CliRun.cleanup dir

    /// Bad completion sweep files: (name, file text, field the one-line error must name).
    static member BadSweeps: obj[] seq =
        let s fixedPart grid =
            sprintf
                """{"command": "experiment completion", "fixed": {%s}, "grid": {%s}, "seeds": 4, "seedsPerUnit": 2, "seed": 1}"""
                fixedPart
                grid

        [
            "family not set", s "\"blocks\": 2" "", "fixed.family (not set)"
            "unknown family", s "\"family\": \"spiral\"" "", "fixed.family"
            "a task file", s "\"task\": \"task.json\"" "", "fixed.task"
            "blocks 0", s "\"family\": \"blocks\", \"blocks\": 0" "", "fixed.blocks"
            "size with family blocks", s "\"family\": \"blocks\", \"size\": 5" "", "fixed.size"
            "rank above the size in one cell", s "\"family\": \"random\", \"size\": 6" "\"rank\": [2, 7]", "grid.rank"
            "observed fraction above 1", s "\"family\": \"random\", \"observed\": 1.5" "", "fixed.observed"
            "negative task seed", s "\"family\": \"random\", \"task-seed\": -1" "", "fixed.task-seed"
            "depth beyond 32 bits", s "\"family\": \"blocks\", \"depth\": 4294967296" "", "fixed.depth"
            "depth 0", s "\"family\": \"blocks\", \"depth\": 0" "", "fixed.depth"
            "unknown engine", s "\"family\": \"blocks\", \"engine\": \"gpu\"" "", "fixed.engine"
            "unknown init", s "\"family\": \"blocks\", \"init\": \"orthogonal\"" "", "fixed.init"
            "gd-steps above steps", s "\"family\": \"blocks\", \"steps\": 1000, \"gd-steps\": 2000" "", "fixed.gd-steps"
            "2 eta lambda >= 1 in one cell",
            s "\"family\": \"blocks\", \"lambda\": 2" "\"eta\": [0.1, 0.5]",
            "grid.eta, fixed.lambda"
            "offshoot lambda (default) above lambda",
            s "\"family\": \"blocks\", \"lambda\": 0, \"offshoot-lambda\": 0.1" "",
            "fixed.offshoot-lambda"
            "eta as a string", s "\"family\": \"blocks\", \"eta\": \"fast\"" "", "fixed.eta"
        ]
        |> Seq.map (fun (n, t, f) -> [| box n; box t; box f |])

    [<Theory>]
    [<MemberData(nameof CompletionSweepTests.BadSweeps)>]
    member _.``a bad completion sweep file is exit 2 with one line naming the field``
        (name: string, text: string, field: string)
        =
        SweepRun.planRefused name text field

    [<Fact>]
    member _.``control: a good completion sweep plans (the bad-file cases differ from it in the named field only)``() =
        let dir = CliRun.tempDir ()

        try
            let text =
                """{"command": "experiment completion", "fixed": {"family": "random", "size": 6, "observed": 0.8, "task-seed": 2, "depth": 3, "engine": "single", "init": "gaussian:0.1", "steps": 1000, "gd-steps": 500}, "grid": {"rank": [1, 2], "eta": [0.01, 0.05]}, "seeds": 4, "seedsPerUnit": 2, "seed": 1}"""

            let rc, out, err =
                CliRun.run
                    [
                        "sweep"
                        "plan"
                        SweepRun.write dir "s.json" text
                        "--out"
                        Path.Combine(dir, "d")
                    ]

            Assert.True((rc = 0), out + err)
            Assert.Contains("planned 8 unit(s) = 4 cell(s) x 2 seed block(s)", out)
        finally
            CliRun.cleanup dir
