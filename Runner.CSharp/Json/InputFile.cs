namespace LowRankVerify.Runner.Json;

/// <summary>Opening an input file named by an option, with one-line errors.</summary>
public static class InputFile
{
    /// <summary>Opens <paramref name="path"/> (given by <paramref name="option"/>) as a strict JSON cursor.</summary>
    public static JsonCursor Open(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new InputException(option, "must name a JSON file");
        if (Directory.Exists(path))
            throw new InputException(option, $"'{path}' is a directory, not a JSON file");
        if (!File.Exists(path))
            throw new InputException(option, $"file '{path}' does not exist");
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            return new JsonCursor(stream, $"{option} {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new InputException(option, $"file '{path}' cannot be read: {e.Message}");
        }
    }

    /// <summary>Turns the core's validation error into an <see cref="InputException"/> naming the file.</summary>
    public static InputException FromCore(LowRankVerify.Theory.InputError e, string option, string path) =>
        new(e.Field, $"{e.Rule} (in {option} {path})");
}
