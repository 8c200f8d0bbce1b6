namespace LowRankVerify.Runner.Sweeps;

/// <summary>Sweeps of <c>experiment two-by-two</c> (E1, THEORY.md §5). A cell is E1's parameters; its
/// seeds are the SGD chains: chain s draws from <c>Rng.stream(seed, s)</c> exactly as in
/// <c>experiment two-by-two --seed seed</c>, so a unit with seeds [a, b) computes chains a..b−1 of that
/// experiment (and the unit of the first block also the GD control), bit for bit. The merge rebuilds
/// each cell's <c>E1.summarize</c> from every chain: the summary of
/// <c>experiment two-by-two --seeds N</c>.</summary>
public sealed class E1Sweep : ISweepKind
{

    /// <inheritdoc/>
    public string Command => ExperimentCommand.CommandName;

    private static readonly E1Params D = E1.defaults;

    /// <inheritdoc/>
    public IReadOnlyList<SweepParameter> Parameters { get; } =
    [
        new("epsilon", SweepType.Real, SweepValue.NewReal(D.Epsilon), "ε of the task [[1, 1/ε], [ε, 1]]"),
        new("depth", SweepType.Integer, SweepValue.NewInteger(D.Depth), "depth L"),
        new("width", SweepType.Integer, SweepValue.NewInteger(D.Width), "hidden width"),
        new("eta", SweepType.Real, SweepValue.NewReal(D.Eta), "learning rate η of SGD and GD"),
        new("lambda", SweepType.Real, SweepValue.NewReal(D.Lambda), "regularisation λ"),
        new("steps", SweepType.Integer, SweepValue.NewInteger(D.Steps), "SGD steps per chain and GD steps of the control"),
        new("offshoots", SweepType.Integer, SweepValue.NewInteger(D.Offshoots), "offshoots per chain"),
        new("offshoot-eta", SweepType.Real, SweepValue.NewReal(D.OffshootEta), "offshoot learning rate"),
        new("offshoot-lambda", SweepType.Real, SweepValue.NewReal(D.OffshootLambda), "offshoot regularisation"),
        new("offshoot-steps", SweepType.Integer, SweepValue.NewInteger(D.OffshootMaxSteps), "most steps of one offshoot"),
        new("sde", SweepType.Text, SweepValue.NewText(D.Sde ? "on" : "off"), "on: every SGD chain has an SDE twin (C6); off: as experiment two-by-two --no-sde"),
    ];

    /// <inheritdoc/>
    public string SeedsMeaning => "SGD chains per cell: chain s draws from Rng.stream(seed, s) as in 'experiment two-by-two --seed seed', with its SDE twin s when sde is on; the unit of seed block 0 also runs the GD control";

    /// <inheritdoc/>
    public void CheckSeeds(int seeds, int seedsPerUnit) { }

    private static int Int(SweepCell cell, string name)
    {
        var x = cell.Integer(name);
        if (x < int.MinValue || x > int.MaxValue) throw new InputException("--" + name, "must be an integer in the 32-bit range");
        return (int)x;
    }

    /// <summary>E1's parameters of a cell with <paramref name="seeds"/> chains and master seed <paramref name="seed"/>.</summary>
    public static E1Params Params(SweepCell cell, int seeds, ulong seed) => new(
        cell.Real("epsilon"), Int(cell, "depth"), Int(cell, "width"), cell.Real("eta"), cell.Real("lambda"),
        cell.Integer("steps"), seeds, Sde(cell), seed, Int(cell, "offshoots"), cell.Real("offshoot-eta"), cell.Real("offshoot-lambda"),
        cell.Integer("offshoot-steps"), D.ObservationsPerDecade);

    private static bool Sde(SweepCell cell) => cell.Text("sde") switch
    {
        "on" => true,
        "off" => false,
        var t => throw new InputException("sde", $"must be on or off, got '{t}'"),
    };

    /// <inheritdoc/>
    public void CheckCell(SweepCell cell, int seeds, ulong seed) => ExperimentCommand.Validate(Params(cell, seeds, seed));

    /// <summary>Measured SGD steps per second of one chain at L = 4, width 2 (docs/performance.md,
    /// 1.6e7 there; 1e7 here for the observations and a busy core). Cost scales with L·max(w, 2)².</summary>
    public const double StepsPerSecond = 1e7;

