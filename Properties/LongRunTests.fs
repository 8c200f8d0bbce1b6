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

/// Child-process runs of `lowrank` (the built lowrank.dll copied next to the test assembly) and the
/// comparison of results.json files.
module LongRun =

    /// The runner's dll next to the test assembly (Properties references Runner.CSharp).
    let dll = Path.Combine(AppContext.BaseDirectory, "lowrank.dll")

    /// Starts `dotnet lowrank.dll args` in `cwd` with stdout/stderr captured.
    let start (cwd: string) (args: string list) =
        let psi = ProcessStartInfo("dotnet")
        psi.ArgumentList.Add dll

        for a in args do
            psi.ArgumentList.Add a

        psi.WorkingDirectory <- cwd
        psi.RedirectStandardOutput <- true
        psi.RedirectStandardError <- true
        psi.UseShellExecute <- false
        let p = Process.Start psi
        let out = p.StandardOutput.ReadToEndAsync()
        let err = p.StandardError.ReadToEndAsync()
        p, out, err

    /// Waits (at most `seconds`) for the process to end; returns exit code and stderr.
    let finish (seconds: int) (p: Process, _out: Threading.Tasks.Task<string>, err: Threading.Tasks.Task<string>) =
        if not (p.WaitForExit(seconds * 1000)) then
            p.Kill true
            failwithf "child did not finish within %d s" seconds

        p.WaitForExit()
        p.ExitCode, err.Result

    /// Waits until `path` exists (polling every 20 ms, at most `seconds`); false when it never did.
    let waitFor (path: string) (seconds: float) =
        let clock = Stopwatch.StartNew()

        while not (File.Exists path) && clock.Elapsed.TotalSeconds < seconds do
            Threading.Thread.Sleep 20

        File.Exists path

    /// Sends a signal by name (TERM, INT, KILL) with the system's `kill`.
    let signal (name: string) (pid: int) =
        use k = Process.Start("kill", [| "-" + name; string pid |])
        k.WaitForExit()

    /// Fields of results.json that are inherently run-specific and excluded from the comparison of a
    /// resumed run with an uninterrupted one: `run` (provenance: start time, command line, machine,
    /// commit), `execution` (resumed from where, checkpoint policy, completion) and every
    /// `wallSeconds`/`seconds`/`foundAfterSeconds` (wall times). Everything else must be equal.
    let excluded =
        set [ "run"; "execution"; "wallSeconds"; "seconds"; "foundAfterSeconds" ]

    /// results.json without the excluded fields, re-serialised canonically.
    let comparable (path: string) =
        let rec strip (n: JsonNode) : JsonNode =
            match n with
            | :? JsonObject as o ->
                let r = JsonObject()

                for kv in o do
                    if not (excluded.Contains kv.Key) then
                        r.[kv.Key] <- (if isNull kv.Value then null else strip kv.Value)

                r :> JsonNode
            | :? JsonArray as a ->
                let r = JsonArray()

                for x in a do
                    r.Add(if isNull x then null else strip x)

                r :> JsonNode
            | v -> v.DeepClone()

        (strip (JsonNode.Parse(File.ReadAllText path))).ToJsonString()

