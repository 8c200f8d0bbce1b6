using LowRankVerify.Runner.Json;
using LowRankVerify.Theory;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>One E1 experiment of a run (the main one or one of its variants) with the cursors of its
/// runs in <c>E1.runList</c> order: SGD chains 0..N−1, SDE chains 0..M−1, then the GD control
/// (chain −1).</summary>
public sealed class E1Job(string label, E1Params parameters, E1Cursor[] cursors, double seconds)
{
    /// <summary>"main" or the variant's label.</summary>
    public string Label { get; } = label;

    /// <summary>The experiment's parameters.</summary>
    public E1Params Params { get; } = parameters;

    /// <summary>Where each run stands (updated in place by the runner, one slot per run).</summary>
    public E1Cursor[] Cursors { get; } = cursors;

    /// <summary>Wall time spent on this job so far, over every session of a resumed run.</summary>
    public double Seconds { get; set; } = seconds;

    /// <summary>True when every run is done.</summary>
    public bool Done => Cursors.All(c => c.Done);

    /// <summary>A job with every run at its start.</summary>
    public static E1Job Fresh(string label, E1Params p) =>
        new(label, p, E1.runList(p).Select(r => E1.cursorStartOf(r.Item1, p, r.Item2)).ToArray(), 0);

    /// <summary>The E1 result of a finished job.</summary>
    public E1Result Result() => E1.ofRunList(Params, Cursors.Select(E1.finish).ToArray());
}

/// <summary>The E1 part of a run (<c>experiment two-by-two</c>, or the E1 stage of <c>verify</c>): the
/// main experiment and its variants as a list of jobs, and their checkpoint fields.</summary>
public sealed class E1Plan(E1Params main, long variantSteps, int variantSeeds, List<E1Job> jobs)
{
    /// <summary>Parameters of the main experiment.</summary>
    public E1Params Main { get; } = main;

    /// <summary>Steps per chain of the variants (0: no variants).</summary>
    public long VariantSteps { get; } = variantSteps;

    /// <summary>Seeds per variant.</summary>
    public int VariantSeeds { get; } = variantSeeds;

    /// <summary>Main job first, then one per variant.</summary>
    public List<E1Job> Jobs { get; } = jobs;

    /// <summary>A plan with every run at its start.</summary>
    public static E1Plan Fresh(E1Params p, long variantSteps, int variantSeeds)
    {
        var jobs = new List<E1Job> { E1Job.Fresh("main", p) };
        if (variantSteps > 0)
            foreach (var t in E1.variants(p, variantSteps, variantSeeds))
                jobs.Add(E1Job.Fresh(t.Item1, t.Item2));
        return new E1Plan(p, variantSteps, variantSeeds, jobs);
    }

    /// <summary>Writes the plan's fields: <c>e1Parameters</c>, <c>variantSteps</c>, <c>variantSeeds</c>, <c>jobs</c>.</summary>
    public void Write(JsonOut w)
    {
        w.Key("e1Parameters"); CheckpointJson.Write(w, Main);
        w.Key("variantSteps"); w.Integer(VariantSteps);
        w.Key("variantSeeds"); w.Integer(VariantSeeds);
        w.Key("jobs");
        w.BeginArray();
        foreach (var job in Jobs)
        {
            w.BeginObject();
            w.Key("label"); w.String(job.Label);
            w.Key("seconds"); w.Number(job.Seconds, "seconds");
            w.Key("cursors");
            w.BeginArray();
            foreach (var c in job.Cursors) WriteCursor(w, c);
            w.EndArray();
            w.EndObject();
        }
        w.EndArray();
    }

    /// <summary>Writes one run's cursor, the core's <c>E1Cursor</c> as it is (<see cref="CheckpointJson"/>); also
    /// the unit state and result of <c>sweep</c>'s E1 units.</summary>
    public static void WriteCursor(JsonOut w, E1Cursor c) => CheckpointJson.Write(w, c);

