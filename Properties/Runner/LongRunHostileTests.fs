namespace LowRankVerify.Properties

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open System.Text.Json.Nodes
open Xunit
open LowRankVerify.Theory
open LowRankVerify.Runner
open LowRankVerify.Runner.Checkpoints

/// Hostile input for the long-running commands and their checkpoint files (issue "Long runs that
/// survive"): every case exits 2 with one stderr line naming the field, nothing on stdout, before any
/// long work starts. In-process (`CliRun.run`), like the evaluate/step table in CliTests.fs.
[<Collection("Console")>]
type LongRunHostileTests() =

    /// A small E1 whose checkpoint the checkpoint cases mutate: 2 chains + GD, 500 steps taken each.
    let plan () =
        let p =
            { E1.defaults with
                Steps = 2000L
                Seeds = 2
                Offshoots = 1
                OffshootMaxSteps = 1000L
            }

        let plan = E1Plan.Fresh(p, 0L, 1)
        let cursors = plan.Jobs.[0].Cursors

        for k in 0 .. cursors.Length - 1 do
            cursors.[k] <- E1.advance p cursors.[k] 500L

        plan

    /// The valid checkpoint text of `plan ()` (written by the runner's own writer).
    let validText =
        lazy
            (let d = CliRun.tempDir ()

             try
                 let pl = plan ()

                 let path =
                     CheckpointFile.Write(
                         d,
                         ExperimentCommand.CommandName,
                         Action<LowRankVerify.Runner.Json.JsonOut>(fun w -> pl.Write w)
                     )

                 File.ReadAllText path
             finally
                 CliRun.cleanup d)

    /// First match of `pattern` replaced by `by` (fails the test when the pattern is absent, so a
    /// mutation can never silently leave the file valid). `": ` in the pattern matches a colon and any
    /// whitespace: the header is written indented, the core's records compactly (`CheckpointJson`).
    let sub (pattern: string) (by: string) (text: string) =
        let r = Text.RegularExpressions.Regex(pattern.Replace("\": ", "\":\\s*"))

        if not (r.IsMatch text) then
            failwithf "mutation pattern %s not found" pattern

        r.Replace(text, by, 1)

    let exp extra = [ "experiment"; "two-by-two" ] @ extra

    let small =
        [
            "--steps"
            "1000"
            "--seeds"
            "1"
            "--offshoots"
            "0"
            "--variant-steps"
            "0"
            "--quiet"
        ]

    /// (name, checkpoint text mutation, command, field the error must name).
    let checkpointCases: (string * (string -> string) * string list * string) list =
        let e = exp [ "--resume"; "{dir}"; "--quiet" ]

        [
            "truncated checkpoint", (fun t -> t.Substring(0, t.Length / 2)), e, "--resume"
            "empty checkpoint", (fun _ -> ""), e, "--resume"
            "root is an array", (fun _ -> "[]"), e, "--resume"
            "not a checkpoint (format)", sub "lowrank-checkpoint" "something-else", e, "format"
            "older version (4: the field-by-field format)", sub "\"version\": 5" "\"version\": 4", e, "version"
            "newer version", sub "\"version\": 5" "\"version\": 6", e, "version"
            "checkpoint of verify", sub "\"command\": \"experiment two-by-two\"" "\"command\": \"verify\"", e, "command"
            "experiment checkpoint resumed by verify", id, [ "verify"; "--resume"; "{dir}"; "--quiet" ], "command"
            "duplicate key", sub "\"version\": 5," "\"version\": 5, \"version\": 5,", e, "version"
            "unknown key", sub "\"version\": 5," "\"version\": 5, \"extra\": 1,", e, "extra"
            "NaN weight", sub "\"weights\": \\[" "\"weights\": [NaN, ", e, "engine.weights[0]"
            "Infinity epsilon", sub "\"epsilon\": 0.1" "\"epsilon\": Infinity", e, "e1Parameters.epsilon"
            "number overflowing double", sub "\"epsilon\": 0.1" "\"epsilon\": 1e999", e, "e1Parameters.epsilon"
            "step is a string", sub "\"step\": \\d+" "\"step\": \"500\"", e, "cursors[0].step"
            "step beyond the run", sub "\"step\": \\d+" "\"step\": 99999999", e, "cursors[0].step"
            "negative steps", sub "\"steps\": 2000" "\"steps\": -5", e, "e1Parameters.steps"
            "huge steps", sub "\"steps\": 2000" "\"steps\": 1e300", e, "e1Parameters.steps"
            "seeds 0", sub "\"seeds\": 2" "\"seeds\": 0", e, "e1Parameters.seeds"
            "huge seeds", sub "\"seeds\": 2" "\"seeds\": 1000000000", e, "e1Parameters.seeds"
            "declared 1e9-weight network (width)", sub "\"width\": 2" "\"width\": 40000", e, "e1Parameters.width"
            "seeds do not match the cursors", sub "\"seeds\": 2" "\"seeds\": 3", e, "cursors[2].chain"
            "run kinds swapped", sub "\"kind\": \"sgd\"" "\"kind\": \"sde\"", e, "cursors[0].kind"
            "monitor with a negative return count", sub "\"returns\": 0" "\"returns\": -1", e, "monitor.returns"
            "monitor missing a field", sub "\"roundOffReturns\": 0,\\s*" "", e, "monitor.roundOffReturns"
            "monitor with an unknown field",
            sub "\"roundOffReturns\": 0," "\"roundOffReturns\": 0, \"bogus\": 1,",
            e,
            "monitor.bogus"
            "eta with lambda breaks 2*eta*lambda < 1", sub "\"eta\": 0.5" "\"eta\": 40", e, "e1Parameters.eta"
            "one weight too many", sub "\"weights\": \\[" "\"weights\": [0, ", e, "engine.weights"
            "one weight too few", sub "\"weights\": \\[[^,]+,\\s*" "\"weights\": [", e, "engine.weights"
            "a million weights (bounded read)",
            sub "\"weights\": \\[" ("\"weights\": [" + String.replicate 1_000_000 "0, "),
            e,
            "engine.weights"
            "zero scale", sub "\"scales\": \\[1" "\"scales\": [0", e, "engine.scales"
            "rng not a uint64", sub "\"rng\": \"\\d+\"" "\"rng\": \"-1\"", e, "cursors[0].rng"
            "rng a number", sub "\"rng\": \"\\d+\"" "\"rng\": 5", e, "cursors[0].rng"
            "next does not match observations", sub "\"next\": \\d+" "\"next\": 3", e, "cursors[0].next"
            "observation off the grid", sub "\"step\": 1," "\"step\": 2,", e, "observations[1].step"
            "observation rank 7", sub "\"rank\": \\d" "\"rank\": 7", e, "observations[0].rank"
            "finished run with engine", sub "\"done\": false" "\"done\": true", e, "cursors[0].engine"
            "unfinished run without engine", sub "\"engine\": \\{[^}]*\\}" "\"engine\": null", e, "cursors[0].engine"
            "label of another plan", sub "\"label\": \"main\"" "\"label\": \"other\"", e, "jobs[0].label"
            "jobs before parameters",
            (fun t ->
                t
                    .Replace("\"e1Parameters\"", "\"zz\"")
                    .Replace("\"jobs\"", "\"e1Parameters\"")
                    .Replace("\"zz\"", "\"jobs\"")),
            e,
            "jobs"
        ]

    /// (name, args, field) for options; {dir} is a fresh empty temp directory, {file} a file in it.
    let optionCases: (string * string list * string) list =
        [
            "experiment --steps 0", exp ([ "--steps"; "0" ] @ small.[2..]), "--steps"
            "experiment --steps negative", exp ([ "--steps"; "-5" ] @ small.[2..]), "--steps"
            "experiment --steps huge", exp ([ "--steps"; "100000000000" ] @ small.[2..]), "--steps"
            "experiment --steps beyond int64", exp ([ "--steps"; "1e30" ] @ small.[2..]), "--steps"
            "experiment --steps not a number", exp ([ "--steps"; "abc" ] @ small.[2..]), "--steps"
            "experiment --seeds 0", exp ([ "--seeds"; "0"; "--steps"; "1000"; "--variant-steps"; "0" ]), "--seeds"
            "experiment --seeds negative",
            exp ([ "--seeds"; "-1"; "--steps"; "1000"; "--variant-steps"; "0" ]),
            "--seeds"
            "experiment --seeds huge",
            exp ([ "--seeds"; "1000000"; "--steps"; "1000"; "--variant-steps"; "0" ]),
            "--seeds"
            "experiment --eta NaN", exp ([ "--eta"; "NaN" ] @ small), "--eta"
            "experiment --eta Infinity", exp ([ "--eta"; "Infinity" ] @ small), "--eta"
            "experiment --eta 0", exp ([ "--eta"; "0" ] @ small), "--eta"
            "experiment --eta overflow", exp ([ "--eta"; "1e400" ] @ small), "--eta"
            "experiment 2*eta*lambda >= 1", exp ([ "--eta"; "30" ] @ small), "--eta, --lambda"
            "experiment --lambda negative", exp ([ "--lambda"; "-0.1" ] @ small), "--lambda"
            "experiment --epsilon 0", exp ([ "--epsilon"; "0" ] @ small), "--epsilon"
            "experiment --depth 0", exp ([ "--depth"; "0" ] @ small), "--depth"
            "experiment --depth huge", exp ([ "--depth"; "100000" ] @ small), "--depth"
            "experiment declared 1e9-weight network", exp ([ "--width"; "40000" ] @ small), "--width"
            "experiment --offshoot-eta above eta", exp ([ "--offshoot-eta"; "1" ] @ small), "--offshoot-eta"
            "experiment --offshoot-steps 0", exp ([ "--offshoot-steps"; "0" ] @ small), "--offshoot-steps"
            "experiment --variant-steps negative",
            exp ([ "--steps"; "1000"; "--seeds"; "1"; "--variant-steps"; "-1" ]),
            "--variant-steps"
            "experiment --variant-seeds 0",
            exp ([ "--steps"; "1000"; "--seeds"; "1"; "--variant-seeds"; "0" ]),
            "--variant-seeds"
            "experiment --regime-steps negative (the option's former name)",
            exp ([ "--steps"; "1000"; "--seeds"; "1"; "--regime-steps"; "-1" ]),
            "--variant-steps"
            "experiment e1 (the alias of two-by-two) --seeds 0",
            [
                "experiment"
                "e1"
                "--seeds"
                "0"
                "--steps"
                "1000"
                "--variant-steps"
                "0"
            ],
            "--seeds"
            "experiment --checkpoint-every negative", exp ([ "--checkpoint-every"; "-1" ] @ small), "--checkpoint-every"
            "experiment --checkpoint-every NaN", exp ([ "--checkpoint-every"; "NaN" ] @ small), "--checkpoint-every"
            "experiment --checkpoint-steps 0", exp ([ "--checkpoint-steps"; "0" ] @ small), "--checkpoint-steps"
            "experiment --checkpoint-steps negative",
            exp ([ "--checkpoint-steps"; "-10" ] @ small),
            "--checkpoint-steps"
            "experiment --out is a file", exp ([ "--out"; "{file}" ] @ small), "--out"
            "experiment --out not empty without --force", exp ([ "--out"; "{full}" ] @ small), "--out"
            "experiment unknown option", exp ([ "--bogus" ] @ small), "--bogus"
            "experiment unknown subcommand", [ "experiment"; "three-by-three" ], "three-by-three"
            "experiment --resume missing dir", exp [ "--resume"; "{dir}/nope" ], "--resume"
            "experiment --resume a file", exp [ "--resume"; "{file}" ], "--resume"
            "experiment --resume without checkpoint", exp [ "--resume"; "{full}" ], "--resume"
            "experiment --resume empty", exp [ "--resume"; "" ], "--resume"
            "experiment --resume with --eta", exp [ "--resume"; "{full}"; "--eta"; "0.1" ], "--resume"
            "experiment --resume with --out", exp [ "--resume"; "{full}"; "--out"; "{dir}/x" ], "--resume"
            "verify --tier bogus", [ "verify"; "--tier"; "bogus" ], "--tier"
            "verify --seed negative", [ "verify"; "--seed"; "-1" ], "--seed"
            "verify --seed not a number", [ "verify"; "--seed"; "abc" ], "--seed"
            "verify --checkpoint-every negative", [ "verify"; "--checkpoint-every"; "-5" ], "--checkpoint-every"
            "verify --checkpoint-steps 0", [ "verify"; "--checkpoint-steps"; "0" ], "--checkpoint-steps"
            "verify --out is a file", [ "verify"; "--out"; "{file}" ], "--out"
            "verify --resume missing dir", [ "verify"; "--resume"; "{dir}/nope" ], "--resume"
            "verify --resume without checkpoint", [ "verify"; "--resume"; "{full}" ], "--resume"
            "verify --resume with --tier", [ "verify"; "--resume"; "{full}"; "--tier"; "full" ], "--resume"
            "verify unknown option", [ "verify"; "--bogus" ], "--bogus"
            "bench --seconds 0", [ "bench"; "--seconds"; "0" ], "--seconds"
            "bench --seconds negative", [ "bench"; "--seconds"; "-1" ], "--seconds"
            "bench --seconds NaN", [ "bench"; "--seconds"; "NaN" ], "--seconds"
            "bench --seconds huge", [ "bench"; "--seconds"; "1e9" ], "--seconds"
            "bench --seconds not a number", [ "bench"; "--seconds"; "abc" ], "--seconds"
            "bench unknown option", [ "bench"; "--bogus" ], "--bogus"
        ]

    let fill (dir: string) (args: string list) =
        let file = Path.Combine(dir, "a-file.txt")
        let full = Path.Combine(dir, "full")
        File.WriteAllText(file, "x")
        Directory.CreateDirectory full |> ignore
        File.WriteAllText(Path.Combine(full, "results.json"), "{}")

        args
        |> List.map (fun a -> a.Replace("{dir}", dir).Replace("{file}", file).Replace("{full}", full))

    let runCheckpointCase (dir: string) (k: int) (mutate: string -> string) (args: string list) =
        let d = Path.Combine(dir, sprintf "ck%d" k)
        Directory.CreateDirectory d |> ignore
        File.WriteAllText(Path.Combine(d, CheckpointFile.Name), mutate validText.Value)
        CliRun.run (args |> List.map (fun a -> a.Replace("{dir}", d)))

    /// Arguments of the hunt whose checkpoint the hunt cases mutate (the L = 2 control, 600 evaluations).
    let huntArgs =
        [
            "hunt"
            "--claim"
            "C1"
            "--depth"
            "2"
            "--scope"
            "any"
            "--evaluations"
            "600"
            "--budget"
            "86400"
            "--seed"
            "3"
            "--quiet"
        ]

    /// The valid checkpoint text of that hunt paused after 30 evaluations (core state, runner's writer).
    let huntText =
        lazy
            (let settings =
                { Hunt.defaults ClaimId.C1 3UL with
                    MaxEvaluations = 600
                    MaxSeconds = 86400.0
                    Overrides =
                        { Overrides.none with
                            Depth = Some 2
                            InRegimeOnly = false
                        }
                }

             let st = Hunt.advance C1.hunter settings (Hunt.start settings) (fun n -> n >= 30)

             if st.Finished then
                 failwith "the hunt finished before its first pause: the checkpoint cases would test nothing"

             let d = CliRun.tempDir ()

             try
                 let path =
                     CheckpointFile.Write(
                         d,
                         HuntCommand.CommandName,
                         Action<LowRankVerify.Runner.Json.JsonOut>(fun w ->
                             HuntCheckpoint.WriteArgs(w, Array.ofList huntArgs)
                             HuntCheckpoint.WriteTaskDigest(w, Unchecked.defaultof<Task>)
                             w.Key "state"
                             HuntCheckpoint.WriteState(w, st))
                     )

                 File.ReadAllText path
             finally
                 CliRun.cleanup d)

    /// Arguments of the explore run whose checkpoint the explore cases mutate (4 C1 cells).
    let exploreArgs =
        [
            "explore"
            "--claim"
            "C1"
            "--etas"
            "1e-6,1,2"
            "--lambdas"
            "0.1,1,2"
            "--evaluations"
            "20"
            "--quiet"
        ]

    /// Its valid checkpoint text: the first two cells done, the others not.
    let exploreText =
        lazy
            (let grid =
                Explore.closureGrid (Explore.logGrid 1e-6 1.0 2) (Explore.logGrid 0.1 1.0 2)

             let cells =
                 grid
                 |> Array.mapi (fun k (eta, lambda) ->
                     if k < 2 then
                         Explore.closureCell
                             (Task.e1 0.1)
                             4
                             1
                             FAlphaFamily.Piecewise
                             Explore.defaultKappas
                             20
                             1UL
                             eta
                             lambda
                     else
                         Unchecked.defaultof<ClosureCell>)

             let d = CliRun.tempDir ()

             try
                 let path =
                     CheckpointFile.Write(
                         d,
                         ExploreCommand.CommandName,
                         Action<LowRankVerify.Runner.Json.JsonOut>(fun w ->
                             HuntCheckpoint.WriteArgs(w, Array.ofList exploreArgs)
                             HuntCheckpoint.WriteTaskDigest(w, Task.e1 0.1)
                             w.Key "closureCells"
                             ExploreCheckpoint.WriteClosureCells(w, cells)
                             w.Key "dynamicsCells"
                             w.Null())
                     )

                 File.ReadAllText path
             finally
                 CliRun.cleanup d)

    /// (name, valid text, mutation, command, field) for hunt and explore checkpoints.
    let resumeCheckpointCases: (string * Lazy<string> * (string -> string) * string list * string) list =
        let h = [ "hunt"; "--resume"; "{dir}"; "--quiet" ]
        let x = [ "explore"; "--resume"; "{dir}"; "--quiet" ]

        [
            "hunt: truncated", huntText, (fun t -> t.Substring(0, t.Length / 2)), h, "--resume"
            "hunt: args with --resume", huntText, sub "\"--quiet\"" "\"--resume\"", h, "args"
            "hunt: args of another command",
            huntText,
            sub "\"args\": \\[\\s*\"hunt\"" "\"args\": [\"explore\"",
            h,
            "args[0]"
            "hunt: args with a bad --budget", huntText, sub "\"86400\"" "\"-1\"", h, "--budget"
            "hunt: args with an unknown option", huntText, sub "\"--quiet\"" "\"--bogus\"", h, "args"
            "hunt: state before args",
            huntText,
            (fun t -> t.Replace("\"args\"", "\"zz\"").Replace("\"state\"", "\"args\"").Replace("\"zz\"", "\"state\"")),
            h,
            "state"
            "hunt: rng not a uint64", huntText, sub "\"rng\": \"\\d+\"" "\"rng\": \"x\"", h, "state.rng"
            "hunt: evaluations beyond --evaluations",
            huntText,
            sub "\"evaluations\": \\d+" "\"evaluations\": 999999",
            h,
            "state.evaluations"
            "hunt: valid beyond evaluations", huntText, sub "\"valid\": \\d+" "\"valid\": 599", h, "state.valid"
            "hunt: NaN bound", huntText, sub "\"bound\": [^,]+" "\"bound\": NaN", h, "state.best.bound"
            "hunt: unknown status", huntText, sub "\"status\": \"\\w+\"" "\"status\": \"Maybe\"", h, "state.best.status"
            "hunt: case depth does not match its point",
            huntText,
            sub "\"depth\": 2" "\"depth\": 3",
            h,
            "state.best.case.point"
            "hunt: a million-entry target (bounded read)",
            huntText,
            sub "\"target\": \\[" ("\"target\": [" + String.replicate 100_000 "[0], "),
            h,
            "state.best.case.task.target"
            "hunt: a null layer in a finding's point (no stack trace)",
            huntText,
            sub "\"w\": \\[" "\"w\": [null, ",
            h,
            "state.best.case.point"
            "hunt: unknown field in a finding's case",
            huntText,
            sub "\"depth\": 2" "\"depth\": 2, \"bogus\": 0",
            h,
            "state.best.case.bogus"
            "hunt: duplicate key", huntText, sub "\"stale\": 0," "\"stale\": 0, \"stale\": 0,", h, "state.stale"
            "hunt checkpoint resumed by explore", huntText, id, x, "command"
            "hunt: task changed since the checkpoint",
            huntText,
            sub "\"taskDigest\": \"[^\"]*\"" "\"taskDigest\": \"0123\"",
            h,
            "taskDigest"
            "hunt: no taskDigest (older checkpoint)", huntText, sub "\"taskDigest\": \"[^\"]*\"," "", h, "taskDigest"
            "explore: task changed since the checkpoint",
            exploreText,
            sub "\"taskDigest\": \"[^\"]*\"" "\"taskDigest\": \"none\"",
            x,
            "taskDigest"
            "explore: cell at another eta", exploreText, sub "\"eta\": [^,]+" "\"eta\": 0.5", x, "closureCells[0].eta"
            "explore: one cell too many",
            exploreText,
            sub "\"closureCells\": \\[" "\"closureCells\": [null, ",
            x,
            "closureCells"
            "explore: dynamics cells for a C1-only run",
            exploreText,
            sub "\"dynamicsCells\": null" "\"dynamicsCells\": []",
            x,
            "dynamicsCells"
            "explore: args with a bad --etas", exploreText, sub "\"1e-6,1,2\"" "\"1,1e-6,2\"", x, "--etas"
            "explore: unknown family",
            exploreText,
            sub "\"family\": \"\\w+\"" "\"family\": \"cubic\"",
            x,
            "closureCells[0].constants.family"
            "explore: holds not a bool", exploreText, sub "\"holds\": \\w+" "\"holds\": 1", x, "closureCells[0].holds"
            "explore checkpoint resumed by hunt", exploreText, id, h, "command"
        ]

    /// (name, args, field) for the hunt and explore options.
    let resumeOptionCases: (string * string list * string) list =
        [
            "hunt --checkpoint-every negative",
            [ "hunt"; "--claim"; "C1"; "--checkpoint-every"; "-1" ],
            "--checkpoint-every"
            "hunt --checkpoint-steps 0", [ "hunt"; "--claim"; "C1"; "--checkpoint-steps"; "0" ], "--checkpoint-steps"
            "hunt without --claim", [ "hunt"; "--budget"; "1" ], "--claim"
            "hunt --resume with --claim", [ "hunt"; "--resume"; "{full}"; "--claim"; "C1" ], "--resume"
            "hunt --resume with --evaluations", [ "hunt"; "--resume"; "{full}"; "--evaluations"; "5" ], "--resume"
            "hunt --resume missing dir", [ "hunt"; "--resume"; "{dir}/nope" ], "--resume"
            "hunt --resume without checkpoint", [ "hunt"; "--resume"; "{full}" ], "--resume"
            "explore --checkpoint-every NaN",
            [ "explore"; "--claim"; "C1"; "--checkpoint-every"; "NaN" ],
            "--checkpoint-every"
            "explore --checkpoint-steps negative",
            [ "explore"; "--claim"; "C1"; "--checkpoint-steps"; "-1" ],
            "--checkpoint-steps"
            "explore --resume a file", [ "explore"; "--resume"; "{file}" ], "--resume"
            "explore --resume with --etas", [ "explore"; "--resume"; "{full}"; "--etas"; "1,2,3" ], "--resume"
        ]

    [<Fact>]
    member _.``hostile input for experiment, verify, bench and checkpoint files: exit 2, one line naming the field``() =
        let dir = CliRun.tempDir ()

        try
            let before = GC.GetTotalMemory false

            let failures =
                [
                    for name, args, field in optionCases do
                        match CliRun.rejection field (CliRun.run (fill dir args)) with
                        | Some why -> yield sprintf "%s: %s" name why
                        | None -> ()
                    for k, (name, mutate, args, field) in List.indexed checkpointCases do
                        match CliRun.rejection field (runCheckpointCase dir k mutate args) with
                        | Some why -> yield sprintf "%s: %s" name why
                        | None -> ()
                ]

            Assert.True(failures.IsEmpty, String.Join("\n", failures))
            Assert.Equal(93, optionCases.Length + checkpointCases.Length)
            // Bounded memory: the whole table (a million-number weights array among it) allocates far
            // less than one declared 1e9-element matrix would (8 GB).
            Assert.True(GC.GetTotalMemory false - before < 1_000_000_000L)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``negative control: the unmutated checkpoint resumes (exit 0) and is not a rejection``() =
        let dir = CliRun.tempDir ()

        try
            let r = runCheckpointCase dir 0 id (exp [ "--resume"; "{dir}"; "--quiet" ])
            let rc, _, err = r
            Assert.True((rc = 0), err)
            Assert.True((CliRun.rejection "--resume" r).IsSome)
            let d = Path.Combine(dir, "ck0")
            Assert.True(File.Exists(Path.Combine(d, "results.json")))
            Assert.False(File.Exists(Path.Combine(d, CheckpointFile.Name)))
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``hostile input for hunt and explore (options, checkpoint files): exit 2, one line naming the field``() =
        let dir = CliRun.tempDir ()

        try
            let failures =
                [
                    for name, args, field in resumeOptionCases do
                        match CliRun.rejection field (CliRun.run (fill dir args)) with
                        | Some why -> yield sprintf "%s: %s" name why
                        | None -> ()
                    for k, (name, text, mutate, args, field) in List.indexed resumeCheckpointCases do
                        let d = Path.Combine(dir, sprintf "rk%d" k)
                        Directory.CreateDirectory d |> ignore
                        File.WriteAllText(Path.Combine(d, CheckpointFile.Name), mutate text.Value)

                        match
                            CliRun.rejection field (CliRun.run (args |> List.map (fun a -> a.Replace("{dir}", d))))
                        with
                        | Some why -> yield sprintf "%s: %s" name why
                        | None -> ()
                ]

            Assert.True(failures.IsEmpty, String.Join("\n", failures))
            Assert.Equal(38, resumeOptionCases.Length + resumeCheckpointCases.Length)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``negative control: the unmutated hunt and explore checkpoints resume and are not rejections``() =
        let dir = CliRun.tempDir ()

        try
            for k, (text, command, codes) in List.indexed [ huntText, "hunt", [ 0; 1 ]; exploreText, "explore", [ 0 ] ] do
                let d = Path.Combine(dir, sprintf "ok%d" k)
                Directory.CreateDirectory d |> ignore
                File.WriteAllText(Path.Combine(d, CheckpointFile.Name), text.Value)
                let r = CliRun.run [ command; "--resume"; d; "--quiet" ]
                let rc, _, err = r
                Assert.True(List.contains rc codes, sprintf "%s: exit %d: %s" command rc err)
                Assert.True((CliRun.rejection "--resume" r).IsSome)
                Assert.True(File.Exists(Path.Combine(d, "results.json")))
                Assert.False(File.Exists(Path.Combine(d, CheckpointFile.Name)))
        finally
            CliRun.cleanup dir
