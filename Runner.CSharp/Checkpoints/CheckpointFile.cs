using System.Text;
using System.Text.Json;
using LowRankVerify.Runner.Json;
using LowRankVerify.Runner.Reports;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>The checkpoint file of a long run: <c>checkpoint.json</c> in the run's report directory,
/// written atomically (<see cref="OutputDirectory.WriteAtomic"/>) and read back strictly (the same
/// <see cref="JsonCursor"/> rules as every input file: one-line errors naming the field, bounded
/// memory). Layout: <c>{"format": "lowrank-checkpoint", "version": 5, "command": ..., ...command fields}</c>.
/// A command adopts it by writing its own fields (parameters first, then its state) through
/// <see cref="Write"/> and reading them with <see cref="Read"/>; see docs/long-runs.md.</summary>
public static class CheckpointFile
{
    /// <summary>File name inside the report directory.</summary>
    public const string Name = "checkpoint.json";

    /// <summary>Value of the <c>format</c> field.</summary>
    public const string Format = "lowrank-checkpoint";

    /// <summary>Layout version; a checkpoint of another version is refused. 2: hunt and explore store
    /// <c>taskDigest</c>, and the hunt draws aimed starts (a version-1 hunt state would not continue the
    /// run it came from). 3: E1 cursors hold their kind (sgd, gd, sde) and every-step monitor, the plan its
    /// SDE chains, and explore's E1 summaries count a jump only without collapse. 4: the completion
    /// experiment's plan holds its SDE twins (cursors of kind sde, <c>--sde</c> and <c>--sde-steps</c> in the
    /// stored arguments). 5: the core's state records (E1 and completion cursors with their engine snapshots,
    /// E1 parameters, hunt states and findings, explore cells) are serialised generically
    /// (<see cref="CheckpointJson"/>: camelCase fields, observations and events as arrays of records, run kinds
    /// as "sgd"/"gd"/"sde"; docs/file-formats.md); a version-4 file is refused as an older format.</summary>
    public const int Version = 5;

    /// <summary>Writes <c>dir/checkpoint.json</c> atomically; <paramref name="body"/> writes the command's
    /// fields into the open root object.</summary>
    public static string Write(string dir, string command, Action<JsonOut> body)
    {
        var w = new JsonOut();
        w.BeginObject();
        w.Key("format"); w.String(Format);
        w.Key("version"); w.Integer(Version);
        w.Key("command"); w.String(command);
        body(w);
        w.EndObject();
        var path = Path.Combine(dir, Name);
        OutputDirectory.WriteAtomic(path, new UTF8Encoding(false).GetBytes(w.ToString()));
        return path;
    }

    /// <summary>Removes the checkpoint once the run finished and its full report is written.</summary>
    public static void Delete(string dir)
    {
        var path = Path.Combine(dir, Name);
        if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>The checkpoint of <c>--resume DIR</c>: DIR must exist and hold <c>checkpoint.json</c>.</summary>
    public static string Locate(string? dir)
    {
        if (string.IsNullOrWhiteSpace(dir))
            throw new InputException("--resume", "must name the report directory of an interrupted run");
        if (File.Exists(dir))
            throw new InputException("--resume", $"'{dir}' is a file; give the report directory of an interrupted run");
        if (!Directory.Exists(dir))
            throw new InputException("--resume", $"directory '{dir}' does not exist");
        var path = Path.Combine(dir, Name);
        if (!File.Exists(path))
            throw new InputException("--resume", $"no {Name} in '{dir}' (the run finished, or never wrote a checkpoint)");
        return path;
    }

    /// <summary>Reads a checkpoint strictly: the header must name <paramref name="command"/> and this
    /// version, then exactly the fields of <paramref name="fields"/> (built on the open cursor), in any
    /// order the handlers accept. Errors name the field, e.g. <c>jobs[0].cursors[2].weights[5]</c>.</summary>
    public static void Read(string path, string command, Func<JsonCursor, Dictionary<string, Action<string>>> fields)
    {
        using var c = InputFile.Open("--resume", path);
        var all = fields(c);
        all["format"] = p =>
        {
            if (c.Type != JsonTokenType.String || c.Text != Format)
                throw c.Error(p, $"must be \"{Format}\" (not a lowrank checkpoint)");
        };
        all["version"] = p =>
        {
            var v = JsonSchema.ReadInt(c, p);
            if (v < Version)
                throw c.Error(p, $"is {v}, an older checkpoint format that this lowrank cannot resume (it reads version {Version} only): start the run again");
            if (v != Version)
                throw c.Error(p, $"must be {Version} (a checkpoint of another lowrank version cannot be resumed)");
        };
        all["command"] = p =>
        {
            if (c.Type != JsonTokenType.String)
                throw c.Error(p, $"must be a string, got {JsonSchema.Kind(c.Type)}");
            if (c.Text != command)
                throw c.Error(p, $"the checkpoint is of '{c.Text}', not '{command}': resume it with that command");
        };
        JsonSchema.ReadDocument(c, all);
    }

    /// <summary>The current token as an integer in [<paramref name="min"/>, <paramref name="max"/>]
    /// (64-bit; |value| ≤ 2^53 so the double is exact).</summary>
    public static long ReadLong(JsonCursor c, string path, long min, long max)
    {
        if (c.Type != JsonTokenType.Number)
            throw c.Error(path, $"must be an integer, got {JsonSchema.Kind(c.Type)}");
        var x = c.FiniteNumber ?? throw c.Error(path, "must be an integer in range (this number overflows)");
        if (x != Math.Floor(x) || x < min || x > max)
            throw c.Error(path, $"must be an integer in {min}..{max}");
        return (long)x;
    }

    /// <summary>The current token as a string of at most <paramref name="maxLength"/> characters.</summary>
    public static string ReadString(JsonCursor c, string path, int maxLength = 200)
    {
        if (c.Type != JsonTokenType.String)
            throw c.Error(path, $"must be a string, got {JsonSchema.Kind(c.Type)}");
        var s = c.Text!;
        if (s.Length > maxLength) throw c.Error(path, $"must be at most {maxLength} characters");
        return s;
    }

    /// <summary>An array of exactly <paramref name="count"/> elements, each read by <paramref name="element"/> from
    /// its index and path: one too many is refused while reading (a huge declared array never allocates), too
    /// few after; the message says what the elements are (<paramref name="what"/>, e.g. "cursors (one per run)").</summary>
    public static T[] ReadExactly<T>(JsonCursor c, string path, int count, string what, Func<int, string, T> element)
    {
        var list = new List<T>();
        JsonSchema.ReadArray(c, path, what, nonEmpty: false, (k, child) =>
        {
            if (k >= count) throw c.Error(path, $"must hold {count} {what}, not more");
            list.Add(element(k, child));
        });
        if (list.Count != count) throw c.Error(path, $"must hold {count} {what}, not {list.Count}");
        return list.ToArray();
    }

    /// <summary>An array of at most <paramref name="max"/> elements (checked while reading, so a huge
    /// declared array never allocates).</summary>
    public static List<T> ReadList<T>(JsonCursor c, string path, string what, int max, Func<string, T> element)
    {
        var list = new List<T>();
        JsonSchema.ReadArray(c, path, what, nonEmpty: false, (k, child) =>
        {
            if (k >= max) throw c.Error(path, $"must hold at most {max} {what}");
            list.Add(element(child));
        });
        return list;
    }
}
