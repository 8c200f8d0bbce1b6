namespace LowRankVerify.Runner.Reports;

/// <summary>Counterexample hunts (<c>Hunt</c> in the core) in a report and in results.json: the
/// counterexample store (one JSON file per confirmed case), the regression files that <c>dotnet test</c>
/// replays, the report sections (used by <c>lowrank hunt</c> and by the "Hunts" section of verify).</summary>
public static partial class HuntReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Number in round-trip form.</summary>
    public static string R(double x) => x.ToString("R", Inv);

    /// <summary>Short number.</summary>
    public static string G(double x) => x.ToString("G4", Inv);

    /// <summary>A finding as a JSON object (claim, parameters, violation, bound, status, replay).</summary>
    public static object FindingJson(HuntFinding f, ulong seed, string replay) => new
    {
        claim = f.Claim.Text,
        status = ClaimsReport.Word(f.Status),
        violation = f.Violation,
        bound = f.Bound,
        score = f.Score,
        inRegime = f.InRegime,
        seed,
        evaluation = f.Evaluation,
        foundAfterSeconds = f.Seconds,
        shrunk = f.Shrunk,
        size = f.Size,
        parameters = f.Parameters.ToDictionary(p => p.Item1, p => p.Item2),
        description = f.Description,
        replay,
    };

    /// <summary>A hunt result as a JSON object.</summary>
    public static object ResultJson(HuntResult r, string replay) => new
    {
        claim = r.Claim.Text,
        strategy = r.Strategy,
        seed = r.Seed,
        evaluations = r.Evaluations,
        validEvaluations = r.Valid,
        restarts = r.Restarts,
        seconds = r.Seconds,
        firstConfirmed = r.FirstConfirmed is null ? null : new { evaluation = r.FirstConfirmed.Value.Item1, seconds = r.FirstConfirmed.Value.Item2 },
        best = r.Best is null ? null : FindingJson(r.Best.Value, r.Seed, replay),
        confirmed = r.Confirmed.Select(f => FindingJson(f, r.Seed, replay)).ToArray(),
    };

    /// <summary>Writes each confirmed counterexample as one JSON file under
    /// <c>counterexamples/</c> of <paramref name="dir"/>; returns the file names.</summary>
    public static List<string> WriteStore(OutputDirectory dir, HuntResult r, string replay)
    {
        var names = new List<string>();
        Directory.CreateDirectory(Path.Combine(dir.Path, "counterexamples"));
        var k = 0;
        foreach (var f in r.Confirmed)
        {
            var name = $"counterexamples/{r.Claim.Text}-seed{r.Seed}-{++k}.json";
            dir.WriteText(name, JsonOut.Serialize(FindingJson(f, r.Seed, replay)));
            names.Add(name);
        }
        return names;
    }

    /// <summary>Writes each confirmed C1 counterexample that carries its case into
    /// <paramref name="folder"/> in the regression-set format of <c>Properties/RegressionTests.fs</c>
    /// (rule "sgd", expected "Counterexample"); returns the paths. Other claims have no replayable
    /// one-step case and are skipped.</summary>
    public static List<string> WriteRegressions(string folder, HuntResult r, HuntOverrides overrides, string replay)
    {
        var paths = new List<string>();
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InputException("--save-regression", $"cannot create directory '{folder}': {e.Message}");
        }
        var k = 0;
        foreach (var f in r.Confirmed)
        {
            k++;
            if (f.Case is null || !f.Status.IsCounterexample) continue;
            var c = f.Case.Value;
            var name = $"{r.Claim.Text}-hunt-{Tag(overrides)}seed{r.Seed}-e{f.Evaluation}-{k}";
            var o = new Dictionary<string, object>
            {
                ["name"] = name,
                ["claim"] = r.Claim.Text,
                ["rule"] = "sgd",
                ["seed"] = r.Seed,
                ["index"] = f.Evaluation,
                ["expected"] = "Counterexample",
                ["description"] = "hunt: " + f.Description + " — replay: " + replay,
                ["eta"] = c.Hyper.Eta,
                ["lambda"] = c.Hyper.Lambda,
                ["region"] = new Dictionary<string, object>
                {
                    ["r"] = c.Region.R,
                    ["eps1"] = c.Region.Eps1,
                    ["eps2"] = c.Region.Eps2,
                    ["alpha"] = c.Region.Alpha,
                    ["C"] = c.Region.C,
                    ["family"] = FAlpha.name(c.Region.Family),
                },
                ["target"] = Rows(c.Task.Target),
                ["observed"] = c.Task.Observed.Select(e => new[] { e.Item1, e.Item2 }).ToArray(),
                ["layers"] = c.Point.W.Select(Rows).ToArray(),
                ["xi"] = Array.Empty<double>(),
            };
            var path = Path.Combine(folder, name + ".json");
            OutputDirectory.WriteAtomic(path, new UTF8Encoding(false).GetBytes(JsonOut.Serialize(o)));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>A file-name tag naming the fixed values of a hunt ("lambda0-", "depth2-", "etax30-", …;
    /// empty inside the regime with nothing fixed).</summary>
    public static string Tag(HuntOverrides o)
    {
        var parts = new List<string>();
        if (o.Lambda is not null) parts.Add("lambda" + R(o.Lambda.Value));
        if (o.Depth is not null) parts.Add("depth" + o.Depth.Value);
        if (o.Eta is not null) parts.Add("eta" + R(o.Eta.Value));
        if (o.EtaFactor != 1.0) parts.Add("etax" + R(o.EtaFactor));
        if (o.R is not null) parts.Add("r" + o.R.Value);
        if (o.Eps1 is not null || o.Eps2 is not null || o.Alpha is not null || o.C is not null) parts.Add("constants");
        if (o.Task is not null) parts.Add("task");
        if (!o.InRegimeOnly) parts.Add("any");
        return parts.Count == 0 ? "" : string.Join("-", parts) + "-";
    }

    private static double[][] Rows(MathNet.Numerics.LinearAlgebra.Matrix<double> m) =>
        Enumerable.Range(0, m.RowCount).Select(i => Enumerable.Range(0, m.ColumnCount).Select(j => m[i, j]).ToArray()).ToArray();

    /// <summary>For C1 and C4 hunts: which conditions of the derived regime are rigorous (R0–R2) and which
    /// first order (R3, R4), and which condition set η_max for the hunt's best and confirmed candidates
    /// (their <c>etaMaxSetBy</c> parameter); empty for the other claims.</summary>
    public static string RegimeLabels(HuntResult r)
    {
        if (!r.Claim.Equals(ClaimId.C1) && !r.Claim.Equals(ClaimId.C4)) return "";
        var findings = (r.Best is null ? [] : new[] { r.Best.Value }).Concat(r.Confirmed);
        var setBy = findings.SelectMany(f => f.Parameters.Where(p => p.Item1 == "etaMaxSetBy").Select(p => p.Item2))
            .GroupBy(x => x).OrderBy(g => g.Key).Select(g => $"{g.Key} ({Regime.label(g.Key)}) {g.Count()}");
        return "The derived regime's R0–R2 are rigorous, R3 and R4 first order (heuristics): closure inside it is tested, not proven. " +
               $"η_max set by (best and confirmed candidates): {string.Join(", ", setBy.DefaultIfEmpty("none"))}.";
    }

    /// <summary>One table row summarising a hunt.</summary>
    public static IReadOnlyList<string> Row(string label, HuntResult r) =>
    [
        label, r.Strategy, r.Evaluations.ToString(Inv), $"{r.Seconds:0.00}s",
        r.Best is null ? "—" : $"{G(r.Best.Value.Violation)} (bound {G(r.Best.Value.Bound)}, {ClaimsReport.Word(r.Best.Value.Status)})",
        r.Confirmed.Length.ToString(Inv),
        r.FirstConfirmed is null ? "none" : $"evaluation {r.FirstConfirmed.Value.Item1} ({r.FirstConfirmed.Value.Item2:0.000}s)",
    ];

    /// <summary>Header of <see cref="Row"/>.</summary>
    public static readonly string[] Header = ["hunt", "strategy", "evaluations", "time", "best violation", "confirmed", "first confirmed"];

    /// <summary>Adds the confirmed counterexamples (and the best candidate) of a hunt.</summary>
    public static void AddFindings(Document doc, HuntResult r, string replay)
    {
        if (r.Best is not null)
        {
            var b = r.Best.Value;
            doc.P($"Best candidate (objective {G(b.Score)}, {(b.InRegime ? "inside" : "outside")} the documented regime, " +
                  $"status {ClaimsReport.Word(b.Status)}): {b.Description}");
        }
        if (r.Confirmed.IsEmpty)
        {
            doc.P("No confirmed counterexample (violation above its round-off bound) within the budget.");
            return;
        }
        doc.T(["#", "status", "violation", "bound", "size", "shrunk", "case"],
            r.Confirmed.Select((f, k) => (IReadOnlyList<string>)
            [
                (k + 1).ToString(Inv), ClaimsReport.Word(f.Status), G(f.Violation), G(f.Bound), f.Size.ToString(Inv),
                f.Shrunk ? "yes" : "no", f.Description,
            ]));
        doc.P("Replay:");
        doc.C(replay);
    }
    /// <summary>Hunts of the verify report: one per claim inside its regime, and the races of the C1
    /// controls (hunter against random testing).</summary>
    public sealed record VerifyHunts(
        IReadOnlyList<(string Label, HuntResult Result, string Replay)> Hunts,
        IReadOnlyList<(string Control, (HuntResult Hunter, HuntResult Random)[] Pairs)> Races,
        double Seconds);

    /// <summary>Hunt budgets of verify: evaluations per claim hunt (a fixed count, so that the hunts and results.json
    /// are a function of the seed), seeds and evaluations per control race. quick: C1 8000, C2 30000, C3 2000, C4 600
    /// and C6 120 evaluations, about what the former 6, 3, 3, 4 and 4 s of wall time reached on 2 loaded cores
    /// (measured at seed 1: 7256, 31977, 2021, 621, 124), about 20 s in all; races on 20 seeds of 600 evaluations
    /// (about 13 s; 5 seeds were too few: the medians of 1–3 evaluations then swap by chance); full: 4× the quick
    /// hunts (4.5× for C4 and C6, as the former 18 s against 4 s), races of 2000 evaluations (the η = 6·η_max race
    /// then takes about a minute). A claim with a hunter but no budget here is hunted with 1000 evaluations.</summary>
    private static (IReadOnlyDictionary<string, int> Evaluations, int RaceSeeds, int RaceEvaluations) Budget(string tier) =>
        tier == "full"
            ? (new Dictionary<string, int> { ["C1"] = 32_000, ["C2"] = 120_000, ["C3"] = 8_000, ["C4"] = 2_700, ["C6"] = 540 }, 20, 2000)
            : (new Dictionary<string, int> { ["C1"] = 8_000, ["C2"] = 30_000, ["C3"] = 2_000, ["C4"] = 600, ["C6"] = 120 }, 20, 600);

    /// <summary>Runs the verify hunts for a tier, one per claim of the registry with a hunter (<c>Claims.huntable</c>),
    /// each stopped at its evaluation count (no wall-clock stop), then the races of C1's hunt controls.</summary>
    public static VerifyHunts RunForVerify(string tier, ulong seed, Progress progress)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (budget, raceSeeds, raceEvals) = Budget(tier);
        var claims = Claims.huntable.ToArray();
        var stage = progress.Begin("hunts", claims.Length + C1.huntControls.Length);
        var hunts = new List<(string, HuntResult, string)>();
        foreach (var c in claims)
        {
            var evals = budget.GetValueOrDefault(c.Text, 1000);
            stage.Message($"hunt {c.Text} ({evals} evaluations)");
            var st = Hunt.defaults(c, seed);
            var r = Hunt.run(Claims.hunter(c), new HuntSettings(c, st.Seed, evals, double.PositiveInfinity, st.Patience, false, true, st.Steps, st.Overrides));
            var replay = RunInfo.Replay($"hunt --claim {c.Text} --seed {seed} --evaluations {r.Evaluations} --budget 86400");
            hunts.Add(($"{c.Text} inside its regime", r, replay));
            stage.Advance();
        }
        var races = new List<(string, (HuntResult, HuntResult)[])>();
        foreach (var (name, o) in C1.huntControls.Select(t => (t.Item1, t.Item2)))
        {
            stage.Message($"race: C1 control {name}");
            var st = Hunt.defaults(ClaimId.C1, seed);
            var settings = new HuntSettings(ClaimId.C1, seed, raceEvals, double.PositiveInfinity, st.Patience, true, false, st.Steps, o);
            races.Add(($"C1 with {name}", Hunt.race(C1.hunter, settings, raceSeeds).Select(t => (t.Item1, t.Item2)).ToArray()));
            stage.Advance();
        }
        stage.Done();
        return new VerifyHunts(hunts, races, clock.Elapsed.TotalSeconds);
    }

    /// <summary>True when no in-regime hunt confirmed a counterexample.</summary>
    public static bool Passed(VerifyHunts h) => h.Hunts.All(x => x.Result.Confirmed.IsEmpty);

    /// <summary>Median (∞ when empty).</summary>
    public static double MedianValue(IEnumerable<double> xs)
    {
        var a = xs.OrderBy(x => x).ToArray();
        return a.Length == 0 ? double.PositiveInfinity : a.Length % 2 == 1 ? a[a.Length / 2] : 0.5 * (a[a.Length / 2 - 1] + a[a.Length / 2]);
    }

    private static string Median(IEnumerable<double> xs)
    {
        var a = xs.OrderBy(x => x).ToArray();
        if (a.Length == 0) return "—";
        var m = a.Length % 2 == 1 ? a[a.Length / 2] : 0.5 * (a[a.Length / 2 - 1] + a[a.Length / 2]);
        return m.ToString("G3", Inv);
    }

    /// <summary>One race summary: (found in k of n, median evaluations, median seconds) for one side.</summary>
    public static (int Found, int Runs, string MedianEvaluations, string MedianSeconds) Summary(IEnumerable<HuntResult> rs)
    {
        var a = rs.ToArray();
        var found = a.Where(r => r.FirstConfirmed is not null).ToArray();
        return (found.Length, a.Length, Median(found.Select(r => (double)r.FirstConfirmed!.Value.Item1)), Median(found.Select(r => r.FirstConfirmed!.Value.Item2)));
    }

    /// <summary>Adds the race table (time to the first confirmed counterexample, hunter against random).</summary>
    public static void AddRaces(Document doc, IReadOnlyList<(string Control, (HuntResult Hunter, HuntResult Random)[] Pairs)> races)
    {
        doc.T(["negative control", "hunter: found", "hunter: median evaluations", "hunter: median seconds", "random: found", "random: median evaluations", "random: median seconds", "faster"],
            races.Select(r =>
            {
                var h = Summary(r.Pairs.Select(p => p.Hunter));
                var x = Summary(r.Pairs.Select(p => p.Random));
                var he = MedianValue(r.Pairs.Where(p => p.Hunter.FirstConfirmed is not null).Select(p => (double)p.Hunter.FirstConfirmed!.Value.Item1));
                var xe = MedianValue(r.Pairs.Where(p => p.Random.FirstConfirmed is not null).Select(p => (double)p.Random.FirstConfirmed!.Value.Item1));
                var hs = MedianValue(r.Pairs.Where(p => p.Hunter.FirstConfirmed is not null).Select(p => p.Hunter.FirstConfirmed!.Value.Item2));
                var xs = MedianValue(r.Pairs.Where(p => p.Random.FirstConfirmed is not null).Select(p => p.Random.FirstConfirmed!.Value.Item2));
                // time is the criterion (issue #6); evaluations are its deterministic proxy, so a split is shown
                var faster = h.Found > x.Found ? "hunter (finds more)" : x.Found > h.Found ? "random (finds more)"
                    : he < xe && hs < xs ? "hunter" : he > xe && hs > xs ? "random"
                    : he == xe && hs == xs ? "tie"
                    : $"split (fewer evaluations: {(he < xe ? "hunter" : he > xe ? "random" : "tie")}; less time: {(hs < xs ? "hunter" : "random")})";
                return (IReadOnlyList<string>)
                [
                    r.Control, $"{h.Found}/{h.Runs}", h.MedianEvaluations, h.MedianSeconds, $"{x.Found}/{x.Runs}", x.MedianEvaluations, x.MedianSeconds, faster,
                ];
            }));
    }

    /// <summary>Adds the "Hunts" section of the verify report.</summary>
    public static void AddVerifySection(Document doc, VerifyHunts h)
    {
        doc.H(2, "Hunts");
        doc.P($"Targeted counterexample search (`lowrank hunt`, {h.Seconds:0} s in all): aimed and plain starts, then hill climbing with restarts over the generators' parameters, " +
              "maximising each claim's violation relative to its round-off bound, inside the claim's documented regime; confirmed cases are shrunk. " +
              "A confirmed counterexample here fails the run.");
        doc.T(Header, h.Hunts.Select(x => Row(x.Label, x.Result)));
        foreach (var x in h.Hunts.Where(x => RegimeLabels(x.Result).Length > 0))
            doc.P($"{x.Label}: {RegimeLabels(x.Result)}");
        foreach (var x in h.Hunts.Where(x => !x.Result.Confirmed.IsEmpty))
        {
            doc.H(3, x.Label);
            AddFindings(doc, x.Result, x.Replay);
        }
        doc.P("Replay a hunt with `" + (h.Hunts.Count > 0 ? h.Hunts[0].Replay : "") + "` (same seed and evaluation count, deterministic).");
        doc.H(3, "Negative controls: time to the first confirmed counterexample, hunter against random testing");
        doc.P("Same generator and budget; random testing samples fresh cases uniformly; the hunter draws aimed (the hypotheses at their limits: every edge of B_r, the balancedness edge along the shared frame or misaligned, η near η_max, λ at the weak-decay end of the data's scale, r one below the data's rank) and plain samples in turn, then climbs from the best. The large-η control raises η to R0's cap (2ηλ = 1/10), so it breaks R1, R2, R4 and never flips the decay's sign. Medians over the seeds that found one.");
        AddRaces(doc, h.Races);
    }

    /// <summary>The verify hunts as JSON.</summary>
    public static object VerifyJson(VerifyHunts h) => new
    {
        seconds = h.Seconds,
        passed = Passed(h),
        hunts = h.Hunts.Select(x => new { label = x.Label, result = ResultJson(x.Result, x.Replay) }),
        races = h.Races.Select(r => new
        {
            control = r.Control,
            runs = r.Pairs.Select(p => new
            {
                seed = p.Hunter.Seed,
                hunter = p.Hunter.FirstConfirmed is null ? null : new { evaluation = p.Hunter.FirstConfirmed.Value.Item1, seconds = p.Hunter.FirstConfirmed.Value.Item2 },
                random = p.Random.FirstConfirmed is null ? null : new { evaluation = p.Random.FirstConfirmed.Value.Item1, seconds = p.Random.FirstConfirmed.Value.Item2 },
                budget = p.Hunter.Evaluations,
            }),
        }),
    };
}
