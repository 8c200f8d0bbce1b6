using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
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

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

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

    /// <summary>Writes one cursor (a run unit: its position, streams, engine or ensemble state, records);
    /// also the unit state and result of a completion sweep unit (<c>CompletionSweep</c>).</summary>
    public static void WriteCursor(JsonOut w, CompletionCursor c)
    {
        w.BeginObject();
        w.Key("kind"); w.String(KindName(c.Kind));
        w.Key("step"); w.Integer(c.Step);
        w.Key("next"); w.Integer(c.Next);
        w.Key("checked"); w.Integer(c.Checked);
        w.Key("rngs");
        w.BeginArray();
        foreach (var r in c.Rngs) w.String(r.State.ToString(Inv));
        w.EndArray();
        w.Key("done"); w.Bool(c.Done);
        SnapshotJson.WriteEngine(w, c.Engine);
        w.Key("lanes");
        if (FSharpOption<double[]>.get_IsSome(c.Lanes)) w.Vector(c.Lanes.Value, "lanes"); else w.Null();
        w.Key("records");
        w.BeginArray();
        foreach (var r in c.Records) WriteRecord(w, r);
        w.EndArray();
        w.EndObject();
    }

    private static void OptionalStep(JsonOut w, string key, FSharpOption<long> x)
    {
        w.Key(key);
        if (FSharpOption<long>.get_IsSome(x)) w.Integer(x.Value); else w.Null();
    }

    private static void WriteRecord(JsonOut w, ChainRecord r)
    {
        w.BeginObject();
        w.Key("chain"); w.Integer(r.Chain);
        w.Key("level"); w.Integer(r.Level);
        OptionalStep(w, "divergenceStep", r.DivergenceStep);
        OptionalStep(w, "fixedPointStep", r.FixedPointStep);
        w.Key("events");
        w.BeginObject();
        w.Key("step"); w.Vector(r.Events.Select(e => (double)e.Step).ToArray(), "step");
        w.Key("fromRank"); w.Integers(r.Events.Select(e => e.FromRank).ToArray());
        w.Key("toRank"); w.Integers(r.Events.Select(e => e.ToRank).ToArray());
        w.EndObject();
        var o = r.Observations;
        w.Key("observations");
        w.BeginObject();
        w.Key("step"); w.Vector(o.Select(x => (double)x.Step).ToArray(), "step");
        w.Key("singular"); w.Matrix(o.Select(x => x.Singular).ToArray(), "singular");
        w.Key("numericalRank"); w.Integers(o.Select(x => x.NumericalRank).ToArray());
        w.Key("productRank"); w.Vector(o.Select(x => x.ProductRank).ToArray(), "productRank");
        w.Key("level"); w.Integers(o.Select(x => x.Level).ToArray());
        w.Key("maxLayerRank"); w.Vector(o.Select(x => x.MaxLayerRank).ToArray(), "maxLayerRank");
        w.Key("balancedness"); w.Matrix(o.Select(x => x.Balancedness).ToArray(), "balancedness");
        w.Key("layerNorms"); w.Matrix(o.Select(x => x.LayerNorms).ToArray(), "layerNorms");
        w.Key("balanced"); w.Integers(o.Select(x => x.Balanced ? 1 : 0).ToArray());
        w.Key("bounded"); w.Integers(o.Select(x => x.Bounded ? 1 : 0).ToArray());
        w.Key("testError"); w.Vector(o.Select(x => x.TestError).ToArray(), "testError");
        w.Key("trainError"); w.Vector(o.Select(x => x.TrainError).ToArray(), "trainError");
        w.Key("gradientNorm"); w.Vector(o.Select(x => x.GradientNorm).ToArray(), "gradientNorm");
        w.EndObject();
        w.Key("offshoots");
        w.BeginArray();
        foreach (var f in r.Offshoots)
        {
            w.BeginObject();
            w.Key("branchStep"); w.Integer(f.BranchStep);
            w.Key("branchLevel"); w.Integer(f.BranchLevel);
            w.Key("steps"); w.Integer(f.Steps);
            w.Key("converged"); w.Bool(f.Converged);
            w.Key("diverged"); w.Bool(f.Diverged);
            w.Key("finalTestError"); w.Number(f.FinalTestError, "finalTestError");
            w.Key("finalTrainError"); w.Number(f.FinalTrainError, "finalTrainError");
            w.Key("finalLevel"); w.Integer(f.FinalLevel);
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
    }

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
                var list = CheckpointFile.ReadList(c, q, "cursors", fresh.Length, cp =>
                {
                    var k = int.Parse(cp[(cp.LastIndexOf('[') + 1)..^1], Inv);
                    return ReadCursor(c, cp, p, fresh[k]);
                });
                if (list.Count != fresh.Length)
                    throw c.Error(q, $"must hold {fresh.Length} cursors (the SDE twins, the SGD units, then the GD control), not {list.Count}");
                done(new CompletionPlan(p, args!, list.ToArray(), seconds));
            },
        };
    }

    private static FSharpOption<long> ReadOptionalStep(JsonCursor c, string path, long max) =>
        c.Type == JsonTokenType.Null ? FSharpOption<long>.None : FSharpOption<long>.Some(CheckpointFile.ReadLong(c, path, 0, max));

    private static int[] Ints(JsonCursor c, string path, int max, int lo, int hi) =>
        CheckpointFile.ReadList(c, path, "integers", max, e => (int)CheckpointFile.ReadLong(c, e, lo, hi)).ToArray();

    private static double[][] Rows(JsonCursor c, string path, int max, int width) =>
        CheckpointFile.ReadList(c, path, "rows", max, e => SnapshotJson.Numbers(c, e, width)).ToArray();

    /// <summary>Reads a cursor written by <see cref="WriteCursor"/> for the position of <paramref name="fresh"/>
    /// (its kind, chains and engine shape), strictly: every count is bounded by <paramref name="p"/> and an
    /// error names the field.</summary>
    public static CompletionCursor ReadCursor(JsonCursor c, string path, CompletionParams p, CompletionCursor fresh)
    {
        var kind = KindName(fresh.Kind);
        var grid = Completion.gridOf(p, fresh.Kind);
        var horizon = Completion.horizonOf(p, fresh.Kind);
        var widths = Completion.widthsOf(p);
        var units = fresh.Records.Length;
        long step = 0, chk = -1;
        int next = 0;
        var done = false;
        var rngs = new List<Rng>();
        EngineSnapshot? engine = null;
        double[]? lanes = null;
        var records = new List<ChainRecord>();
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["kind"] = q =>
            {
                if (CheckpointFile.ReadString(c, q) != kind) throw c.Error(q, $"must be \"{kind}\" at this position");
            },
            ["step"] = q => step = CheckpointFile.ReadLong(c, q, 0, horizon),
            ["next"] = q => next = (int)CheckpointFile.ReadLong(c, q, 0, grid.Length),
            ["checked"] = q => chk = CheckpointFile.ReadLong(c, q, -1, horizon),
            ["rngs"] = q =>
            {
                rngs = CheckpointFile.ReadList(c, q, "states", units, e => new Rng(SnapshotJson.ReadUInt64(c, e)));
                if (rngs.Count != units) throw c.Error(q, $"must hold {units} states (one per run of the unit)");
            },
            ["done"] = q => done = CheckpointFile.ReadBool(c, q),
            ["engine"] = q => engine = SnapshotJson.ReadEngine(c, q, p.Task, widths),
            ["lanes"] = q =>
            {
                if (c.Type == JsonTokenType.Null) return;
                var size = (units + Ensemble.lanes - 1) / Ensemble.lanes * Ensemble.lanes *
                           Enumerable.Range(0, p.Depth).Sum(l => widths[l + 1] * widths[l]);
                lanes = SnapshotJson.Numbers(c, q, size);
                if (lanes.Length != size) throw c.Error(q, $"must hold {size} numbers (the ensemble's weights), not {lanes.Length}");
            },
            ["records"] = q =>
            {
                records = CheckpointFile.ReadList(c, q, "records", units, rp =>
                {
                    var k = int.Parse(rp[(rp.LastIndexOf('[') + 1)..^1], Inv);
                    return ReadRecord(c, rp, p, fresh.Kind, fresh.Records[k], grid);
                });
                if (records.Count != units) throw c.Error(q, $"must hold {units} records (one per run of the unit)");
            },
        });
        var started = step > 0 || chk >= 0;
        var lanesMode = fresh.Kind.IsSgd && p.Mode.IsLanes;
        var hasState = lanesMode ? lanes is not null : engine is not null;
        if (!done && started && !hasState)
            throw c.Error($"{path}.{(lanesMode ? "lanes" : "engine")}", "must hold the state of a unit in progress");
        if ((done || !started) && (engine is not null || lanes is not null))
            throw c.Error($"{path}.engine", "must be null for a unit that has not started or is done (and lanes too)");
        if (lanesMode && engine is not null) throw c.Error($"{path}.engine", "must be null for an ensemble unit");
        if (!lanesMode && lanes is not null) throw c.Error($"{path}.lanes", "must be null for a single-run unit");
        foreach (var r in records.Where(r => FSharpOption<long>.get_IsNone(r.DivergenceStep)))
            if (r.Observations.Length != next)
                throw c.Error($"{path}.next", $"must equal the number of observations of each live run ({r.Observations.Length}), not {next}");
        return new CompletionCursor(fresh.Kind, step, next, chk, rngs.ToArray(),
            engine is null ? FSharpOption<EngineSnapshot>.None : FSharpOption<EngineSnapshot>.Some(engine),
            lanes is null ? FSharpOption<double[]>.None : FSharpOption<double[]>.Some(lanes), records.ToArray(), done);
    }

    private static ChainRecord ReadRecord(JsonCursor c, string path, CompletionParams p, ChainKind kind, ChainRecord fresh, long[] grid)
    {
        var top = p.Ladder.Top;
        var horizon = Completion.horizonOf(p, kind);
        // Only SGD chains take offshoots.
        var maxOffshoots = kind.IsSgd ? Math.Max(p.Offshoots, 0) : 0;
        int level = -1;
        FSharpOption<long> divergence = FSharpOption<long>.None, fixedPoint = FSharpOption<long>.None;
        double[] es = [], st = [], pr = [], mlr = [], te = [], tr = [], gn = [];
        int[] ef = [], et = [], nr = [], lv = [], bal = [], bnd = [];
        double[][] sg = [], bl = [], ln = [];
        var offs = new List<CompletionOffshoot>();
        // At most one event per check: one per interval and one per grid point.
        var maxEvents = (int)Math.Min(int.MaxValue - 1, horizon / p.EventInterval + grid.Length + 1);
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["chain"] = q =>
            {
                if (JsonSchema.ReadInt(c, q) != fresh.Chain) throw c.Error(q, $"must be {fresh.Chain} at this position");
            },
            ["level"] = q => level = (int)CheckpointFile.ReadLong(c, q, -1, top),
            ["divergenceStep"] = q => divergence = ReadOptionalStep(c, q, horizon),
            ["fixedPointStep"] = q => fixedPoint = ReadOptionalStep(c, q, horizon),
            ["events"] = q => JsonSchema.ReadObject(c, q, new Dictionary<string, Action<string>>
            {
                ["step"] = r => es = SnapshotJson.Numbers(c, r, maxEvents),
                ["fromRank"] = r => ef = Ints(c, r, maxEvents, 0, top),
                ["toRank"] = r => et = Ints(c, r, maxEvents, 0, top),
            }),
            ["observations"] = q => JsonSchema.ReadObject(c, q, new Dictionary<string, Action<string>>
            {
                ["step"] = r => st = SnapshotJson.Numbers(c, r, grid.Length),
                ["singular"] = r => sg = Rows(c, r, grid.Length, Completion.leading),
                ["numericalRank"] = r => nr = Ints(c, r, grid.Length, 0, top),
                ["productRank"] = r => pr = SnapshotJson.Numbers(c, r, grid.Length),
                ["level"] = r => lv = Ints(c, r, grid.Length, 0, top),
                ["maxLayerRank"] = r => mlr = SnapshotJson.Numbers(c, r, grid.Length),
                ["balancedness"] = r => bl = Rows(c, r, grid.Length, p.Depth),
                ["layerNorms"] = r => ln = Rows(c, r, grid.Length, p.Depth),
                ["balanced"] = r => bal = Ints(c, r, grid.Length, 0, 1),
                ["bounded"] = r => bnd = Ints(c, r, grid.Length, 0, 1),
                ["testError"] = r => te = SnapshotJson.Numbers(c, r, grid.Length),
                ["trainError"] = r => tr = SnapshotJson.Numbers(c, r, grid.Length),
                ["gradientNorm"] = r => gn = SnapshotJson.Numbers(c, r, grid.Length),
            }),
            ["offshoots"] = q => offs = CheckpointFile.ReadList(c, q, "offshoots", maxOffshoots, r =>
            {
                long branch = 0, steps = 0;
                int bLevel = 0, fLevel = 0;
                bool converged = false, diverged = false;
                double fe = 0, ft = 0;
                JsonSchema.ReadObject(c, r, new Dictionary<string, Action<string>>
                {
                    ["branchStep"] = x => branch = CheckpointFile.ReadLong(c, x, 0, p.Steps),
                    ["branchLevel"] = x => bLevel = (int)CheckpointFile.ReadLong(c, x, 0, top),
                    ["steps"] = x => steps = CheckpointFile.ReadLong(c, x, 0, p.OffshootMaxSteps),
                    ["converged"] = x => converged = CheckpointFile.ReadBool(c, x),
                    ["diverged"] = x => diverged = CheckpointFile.ReadBool(c, x),
                    ["finalTestError"] = x => fe = JsonSchema.ReadFinite(c, x),
                    ["finalTrainError"] = x => ft = JsonSchema.ReadFinite(c, x),
                    ["finalLevel"] = x => fLevel = (int)CheckpointFile.ReadLong(c, x, 0, top),
                });
                return new CompletionOffshoot(branch, bLevel, steps, converged, diverged, fe, ft, fLevel);
            }),
        });
        if (ef.Length != es.Length || et.Length != es.Length)
            throw c.Error($"{path}.events", "every column must have the same length");
        var n = st.Length;
        if (new[] { sg.Length, nr.Length, pr.Length, lv.Length, mlr.Length, bl.Length, ln.Length, bal.Length, bnd.Length, te.Length, tr.Length, gn.Length }.Any(x => x != n))
            throw c.Error($"{path}.observations", "every column must have the same length");
        for (var k = 0; k < n; k++)
            if (st[k] != grid[k]) throw c.Error($"{path}.observations.step[{k}]", $"must be {grid[k]} (the observation grid of these parameters)");
        var events = Enumerable.Range(0, es.Length).Select(k =>
        {
            if (es[k] != Math.Floor(es[k]) || es[k] < 0 || es[k] > horizon) throw c.Error($"{path}.events.step[{k}]", $"must be an integer in 0..{horizon}");
            return new LevelEvent((long)es[k], ef[k], et[k]);
        }).ToArray();
        var obs = Enumerable.Range(0, n).Select(k => new CompletionObservation((long)st[k], sg[k], nr[k], pr[k], lv[k], mlr[k], bl[k], ln[k],
            bal[k] == 1, bnd[k] == 1, te[k], tr[k], gn[k])).ToArray();
        return new ChainRecord(fresh.Chain, level, events, obs, offs.ToArray(), divergence, fixedPoint);
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