/// Long runs that survive (issue "Long runs that survive"): kill and resume, signals, divergence.
/// Child processes with small parameters, a few seconds each.
[<Collection("Console")>]
type LongRunTests() =

    /// A small E1 run: about 1–2 s in a child process on 2 busy cores, checkpoints every 50k steps.
    let e1Args =
        [
            "experiment"
            "two-by-two"
            "--steps"
            "1500000"
            "--seeds"
            "2"
            "--offshoots"
            "2"
            "--offshoot-steps"
            "20000"
            "--regime-steps"
            "20000"
            "--regime-seeds"
            "1"
            "--quiet"
        ]

    /// A hunt of the L = 2 control (confirmed cases, shrunk, with their C1 cases): about 2 s.
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
            "3000"
            "--budget"
            "86400"
            "--quiet"
        ]

    /// A small explore run with both maps (15 C1 cells, 4 dynamics cells): about 2 s.
    let exploreArgs =
        [
            "explore"
            "--claim"
            "C1"
            "--dynamics"
            "--etas"
            "1e-6,1,5"
            "--lambdas"
            "0.01,1,3"
            "--evaluations"
            "60"
            "--dyn-etas"
            "0.1,0.5"
            "--dyn-lambdas"
            "0.006,0.02"
            "--dyn-depths"
            "4"
            "--steps"
            "200000"
            "--seeds"
            "2"
            "--quiet"
        ]

    /// Runs `args` whole into `full`, then again into `cut` killed with SIGKILL after its first
    /// checkpoint, resumes `cut` and compares; the negative control (`--seed 2` into `other`) must differ.
    let killAndResume (args: string list) (command: string list) (okCodes: int list) =
        let dir = CliRun.tempDir ()

        try
            let rc, err = LongRun.finish 120 (LongRun.start dir (args @ [ "--out"; "full" ]))
            Assert.True(List.contains rc okCodes, sprintf "exit %d: %s" rc err)

            let killed =
                LongRun.start dir (args @ [ "--out"; "cut"; "--checkpoint-steps"; "1" ])

            let p, _, _ = killed
            let ck = Path.Combine(dir, "cut", CheckpointFile.Name)
            Assert.True(LongRun.waitFor ck 60.0, "no checkpoint appeared")
            LongRun.signal "KILL" p.Id
            let rcKill, _ = LongRun.finish 30 killed
            Assert.Equal(137, rcKill)
            Assert.False(File.Exists(Path.Combine(dir, "cut", "results.json")), "the run finished before the kill")

            let rc2, err2 =
                LongRun.finish 120 (LongRun.start dir (command @ [ "--resume"; "cut"; "--quiet" ]))

            Assert.True(List.contains rc2 okCodes, sprintf "exit %d: %s" rc2 err2)
            Assert.False(File.Exists ck, "checkpoint left after a finished run")
            let full = LongRun.comparable (Path.Combine(dir, "full", "results.json"))
            Assert.Equal(full, LongRun.comparable (Path.Combine(dir, "cut", "results.json")))

            let rc3, _ =
                LongRun.finish 120 (LongRun.start dir (args @ [ "--out"; "other"; "--seed"; "2" ]))

            Assert.True(List.contains rc3 okCodes)
            Assert.NotEqual<string>(full, LongRun.comparable (Path.Combine(dir, "other", "results.json")))
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``kill -9 mid-run, then --resume: results.json equals the uninterrupted run's (control: another seed differs)``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            let rc, err = LongRun.finish 120 (LongRun.start dir (e1Args @ [ "--out"; "full" ]))
            Assert.True((rc = 0), err)

            let killed =
                LongRun.start dir (e1Args @ [ "--out"; "cut"; "--checkpoint-steps"; "50000" ])

            let p, _, _ = killed
            let ck = Path.Combine(dir, "cut", CheckpointFile.Name)
            Assert.True(LongRun.waitFor ck 60.0, "no checkpoint appeared")
            LongRun.signal "KILL" p.Id
            let rcKill, _ = LongRun.finish 30 killed
            Assert.Equal(137, rcKill)
            // Killed mid-way: a checkpoint, no finished report.
            Assert.False(File.Exists(Path.Combine(dir, "cut", "results.json")), "the run finished before the kill")

            let rc2, err2 =
                LongRun.finish 120 (LongRun.start dir [ "experiment"; "two-by-two"; "--resume"; "cut"; "--quiet" ])

            Assert.True((rc2 = 0), err2)
            Assert.False(File.Exists ck, "checkpoint left after a finished run")
            let full = LongRun.comparable (Path.Combine(dir, "full", "results.json"))
            Assert.Equal(full, LongRun.comparable (Path.Combine(dir, "cut", "results.json")))
            // Negative control: the comparison sees a difference of one seed.
            let rc3, _ =
                LongRun.finish 120 (LongRun.start dir (e1Args @ [ "--out"; "other"; "--seed"; "2" ]))

            Assert.Equal(0, rc3)
            Assert.NotEqual<string>(full, LongRun.comparable (Path.Combine(dir, "other", "results.json")))
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``SIGTERM and SIGINT stop cleanly: exit 143 / 130, checkpoint, report marked partial``() =
        let dir = CliRun.tempDir ()

        try
            for name, code in [ "TERM", 143; "INT", 130 ] do
                let out = "sig" + name

                let run =
                    LongRun.start dir (e1Args @ [ "--out"; out; "--checkpoint-steps"; "50000" ])

                let p, _, _ = run
                let ck = Path.Combine(dir, out, CheckpointFile.Name)
                Assert.True(LongRun.waitFor ck 60.0, "no checkpoint appeared")
                LongRun.signal name p.Id
                let rc, err = LongRun.finish 60 run
                Assert.True((rc = code), sprintf "SIG%s: exit %d, expected %d; stderr: %s" name rc code err)
                Assert.Contains("stopped by SIG" + name, err)
                Assert.True(File.Exists ck)

                use doc =
                    JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, out, "results.json")))

                Assert.True(doc.RootElement.GetProperty("partial").GetBoolean())

                Assert.Equal(
                    "SIG" + name,
                    doc.RootElement.GetProperty("execution").GetProperty("stoppedBy").GetString()
                )

                Assert.Contains("PARTIAL", File.ReadAllText(Path.Combine(dir, out, "report.md")))
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``hunt: kill -9 mid-hunt, then --resume: results.json equals the uninterrupted hunt's (control: another seed differs)``
        ()
        =
        // checkpoints at (re)start boundaries after every evaluation segment of 1 (--checkpoint-steps 1)
        killAndResume huntArgs [ "hunt" ] [ 1 ]

    [<Fact>]
    member _.``explore: kill -9 mid-map, then --resume: results.json equals the uninterrupted run's (control: another seed differs)``
        ()
        =
        killAndResume exploreArgs [ "explore" ] [ 0 ]

    [<Fact>]
    member _.``experiment completion: kill -9 mid-run, then --resume equals the uninterrupted run (ensemble and single engine, SDE twins; control: another seed differs)``
        ()
        =
        // SDE twins are on by default and come first in the cursors, so the first round (the GD control and
        // SDE twin 0) leaves the killed checkpoint with a twin in progress (its θ, Gaussian stream and records).
        let completion extra =
            [
                "experiment"
                "completion"
                "--offshoots"
                "2"
                "--offshoot-steps"
                "20000"
                "--quiet"
            ]
            @ extra

        killAndResume
            (completion
                [
                    "--family"
                    "blocks"
                    "--blocks"
                    "2"
                    "--lambda"
                    "0.01"
                    "--steps"
                    "60000"
                    "--seeds"
                    "5"
                    "--gd-steps"
                    "5000"
                ])
            [ "experiment"; "completion" ]
            [ 0 ]

        killAndResume
            (completion
                [
                    "--family"
                    "random"
                    "--size"
                    "6"
                    "--rank"
                    "2"
                    "--eta"
                    "0.05"
                    "--steps"
                    "40000"
                    "--seeds"
                    "3"
                    "--engine"
                    "single"
                ])
            [ "experiment"; "completion" ]
            [ 0 ]

    [<Fact>]
    member _.``hunt: SIGTERM stops cleanly: exit 143, checkpoint, report marked partial``() =
        let dir = CliRun.tempDir ()

        try
            let run =
                LongRun.start
                    dir
                    [
                        "hunt"
                        "--claim"
                        "C1"
                        "--budget"
                        "60"
                        "--quiet"
                        "--out"
                        "sig"
                        "--checkpoint-every"
                        "0.2"
                    ]

            let p, _, _ = run
            let ck = Path.Combine(dir, "sig", CheckpointFile.Name)
            Assert.True(LongRun.waitFor ck 60.0, "no checkpoint appeared")
            LongRun.signal "TERM" p.Id
            let rc, err = LongRun.finish 60 run
            Assert.True((rc = 143), sprintf "exit %d, expected 143; stderr: %s" rc err)
            Assert.Contains("stopped by SIGTERM", err)
            Assert.True(File.Exists ck)

            use doc =
                JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "sig", "results.json")))

            Assert.True(doc.RootElement.GetProperty("partial").GetBoolean())
            Assert.Equal("SIGTERM", doc.RootElement.GetProperty("execution").GetProperty("stoppedBy").GetString())
            Assert.Contains("PARTIAL", File.ReadAllText(Path.Combine(dir, "sig", "report.md")))
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``eta too large: divergence is a finding (step, parameters, last finite state), exit 0, no NaN in the report``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            let out = Path.Combine(dir, "div")

            let rc, _, err =
                CliRun.run
                    [
                        "experiment"
                        "two-by-two"
                        "--eta"
                        "5"
                        "--steps"
                        "20000"
                        "--seeds"
                        "2"
                        "--offshoots"
                        "1"
                        "--regime-steps"
                        "0"
                        "--quiet"
                        "--out"
                        out
                    ]

            Assert.True((rc = 0), err)
            let text = File.ReadAllText(Path.Combine(out, "results.json"))
            Assert.DoesNotContain("NaN", text)
            Assert.DoesNotContain("Infinity", text)
            use doc = JsonDocument.Parse text
            let divs = doc.RootElement.GetProperty("e1").GetProperty("divergences")
            Assert.True(divs.GetArrayLength() >= 2)

            let p =
                { TwoByTwo.defaults with
                    Eta = 5.0
                    Steps = 20000L
                    Seeds = 2
                    Offshoots = 1
                }

            let d0 = divs.[0]
            Assert.Equal(0, d0.GetProperty("chain").GetInt32())
            Assert.Equal((TwoByTwo.chain p 0).DivergenceStep.Value, d0.GetProperty("step").GetInt64())
            Assert.Equal(5.0, d0.GetProperty("eta").GetDouble())
            Assert.Contains("Divergences", File.ReadAllText(Path.Combine(out, "report.md")))
        finally
            CliRun.cleanup dir

