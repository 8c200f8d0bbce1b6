namespace LowRankVerify.Runner;

// lowrank sweep run (one unit, e.g. a Slurm array task) and lowrank sweep local (every unit not done, here, then the merge).
public static partial class SweepCommand
{
    private static readonly Progress Quiet = Progress.Run(true, p => p);

    private static Command Run(IReadOnlyList<ISweepKind> kinds)
    {
        var dir = DirArgument();
        var unit = new Option<int?>("--unit") { Description = "unit ID K (default: $SLURM_ARRAY_TASK_ID)" };
        var quiet = Options.Quiet();
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
        var quiet = Options.Quiet();
        var output = Options.Out("sweep", defaultDir: "DIR/report");
        var force = Options.Force();
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
}
