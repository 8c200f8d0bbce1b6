using System.Globalization;
using System.Text.Json;
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

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the plan's fields: <c>e1Parameters</c>, <c>variantSteps</c>, <c>variantSeeds</c>, <c>jobs</c>.</summary>
    public void Write(JsonOut w)
    {
        var p = Main;
        w.Key("e1Parameters");
        w.BeginObject();
        w.Key("epsilon"); w.Number(p.Epsilon, "epsilon");
        w.Key("depth"); w.Integer(p.Depth);
        w.Key("width"); w.Integer(p.Width);
        w.Key("eta"); w.Number(p.Eta, "eta");
        w.Key("lambda"); w.Number(p.Lambda, "lambda");
        w.Key("steps"); w.Integer(p.Steps);
        w.Key("seeds"); w.Integer(p.Seeds);
        w.Key("sde"); w.Bool(p.Sde);
        w.Key("seed"); w.String(p.Seed.ToString(Inv));
        w.Key("offshoots"); w.Integer(p.Offshoots);
        w.Key("offshootEta"); w.Number(p.OffshootEta, "offshootEta");
        w.Key("offshootLambda"); w.Number(p.OffshootLambda, "offshootLambda");
        w.Key("offshootMaxSteps"); w.Integer(p.OffshootMaxSteps);
        w.Key("observationsPerDecade"); w.Integer(p.ObservationsPerDecade);
        w.EndObject();
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

    /// <summary>Writes one run's cursor (also the unit state and result of <c>sweep</c>'s E1 units).</summary>
    public static void WriteCursor(JsonOut w, E1Cursor c)
    {
        w.BeginObject();
        w.Key("chain"); w.Integer(c.Chain);
        w.Key("kind"); w.String(KindName(c.Kind));
        w.Key("step"); w.Integer(c.Step);
        w.Key("next"); w.Integer(c.Next);
        w.Key("rng"); w.String(c.Rng.State.ToString(Inv));
        w.Key("done"); w.Bool(c.Done);
        w.Key("divergenceStep");
        if (FSharpOption<long>.get_IsSome(c.DivergenceStep)) w.Integer(c.DivergenceStep.Value); else w.Null();
        // null before the first step and after the last (E1Cursor.Engine is None then).
        SnapshotJson.WriteEngine(w, c.Engine);
        var o = c.Observations;
        w.Key("observations");
        w.BeginObject();
        w.Key("step"); w.Vector(o.Select(x => (double)x.Step).ToArray(), "step");
        w.Key("s1"); w.Vector(o.Select(x => x.S1).ToArray(), "s1");
        w.Key("s2"); w.Vector(o.Select(x => x.S2).ToArray(), "s2");
        w.Key("ratio"); w.Vector(o.Select(x => x.Ratio).ToArray(), "ratio");
        w.Key("testError"); w.Vector(o.Select(x => x.TestError).ToArray(), "testError");
        w.Key("inB1"); w.Integers(o.Select(x => x.InB1 ? 1 : 0).ToArray());
        w.Key("rank"); w.Integers(o.Select(x => x.Rank).ToArray());
        w.EndObject();
        w.Key("offshoots");
        w.BeginArray();
        foreach (var f in c.Offshoots)
        {
            w.BeginObject();
            w.Key("branchStep"); w.Integer(f.BranchStep);
            w.Key("steps"); w.Integer(f.Steps);
            w.Key("converged"); w.Bool(f.Converged);
            w.Key("finalTestError"); w.Number(f.FinalTestError, "finalTestError");
            w.Key("finalRatio"); w.Number(f.FinalRatio, "finalRatio");
            w.Key("finalRank"); w.Integer(f.FinalRank);
            w.Key("diverged"); w.Bool(f.Diverged);
            w.EndObject();
        }
        w.EndArray();
        WriteMonitor(w, c.Monitor);
        w.EndObject();
    }

    /// <summary>The checkpoint name of a run kind: sgd, gd or sde.</summary>
    public static string KindName(E1RunKind k) => k.IsSgd ? "sgd" : k.IsGd ? "gd" : "sde";

    private static void WriteMonitor(JsonOut w, E1MonitorState m)
    {
        void Opt(string key, FSharpOption<long> o)
        {
            w.Key(key);
            if (FSharpOption<long>.get_IsSome(o)) w.Integer(o.Value); else w.Null();
        }
        w.Key("monitor");
        w.BeginObject();
        w.Key("seenRankTwo"); w.Bool(m.SeenRankTwo);
        w.Key("rank"); w.Integer(m.Rank);
        w.Key("inB1"); w.Bool(m.InB1);
        Opt("jumpStep", m.JumpStep);
        Opt("collapseStep", m.CollapseStep);
        w.Key("returns"); w.Integer(m.Returns);
        w.Key("returnSteps"); w.Vector(m.ReturnSteps.Select(x => (double)x).ToArray(), "returnSteps");
        w.Key("roundOffReturns"); w.Integer(m.RoundOffReturns);
        w.Key("b1Exits"); w.Integer(m.B1Exits);
        w.Key("b1ExitSteps"); w.Vector(m.B1ExitSteps.Select(x => (double)x).ToArray(), "b1ExitSteps");
        w.Key("stepsOutsideB1"); w.Integer(m.StepsOutsideB1);
        w.Key("maxRatioAfterJump"); w.Number(m.MaxRatioAfterJump, "maxRatioAfterJump");
        // +infinity (a run that left every bound of B_1 before diverging) is stored as -1.
        w.Key("maxExcessAfterJump"); w.Number(double.IsFinite(m.MaxExcessAfterJump) ? m.MaxExcessAfterJump : -1, "maxExcessAfterJump");
        w.EndObject();
    }

    private static E1MonitorState ReadMonitor(JsonCursor c, string path, long maxStep)
    {
        bool seen = false, inB1 = false;
        int rank = -1, returns = 0, roundOff = 0, exits = 0;
        long? jump = null, collapse = null;
        long outside = 0;
        double maxRatio = 0, maxExcess = 0;
        long[] returnSteps = [], exitSteps = [];
        long[] Steps(string q) => CheckpointFile.ReadList(c, q, "steps", E1Monitor.maxRecordedEvents, e => CheckpointFile.ReadLong(c, e, 0, maxStep)).ToArray();
        long? OptStep(string q) => c.Type == JsonTokenType.Null ? null : CheckpointFile.ReadLong(c, q, 0, maxStep);
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["seenRankTwo"] = q => seen = CheckpointFile.ReadBool(c, q),
            ["rank"] = q => rank = (int)CheckpointFile.ReadLong(c, q, -1, 2),
            ["inB1"] = q => inB1 = CheckpointFile.ReadBool(c, q),
            ["jumpStep"] = q => jump = OptStep(q),
            ["collapseStep"] = q => collapse = OptStep(q),
            ["returns"] = q => returns = (int)CheckpointFile.ReadLong(c, q, 0, int.MaxValue),
            ["returnSteps"] = q => returnSteps = Steps(q),
            ["roundOffReturns"] = q => roundOff = (int)CheckpointFile.ReadLong(c, q, 0, int.MaxValue),
            ["b1Exits"] = q => exits = (int)CheckpointFile.ReadLong(c, q, 0, int.MaxValue),
            ["b1ExitSteps"] = q => exitSteps = Steps(q),
            ["stepsOutsideB1"] = q => outside = CheckpointFile.ReadLong(c, q, 0, maxStep),
            ["maxRatioAfterJump"] = q =>
            {
                maxRatio = JsonSchema.ReadFinite(c, q);
                if (maxRatio < 0) throw c.Error(q, "must be >= 0");
            },
            ["maxExcessAfterJump"] = q =>
            {
                maxExcess = JsonSchema.ReadFinite(c, q);
                if (maxExcess < 0 && maxExcess != -1) throw c.Error(q, "must be >= 0 (or -1 for an infinite excess)");
                if (maxExcess == -1) maxExcess = double.PositiveInfinity;
            },
        });
        if (returnSteps.Length != Math.Min(returns, E1Monitor.maxRecordedEvents))
            throw c.Error($"{path}.returnSteps", $"must hold the first min(returns, {E1Monitor.maxRecordedEvents}) return steps");
        if (exitSteps.Length != Math.Min(exits, E1Monitor.maxRecordedEvents))
            throw c.Error($"{path}.b1ExitSteps", $"must hold the first min(b1Exits, {E1Monitor.maxRecordedEvents}) exit steps");
        return new E1MonitorState(seen, rank, inB1,
            jump is { } j ? FSharpOption<long>.Some(j) : FSharpOption<long>.None,
            collapse is { } k ? FSharpOption<long>.Some(k) : FSharpOption<long>.None,
            returns, returnSteps, roundOff, exits, exitSteps, outside, maxRatio, maxExcess);
    }

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
                var jobs = CheckpointFile.ReadList(c, p, "jobs", fresh.Jobs.Count, jp =>
                {
                    var k = int.Parse(jp[(jp.LastIndexOf('[') + 1)..^1], Inv);
                    return ReadJob(c, jp, fresh.Jobs[k]);
                });
                if (jobs.Count != fresh.Jobs.Count)
                    throw c.Error(p, $"must hold {fresh.Jobs.Count} jobs for these parameters (main + variants), not {jobs.Count}");
                done(new E1Plan(main, variantSteps.Value, variantSeeds.Value, jobs));
            },
        };
    }

    private static E1Params ReadParams(JsonCursor c, string path)
    {
        double eps = 0, eta = 0, lambda = 0, offEta = 0, offLambda = 0;
        int depth = 0, width = 0, seeds = 0, offshoots = 0, perDecade = 0;
        var sde = false;
        long steps = 0, offSteps = 0;
        ulong seed = 0;
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["epsilon"] = p => eps = JsonSchema.ReadFinite(c, p),
            ["depth"] = p => depth = JsonSchema.ReadInt(c, p),
            ["width"] = p => width = JsonSchema.ReadInt(c, p),
            ["eta"] = p => eta = JsonSchema.ReadFinite(c, p),
            ["lambda"] = p => lambda = JsonSchema.ReadFinite(c, p),
            ["steps"] = p => steps = CheckpointFile.ReadLong(c, p, 1, 10_000_000_000L),
            ["seeds"] = p => seeds = JsonSchema.ReadInt(c, p),
            ["sde"] = p => sde = CheckpointFile.ReadBool(c, p),
            ["seed"] = p => seed = SnapshotJson.ReadUInt64(c, p),
            ["offshoots"] = p => offshoots = JsonSchema.ReadInt(c, p),
            ["offshootEta"] = p => offEta = JsonSchema.ReadFinite(c, p),
            ["offshootLambda"] = p => offLambda = JsonSchema.ReadFinite(c, p),
            ["offshootMaxSteps"] = p => offSteps = CheckpointFile.ReadLong(c, p, 1, 10_000_000_000L),
            ["observationsPerDecade"] = p => perDecade = JsonSchema.ReadInt(c, p),
        });
        var q = new E1Params(eps, depth, width, eta, lambda, steps, seeds, sde, seed, offshoots, offEta, offLambda, offSteps, perDecade);
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
            ["cursors"] = p =>
            {
                var list = CheckpointFile.ReadList(c, p, "cursors", fresh.Cursors.Length, cp =>
                {
                    var k = int.Parse(cp[(cp.LastIndexOf('[') + 1)..^1], Inv);
                    return ReadCursor(c, cp, fresh.Params, fresh.Cursors[k]);
                });
                if (list.Count != fresh.Cursors.Length)
                    throw c.Error(p, $"must hold {fresh.Cursors.Length} cursors (one per SGD seed, one per SDE seed, then the GD control), not {list.Count}");
                cursors = list.ToArray();
            },
        });
        return new E1Job(label!, fresh.Params, cursors!, seconds);
    }

    /// <summary>Reads one run's cursor for parameters <paramref name="p"/> at the position of <paramref name="fresh"/> (strict).</summary>
    public static E1Cursor ReadCursor(JsonCursor c, string path, E1Params p, E1Cursor fresh)
    {
        var grid = E1.gridOf(p, fresh.Kind);
        var widths = E1.widths(p);
        int chain = 0, next = 0;
        long step = 0;
        ulong rng = 0;
        bool done = false;
        long? divergence = null;
        EngineSnapshot? engine = null;
        double[] st = [], s1 = [], s2 = [], ratio = [], err = [], inB = [], rank = [];
        var offs = new List<E1Offshoot>();
        var monitor = E1Monitor.empty;
        double[] Vec(string q, int max) => SnapshotJson.Numbers(c, q, max);
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["chain"] = q =>
            {
                chain = JsonSchema.ReadInt(c, q);
                if (chain != fresh.Chain) throw c.Error(q, $"must be {fresh.Chain} at this position, not {chain}");
            },
            ["kind"] = q =>
            {
                var kind = CheckpointFile.ReadString(c, q);
                if (kind != KindName(fresh.Kind)) throw c.Error(q, $"must be '{KindName(fresh.Kind)}' at this position, not '{kind}'");
            },
            ["monitor"] = q => monitor = ReadMonitor(c, q, p.Steps),
            ["step"] = q => step = CheckpointFile.ReadLong(c, q, 0, p.Steps),
            ["next"] = q => next = (int)CheckpointFile.ReadLong(c, q, 0, grid.Length),
            ["rng"] = q => rng = SnapshotJson.ReadUInt64(c, q),
            ["done"] = q => done = CheckpointFile.ReadBool(c, q),
            ["divergenceStep"] = q => divergence = c.Type == JsonTokenType.Null ? null : CheckpointFile.ReadLong(c, q, -1, p.Steps),
            ["engine"] = q => engine = SnapshotJson.ReadEngine(c, q, E1.task(p), widths),
            ["observations"] = q => JsonSchema.ReadObject(c, q, new Dictionary<string, Action<string>>
            {
                ["step"] = r => st = Vec(r, grid.Length),
                ["s1"] = r => s1 = Vec(r, grid.Length),
                ["s2"] = r => s2 = Vec(r, grid.Length),
                ["ratio"] = r => ratio = Vec(r, grid.Length),
                ["testError"] = r => err = Vec(r, grid.Length),
                ["inB1"] = r => inB = Vec(r, grid.Length),
                ["rank"] = r => rank = Vec(r, grid.Length),
            }),
            ["offshoots"] = q => offs = CheckpointFile.ReadList(c, q, "offshoots", Math.Max(p.Offshoots, 0), r =>
            {
                long branch = 0, steps = 0;
                bool converged = false, diverged = false;
                double fe = 0, fr = 0;
                int frank = 0;
                JsonSchema.ReadObject(c, r, new Dictionary<string, Action<string>>
                {
                    ["branchStep"] = x => branch = CheckpointFile.ReadLong(c, x, 0, p.Steps),
                    ["steps"] = x => steps = CheckpointFile.ReadLong(c, x, 0, p.OffshootMaxSteps),
                    ["converged"] = x => converged = CheckpointFile.ReadBool(c, x),
                    ["finalTestError"] = x => fe = JsonSchema.ReadFinite(c, x),
                    ["finalRatio"] = x => fr = JsonSchema.ReadFinite(c, x),
                    ["finalRank"] = x => frank = (int)CheckpointFile.ReadLong(c, x, 0, 2),
                    ["diverged"] = x => diverged = CheckpointFile.ReadBool(c, x),
                });
                return new E1Offshoot(branch, steps, converged, fe, fr, frank, diverged);
            }),
        });
        var n = st.Length;
        if (new[] { s1, s2, ratio, err, inB, rank }.Any(a => a.Length != n))
            throw c.Error($"{path}.observations", "every column must have the same length");
        if (n != next)
            throw c.Error($"{path}.next", $"must equal the number of observations ({n}), not {next}");
        for (var k = 0; k < n; k++)
        {
            if (st[k] != grid[k]) throw c.Error($"{path}.observations.step[{k}]", $"must be {grid[k]} (the observation grid of these parameters)");
            if (inB[k] is not (0 or 1)) throw c.Error($"{path}.observations.inB1[{k}]", "must be 0 or 1");
            if (rank[k] is not (0 or 1 or 2)) throw c.Error($"{path}.observations.rank[{k}]", "must be 0, 1 or 2");
        }
        var started = step > 0 || next > 0;
        if (!done && started && engine is null)
            throw c.Error($"{path}.engine", "must hold the engine state of a run in progress");
        if ((done || !started) && engine is not null)
            throw c.Error($"{path}.engine", "must be null for a run that has not started or is done");
        var obs = Enumerable.Range(0, n)
            .Select(k => new E1Observation((long)st[k], s1[k], s2[k], ratio[k], err[k], inB[k] == 1, (int)rank[k])).ToArray();
        return new E1Cursor(chain, fresh.Kind, step, next, new Rng(rng),
            engine is null ? FSharpOption<EngineSnapshot>.None : FSharpOption<EngineSnapshot>.Some(engine), obs, offs.ToArray(),
            monitor, divergence is { } d ? FSharpOption<long>.Some(d) : FSharpOption<long>.None, done);
    }
}
