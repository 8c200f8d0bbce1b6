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
