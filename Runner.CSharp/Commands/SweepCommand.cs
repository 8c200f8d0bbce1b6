namespace LowRankVerify.Runner;

/// <summary>The sweep kinds <c>lowrank sweep</c> knows (one line each to add a kind).</summary>
public static class SweepKinds
{
    /// <summary>Every kind.</summary>
    public static IReadOnlyList<ISweepKind> All { get; } = [new E1Sweep(), new CompletionSweep(), new ExploreSweep(), new HuntSweep()];
}

/// <summary><c>lowrank sweep plan|run|local|submit|status|merge</c>: a sweep (a grid of a command's
/// parameters times blocks of seeds) as units with stable IDs that run unchanged on one machine
/// (<c>local</c>) or as a Slurm array job (<c>submit</c>), resume from their checkpoints, and merge into
/// one report that does not depend on where they ran (docs/sweeps.md).</summary>
public static class SweepCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Builds the command.</summary>
    public static Command Create() => Create(SweepKinds.All);

    /// <summary>Builds the command over <paramref name="kinds"/> (tests add their own).</summary>
    public static Command Create(IReadOnlyList<ISweepKind> kinds)
    {
        var cmd = new Command("sweep", "Sweeps beyond one machine: plan a grid x seeds into units, run them here or as a Slurm array, merge one report.");
        cmd.Subcommands.Add(Plan(kinds));
        cmd.Subcommands.Add(Run(kinds));
        cmd.Subcommands.Add(Local(kinds));
        cmd.Subcommands.Add(Submit(kinds));
        cmd.Subcommands.Add(Status(kinds));
        cmd.Subcommands.Add(MergeCommand(kinds));
        return cmd;
    }

    private static Argument<string> DirArgument() => new("DIR") { Description = "the sweep directory (planned with `lowrank sweep plan`)" };

    private static Command Plan(IReadOnlyList<ISweepKind> kinds)
    {
        var file = new Argument<string>("SWEEP") { Description = "sweep file (JSON: command, fixed, grid, seeds, seedsPerUnit, seed)" };
        var output = new Option<string>("--out") { Description = "sweep directory to plan into (new, or holding the same sweep's plan)", Required = true };
        var cmd = new Command("plan", "Expand a sweep file into units (cell x seed block) with stable IDs; write DIR/plan.json.");
        cmd.Arguments.Add(file);
        cmd.Options.Add(output);
        cmd.SetAction(parse =>
        {
            var spec = SweepSpec.Read("SWEEP", parse.GetValue(file)!, kinds);
            var (plan, existed) = SweepPlan.Create(spec, parse.GetValue(output)!, kinds);
            var cost = plan.EstimatedSeconds();
            var sorted = cost.OrderBy(x => x).ToArray();
            Console.WriteLine($"{(existed ? "already planned (the same sweep): " : "planned ")}{plan.Units.Length} unit(s) = {plan.Cells.Length} cell(s) x {spec.BlocksPerCell} seed block(s) of at most {spec.SeedsPerUnit} seed(s) ({spec.Seeds} per cell) of '{spec.Kind.Command}'");
            Console.WriteLine($"estimated cost per unit (one core, rough): median {Seconds(sorted[sorted.Length / 2])}, min {Seconds(sorted[0])}, max {Seconds(sorted[^1])}; all units {Seconds(cost.Sum())}");
            Console.WriteLine($"plan: {Path.Combine(plan.Dir, SweepPlan.FileName)} (digest {plan.Digest[..16]}…); next: {RunInfo.Replay($"sweep submit {RunInfo.Quote(parse.GetValue(output)!)}")}  or  {RunInfo.Replay($"sweep local {RunInfo.Quote(parse.GetValue(output)!)}")}");
            return Cli.Ok;
        });
        return cmd;
    }

    private static string Seconds(double s) =>
        s < 120 ? $"{s:0.#} s" : s < 7200 ? $"{s / 60:0.#} min" : $"{s / 3600:0.#} h";

    private static readonly Progress Quiet = Progress.Run(true, p => p);

    private static Command Run(IReadOnlyList<ISweepKind> kinds)
    {
        var dir = DirArgument();
        var unit = new Option<int?>("--unit") { Description = "unit ID K (default: $SLURM_ARRAY_TASK_ID)" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output" };
        var resilience = new ResilienceOptions();
        var cmd = new Command("run", "Run one unit (continuing from its checkpoint); writes DIR/units/K/result.json atomically.");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(unit);
        cmd.Options.Add(quiet);
        cmd.Options.Add(resilience.Every);
        cmd.Options.Add(resilience.Steps);
        cmd.SetAction(parse =>
        {
            var policy = resilience.Policy(parse);
            var plan = SweepPlan.Read(parse.GetValue(dir)!, kinds);
            int id;
            if (parse.GetValue(unit) is { } k) id = k;
            else
            {
                var env = Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID");
                if (env is null) throw new InputException("--unit", "is required outside a Slurm array task (no SLURM_ARRAY_TASK_ID)");
                if (!int.TryParse(env, NumberStyles.None, Inv, out id)) throw new InputException("--unit", $"SLURM_ARRAY_TASK_ID must be a unit ID, got '{env}'");
            }
            if (id < 0 || id >= plan.Units.Length) throw new InputException("--unit", $"must be a unit ID in 0..{plan.Units.Length - 1}, got {id}");
            using var signal = new StopSignal();
            string? failure = null;
            var outcome = Progress.Run(parse.GetValue(quiet), progress => SweepUnits.Run(plan, id, policy, signal.Token, progress, out failure));
            return Report(plan, id, outcome, failure, signal);
        });
        return cmd;
    }

    private static int Report(SweepPlan plan, int id, UnitOutcome outcome, string? failure, StopSignal signal)
    {
        var u = plan.Units[id];
        var what = $"unit {id} (cell {u.Cell}{(plan.Cells[u.Cell].GridNames.Count > 0 ? ": " + plan.Cells[u.Cell].Describe() : "")}, seeds {u.SeedFrom}..{u.SeedTo - 1})";
        switch (outcome)
        {
            case UnitOutcome.Done:
                Console.WriteLine($"{what}: done -> {Path.Combine(plan.UnitDir(id), SweepUnits.ResultName)}");
                return Cli.Ok;
            case UnitOutcome.AlreadyDone:
                Console.WriteLine($"{what}: already done");
                return Cli.Ok;
            case UnitOutcome.Stopped:
                Console.Error.WriteLine($"{what}: stopped by {signal.Name}; checkpoint written, running it again continues from there");
                return signal.ExitCode == 0 ? StopSignal.SigTermExit : signal.ExitCode;
            default:
                Console.Error.WriteLine($"error: {what} failed: {failure} (units/{id}/{SweepUnits.FailureName})");
                return Cli.CheckFailed;
        }
    }

    private static Command Local(IReadOnlyList<ISweepKind> kinds)
    {
        var dir = DirArgument();
        var parallel = new Option<int>("--parallel") { Description = "units run at once (1..64; each E1 unit also uses 2 threads)", DefaultValueFactory = _ => 1 };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output" };
        var output = new Option<string?>("--out") { Description = "report directory of the merge (default DIR/report)" };
        var force = new Option<bool>("--force") { Description = "write the report into a non-empty --out directory" };
        var resilience = new ResilienceOptions();
        var cmd = new Command("local", "Run every unit not yet done on this machine, then merge the report.");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { parallel, quiet, output, force, resilience.Every, resilience.Steps }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var policy = resilience.Policy(parse);
            var p = parse.GetValue(parallel);
            if (p < 1 || p > 64) throw new InputException("--parallel", "must be an integer in 1..64");
            var plan = SweepPlan.Read(parse.GetValue(dir)!, kinds);
            var todo = plan.Units.Where(u => !SweepUnits.IsDone(plan, u.Id)).Select(u => u.Id).ToArray();
            using var signal = new StopSignal();
            var failures = new System.Collections.Concurrent.ConcurrentBag<(int Id, string Message)>();
            var stopped = 0;
            Progress.Run(parse.GetValue(quiet), progress =>
            {
                var stage = progress.Begin($"sweep: {todo.Length} unit(s) of {plan.Units.Length} to run", todo.Length);
                Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = p }, id =>
                {
                    if (signal.Stopped) { Interlocked.Increment(ref stopped); return; }
                    // each unit's own progress is silent here: the stage counts units
                    switch (SweepUnits.Run(plan, id, new CheckpointPolicy(policy.Seconds, policy.Steps), signal.Token, Quiet, out var failure))
                    {
                        case UnitOutcome.Stopped: Interlocked.Increment(ref stopped); break;
                        case UnitOutcome.Failed: failures.Add((id, failure!)); break;
                        default: stage.Advance(); break;
                    }
                });
                stage.Done();
                return 0;
            });
            if (stopped > 0 || signal.Stopped)
            {
                Console.Error.WriteLine($"stopped by {signal.Name}: {stopped} unit(s) not finished (checkpoints written); run `{RunInfo.Replay("sweep local DIR")}` again to continue");
                return signal.ExitCode == 0 ? StopSignal.SigTermExit : signal.ExitCode;
            }
            if (!failures.IsEmpty)
            {
                foreach (var (id, m) in failures.OrderBy(f => f.Id)) Console.Error.WriteLine($"error: unit {id} failed: {m}");
                return Cli.CheckFailed;
            }
            return Merge(plan, parse.GetValue(output), parse.GetValue(force), parse.GetValue(quiet));
        });
        return cmd;
    }

    private static Command Submit(IReadOnlyList<ISweepKind> kinds)
    {
        var dir = DirArgument();
        var partition = new Option<string?>("--partition") { Description = "Slurm partition" };
        var time = new Option<string?>("--time") { Description = $"time limit per unit (Slurm syntax, at least {Slurm.MinTimeSeconds / 60} min); SIGUSR1 {Slurm.SignalLeadSeconds} s before it checkpoints and requeues the unit" };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per unit (E1 units use 2 threads)", DefaultValueFactory = _ => 2 };
        var mem = new Option<string?>("--mem") { Description = "memory per unit (e.g. 2G)" };
        var maxRunning = new Option<int?>("--max-running") { Description = "most units running at once (the array's %M throttle)" };
        var account = new Option<string?>("--account") { Description = "Slurm account" };
        var qos = new Option<string?>("--qos") { Description = "Slurm QOS" };
        var every = new Option<double>("--checkpoint-every") { Description = "each unit writes its checkpoint every SECONDS (and when signalled)", DefaultValueFactory = _ => CheckpointPolicy.DefaultSeconds };
        var dry = new Option<bool>("--dry-run") { Description = "only write DIR/sweep.sbatch" };
        var cmd = new Command("submit", "Write DIR/sweep.sbatch (an array job over the units not done and not queued) and submit it with sbatch.");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { partition, time, cpus, mem, maxRunning, account, qos, every, dry }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var o = Slurm.Validate(new SubmitOptions(parse.GetValue(partition), parse.GetValue(time), parse.GetValue(cpus), parse.GetValue(mem),
                parse.GetValue(maxRunning), parse.GetValue(account), parse.GetValue(qos), CheckpointPolicy.FromOptions(parse.GetValue(every), null).Seconds));
            var plan = SweepPlan.Read(parse.GetValue(dir)!, kinds);
            var queue = parse.GetValue(dry) ? null : Slurm.Queue(plan);
            var ids = plan.Units.Where(u => !SweepUnits.IsDone(plan, u.Id) && !(queue?.ContainsKey(u.Id) ?? false)).Select(u => u.Id).ToArray();
            var queued = queue?.Count ?? 0;
            if (ids.Length == 0)
            {
                Console.WriteLine(queued > 0 ? $"nothing to submit: every unit not done ({queued}) is queued or running" : $"nothing to submit: all {plan.Units.Length} units are done; next: {RunInfo.Replay($"sweep merge {RunInfo.Quote(parse.GetValue(dir)!)}")}");
                return Cli.Ok;
            }
            if (!parse.GetValue(dry) && Slurm.MaxArraySize() is { } max && ids.Max() >= max)
                throw new InputException("DIR", $"unit {ids.Max()} exceeds the cluster's MaxArraySize - 1 = {max - 1}: plan the sweep with more seeds per unit or a smaller grid");
            Directory.CreateDirectory(Path.Combine(plan.Dir, "logs"));
            var script = Slurm.Script(plan, ids, o, Slurm.SelfCommand());
            var path = Path.Combine(plan.Dir, Slurm.ScriptName);
            OutputDirectory.WriteAtomic(path, System.Text.Encoding.UTF8.GetBytes(script));
            var array = Sweep.ranges(ids);
            if (parse.GetValue(dry))
            {
                Console.WriteLine($"wrote {path}: array {array} ({ids.Length} unit(s)); not submitted (--dry-run)");
                return Cli.Ok;
            }
            var r = Slurm.Exec("sbatch", ["--parsable", path], 120)
                    ?? throw new InputException("submit", "sbatch is not installed here (Slurm's client); use --dry-run to only write the script, or `lowrank sweep local`");
            if (r.Code != 0)
            {
                Console.Error.WriteLine($"error: sbatch failed (exit {r.Code}): {r.Err.Trim()}");
                return Cli.CheckFailed;
            }
            var job = r.Out.Trim().Split(';')[0];
            Slurm.Record(plan, job, array);
            Console.WriteLine($"submitted job {job}: array {array} ({ids.Length} unit(s){(queued > 0 ? $"; {queued} already queued" : "")}); script {path}; logs {Path.Combine(plan.Dir, "logs")}/unit-K.log");
            Console.WriteLine(job);
            return Cli.Ok;
        });
        return cmd;
    }

    private static Command Status(IReadOnlyList<ISweepKind> kinds)
    {
        var dir = DirArgument();
        var lines = new Option<int>("--log-lines") { Description = "last log lines shown per failure (0..200)", DefaultValueFactory = _ => 10 };
        var cmd = new Command("status", "Units done, running, pending, stopped, failed and missing (unit directories, squeue, sacct), with each failure's last log lines.");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(lines);
        cmd.SetAction(parse =>
        {
            var n = parse.GetValue(lines);
            if (n < 0 || n > 200) throw new InputException("--log-lines", "must be an integer in 0..200");
            var plan = SweepPlan.Read(parse.GetValue(dir)!, kinds);
            var s = SweepStatus.Of(plan);
            Console.WriteLine(s.Line());
            foreach (var (state, ids) in s.ByState.Where(kv => kv.Key != SweepStatus.Done && kv.Value.Count > 0))
                Console.WriteLine($"  {state}: {Clip(Sweep.ranges(ids))}");
            foreach (var (id, message) in s.Failures.Take(20))
            {
                Console.WriteLine($"unit {id} failed: {message}");
                var log = Path.Combine(plan.Dir, "logs", $"unit-{id}.log");
                if (n > 0 && File.Exists(log))
                {
                    Console.WriteLine($"  last lines of {log}:");
                    foreach (var l in File.ReadLines(log).TakeLast(n)) Console.WriteLine("    " + l);
                }
            }
            if (s.Failures.Count > 20) Console.WriteLine($"... and {s.Failures.Count - 20} more failed unit(s)");
            return Cli.Ok;
        });
        return cmd;
    }

    private static string Clip(string s) => s.Length <= 300 ? s : s[..300] + "…";

    private static Command MergeCommand(IReadOnlyList<ISweepKind> kinds)
    {
        var dir = DirArgument();
        var output = new Option<string?>("--out") { Description = "report directory (default DIR/report)" };
        var force = new Option<bool>("--force") { Description = "write the report into a non-empty --out directory" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output" };
        var cmd = new Command("merge", "Once every unit is done: the sweep's report (results.json, report.md, report.html, figures).");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(output);
        cmd.Options.Add(force);
        cmd.Options.Add(quiet);
        cmd.SetAction(parse => Merge(SweepPlan.Read(parse.GetValue(dir)!, kinds), parse.GetValue(output), parse.GetValue(force), parse.GetValue(quiet)));
        return cmd;
    }

    /// <summary>Merges a sweep whose units are all done (exit 2 naming the missing ones otherwise) into
    /// <paramref name="output"/> (default DIR/report), streaming the units one at a time.</summary>
    public static int Merge(SweepPlan plan, string? output, bool force, bool quiet)
    {
        var missing = plan.Units.Where(u => !SweepUnits.IsDone(plan, u.Id)).Select(u => u.Id).ToList();
        if (missing.Count > 0)
            throw new InputException("DIR", $"{missing.Count} of {plan.Units.Length} unit(s) are not done: {Clip(Sweep.ranges(missing))} (run them: lowrank sweep local DIR or lowrank sweep submit DIR; lowrank sweep status DIR says why)");
        var run = RunInfo.Collect(Environment.GetCommandLineArgs().Skip(1).ToArray());
        var dir = OutputDirectory.Prepare(output ?? Path.Combine(plan.Dir, "report"), "sweep", force || output is null, run.StartedUtc);
        var merger = plan.Kind.Merger(plan);
        var seconds = Progress.Run(quiet, progress =>
        {
            var stage = progress.Begin($"merge {plan.Units.Length} unit(s)", plan.Units.Length);
            var total = 0.0;
            foreach (var u in plan.Units)
            {
                total += SweepUnits.ReadResult(plan, u, merger);
                stage.Advance();
            }
            stage.Done();
            return total;
        });
        var merged = merger.Finish(dir);
        var where = SweepReport.Write(dir, plan, merged, seconds, run);
        Console.WriteLine(merged.ConsoleLine);
        Console.WriteLine(where);
        return Cli.Ok;
    }
}
