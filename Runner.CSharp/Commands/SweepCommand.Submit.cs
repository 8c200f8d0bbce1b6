namespace LowRankVerify.Runner;

// lowrank sweep submit: the units not done and not queued as a Slurm array job.
public static partial class SweepCommand
{
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
        var every = new ResilienceOptions().Every; // each unit checkpoints into its own directory
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
                    ?? throw new InputException("submit", $"sbatch is not installed here (Slurm's client); use --dry-run to only write the script, or `{RunInfo.Replay("sweep local DIR")}`");
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
}
