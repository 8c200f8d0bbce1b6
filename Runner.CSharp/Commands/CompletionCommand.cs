namespace LowRankVerify.Runner;

/// <summary><c>lowrank experiment completion</c>: the rank ladder B_R ⊃ … ⊃ B_1 on general completion
/// tasks (core <c>Completion</c>): SGD chains, their SDE twins and the GD control, rank-level events, offshoots, report,
/// checkpoints. See docs/completion.md.</summary>
public static partial class CompletionCommand
{
    /// <summary>The command's name in reports and checkpoints.</summary>
    public const string CommandName = "experiment completion";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string R(double x) => x.ToString("R", Inv);

    /// <summary>The arguments that give exactly <paramref name="p"/> (every parameter explicit, the engine
    /// resolved): stored in the checkpoint and used for the replay line. A file task is named by
    /// <paramref name="taskPath"/>.</summary>
    public static string[] CanonicalArgs(CompletionParams p, string taskPath)
    {
        var a = new List<string> { "completion" };
        void Add(string option, string value) { a.Add(option); a.Add(value); }
        switch (p.Source)
        {
            case TaskSource.Blocks b: Add("--family", "blocks"); Add("--blocks", b.blocks.ToString(Inv)); Add("--epsilon", R(b.epsilon)); break;
            case TaskSource.Random r:
                Add("--family", "random"); Add("--size", r.size.ToString(Inv)); Add("--rank", r.rank.ToString(Inv));
                Add("--observed", R(r.observed)); Add("--task-seed", r.taskSeed.ToString(Inv)); break;
            default: Add("--task", taskPath); break;
        }
        Add("--depth", p.Depth.ToString(Inv)); Add("--width", p.Width.ToString(Inv)); Add("--init", CompletionTask.startName(p.Start));
        Add("--eta", R(p.Eta)); Add("--lambda", R(p.Lambda)); Add("--steps", p.Steps.ToString(Inv)); Add("--seeds", p.Seeds.ToString(Inv));
        Add("--seed", p.Seed.ToString(Inv)); Add("--offshoots", p.Offshoots.ToString(Inv)); Add("--offshoot-eta", R(p.OffshootEta));
        Add("--offshoot-lambda", R(p.OffshootLambda)); Add("--offshoot-steps", p.OffshootMaxSteps.ToString(Inv));
        Add("--gd-steps", p.GdSteps.ToString(Inv)); Add("--sde", p.Sde ? "on" : "off");
        if (p.Sde) Add("--sde-steps", p.SdeSteps.ToString(Inv));
        Add("--event-interval", p.EventInterval.ToString(Inv));
        Add("--alpha", R(p.Ladder.Alpha)); Add("--eps1", R(p.Ladder.Eps1)); Add("--eps2", R(p.Ladder.Eps2)); Add("--C", R(p.Ladder.C));
        Add("--f", FAlpha.name(p.Ladder.Family)); Add("--engine", p.Mode.IsLanes ? "ensemble" : "single");
        return a.ToArray();
    }

    /// <summary>The command line that replays a run.</summary>
    public static string ReplayCommand(string[] canonical) =>
        RunInfo.Replay("experiment " + string.Join(' ', canonical.Select(RunInfo.Quote)));

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var o = new CompletionOptions();
        var cmd = new Command("completion", "The rank ladder on general completion tasks: SGD chains step down B_R ⊃ … ⊃ B_1, GD control, SDE twins, offshoots, report (docs/completion.md).");
        var run = new LongRun(cmd, CommandName, "experiment-completion", o.All, quiet: "no progress output, only the final lines");
        cmd.SetAction(parse => run.Run(parse,
            resume: dir =>
            {
                var path = CheckpointFile.Locate(dir);
                var task = TaskFile.Read("--resume", Path.Combine(dir, "task.json"));
                CompletionPlan? loaded = null;
                CheckpointFile.Read(path, CommandName, c => CompletionPlan.Fields(c,
                    args => HuntCheckpoint.Reparse(cmd, args, path, q => o.Read(q, task)), pl => loaded = pl));
                return loaded!;
            },
            fresh: () =>
            {
                var p = o.Read(parse, null);
                return CompletionPlan.Fresh(p, CanonicalArgs(p, parse.GetValue(o.Task) ?? "task.json"));
            },
            created: (dir, plan) => dir.WriteText("task.json", TaskFile.Write(plan.Params.Task)),
            save: (w, plan) => plan.Write(w),
            work: (x, plan, progress) => CompletionRunner.Run(plan, x.Policy, x.Signal.Token, progress, x.Save),
            stopped: (x, plan) => PartialReport.Write(x.Dir, x.Run, CommandName, x.Signal, "completionProgress", "runs", plan.Progress(), [], x.ResumedFrom, x.Policy),
            report: (x, plan) =>
            {
                var result = plan.Result();
                var replay = ReplayCommand(CanonicalArgs(result.Params, Path.Combine(x.Dir.Path, "task.json")));
                var doc = x.Document("LowRankVerify: the rank ladder on a completion task");
                CompletionReport.AddSection(doc, result, plan.Seconds, CompletionReport.WriteFigures(x.Dir, result), replay);
                var where = x.Write(doc, new { completion = CompletionReport.Json(result, plan.Seconds, replay) }, replay);
                Console.WriteLine(CompletionReport.ConsoleLine(result, plan.Seconds));
                Console.WriteLine(where);
                return Cli.Ok;
            }));
        return cmd;
    }
}
