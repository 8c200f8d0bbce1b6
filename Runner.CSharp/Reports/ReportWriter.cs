using System.Text.Json.Serialization;

namespace LowRankVerify.Runner.Reports;

/// <summary>Writes the three report files of a run: results.json (machine-readable, every parameter,
/// seed and provenance), report.md and the self-contained report.html; then points reports/latest at it.</summary>
public static class ReportWriter
{
    /// <summary>Version of the results.json layout; raised on every incompatible change.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serialises <paramref name="results"/> (anonymous objects and records) as indented JSON.</summary>
    public static string ToJson(object results) => CompactArrays(JsonSerializer.Serialize(results, Options)) + "\n";

    /// <summary>Puts arrays of plain numbers and booleans on one line (indented JSON would give each
    /// number its own line); strings and nested objects are left alone.</summary>
    private static string CompactArrays(string json) =>
        System.Text.RegularExpressions.Regex.Replace(json, @"\[(\s*(-?[0-9.eE+\-]+|true|false|null|""-?Infinity""|""NaN"")\s*,?)+\s*\]",
            m => System.Text.RegularExpressions.Regex.Replace(m.Value, @"\s+", ""));

    /// <summary>Writes results.json, report.md and report.html atomically, updates reports/latest, and
    /// returns a line naming the directory (and whether latest points at it).</summary>
    public static string Write(OutputDirectory dir, object results, Document doc)
    {
        dir.WriteText("results.json", ToJson(results));
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
