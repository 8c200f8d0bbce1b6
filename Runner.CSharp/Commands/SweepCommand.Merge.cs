namespace LowRankVerify.Runner;

// lowrank sweep merge: the report of a sweep whose units are all done.
public static partial class SweepCommand
{
    private static Command MergeCommand(IReadOnlyList<ISweepKind> kinds)
    {
        var dir = DirArgument();
        var output = Options.Out("sweep", defaultDir: "DIR/report");
        var force = Options.Force();
        var quiet = Options.Quiet();
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
            throw new InputException("DIR", $"{missing.Count} of {plan.Units.Length} unit(s) are not done: {Clip(Sweep.ranges(missing))} (run them: {RunInfo.Replay("sweep local DIR")} or {RunInfo.Replay("sweep submit DIR")}; {RunInfo.Replay("sweep status DIR")} says why)");
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
