using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using LowRankVerify.Theory;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.FSharp.Core;
using Spectre.Console;
using TheoryTask = LowRankVerify.Theory.Task;

namespace LowRankVerify.Runner;

/// <summary><c>lowrank bench</c>: steps per second of the SGD engine (single chain, ensemble) and of the
/// reference <c>Sgd.step</c> on the shapes (d, L, width).</summary>
public static class BenchCommand
{
    /// <summary>The benchmarked shapes (d = d_in = d_out, depth L, hidden width).</summary>
    public static readonly (int D, int Depth, int Width)[] Configs = [(2, 4, 2), (2, 8, 2), (20, 4, 20), (100, 4, 100)];

    /// <summary>Step size of every benchmark run (stable for every config over minutes of steps).</summary>
    public static readonly Hyper BenchHyper = new(0.05, 1e-3);

    /// <summary>Seed of the benchmark task and chains.</summary>
    public const ulong Seed = 2024;

    /// <summary>Nominal flops of one step: 6·L·w² (forward, backward and update each ~2·L·w²).</summary>
    public static double NominalFlops(int depth, int width) => 6.0 * depth * width * (double)width;

    /// <summary>Chains in ensemble mode: enough lanes for both cores, fewer for wide shapes (memory).</summary>
    public static int EnsembleChains(int width) => width <= 4 ? 64 : width <= 20 ? 16 : 8;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print {\"configs\": [...]} as JSON instead of a table" };
        var seconds = new Option<double>("--seconds") { Description = "measuring time per config and mode in seconds (reference mode runs a tenth of it)", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("bench", "Steps per second of the SGD engine (single, ensemble) and the reference Sgd.step") { json, seconds };
        cmd.SetAction(parse =>
        {
            double s = parse.GetValue(seconds);
            if (!double.IsFinite(s) || s <= 0 || s > 600)
                throw new InputException("--seconds", $"must be a number in (0, 600], got {s}");
            return Run(parse.GetValue(json), s);
        });
        return cmd;
    }

    /// <summary>The task of a config: A* = I + 0.1·G (G standard Gaussian, seeded), every entry observed.</summary>
    public static TheoryTask BenchTask(int d)
    {
        var (noise, _) = RngModule.gaussians(RngModule.create(Seed), d * d);
        var target = Matrix<double>.Build.Dense(d, d, (i, j) => (i == j ? 1.0 : 0.0) + 0.1 * noise[i * d + j]);
        var observed = new Tuple<int, int>[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                observed[i * d + j] = Tuple.Create(i, j);
        return new TheoryTask(target, observed);
    }

    /// <summary>The start network of a config: identity-like layers, widths [d, w, ..., w, d].</summary>
    public static Network BenchNetwork(int d, int depth, int width)
    {
        var widths = new int[depth + 1];
        for (int l = 0; l <= depth; l++)
            widths[l] = l == 0 || l == depth ? d : width;
        return NetworkModule.identityLike(1.0, widths);
    }

    private sealed record Row(int D, int Depth, int Width, string Mode, int Chains, double StepsPerSecond, double Gflops);

    private static int Run(bool asJson, double seconds)
    {
        var rows = new List<Row>();
        foreach (var (d, depth, width) in Configs)
        {
            foreach (var mode in new[] { "single", "ensemble", "reference" })
            {
                var (rate, chains) = mode switch
                {
                    "single" => (Single(d, depth, width, seconds), 1),
                    "ensemble" => (EnsembleRate(d, depth, width, seconds), EnsembleChains(width)),
                    _ => (Reference(d, depth, width, Math.Min(seconds / 10, 1.0)), 1),
                };
                rows.Add(new Row(d, depth, width, mode, chains, rate, rate * NominalFlops(depth, width) / 1e9));
            }
        }
        if (asJson)
        {
            var doc = new
            {
                configs = rows.Select(r => new { d = r.D, depth = r.Depth, width = r.Width, mode = r.Mode, stepsPerSecond = r.StepsPerSecond, gflops = r.Gflops }),
            };
            Console.WriteLine(JsonSerializer.Serialize(doc));
        }
        else
        {
            var table = new Table();
            foreach (var h in new[] { "d", "L", "width", "mode", "chains", "steps/s", "GFLOP/s (6·L·w²)" })
                table.AddColumn(new TableColumn(h).RightAligned());
            foreach (var r in rows)
                table.AddRow(r.D.ToString(), r.Depth.ToString(), r.Width.ToString(), r.Mode, r.Chains.ToString(),
                    r.StepsPerSecond.ToString("0.000e+00"), r.Gflops.ToString("0.000"));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[grey]best batch of {seconds} s per row (reference: {Math.Min(seconds / 10, 1.0)} s); ensemble steps count every chain's step; {Environment.ProcessorCount} threads.[/]");
        }
        return Cli.Ok;
    }

    /// <summary>Best rate (steps per second) over timed batches of <paramref name="runSteps"/>: the batch
    /// size doubles until one batch takes 20 ms, then batches repeat for <paramref name="seconds"/>.</summary>
    public static double BestRate(Func<long, long> runSteps, double seconds)
    {
        long batch = 64;
        var sw = Stopwatch.StartNew();
        while (true)
        {
            sw.Restart();
            long done = runSteps(batch);
            double t = sw.Elapsed.TotalSeconds;
            if (t >= 0.02 || batch > (1L << 40))
                break;
            _ = done;
            batch *= 2;
        }
        double best = 0;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            sw.Restart();
            long done = runSteps(batch);
            best = Math.Max(best, done / sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static double Single(int d, int depth, int width, double seconds)
    {
        var state = Engine.create(BenchTask(d), BenchNetwork(d, depth, width));
        var rng = RngModule.create(Seed);
        return BestRate(n =>
        {
            var outcome = Engine.runDetailed(state, BenchHyper, ref rng, n);
            if (outcome.IsDiverged)
                throw new InvalidOperationException($"bench run diverged at ({d}, {depth}, {width}): {outcome}");
            return n;
        }, seconds);
    }

    private static double EnsembleRate(int d, int depth, int width, double seconds)
    {
        int chains = EnsembleChains(width);
        var e = Ensemble.ofSeeds(BenchTask(d), BenchNetwork(d, depth, width), BenchHyper, Seed, chains);
        return BestRate(n =>
        {
            Ensemble.run(e, n);
            if (e.DivergedAt.Any(t => t >= 0))
                throw new InvalidOperationException($"bench ensemble diverged at ({d}, {depth}, {width})");
            return n * chains;
        }, seconds);
    }

    private static double Reference(int d, int depth, int width, double seconds)
    {
        var task = BenchTask(d);
        var net = BenchNetwork(d, depth, width);
        var rng = RngModule.create(Seed);
        return BestRate(n =>
        {
            for (long t = 0; t < n; t++)
            {
                var (i, j) = task.Observed[RngModule.nextInt(ref rng, task.N)];
                net = Sgd.step(BenchHyper, task, net, i, j);
            }
            return n;
        }, seconds);
    }
}
