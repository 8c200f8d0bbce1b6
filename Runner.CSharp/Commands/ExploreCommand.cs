using System.CommandLine;
using System.Globalization;
using LowRankVerify.Runner.Json;
using LowRankVerify.Runner.Reports;
using LowRankVerify.Theory;
using Microsoft.FSharp.Core;

namespace LowRankVerify.Runner;

/// <summary><c>lowrank explore</c>: the map of "small enough η and λ" (THEORY.md §4, core <c>Explore</c>):
/// <c>--claim C1</c> maps where closure holds over an (η, λ) grid with the best constants found and
/// compares it with the derived regime; <c>--dynamics</c> maps E1's phases over (η, λ, L). Writes a report
/// with figures. Exit 0 (a map has no pass/fail), 2 on invalid input.</summary>
public static class ExploreCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Parses a comma-separated list of numbers, each checked by <paramref name="ok"/>.</summary>
    public static double[] ReadList(string field, string? text, Func<double, bool> ok, string rule)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        var xs = new double[parts.Length];
        for (var k = 0; k < parts.Length; k++)
            if (!double.TryParse(parts[k], NumberStyles.Float, Inv, out xs[k]) || !double.IsFinite(xs[k]) || !ok(xs[k]))
                throw new InputException(field, $"must be a comma-separated list of {rule}, got '{text}'");
        if (xs.Length > 32) throw new InputException(field, "must list at most 32 values");
        return xs;
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var claim = new Option<string?>("--claim") { Description = "claim to map over (eta, lambda): C1 (required unless --dynamics)" };
        var dynamics = new Option<bool>("--dynamics") { Description = "map E1's dynamics over (eta, lambda, L) instead (GD stays / SGD jumps / collapses)" };
        var task = new Option<string?>("--task") { Description = "task JSON file (C1 map; at most 8x8); default E1's task with --epsilon" };
        var epsilon = new Option<double>("--epsilon") { Description = "eps of E1's task [[1, 1/eps], [eps, 1]] (> 0)", DefaultValueFactory = _ => 0.1 };
        var depth = new Option<int>("--depth") { Description = "depth L of the C1 map (2..8)", DefaultValueFactory = _ => 4 };
        var r = new Option<int>("--r") { Description = "rank r of B_r for the C1 map (0..8)", DefaultValueFactory = _ => 1 };
        var f = new Option<string>("--f") { Description = "f_alpha family: piecewise or quadratic", DefaultValueFactory = _ => "piecewise" };
        var etas = new Option<string>("--etas") { Description = "C1 map: eta grid, log-spaced 'min,max,count' (0 < min < max, count 2..32)", DefaultValueFactory = _ => "1e-10,1,11" };
        var lambdas = new Option<string>("--lambdas") { Description = "C1 map: lambda grid 'min,max,count'", DefaultValueFactory = _ => "0.01,1,5" };
        var kappas = new Option<string>("--kappas") { Description = "C1 map: ladder of kappa_C (C = kappa m^2/(8 lambda)), ascending, each > 1", DefaultValueFactory = _ => "1.25,2,4,16" };
        var evaluations = new Option<int>("--evaluations") { Description = "C1 map: evaluations per hunt (one hunt per cell and kappa; 1..100000)", DefaultValueFactory = _ => 150 };
        var dynEtas = new Option<string>("--dyn-etas") { Description = "dynamics: list of eta values", DefaultValueFactory = _ => "0.05,0.1,0.2,0.5" };
        var dynLambdas = new Option<string>("--dyn-lambdas") { Description = "dynamics: list of lambda values (2 eta lambda < 1)", DefaultValueFactory = _ => "0.002,0.006,0.02,0.05" };
        var dynDepths = new Option<string>("--dyn-depths") { Description = "dynamics: list of depths (1..16)", DefaultValueFactory = _ => "4,6,8" };
        var steps = new Option<long>("--steps") { Description = "dynamics: SGD steps per chain and GD steps (1..1e9)", DefaultValueFactory = _ => 300_000L };
        var seeds = new Option<int>("--seeds") { Description = "dynamics: SGD chains per cell (1..1000)", DefaultValueFactory = _ => 4 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the hunts and of the chains", DefaultValueFactory = _ => 1UL };
        var output = new Option<string?>("--out") { Description = "report directory (default reports/<UTC timestamp>-explore/)" };
        var force = new Option<bool>("--force") { Description = "write into an existing non-empty --out directory" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output" };
        var cmd = new Command("explore", "Map of small enough eta and lambda: where C1 holds (vs the derived regime), or E1's dynamics phases (--dynamics).");
        foreach (var o in new Option[] { claim, dynamics, task, epsilon, depth, r, f, etas, lambdas, kappas, evaluations, dynEtas, dynLambdas, dynDepths, steps, seeds, seed, output, force, quiet })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var isDyn = parse.GetValue(dynamics);
            var claimText = parse.GetValue(claim);
            if (!isDyn && claimText is null) throw new InputException("--claim", "is required (C1) unless --dynamics is given");
            if (claimText is not null && !string.Equals(claimText.Trim(), "C1", StringComparison.OrdinalIgnoreCase))
                throw new InputException("--claim", $"only C1 has an (eta, lambda) map (C2's critical points do not depend on eta; C3-C6 are hunted by `lowrank hunt`), got '{claimText}'");
            var eps = parse.GetValue(epsilon);
            if (!(double.IsFinite(eps) && eps > 0)) throw new InputException("--epsilon", "must be a finite number > 0");
            var s = parse.GetValue(seed);
            var run = RunInfo.Collect(Environment.GetCommandLineArgs().Skip(1).ToArray());
            var isQuiet = parse.GetValue(quiet);

            ClosureMap? map = null;
            string taskLabel = "";
            double[] etaGrid = [], lambdaGrid = [], kappaList = [];
            int evals = 0, dep = 0, rank = 0;
            FAlphaFamily family = FAlphaFamily.Piecewise;
            LowRankVerify.Theory.Task? tk = null;
            if (claimText is not null)
            {
                var tp = parse.GetValue(task);
                tk = tp is null ? TaskModule.twoByTwo(eps) : TaskFile.Read("--task", tp);
                if (tk.DOut > 8 || tk.DIn > 8) throw new InputException("--task", $"must be at most 8x8 for the C1 map, got {tk.DOut}x{tk.DIn}");
                taskLabel = tp is null ? $"E1 [[1, *], [{G(eps)}, 1]]" : Path.GetFileName(tp);
                dep = parse.GetValue(depth);
                if (dep < 2 || dep > 8) throw new InputException("--depth", "must be an integer in 2..8");
                rank = parse.GetValue(r);
                if (rank < 0 || rank > 8) throw new InputException("--r", "must be an integer in 0..8");
                family = Options.Unwrap(FAlpha.parse("f", parse.GetValue(f) ?? "piecewise"), optionField: true);
                etaGrid = Grid("--etas", parse.GetValue(etas));
                lambdaGrid = Grid("--lambdas", parse.GetValue(lambdas));
                kappaList = ReadList("--kappas", parse.GetValue(kappas), x => x > 1.0 && x <= 1e6, "numbers in (1, 1e6]");
                if (kappaList.Zip(kappaList.Skip(1)).Any(t => t.Second <= t.First)) throw new InputException("--kappas", "must be ascending");
                evals = parse.GetValue(evaluations);
                if (evals < 1 || evals > 100_000) throw new InputException("--evaluations", "must be an integer in 1..100000");
            }
            double[] de = [], dl = [];
            int[] dd = [];
            TwoByTwoParams? dp = null;
            if (isDyn)
            {
                de = ReadList("--dyn-etas", parse.GetValue(dynEtas), x => x > 0, "numbers > 0");
                dl = ReadList("--dyn-lambdas", parse.GetValue(dynLambdas), x => x >= 0, "numbers >= 0");
                dd = ReadList("--dyn-depths", parse.GetValue(dynDepths), x => x >= 1 && x <= 16 && x == Math.Floor(x), "integers in 1..16").Select(x => (int)x).ToArray();
                var st = parse.GetValue(steps);
                if (st < 1 || st > 1_000_000_000L) throw new InputException("--steps", "must be an integer in 1..1e9");
                var sd = parse.GetValue(seeds);
                if (sd < 1 || sd > 1000) throw new InputException("--seeds", "must be an integer in 1..1000");
                dp = Explore.dynamicsBase(eps, st, sd, s);
                ExperimentCommand.Validate(dp);
            }
            var dir = OutputDirectory.Prepare(parse.GetValue(output), "explore", parse.GetValue(force), run.StartedUtc);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (m, cells) = Progress.Run(isQuiet, progress =>
            {
                ClosureMap? cm = null;
                DynamicsCell[] dc = [];
                if (tk is not null)
                {
                    var st = progress.Begin("C1 map", etaGrid.Length * lambdaGrid.Length);
                    cm = Explore.closureMap(tk, dep, rank, family, etaGrid, lambdaGrid, kappaList, evals, s, FuncConvert.FromAction<int>(_ => st.Advance()));
                    st.Done();
                }
                if (dp is not null)
                {
                    var st = progress.Begin("E1 dynamics map", de.Length * dl.Length * dd.Length);
                    dc = Explore.dynamicsMap(dp, de, dl, dd, dp.Steps, dp.Seeds, ExperimentCommand.Threads, FuncConvert.FromAction<int>(_ => st.Advance()));
                    st.Done();
                }
                return (cm, dc);
            });
            map = m;
            var doc = new Document("LowRankVerify: the map of small enough eta and lambda");
            ReportWriter.AddProvenance(doc, run);
            if (map is not null) ExploreReport.AddClosure(doc, dir, map, taskLabel);
            if (dp is not null) ExploreReport.AddDynamics(doc, dir, cells, dp, dd);
            doc.H(2, "Replay");
            var replay = "dotnet run --project Runner.CSharp -c Release -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)
                .Where(a => a is not "--force" and not "--quiet").Select(RunInfo.Quote));
            doc.P($"Wall time {clock.Elapsed.TotalSeconds:0} s.");
            doc.C(replay);
            var json = new
            {
                schemaVersion = ReportWriter.SchemaVersion,
                command = "explore",
                run,
                seed = s,
                wallSeconds = clock.Elapsed.TotalSeconds,
                c1 = map is null ? null : ExploreReport.ClosureJson(map),
                dynamics = dp is null ? null : new { epsilon = dp.Epsilon, width = dp.Width, steps = dp.Steps, seeds = dp.Seeds, cells = ExploreReport.DynamicsJson(cells) },
                replay,
            };
            var where = ReportWriter.Write(dir, json, doc);
            if (map is not null)
            {
                Console.WriteLine($"C1 map: {map.Cells.Count(c => c.Holds)}/{map.Cells.Length} cells held, {map.Cells.Count(c => c.InRegime)} inside the derived regime ({map.Cells.Count(c => c.InRegime && !c.Holds)} of them failed)");
                foreach (var t in Explore.boundary(map))
                    Console.WriteLine($"  lambda {G(t.Item1)}: derived etaMax {G(t.Item2)}, held up to eta {(t.Item3 is null ? "none" : G(t.Item3.Value))}, first failure at {(t.Item4 is null ? "none" : G(t.Item4.Value))}");
            }
            if (dp is not null)
                Console.WriteLine("E1 dynamics: " + string.Join("; ", Explore.phases.Select(ph => $"{ph}: {cells.Count(c => c.Phase == ph)}")));
            Console.WriteLine(where);
            return Cli.Ok;
        });
        return cmd;
    }

    private static string G(double x) => x.ToString("G3", Inv);

    private static double[] Grid(string field, string? text)
    {
        var xs = ReadList(field, text, _ => true, "three numbers 'min,max,count'");
        if (xs.Length != 3 || !(xs[0] > 0) || !(xs[1] > xs[0]) || xs[2] != Math.Floor(xs[2]) || xs[2] < 2 || xs[2] > 32)
            throw new InputException(field, $"must be 'min,max,count' with 0 < min < max and count an integer in 2..32, got '{text}'");
        return Explore.logGrid(xs[0], xs[1], (int)xs[2]);
    }
}
