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
public static partial class SweepCommand
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
}
