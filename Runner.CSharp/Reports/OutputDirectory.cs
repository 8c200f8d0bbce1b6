namespace LowRankVerify.Runner.Reports;

/// <summary>Where a run writes its report, and how: atomic writes (temp file, then rename), a fresh
/// directory per run, and <c>reports/latest</c>, a one-line text file naming the newest run's directory
/// (a text file rather than a symlink, so that it works on every file system and in git).</summary>
public sealed class OutputDirectory
{
    /// <summary>The root of generated reports, relative to the working directory.</summary>
    public const string ReportsRoot = "reports";

    /// <summary>The directory of this run (absolute).</summary>
    public string Path { get; }

    private OutputDirectory(string path) => Path = path;

    /// <summary>Resolves and creates the output directory. Without <paramref name="requested"/>:
    /// <c>reports/&lt;UTC timestamp&gt;-&lt;command&gt;/</c>. An existing non-empty directory is refused
    /// unless <paramref name="force"/> (<see cref="InputException"/> naming <c>--out</c>).</summary>
    public static OutputDirectory Prepare(string? requested, string command, bool force, DateTime startedUtc)
    {
        string path;
        if (string.IsNullOrWhiteSpace(requested))
        {
            var stamp = startedUtc.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            path = System.IO.Path.Combine(ReportsRoot, $"{stamp}-{command}");
            for (var k = 2; Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any(); k++)
                path = System.IO.Path.Combine(ReportsRoot, $"{stamp}-{command}-{k}");
        }
        else
            path = requested;
        return new OutputDirectory(Create("--out", path, force));
    }

    /// <summary>Creates the directory <paramref name="path"/> named by option <paramref name="field"/> and returns its
    /// full path; a file, or an existing non-empty directory without <paramref name="force"/>, is refused (exit 2
    /// naming <paramref name="field"/>).</summary>
    public static string Create(string field, string path, bool force)
    {
        if (File.Exists(path))
            throw new InputException(field, $"'{path}' is a file; give a directory");
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any() && !force)
            throw new InputException(field, $"directory '{path}' exists and is not empty; choose another or pass --force to overwrite");
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InputException(field, $"cannot create directory '{path}': {e.Message}");
        }
        return System.IO.Path.GetFullPath(path);
    }

    /// <summary>The existing directory of an interrupted run, for <c>--resume</c>: its partial report is
    /// replaced by the resumed run's report (no <c>--force</c> needed: it is the same run).</summary>
    public static OutputDirectory Existing(string path) => new(System.IO.Path.GetFullPath(path));

    /// <summary>Writes a text file atomically (UTF-8 without BOM, LF line ends as given).</summary>
    public string WriteText(string name, string text) => WriteBytes(name, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Writes a binary file atomically: a temp file in the same directory, then a rename.</summary>
    public string WriteBytes(string name, byte[] bytes)
    {
        var target = System.IO.Path.Combine(Path, name);
        WriteAtomic(target, bytes);
        return target;
    }

    /// <summary>Atomic write of <paramref name="bytes"/> to <paramref name="target"/>.</summary>
    public static void WriteAtomic(string target, byte[] bytes)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(target))!;
        var tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(target)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(true);
            }
            File.Move(tmp, target, overwrite: true);
        }
        catch
        {
            // Never leave a half-written temp file behind; the target is untouched.
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>When this run's directory lies directly under <c>reports/</c>, points <c>reports/latest</c>
    /// at it (one line: the directory name). Returns true when it did.</summary>
    public bool UpdateLatest()
    {
        var root = System.IO.Path.GetFullPath(ReportsRoot);
        var parent = System.IO.Path.GetDirectoryName(Path.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        if (parent is null || !string.Equals(System.IO.Path.GetFullPath(parent), root, StringComparison.Ordinal))
            return false;
        WriteAtomic(System.IO.Path.Combine(root, "latest"), new UTF8Encoding(false).GetBytes(System.IO.Path.GetFileName(Path.TrimEnd(System.IO.Path.DirectorySeparatorChar)) + "\n"));
        return true;
    }
}
