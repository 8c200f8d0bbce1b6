using System.Runtime.Intrinsics;
using MathNet.Numerics.LinearAlgebra;
using Spectre.Console;
using TheoryTask = LowRankVerify.Theory.Task;

namespace LowRankVerify.Runner;

/// <summary><c>lowrank bench</c>: steps per second of the SGD engine (single chain, ensemble) and of the
/// reference <c>Sgd.step</c> on the shapes (d, L, width).</summary>
public static class BenchCommand
{
    /// <summary>The benchmarked shapes (d = d_in = d_out, depth L, hidden width).</summary>
    public static readonly (int D, int Depth, int Width)[] Configs = [(2, 4, 2), (2, 8, 2), (8, 4, 8), (20, 4, 20), (100, 4, 100)];

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
        double peak = PeakGflops(Math.Min(seconds, 1.0));
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
                peakGflopsPerCore = peak,
                configs = rows.Select(r => new { d = r.D, depth = r.Depth, width = r.Width, mode = r.Mode, stepsPerSecond = r.StepsPerSecond, gflops = r.Gflops }),
            };
            Console.Write(JsonOut.Serialize(doc));
        }
        else
        {
            var table = new Table();
            foreach (var h in new[] { "d", "L", "width", "mode", "chains", "steps/s", "GFLOP/s (6·L·w²)", "vs 1-core FLOP bound" })
                table.AddColumn(new TableColumn(h).RightAligned());
            foreach (var r in rows)
                table.AddRow(r.D.ToString(), r.Depth.ToString(), r.Width.ToString(), r.Mode, r.Chains.ToString(),
                    r.StepsPerSecond.ToString("0.000e+00"), r.Gflops.ToString("0.000"), (r.Gflops / peak).ToString("0.0%"));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[grey]measured peak FMA throughput of one core: {peak:0.0} GFLOP/s; FLOP bound of a config = peak / (6·L·w²) steps/s.[/]");
            AnsiConsole.MarkupLine($"[grey]best batch of {seconds} s per row (reference: {Math.Min(seconds / 10, 1.0)} s); ensemble steps count every chain's step; {Environment.ProcessorCount} threads.[/]");
        }
        return Cli.Ok;
    }

    /// <summary>Measured peak double-precision FMA throughput of one core in GFLOP/s (an FMA counts 2
    /// flops): 12 independent Vector256 FMA chains, best batch over <paramref name="seconds"/>. The
    /// FLOP bound of a config is this peak divided by the flops of one step.</summary>
    public static double PeakGflops(double seconds)
    {
        const int chains = 12;
        double rate = BestRate(n =>
        {
            var m = Vector256.Create(0.9999999);
            var c = Vector256.Create(1e-9);
            Vector256<double> a0 = Vector256.Create(1.0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
                a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
            for (long k = 0; k < n; k++)
            {
                a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
                a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
                a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
                a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
                a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
                a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
            }
            var sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
            return Vector256.Sum(sum) > 0 ? n : -n;
        }, seconds);
        return rate * chains * Vector256<double>.Count * 2 / 1e9;
    }

    /// <summary>Best rate (steps per second) over timed batches of <paramref name="runSteps"/> (which
    /// returns the steps it counts): the batch size doubles until one batch takes 2 ms, then batches
    /// repeat for <paramref name="seconds"/>. Short batches and the best of many are deliberate: the
    /// machine is shared, and the best short batch is the one that ran without being preempted.</summary>
    public static double BestRate(Func<long, long> runSteps, double seconds)
    {
        long batch = 16;
        var sw = Stopwatch.StartNew();
        while (true)
        {
            sw.Restart();
            runSteps(batch);
            if (sw.Elapsed.TotalSeconds >= 0.002 || batch > (1L << 40))
                break;
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
