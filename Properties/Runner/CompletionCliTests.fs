namespace LowRankVerify.Properties

open System
open System.IO
open System.Text.Json
open Xunit
open LowRankVerify.Theory
open LowRankVerify.Runner
open LowRankVerify.Runner.Checkpoints

/// `lowrank experiment completion` in-process: hostile options and checkpoint files (exit 2, one line
/// naming the option or field), the happy path with the results.json contract scripts rely on, and a
/// network narrower than the truth's rank (allowed and reported).
[<Collection("Console")>]
type CompletionCliTests() =

    let completion extra =
        [ "experiment"; "completion"; "--quiet" ] @ extra

    /// A small blocks run: 2 blocks, 3 chains, 20000 steps, about a second.
    let small =
        [
            "--family"
            "blocks"
            "--blocks"
            "2"
            "--lambda"
            "0.01"
            "--steps"
            "20000"
            "--seeds"
            "3"
            "--offshoots"
            "1"
            "--offshoot-steps"
            "5000"
        ]

    /// (name, arguments, the option the error must name).
    let optionCases: (string * string list * string) list =
        [
            "--blocks 0", completion [ "--family"; "blocks"; "--blocks"; "0" ], "--blocks"
            "--epsilon 0", completion [ "--family"; "blocks"; "--epsilon"; "0" ], "--epsilon"
            "rank above the size", completion [ "--family"; "random"; "--size"; "20"; "--rank"; "21" ], "--rank"
            "rank 0", completion [ "--family"; "random"; "--rank"; "0" ], "--rank"
            "--observed 0", completion [ "--family"; "random"; "--observed"; "0" ], "--observed"
            "--observed above 1", completion [ "--family"; "random"; "--observed"; "1.5" ], "--observed"
            "--observed NaN", completion [ "--family"; "random"; "--observed"; "NaN" ], "--observed"
            "--observed too few to hit every row",
            completion [ "--family"; "random"; "--size"; "30"; "--observed"; "0.01" ],
            "--observed"
            "--size 0", completion [ "--family"; "random"; "--size"; "0" ], "--size"
            "--task with --family", completion [ "--task"; "{task}"; "--family"; "blocks" ], "--family"
            "--task with --blocks", completion [ "--task"; "{task}"; "--blocks"; "3" ], "--blocks"
            "--task with --rank", completion [ "--task"; "{task}"; "--rank"; "3" ], "--rank"
            "--size with --family blocks", completion [ "--family"; "blocks"; "--size"; "5" ], "--size"
            "--blocks with --family random", completion [ "--family"; "random"; "--blocks"; "2" ], "--blocks"
            "--blocks without a family", completion [ "--blocks"; "2" ], "--blocks"
            "no task at all", completion [], "--task"
            "unknown family", completion [ "--family"; "spiral" ], "--family"
            "--task missing file", completion [ "--task"; "{dir}/nope.json" ], "--task"
            "--init unknown", completion (small @ [ "--init"; "orthogonal" ]), "--init"
            "--init gaussian:0", completion (small @ [ "--init"; "gaussian:0" ]), "--init"
            "--init balanced above the width", completion (small @ [ "--init"; "balanced:9" ]), "--init"
            "--width 0", completion (small @ [ "--width"; "0" ]), "--width"
            "--depth 0", completion (small @ [ "--depth"; "0" ]), "--depth"
            "--width above 1024", completion (small @ [ "--width"; "2000" ]), "--width"
            "declared 6.7e7-weight network (refused before it is built)",
            completion (small @ [ "--width"; "1024"; "--depth"; "64" ]),
            "--width"
            "2*eta*lambda >= 1", completion (small @ [ "--eta"; "60" ]), "--eta, --lambda"
            "--gd-steps above --steps", completion (small @ [ "--gd-steps"; "30000" ]), "--gd-steps"
            "--sde unknown", completion (small @ [ "--sde"; "maybe" ]), "--sde"
            "--sde-steps 0", completion (small @ [ "--sde-steps"; "0" ]), "--sde-steps"
            "--sde-steps above --steps", completion (small @ [ "--sde-steps"; "30000" ]), "--sde-steps"
            "--sde-steps with --sde off", completion (small @ [ "--sde"; "off"; "--sde-steps"; "100" ]), "--sde-steps"
            "--event-interval 0", completion (small @ [ "--event-interval"; "0" ]), "--event-interval"
            "--eps2 1", completion (small @ [ "--eps2"; "1" ]), "--eps2"
            "--alpha negative", completion (small @ [ "--alpha"; "-1" ]), "--alpha"
            "--C 0", completion (small @ [ "--C"; "0" ]), "--C"
            "--f unknown", completion (small @ [ "--f"; "cubic" ]), "--f"
            "--engine unknown", completion (small @ [ "--engine"; "gpu" ]), "--engine"
            "--offshoot-eta above eta", completion (small @ [ "--offshoot-eta"; "1" ]), "--offshoot-eta"
            "--seeds 0", completion (small @ [ "--seeds"; "0" ]), "--seeds"
            "--resume with --eta", completion [ "--resume"; "{dir}"; "--eta"; "0.1" ], "--resume"
            "--resume without checkpoint", completion [ "--resume"; "{dir}" ], "--resume"
        ]

    let fill (dir: string) (args: string list) =
        args
        |> List.map (fun a -> a.Replace("{dir}", dir).Replace("{task}", CliRun.exampleTask))

    /// A small blocks experiment (2 blocks, 5 chains: one ensemble unit, 5 SDE twins of 5000 steps, and the GD
    /// control) advanced 3000 steps, as the runner would checkpoint it: its checkpoint text and task.json.
    let checkpoint =
        lazy
            (let task = CompletionTask.blocks 2 0.1
             let widths = CompletionTask.widths task 4 4
             let start = Network.identityLike 1.0 widths

             let p =
                 {
                     Task = task
                     Source = TaskSource.Blocks(2, 0.1)
                     Depth = 4
                     Width = 4
                     Start = StartKind.Identity
                     Eta = 0.5
                     Lambda = 0.01
                     Steps = 20000L
                     Seeds = 5
                     Seed = 1UL
                     Offshoots = 1
                     OffshootEta = 0.05
                     OffshootLambda = 0.0
                     OffshootMaxSteps = 5000L
                     GdSteps = 20000L
                     Sde = true
                     SdeSteps = 5000L
                     ObservationsPerDecade = Completion.defaultObservationsPerDecade
                     EventInterval = 400L
                     Ladder = Ladder.defaults task start
                     Mode = SgdMode.Lanes
                 }

             let plan = CompletionPlan.Fresh(p, CompletionCommand.CanonicalArgs(p, "task.json"))

             for k in 0 .. plan.Cursors.Length - 1 do
                 plan.Cursors.[k] <- Completion.advance p plan.Cursors.[k] 3000L

             let d = CliRun.tempDir ()

             try
                 let path =
                     CheckpointFile.Write(d, CompletionCommand.CommandName, Action<Json.JsonOut>(fun w -> plan.Write w))

                 File.ReadAllText path, LowRankVerify.Runner.Json.TaskFile.Write task
             finally
                 CliRun.cleanup d)

    /// First match of `pattern` replaced (the test fails when it is absent, so a mutation never silently
    /// leaves the file valid).
    /// A `": "` in the pattern also matches the compact `":"` of the core's records (`CheckpointJson`).
    let sub (pattern: string) (by: string) (text: string) =
        let r = Text.RegularExpressions.Regex(pattern.Replace("\": ", "\":\\s*"))
        Assert.True(r.IsMatch text, sprintf "mutation pattern %s not found" pattern)
        r.Replace(text, by, 1)

    /// (name, checkpoint mutation, task.json mutation, field the error must name).
    let checkpointCases: (string * (string -> string) * (string -> string) * string) list =
        [
            "ensemble weights of the wrong length", sub "\"lanes\": \\[" "\"lanes\": [1, ", id, "lanes"
            "NaN weight of the GD control", sub "\"weights\": \\[" "\"weights\": [NaN, ", id, "weights[0]"
            "unit of another kind", sub "\"kind\": \"sgd\"" "\"kind\": \"gd\"", id, "kind"
            "SDE twin in the GD control's place", sub "\"kind\": \"gd\"" "\"kind\": \"sde\"", id, "cursors[6].kind"
            "SDE twin past its horizon",
            sub "\"kind\": \"sde\",\s*\"step\": \d+" "\"kind\": \"sde\", \"step\": 5001",
            id,
            "cursors[0].step"
            "SDE twin with an offshoot",
            sub
                "(\"kind\": \"sde\"[\s\S]*?)\"offshoots\": \[\]"
                "$1\"offshoots\": [{\"branchStep\": 1, \"branchLevel\": 4, \"steps\": 1, \"converged\": true, \"diverged\": false, \"finalTestError\": 1, \"finalTrainError\": 1, \"finalLevel\": 4}]",
            id,
            "offshoots"
            "checkpoint of an older lowrank (version 4, the field-by-field format)",
            sub "\"version\": 5" "\"version\": 4",
            id,
            "version: is 4, an older checkpoint format"
            "observation with an unknown field",
            sub "\"gradientNorm\": " "\"extra\": 1, \"gradientNorm\": ",
            id,
            "observations[0].extra"
            "level above the ladder's top", sub "\"level\": \\d+" "\"level\": 99", id, "level"
            "random-number state not a number", sub "\"rngs\": \\[\\s*\"\\d+\"" "\"rngs\": [\"x\"", id, "rngs[0]"
            "event to a rank above the top", sub "\"toRank\": \\d+" "\"toRank\": 77", id, "events[0].toRank"
            "stored arguments break a rule", sub "\"--blocks\",\\s*\"2\"" "\"--blocks\", \"0\"", id, "args"
            "task.json edited since the run began", id, sub "\\[1, 10," "[1, 11,", "taskDigest"
            "task.json missing", id, (fun _ -> ""), "--resume"
        ]

    let runCheckpoint (dir: string) (k: int) (mutate: string -> string) (mutateTask: string -> string) =
        let text, task = checkpoint.Value
        let d = Path.Combine(dir, sprintf "ck%d" k)
        Directory.CreateDirectory d |> ignore
        File.WriteAllText(Path.Combine(d, CheckpointFile.Name), mutate text)
        let t = mutateTask task

        if t <> "" then
            File.WriteAllText(Path.Combine(d, "task.json"), t)

        d, CliRun.run (completion [ "--resume"; d ])

    [<Fact>]
    member _.``hostile options and checkpoints: exit 2, one line naming the option or field``() =
        let dir = CliRun.tempDir ()

        try
            let failures =
                [
                    for name, args, field in optionCases do
                        match CliRun.rejection field (CliRun.run (fill dir args)) with
                        | Some why -> yield sprintf "%s: %s" name why
                        | None -> ()
                    for k, (name, mutate, mutateTask, field) in List.indexed checkpointCases do
                        match CliRun.rejection field (snd (runCheckpoint dir k mutate mutateTask)) with
                        | Some why -> yield sprintf "%s: %s" name why
                        | None -> ()
                ]

            Assert.True(failures.IsEmpty, String.Join("\n", failures))
            Assert.Equal(55, optionCases.Length + checkpointCases.Length)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``negative control: the unmutated checkpoint resumes (exit 0) and equals the uninterrupted run``() =
        let dir = CliRun.tempDir ()

        try
            let d, r = runCheckpoint dir 0 id id
            let rc, _, err = r
            Assert.True((rc = 0), err)
            Assert.True((CliRun.rejection "--resume" r).IsSome)
            Assert.False(File.Exists(Path.Combine(d, CheckpointFile.Name)))
            let full = Path.Combine(dir, "full")
            let text, _ = checkpoint.Value
            use doc = JsonDocument.Parse text

            let args =
                doc.RootElement.GetProperty("args").EnumerateArray()
                |> Seq.map (fun a -> a.GetString())
                |> List.ofSeq

            let rc2, _, err2 =
                CliRun.run ([ "experiment" ] @ args @ [ "--quiet"; "--out"; full ])

            Assert.True((rc2 = 0), err2)

            Assert.Equal(
                LongRun.comparable (Path.Combine(full, "results.json")),
                LongRun.comparable (Path.Combine(d, "results.json"))
            )
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``happy path: results.json holds the contract's keys, task.json replays, figures are written``() =
        let dir = CliRun.tempDir ()

        try
            let out = Path.Combine(dir, "run")
            let rc, stdout, err = CliRun.run (completion (small @ [ "--out"; out ]))
            Assert.True((rc = 0), err)
            Assert.Contains("completion (blocks m=2", stdout)
            use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "results.json")))
            let c = doc.RootElement.GetProperty "completion"
            c.GetProperty "parameters" |> ignore
            Assert.Equal(4, c.GetProperty("task").GetProperty("dOut").GetInt32())
            let chains = c.GetProperty "chains"
            Assert.Equal(3, chains.GetArrayLength())
            // SDE twins (on by default): one per chain, the same fields, their horizon the default.
            let sde = c.GetProperty "sdeChains"
            Assert.Equal(3, sde.GetArrayLength())
            Assert.Equal(2500L, c.GetProperty("parameters").GetProperty("sdeSteps").GetInt64())

            for run in sde.EnumerateArray() do
                Assert.Equal("sde", run.GetProperty("kind").GetString())
                Assert.Equal(2500L, run.GetProperty("horizon").GetInt64())
                Assert.Equal(0, run.GetProperty("offshoots").GetArrayLength())

            for run in
                Seq.concat
                    [
                        Array.ofSeq (chains.EnumerateArray())
                        Array.ofSeq (sde.EnumerateArray())
                        [| c.GetProperty "gdControl" |]
                    ] do
                for e in run.GetProperty("events").EnumerateArray() do
                    for key in [ "step"; "fromRank"; "toRank" ] do
                        e.GetProperty key |> ignore

                run.GetProperty("finalRank").GetInt32() |> ignore
                run.GetProperty("returns").GetInt32() |> ignore

            let s = c.GetProperty "summary"
            let levels = s.GetProperty "levels"
            Assert.Equal(4, levels.GetArrayLength())

            for l in levels.EnumerateArray() do
                for key in [ "rank"; "fractionReached"; "stepMedian"; "stepQ1"; "stepQ3" ] do
                    l.GetProperty key |> ignore

            s.GetProperty("totalReturns").GetInt32() |> ignore

            let counts =
                s.GetProperty("finalRankCounts").EnumerateObject()
                |> Seq.sumBy (fun x -> x.Value.GetInt32())

            Assert.Equal(3, counts)
            // The SDE twins' summary and the comparison (SGD at the twins' horizon and at its own, GD, SDE).
            let ss = s.GetProperty "sde"
            Assert.Equal(4, ss.GetProperty("levels").GetArrayLength())

            for key in [ "totalReturns"; "finalRankCounts"; "fractionCollapsed"; "fractionDiverged" ] do
                ss.GetProperty key |> ignore

            let kinds =
                s.GetProperty("comparison").EnumerateArray()
                |> Seq.map (fun k -> k.GetProperty("kind").GetString(), k.GetProperty("atStep").GetInt64())
                |> List.ofSeq

            Assert.Equal<(string * int64) list>([ "sgd", 2500L; "sgd", 20000L; "gd", 20000L; "sde", 2500L ], kinds)
            // task.json reads back as the task that ran (the blocks family's).
            let t =
                LowRankVerify.Runner.Json.TaskFile.Read("--task", Path.Combine(out, "task.json"))

            Assert.Equal(CompletionTask.blocks 2 0.1, t)

            for f in
                [
                    "completion-staircase"
                    "completion-singular-values"
                    "completion-hitting-times"
                    "completion-offshoots"
                ] do
                Assert.True(
                    File.Exists(Path.Combine(out, f + ".svg"))
                    && File.Exists(Path.Combine(out, f + ".png")),
                    f
                )
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``a width below the truth's rank is allowed and the report says the network cannot fit the data``() =
        let dir = CliRun.tempDir ()

        try
            let out = Path.Combine(dir, "narrow")

            let rc, _, err =
                CliRun.run (
                    completion
                        [
                            "--family"
                            "random"
                            "--size"
                            "6"
                            "--rank"
                            "3"
                            "--width"
                            "2"
                            "--eta"
                            "0.05"
                            "--steps"
                            "5000"
                            "--seeds"
                            "2"
                            "--offshoots"
                            "0"
                            "--out"
                            out
                        ]
                )

            Assert.True((rc = 0), err)
            Assert.Contains("cannot fit the data", File.ReadAllText(Path.Combine(out, "report.md")))
            use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "results.json")))

            Assert.False(
                doc.RootElement.GetProperty("completion").GetProperty("summary").GetProperty("canFit").GetBoolean()
            )
        finally
            CliRun.cleanup dir
