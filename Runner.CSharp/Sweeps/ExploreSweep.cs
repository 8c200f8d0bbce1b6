namespace LowRankVerify.Runner.Sweeps;

/// <summary>Sweeps of <c>explore</c>: one unit per cell, the cell being <c>Explore.dynamicsCell</c>
/// (<c>map: "dynamics"</c>, E1's phase at (η, λ, L) from <c>seeds</c> chains and the GD control) or
/// <c>Explore.closureCell</c> (<c>map: "c1"</c>, C1 hunts over the κ_C ladder at (η, λ) on E1's task), the
/// functions <c>lowrank explore</c> maps with; a cell is the unit of resumption, as in
/// <c>explore --resume</c> (a unit stopped mid-cell recomputes that cell).</summary>
public sealed class ExploreSweep : ISweepKind
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <inheritdoc/>
    public string Command => ExploreCommand.CommandName;

    /// <inheritdoc/>
    public IReadOnlyList<SweepParameter> Parameters { get; } =
    [
        new("map", SweepType.Text, SweepValue.NewText("dynamics"), "dynamics (E1's phases over eta, lambda, depth) or c1 (where closure holds over eta, lambda)"),
        new("epsilon", SweepType.Real, SweepValue.NewReal(0.1), "ε of E1's task [[1, 1/ε], [ε, 1]] (both maps)"),
        new("eta", SweepType.Real, null, "η of the cell (required)"),
        new("lambda", SweepType.Real, null, "λ of the cell (required)"),
        new("depth", SweepType.Integer, SweepValue.NewInteger(4), "depth L (dynamics 1..16, c1 2..8)"),
        new("steps", SweepType.Integer, SweepValue.NewInteger(300_000), "dynamics: SGD steps per chain and GD steps (1..1e9)"),
        new("r", SweepType.Integer, SweepValue.NewInteger(1), "c1: rank r of B_r (0..8)"),
        new("f", SweepType.Text, SweepValue.NewText("piecewise"), "c1: f_alpha family (piecewise or quadratic)"),
        new("kappas", SweepType.Text, SweepValue.NewText("1.25,2,4,16"), "c1: ascending kappa_C ladder, comma-separated, each > 1"),
        new("evaluations", SweepType.Integer, SweepValue.NewInteger(600), "c1: evaluations per hunt (1..100000)"),
    ];

    /// <inheritdoc/>
    public string SeedsMeaning => "dynamics: SGD chains per cell (explore --seeds; chain s draws from Rng.stream(seed, s)), all in the cell's one unit; c1: must be 1 (the hunts are seeded by seed)";

    /// <inheritdoc/>
    public void CheckSeeds(int seeds, int seedsPerUnit)
    {
        if (seedsPerUnit != seeds)
            throw new InputException("seedsPerUnit", $"must equal seeds = {seeds} for explore (a cell's chains run together in Explore.dynamicsCell; to split chains over units, sweep 'experiment two-by-two' with offshoots 0: same chains, same summary and phase)");
    }

    private sealed record Spec(bool Dynamics, double Epsilon, double Eta, double Lambda, int Depth, long Steps, int R, FAlphaFamily Family, double[] Kappas, int Evaluations);

    private static Spec Read(SweepCell cell, int seeds)
    {
        var map = cell.Text("map");
        if (map is not ("dynamics" or "c1")) throw new InputException("map", $"must be dynamics or c1, got '{map}'");
        var dyn = map == "dynamics";
        var eps = cell.Real("epsilon");
        if (!(double.IsFinite(eps) && eps > 0)) throw new InputException("epsilon", "must be a finite number > 0");
        var eta = cell.RealOrNull("eta") ?? throw new InputException("eta", "must be set (in fixed or grid): the cell's eta");
        var lambda = cell.RealOrNull("lambda") ?? throw new InputException("lambda", "must be set (in fixed or grid): the cell's lambda");
        var depth = cell.Integer("depth");
        var steps = cell.Integer("steps");
        var r = cell.Integer("r");
        var evals = cell.Integer("evaluations");
        var family = Options.Unwrap(FAlpha.parse("f", cell.Text("f")), optionField: false);
        var kappas = ExploreCommand.ReadList("kappas", cell.Text("kappas"), x => x > 1.0 && x <= 1e6, "numbers in (1, 1e6]");
        if (kappas.Zip(kappas.Skip(1)).Any(t => t.Second <= t.First)) throw new InputException("kappas", "must be ascending");
        if (dyn)
        {
            if (depth < 1 || depth > 16) throw new InputException("depth", "must be an integer in 1..16 for map dynamics");
            if (steps < 1 || steps > 1_000_000_000L) throw new InputException("steps", "must be an integer in 1..1e9");
            if (seeds > 1000) throw new InputException("seeds", "must be at most 1000 chains per cell for map dynamics (explore --seeds)");
        }
        else
        {
            if (seeds != 1) throw new InputException("seeds", "must be 1 for map c1 (its hunts are seeded by seed)");
            if (depth < 2 || depth > 8) throw new InputException("depth", "must be an integer in 2..8 for map c1");
            if (r < 0 || r > 8) throw new InputException("r", "must be an integer in 0..8");
            if (evals < 1 || evals > 100_000) throw new InputException("evaluations", "must be an integer in 1..100000");
            if (!(double.IsFinite(eta) && eta > 0)) throw new InputException("eta", "must be a finite number > 0");
            if (!(double.IsFinite(lambda) && lambda > 0)) throw new InputException("lambda", "must be a finite number > 0 for map c1");
        }
        return new Spec(dyn, eps, eta, lambda, (int)depth, steps, (int)r, family, kappas, (int)evals);
    }

    private static E1Params Base(Spec s, int seeds, ulong seed) => Explore.dynamicsBase(s.Epsilon, s.Steps, seeds, seed);

    /// <summary>The parameters <c>Explore.dynamicsCell</c> runs at the cell (its rule, for validation and estimates).</summary>
    private static E1Params CellParams(Spec s, int seeds, ulong seed)
    {
        var b = Base(s, seeds, seed);
        return new E1Params(b.Epsilon, s.Depth, b.Width, s.Eta, s.Lambda, s.Steps, seeds, false, seed, 0,
            Math.Min(b.OffshootEta, s.Eta), Math.Min(b.OffshootLambda, s.Lambda), b.OffshootMaxSteps, b.ObservationsPerDecade);
    }

    /// <inheritdoc/>
    public void CheckCell(SweepCell cell, int seeds, ulong seed)
    {
        var s = Read(cell, seeds);
        if (s.Dynamics)
            ExperimentCommand.Validate(CellParams(s, seeds, seed));
    }

    /// <inheritdoc/>
    public double EstimateSeconds(SweepCell cell, int seedFrom, int seedTo)
    {
        var s = Read(cell, seedTo - seedFrom);
        if (!s.Dynamics) return s.Kappas.Length * s.Evaluations * 1.5e-4;
        return E1Sweep.Estimate(CellParams(s, seedTo, 0), 0, seedTo);
    }

    /// <inheritdoc/>
    public string Replay(SweepCell cell, int seeds, ulong seed, int seedFrom, int seedTo)
    {
        var s = Read(cell, seeds);
        string G(double x) => x.ToString("R", Inv);
        return RunInfo.Replay("explore " + (s.Dynamics
            ? $"--dynamics --epsilon {G(s.Epsilon)} --dyn-etas {G(s.Eta)} --dyn-lambdas {G(s.Lambda)} --dyn-depths {s.Depth} --steps {s.Steps} --seeds {seeds} --seed {seed}"
            : $"--claim C1 --epsilon {G(s.Epsilon)} --depth {s.Depth} --r {s.R} --f {FAlpha.name(s.Family)} --kappas {string.Join(',', s.Kappas.Select(G))} --evaluations {s.Evaluations} --seed {seed} (the cell at eta {G(s.Eta)}, lambda {G(s.Lambda)} of its grid)"));
    }

    /// <inheritdoc/>
    public ISweepUnitWork Open(SweepCell cell, SweepUnit unit, int seeds, ulong seed) => new Work(Read(cell, seeds), seeds, seed);

    private sealed class Work(Spec s, int seeds, ulong seed) : ISweepUnitWork
    {
        private DynamicsCell? dynamics;
        private ClosureCell? closure;

        public DynamicsCell? Dynamics => dynamics;

        public ClosureCell? Closure => closure;

        public void WriteState(JsonOut w)
        {
            w.BeginObject();
            w.Key("dynamics");
            if (dynamics is null) w.Null(); else ExploreCheckpoint.WriteDynamicsCells(w, [dynamics]);
            w.Key("c1");
            if (closure is null) w.Null(); else ExploreCheckpoint.WriteClosureCells(w, [closure]);
            w.EndObject();
        }

        public void ReadState(JsonCursor c, string path) => JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["dynamics"] = q =>
            {
                if (c.Type == System.Text.Json.JsonTokenType.Null) return;
                if (!s.Dynamics) throw c.Error(q, "must be null for map c1");
                dynamics = ExploreCheckpoint.ReadDynamicsCells(c, q, [Tuple.Create(s.Eta, s.Lambda, s.Depth)], s.Steps, seeds)[0];
            },
            ["c1"] = q =>
            {
                if (c.Type == System.Text.Json.JsonTokenType.Null) return;
                if (s.Dynamics) throw c.Error(q, "must be null for map dynamics");
                closure = ExploreCheckpoint.ReadClosureCells(c, q, [Tuple.Create(s.Eta, s.Lambda)], s.Evaluations)[0];
            },
        });

        public bool Advance(CheckpointPolicy policy, CancellationToken stop, Action checkpoint, Progress progress)
        {
            if (dynamics is not null || closure is not null) return true;
            var stage = progress.Begin(s.Dynamics ? "explore: dynamics cell" : "explore: C1 cell", 1);
            if (s.Dynamics)
                dynamics = Explore.dynamicsCell(Base(s, seeds, seed), s.Steps, seeds, ExperimentCommand.Threads, s.Eta, s.Lambda, s.Depth);
            else
                closure = Explore.closureCell(TaskModule.e1(s.Epsilon), s.Depth, s.R, s.Family, s.Kappas, s.Evaluations, seed, s.Eta, s.Lambda);
            stage.Done();
            return true;
        }

        public void WriteResult(JsonOut w) => WriteState(w);
    }

    /// <inheritdoc/>
    public ISweepMerger Merger(SweepPlan plan) => new Merge(plan);

    private sealed class Merge(SweepPlan plan) : ISweepMerger
    {
        private readonly DynamicsCell?[] dynamics = new DynamicsCell?[plan.Cells.Length];
        private readonly ClosureCell?[] closure = new ClosureCell?[plan.Cells.Length];

        public void Add(SweepUnit unit, JsonCursor c, string path)
        {
            var w = new Work(Read(plan.Cells[unit.Cell], plan.Spec.Seeds), plan.Spec.Seeds, plan.Spec.Seed);
            w.ReadState(c, path);
            dynamics[unit.Cell] = w.Dynamics;
            closure[unit.Cell] = w.Closure;
            if (w.Dynamics is null && w.Closure is null) throw c.Error(path, "must hold the unit's cell (dynamics or c1)");
        }

        public SweepMerged Finish(OutputDirectory dir)
        {
            var rows = plan.Cells.Select(c => (Cell: c, Dynamics: dynamics[c.Index], C1: closure[c.Index])).ToArray();
            var json = new
            {
                cells = rows.Select(x => new
                {
                    cell = x.Cell.Index,
                    grid = SweepReport.GridJson(x.Cell),
                    map = x.Cell.Text("map"),
                    dynamics = x.Dynamics is null ? null : ((object[])ExploreReport.DynamicsJson([x.Dynamics]))[0],
                    c1 = x.C1 is null ? null : new
                    {
                        eta = x.C1.Eta,
                        lambda = x.C1.Lambda,
                        holds = x.C1.Holds,
                        kappaC = x.C1.KappaC is null ? (double?)null : x.C1.KappaC.Value,
                        inRegime = x.C1.InRegime,
                        violatedRegimeConditions = x.C1.Violated,
                        evaluations = x.C1.Evaluations,
                        counterexample = x.C1.Counterexample is null ? null : new { violation = x.C1.Counterexample.Value.Violation, bound = x.C1.Counterexample.Value.Bound, description = x.C1.Counterexample.Value.Description },
                    },
                    phase = Phase(x.Dynamics, x.C1),
                }).ToArray(),
            };
            return new SweepMerged(json, doc => SweepReport.AddExplore(doc, dir, plan, rows.Select(x => (x.Cell, x.Dynamics, x.C1, Phase(x.Dynamics, x.C1))).ToArray()),
                "explore sweep: " + string.Join("; ", rows.GroupBy(x => Phase(x.Dynamics, x.C1)).Select(g => $"{g.Key}: {g.Count()}")));
        }
    }

    /// <summary>Categories of a C1 cell, in legend order.</summary>
    public static readonly string[] C1Phases =
    [
        "C1 held, inside the derived regime",
        "C1 held, outside the derived regime",
        "confirmed counterexample",
        "counterexample INSIDE the derived regime",
    ];

    /// <summary>The category of a cell: the E1 phase (dynamics) or the C1 outcome.</summary>
    public static string Phase(DynamicsCell? d, ClosureCell? c) =>
        d is not null ? d.Phase
        : c!.Holds ? (c.InRegime ? C1Phases[0] : C1Phases[1])
        : c.InRegime ? C1Phases[3] : C1Phases[2];
}
