namespace LowRankVerify.Runner;

/// <summary><c>lowrank explore</c>: the map of "small enough η and λ" (THEORY.md §4, core <c>Explore</c>):
/// <c>--claim C1</c> maps where closure holds over an (η, λ) grid with the best constants found and
/// compares it with the derived regime; <c>--dynamics</c> maps E1's phases over (η, λ, L). Writes a report
/// with figures. Exit 0 (a map has no pass/fail), 2 on invalid input.</summary>
public static partial class ExploreCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var o = new ExploreOptions();
        var cmd = new Command("explore", "Map of small enough eta and lambda: where C1 holds (vs the derived regime), or E1's dynamics phases (--dynamics).");
        var run = new LongRun(cmd, CommandName, "explore", o.All);
        string[] args = Environment.GetCommandLineArgs().Skip(1).ToArray();
        cmd.SetAction(parse => run.Run(parse,
            resume: dir =>
            {
                var (stored, loaded) = HuntCheckpoint.ReadWithArgs(CheckpointFile.Locate(dir), CommandName, cmd, o.Read, pl => pl.Task,
                    (c, plan) => new Dictionary<string, Action<string>>
                    {
                        ["closureCells"] = p =>
                        {
                            var pl = plan(p);
                            if (c.Type == JsonTokenType.Null && pl.ClosureGrid.Length == 0) return;
                            if (pl.ClosureGrid.Length == 0) throw c.Error(p, "must be null (the run has no C1 map)");
                            pl.Closure = ExploreCheckpoint.ReadClosureCells(c, p, pl.ClosureGrid, pl.Evaluations);
                        },
                        ["dynamicsCells"] = p =>
                        {
                            var pl = plan(p);
                            if (c.Type == JsonTokenType.Null && pl.Dyn is null) return;
                            if (pl.Dyn is null) throw c.Error(p, "must be null (the run has no dynamics map)");
                            pl.Dynamics = ExploreCheckpoint.ReadDynamicsCells(c, p, pl.DynGrid, pl.Dyn.Steps, pl.Dyn.Seeds);
                        },
                    });
                args = stored;
                return loaded;
            },
            fresh: () => o.Read(parse),
            save: (w, pl) =>
            {
                HuntCheckpoint.WriteArgs(w, args);
                HuntCheckpoint.WriteTaskDigest(w, pl.Task);
                w.Key("closureCells");
                if (pl.Task is null) w.Null(); else ExploreCheckpoint.WriteClosureCells(w, pl.Closure);
                w.Key("dynamicsCells");
                if (pl.Dyn is null) w.Null(); else ExploreCheckpoint.WriteDynamicsCells(w, pl.Dynamics);
            },
            work: (x, pl, progress) =>
                Cells(progress, "C1 map", pl.Task is null ? [] : pl.Closure, x.Boundary, k =>
                    Explore.closureCell(pl.Task!, pl.Depth, pl.Rank, pl.Family, pl.Kappas, pl.Evaluations, pl.Seed, pl.ClosureGrid[k].Item1, pl.ClosureGrid[k].Item2))
                && Cells(progress, "E1 dynamics map", pl.Dyn is null ? [] : pl.Dynamics, x.Boundary, k =>
                    Explore.dynamicsCell(pl.Dyn!, pl.Dyn!.Steps, pl.Dyn.Seeds, ExperimentCommand.Threads, pl.DynGrid[k].Item1, pl.DynGrid[k].Item2, pl.DynGrid[k].Item3)),
            stopped: (x, pl) => x.Stopped(null,
                [$"C1 map: {pl.Closure.Count(c => c is not null)} of {pl.Closure.Length} cells", $"E1 dynamics map: {pl.Dynamics.Count(c => c is not null)} of {pl.Dynamics.Length} cells"]),
            report: (x, pl) => ExploreReport.Finish(x, pl, Replay(args))));
        return cmd;
    }

    /// <summary>Computes every cell of <paramref name="cells"/> not yet computed (as a progress stage called
    /// <paramref name="stage"/>), calling <paramref name="boundary"/> after each; false when it says stop.</summary>
    private static bool Cells<T>(Progress progress, string stage, T?[] cells, Func<bool> boundary, Func<int, T> compute) where T : class
    {
        if (cells.Length == 0) return true;
        var st = progress.Begin(stage, cells.Length);
        st.Advance(cells.Count(x => x is not null));
        for (var k = 0; k < cells.Length; k++)
        {
            if (cells[k] is not null) continue;
            cells[k] = compute(k);
            st.Advance();
            if (!boundary()) return false;
        }
        st.Done();
        return true;
    }

    /// <summary>Command name in checkpoints.</summary>
    public const string CommandName = "explore";

    /// <summary>The replay line: the original arguments without the options that do not change the maps (--out, --force, --quiet, checkpoint policy).</summary>
    public static string Replay(string[] args) =>
        RunInfo.Replay(args, ["--checkpoint-every", "--checkpoint-steps", "--out"], ["--force", "--quiet"]);
}
