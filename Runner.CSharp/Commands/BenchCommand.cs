using Spectre.Console;
using static LowRankVerify.Runner.BenchRates;

namespace LowRankVerify.Runner;

/// <summary><c>lowrank bench</c>: steps per second of the SGD engine (single chain, ensemble) and of the
/// reference <c>Sgd.step</c> on the shapes (d, L, width), measured by <see cref="BenchRates"/>. Exit 1 with one line
/// when a measurement fails (a diverged run, a batch too short to time); a rate that is not finite is never written.</summary>
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
            try
            {
                return Run(parse.GetValue(json), s);
            }
            catch (InvalidOperationException e)
            {
                // a diverged run or a batch too short to time: one line, exit 1, nothing written
                Console.Error.WriteLine($"error: bench: {e.Message}");
                return Cli.CheckFailed;
            }
        });
        return cmd;
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
}
