using LowRankVerify.Runner.Json;
using LowRankVerify.Theory;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>Checkpoint fields of <c>explore</c>: the completed cells of the C1 map and of the dynamics
/// map (null for a cell not yet computed), the core's <c>ClosureCell</c> and <c>DynamicsCell</c> as they are
/// (<see cref="CheckpointJson"/>). Cells are independent (each a function of the parameters, the seed and its
/// own grid point), so a resumed run computes only the missing ones and its maps equal an uninterrupted
/// run's. A stored cell must sit at its own grid point (compared bit for bit).</summary>
public static class ExploreCheckpoint
{
    /// <summary>Writes the C1 cells (null where not computed).</summary>
    public static void WriteClosureCells(JsonOut w, ClosureCell?[] cells) => WriteCells(w, cells);

    /// <summary>Writes the dynamics cells (null where not computed).</summary>
    public static void WriteDynamicsCells(JsonOut w, DynamicsCell?[] cells) => WriteCells(w, cells);

    private static void WriteCells<T>(JsonOut w, T?[] cells) where T : class
    {
        w.BeginArray();
        foreach (var x in cells)
            if (x is null) w.Null(); else CheckpointJson.Write(w, x);
        w.EndArray();
    }

    /// <summary>Reads the C1 cells for the grid <paramref name="grid"/> (exactly one entry per grid point).</summary>
    public static ClosureCell?[] ReadClosureCells(JsonCursor c, string path, Tuple<double, double>[] grid, int maxEvaluations) =>
        ReadCells<ClosureCell>(c, path, grid.Length, 512 + 2 * 64 + (1L + 3 * HuntCheckpoint.MaxSide * HuntCheckpoint.MaxSide) * (3 + HuntCheckpoint.MaxDepth), (k, check, x) =>
        {
            check.That("eta", x.Eta == grid[k].Item1, $"must be this cell's grid eta {grid[k].Item1:R}");
            check.That("lambda", x.Lambda == grid[k].Item2, $"must be this cell's grid lambda {grid[k].Item2:R}");
            check.Range("constants.r", x.Constants.R, 0, 64);
            check.Range("violated", x.Violated.Length, 0, 16);
            check.That("violated", x.Violated.All(v => v.Length <= 200), "must hold strings of at most 200 characters");
            check.Range("evaluations", x.Evaluations, 0, (long)maxEvaluations * 64);
            if (FSharpOption<HuntFinding>.get_IsSome(x.Counterexample))
                HuntCheckpoint.CheckFinding(c, $"{path}[{k}].counterexample", x.Counterexample.Value, ClaimId.C1, maxEvaluations);
        });

    /// <summary>Reads the dynamics cells for the grid <paramref name="grid"/>; the phase must be the one the
    /// summary gives (<c>Explore.phase</c>).</summary>
    public static DynamicsCell?[] ReadDynamicsCells(JsonCursor c, string path, Tuple<double, double, int>[] grid, long steps, int seeds) =>
        ReadCells<DynamicsCell>(c, path, grid.Length, 64, (k, check, x) =>
        {
            var s = x.Summary;
            check.That("eta", x.Eta == grid[k].Item1, $"must be this cell's grid eta {grid[k].Item1:R}");
            check.That("lambda", x.Lambda == grid[k].Item2, $"must be this cell's grid lambda {grid[k].Item2:R}");
            check.Equal("depth", x.Depth, grid[k].Item3);
            foreach (var (name, f) in new[] { ("fractionJumped", s.FractionJumped), ("fractionCollapsed", s.FractionCollapsed), ("fractionDiverged", s.FractionDiverged) })
                check.That($"summary.{name}", f >= 0 && f <= 1, "must be a fraction in [0, 1]");
            check.Range("summary.totalReturns", s.TotalReturns, 0, int.MaxValue);
            check.Range("summary.gdFinalRank", s.GdFinalRank, 0, 64);
            check.Option("summary.gdJumpStep", s.GdJumpStep, 0, steps);
            check.That("phase", x.Phase == Explore.phase(s), $"must be \"{Explore.phase(s)}\" (the phase of its summary)");
        });

    /// <summary>An array of exactly <paramref name="count"/> cells, each null or a <typeparamref name="T"/> of at most
    /// <paramref name="values"/> values read generically and checked by <paramref name="check"/> (cell index, its checks, the cell).</summary>
    private static T?[] ReadCells<T>(JsonCursor c, string path, int count, long values, Action<int, StateCheck, T> check) where T : class =>
        CheckpointFile.ReadExactly(c, path, count, "cells (one per grid point, null when not done)", (k, p) =>
        {
            if (c.Type == System.Text.Json.JsonTokenType.Null) return null;
            var x = CheckpointJson.Read<T>(c, p, values);
            check(k, new StateCheck(c, p), x);
            return x;
        });
}
