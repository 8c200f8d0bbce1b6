using System.Reflection;
using System.Runtime.InteropServices;

namespace LowRankVerify.Runner.Reports;

/// <summary>Provenance of a run, written into every results.json: tool version, the git commit lowrank was
/// built from, machine.</summary>
public sealed record RunInfo(
    string Tool,
    string ToolVersion,
    string GitCommit,
    string MachineName,
    int ProcessorCount,
    string Os,
    string Runtime,
    DateTime StartedUtc,
    string CommandLine)
{
    /// <summary>The version of this lowrank: its assembly's informational version, i.e. the one
    /// <c>&lt;Version&gt;</c> of Directory.Build.props followed by "+&lt;commit&gt;", the git commit of the
    /// source it was built from (added by the SDK when it builds in a git checkout). <c>lowrank --version</c>
    /// prints it and every results.json records it as <c>toolVersion</c>.</summary>
    public static string Version { get; } =
        typeof(RunInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(RunInfo).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The git commit this lowrank was built from (what follows '+' in <see cref="Version"/>), or
    /// "unknown" when it was built outside a git checkout. Reports record this, not the repository of the
    /// working directory: an installed tool runs from any folder, which may be in no repository or in
    /// another one.</summary>
    public static string BuildCommit { get; } =
        Version.IndexOf('+') is var plus and >= 0 && plus + 1 < Version.Length ? Version[(plus + 1)..] : "unknown";

    /// <summary>True when this lowrank runs as an installed .NET tool (the tool package puts
    /// DotnetToolSettings.xml beside the assembly; a build output has none).</summary>
    public static bool InstalledAsTool { get; } =
        File.Exists(Path.Combine(AppContext.BaseDirectory, "DotnetToolSettings.xml"));

    /// <summary>The shell command that runs lowrank with <paramref name="arguments"/>, for every replay
    /// and resume line of a report: <c>lowrank …</c> from the installed tool, otherwise
    /// <c>dotnet run --project Runner.CSharp -c Release -- …</c> (run from the repository root).</summary>
    public static string Replay(string arguments) =>
        (InstalledAsTool ? "lowrank " : "dotnet run --project Runner.CSharp -c Release -- ") + arguments;

    /// <summary>The replay line of a run started with <paramref name="args"/>, without the options that do not
    /// change its results: <paramref name="valued"/> (with their value, also as <c>--x=value</c>) and
    /// <paramref name="flags"/>; <paramref name="suffix"/> is appended (e.g. the evaluation count that makes a hunt
    /// deterministic).</summary>
    public static string Replay(IReadOnlyList<string> args, string[] valued, string[] flags, string suffix = "")
    {
        var kept = new List<string>();
        for (var k = 0; k < args.Count; k++)
        {
            var a = args[k];
            if (valued.Contains(a)) { k++; continue; }
            if (flags.Contains(a) || valued.Any(d => a.StartsWith(d + "=", StringComparison.Ordinal))) continue;
            kept.Add(Quote(a));
        }
        return Replay(string.Join(' ', kept) + suffix);
    }

    /// <summary>The command line of a claim check's replay (the core's <c>Replay</c> data; this is the one place
    /// that turns it into text): <c>verify</c> at its seed, with <c>--tier</c> unless the tier is quick (the
    /// default), <c>--cases-out DIR (C2.jsonl, case 5)</c> when it points at a recorded case, and the row's name
    /// for an exploratory row.</summary>
    public static string Replay(LowRankVerify.Theory.Replay replay, string tier, bool exploratory) =>
        Replay($"verify {(tier == "quick" ? "" : $"--tier {tier} ")}--seed {replay.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
               + (replay.Case is { } c ? $" --cases-out DIR ({replay.Claim.Text}.jsonl, case {c.Value})" : "")
               + (exploratory ? $" (exploratory row {replay.Claim.Text})" : ""));

    /// <summary>Collects the provenance of the current process.</summary>
    public static RunInfo Collect(string[] args) =>
        new(
            "lowrank",
            Version,
            BuildCommit,
            Environment.MachineName,
            Environment.ProcessorCount,
            RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription,
            DateTime.UtcNow,
            "lowrank " + string.Join(' ', args.Select(Quote)));

    /// <summary>Quotes one argument for a shell when needed.</summary>
    public static string Quote(string a) =>
        a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=:,+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";
}
