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
