using System.Reflection;
using System.Runtime.InteropServices;

namespace LowRankVerify.Runner.Reports;

/// <summary>Provenance of a run, written into every results.json: tool version, git commit, machine.</summary>
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
    /// <summary>Collects the provenance of the current process.</summary>
    public static RunInfo Collect(string[] args)
    {
        var asm = typeof(RunInfo).Assembly;
        var version = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? asm.GetName().Version?.ToString() ?? "unknown";
        return new RunInfo(
            "lowrank",
            version,
            ReadGitCommit(Directory.GetCurrentDirectory()),
            Environment.MachineName,
            Environment.ProcessorCount,
            RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription,
            DateTime.UtcNow,
            "lowrank " + string.Join(' ', args.Select(Quote)));
    }

    /// <summary>Quotes one argument for a shell when needed.</summary>
    public static string Quote(string a) =>
        a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=:,+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    /// <summary>The commit checked out in the repository containing <paramref name="start"/>, read from
    /// <c>.git/HEAD</c> (following a worktree's <c>gitdir:</c> file, loose refs and packed-refs);
    /// "unknown" when there is no repository or the ref cannot be resolved.</summary>
    public static string ReadGitCommit(string start)
    {
        try
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var dotGit = Path.Combine(dir.FullName, ".git");
                string? gitDir = null;
                if (Directory.Exists(dotGit)) gitDir = dotGit;
                else if (File.Exists(dotGit))
                {
                    var line = File.ReadAllText(dotGit).Trim();
                    if (line.StartsWith("gitdir:", StringComparison.Ordinal))
                        gitDir = Path.GetFullPath(line["gitdir:".Length..].Trim(), dir.FullName);
                }
                if (gitDir is null) continue;
                var head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
                if (!head.StartsWith("ref:", StringComparison.Ordinal)) return head;
                var refName = head["ref:".Length..].Trim();
                var commonFile = Path.Combine(gitDir, "commondir");
                var common = File.Exists(commonFile)
                    ? Path.GetFullPath(File.ReadAllText(commonFile).Trim(), gitDir)
                    : gitDir;
                foreach (var root in new[] { gitDir, common })
                {
                    var loose = Path.Combine(root, refName);
                    if (File.Exists(loose)) return File.ReadAllText(loose).Trim();
                }
                var packed = Path.Combine(common, "packed-refs");
                if (File.Exists(packed))
                    foreach (var l in File.ReadLines(packed))
                    {
                        var parts = l.Split(' ');
                        if (parts.Length == 2 && parts[1] == refName) return parts[0];
                    }
                return "unknown";
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "unknown";
    }
}
