using System.Globalization;
using System.Text.Json;
using LowRankVerify.Runner.Json;
using LowRankVerify.Theory;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>Checkpoint pieces shared by the experiments' cursors (E1's <see cref="E1Plan"/> and the
/// completion experiment's <see cref="CompletionCheckpoint"/>): the engine snapshot (θ exactly as the
/// engine holds it: unscaled weights, lazy scales, divergence bounds), random-number states as decimal
/// strings, and bounded arrays of finite numbers.</summary>
public static class SnapshotJson
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes <c>"engine": {...}</c>, or <c>null</c> for a run that has not started or is done.</summary>
    public static void WriteEngine(JsonOut w, FSharpOption<EngineSnapshot> engine)
    {
        w.Key("engine");
        if (FSharpOption<EngineSnapshot>.get_IsNone(engine)) { w.Null(); return; }
        var e = engine.Value;
        w.BeginObject();
        w.Key("weights"); w.Vector(e.Weights, "weights");
        w.Key("scales"); w.Vector(e.Scales, "scales");
        w.Key("bounds"); w.Vector(e.Bounds, "bounds");
        w.Key("weightsFinite"); w.Bool(e.WeightsFinite);
        w.EndObject();
    }

    /// <summary>Reads the value of an <c>engine</c> field: null, or a snapshot that <c>Engine.restore</c>
    /// accepts for <paramref name="task"/> and <paramref name="widths"/> (errors name the field).</summary>
    public static EngineSnapshot? ReadEngine(JsonCursor c, string path, LowRankVerify.Theory.Task task, int[] widths)
    {
        if (c.Type == JsonTokenType.Null) return null;
        var depth = widths.Length - 1;
        var size = Enumerable.Range(0, depth).Sum(l => widths[l + 1] * widths[l]);
        double[] w = [], sc = [], b = [];
        var finite = true;
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["weights"] = r => w = Numbers(c, r, size),
            ["scales"] = r => sc = Numbers(c, r, depth),
            ["bounds"] = r => b = Numbers(c, r, depth),
            ["weightsFinite"] = r => finite = CheckpointFile.ReadBool(c, r),
        });
        var engine = new EngineSnapshot(w, sc, b, finite);
        CheckEngine(c, path, engine, task, widths);
        return engine;
    }

    /// <summary>Requires <paramref name="engine"/> to be a snapshot that <c>Engine.restore</c> accepts for
    /// <paramref name="task"/> and <paramref name="widths"/> (errors name the field under <paramref name="path"/>).</summary>
    public static void CheckEngine(JsonCursor c, string path, EngineSnapshot engine, LowRankVerify.Theory.Task task, int[] widths)
    {
        var restored = Engine.restore(task, widths, engine);
        if (restored.IsError) throw c.Error($"{path}.{restored.ErrorValue.Field}", restored.ErrorValue.Rule);
    }

    /// <summary>An array of at most <paramref name="max"/> finite numbers.</summary>
    public static double[] Numbers(JsonCursor c, string path, int max) =>
        CheckpointFile.ReadList(c, path, "numbers", max, e => JsonSchema.ReadFinite(c, e)).ToArray();

    /// <summary>An unsigned 64-bit integer written as a decimal string (seeds, random-number states).</summary>
    public static ulong ReadUInt64(JsonCursor c, string path)
    {
        if (!ulong.TryParse(CheckpointFile.ReadString(c, path), NumberStyles.None, Inv, out var x))
            throw c.Error(path, "must be a string holding an unsigned 64-bit integer");
        return x;
    }
}

/// <summary>Semantic checks of a state record read generically (<see cref="CheckpointJson"/>): each names the
/// field under the record's path and the rule it breaks.</summary>
public sealed class StateCheck(JsonCursor c, string path)
{
    /// <summary>Requires <paramref name="ok"/>; else the field breaks <paramref name="rule"/>.</summary>
    public void That(string field, bool ok, string rule)
    {
        if (!ok) throw c.Error($"{path}.{field}", rule);
    }

    /// <summary>Requires <paramref name="x"/> in [<paramref name="lo"/>, <paramref name="hi"/>].</summary>
    public void Range(string field, long x, long lo, long hi) =>
        That(field, x >= lo && x <= hi, $"must be an integer in {lo}..{hi}, not {x}");

    /// <summary>Requires an absent value or one in [<paramref name="lo"/>, <paramref name="hi"/>].</summary>
    public void Option(string field, FSharpOption<long> x, long lo, long hi)
    {
        if (FSharpOption<long>.get_IsSome(x)) Range(field, x.Value, lo, hi);
    }

    /// <summary>Requires <paramref name="x"/> = <paramref name="expected"/> (the value at this position).</summary>
    public void Equal(string field, long x, long expected) =>
        That(field, x == expected, $"must be {expected} at this position, not {x}");
}
