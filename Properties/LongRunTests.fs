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
    /// `wallSeconds`/`seconds` (wall times). Everything else must be equal.
    let excluded = set [ "run"; "execution"; "wallSeconds"; "seconds" ]

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
        [ "experiment"; "two-by-two"; "--steps"; "1500000"; "--seeds"; "2"; "--offshoots"; "2"; "--offshoot-steps"; "20000"
          "--regime-steps"; "20000"; "--regime-seeds"; "1"; "--quiet" ]

    [<Fact>]
    member _.``kill -9 mid-run, then --resume: results.json equals the uninterrupted run's (control: another seed differs)``() =
        let dir = CliRun.tempDir ()
        try
            let rc, err = LongRun.finish 120 (LongRun.start dir (e1Args @ [ "--out"; "full" ]))
            Assert.True((rc = 0), err)
            let killed = LongRun.start dir (e1Args @ [ "--out"; "cut"; "--checkpoint-steps"; "50000" ])
            let p, _, _ = killed
            let ck = Path.Combine(dir, "cut", CheckpointFile.Name)
            Assert.True(LongRun.waitFor ck 60.0, "no checkpoint appeared")
            LongRun.signal "KILL" p.Id
            let rcKill, _ = LongRun.finish 30 killed
            Assert.Equal(137, rcKill)
            // Killed mid-way: a checkpoint, no finished report.
            Assert.False(File.Exists(Path.Combine(dir, "cut", "results.json")), "the run finished before the kill")
            let rc2, err2 = LongRun.finish 120 (LongRun.start dir [ "experiment"; "two-by-two"; "--resume"; "cut"; "--quiet" ])
            Assert.True((rc2 = 0), err2)
            Assert.False(File.Exists ck, "checkpoint left after a finished run")
            let full = LongRun.comparable (Path.Combine(dir, "full", "results.json"))
            Assert.Equal(full, LongRun.comparable (Path.Combine(dir, "cut", "results.json")))
            // Negative control: the comparison sees a difference of one seed.
            let rc3, _ = LongRun.finish 120 (LongRun.start dir (e1Args @ [ "--out"; "other"; "--seed"; "2" ]))
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
                let run = LongRun.start dir (e1Args @ [ "--out"; out; "--checkpoint-steps"; "50000" ])
                let p, _, _ = run
                let ck = Path.Combine(dir, out, CheckpointFile.Name)
                Assert.True(LongRun.waitFor ck 60.0, "no checkpoint appeared")
                LongRun.signal name p.Id
                let rc, err = LongRun.finish 60 run
                Assert.True((rc = code), sprintf "SIG%s: exit %d, expected %d; stderr: %s" name rc code err)
                Assert.Contains("stopped by SIG" + name, err)
                Assert.True(File.Exists ck)
                use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, out, "results.json")))
                Assert.True(doc.RootElement.GetProperty("partial").GetBoolean())
                Assert.Equal("SIG" + name, doc.RootElement.GetProperty("execution").GetProperty("stoppedBy").GetString())
                Assert.Contains("PARTIAL", File.ReadAllText(Path.Combine(dir, out, "report.md")))
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``eta too large: divergence is a finding (step, parameters, last finite state), exit 0, no NaN in the report``() =
        let dir = CliRun.tempDir ()
        try
            let out = Path.Combine(dir, "div")
            let rc, _, err =
                CliRun.run [ "experiment"; "two-by-two"; "--eta"; "5"; "--steps"; "20000"; "--seeds"; "2"; "--offshoots"; "1"
                             "--regime-steps"; "0"; "--quiet"; "--out"; out ]
            Assert.True((rc = 0), err)
            let text = File.ReadAllText(Path.Combine(out, "results.json"))
            Assert.DoesNotContain("NaN", text)
            Assert.DoesNotContain("Infinity", text)
            use doc = JsonDocument.Parse text
            let divs = doc.RootElement.GetProperty("e1").GetProperty("divergences")
            Assert.True(divs.GetArrayLength() >= 2)
            let p = { TwoByTwo.defaults with Eta = 5.0; Steps = 20000L; Seeds = 2; Offshoots = 1 }
            let d0 = divs.[0]
            Assert.Equal(0, d0.GetProperty("chain").GetInt32())
            Assert.Equal((TwoByTwo.chain p 0).DivergenceStep.Value, d0.GetProperty("step").GetInt64())
            Assert.Equal(5.0, d0.GetProperty("eta").GetDouble())
            Assert.Contains("Divergences", File.ReadAllText(Path.Combine(out, "report.md")))
        finally
            CliRun.cleanup dir
