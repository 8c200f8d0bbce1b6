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
        var evaluations = new Option<int>("--evaluations") { Description = "C1 map: evaluations per hunt (one hunt per cell and kappa; 1..100000)", DefaultValueFactory = _ => 600 };
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
        var parameters = new Option[] { claim, dynamics, task, epsilon, depth, r, f, etas, lambdas, kappas, evaluations, dynEtas, dynLambdas, dynDepths, steps, seeds, seed, output, force };
        foreach (var o in parameters.Append(quiet))
            cmd.Options.Add(o);
        var resilience = new ResilienceOptions();
        resilience.AddTo(cmd);

        Plan ReadPlan(ParseResult parse)
        {
            var isDyn = parse.GetValue(dynamics);
            var claimText = parse.GetValue(claim);
            if (!isDyn && claimText is null) throw new InputException("--claim", "is required (C1) unless --dynamics is given");
            if (claimText is not null && !string.Equals(claimText.Trim(), "C1", StringComparison.OrdinalIgnoreCase))
                throw new InputException("--claim", $"only C1 has an (eta, lambda) map (C2's critical points do not depend on eta; C3-C6 are hunted by `lowrank hunt`), got '{claimText}'");
            var eps = parse.GetValue(epsilon);
            if (!(double.IsFinite(eps) && eps > 0)) throw new InputException("--epsilon", "must be a finite number > 0");
            var pl = new Plan { Seed = parse.GetValue(seed) };
            if (claimText is not null)
            {
                var tp = parse.GetValue(task);
                var tk = tp is null ? TaskModule.e1(eps) : TaskFile.Read("--task", tp);
                if (tk.DOut > 8 || tk.DIn > 8) throw new InputException("--task", $"must be at most 8x8 for the C1 map, got {tk.DOut}x{tk.DIn}");
                pl.Task = tk;
                pl.TaskLabel = tp is null ? $"E1 [[1, *], [{G(eps)}, 1]]" : Path.GetFileName(tp);
                pl.Depth = parse.GetValue(depth);
                if (pl.Depth < 2 || pl.Depth > 8) throw new InputException("--depth", "must be an integer in 2..8");
                pl.Rank = parse.GetValue(r);
                if (pl.Rank < 0 || pl.Rank > 8) throw new InputException("--r", "must be an integer in 0..8");
                pl.Family = Options.Unwrap(FAlpha.parse("f", parse.GetValue(f) ?? "piecewise"), optionField: true);
                pl.EtaGrid = Grid("--etas", parse.GetValue(etas));
                pl.LambdaGrid = Grid("--lambdas", parse.GetValue(lambdas));
                pl.Kappas = ReadList("--kappas", parse.GetValue(kappas), x => x > 1.0 && x <= 1e6, "numbers in (1, 1e6]");
                if (pl.Kappas.Zip(pl.Kappas.Skip(1)).Any(t => t.Second <= t.First)) throw new InputException("--kappas", "must be ascending");
                pl.Evaluations = parse.GetValue(evaluations);
                if (pl.Evaluations < 1 || pl.Evaluations > 100_000) throw new InputException("--evaluations", "must be an integer in 1..100000");
                pl.ClosureGrid = Explore.closureGrid(pl.EtaGrid, pl.LambdaGrid);
                pl.Closure = new ClosureCell?[pl.ClosureGrid.Length];
            }
            if (isDyn)
            {
                var de = ReadList("--dyn-etas", parse.GetValue(dynEtas), x => x > 0, "numbers > 0");
                var dl = ReadList("--dyn-lambdas", parse.GetValue(dynLambdas), x => x >= 0, "numbers >= 0");
                // A cell with 2·eta·lambda >= 1 wipes theta out in one step; reject it instead of dropping it silently.
                foreach (var e in de)
                    foreach (var l in dl)
                        if (2.0 * e * l >= 1.0)
                            throw new InputException("--dyn-lambdas", $"2*eta*lambda must be < 1 for every listed eta (eta={e.ToString(CultureInfo.InvariantCulture)}, lambda={l.ToString(CultureInfo.InvariantCulture)})");
                pl.DynDepths = ReadList("--dyn-depths", parse.GetValue(dynDepths), x => x >= 1 && x <= 16 && x == Math.Floor(x), "integers in 1..16").Select(x => (int)x).ToArray();
                var st = parse.GetValue(steps);
                if (st < 1 || st > 1_000_000_000L) throw new InputException("--steps", "must be an integer in 1..1e9");
                var sd = parse.GetValue(seeds);
                if (sd < 1 || sd > 1000) throw new InputException("--seeds", "must be an integer in 1..1000");
                pl.Dyn = Explore.dynamicsBase(eps, st, sd, pl.Seed);
                ExperimentCommand.Validate(pl.Dyn);
                pl.DynGrid = Explore.dynamicsGrid(de, dl, pl.DynDepths);
                pl.Dynamics = new DynamicsCell?[pl.DynGrid.Length];
            }
            return pl;
        }

        cmd.SetAction(parse =>
        {
            var policy = resilience.Policy(parse);
            var resumeDir = resilience.ResumeDir(parse, parameters);
            var run = RunInfo.Collect(Environment.GetCommandLineArgs().Skip(1).ToArray());
            var isQuiet = parse.GetValue(quiet);
            string[] args;
            Plan pl;
            OutputDirectory dir;
            if (resumeDir is not null)
            {
                var path = CheckpointFile.Locate(resumeDir);
                string[]? a = null;
                Plan? loaded = null;
                var digestChecked = false;
                CheckpointFile.Read(path, CommandName, c => new Dictionary<string, Action<string>>
                {
                    ["args"] = p =>
                    {
                        a = HuntCheckpoint.ReadArgs(c, p);
                        loaded = HuntCheckpoint.Reparse(cmd, a, path, ReadPlan);
                    },
                    ["taskDigest"] = p =>
                    {
                        if (loaded is null) throw c.Error(p, "must come after args");
                        HuntCheckpoint.CheckTaskDigest(c, p, loaded.Task);
                        digestChecked = true;
                    },
                    ["closureCells"] = p =>
                    {
                        if (loaded is null) throw c.Error(p, "must come after args");
                        if (c.Type == System.Text.Json.JsonTokenType.Null && loaded.ClosureGrid.Length == 0) return;
                        if (loaded.ClosureGrid.Length == 0) throw c.Error(p, "must be null (the run has no C1 map)");
                        loaded.Closure = ExploreCheckpoint.ReadClosureCells(c, p, loaded.ClosureGrid, loaded.Evaluations);
                    },
                    ["dynamicsCells"] = p =>
                    {
                        if (loaded is null) throw c.Error(p, "must come after args");
                        if (c.Type == System.Text.Json.JsonTokenType.Null && loaded.Dyn is null) return;
                        if (loaded.Dyn is null) throw c.Error(p, "must be null (the run has no dynamics map)");
                        loaded.Dynamics = ExploreCheckpoint.ReadDynamicsCells(c, p, loaded.DynGrid, loaded.Dyn.Steps, loaded.Dyn.Seeds);
                    },
                });
                if (!digestChecked)
                    throw new InputException("--resume", $"{path} has no taskDigest (written by an older lowrank); start a new run");
                args = a!;
                pl = loaded!;
                dir = OutputDirectory.Existing(resumeDir);
            }
            else
            {
                pl = ReadPlan(parse);
                args = Environment.GetCommandLineArgs().Skip(1).ToArray();
                dir = OutputDirectory.Prepare(parse.GetValue(output), "explore", parse.GetValue(force), run.StartedUtc);
            }
            var tk = pl.Task;
            var dp = pl.Dyn;
            var s = pl.Seed;
            var taskLabel = pl.TaskLabel;
            var dd = pl.DynDepths;
            using var signal = new StopSignal();
            void Save() => CheckpointFile.Write(dir.Path, CommandName, w =>
            {
                HuntCheckpoint.WriteArgs(w, args);
                HuntCheckpoint.WriteTaskDigest(w, tk);
                w.Key("closureCells");
                if (tk is null) w.Null(); else ExploreCheckpoint.WriteClosureCells(w, pl.Closure);
                w.Key("dynamicsCells");
                if (dp is null) w.Null(); else ExploreCheckpoint.WriteDynamicsCells(w, pl.Dynamics);
            });
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var sinceCheckpoint = 0L;
            // after each cell: stop on a signal (checkpoint first), or checkpoint when the policy says so
            bool Boundary()
            {
                if (signal.Stopped)
                {
                    Save();
                    return false;
                }
                sinceCheckpoint++;
                if (policy.Steps is { } every ? sinceCheckpoint >= every : policy.Due())
                {
                    Save();
                    policy.Written();
                    sinceCheckpoint = 0;
                }
                return true;
            }
            var completed = Progress.Run(isQuiet, progress =>
            {
                if (tk is not null)
                {
                    var st = progress.Begin("C1 map", pl.ClosureGrid.Length);
                    st.Advance(pl.Closure.Count(x => x is not null));
                    for (var k = 0; k < pl.ClosureGrid.Length; k++)
                    {
                        if (pl.Closure[k] is not null) continue;
                        var (eta, lambda) = pl.ClosureGrid[k];
                        pl.Closure[k] = Explore.closureCell(tk, pl.Depth, pl.Rank, pl.Family, pl.Kappas, pl.Evaluations, s, eta, lambda);
                        st.Advance();
                        if (!Boundary()) return false;
                    }
                    st.Done();
                }
                if (dp is not null)
                {
                    var st = progress.Begin("E1 dynamics map", pl.DynGrid.Length);
                    st.Advance(pl.Dynamics.Count(x => x is not null));
                    for (var k = 0; k < pl.DynGrid.Length; k++)
                    {
                        if (pl.Dynamics[k] is not null) continue;
                        pl.Dynamics[k] = Explore.dynamicsCell(dp, dp.Steps, dp.Seeds, ExperimentCommand.Threads, pl.DynGrid[k].Item1, pl.DynGrid[k].Item2, pl.DynGrid[k].Item3);
                        st.Advance();
                        if (!Boundary()) return false;
                    }
                    st.Done();
                }
                return true;
            });
            if (!completed)
                return PartialReport.Write(dir, run, CommandName, signal, null,
                    [$"C1 map: {pl.Closure.Count(x => x is not null)} of {pl.Closure.Length} cells", $"E1 dynamics map: {pl.Dynamics.Count(x => x is not null)} of {pl.Dynamics.Length} cells"]);
            var map = tk is null ? null : Explore.closureMapOf(tk, pl.Depth, pl.Rank, pl.Family, pl.EtaGrid, pl.LambdaGrid, pl.Kappas, pl.Evaluations, pl.Closure.Select(x => x!).ToArray());
            var cells = pl.Dynamics.Select(x => x!).ToArray();
            var doc = new Document("LowRankVerify: the map of small enough eta and lambda");
            ReportWriter.AddProvenance(doc, run);
            if (map is not null) ExploreReport.AddClosure(doc, dir, map, taskLabel);
            if (dp is not null) ExploreReport.AddDynamics(doc, dir, cells, dp, dd);
            doc.H(2, "Replay");
            var replay = Replay(args);
            doc.P($"Wall time {clock.Elapsed.TotalSeconds:0} s.");
            doc.C(replay);
            var json = new
            {
                schemaVersion = ReportWriter.SchemaVersion,
                command = CommandName,
                run,
                execution = PartialReport.Execution(resumeDir, policy, completed: true, signal),
                partial = false,
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
            CheckpointFile.Delete(dir.Path);
            Console.WriteLine(where);
            return Cli.Ok;
        });
        return cmd;
    }

    /// <summary>Command name in checkpoints.</summary>
    public const string CommandName = "explore";

    /// <summary>The replay line: the original arguments without the options that do not change the maps (--out, --force, --quiet, checkpoint policy).</summary>
    public static string Replay(string[] args)
    {
        var kept = new List<string>();
        for (var k = 0; k < args.Length; k++)
        {
            var a = args[k];
            if (a is "--force" or "--quiet") continue;
            if (a is "--checkpoint-every" or "--checkpoint-steps" or "--out") { k++; continue; }
            if (a.StartsWith("--checkpoint-every=", StringComparison.Ordinal) || a.StartsWith("--checkpoint-steps=", StringComparison.Ordinal) || a.StartsWith("--out=", StringComparison.Ordinal)) continue;
            kept.Add(RunInfo.Quote(a));
        }
        return RunInfo.Replay(string.Join(' ', kept));
    }

    /// <summary>What an explore run computes: its parameters and its cells (null until computed).</summary>
    private sealed class Plan
    {
        public ulong Seed;
        public LowRankVerify.Theory.Task? Task;
        public string TaskLabel = "";
        public int Depth, Rank, Evaluations;
        public FAlphaFamily Family = FAlphaFamily.Piecewise;
        public double[] EtaGrid = [], LambdaGrid = [], Kappas = [];
        public Tuple<double, double>[] ClosureGrid = [];
        public ClosureCell?[] Closure = [];
        public E1Params? Dyn;
        public int[] DynDepths = [];
        public Tuple<double, double, int>[] DynGrid = [];
        public DynamicsCell?[] Dynamics = [];
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
