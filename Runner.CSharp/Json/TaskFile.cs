namespace LowRankVerify.Runner.Json;

/// <summary>The task file <c>{"target": [[...], ...], "observed": [[i, j], ...]}</c>: the true matrix
/// A* row-major (d_out rows of d_in numbers) and the observed entries, zero-based (THEORY.md §1).</summary>
public static class TaskFile
{
    /// <summary>Reads and validates a task file: strict JSON (<see cref="JsonSchema"/>), at most
    /// <c>Task.maxEntries</c> target entries and observed pairs (checked while reading), then the
    /// core's <c>Task.create</c> (rectangular, finite, in-range, no duplicates, non-empty).</summary>
    public static LowRankVerify.Theory.Task Read(string option, string? path)
    {
        double[][]? target = null;
        var observed = new List<int[]>();
        using (var c = InputFile.Open(option, path))
        {
            long budget = 0;
            JsonSchema.ReadDocument(c, new Dictionary<string, Action<string>>
            {
                ["target"] = p => target = JsonSchema.ReadMatrix(c, p, ref budget, TaskModule.maxEntries, p, "holds"),
                ["observed"] = p => JsonSchema.ReadArray(c, p, "pairs [i, j]", nonEmpty: true, (k, pairPath) =>
                {
                    if (k >= TaskModule.maxEntries)
                        throw c.Error(p, $"lists more than {TaskModule.maxEntries} entries");
                    var pair = new int[2];
                    var n = JsonSchema.ReadArray(c, pairPath, "two integers", nonEmpty: false, (m, indexPath) =>
                    {
                        if (m >= 2)
                            throw c.Error(pairPath, "must be a pair [i, j] of two integers, got more than two");
                        pair[m] = JsonSchema.ReadInt(c, indexPath);
                    });
                    if (n != 2)
                        throw c.Error(pairPath, $"must be a pair [i, j] of two integers, got {n}");
                    observed.Add(pair);
                }),
            });
        }
        var result = TaskModule.create(target, observed.ToArray());
        return result.IsOk ? result.ResultValue : throw InputFile.FromCore(result.ErrorValue, option, path!);
    }

    /// <summary>The task as a task file (the format <see cref="Read"/> accepts; numbers in round-trip form,
    /// so the file reads back bit for bit).</summary>
    public static string Write(LowRankVerify.Theory.Task task)
    {
        var w = new JsonOut();
        w.BeginObject();
        w.Key("target");
        w.Matrix(task.Target.ToRowArrays(), "target");
        w.Key("observed");
        w.BeginArray();
        foreach (var (i, j) in task.Observed) w.Integers([i, j]);
        w.EndArray();
        w.EndObject();
        return w.ToString();
    }
}
