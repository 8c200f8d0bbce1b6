using System.Globalization;
using LowRankVerify.Runner.Json;
using LowRankVerify.Theory;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>Checkpoint fields of <c>hunt</c> and <c>explore</c>: the command's original arguments (the
/// resumed run re-parses them with the same validation, so its settings and replay line are the
/// uninterrupted run's), the core's plain-data <see cref="HuntState"/> and hunt findings (with their C1
/// case, for <c>--save-regression</c>). Every number is written in round-trip form, so a resumed run
/// continues bit for bit; reading is strict and bounded (one-line errors naming the field).</summary>
public static class HuntCheckpoint
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Most arguments stored.</summary>
    public const int MaxArgs = 200;

    /// <summary>Largest matrix side in a stored case (hunted tasks and widths are at most 8; margin).</summary>
    public const int MaxSide = CheckpointJson.MaxMatrixSide;

    /// <summary>Largest depth of a stored case.</summary>
    public const int MaxDepth = 16;

    /// <summary>Writes the original arguments.</summary>
    public static void WriteArgs(JsonOut w, IReadOnlyList<string> args)
    {
        w.Key("args");
        w.BeginArray();
        foreach (var a in args) w.String(a);
        w.EndArray();
    }

    /// <summary>Reads the original arguments (no <c>--resume</c> among them).</summary>
    public static string[] ReadArgs(JsonCursor c, string path)
    {
        var list = CheckpointFile.ReadList(c, path, "arguments", MaxArgs, p => CheckpointFile.ReadString(c, p, 4096));
        if (list.Any(a => a == "--resume" || a.StartsWith("--resume=", StringComparison.Ordinal)))
            throw c.Error(path, "must not contain --resume (the arguments of the original run)");
        return list.ToArray();
    }

    /// <summary>SHA-256 (hex) of a task's shape, target values (round-trip) and observed entries, or
    /// <c>"none"</c>: the checkpoint stores it because a resumed run re-reads <c>--task</c> from disk, and a
    /// file edited in between would silently continue the run on another task.</summary>
    public static string TaskDigest(LowRankVerify.Theory.Task? task)
    {
        if (task is null) return "none";
        var sb = new System.Text.StringBuilder();
        sb.Append(task.DOut.ToString(Inv)).Append('x').Append(task.DIn.ToString(Inv)).Append(';');
        for (var i = 0; i < task.DOut; i++)
            for (var j = 0; j < task.DIn; j++)
                sb.Append(task.Target[i, j].ToString("R", Inv)).Append(',');
        sb.Append(';');
        foreach (var (i, j) in task.Observed) sb.Append(i.ToString(Inv)).Append(' ').Append(j.ToString(Inv)).Append(',');
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sb.ToString()))).ToLowerInvariant();
    }

    /// <summary>Writes the <c>taskDigest</c> field (<see cref="TaskDigest"/>).</summary>
    public static void WriteTaskDigest(JsonOut w, LowRankVerify.Theory.Task? task)
    {
        w.Key("taskDigest");
        w.String(TaskDigest(task));
    }

    /// <summary>Reads the <c>taskDigest</c> field and requires it to equal the digest of the task the stored
    /// arguments give now (<paramref name="task"/>, re-read from disk).</summary>
    public static void CheckTaskDigest(JsonCursor c, string path, LowRankVerify.Theory.Task? task)
    {
        var stored = CheckpointFile.ReadString(c, path, 64);
        var now = TaskDigest(task);
        if (stored != now)
            throw c.Error(path, $"the task differs from the checkpoint's (digest {now} now, {stored} stored): the --task file changed since the run began; restore it or start a new run");
    }

    /// <summary>Reads the checkpoint of a command whose plan is rebuilt from its stored arguments (hunt, explore):
    /// <c>args</c> (re-parsed with <paramref name="cmd"/> and <paramref name="read"/>), <c>taskDigest</c> (checked
    /// against the task <paramref name="taskOf"/> finds in the parsed arguments; a missing one is refused by the
    /// strict reader) and the command's own <paramref name="fields"/>, whose handlers get the parsed arguments
    /// through the function they are given (which refuses a field that comes before <c>args</c>).</summary>
    public static (string[] Args, T Parsed) ReadWithArgs<T>(string path, string command, System.CommandLine.Command cmd,
        Func<System.CommandLine.ParseResult, T> read, Func<T, LowRankVerify.Theory.Task?> taskOf,
        Func<JsonCursor, Func<string, T>, Dictionary<string, Action<string>>> fields)
    {
        string[]? args = null;
        T? parsed = default;
        var has = false;
        CheckpointFile.Read(path, command, c =>
        {
            T After(string p) => has ? parsed! : throw c.Error(p, "must come after args");
            var all = fields(c, After);
            all["args"] = p =>
            {
                args = ReadArgs(c, p);
                parsed = Reparse(cmd, args, path, read);
                has = true;
            };
            all["taskDigest"] = p => CheckTaskDigest(c, p, taskOf(After(p)));
            return all;
        });
        return (args!, parsed!);
    }

    /// <summary>Re-parses stored arguments (the command's name first) with <paramref name="cmd"/>; a parse or validation error names
    /// the checkpoint field and the option.</summary>
    public static T Reparse<T>(System.CommandLine.Command cmd, string[] args, string checkpointPath, Func<System.CommandLine.ParseResult, T> read)
    {
        if (args.Length == 0 || args[0] != cmd.Name)
            throw new InputException("args[0]", $"must be '{cmd.Name}' (the command of the original run) (in --resume {checkpointPath})");
        var parse = cmd.Parse(args[1..]);
        if (parse.Errors.Count > 0)
            throw new InputException("args", $"{parse.Errors[0].Message} (in --resume {checkpointPath})");
        try
        {
            return read(parse);
        }
        catch (InputException e)
        {
            throw new InputException("args", $"{e.Message} (in --resume {checkpointPath})");
        }
    }

    /// <summary>Most values (scalars, arrays, objects) one finding may hold: its fields, 64 parameters and a case
    /// of matrices at most <see cref="MaxSide"/> on a side (target, observed pairs, <see cref="MaxDepth"/> layers).</summary>
    private const long FindingValues = 256 + 3 * 64 + (3L + MaxDepth) * (MaxSide + 1) * (MaxSide + 1);

    /// <summary>The rules of a finding read generically (errors name the field under <paramref name="path"/>): the hunted claim, counts in range, a case only for C1 and
    /// one the core accepts (task, depth, region, shapes).</summary>
    public static void CheckFinding(JsonCursor c, string path, HuntFinding f, ClaimId claim, int maxEvaluation)
    {
        var check = new StateCheck(c, path);
        check.That("claim", f.Claim.Equals(claim), $"must be {claim.Text} (the hunted claim), not {f.Claim.Text}");
        check.Range("evaluation", f.Evaluation, 0, maxEvaluation);
        check.That("seconds", f.Seconds >= 0, "must be >= 0");
        check.Range("parameters", f.Parameters.Length, 0, 64);
        var k = 0;
        foreach (var (name, value) in f.Parameters)
        {
            check.That($"parameters[{k}]", name.Length <= 200 && value.Length <= 200, "must be a [name, value] pair of at most 200 characters each");
            k++;
        }
        check.That("description", f.Description.Length <= 4000, "must be at most 4000 characters");
        check.Range("size", f.Size, 0, 1_000_000);
        if (FSharpOption<ClosureCase>.get_IsNone(f.Case)) return;
        check.That("case", claim.Equals(ClaimId.C1), "must be null (only C1 findings carry a case)");
        var x = f.Case.Value;
        var task = TaskModule.create(x.Task.Target.ToRowArrays(), x.Task.Observed.Select(o => new[] { o.Item1, o.Item2 }).ToArray());
        if (task.IsError) throw c.Error($"{path}.case.task.{task.ErrorValue.Field}", task.ErrorValue.Rule);
        check.Range("case.depth", x.Depth, 1, MaxDepth);
        check.Range("case.region.r", x.Region.R, 0, MaxSide);
        check.That("case.region", x.Region.Eps1 >= 0 && x.Region.Eps2 >= 0 && x.Region.Alpha >= 0 && x.Region.C >= 0, "must hold eps1, eps2, alpha and c >= 0");
        check.That("case.hyper", x.Hyper.Eta >= 0 && x.Hyper.Lambda >= 0, "must hold eta and lambda >= 0");
        var point = x.Point.W;
        check.That("case.point.w", point.Length == x.Depth, $"must hold depth = {x.Depth} matrices, not {point.Length}");
        for (var l = 0; l < point.Length; l++)
        {
            var rows = l == point.Length - 1 ? x.Task.DOut : point[l + 1].ColumnCount;
            var cols = l == 0 ? x.Task.DIn : point[l - 1].RowCount;
            check.That($"case.point.w[{l}]", point[l].RowCount == rows && point[l].ColumnCount == cols,
                $"must be {rows}x{cols} (consecutive shapes agree with the task)");
        }
    }

    /// <summary>Writes a hunt's state, the core's <c>HuntState</c> as it is (<see cref="CheckpointJson"/>).</summary>
    public static void WriteState(JsonOut w, HuntState s) => CheckpointJson.Write(w, s);

    /// <summary>Reads a hunt's state for <paramref name="settings"/> generically, then its counts (bounded by the
    /// evaluation budget) and findings checked (errors name the field).</summary>
    public static HuntState ReadState(JsonCursor c, string path, HuntSettings settings)
    {
        var max = settings.MaxEvaluations;
        var s = CheckpointJson.Read<HuntState>(c, path, 64 + (1L + Hunt.maxConfirmed) * FindingValues);
        var check = new StateCheck(c, path);
        check.Range("evaluations", s.Evaluations, 0, max);
        check.Range("valid", s.Valid, 0, s.Evaluations);
        check.Range("restarts", s.Restarts, 0, max);
        check.Range("climbIndex", s.ClimbIndex, 0, max);
        check.Range("initLeft", s.InitLeft, -max - 1, Hunt.initialSamples);
        check.Range("stale", s.Stale, 0, max);
        check.That("seconds", s.Seconds >= 0, "must be >= 0");
        if (FSharpOption<HuntFinding>.get_IsSome(s.Best)) CheckFinding(c, $"{path}.best", s.Best.Value, settings.Claim, max);
        check.Range("confirmed", s.Confirmed.Length, 0, Hunt.maxConfirmed);
        var k = 0;
        foreach (var f in s.Confirmed) CheckFinding(c, $"{path}.confirmed[{k++}]", f, settings.Claim, max);
        if (FSharpOption<Tuple<int, double>>.get_IsSome(s.FirstConfirmed))
        {
            check.Range("firstConfirmed[0]", s.FirstConfirmed.Value.Item1, 1, max);
            check.That("firstConfirmed[1]", s.FirstConfirmed.Value.Item2 >= 0, "must be >= 0 (seconds)");
        }
        return s;
    }
}
