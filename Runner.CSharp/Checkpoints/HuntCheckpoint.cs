using System.Globalization;
using System.Text.Json;
using LowRankVerify.Runner.Json;
using LowRankVerify.Theory;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.FSharp.Collections;
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
    public const int MaxSide = 64;

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

    /// <summary>A float: a round-trip number, or the string "Infinity"/"-Infinity" (scores may be infinite).</summary>
    public static void Float(JsonOut w, double x, string field)
    {
        if (double.IsPositiveInfinity(x)) w.String("Infinity");
        else if (double.IsNegativeInfinity(x)) w.String("-Infinity");
        else w.Number(x, field);
    }

    /// <summary>Reads <see cref="Float"/>.</summary>
    public static double ReadFloat(JsonCursor c, string path)
    {
        if (c.Type == JsonTokenType.String)
            return c.Text switch
            {
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                _ => throw c.Error(path, "must be a finite number, \"Infinity\" or \"-Infinity\""),
            };
        return JsonSchema.ReadFinite(c, path);
    }

    /// <summary>Reads an unsigned 64-bit integer stored as a decimal string (random-number states).</summary>
    public static ulong ReadUInt64(JsonCursor c, string path)
    {
        if (!ulong.TryParse(CheckpointFile.ReadString(c, path), NumberStyles.None, Inv, out var x))
            throw c.Error(path, "must be a string holding an unsigned 64-bit integer");
        return x;
    }

    private static string Word(Verdict v) => v.IsCounterexample ? "Counterexample" : v.IsInconclusive ? "Inconclusive" : "Holds";

    private static Verdict ReadVerdict(JsonCursor c, string path) => CheckpointFile.ReadString(c, path) switch
    {
        "Counterexample" => Verdict.Counterexample,
        "Inconclusive" => Verdict.Inconclusive,
        "Holds" => Verdict.Holds,
        _ => throw c.Error(path, "must be Counterexample, Inconclusive or Holds"),
    };

    private static void Matrix(JsonOut w, Matrix<double> m, string field) => w.Matrix(m.ToRowArrays(), field);

    private static Matrix<double> ReadMatrix(JsonCursor c, string path)
    {
        long budget = 0;
        var rows = JsonSchema.ReadMatrix(c, path, ref budget, (long)MaxSide * MaxSide, path, "entries");
        if (rows.Any(r => r.Length != rows[0].Length)) throw c.Error(path, "must be a rectangular matrix (rows of equal length)");
        if (rows.Length > MaxSide || rows[0].Length > MaxSide) throw c.Error(path, $"must be at most {MaxSide}x{MaxSide}");
        return Matrix<double>.Build.DenseOfRowArrays(rows);
    }

    /// <summary>Writes a finding (the claim comes from the settings).</summary>
    public static void WriteFinding(JsonOut w, HuntFinding f)
    {
        w.BeginObject();
        w.Key("violation"); Float(w, f.Violation, "violation");
        w.Key("bound"); Float(w, f.Bound, "bound");
        w.Key("status"); w.String(Word(f.Status));
        w.Key("score"); Float(w, f.Score, "score");
        w.Key("evaluation"); w.Integer(f.Evaluation);
        w.Key("seconds"); w.Number(f.Seconds, "seconds");
        w.Key("inRegime"); w.Bool(f.InRegime);
        w.Key("parameters");
        w.BeginArray();
        foreach (var (k, v) in f.Parameters)
        {
            w.BeginArray(); w.String(k); w.String(v); w.EndArray();
        }
        w.EndArray();
        w.Key("description"); w.String(f.Description);
        w.Key("size"); w.Integer(f.Size);
        w.Key("shrunk"); w.Bool(f.Shrunk);
        w.Key("case");
        if (f.Case is null) w.Null();
        else
        {
            var k = f.Case.Value;
            w.BeginObject();
            w.Key("target"); Matrix(w, k.Task.Target, "case.target");
            w.Key("observed");
            w.BeginArray();
            foreach (var (i, j) in k.Task.Observed) w.Integers([i, j]);
            w.EndArray();
            w.Key("depth"); w.Integer(k.Depth);
            w.Key("r"); w.Integer(k.Region.R);
            w.Key("eps1"); w.Number(k.Region.Eps1, "case.eps1");
            w.Key("eps2"); w.Number(k.Region.Eps2, "case.eps2");
            w.Key("alpha"); w.Number(k.Region.Alpha, "case.alpha");
            w.Key("C"); w.Number(k.Region.C, "case.C");
            w.Key("family"); w.String(FAlpha.name(k.Region.Family));
            w.Key("eta"); w.Number(k.Hyper.Eta, "case.eta");
            w.Key("lambda"); w.Number(k.Hyper.Lambda, "case.lambda");
            w.Key("point");
            w.BeginArray();
            foreach (var m in k.Point.W) Matrix(w, m, "case.point");
            w.EndArray();
            w.EndObject();
        }
        w.EndObject();
    }

    /// <summary>Reads a finding of <paramref name="claim"/>; <paramref name="maxEvaluation"/> bounds its
    /// evaluation index.</summary>
    public static HuntFinding ReadFinding(JsonCursor c, string path, ClaimId claim, int maxEvaluation)
    {
        double violation = 0, bound = 0, score = 0, seconds = 0;
        Verdict status = Verdict.Holds;
        int evaluation = 0, size = 0;
        bool inRegime = false, shrunk = false;
        var parameters = new List<Tuple<string, string>>();
        string description = "";
        FSharpOption<ClosureCase> kase = FSharpOption<ClosureCase>.None;
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["violation"] = p => violation = ReadFloat(c, p),
            ["bound"] = p => bound = ReadFloat(c, p),
            ["status"] = p => status = ReadVerdict(c, p),
            ["score"] = p => score = ReadFloat(c, p),
            ["evaluation"] = p => evaluation = (int)CheckpointFile.ReadLong(c, p, 0, maxEvaluation),
            ["seconds"] = p => seconds = NonNegative(c, p),
            ["inRegime"] = p => inRegime = CheckpointFile.ReadBool(c, p),
            ["parameters"] = p => parameters = CheckpointFile.ReadList(c, p, "[name, value] pairs", 64, q =>
            {
                var pair = CheckpointFile.ReadList(c, q, "strings", 2, e => CheckpointFile.ReadString(c, e, 200));
                if (pair.Count != 2) throw c.Error(q, "must be a [name, value] pair");
                return Tuple.Create(pair[0], pair[1]);
            }),
            ["description"] = p => description = CheckpointFile.ReadString(c, p, 4000),
            ["size"] = p => size = (int)CheckpointFile.ReadLong(c, p, 0, 1_000_000),
            ["shrunk"] = p => shrunk = CheckpointFile.ReadBool(c, p),
            ["case"] = p =>
            {
                if (c.Type == JsonTokenType.Null) return;
                if (!claim.Equals(ClaimId.C1)) throw c.Error(p, "must be null (only C1 findings carry a case)");
                kase = ReadCase(c, p);
            },
        });
        return new HuntFinding(claim, violation, bound, status, score, evaluation, seconds, inRegime,
            ListModule.OfSeq(parameters), description, kase, size, shrunk);
    }

    private static double NonNegative(JsonCursor c, string p)
    {
        var x = JsonSchema.ReadFinite(c, p);
        if (x < 0) throw c.Error(p, "must be >= 0");
        return x;
    }

    private static ClosureCase ReadCase(JsonCursor c, string path)
    {
        Matrix<double>? target = null;
        var observed = new List<int[]>();
        int depth = 0, r = 0;
        double eps1 = 0, eps2 = 0, alpha = 0, cc = 0, eta = 0, lambda = 0;
        FAlphaFamily family = FAlphaFamily.Piecewise;
        var point = new List<Matrix<double>>();
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["target"] = p => target = ReadMatrix(c, p),
            ["observed"] = p => observed = CheckpointFile.ReadList(c, p, "[i, j] pairs", MaxSide * MaxSide,
                q => CheckpointFile.ReadList(c, q, "integers", 2, e => (int)CheckpointFile.ReadLong(c, e, 0, MaxSide - 1)).ToArray()),
            ["depth"] = p => depth = (int)CheckpointFile.ReadLong(c, p, 1, MaxDepth),
            ["r"] = p => r = (int)CheckpointFile.ReadLong(c, p, 0, MaxSide),
            ["eps1"] = p => eps1 = NonNegative(c, p),
            ["eps2"] = p => eps2 = NonNegative(c, p),
            ["alpha"] = p => alpha = NonNegative(c, p),
            ["C"] = p => cc = NonNegative(c, p),
            ["family"] = p => family = Options.Unwrap(FAlpha.parse(p, CheckpointFile.ReadString(c, p)), optionField: false),
            ["eta"] = p => eta = NonNegative(c, p),
            ["lambda"] = p => lambda = NonNegative(c, p),
            ["point"] = p => point = CheckpointFile.ReadList(c, p, "matrices", MaxDepth, q => ReadMatrix(c, q)),
        });
        var task = TaskModule.create(target!.ToRowArrays(), observed.ToArray());
        if (task.IsError) throw c.Error($"{path}.{task.ErrorValue.Field}", task.ErrorValue.Rule);
        if (point.Count != depth) throw c.Error($"{path}.point", $"must hold depth = {depth} matrices, not {point.Count}");
        for (var l = 0; l < depth; l++)
        {
            var rows = l == depth - 1 ? task.ResultValue.DOut : point[l + 1].ColumnCount;
            var cols = l == 0 ? task.ResultValue.DIn : point[l - 1].RowCount;
            if (point[l].RowCount != rows || point[l].ColumnCount != cols)
                throw c.Error($"{path}.point[{l}]", $"must be {rows}x{cols} (consecutive shapes agree with the task)");
        }
        return new ClosureCase(task.ResultValue, depth, new RegionParams(r, eps1, eps2, alpha, cc, family),
            new Hyper(eta, lambda), new Network(point.ToArray()));
    }

    /// <summary>Writes a hunt's state.</summary>
    public static void WriteState(JsonOut w, HuntState s)
    {
        w.BeginObject();
        w.Key("rng"); w.String(s.Rng.State.ToString(Inv));
        w.Key("evaluations"); w.Integer(s.Evaluations);
        w.Key("valid"); w.Integer(s.Valid);
        w.Key("restarts"); w.Integer(s.Restarts);
        w.Key("climbIndex"); w.Integer(s.ClimbIndex);
        w.Key("initLeft"); w.Integer(s.InitLeft);
        w.Key("stale"); w.Integer(s.Stale);
        w.Key("seconds"); w.Number(s.Seconds, "seconds");
        w.Key("finished"); w.Bool(s.Finished);
        w.Key("best");
        if (s.Best is null) w.Null(); else WriteFinding(w, s.Best.Value);
        w.Key("confirmed");
        w.BeginArray();
        foreach (var f in s.Confirmed) WriteFinding(w, f);
        w.EndArray();
        w.Key("firstConfirmed");
        if (s.FirstConfirmed is null) w.Null();
        else
        {
            w.BeginObject();
            w.Key("evaluation"); w.Integer(s.FirstConfirmed.Value.Item1);
            w.Key("seconds"); w.Number(s.FirstConfirmed.Value.Item2, "seconds");
            w.EndObject();
        }
        w.EndObject();
    }

    /// <summary>Reads a hunt's state for <paramref name="settings"/> (counts bounded by its evaluation budget).</summary>
    public static HuntState ReadState(JsonCursor c, string path, HuntSettings settings)
    {
        var max = settings.MaxEvaluations;
        ulong rng = 0;
        int n = 0, valid = 0, restarts = 0, climb = 0, initLeft = 0, stale = 0;
        double seconds = 0;
        bool finished = false;
        FSharpOption<HuntFinding> best = FSharpOption<HuntFinding>.None;
        var confirmed = new List<HuntFinding>();
        FSharpOption<Tuple<int, double>> first = FSharpOption<Tuple<int, double>>.None;
        JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["rng"] = p => rng = ReadUInt64(c, p),
            ["evaluations"] = p => n = (int)CheckpointFile.ReadLong(c, p, 0, max),
            ["valid"] = p => valid = (int)CheckpointFile.ReadLong(c, p, 0, max),
            ["restarts"] = p => restarts = (int)CheckpointFile.ReadLong(c, p, 0, max),
            ["climbIndex"] = p => climb = (int)CheckpointFile.ReadLong(c, p, 0, max),
            ["initLeft"] = p => initLeft = (int)CheckpointFile.ReadLong(c, p, -max - 1, Hunt.initialSamples),
            ["stale"] = p => stale = (int)CheckpointFile.ReadLong(c, p, 0, max),
            ["seconds"] = p => seconds = NonNegative(c, p),
            ["finished"] = p => finished = CheckpointFile.ReadBool(c, p),
            ["best"] = p => best = c.Type == JsonTokenType.Null ? FSharpOption<HuntFinding>.None : ReadFinding(c, p, settings.Claim, max),
            ["confirmed"] = p => confirmed = CheckpointFile.ReadList(c, p, "findings", Hunt.maxConfirmed, q => ReadFinding(c, q, settings.Claim, max)),
            ["firstConfirmed"] = p =>
            {
                if (c.Type == JsonTokenType.Null) return;
                int e = 0;
                double s = 0;
                JsonSchema.ReadObject(c, p, new Dictionary<string, Action<string>>
                {
                    ["evaluation"] = q => e = (int)CheckpointFile.ReadLong(c, q, 1, max),
                    ["seconds"] = q => s = NonNegative(c, q),
                });
                first = Tuple.Create(e, s);
            },
        });
        if (valid > n) throw c.Error($"{path}.valid", $"must be at most evaluations = {n}");
        return new HuntState(new Rng(rng), n, valid, restarts, climb, initLeft, stale, best, ListModule.OfSeq(confirmed), first, seconds, finished);
    }
}