    /// <summary>The checkpoint name of a run kind: sgd, gd or sde.</summary>
    public static string KindName(E1RunKind k) => k.IsSgd ? "sgd" : k.IsGd ? "gd" : "sde";

    /// <summary>Handlers for the plan's fields in <see cref="CheckpointFile.Read"/>; <paramref name="done"/>
    /// receives the plan once the jobs are read. Every count is bounded by what the parameters allow, and
    /// the parameters go through <c>E1.validate</c>, so a corrupt or mismatched checkpoint is an
    /// input error naming the field, never a crash.</summary>
    public static Dictionary<string, Action<string>> Fields(JsonCursor c, Action<E1Plan> done)
    {
        E1Params? main = null;
        long? variantSteps = null;
        int? variantSeeds = null;
        return new Dictionary<string, Action<string>>
        {
            ["e1Parameters"] = p => main = ReadParams(c, p),
            ["variantSteps"] = p => variantSteps = CheckpointFile.ReadLong(c, p, 0, 10_000_000_000L),
            ["variantSeeds"] = p => variantSeeds = (int)CheckpointFile.ReadLong(c, p, 1, 10_000),
            ["jobs"] = p =>
            {
                if (main is null || variantSteps is null || variantSeeds is null)
                    throw c.Error(p, "must come after e1Parameters, variantSteps and variantSeeds");
                var fresh = Fresh(main, variantSteps.Value, variantSeeds.Value);
                var jobs = CheckpointFile.ReadExactly(c, p, fresh.Jobs.Count, "jobs for these parameters (main + variants)",
                    (k, jp) => ReadJob(c, jp, fresh.Jobs[k]));
                done(new E1Plan(main, variantSteps.Value, variantSeeds.Value, [.. jobs]));
            },
        };
    }

    private static E1Params ReadParams(JsonCursor c, string path)
    {
        var q = CheckpointJson.Read<E1Params>(c, path, 64);
        var v = E1.validate(q);
        if (v.IsError) throw c.Error($"{path}.{v.ErrorValue.Field}", v.ErrorValue.Rule);
        return q;
    }

