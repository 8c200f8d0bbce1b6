namespace LowRankVerify.Runner;

/// <summary>The options of <c>lowrank explore</c>, their rules, and the plan they give.</summary>
public static partial class ExploreCommand
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

    /// <summary>The options of <c>lowrank explore</c> (also read back from a checkpoint's arguments).</summary>
    public sealed class ExploreOptions
    {
        /// <summary><c>--claim</c>.</summary>
        public Option<string?> Claim { get; } = new Option<string?>("--claim") { Description = "claim to map over (eta, lambda): C1 (required unless --dynamics)" };

        /// <summary><c>--dynamics</c>.</summary>
        public Option<bool> Dynamics { get; } = new Option<bool>("--dynamics") { Description = "map E1's dynamics over (eta, lambda, L) instead (GD stays / SGD jumps / collapses)" };

        /// <summary><c>--task</c>.</summary>
        public Option<string?> Task { get; } = new Option<string?>("--task") { Description = "task JSON file (C1 map; at most 8x8); default E1's task with --epsilon" };

        /// <summary><c>--epsilon</c>.</summary>
        public Option<double> Epsilon { get; } = new Option<double>("--epsilon") { Description = "eps of E1's task [[1, 1/eps], [eps, 1]] (> 0)", DefaultValueFactory = _ => 0.1 };

        /// <summary><c>--depth</c>.</summary>
        public Option<int> Depth { get; } = new Option<int>("--depth") { Description = "depth L of the C1 map (2..8)", DefaultValueFactory = _ => 4 };

        /// <summary><c>--r</c>.</summary>
        public Option<int> R { get; } = new Option<int>("--r") { Description = "rank r of B_r for the C1 map (0..8)", DefaultValueFactory = _ => 1 };

        /// <summary><c>--f</c>.</summary>
        public Option<string> F { get; } = new Option<string>("--f") { Description = "f_alpha family: piecewise or quadratic", DefaultValueFactory = _ => "piecewise" };

        /// <summary><c>--etas</c>.</summary>
        public Option<string> Etas { get; } = new Option<string>("--etas") { Description = "C1 map: eta grid, log-spaced 'min,max,count' (0 < min < max, count 2..32)", DefaultValueFactory = _ => "1e-10,1,11" };

        /// <summary><c>--lambdas</c>.</summary>
        public Option<string> Lambdas { get; } = new Option<string>("--lambdas") { Description = "C1 map: lambda grid 'min,max,count'", DefaultValueFactory = _ => "0.01,1,5" };

        /// <summary><c>--kappas</c>.</summary>
        public Option<string> Kappas { get; } = new Option<string>("--kappas") { Description = "C1 map: ladder of kappa_C (C = kappa m^2/(8 lambda)), ascending, each > 1", DefaultValueFactory = _ => "1.25,2,4,16" };

        /// <summary><c>--evaluations</c>.</summary>
        public Option<int> Evaluations { get; } = new Option<int>("--evaluations") { Description = "C1 map: evaluations per hunt (one hunt per cell and kappa; 1..100000)", DefaultValueFactory = _ => 600 };

        /// <summary><c>--dyn-etas</c>.</summary>
        public Option<string> DynEtas { get; } = new Option<string>("--dyn-etas") { Description = "dynamics: list of eta values", DefaultValueFactory = _ => "0.05,0.1,0.2,0.5" };

        /// <summary><c>--dyn-lambdas</c>.</summary>
        public Option<string> DynLambdas { get; } = new Option<string>("--dyn-lambdas") { Description = "dynamics: list of lambda values (2 eta lambda < 1)", DefaultValueFactory = _ => "0.002,0.006,0.02,0.05" };

        /// <summary><c>--dyn-depths</c>.</summary>
        public Option<string> DynDepths { get; } = new Option<string>("--dyn-depths") { Description = "dynamics: list of depths (1..16)", DefaultValueFactory = _ => "4,6,8" };

        /// <summary><c>--steps</c>.</summary>
        public Option<long> Steps { get; } = new Option<long>("--steps") { Description = "dynamics: SGD steps per chain and GD steps (1..1e9)", DefaultValueFactory = _ => 300_000L };

        /// <summary><c>--seeds</c>.</summary>
        public Option<int> Seeds { get; } = new Option<int>("--seeds") { Description = "dynamics: SGD chains per cell (1..1000)", DefaultValueFactory = _ => 4 };

        /// <summary><c>--seed</c>.</summary>
        public Option<ulong> Seed { get; } = Options.Seed("seed of the hunts and of the chains");

        /// <summary>Every option of the run (fixed by the checkpoint on resume).</summary>
        public Option[] All => [Claim, Dynamics, Task, Epsilon, Depth, R, F, Etas, Lambdas, Kappas, Evaluations, DynEtas, DynLambdas, DynDepths, Steps, Seeds, Seed];

        /// <summary>Reads and validates the plan; every error names its option and rule.</summary>
        public ExplorePlan Read(ParseResult parse)
        {
            var isDyn = parse.GetValue(Dynamics);
            var claimText = parse.GetValue(Claim);
            if (!isDyn && claimText is null) throw new InputException("--claim", "is required (C1) unless --dynamics is given");
            if (claimText is not null && !string.Equals(claimText.Trim(), "C1", StringComparison.OrdinalIgnoreCase))
                throw new InputException("--claim", $"only C1 has an (eta, lambda) map (C2's critical points do not depend on eta; C3-C6 are hunted by `lowrank hunt`), got '{claimText}'");
            var eps = parse.GetValue(Epsilon);
            if (!(double.IsFinite(eps) && eps > 0)) throw new InputException("--epsilon", "must be a finite number > 0");
            var pl = new ExplorePlan { Seed = parse.GetValue(Seed) };
            if (claimText is not null)
            {
                var tp = parse.GetValue(Task);
                var tk = tp is null ? TaskModule.e1(eps) : TaskFile.Read("--task", tp);
                if (tk.DOut > 8 || tk.DIn > 8) throw new InputException("--task", $"must be at most 8x8 for the C1 map, got {tk.DOut}x{tk.DIn}");
                pl.Task = tk;
                pl.TaskLabel = tp is null ? $"E1 [[1, *], [{G(eps)}, 1]]" : Path.GetFileName(tp);
                pl.Depth = parse.GetValue(Depth);
                if (pl.Depth < 2 || pl.Depth > 8) throw new InputException("--depth", "must be an integer in 2..8");
                pl.Rank = parse.GetValue(R);
                if (pl.Rank < 0 || pl.Rank > 8) throw new InputException("--r", "must be an integer in 0..8");
                pl.Family = Options.Unwrap(FAlpha.parse("f", parse.GetValue(F) ?? "piecewise"), optionField: true);
                pl.EtaGrid = Grid("--etas", parse.GetValue(Etas));
                pl.LambdaGrid = Grid("--lambdas", parse.GetValue(Lambdas));
                pl.Kappas = ReadList("--kappas", parse.GetValue(Kappas), x => x > 1.0 && x <= 1e6, "numbers in (1, 1e6]");
                if (pl.Kappas.Zip(pl.Kappas.Skip(1)).Any(t => t.Second <= t.First)) throw new InputException("--kappas", "must be ascending");
                pl.Evaluations = parse.GetValue(Evaluations);
                if (pl.Evaluations < 1 || pl.Evaluations > 100_000) throw new InputException("--evaluations", "must be an integer in 1..100000");
                pl.ClosureGrid = Explore.closureGrid(pl.EtaGrid, pl.LambdaGrid);
                pl.Closure = new ClosureCell?[pl.ClosureGrid.Length];
            }
            if (isDyn)
            {
                var de = ReadList("--dyn-etas", parse.GetValue(DynEtas), x => x > 0, "numbers > 0");
                var dl = ReadList("--dyn-lambdas", parse.GetValue(DynLambdas), x => x >= 0, "numbers >= 0");
                // A cell with 2·eta·lambda >= 1 wipes theta out in one step; reject it instead of dropping it silently.
                foreach (var e in de)
                    foreach (var l in dl)
                        if (2.0 * e * l >= 1.0)
                            throw new InputException("--dyn-lambdas", $"2*eta*lambda must be < 1 for every listed eta (eta={e.ToString(CultureInfo.InvariantCulture)}, lambda={l.ToString(CultureInfo.InvariantCulture)})");
                pl.DynDepths = ReadList("--dyn-depths", parse.GetValue(DynDepths), x => x >= 1 && x <= 16 && x == Math.Floor(x), "integers in 1..16").Select(x => (int)x).ToArray();
                var st = parse.GetValue(Steps);
                if (st < 1 || st > 1_000_000_000L) throw new InputException("--steps", "must be an integer in 1..1e9");
                var sd = parse.GetValue(Seeds);
                if (sd < 1 || sd > 1000) throw new InputException("--seeds", "must be an integer in 1..1000");
                pl.Dyn = Explore.dynamicsBase(eps, st, sd, pl.Seed);
                ExperimentCommand.Validate(pl.Dyn);
                pl.DynGrid = Explore.dynamicsGrid(de, dl, pl.DynDepths);
                pl.Dynamics = new DynamicsCell?[pl.DynGrid.Length];
            }
            return pl;
        }
    }

    /// <summary>What an explore run computes: its parameters and its cells (null until computed; saved in the checkpoint).</summary>
    public sealed class ExplorePlan
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
