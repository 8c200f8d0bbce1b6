using System.Runtime.Intrinsics;
using MathNet.Numerics.LinearAlgebra;
using TheoryTask = LowRankVerify.Theory.Task;
using static LowRankVerify.Runner.BenchCommand;

namespace LowRankVerify.Runner;

/// <summary>What <c>lowrank bench</c> measures: the benchmark task and network of a config, the peak FMA
/// throughput of one core, and steps per second of the single-chain engine, the ensemble and the reference
/// <c>Sgd.step</c> (docs/performance.md).</summary>
public static class BenchRates
{
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

    /// <summary>Shortest batch whose time counts as a rate (half the calibration target of 2 ms). A shorter
    /// batch is not a rate: its time is near the clock's resolution (<see cref="TimeSpan"/> ticks are
    /// 100 ns, so a batch of a few nanoseconds read through <c>Stopwatch.Elapsed</c> took "0 s").</summary>
    public const double MinBatchSeconds = 0.001;

    /// <summary>Largest batch tried: a batch that is still under <see cref="MinBatchSeconds"/> at this size
    /// does no measurable work.</summary>
    public const long MaxBatch = 1L << 40;

    /// <summary>Best rate (steps per second) over timed batches of <paramref name="runSteps"/> (which
    /// returns the steps it counts): one untimed warm-up call (JIT, first-call costs), then the batch size
    /// doubles until one batch takes 2 ms, then batches repeat for <paramref name="seconds"/> (and until
    /// one rate is measured). Short batches and the best of many are deliberate: the machine is shared,
    /// and the best short batch is the one that ran without being preempted. A batch under
    /// <see cref="MinBatchSeconds"/> (its calibration was inflated by a preemption) is not counted and
    /// doubles the batch. Throws <see cref="InvalidOperationException"/> with a message, never returns a
    /// non-finite or non-positive rate.</summary>
    public static double BestRate(Func<long, long> runSteps, double seconds)
    {
        runSteps(1);
        long batch = 16;
        while (Time(runSteps, batch).Seconds < 0.002 && batch < MaxBatch)
            batch *= 2;
        double best = 0;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || best <= 0)
        {
            var (done, elapsed) = Time(runSteps, batch);
            if (elapsed >= MinBatchSeconds)
                best = Math.Max(best, done / elapsed);
            else if (batch < MaxBatch)
                batch *= 2;
            else
                throw new InvalidOperationException($"a batch of {batch} steps took {elapsed:0.###e+00} s, under the {MinBatchSeconds} s that counts as a rate: nothing measurable to time");
            if (best <= 0 && total.Elapsed.TotalSeconds > Math.Max(60, 10 * seconds))
                throw new InvalidOperationException($"no batch gave a positive rate in {total.Elapsed.TotalSeconds:0.#} s");
        }
        return double.IsFinite(best) ? best : throw new InvalidOperationException($"the best rate is not finite ({best})");
    }

    /// <summary>Steps counted and seconds taken by one batch, at the stopwatch's full resolution.</summary>
    private static (long Done, double Seconds) Time(Func<long, long> runSteps, long batch)
    {
        var start = Stopwatch.GetTimestamp();
        var done = runSteps(batch);
        return (done, (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency);
    }

    /// <summary>Steps per second of one chain of the engine on a config.</summary>
    public static double Single(int d, int depth, int width, double seconds)
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

    /// <summary>Steps per second of the ensemble on a config, every chain's step counted.</summary>
    public static double EnsembleRate(int d, int depth, int width, double seconds)
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

    /// <summary>Steps per second of the reference <c>Sgd.step</c> on a config.</summary>
    public static double Reference(int d, int depth, int width, double seconds)
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