    /// <summary>Rough single-core seconds of chains [a, b) (plus their SDE twins, counted as 5 chains each: an
    /// upper bound, as SDE twins that collapse or diverge skip their remaining steps;
    /// and the GD control in block 0, counted as 5 chains: a GD or SDE step costs N = 3 engine steps and
    /// copies; offshoots at their step limit).</summary>
    public static double Estimate(E1Params p, int from, int to)
    {
        var perStep = p.Depth * Math.Max(p.Width, 2) * Math.Max(p.Width, 2) / 16.0 / StepsPerSecond;
        var chain = (double)p.Steps + (double)p.Offshoots * p.OffshootMaxSteps + (p.Sde ? 5.0 * p.Steps : 0);
        return perStep * (chain * (to - from) + (from == 0 ? 5.0 * p.Steps : 0));
    }

    /// <inheritdoc/>
    public double EstimateSeconds(SweepCell cell, int seedFrom, int seedTo) => Estimate(Params(cell, seedTo, 0), seedFrom, seedTo);

    /// <inheritdoc/>
    public string Replay(SweepCell cell, int seeds, ulong seed, int seedFrom, int seedTo) =>
        ExperimentCommand.ReplayCommand(Params(cell, seedTo, seed), 0, 1) +
        $"   # this unit: chains {seedFrom}..{seedTo - 1}" + (Sde(cell) ? " and their SDE twins" : "") + (seedFrom == 0 ? ", and the GD control" : "");

    /// <inheritdoc/>
    public ISweepUnitWork Open(SweepCell cell, SweepUnit unit, int seeds, ulong seed) => new Work(Params(cell, seeds, seed), unit);

    /// <summary>The cursors of a unit in the order of <c>E1.runList</c>: SGD chains SeedFrom..SeedTo−1,
    /// their SDE twins when <c>Sde</c>, then the GD control (chain −1) in block 0.</summary>
    public static E1Cursor[] Start(E1Params p, SweepUnit unit) =>
        E1.runList(p)
            .Where(r => r.Item1.IsGd ? unit.Block == 0 : r.Item2 >= unit.SeedFrom && r.Item2 < unit.SeedTo)
            .Select(r => E1.cursorStartOf(r.Item1, p, r.Item2)).ToArray();

    /// <summary>Reads a list of cursors for <paramref name="fresh"/>'s positions (unit state and result).</summary>
    public static E1Cursor[] ReadCursors(JsonCursor c, string path, E1Params p, E1Cursor[] fresh)
    {
        return CheckpointFile.ReadExactly(c, path, fresh.Length, "runs (this unit's SGD chains, their SDE twins, then the GD control in block 0)",
            (k, q) => E1Plan.ReadCursor(c, q, p, fresh[k]));
    }

    private sealed class Work(E1Params p, SweepUnit unit) : ISweepUnitWork
    {
        private readonly E1Job job = new("main", p, Start(p, unit), 0);

        public void WriteState(JsonOut w)
        {
            w.BeginObject();
            w.Key("runs");
            w.BeginArray();
            foreach (var c in job.Cursors) E1Plan.WriteCursor(w, c);
            w.EndArray();
            w.EndObject();
        }

