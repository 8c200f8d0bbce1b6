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
            "--variant-steps"
            "20000"
            "--variant-seeds"
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
                // the partial report's execution is the run's (its checkpoint policy; resumedFrom null for a fresh run)
                let execution = doc.RootElement.GetProperty("execution")
                Assert.Equal(50000L, execution.GetProperty("checkpointSteps").GetInt64())
                Assert.Equal(JsonValueKind.Null, execution.GetProperty("resumedFrom").ValueKind)
                Assert.False(execution.GetProperty("completed").GetBoolean())

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
                        "--variant-steps"
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
                { E1.defaults with
                    Eta = 5.0
                    Steps = 20000L
                    Seeds = 2
                    Offshoots = 1
                }

            let d0 = divs.[0]
            Assert.Equal(0, d0.GetProperty("chain").GetInt32())
            Assert.Equal((E1.chain p 0).DivergenceStep.Value, d0.GetProperty("step").GetInt64())
            Assert.Equal(5.0, d0.GetProperty("eta").GetDouble())
            Assert.Contains("Divergences", File.ReadAllText(Path.Combine(out, "report.md")))
        finally
            CliRun.cleanup dir
