namespace LowRankVerify.Runner.Sweeps;

/// <summary>Sweeps of <c>experiment completion</c> (the rank ladder B_R ⊃ … ⊃ B_1 on a generated completion
/// task). A cell is the experiment's options, parsed and validated by the command's own
/// <see cref="CompletionCommand.CompletionOptions"/> with <c>--seeds</c> = the sweep's seeds and
/// <c>--seed</c> = its master seed S, so a cell's parameters (the task, the ladder's defaults, the engine
/// <c>auto</c> picks for the cell's seeds) are exactly the experiment's. A seed is an SGD chain: chain s draws
/// from <c>Rng.stream(S, s)</c>; a unit with seeds [a, b) runs chains a..b−1 (and the unit of block 0 also
/// the GD control) as <c>Completion</c> cursors on the experiment's scheduler (<see cref="CompletionRunner"/>),
/// checkpointing them like <c>--resume</c> does. In ensemble mode the unit's chains keep the experiment's
/// groups of <c>Completion.laneUnit</c> (group g holds chains 16g..16g+15), cut at the unit's ends; a chain's
/// lane is independent of the others in its group (<c>Ensemble</c>: per-lane SIMD arithmetic, per-lane
/// streams), so any <c>seedsPerUnit</c> gives the experiment's chains bit for bit (tested with partial
/// groups). Task files (<c>--task</c>) are not taken: a plan must not depend on a file that can change
/// between planning and a unit's run; the families regenerate their task from the cell's parameters.</summary>
public sealed class CompletionSweep : ISweepKind
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <inheritdoc/>
    public string Command => CompletionCommand.CommandName;

    /// <summary>The options of the command a sweep does not take as parameters: the task file, the
    /// seeds and master seed (the sweep's <c>seeds</c> and <c>seed</c>), and the SDE twins (a sweep cell runs
    /// the experiment with <c>--sde off</c>: the merged report compares SGD with the GD control only).</summary>
    private static readonly string[] Excluded = ["--task", "--seeds", "--seed", "--sde", "--sde-steps"];

    /// <summary>The experiment's options a sweep takes, by parameter name (the option's name without dashes).</summary>
    private static readonly Dictionary<string, Type> OptionTypes = new CompletionCommand.CompletionOptions().All
        .Where(o => !Excluded.Contains(o.Name)).ToDictionary(o => o.Name.TrimStart('-'), o => Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType);

    /// <summary>The experiment's options as sweep parameters: name without dashes, type from the option's
    /// value type, default from the option's own default (none where the command computes it from the task).</summary>
    public IReadOnlyList<SweepParameter> Parameters { get; } = new CompletionCommand.CompletionOptions().All
        .Where(o => !Excluded.Contains(o.Name))
        .Select(o => new SweepParameter(o.Name.TrimStart('-'), TypeOf(o.ValueType), DefaultOf(o), o.Description ?? ""))
        .ToArray();

    private static SweepType TypeOf(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var x when x == typeof(double) => SweepType.Real,
        var x when x == typeof(int) || x == typeof(long) || x == typeof(ulong) => SweepType.Integer,
        var x when x == typeof(string) => SweepType.Text,
        var x => throw new InvalidOperationException($"no sweep type for an option of type {x}"),
    };

    private static SweepValue? DefaultOf(Option o) => o.HasDefaultValue ? o.GetDefaultValue() switch
    {
        double d => SweepValue.NewReal(d),
        int i => SweepValue.NewInteger(i),
        long l => SweepValue.NewInteger(l),
        ulong u => SweepValue.NewInteger((long)u),
        string s => SweepValue.NewText(s),
        _ => null,
    } : null;

    /// <inheritdoc/>
    public string SeedsMeaning => "SGD chains per cell: chain s draws from Rng.stream(seed, s) as in 'experiment completion --seed seed'; the unit of seed block 0 also runs the GD control";

    /// <inheritdoc/>
    public void CheckSeeds(int seeds, int seedsPerUnit) { }

    /// <summary>The experiment's arguments for a cell (every set parameter, in the kind's order) with
    /// <paramref name="seeds"/> chains and master seed <paramref name="seed"/>.</summary>
    public List<string> Args(SweepCell cell, int seeds, ulong seed)
    {
        var args = new List<string>();
        foreach (var p in Parameters)
            if (cell.Values.TryGetValue(p.Name, out var v)) args.AddRange(["--" + p.Name, SweepCell.Format(v)]);
        args.AddRange(["--seeds", seeds.ToString(Inv), "--seed", seed.ToString(Inv), "--sde", "off"]);
        return args;
    }

    // Reading a cell builds its task and the ladder's defaults (an SVD of A*): plan, units and merge ask for
    // the same cell several times in a row (units are cell-major), so the last few are kept.
    private readonly List<(string Key, CompletionParams Params)> recent = [];
    private const int Recent = 4;

    /// <summary>The experiment's parameters of a cell with <paramref name="seeds"/> chains and master seed
    /// <paramref name="seed"/>, through <see cref="CompletionCommand.CompletionOptions.Read"/> (every rule
    /// of the command; errors name the option).</summary>
    public CompletionParams Params(SweepCell cell, int seeds, ulong seed)
    {
        if (!cell.Has("family"))
            throw new InputException("family", "must be set (in fixed or grid): blocks or random (a sweep generates its task from the family's parameters; task files are not taken, as a plan must not depend on a file that can change)");
        // integers the option's type cannot hold (a sweep integer is any |x| <= 2^53)
        foreach (var (name, v) in cell.Values)
            if (v is SweepValue.Integer i && OptionTypes.TryGetValue(name, out var t))
            {
                if (t == typeof(int) && (i.Item < int.MinValue || i.Item > int.MaxValue))
                    throw new InputException(name, $"must be an integer in the 32-bit range, got {i.Item}");
                if (t == typeof(ulong) && i.Item < 0) throw new InputException(name, $"must be an integer >= 0, got {i.Item}");
            }
        var args = Args(cell, seeds, seed);
        var key = string.Join('\u0001', args);
        lock (recent)
            foreach (var r in recent)
                if (r.Key == key) return r.Params;
        var o = new CompletionCommand.CompletionOptions();
        var cmd = new Command("completion");
        foreach (var x in o.All) cmd.Options.Add(x);
        var parse = cmd.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var e = parse.Errors[0];
            throw new InputException(e.SymbolResult is System.CommandLine.Parsing.OptionResult r ? r.Option.Name : "completion", e.Message);
        }
        var p = o.Read(parse, null);
        lock (recent)
        {
            recent.Add((key, p));
            if (recent.Count > Recent) recent.RemoveAt(0);
        }
        return p;
    }

    /// <inheritdoc/>
    public void CheckCell(SweepCell cell, int seeds, ulong seed) => Params(cell, seeds, seed);

    /// <summary>Single-core rate of SGD work in L·w² units per second (w the widest layer) and the per-step
    /// overhead of a chain: fitted to docs/completion.md's per-core measurements of the single engine (best
    /// batches, L = 4: 1.3·10⁷ steps/s at w = 4, 8.4·10⁶ at 8, 0.55 µs a step at 20).</summary>
    public const double SgdRate = 3e9, StepOverhead = 6e-8;

    /// <summary>Level checks add 5–10 % to a chain's steps (docs/completion.md, "Costs of the parts").</summary>
    public const double CheckFactor = 1.1;

    /// <summary>A GD step of the control costs about d_in SGD steps of the single engine (docs/completion.md);
    /// measured 18–23 µs at d = w = 20, L = 4, 1.5 times that.</summary>
    public const double GdFactor = 1.5;

    /// <summary>Chain steps of the ensemble per single-engine step of one core at width w: 2.4 at w ≤ 4,
    /// falling as w^−1.1 (fit to docs/completion.md's table: 2.4, 1.8, 1.08, 0.67, 0.48, 0.40 at w = 4, 6, 8,
    /// 12, 16, 20; this gives 2.4, 1.5, 1.12, 0.72, 0.52, 0.41).</summary>
    public static double EnsembleSpeedup(double w) => 2.4 * Math.Pow(4 / Math.Max(w, 4), 1.1);

    /// <summary>Rough single-core seconds of chains [a, b) of <paramref name="p"/> (offshoots at their step
    /// limit, an upper bound) and, when <paramref name="a"/> is 0, the GD control; on a busy machine more.</summary>
    public static double Estimate(CompletionParams p, int a, int b)
    {
        var w = (double)Completion.widthsOf(p).Max();
        var step = p.Depth * w * w / SgdRate + StepOverhead;
        var chain = CheckFactor * step * p.Steps / (p.Mode.IsLanes ? EnsembleSpeedup(w) : 1.0) + step * p.Offshoots * p.OffshootMaxSteps;
        var gd = a == 0 ? GdFactor * p.Task.DIn * step * p.GdSteps : 0;
        return chain * (b - a) + gd;
    }

    /// <inheritdoc/>
    // The cost does not depend on the seeds but through the engine auto picks: it is read for 4 seeds (the
    // ensemble when narrow, as for any cell of 4 seeds or more), one cached read per cell for all its units.
    public double EstimateSeconds(SweepCell cell, int seedFrom, int seedTo) => Estimate(Params(cell, Ensemble.lanes, 0), seedFrom, seedTo);

    /// <inheritdoc/>
    public string Replay(SweepCell cell, int seeds, ulong seed, int seedFrom, int seedTo)
    {
        // The cell's parameters (the engine resolved for the cell's seeds), run with chains 0..b-1.
        var args = CompletionCommand.CanonicalArgs(Params(cell, seeds, seed), "task.json");
        args[Array.IndexOf(args, "--seeds") + 1] = seedTo.ToString(Inv);
        return CompletionCommand.ReplayCommand(args) + $"   # this unit: chains {seedFrom}..{seedTo - 1}" + (seedFrom == 0 ? " and the GD control" : "");
    }

    /// <inheritdoc/>
    public ISweepUnitWork Open(SweepCell cell, SweepUnit unit, int seeds, ulong seed)
    {
        var p = Params(cell, seeds, seed);
        return new Work(p, Start(p, unit, Completion.cursors(p)));
    }

    /// <summary>The cursors of a unit at their start, cut from the experiment's (<paramref name="all"/> =
    /// <c>Completion.cursors p</c>: one cursor per chain, or per group of <c>Completion.laneUnit</c> chains in
    /// ensemble mode, in chain order, then the GD control): those holding chains SeedFrom..SeedTo−1, a group
    /// cut to the unit's chains, then the GD control in block 0.</summary>
    public static CompletionCursor[] Start(CompletionParams p, SweepUnit unit, CompletionCursor[] all)
    {
        var size = p.Mode.IsLanes ? Completion.laneUnit : 1;
        var list = new List<CompletionCursor>();
        for (var g = unit.SeedFrom / size; g <= (unit.SeedTo - 1) / size; g++)
        {
            var c = all[g];
            var keep = Enumerable.Range(0, c.Records.Length).Where(k => c.Records[k].Chain >= unit.SeedFrom && c.Records[k].Chain < unit.SeedTo).ToArray();
            list.Add(keep.Length == c.Records.Length ? c : new CompletionCursor(c.Kind, c.Step, c.Next, c.Checked,
                keep.Select(k => c.Rngs[k]).ToArray(), c.Engine, c.Lanes, keep.Select(k => c.Records[k]).ToArray(), c.Done));
        }
        if (list.SelectMany(c => c.Records).Select(r => r.Chain).SequenceEqual(Enumerable.Range(unit.SeedFrom, unit.SeedTo - unit.SeedFrom)) is false)
            throw new InvalidOperationException($"the cursors of unit {unit.Id} do not hold chains {unit.SeedFrom}..{unit.SeedTo - 1} in order");
        if (unit.Block == 0) list.Add(all[^1]);
        return list.ToArray();
    }

    /// <summary>Reads a list of cursors for <paramref name="fresh"/>'s positions (unit state and result).</summary>
    public static CompletionCursor[] ReadCursors(JsonCursor c, string path, CompletionParams p, CompletionCursor[] fresh)
    {
        return CheckpointFile.ReadExactly(c, path, fresh.Length,
            $"runs (this unit's SGD chains in {(p.Mode.IsLanes ? $"groups of at most {Completion.laneUnit}" : "one run each")}, then the GD control in block 0)",
            (k, q) => CompletionPlan.ReadCursor(c, q, p, fresh[k]));
    }

    private static void WriteRuns(JsonOut w, CompletionCursor[] cursors)
    {
        w.BeginObject();
        w.Key("runs");
        w.BeginArray();
        foreach (var c in cursors) CompletionPlan.WriteCursor(w, c);
        w.EndArray();
        w.EndObject();
    }

    private sealed class Work(CompletionParams p, CompletionCursor[] start) : ISweepUnitWork
    {
        private readonly CompletionPlan plan = new(p, CompletionCommand.CanonicalArgs(p, "task.json"), (CompletionCursor[])start.Clone(), 0);

        public void WriteState(JsonOut w) => WriteRuns(w, plan.Cursors);

        public void ReadState(JsonCursor c, string path) => JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["runs"] = q => ReadCursors(c, q, p, start).CopyTo(plan.Cursors, 0),
        });

        // The experiment's scheduler: rounds of segments on two threads, a checkpoint between rounds.
        public bool Advance(CheckpointPolicy policy, CancellationToken stop, Action checkpoint, Progress progress) =>
            CompletionRunner.Run(plan, policy, stop, progress, checkpoint);

        public void WriteResult(JsonOut w) => WriteRuns(w, plan.Cursors);
    }

    /// <inheritdoc/>
    public ISweepMerger Merger(SweepPlan plan) => new Merge(this, plan);

    /// <summary>A run without its observations but the last: what the merged report needs (start and final
    /// level, events, hitting steps, offshoots, final errors), a few hundred bytes a chain. <c>CompletionStats.summarize</c>
    /// reads no observation (the start level is a field of the run), so the summary of compact runs is that of
    /// the full runs (tested against <c>experiment completion</c>).</summary>
    public static CompletionRun Compact(CompletionRun r) => r.Observations.Length <= 1 ? r : new CompletionRun(
        r.Kind, r.Chain, r.Horizon, r.StartLevel, r.FinalLevel, r.Events, r.Drops, r.Returns, r.LastReturnStep, r.CollapseStep,
        r.Hitting, [r.Observations[^1]], r.Offshoots, r.DivergenceStep, r.FixedPointStep);

    /// <summary>A merged cell: its parameters (Seeds = the sweep's seeds), compact SGD chains in chain order
    /// and the compact GD control.</summary>
    public sealed class Cell(SweepCell cell, CompletionParams p)
    {
        /// <summary>The sweep cell.</summary>
        public SweepCell Sweep { get; } = cell;

        /// <summary>The experiment's parameters of the cell.</summary>
        public CompletionParams Params { get; } = p;

        /// <summary>Compact SGD chains, chain order.</summary>
        public List<CompletionRun> Chains { get; } = [];

        /// <summary>The compact GD control (from block 0).</summary>
        public CompletionRun? Gd { get; set; }

        /// <summary>The cell's result: the summary is <c>CompletionStats.summarize</c> over every chain, as in the experiment.</summary>
        public CompletionResult Result() =>
            new(Params, Ladder.targetRank(Params.Task).Item2, Chains.ToArray(), Gd!, [], CompletionStats.summarize(Params, Chains.ToArray(), Gd!),
                FSharpOption<CompletionSummary>.None, CompletionStats.comparison(Params, Chains.ToArray(), Gd!, []));
    }

    /// <summary>Categories of a cell for the phase diagram, in legend order.</summary>
    public static readonly string[] Phases =
    [
        "SGD ends below the GD control",
        "SGD ends at the GD control's level",
        "SGD ends above the GD control",
        "most chains collapsed (level 0)",
        "most chains diverged",
    ];

    /// <summary>Colours of <see cref="Phases"/>.</summary>
    public static readonly string[] PhaseColors = ["#2ca02c", "#1f77b4", "#ff7f0e", "#7f7f7f", "#d62728"];

    /// <summary>The category of a cell: most chains diverged, or collapsed; else the median final level of
    /// the chains that did not diverge against the GD control's final level.</summary>
    public static string Phase(CompletionResult r)
    {
        var s = r.Summary;
        if (s.FractionDiverged > 0.5) return Phases[4];
        if (s.FractionCollapsed > 0.5) return Phases[3];
        var median = MedianFinalLevel(r)!.Value;
        return median < s.GdFinalLevel ? Phases[0] : median == s.GdFinalLevel ? Phases[1] : Phases[2];
    }

    /// <summary>Median final level over the chains that did not diverge (null when all did).</summary>
    public static double? MedianFinalLevel(CompletionResult r)
    {
        var levels = r.Chains.Where(c => FSharpOption<long>.get_IsNone(c.DivergenceStep)).Select(c => (double)c.FinalLevel).OrderBy(x => x).ToArray();
        if (levels.Length == 0) return null;
        return levels.Length % 2 == 1 ? levels[levels.Length / 2] : 0.5 * (levels[levels.Length / 2 - 1] + levels[levels.Length / 2]);
    }

    private sealed class Merge(CompletionSweep kind, SweepPlan plan) : ISweepMerger
    {
        private readonly Cell?[] cells = new Cell?[plan.Cells.Length];

        // The fresh cursors of the cell being merged (units arrive cell-major): O(seeds), one cell at a time.
        private (int Cell, CompletionCursor[] All)? fresh;

        public void Add(SweepUnit unit, JsonCursor c, string path)
        {
            var cell = cells[unit.Cell] ??= new Cell(plan.Cells[unit.Cell], kind.Params(plan.Cells[unit.Cell], plan.Spec.Seeds, plan.Spec.Seed));
            var p = cell.Params;
            if (fresh?.Cell != unit.Cell) fresh = (unit.Cell, Completion.cursors(p));
            var start = Start(p, unit, fresh.Value.All);
            JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
            {
                ["runs"] = q =>
                {
                    foreach (var cursor in ReadCursors(c, q, p, start))
                    {
                        if (!cursor.Done) throw c.Error(q, $"the run of chains {string.Join(",", cursor.Records.Select(r => r.Chain))} is not done");
                        foreach (var run in Completion.finish(p, cursor))
                        {
                            if (run.Kind.IsGd) cell.Gd = Compact(run);
                            else if (run.Chain != cell.Chains.Count) throw c.Error(q, $"holds chain {run.Chain} where chain {cell.Chains.Count} comes next");
                            else cell.Chains.Add(Compact(run));
                        }
                    }
                },
            });
        }

        public SweepMerged Finish(OutputDirectory dir)
        {
            var results = cells.Select(c => (Cell: c!, Result: c!.Result())).ToArray();
            var json = new
            {
                cells = results.Select(x => new
                {
                    cell = x.Cell.Sweep.Index,
                    grid = SweepReport.GridJson(x.Cell.Sweep),
                    parameters = CompletionReport.ParamsJson(x.Cell.Params),
                    task = TaskJson(x.Result),
                    ladder = CompletionReport.LadderJson(x.Cell.Params),
                    summary = CompletionReport.SummaryJson(x.Result),
                    phase = Phase(x.Result),
                    medianFinalRank = MedianFinalLevel(x.Result),
                    gdControl = RunJson(x.Result.Gd),
                    chains = ChainsJson(x.Result.Chains),
                }).ToArray(),
            };
            return new SweepMerged(json, doc => CompletionSweepReport.Add(doc, dir, plan, results), CompletionSweepReport.ConsoleLine(results));
        }
    }

    private static long? Opt(FSharpOption<long> o) => FSharpOption<long>.get_IsSome(o) ? o.Value : null;

    /// <summary>The task of a cell: its family and shape (the family regenerates it; no file is written).</summary>
    private static object TaskJson(CompletionResult r)
    {
        var t = r.Params.Task;
        object source = r.Params.Source switch
        {
            TaskSource.Blocks b => new { family = "blocks", blocks = b.blocks, epsilon = b.epsilon },
            TaskSource.Random q => new { family = "random", size = q.size, rank = q.rank, observed = q.observed, taskSeed = q.taskSeed },
            _ => new { family = "unknown" },
        };
        return new { source, dOut = t.DOut, dIn = t.DIn, observed = t.N, targetRank = r.Summary.TargetRank, targetSingularValues = r.TargetSingular.Take(r.Summary.TargetRank + 2) };
    }

    private static object Events(CompletionRun r) => r.Events.Select(e => new { step = e.Step, fromRank = e.FromRank, toRank = e.ToRank });

    private static object RunJson(CompletionRun r)
    {
        var last = r.Observations.Length > 0 ? r.Observations[^1] : null;
        return new
        {
            startRank = r.StartLevel,
            finalRank = r.FinalLevel,
            events = Events(r),
            returns = r.Returns,
            divergenceStep = Opt(r.DivergenceStep),
            fixedPointStep = Opt(r.FixedPointStep),
            finalTrainError = last?.TrainError,
            finalTestError = last?.TestError,
            finalGradientNorm = last?.GradientNorm,
        };
    }

    // Column-wise, one entry per chain (chain order), to keep results.json small for many seeds; events as in
    // the experiment's completion.chains[k].events.
    private static object ChainsJson(CompletionRun[] chains) => new
    {
        chain = chains.Select(c => c.Chain),
        finalRank = chains.Select(c => c.FinalLevel),
        events = chains.Select(Events),
        drops = chains.Select(c => c.Drops),
        returns = chains.Select(c => c.Returns),
        collapseStep = chains.Select(c => Opt(c.CollapseStep)),
        divergenceStep = chains.Select(c => Opt(c.DivergenceStep)),
        finalTrainError = chains.Select(c => c.Observations.Length > 0 ? c.Observations[^1].TrainError : (double?)null),
        finalTestError = chains.Select(c => c.Observations.Length > 0 ? c.Observations[^1].TestError : (double?)null),
        offshootFinalTestErrors = chains.Select(c => c.Offshoots.Select(o => o.FinalTestError)),
    };
}
