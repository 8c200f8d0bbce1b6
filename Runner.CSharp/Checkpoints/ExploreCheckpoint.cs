using LowRankVerify.Runner.Json;
using LowRankVerify.Theory;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>Checkpoint fields of <c>explore</c>: the completed cells of the C1 map and of the dynamics
/// map (null for a cell not yet computed). Cells are independent (each a function of the parameters, the
/// seed and its own grid point), so a resumed run computes only the missing ones and its maps equal an
/// uninterrupted run's. A stored cell must sit at its own grid point (compared bit for bit).</summary>
public static class ExploreCheckpoint
{
    /// <summary>Writes the cells (null where not computed).</summary>
    public static void WriteClosureCells(JsonOut w, ClosureCell?[] cells)
    {
        w.BeginArray();
        foreach (var x in cells)
        {
            if (x is null) { w.Null(); continue; }
            w.BeginObject();
            w.Key("eta"); w.Number(x.Eta, "eta");
            w.Key("lambda"); w.Number(x.Lambda, "lambda");
            w.Key("holds"); w.Bool(x.Holds);
            w.Key("kappaC");
            if (x.KappaC is null) w.Null(); else w.Number(x.KappaC.Value, "kappaC");
            w.Key("constants");
            w.BeginObject();
            w.Key("r"); w.Integer(x.Constants.R);
            w.Key("eps1"); w.Number(x.Constants.Eps1, "eps1");
            w.Key("eps2"); w.Number(x.Constants.Eps2, "eps2");
            w.Key("alpha"); w.Number(x.Constants.Alpha, "alpha");
            w.Key("C"); w.Number(x.Constants.C, "C");
            w.Key("family"); w.String(FAlpha.name(x.Constants.Family));
            w.EndObject();
            w.Key("inRegime"); w.Bool(x.InRegime);
            w.Key("violated");
            w.BeginArray();
            foreach (var v in x.Violated) w.String(v);
            w.EndArray();
            w.Key("counterexample");
            if (x.Counterexample is null) w.Null(); else HuntCheckpoint.WriteFinding(w, x.Counterexample.Value);
            w.Key("evaluations"); w.Integer(x.Evaluations);
            w.EndObject();
        }
        w.EndArray();
    }

    /// <summary>Reads the C1 cells for the grid <paramref name="grid"/> (exactly one entry per grid point).</summary>
    public static ClosureCell?[] ReadClosureCells(JsonCursor c, string path, Tuple<double, double>[] grid, int maxEvaluations)
    {
        var list = CheckpointFile.ReadList(c, path, "cells", grid.Length, p =>
        {
            var k = Index(p);
            if (c.Type == System.Text.Json.JsonTokenType.Null) return null;
            double eta = 0, lambda = 0, eps1 = 0, eps2 = 0, alpha = 0, cc = 0;
            bool holds = false, inRegime = false;
            FSharpOption<double> kappa = FSharpOption<double>.None;
            int r = 0, evaluations = 0;
            FAlphaFamily family = FAlphaFamily.Piecewise;
            var violated = new List<string>();
            FSharpOption<HuntFinding> ce = FSharpOption<HuntFinding>.None;
            JsonSchema.ReadObject(c, p, new Dictionary<string, Action<string>>
            {
                ["eta"] = q =>
                {
                    eta = JsonSchema.ReadFinite(c, q);
                    if (eta != grid[k].Item1) throw c.Error(q, $"must be this cell's grid eta {grid[k].Item1:R}");
                },
                ["lambda"] = q =>
                {
                    lambda = JsonSchema.ReadFinite(c, q);
                    if (lambda != grid[k].Item2) throw c.Error(q, $"must be this cell's grid lambda {grid[k].Item2:R}");
                },
                ["holds"] = q => holds = CheckpointFile.ReadBool(c, q),
                ["kappaC"] = q => kappa = c.Type == System.Text.Json.JsonTokenType.Null ? FSharpOption<double>.None : JsonSchema.ReadFinite(c, q),
                ["constants"] = q => JsonSchema.ReadObject(c, q, new Dictionary<string, Action<string>>
                {
                    ["r"] = e => r = (int)CheckpointFile.ReadLong(c, e, 0, 64),
                    ["eps1"] = e => eps1 = JsonSchema.ReadFinite(c, e),
                    ["eps2"] = e => eps2 = JsonSchema.ReadFinite(c, e),
                    ["alpha"] = e => alpha = JsonSchema.ReadFinite(c, e),
                    ["C"] = e => cc = JsonSchema.ReadFinite(c, e),
                    ["family"] = e => family = Options.Unwrap(FAlpha.parse(e, CheckpointFile.ReadString(c, e)), optionField: false),
                }),
                ["inRegime"] = q => inRegime = CheckpointFile.ReadBool(c, q),
                ["violated"] = q => violated = CheckpointFile.ReadList(c, q, "strings", 16, e => CheckpointFile.ReadString(c, e, 200)),
                ["counterexample"] = q => ce = c.Type == System.Text.Json.JsonTokenType.Null ? FSharpOption<HuntFinding>.None : HuntCheckpoint.ReadFinding(c, q, ClaimId.C1, maxEvaluations),
                ["evaluations"] = q => evaluations = (int)CheckpointFile.ReadLong(c, q, 0, (long)maxEvaluations * 64),
            });
            return new ClosureCell(eta, lambda, holds, kappa, new RegionParams(r, eps1, eps2, alpha, cc, family), inRegime,
                ListModule.OfSeq(violated), ce, evaluations);
        });
        if (list.Count != grid.Length) throw c.Error(path, $"must hold {grid.Length} cells (one per grid point, null when not done), not {list.Count}");
        return list.ToArray();
    }