    private static E1Job ReadJob(JsonCursor c, string path, E1Job fresh)
    {
        string? label = null;
        double seconds = 0;
        E1Cursor[]? cursors = null;
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["label"] = p =>
            {
                label = CheckpointFile.ReadString(c, p);
                if (label != fresh.Label) throw c.Error(p, $"must be '{fresh.Label}' for these parameters, not '{label}'");
            },
            ["seconds"] = p =>
            {
                seconds = JsonSchema.ReadFinite(c, p);
                if (seconds < 0) throw c.Error(p, "must be >= 0");
            },
            ["cursors"] = p => cursors = CheckpointFile.ReadExactly(c, p, fresh.Cursors.Length,
                "cursors (one per SGD seed, one per SDE seed, then the GD control)", (k, cp) => ReadCursor(c, cp, fresh.Params, fresh.Cursors[k])),
        });
        return new E1Job(label!, fresh.Params, cursors!, seconds);
    }

    /// <summary>Reads one run's cursor for parameters <paramref name="p"/> at the position of <paramref name="fresh"/>:
    /// generically (<see cref="CheckpointJson.Read"/>, bounded by what <paramref name="p"/> allows), then every
    /// count, step and shape checked against <paramref name="p"/> (errors name the field).</summary>
    public static E1Cursor ReadCursor(JsonCursor c, string path, E1Params p, E1Cursor fresh)
    {
        var grid = E1.gridOf(p, fresh.Kind);
        var widths = E1.widths(p);
        var weights = Enumerable.Range(0, widths.Length - 1).Sum(l => (long)widths[l + 1] * widths[l]);
        var budget = 64 + weights + 2L * widths.Length + 8L * grid.Length + 8L * p.Offshoots + 2L * E1Monitor.maxRecordedEvents;
        var x = CheckpointJson.Read<E1Cursor>(c, path, budget);
        var check = new StateCheck(c, path);
        check.Equal("chain", x.Chain, fresh.Chain);
        check.That("kind", x.Kind.Equals(fresh.Kind), $"must be '{KindName(fresh.Kind)}' at this position, not '{KindName(x.Kind)}'");
        check.Range("step", x.Step, 0, p.Steps);
        check.Range("next", x.Next, 0, grid.Length);
        check.Option("divergenceStep", x.DivergenceStep, -1, p.Steps);
        check.That("next", x.Next == x.Observations.Length, $"must equal the number of observations ({x.Observations.Length}), not {x.Next}");
        for (var k = 0; k < x.Observations.Length; k++)
        {
            var o = x.Observations[k];
            check.That($"observations[{k}].step", o.Step == grid[k], $"must be {grid[k]} (the observation grid of these parameters)");
            check.Range($"observations[{k}].rank", o.Rank, 0, 2);
        }
        check.Range("offshoots", x.Offshoots.Length, 0, Math.Max(p.Offshoots, 0));
        for (var k = 0; k < x.Offshoots.Length; k++)
        {
            var f = x.Offshoots[k];
            check.Range($"offshoots[{k}].branchStep", f.BranchStep, 0, p.Steps);
            check.Range($"offshoots[{k}].steps", f.Steps, 0, p.OffshootMaxSteps);
            check.Range($"offshoots[{k}].finalRank", f.FinalRank, 0, 2);
        }
        CheckMonitor(check, x.Monitor, p.Steps);
        var started = x.Step > 0 || x.Next > 0;
        var engine = FSharpOption<EngineSnapshot>.get_IsSome(x.Engine);
        if (!x.Done && started && !engine)
            throw c.Error($"{path}.engine", "must hold the engine state of a run in progress");
        if ((x.Done || !started) && engine)
            throw c.Error($"{path}.engine", "must be null for a run that has not started or is done");
        if (engine) SnapshotJson.CheckEngine(c, $"{path}.engine", x.Engine.Value, E1.task(p), widths);
        return x;
    }

    private static void CheckMonitor(StateCheck check, E1MonitorState m, long maxStep)
    {
        var max = E1Monitor.maxRecordedEvents;
        check.Range("monitor.rank", m.Rank, -1, 2);
        check.Option("monitor.jumpStep", m.JumpStep, 0, maxStep);
        check.Option("monitor.collapseStep", m.CollapseStep, 0, maxStep);
        check.Range("monitor.returns", m.Returns, 0, int.MaxValue);
        check.Range("monitor.roundOffReturns", m.RoundOffReturns, 0, int.MaxValue);
        check.Range("monitor.b1Exits", m.B1Exits, 0, int.MaxValue);
        check.Range("monitor.stepsOutsideB1", m.StepsOutsideB1, 0, maxStep);
        check.That("monitor.maxRatioAfterJump", m.MaxRatioAfterJump >= 0, "must be >= 0");
        check.That("monitor.maxExcessAfterJump", m.MaxExcessAfterJump >= 0, "must be >= 0 (or \"Infinity\")");
        check.That("monitor.returnSteps", m.ReturnSteps.Length == Math.Min(m.Returns, max), $"must hold the first min(returns, {max}) return steps");
        check.That("monitor.b1ExitSteps", m.B1ExitSteps.Length == Math.Min(m.B1Exits, max), $"must hold the first min(b1Exits, {max}) exit steps");
        for (var k = 0; k < m.ReturnSteps.Length; k++) check.Range($"monitor.returnSteps[{k}]", m.ReturnSteps[k], 0, maxStep);
        for (var k = 0; k < m.B1ExitSteps.Length; k++) check.Range($"monitor.b1ExitSteps[{k}]", m.B1ExitSteps[k], 0, maxStep);
    }
}
