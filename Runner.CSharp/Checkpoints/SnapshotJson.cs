using LowRankVerify.Runner.Json;
using LowRankVerify.Theory;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>The check shared by the experiments' cursors (E1's <see cref="E1Plan"/> and the completion
/// experiment's <see cref="CompletionPlan"/>): an engine snapshot (θ exactly as the engine holds it: unscaled
/// weights, lazy scales, divergence bounds) read generically must be one the engine can restore.</summary>
public static class SnapshotJson
{
    /// <summary>Requires <paramref name="engine"/> to be a snapshot that <c>Engine.restore</c> accepts for
    /// <paramref name="task"/> and <paramref name="widths"/> (errors name the field under <paramref name="path"/>).</summary>
    public static void CheckEngine(JsonCursor c, string path, EngineSnapshot engine, LowRankVerify.Theory.Task task, int[] widths)
    {
        var restored = Engine.restore(task, widths, engine);
        if (restored.IsError) throw c.Error($"{path}.{restored.ErrorValue.Field}", restored.ErrorValue.Rule);
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
