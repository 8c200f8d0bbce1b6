namespace LowRankVerify.Runner.Sweeps;

/// <summary>Sweeps of <c>hunt</c>: a cell is the hunt's options; its seeds are independent hunts with
/// seeds seed, seed+1, …, each exactly <c>lowrank hunt … --seed (seed+s) --evaluations E --budget 86400</c>
/// (a sweep's hunts stop at their evaluation count, the deterministic stop, never on wall time). The
/// options are parsed and validated by the hunt command's own <c>HuntOptions</c>. A unit runs its hunts
/// in turn and checkpoints their plain-data <c>HuntState</c> at restart boundaries (<c>Hunt.advance</c>).</summary>
public sealed class HuntSweep : ISweepKind
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <inheritdoc/>
    public string Command => HuntCommand.CommandName;

    /// <summary>Wall-clock budget passed to every hunt: a day, so that hunts stop at their evaluation count.</summary>
    public const double BudgetSeconds = 86400;

    /// <inheritdoc/>
    public IReadOnlyList<SweepParameter> Parameters { get; } =
    [
        new("claim", SweepType.Text, SweepValue.NewText("C1"), "claim to hunt: C1, C2, C3, C4 or C6"),
        new("evaluations", SweepType.Integer, SweepValue.NewInteger(2000), "evaluations per hunt (the deterministic stop)"),
        new("epsilon", SweepType.Real, null, "fixed task: E1's [[1, 1/eps], [eps, 1]] (default: random tasks)"),
        new("depth", SweepType.Integer, null, "fixed depth L (2..8)"),
        new("eta", SweepType.Real, null, "fixed eta"),
        new("eta-factor", SweepType.Real, SweepValue.NewReal(1.0), "factor on the searched eta"),
        new("lambda", SweepType.Real, null, "fixed lambda"),
        new("r", SweepType.Integer, null, "fixed r"),
        new("eps1", SweepType.Real, null, "fixed eps1"),
        new("eps2", SweepType.Real, null, "fixed eps2"),
        new("alpha", SweepType.Real, null, "fixed alpha"),
        new("C", SweepType.Real, null, "fixed norm bound C"),
        new("f", SweepType.Text, null, "fixed f_alpha family"),
        new("scope", SweepType.Text, SweepValue.NewText("auto"), "regime, any or auto"),
        new("steps", SweepType.Integer, SweepValue.NewInteger(300), "SGD steps per simulated run (C4; C3 50x, C6 5x)"),
    ];

    /// <inheritdoc/>
    public string SeedsMeaning => "independent hunts per cell: hunt s has seed (seed + s), as 'lowrank hunt --seed (seed+s)'";

    /// <inheritdoc/>
    public void CheckSeeds(int seeds, int seedsPerUnit) { }

    /// <summary>The hunt's arguments for a cell and hunt seed (what the unit replays).</summary>
    public static List<string> Args(SweepCell cell, ulong huntSeed)
    {
        var args = new List<string>();
        foreach (var (name, v) in cell.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            args.Add("--" + name);
            args.Add(SweepCell.Format(v));
        }
        args.AddRange(["--seed", huntSeed.ToString(Inv), "--budget", BudgetSeconds.ToString(Inv)]);
        return args;
    }

    /// <summary>The hunt's settings for a cell and hunt seed, through <c>HuntOptions.Read</c>.</summary>
    public static HuntSettings Settings(SweepCell cell, ulong huntSeed)
    {
        var h = new HuntCommand.HuntOptions();
        var cmd = new Command("hunt");
        h.AddTo(cmd);
        var parse = cmd.Parse(Args(cell, huntSeed));
        if (parse.Errors.Count > 0) throw new InputException("hunt", parse.Errors[0].Message);
        return h.Read(parse);
    }

    /// <inheritdoc/>
    public void CheckCell(SweepCell cell, int seeds, ulong seed) => Settings(cell, seed);

    /// <inheritdoc/>
    public double EstimateSeconds(SweepCell cell, int seedFrom, int seedTo)
    {
        var perEvaluation = cell.Text("claim").ToUpperInvariant() switch
        {
            "C3" or "C4" or "C6" => 2e-6 * cell.Integer("steps") * 10,
            _ => 2e-4,
        };
        return (seedTo - seedFrom) * cell.Integer("evaluations") * perEvaluation;
    }

    /// <inheritdoc/>
    public string Replay(SweepCell cell, int seeds, ulong seed, int seedFrom, int seedTo) =>
        RunInfo.Replay("hunt " + string.Join(' ', Args(cell, seed + (ulong)seedFrom).Select(RunInfo.Quote))) +
        $"   # this unit: seeds {seed + (ulong)seedFrom}..{seed + (ulong)seedTo - 1}";

    /// <inheritdoc/>
    public ISweepUnitWork Open(SweepCell cell, SweepUnit unit, int seeds, ulong seed) => new Work(cell, unit, seed);

    private sealed class Work(SweepCell cell, SweepUnit unit, ulong seed) : ISweepUnitWork
    {
        // one state per hunt of the block; hunts run in seed order
        private readonly HuntSettings[] settings = Enumerable.Range(unit.SeedFrom, unit.SeedTo - unit.SeedFrom)
            .Select(s => Settings(cell, seed + (ulong)s)).ToArray();

        private HuntState[]? states;

        public HuntState[] States => states ??= settings.Select(Hunt.start).ToArray();

        public HuntSettings[] HuntSettings => settings;

        public void WriteState(JsonOut w)
        {
            w.BeginObject();
            w.Key("hunts");
            w.BeginArray();
            foreach (var s in States) HuntCheckpoint.WriteState(w, s);
            w.EndArray();
            w.EndObject();
        }

        public void ReadState(JsonCursor c, string path) => JsonSchema.ReadObject(c, path, new Dictionary<string, Action<string>>
        {
            ["hunts"] = q => states = CheckpointFile.ReadExactly(c, q, settings.Length, "hunt states (one per seed of the unit)",
                (k, e) => HuntCheckpoint.ReadState(c, e, settings[k])),
        });

        public bool Advance(CheckpointPolicy policy, CancellationToken stop, Action checkpoint, Progress progress)
        {
            var stage = progress.Begin($"hunt {cell.Text("claim")}: {settings.Length} seeds", settings.Length);
            stage.Advance(States.Count(s => s.Finished));
            // Segments end at a (re)start boundary: after --checkpoint-steps evaluations, when the timer is due, or on a signal.
            var segment = policy.Steps ?? long.MaxValue;
            var pause = Microsoft.FSharp.Core.FuncConvert.FromFunc<int, bool>(done =>
                stop.IsCancellationRequested || (done > 0 && (done >= segment || (policy.Steps is null && policy.Due()))));
            for (var k = 0; k < settings.Length; k++)
            {
                while (!States[k].Finished)
                {
                    if (stop.IsCancellationRequested) return false;
                    states![k] = Hunt.advance(Claims.hunter(settings[k].Claim), settings[k], States[k], pause);
                    if (!States[k].Finished && !stop.IsCancellationRequested)
                    {
                        checkpoint();
                        policy.Written();
                    }
                }
                stage.Advance();
            }
            stage.Done();
            return true;
        }

        public void WriteResult(JsonOut w) => WriteState(w);
    }

    /// <inheritdoc/>
    public ISweepMerger Merger(SweepPlan plan) => new Merge(plan);

    /// <summary>A merged hunt cell: the results of its hunts, seed order.</summary>
    public sealed record Cell(SweepCell Sweep, List<HuntResult> Hunts);

    private sealed class Merge(SweepPlan plan) : ISweepMerger
    {
        private readonly Cell[] cells = plan.Cells.Select(c => new Cell(c, [])).ToArray();

        public void Add(SweepUnit unit, JsonCursor c, string path)
        {
            var w = new Work(plan.Cells[unit.Cell], unit, plan.Spec.Seed);
            w.ReadState(c, path);
            for (var k = 0; k < w.States.Length; k++)
            {
                if (!w.States[k].Finished) throw c.Error($"{path}.hunts[{k}]", "must be a finished hunt");
                // Confirmed findings keep their C1 case only in the unit file: the merge keeps the result's summary fields.
                cells[unit.Cell].Hunts.Add(Hunt.finish(w.HuntSettings[k], true, w.States[k]));
            }
        }

        public SweepMerged Finish(OutputDirectory dir)
        {
            var json = new
            {
                cells = cells.Select(x => new
                {
                    cell = x.Sweep.Index,
                    grid = SweepReport.GridJson(x.Sweep),
                    claim = x.Sweep.Text("claim"),
                    summary = SweepReport.HuntSummaryJson(x.Hunts),
                    phase = SweepReport.HuntPhase(x.Hunts),
                    hunts = x.Hunts.Select(h => new
                    {
                        seed = h.Seed,
                        evaluations = h.Evaluations,
                        valid = h.Valid,
                        restarts = h.Restarts,
                        confirmed = h.Confirmed.Length,
                        firstConfirmedEvaluation = h.FirstConfirmed is null ? (int?)null : h.FirstConfirmed.Value.Item1,
                        best = h.Best is null ? null : new { violation = HuntCheckpointFloat(h.Best.Value.Violation), bound = HuntCheckpointFloat(h.Best.Value.Bound), status = ClaimsReport.Word(h.Best.Value.Status), description = h.Best.Value.Description },
                    }),
                }).ToArray(),
            };
            return new SweepMerged(json, doc => SweepReport.AddHunt(doc, dir, plan, cells),
                "hunt sweep: " + string.Join("; ", cells.GroupBy(x => SweepReport.HuntPhase(x.Hunts)).Select(g => $"{g.Key}: {g.Count()} cell(s)")));
        }
    }

    /// <summary>A float for results.json: infinite scores become the strings "Infinity"/"-Infinity".</summary>
    public static object HuntCheckpointFloat(double x) => double.IsFinite(x) ? x : x > 0 ? "Infinity" : "-Infinity";
}
