namespace LowRankVerify.Runner;

/// <summary><c>lowrank hunt --claim C1|C2|C3|C4|C6</c>: targeted counterexample search (THEORY.md §4,
/// core <c>Hunt</c>): hill climbing with restarts over the generators' parameters, shrinking, the
/// round-off status of each candidate; a store of confirmed cases, a report, optionally the random-testing
/// baseline and regression files. Exit 0 when no confirmed counterexample was found, 1 when one was
/// (a control hunt is expected to exit 1), 2 on invalid input.</summary>
public static partial class HuntCommand
{
    /// <summary>Command name in checkpoints.</summary>
    public const string CommandName = "hunt";

    /// <summary>The command line that replays a hunt: its arguments without the options that do not change the
    /// result, with the evaluation count that makes it deterministic.</summary>
    public static string ReplayCommand(string[] args, HuntResult r) =>
        RunInfo.Replay(args, ["--budget", "--evaluations", "--out", "--save-regression", "--checkpoint-every", "--checkpoint-steps"],
            ["--force", "--quiet", "--compare-random"], $" --evaluations {r.Evaluations} --budget 86400");

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var h = new HuntOptions();
        var compare = new Option<bool>("--compare-random") { Description = "also run plain random testing (same generator, same budget) and report time to the first confirmed counterexample of both" };
        var save = new Option<string?>("--save-regression") { Description = "folder (e.g. Properties/regressions) to write confirmed C1 counterexamples into, in the format dotnet test replays" };
        var cmd = new Command("hunt", "Targeted counterexample search for a claim (hill climbing, shrinking, round-off status); store, report.");
        var run = new LongRun(cmd, CommandName, "hunt", [.. h.All, compare, save], outExtra: "; counterexamples/ in it is the store");
        cmd.SetAction(parse => run.Run(parse,
            resume: dir =>
            {
                HuntState? loaded = null;
                var (a, read) = HuntCheckpoint.ReadWithArgs(CheckpointFile.Locate(dir), CommandName, cmd,
                    q => (Settings: h.Read(q), Compare: q.GetValue(compare), Save: q.GetValue(save)),
                    r => FSharpOption<LowRankVerify.Theory.Task>.get_IsSome(r.Settings.Overrides.Task) ? r.Settings.Overrides.Task.Value : null,
                    (c, parsed) => new Dictionary<string, Action<string>>
                    {
                        ["state"] = p => loaded = HuntCheckpoint.ReadState(c, p, parsed(p).Settings),
                    });
                return new Plan(read.Settings, loaded!, a, read.Compare, read.Save);
            },
            fresh: () =>
            {
                var settings = h.Read(parse);
                return new Plan(settings, Hunt.start(settings), Environment.GetCommandLineArgs().Skip(1).ToArray(), parse.GetValue(compare), parse.GetValue(save));
            },
            save: (w, pl) =>
            {
                HuntCheckpoint.WriteArgs(w, pl.Args);
                HuntCheckpoint.WriteTaskDigest(w, FSharpOption<LowRankVerify.Theory.Task>.get_IsSome(pl.Task) ? pl.Task.Value : null);
                w.Key("state");
                HuntCheckpoint.WriteState(w, pl.State);
            },
            work: Work,
            stopped: (x, pl) => x.Stopped(null,
                [$"hunt {pl.Settings.Claim.Text}: {pl.State.Evaluations} of at most {pl.Settings.MaxEvaluations} evaluations ({pl.State.Seconds:0.0} of {pl.Settings.MaxSeconds:0.#} s), {pl.State.Confirmed.Length} confirmed counterexample(s) so far"]),
            report: (x, pl) => HuntReport.Finish(x, pl.Settings, pl.Result!, pl.Random, ReplayCommand(pl.Args, pl.Result!), pl.SaveFolder)));
        return cmd;
    }
}