/// Hostile input for the long-running commands and their checkpoint files (issue "Long runs that
/// survive"): every case exits 2 with one stderr line naming the field, nothing on stdout, before any
/// long work starts. In-process (`CliRun.run`), like the evaluate/step table in CliTests.fs.
[<Collection("Console")>]
type LongRunHostileTests() =

    /// A small E1 whose checkpoint the checkpoint cases mutate: 2 chains + GD, 500 steps taken each.
    let plan () =
        let p =
            { TwoByTwo.defaults with
                Steps = 2000L
                Seeds = 2
                Offshoots = 1
                OffshootMaxSteps = 1000L
            }

        let plan = E1Plan.Fresh(p, 0L, 1)
        let cursors = plan.Jobs.[0].Cursors

        for k in 0 .. cursors.Length - 1 do
            cursors.[k] <- TwoByTwo.advance p cursors.[k] 500L

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
    /// mutation can never silently leave the file valid).
    let sub (pattern: string) (by: string) (text: string) =
        let r = Text.RegularExpressions.Regex(pattern)

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
            "--regime-steps"
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
            "older version", sub "\"version\": 4" "\"version\": 3", e, "version"
            "newer version", sub "\"version\": 4" "\"version\": 5", e, "version"
            "checkpoint of verify", sub "\"command\": \"experiment two-by-two\"" "\"command\": \"verify\"", e, "command"
            "experiment checkpoint resumed by verify", id, [ "verify"; "--resume"; "{dir}"; "--quiet" ], "command"
            "duplicate key", sub "\"version\": 4," "\"version\": 4, \"version\": 4,", e, "version"
            "unknown key", sub "\"version\": 4," "\"version\": 4, \"extra\": 1,", e, "extra"
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
            "eta with lambda breaks 2*eta*lambda < 1", sub "\"eta\": 0.5" "\"eta\": 40", e, "e1Parameters.eta"
            "one weight too many", sub "\"weights\": \\[" "\"weights\": [0, ", e, "engine.weights"
            "one weight too few", sub "\"weights\": \\[[^,]+, " "\"weights\": [", e, "engine.weights"
            "a million weights (bounded read)",
            sub "\"weights\": \\[" ("\"weights\": [" + String.replicate 1_000_000 "0, "),
            e,
            "engine.weights"
            "zero scale", sub "\"scales\": \\[1" "\"scales\": [0", e, "engine.scales"
            "rng not a uint64", sub "\"rng\": \"\\d+\"" "\"rng\": \"-1\"", e, "cursors[0].rng"
            "rng a number", sub "\"rng\": \"\\d+\"" "\"rng\": 5", e, "cursors[0].rng"
            "next does not match observations", sub "\"next\": \\d+" "\"next\": 3", e, "cursors[0].next"
            "observation off the grid", sub "\"step\": \\[0, 1," "\"step\": [0, 2,", e, "observations.step[1]"
            "observation rank 7", sub "\"rank\": \\[2" "\"rank\": [7", e, "observations.rank[0]"
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
            "--resume"
        ]

    /// (name, args, field) for options; {dir} is a fresh empty temp directory, {file} a file in it.
    let optionCases: (string * string list * string) list =
        [
            "experiment --steps 0", exp ([ "--steps"; "0" ] @ small.[2..]), "--steps"
            "experiment --steps negative", exp ([ "--steps"; "-5" ] @ small.[2..]), "--steps"
            "experiment --steps huge", exp ([ "--steps"; "100000000000" ] @ small.[2..]), "--steps"
            "experiment --steps beyond int64", exp ([ "--steps"; "1e30" ] @ small.[2..]), "--steps"
            "experiment --steps not a number", exp ([ "--steps"; "abc" ] @ small.[2..]), "--steps"
            "experiment --seeds 0", exp ([ "--seeds"; "0"; "--steps"; "1000"; "--regime-steps"; "0" ]), "--seeds"
            "experiment --seeds negative",
            exp ([ "--seeds"; "-1"; "--steps"; "1000"; "--regime-steps"; "0" ]),
            "--seeds"
            "experiment --seeds huge",
            exp ([ "--seeds"; "1000000"; "--steps"; "1000"; "--regime-steps"; "0" ]),
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
            "experiment --regime-steps negative",
            exp ([ "--steps"; "1000"; "--seeds"; "1"; "--regime-steps"; "-1" ]),
            "--regime-steps"
            "experiment --regime-seeds 0",
            exp ([ "--steps"; "1000"; "--seeds"; "1"; "--regime-seeds"; "0" ]),
            "--regime-seeds"
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
                { Hunt.defaults HuntClaim.C1 3UL with
                    MaxEvaluations = 600
                    MaxSeconds = 86400.0
                    Overrides =
                        { Hunt.noOverrides with
                            Depth = Some 2
                            InRegimeOnly = false
                        }
                }

             let st = Hunt.advance settings (Hunt.start settings) (fun n -> n >= 30)

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
                             (Task.twoByTwo 0.1)
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
                             HuntCheckpoint.WriteTaskDigest(w, Task.twoByTwo 0.1)
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
            "--resume"
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
            "state.best.case.target"
            "hunt: duplicate key", huntText, sub "\"stale\": 0," "\"stale\": 0, \"stale\": 0,", h, "state.stale"
            "hunt checkpoint resumed by explore", huntText, id, x, "command"
            "hunt: task changed since the checkpoint",
            huntText,
            sub "\"taskDigest\": \"[^\"]*\"" "\"taskDigest\": \"0123\"",
            h,
            "taskDigest"
            "hunt: no taskDigest (older checkpoint)", huntText, sub "\"taskDigest\": \"[^\"]*\"," "", h, "--resume"
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
            Assert.Equal(90, optionCases.Length + checkpointCases.Length)
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
            Assert.Equal(36, resumeOptionCases.Length + resumeCheckpointCases.Length)
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
