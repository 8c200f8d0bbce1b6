namespace LowRankVerify.Runner.Reports;

/// <summary>The envelope of every results.json, the same top-level fields for every command, before the
/// command's own fields: <c>schemaVersion</c>, <c>command</c>, <c>run</c> (provenance: tool, version, commit,
/// machine, start time, command line), <c>execution</c> (how the run went: resumed, checkpoints, stopped by a
/// signal; null when the command has none), <c>partial</c>, <c>wallSeconds</c> and <c>replay</c> (the command line
/// that reproduces the results; null when there is none).</summary>
public sealed record ResultsEnvelope(string Command, RunInfo Run, object? Execution, bool Partial, double? WallSeconds, string? Replay);

/// <summary>Writes the three report files of a run: results.json (machine-readable, every parameter,
/// seed and provenance), report.md and the self-contained report.html; then points reports/latest at it.</summary>
public static class ReportWriter
{
    /// <summary>Version of the results.json layout; raised on every incompatible change.</summary>
    public const int SchemaVersion = 1;

    /// <summary>results.json: the envelope, then the properties of <paramref name="body"/> (an anonymous
    /// object or a record; names in camelCase), through the one writer <see cref="JsonOut"/>.</summary>
    public static string ResultsJson(ResultsEnvelope e, object body)
    {
        var w = new JsonOut();
        w.BeginObject();
        w.Key("schemaVersion"); w.Integer(SchemaVersion);
        w.Key("command"); w.String(e.Command);
        w.Key("run"); w.Value(e.Run);
        w.Key("execution"); w.Value(e.Execution);
        w.Key("partial"); w.Bool(e.Partial);
        w.Key("wallSeconds"); w.Value(e.WallSeconds);
        w.Key("replay"); w.Value(e.Replay);
        foreach (var (name, value) in JsonOut.Properties(body))
        {
            w.Key(name);
            w.Value(value);
        }
        w.EndObject();
        return w.ToString();
    }

    /// <summary><paramref name="results"/> as JSON text (<see cref="JsonOut.Serialize"/>).</summary>
    public static string ToJson(object results) => JsonOut.Serialize(results);

    /// <summary>Writes results.json (<see cref="ResultsJson"/>), report.md and report.html atomically, updates
    /// reports/latest, and returns a line naming the directory (and whether latest points at it).</summary>
    public static string Write(OutputDirectory dir, ResultsEnvelope envelope, object body, Document doc)
    {
        dir.WriteText("results.json", ResultsJson(envelope, body));
        dir.WriteText("report.md", doc.ToMarkdown());
        dir.WriteText("report.html", doc.ToHtml());
        var latest = dir.UpdateLatest();
        return $"report: {dir.Path}/report.md (also report.html, results.json, figures)" + (latest ? "; reports/latest names it" : "");
    }

    /// <summary>The provenance paragraph every report starts with.</summary>
    public static void AddProvenance(Document doc, RunInfo run)
    {
        doc.P($"Generated {run.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC by `{run.CommandLine}` — lowrank {run.ToolVersion}, built from commit " +
              $"`{run.GitCommit}`, machine {run.MachineName} ({run.ProcessorCount} cores, {run.Os}, {run.Runtime}). " +
              "Every parameter and seed is in `results.json`; the theory and claim IDs are those of THEORY.md " +
              "(Wang & Jacot, ICLR 2024, *Implicit bias of SGD in L2-regularized linear DNNs: one-way jumps from high to low rank*).");
    }
}