        public void ReadState(JsonCursor c, string path) => JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["runs"] = q => ReadCursors(c, q, p, Start(p, unit)).CopyTo(job.Cursors, 0),
        });

        // E1Runner advances the runs in segments on two threads and stops at a segment boundary.
        public bool Advance(CheckpointPolicy policy, CancellationToken stop, Action checkpoint, Progress progress) =>
            E1Runner.Run(new E1Plan(p, 0, 1, [job]), policy, stop, progress, checkpoint);

        public void WriteResult(JsonOut w) => WriteState(w);
    }

    /// <inheritdoc/>
    public ISweepMerger Merger(SweepPlan plan) => new Merge(plan);

    /// <summary>A merged cell: its parameters, SGD and SDE chains (compact: events, offshoots, last observation) and GD control.</summary>
    public sealed class Cell(SweepCell cell, E1Params p)
    {
        /// <summary>The sweep cell.</summary>
        public SweepCell Sweep { get; } = cell;

        /// <summary>E1's parameters (Seeds = the sweep's seeds).</summary>
        public E1Params Params { get; } = p;

        /// <summary>Compact SGD chains in chain order.</summary>
        public List<E1Run> Chains { get; } = [];

        /// <summary>Compact SDE chains in chain order (none when the cell's sde is off).</summary>
        public List<E1Run> Sde { get; } = [];

        /// <summary>The compact GD control (from block 0).</summary>
        public E1Run? Gd { get; set; }

        /// <summary>Wall seconds of the cell's units.</summary>
        public double Seconds { get; set; }

        /// <summary>The E1 result of the cell (compact runs; the summary equals the full runs').</summary>
        public E1Result Result() => E1.ofRuns(Params, Chains.ToArray(), Sde.ToArray(), Gd!);
    }

    private sealed class Merge(SweepPlan plan) : ISweepMerger
    {
        private readonly Cell[] cells = plan.Cells.Select(c => new Cell(c, Params(c, plan.Spec.Seeds, plan.Spec.Seed))).ToArray();

        public void Add(SweepUnit unit, JsonCursor c, string path)
        {
            var cell = cells[unit.Cell];
            var fresh = Start(cell.Params, unit);
            JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
            {
                ["runs"] = q =>
                {
                    foreach (var cursor in ReadCursors(c, q, cell.Params, fresh))
                    {
                        if (!cursor.Done) throw c.Error(q, $"run of chain {cursor.Chain} is not done");
                        var run = Theory.Sweep.compactRun(E1.finish(cursor));
                        if (run.Kind.IsGd) cell.Gd = run;
                        else if (run.Kind.IsSde) cell.Sde.Add(run);
                        else cell.Chains.Add(run);
                    }
                },
            });
        }

        public SweepMerged Finish(OutputDirectory dir)
        {
            var results = cells.Select(c => (Cell: c, Result: c.Result())).ToArray();
            var json = new
            {
                cells = results.Select(x => new
                {
                    cell = x.Cell.Sweep.Index,
                    grid = SweepReport.GridJson(x.Cell.Sweep),
                    parameters = E1Report.ParamsJson(x.Cell.Params),
                    detection = E1Report.DetectionJson(x.Result.Region),
                    summary = E1Report.SummaryJson(x.Result.Summary),
                    comparison = x.Result.Kinds.Select(E1Report.KindJson).ToArray(),
                    phase = Explore.phase(x.Result.Summary),
                    gdControl = RunJson(x.Result.Gd),
                    chains = ChainsJson(x.Result.Chains),
                    sdeChains = ChainsJson(x.Result.Sde),
                }).ToArray(),
            };
            return new SweepMerged(json, doc => SweepReport.AddE1(doc, dir, plan, results), SweepReport.E1ConsoleLine(results));
        }
    }

    private static long? Opt(FSharpOption<long> o) => FSharpOption<long>.get_IsSome(o) ? o.Value : null;

    private static object RunJson(E1Run r)
    {
        var last = r.Observations[^1];
        return new
        {
            outcome = r.Outcome.ToString(),
            jumpStep = Opt(r.JumpStep),
            collapseStep = Opt(r.CollapseStep),
            returns = r.Returns,
            diverged = r.Diverged,
            divergenceStep = Opt(r.DivergenceStep),
            final = new { step = last.Step, s1 = last.S1, s2 = last.S2, ratio = last.Ratio, testError = last.TestError, inB1 = last.InB1, rank = last.Rank },
        };
    }

    // Column-wise, one entry per chain (chain order), to keep results.json small for thousands of seeds.
    private static object ChainsJson(E1Run[] chains) => new
    {
        chain = chains.Select(c => c.Chain),
        outcome = chains.Select(c => c.Outcome.ToString()),
        jumpStep = chains.Select(c => Opt(c.JumpStep)),
        collapseStep = chains.Select(c => Opt(c.CollapseStep)),
        returns = chains.Select(c => c.Returns),
        diverged = chains.Select(c => c.Diverged),
        finalRank = chains.Select(c => c.Observations[^1].Rank),
        finalTestError = chains.Select(c => c.Observations[^1].TestError),
        offshootFinalTestErrors = chains.Select(c => c.Offshoots.Select(o => o.FinalTestError)),
    };
}