    /// <summary>Writes the dynamics cells (null where not computed; the phase is recomputed from the summary).</summary>
    public static void WriteDynamicsCells(JsonOut w, DynamicsCell?[] cells)
    {
        w.BeginArray();
        foreach (var x in cells)
        {
            if (x is null) { w.Null(); continue; }
            var s = x.Summary;
            w.BeginObject();
            w.Key("eta"); w.Number(x.Eta, "eta");
            w.Key("lambda"); w.Number(x.Lambda, "lambda");
            w.Key("depth"); w.Integer(x.Depth);
            w.Key("fractionJumped"); w.Number(s.FractionJumped, "fractionJumped");
            w.Key("fractionCollapsed"); w.Number(s.FractionCollapsed, "fractionCollapsed");
            w.Key("fractionDiverged"); w.Number(s.FractionDiverged, "fractionDiverged");
            Opt(w, "jumpMedian", s.JumpMedian);
            Opt(w, "jumpQ1", s.JumpQ1);
            Opt(w, "jumpQ3", s.JumpQ3);
            w.Key("totalReturns"); w.Integer(s.TotalReturns);
            w.Key("gdFinalRank"); w.Integer(s.GdFinalRank);
            w.Key("gdJumpStep");
            if (s.GdJumpStep is null) w.Null(); else w.Integer(s.GdJumpStep.Value);
            Opt(w, "offshootErrorAfterJump", s.OffshootErrorAfterJump);
            Opt(w, "offshootErrorBeforeJump", s.OffshootErrorBeforeJump);
            w.EndObject();
        }
        w.EndArray();
    }

    private static void Opt(JsonOut w, string key, FSharpOption<double> x)
    {
        w.Key(key);
        if (x is null) w.Null(); else HuntCheckpoint.Float(w, x.Value, key);
    }

    /// <summary>Reads the dynamics cells for the grid <paramref name="grid"/>.</summary>
    public static DynamicsCell?[] ReadDynamicsCells(JsonCursor c, string path, Tuple<double, double, int>[] grid, long steps, int seeds)
    {
        var list = CheckpointFile.ReadList(c, path, "cells", grid.Length, p =>
        {
            var k = Index(p);
            if (c.Type == System.Text.Json.JsonTokenType.Null) return null;
            double eta = 0, lambda = 0, fj = 0, fc = 0, fd = 0;
            int depth = 0, returns = 0, gdRank = 0;
            FSharpOption<double> med = FSharpOption<double>.None, q1 = FSharpOption<double>.None, q3 = FSharpOption<double>.None,
                after = FSharpOption<double>.None, before = FSharpOption<double>.None;
            FSharpOption<long> gdJump = FSharpOption<long>.None;
            FSharpOption<double> ReadOpt(string q) => c.Type == System.Text.Json.JsonTokenType.Null ? FSharpOption<double>.None : HuntCheckpoint.ReadFloat(c, q);
            double Fraction(string q)
            {
                var x = JsonSchema.ReadFinite(c, q);
                if (x < 0 || x > 1) throw c.Error(q, "must be a fraction in [0, 1]");
                return x;
            }
            JsonSchema.ReadObject(c, p, new Dictionary<string, Action<string>>
            {
                ["eta"] = q =>
                {
                    eta = JsonSchema.ReadFinite(c, q);
                    if (eta != grid[k].Item1) throw c.Error(q, $"must be this cell's grid eta {grid[k].Item1:R}");
                },
                ["lambda"] = q =>
                {
                    lambda = JsonSchema.ReadFinite(c, q);
                    if (lambda != grid[k].Item2) throw c.Error(q, $"must be this cell's grid lambda {grid[k].Item2:R}");
                },
                ["depth"] = q =>
                {
                    depth = JsonSchema.ReadInt(c, q);
                    if (depth != grid[k].Item3) throw c.Error(q, $"must be this cell's grid depth {grid[k].Item3}");
                },
                ["fractionJumped"] = q => fj = Fraction(q),
                ["fractionCollapsed"] = q => fc = Fraction(q),
                ["fractionDiverged"] = q => fd = Fraction(q),
                ["jumpMedian"] = q => med = ReadOpt(q),
                ["jumpQ1"] = q => q1 = ReadOpt(q),
                ["jumpQ3"] = q => q3 = ReadOpt(q),
                ["totalReturns"] = q => returns = (int)CheckpointFile.ReadLong(c, q, 0, int.MaxValue),
                ["gdFinalRank"] = q => gdRank = (int)CheckpointFile.ReadLong(c, q, 0, 64),
                ["gdJumpStep"] = q => gdJump = c.Type == System.Text.Json.JsonTokenType.Null ? FSharpOption<long>.None : CheckpointFile.ReadLong(c, q, 0, steps),
                ["offshootErrorAfterJump"] = q => after = ReadOpt(q),
                ["offshootErrorBeforeJump"] = q => before = ReadOpt(q),
            });
            var s = new E1Summary(fj, fc, fd, med, q1, q3, returns, gdRank, gdJump, after, before);
            return new DynamicsCell(eta, lambda, depth, s, Explore.phase(s));
        });
        if (list.Count != grid.Length) throw c.Error(path, $"must hold {grid.Length} cells (one per grid point, null when not done), not {list.Count}");
        return list.ToArray();
    }

    private static int Index(string path) => int.Parse(path[(path.LastIndexOf('[') + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
}
