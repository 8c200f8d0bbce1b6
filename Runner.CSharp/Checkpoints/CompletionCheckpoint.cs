using System.Diagnostics;
using LowRankVerify.Runner.Json;
using LowRankVerify.Runner.Reports;
using LowRankVerify.Theory;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>A completion experiment in progress: its parameters, the original arguments (re-parsed on
/// resume with the same validation), and the cursors of its run units (<c>Completion.cursors</c>: the SDE
/// twins in chain order, the SGD units in chain order, then the GD control).</summary>
public sealed class CompletionPlan(CompletionParams parameters, string[] args, CompletionCursor[] cursors, double seconds)
{
    /// <summary>The parameters.</summary>
    public CompletionParams Params { get; } = parameters;

    /// <summary>The command's arguments after <c>experiment</c> (first: <c>completion</c>).</summary>
    public string[] Args { get; } = args;

    /// <summary>Where each unit stands (updated in place by <see cref="CompletionRunner"/>).</summary>
    public CompletionCursor[] Cursors { get; } = cursors;

    /// <summary>Wall time spent so far, over every session of a resumed run.</summary>
    public double Seconds { get; set; } = seconds;

    /// <summary>True when every unit is done.</summary>
    public bool Done => Cursors.All(c => c.Done);

    /// <summary>A plan with every unit at its start.</summary>
    public static CompletionPlan Fresh(CompletionParams p, string[] args) => new(p, args, Completion.cursors(p), 0);

    /// <summary>The result of a finished plan.</summary>
    public CompletionResult Result() => Completion.ofCursors(Params, Cursors);

    /// <summary>Rows of the partial report: the SGD chains, the SDE twins (when they run) and the GD control.</summary>
    public List<PartialReport.JobProgress> Progress()
    {
        PartialReport.JobProgress Row(string label, CompletionCursor[] units, long horizon) => new(label,
            units.Sum(u => u.Done ? u.Records.Length : 0), units.Sum(u => u.Records.Length), units.Sum(u => u.Step * u.Records.Length),
            units.Sum(u => u.Records.Length) * horizon, units.Sum(u => u.Records.Count(r => FSharpOption<long>.get_IsSome(r.DivergenceStep))), Seconds);
        var rows = new List<PartialReport.JobProgress> { Row("SGD chains", Cursors.Where(c => c.Kind.IsSgd).ToArray(), Params.Steps) };
        if (Params.Sde) rows.Add(Row("SDE twins", Cursors.Where(c => c.Kind.IsSde).ToArray(), Params.SdeSteps));
        rows.Add(Row("GD control", Cursors.Where(c => c.Kind.IsGd).ToArray(), Params.GdSteps));
        return rows;
    }

    /// <summary>Writes the checkpoint fields: <c>args</c>, <c>taskDigest</c>, <c>seconds</c>, <c>cursors</c>.</summary>
    public void Write(JsonOut w)
    {
        HuntCheckpoint.WriteArgs(w, Args);
        HuntCheckpoint.WriteTaskDigest(w, Params.Task);
        w.Key("seconds"); w.Number(Seconds, "seconds");
        w.Key("cursors");
        w.BeginArray();
        foreach (var c in Cursors) WriteCursor(w, c);
        w.EndArray();
    }

    private static string KindName(ChainKind k) => k.IsGd ? "gd" : k.IsSde ? "sde" : "sgd";

    /// <summary>Writes one cursor, the core's <c>CompletionCursor</c> as it is (<see cref="CheckpointJson"/>);
    /// also the unit state and result of a completion sweep unit (<c>CompletionSweep</c>).</summary>
    public static void WriteCursor(JsonOut w, CompletionCursor c) => CheckpointJson.Write(w, c);

    /// <summary>Handlers for the plan's fields in <see cref="CheckpointFile.Read"/>. <paramref name="reparse"/>
    /// turns the stored arguments into parameters (the same validation as a fresh run); the task digest must
    /// match that task; every count is bounded by what the parameters allow and every cursor must sit where
    /// a unit of these parameters can (kind, chains, grid, levels, engine shape), so a corrupt or mismatched
    /// checkpoint is an input error naming the field, never a crash. <paramref name="done"/> receives the plan.</summary>
    public static Dictionary<string, Action<string>> Fields(JsonCursor c, Func<string[], CompletionParams> reparse, Action<CompletionPlan> done)
    {
        string[]? args = null;
        CompletionParams? p = null;
        var digest = false;
        double seconds = 0;
        var secondsRead = false;
        return new Dictionary<string, Action<string>>
        {
            ["args"] = q =>
            {
                args = HuntCheckpoint.ReadArgs(c, q);
                p = reparse(args);
            },
            ["taskDigest"] = q =>
            {
                if (p is null) throw c.Error(q, "must come after args");
                HuntCheckpoint.CheckTaskDigest(c, q, p.Task);
                digest = true;
            },
            ["seconds"] = q =>
            {
                seconds = JsonSchema.ReadFinite(c, q);
                if (seconds < 0) throw c.Error(q, "must be >= 0");
                secondsRead = true;
            },
            ["cursors"] = q =>
            {
                if (p is null || !digest || !secondsRead) throw c.Error(q, "must come after args, taskDigest and seconds");
                var fresh = Completion.cursors(p);
                var list = CheckpointFile.ReadExactly(c, q, fresh.Length, "cursors (the SDE twins, the SGD units, then the GD control)",
                    (k, cp) => ReadCursor(c, cp, p, fresh[k]));
                done(new CompletionPlan(p, args!, list, seconds));
            },
        };
    }

    /// <summary>Reads a cursor written by <see cref="WriteCursor"/> for the position of <paramref name="fresh"/>:
    /// generically (<see cref="CheckpointJson.Read"/>, bounded by what <paramref name="p"/> allows), then its kind,
    /// chains, counts, steps, levels and engine or ensemble shape checked against <paramref name="p"/> (errors
    /// name the field).</summary>
    public static CompletionCursor ReadCursor(JsonCursor c, string path, CompletionParams p, CompletionCursor fresh)
    {
        var grid = Completion.gridOf(p, fresh.Kind);
        var horizon = Completion.horizonOf(p, fresh.Kind);
        var widths = Completion.widthsOf(p);
        var units = fresh.Records.Length;
        var weights = Enumerable.Range(0, p.Depth).Sum(l => (long)widths[l + 1] * widths[l]);
        var laneSize = (units + Ensemble.lanes - 1) / Ensemble.lanes * Ensemble.lanes * weights;
        // Only SGD chains take offshoots; at most one event per check: one per interval and one per grid point.
        var maxOffshoots = fresh.Kind.IsSgd ? Math.Max(p.Offshoots, 0) : 0;
        var maxEvents = Math.Min(int.MaxValue - 1, horizon / p.EventInterval + grid.Length + 1);
        var perRecord = 16 + 3 * maxEvents + grid.Length * (16L + Completion.leading + 2L * p.Depth) + 9L * maxOffshoots;
        var x = CheckpointJson.Read<CompletionCursor>(c, path, 64 + weights + 2L * p.Depth + laneSize + units * (1 + perRecord));
        var check = new StateCheck(c, path);
        var top = p.Ladder.Top;
        check.That("kind", x.Kind.Equals(fresh.Kind), $"must be \"{KindName(fresh.Kind)}\" at this position");
        check.Range("step", x.Step, 0, horizon);
        check.Range("next", x.Next, 0, grid.Length);
        check.Range("checked", x.Checked, -1, horizon);
        check.That("rngs", x.Rngs.Length == units, $"must hold {units} states (one per run of the unit)");
        var lanesMode = fresh.Kind.IsSgd && p.Mode.IsLanes;
        var engine = FSharpOption<EngineSnapshot>.get_IsSome(x.Engine);
        var lanes = FSharpOption<double[]>.get_IsSome(x.Lanes);
        if (engine) SnapshotJson.CheckEngine(c, $"{path}.engine", x.Engine.Value, p.Task, widths);
        if (lanes) check.That("lanes", x.Lanes.Value.Length == laneSize, $"must hold {laneSize} numbers (the ensemble's weights), not {x.Lanes.Value.Length}");
        check.That("records", x.Records.Length == units, $"must hold {units} records (one per run of the unit)");
        for (var k = 0; k < units; k++)
        {
            var r = x.Records[k];
            var at = $"records[{k}]";
            check.That($"{at}.chain", r.Chain == fresh.Records[k].Chain, $"must be {fresh.Records[k].Chain} at this position");
            check.Range($"{at}.level", r.Level, -1, top);
            check.Option($"{at}.divergenceStep", r.DivergenceStep, 0, horizon);
            check.Option($"{at}.fixedPointStep", r.FixedPointStep, 0, horizon);
            check.Range($"{at}.events", r.Events.Length, 0, maxEvents);
            for (var e = 0; e < r.Events.Length; e++)
            {
                check.Range($"{at}.events[{e}].step", r.Events[e].Step, 0, horizon);
                check.Range($"{at}.events[{e}].fromRank", r.Events[e].FromRank, 0, top);
                check.Range($"{at}.events[{e}].toRank", r.Events[e].ToRank, 0, top);
            }
            check.Range($"{at}.observations", r.Observations.Length, 0, grid.Length);
            for (var o = 0; o < r.Observations.Length; o++)
            {
                var ob = r.Observations[o];
                var op = $"{at}.observations[{o}]";
                check.That($"{op}.step", ob.Step == grid[o], $"must be {grid[o]} (the observation grid of these parameters)");
                check.Range($"{op}.singular", ob.Singular.Length, 0, Completion.leading);
                check.Range($"{op}.numericalRank", ob.NumericalRank, 0, top);
                check.Range($"{op}.level", ob.Level, 0, top);
                check.Range($"{op}.balancedness", ob.Balancedness.Length, 0, p.Depth);
                check.Range($"{op}.layerNorms", ob.LayerNorms.Length, 0, p.Depth);
            }
            check.Range($"{at}.offshoots", r.Offshoots.Length, 0, maxOffshoots);
            for (var o = 0; o < r.Offshoots.Length; o++)
            {
                var f = r.Offshoots[o];
                var op = $"{at}.offshoots[{o}]";
                check.Range($"{op}.branchStep", f.BranchStep, 0, p.Steps);
                check.Range($"{op}.branchLevel", f.BranchLevel, 0, top);
                check.Range($"{op}.steps", f.Steps, 0, p.OffshootMaxSteps);
                check.Range($"{op}.finalLevel", f.FinalLevel, 0, top);
            }
        }
        var started = x.Step > 0 || x.Checked >= 0;
        if (!x.Done && started && !(lanesMode ? lanes : engine))
            throw c.Error($"{path}.{(lanesMode ? "lanes" : "engine")}", "must hold the state of a unit in progress");
        if ((x.Done || !started) && (engine || lanes))
            throw c.Error($"{path}.engine", "must be null for a unit that has not started or is done (and lanes too)");
        if (lanesMode && engine) throw c.Error($"{path}.engine", "must be null for an ensemble unit");
        if (!lanesMode && lanes) throw c.Error($"{path}.lanes", "must be null for a single-run unit");
        foreach (var r in x.Records.Where(r => FSharpOption<long>.get_IsNone(r.DivergenceStep)))
            check.That("next", r.Observations.Length == x.Next, $"must equal the number of observations of each live run ({r.Observations.Length}), not {x.Next}");
        return x;
    }
}

/// <summary>Runs a <see cref="CompletionPlan"/> in rounds of segments (<see cref="Rounds"/>,
/// <c>Completion.advance</c>), so it can stop at any round boundary and write a checkpoint there;
/// segmenting does not change the result (property-tested), so a resumed run reports exactly what an
/// uninterrupted one would. Progress counts chain steps; a GD step weighs d_in chain steps (its measured cost
/// ratio: 11, 36 and 94 SGD steps at d = w = 8, 20 and 100), an SDE step <c>Completion.sdeCostRatio</c> = 2·d_in.</summary>
public static class CompletionRunner
{
    /// <summary>Work units of one cursor's steps for the progress bar.</summary>
    private static double Work(CompletionParams p, CompletionCursor c) => Weight(p, c.Kind) * c.Step * c.Records.Length;

    /// <summary>Chain steps one step of a run of <paramref name="kind"/> weighs.</summary>
    private static double Weight(CompletionParams p, ChainKind kind) =>
        kind.IsGd ? p.Task.DIn : kind.IsSde ? Completion.sdeCostRatio(p.Task) : 1.0;

    /// <summary>Advances every unfinished unit; see <see cref="Rounds.Run"/>.</summary>
    public static bool Run(CompletionPlan plan, CheckpointPolicy policy, CancellationToken stop, Progress progress, Action checkpoint)
    {
        var p = plan.Params;
        // The plan's own runs (all of the experiment's, or a sweep unit's chains and, in its first block, the control).
        var chains = plan.Cursors.Where(c => c.Kind.IsSgd).Sum(c => c.Records.Length);
        var sde = plan.Cursors.Where(c => c.Kind.IsSde).Sum(c => c.Records.Length);
        var gdRuns = plan.Cursors.Count(c => c.Kind.IsGd);
        var total = (double)chains * p.Steps + gdRuns * (double)p.Task.DIn * p.GdSteps + Weight(p, ChainKind.Sde) * sde * p.SdeSteps;
        var stage = progress.Begin($"completion: {chains} SGD chains{(sde > 0 ? $" + {sde} SDE twins" : "")}{(gdRuns > 0 ? " + GD control" : "")}", total);
        stage.Advance(plan.Cursors.Sum(c => Work(p, c)));
        var clock = Stopwatch.StartNew();
        var before = plan.Seconds;
        var ok = Rounds.Run(plan.Cursors, c => c.Done,
            (_, c) =>
            {
                var n = Completion.advance(p, c, policy.SegmentSteps(Completion.segmentSteps(p, c)));
                // A unit that finished early (divergence, a GD fixed point) has the rest of its work counted at once.
                var done = n.Done ? Weight(p, c.Kind) * Completion.horizonOf(p, c.Kind) * n.Records.Length : Work(p, n);
                stage.Advance(done - Work(p, c));
                return n;
            },
            ExperimentCommand.Threads, null, policy, stop, () => plan.Seconds = before + clock.Elapsed.TotalSeconds, checkpoint);
        if (ok) stage.Done();
        return ok;
    }

}
