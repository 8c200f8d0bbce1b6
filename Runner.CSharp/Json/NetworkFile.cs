namespace LowRankVerify.Runner.Json;

/// <summary>The network file <c>{"layers": [W_1, ..., W_L]}</c>, each W an array of rows (W_1 is
/// n_1 × d_in, W_L is d_out × n_{L-1}; THEORY.md §1).</summary>
public static class NetworkFile
{
    /// <summary>Reads and validates a network file: strict JSON, at most <c>Network.maxParameters</c>
    /// weights in total (checked while reading), then the core's <c>Network.ofRowArrays</c> (shapes
    /// chain, finite) and <c>Network.validate</c> against the task's d_out × d_in.</summary>
    public static Network Read(string option, string? path, LowRankVerify.Theory.Task task)
    {
        var layers = new List<double[][]>();
        using (var c = InputFile.Open(option, path))
        {
            long budget = 0;
            JsonSchema.ReadDocument(c, new Dictionary<string, Action<string>>
            {
                ["layers"] = p => JsonSchema.ReadArray(c, p, "matrices", nonEmpty: true, (_, layerPath) =>
                    layers.Add(JsonSchema.ReadMatrix(c, layerPath, ref budget, NetworkModule.maxParameters, p, "hold"))),
            });
        }
        var built = NetworkModule.ofRowArrays(layers.ToArray());
        if (built.IsError)
            throw InputFile.FromCore(built.ErrorValue, option, path!);
        var shaped = NetworkModule.validate(FSharpOption<Tuple<int, int>>.Some(Tuple.Create(task.DOut, task.DIn)), built.ResultValue);
        return shaped.IsOk ? shaped.ResultValue : throw InputFile.FromCore(shaped.ErrorValue, option, path!);
    }

    /// <summary>The network in the same file format, one row per line (round-trip numbers).</summary>
    public static string Write(Network net)
    {
        var w = new JsonOut();
        w.BeginObject();
        w.Key("layers");
        w.BeginArray();
        for (var l = 0; l < net.W.Length; l++)
            w.Matrix(net.W[l].ToRowArrays(), $"layers[{l}]");
        w.EndArray();
        w.EndObject();
        return w.ToString();
    }
}
