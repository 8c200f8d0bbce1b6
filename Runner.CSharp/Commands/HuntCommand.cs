namespace LowRankVerify.Runner;

/// <summary><c>lowrank hunt --claim C1|C2|C3|C4|C6</c>: targeted counterexample search (THEORY.md §4,
/// core <c>Hunt</c>): hill climbing with restarts over the generators' parameters, shrinking, the
/// round-off status of each candidate; a store of confirmed cases, a report, optionally the random-testing
/// baseline and regression files. Exit 0 when no confirmed counterexample was found, 1 when one was
/// (a control hunt is expected to exit 1), 2 on invalid input.</summary>
public static class HuntCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The hunt's options (shared with <c>explore</c>).</summary>
    public sealed class HuntOptions
    {
        /// <summary>--claim.</summary>
        public Option<string> Claim { get; } = new("--claim") { Description = "claim to hunt: C1, C2, C3, C4 or C6 (required unless --resume)" };
        /// <summary>--budget.</summary>
        public Option<double> Budget { get; } = new("--budget") { Description = "wall-clock seconds (0 < s <= 86400; default 30)", DefaultValueFactory = _ => 30.0 };
        /// <summary>--evaluations.</summary>
        public Option<int> Evaluations { get; } = new("--evaluations") { Description = "most candidate evaluations (1..10000000; the deterministic stop, default 1000000)", DefaultValueFactory = _ => 1_000_000 };
        /// <summary>--seed.</summary>
        public Option<ulong> Seed { get; } = new("--seed") { Description = "seed of the hunt (deterministic for a given evaluation count)", DefaultValueFactory = _ => 1UL };
        /// <summary>--task.</summary>
        public Option<string?> Task { get; } = new("--task") { Description = "fixed task JSON file (C1, C3, C4; at most 8x8); default: random tasks" };
        /// <summary>--epsilon.</summary>
        public Option<double?> Epsilon { get; } = new("--epsilon") { Description = "fixed task: E1's [[1, 1/eps], [eps, 1]] with 3 observed entries (eps > 0)" };
        /// <summary>--depth.</summary>
        public Option<int?> Depth { get; } = new("--depth") { Description = "fixed depth L (2..8)" };
        /// <summary>--eta.</summary>
        public Option<double?> Eta { get; } = new("--eta") { Description = "fixed learning rate eta (> 0); default: searched fraction of the regime's etaMax" };
        /// <summary>--eta-factor.</summary>
        public Option<double> EtaFactor { get; } = new("--eta-factor") { Description = "factor on the searched eta (> 0; C6: on GD's eta); C1, C4: above 1 the step stays within R0's 2 eta lambda <= 1/10, so e.g. 1e12 hunts the large-eta control at R0's cap", DefaultValueFactory = _ => 1.0 };
        /// <summary>--lambda.</summary>
        public Option<double?> Lambda { get; } = new("--lambda") { Description = "fixed lambda (>= 0; 0 hunts the lambda = 0 control)" };
        /// <summary>--r.</summary>
        public Option<int?> R { get; } = new("--r") { Description = "fixed rank r of B_r (0..8)" };
        /// <summary>--eps1.</summary>
        public Option<double?> Eps1 { get; } = new("--eps1") { Description = "fixed eps1 (> 0)" };
        /// <summary>--eps2.</summary>
        public Option<double?> Eps2 { get; } = new("--eps2") { Description = "fixed eps2 (0 <= eps2 < 1)" };
        /// <summary>--alpha.</summary>
        public Option<double?> Alpha { get; } = new("--alpha") { Description = "fixed f_alpha threshold alpha (> 0)" };
        /// <summary>--C.</summary>
        public Option<double?> C { get; } = new("--C") { Description = "fixed norm bound C (> 0)" };
        /// <summary>--f.</summary>
        public Option<string?> F { get; } = new("--f") { Description = "fixed f_alpha family: piecewise or quadratic; default: searched" };
        /// <summary>--scope.</summary>
        public Option<string> Scope { get; } = new("--scope")
        {
            Description = "regime: only candidates inside the claim's documented regime count; any: every candidate (controls; C2: drops the B_r hypothesis); auto (default): regime unless an eta/lambda/depth/constant option is given",
            DefaultValueFactory = _ => "auto",
        };
        /// <summary>--steps.</summary>
        public Option<int> Steps { get; } = new("--steps") { Description = "SGD steps per simulated run (C4; C3 uses 50x, C6 5x GD steps), 1..100000", DefaultValueFactory = _ => 300 };

        /// <summary>Every option of the hunt's settings.</summary>
        public Option[] All => [Claim, Budget, Evaluations, Seed, Task, Epsilon, Depth, Eta, EtaFactor, Lambda, R, Eps1, Eps2, Alpha, C, F, Scope, Steps];

        /// <summary>Adds every option to <paramref name="cmd"/>.</summary>
        public void AddTo(Command cmd)
        {
            foreach (var o in All)
                cmd.Options.Add(o);
        }

        /// <summary>Reads and validates the settings; every error names its option and rule.</summary>
        public HuntSettings Read(ParseResult parse)
        {
            var claimText = parse.GetValue(Claim);
            if (claimText is null) throw new InputException("--claim", "is required (C1, C2, C3, C4 or C6) unless --resume is given");
            var claimR = Claims.parseHuntable("--claim", claimText);
            if (claimR.IsError) throw new InputException("--claim", claimR.ErrorValue.Rule);
            var claim = claimR.ResultValue;
            var budget = parse.GetValue(Budget);
            if (!(double.IsFinite(budget) && budget > 0 && budget <= 86400)) throw new InputException("--budget", $"must be seconds in (0, 86400], got {budget.ToString("R", Inv)}");
            var evals = parse.GetValue(Evaluations);
            if (evals < 1 || evals > 10_000_000) throw new InputException("--evaluations", "must be an integer in 1..10000000");
            var steps = parse.GetValue(Steps);
            if (steps < 1 || steps > 100_000) throw new InputException("--steps", "must be an integer in 1..100000");
            var taskPath = parse.GetValue(Task);
            var eps = parse.GetValue(Epsilon);
            if (taskPath is not null && eps is not null) throw new InputException("--task, --epsilon", "give at most one fixed task");
            FSharpOption<LowRankVerify.Theory.Task> task = FSharpOption<LowRankVerify.Theory.Task>.None;
            if (taskPath is not null || eps is not null)
            {
                if (claim.Equals(ClaimId.C2) || claim.Equals(ClaimId.C6))
                    throw new InputException(taskPath is not null ? "--task" : "--epsilon", $"a fixed task is not used by {claim.Text} (C2 hunts fully observed D7 tasks, C6 E1's task over eps)");
                LowRankVerify.Theory.Task t;
                if (eps is not null)
                {
                    if (!(double.IsFinite(eps.Value) && eps.Value > 0)) throw new InputException("--epsilon", "must be a finite number > 0");
                    t = TaskModule.e1(eps.Value);
                }
                else t = TaskFile.Read("--task", taskPath);
                if (t.DOut > 8 || t.DIn > 8) throw new InputException("--task", $"must be at most 8x8 for hunting (each evaluation steps at every entry), got {t.DOut}x{t.DIn}");
                task = t;
            }
            var depth = parse.GetValue(Depth);
            if (depth is not null && (depth < 2 || depth > 8)) throw new InputException("--depth", "must be an integer in 2..8");
            var eta = parse.GetValue(Eta);
            if (eta is not null) Options.Positive("--eta", eta.Value);
            var etaFactor = Options.Positive("--eta-factor", parse.GetValue(EtaFactor));
            var lambda = parse.GetValue(Lambda);
            if (lambda is not null) Options.NonNegative("--lambda", lambda.Value);
            var r = parse.GetValue(R);
            if (r is not null && (r < 0 || r > 8)) throw new InputException("--r", "must be an integer in 0..8");
            var eps1 = parse.GetValue(Eps1);
            if (eps1 is not null) Options.Positive("--eps1", eps1.Value);
            var eps2 = parse.GetValue(Eps2);
            if (eps2 is not null && !(double.IsFinite(eps2.Value) && eps2.Value >= 0 && eps2.Value < 1)) throw new InputException("--eps2", "must be a number in [0, 1)");
            var alpha = parse.GetValue(Alpha);
            if (alpha is not null && FAlpha.alphaRule(alpha.Value) is { } alphaRule) throw new InputException("--alpha", alphaRule.Value);
            var c = parse.GetValue(C);
            if (c is not null) Options.Positive("--C", c.Value);
            var fText = parse.GetValue(F);
            FSharpOption<FAlphaFamily> family = FSharpOption<FAlphaFamily>.None;
            if (fText is not null) family = Options.Unwrap(FAlpha.parse("f", fText), optionField: true);
            var scopeText = parse.GetValue(Scope) ?? "auto";
            var anyOverride = eta is not null || etaFactor != 1.0 || lambda is not null || depth is not null || r is not null
                              || eps1 is not null || eps2 is not null || alpha is not null || c is not null;
            var inRegime = scopeText switch
            {
                "regime" => true,
                "any" => false,
                "auto" => !anyOverride,
                _ => throw new InputException("--scope", $"must be regime, any or auto, got '{scopeText}'"),
            };
            if (inRegime && claim.Equals(ClaimId.C1) && depth is not null && depth < 3)
                throw new InputException("--depth", "L = 2 lies outside the C1 regime (R3); pass --scope any to hunt it as a control");
            var o = new HuntOverrides(task, Opt(depth), Opt(eta), etaFactor, Opt(lambda), Opt(r), Opt(eps1), Opt(eps2), Opt(alpha), Opt(c), family, inRegime);
            var d = Hunt.defaults(claim, parse.GetValue(Seed));
            return new HuntSettings(claim, d.Seed, evals, budget, d.Patience, false, true, steps, o);
        }

        private static FSharpOption<T> Opt<T>(T? x) where T : struct => x is null ? FSharpOption<T>.None : x.Value;
    }

    /// <summary>Command name in checkpoints.</summary>
    public const string CommandName = "hunt";

    // options that do not change the hunt's result (dropped from the replay line)
    private static readonly string[] Dropped = ["--budget", "--evaluations", "--out", "--save-regression", "--checkpoint-every", "--checkpoint-steps"];

    /// <summary>The command line that replays a hunt (the evaluation count makes it deterministic).</summary>
    public static string ReplayCommand(string[] args, HuntResult r)
    {
        var kept = new List<string>();
        for (var k = 0; k < args.Length; k++)
        {
            var a = args[k];
            if (a is "--budget" or "--evaluations" or "--out" or "--save-regression" or "--checkpoint-every" or "--checkpoint-steps") { k++; continue; }
            if (Dropped.Any(d => a.StartsWith(d + "=", StringComparison.Ordinal)) || a is "--force" or "--quiet" or "--compare-random") continue;
            kept.Add(RunInfo.Quote(a));
        }
        return RunInfo.Replay(string.Join(' ', kept) + $" --evaluations {r.Evaluations} --budget 86400");
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var h = new HuntOptions();
        var output = new Option<string?>("--out") { Description = "report directory (default reports/<UTC timestamp>-hunt/); counterexamples/ in it is the store" };
        var force = new Option<bool>("--force") { Description = "write into an existing non-empty --out directory" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output" };
        var compare = new Option<bool>("--compare-random") { Description = "also run plain random testing (same generator, same budget) and report time to the first confirmed counterexample of both" };
        var save = new Option<string?>("--save-regression") { Description = "folder (e.g. Properties/regressions) to write confirmed C1 counterexamples into, in the format dotnet test replays" };
        var cmd = new Command("hunt", "Targeted counterexample search for a claim (hill climbing, shrinking, round-off status); store, report.");
        h.AddTo(cmd);
        foreach (var o in new Option[] { output, force, quiet, compare, save }) cmd.Options.Add(o);
        var resilience = new ResilienceOptions();
        resilience.AddTo(cmd);
        var parameters = h.All.Concat([output, force, compare, save]).ToArray();
        cmd.SetAction(parse =>
        {
            var policy = resilience.Policy(parse);
            var resumeDir = resilience.ResumeDir(parse, parameters);
            var run = RunInfo.Collect(Environment.GetCommandLineArgs().Skip(1).ToArray());
            string[] args;
            HuntSettings settings;
            HuntState state;
            bool doCompare;
            string? saveFolder;
            OutputDirectory dir;
            if (resumeDir is not null)
            {
                var path = CheckpointFile.Locate(resumeDir);
                string[]? a = null;
                (HuntSettings, bool, string?)? read = null;
                HuntState? loaded = null;
                var digestChecked = false;
                CheckpointFile.Read(path, CommandName, c => new Dictionary<string, Action<string>>
                {
                    ["args"] = p =>
                    {
                        a = HuntCheckpoint.ReadArgs(c, p);
                        read = HuntCheckpoint.Reparse(cmd, a, path, q => (h.Read(q), q.GetValue(compare), q.GetValue(save)));
                    },
                    ["taskDigest"] = p =>
                    {
                        if (read is null) throw c.Error(p, "must come after args");
                        var t = read.Value.Item1.Overrides.Task;
                        HuntCheckpoint.CheckTaskDigest(c, p, FSharpOption<LowRankVerify.Theory.Task>.get_IsSome(t) ? t.Value : null);
                        digestChecked = true;
                    },
                    ["state"] = p =>
                    {
                        if (read is null) throw c.Error(p, "must come after args");
                        loaded = HuntCheckpoint.ReadState(c, p, read.Value.Item1);
                    },
                });
                if (!digestChecked)
                    throw new InputException("--resume", $"{path} has no taskDigest (written by an older lowrank); start a new run");
                args = a!;
                (settings, doCompare, saveFolder) = read!.Value;
                state = loaded!;
                dir = OutputDirectory.Existing(resumeDir);
            }
            else
            {
                settings = h.Read(parse);
                args = Environment.GetCommandLineArgs().Skip(1).ToArray();
                state = Hunt.start(settings);
                doCompare = parse.GetValue(compare);
                saveFolder = parse.GetValue(save);
                dir = OutputDirectory.Prepare(parse.GetValue(output), "hunt", parse.GetValue(force), run.StartedUtc);
            }
            var hunter = Claims.hunter(settings.Claim);
            using var signal = new StopSignal();
            void Save() => CheckpointFile.Write(dir.Path, CommandName, w =>
            {
                HuntCheckpoint.WriteArgs(w, args);
                HuntCheckpoint.WriteTaskDigest(w, FSharpOption<LowRankVerify.Theory.Task>.get_IsSome(settings.Overrides.Task) ? settings.Overrides.Task.Value : null);
                w.Key("state");
                HuntCheckpoint.WriteState(w, state);
            });
            var (completed, huntOrNull, random) = Progress.Run(parse.GetValue(quiet), progress =>
            {
                // with the baseline, both searches are warmed up first so that neither pays for the JIT in its time
                if (doCompare) Hunt.warmUp(hunter, settings);
                var st = progress.Begin($"hunt {settings.Claim.Text} ({settings.MaxSeconds:0} s)", null);
                // Segments end at a (re)start boundary of the hunt: after --checkpoint-steps evaluations,
                // when the checkpoint timer is due, or when a signal arrived.
                var segment = policy.Steps ?? long.MaxValue;
                var pause = FuncConvert.FromFunc<int, bool>(done =>
                    signal.Stopped || (done > 0 && (done >= segment || (policy.Steps is null && policy.Due()))));
                while (!state.Finished)
                {
                    if (signal.Stopped)
                    {
                        Save();
                        return (false, (HuntResult?)null, (HuntResult?)null);
                    }
                    state = Hunt.advance(hunter, settings, state, pause);
                    if (!state.Finished && !signal.Stopped)
                    {
                        Save();
                        policy.Written();
                    }
                }
                st.Done();
                HuntResult? b = null;
                if (doCompare)
                {
                    var sr = progress.Begin("random testing baseline", null);
                    b = Hunt.randomTesting(hunter, settings);
                    sr.Done();
                }
                return (true, Hunt.finish(settings, true, state), b);
            });
            if (!completed)
                return PartialReport.Write(dir, run, CommandName, signal, null,
                    [$"hunt {settings.Claim.Text}: {state.Evaluations} of at most {settings.MaxEvaluations} evaluations ({state.Seconds:0.0} of {settings.MaxSeconds:0.#} s), {state.Confirmed.Length} confirmed counterexample(s) so far"]);
            var o = settings.Overrides;
            var hunt = huntOrNull!;
            var replay = ReplayCommand(args, hunt);
            var store = HuntReport.WriteStore(dir, hunt, replay);
            var saved = saveFolder is { } folder ? HuntReport.WriteRegressions(folder, hunt, settings.Overrides, replay) : [];
            var doc = new Document($"LowRankVerify: counterexample hunt for {settings.Claim.Text}");
            ReportWriter.AddProvenance(doc, run);
            doc.H(2, "Summary");
            doc.P($"Scope: {(o.InRegimeOnly ? "inside the claim's documented regime (C1, C4: R0–R4 of Regime.fs; C2: θ ∈ B_r)" : "every candidate (a control hunt: hypotheses may be violated)")}. " +
                  HuntReport.RegimeLabels(hunt) + " " +
                  $"Budget {settings.MaxSeconds:0.#} s or {settings.MaxEvaluations} evaluations, seed {settings.Seed}. " +
                  "A candidate is **confirmed** when its violation exceeds the round-off bound of that case, **inconclusive** when 0 < violation ≤ bound.");
            if (hunt.Valid == 0)
                doc.P("**Warning**: no candidate lay inside the scope, so nothing was tested (use `--scope any` for controls).");
            doc.T(HuntReport.Header, new[] { HuntReport.Row("hunter", hunt) }.Concat(random is null ? [] : [HuntReport.Row("random testing", random)]));
            if (random is not null)
                doc.P("Time to the first confirmed counterexample: hunter " + First(hunt) + ", random testing " + First(random) + ".");
            doc.H(2, "Counterexamples");
            HuntReport.AddFindings(doc, hunt, replay);
            if (store.Count > 0)
            {
                doc.P($"Store: {store.Count} JSON file(s) under `counterexamples/` (claim, parameters, seed, violation, bound, status, replay).");
                doc.List(store.Select(s => $"`{s}`"));
            }
            if (saved.Count > 0)
            {
                doc.P("Added to the regression set (replayed first by `dotnet test`):");
                doc.List(saved.Select(s => $"`{s}`"));
            }
            doc.H(2, "Replay");
            doc.C(replay);
            var json = new
            {
                schemaVersion = ReportWriter.SchemaVersion,
                command = "hunt",
                run,
                execution = PartialReport.Execution(resumeDir, policy, completed: true, signal),
                partial = false,
                settings = new
                {
                    claim = settings.Claim.Text,
                    seed = settings.Seed,
                    budgetSeconds = settings.MaxSeconds,
                    maxEvaluations = settings.MaxEvaluations,
                    patience = settings.Patience,
                    steps = settings.Steps,
                    scope = o.InRegimeOnly ? "regime" : "any",
                    depth = Val(o.Depth),
                    eta = Val(o.Eta),
                    etaFactor = o.EtaFactor,
                    lambda = Val(o.Lambda),
                    r = Val(o.R),
                    eps1 = Val(o.Eps1),
                    eps2 = Val(o.Eps2),
                    alpha = Val(o.Alpha),
                    C = Val(o.C),
                    family = o.Family is null ? null : FAlpha.name(o.Family.Value),
                    fixedTask = o.Task is not null,
                },
                hunt = HuntReport.ResultJson(hunt, replay),
                random = random is null ? null : HuntReport.ResultJson(random, replay),
                store,
                regressionFiles = saved,
                replay,
            };
            var where = ReportWriter.Write(dir, json, doc);
            Console.WriteLine($"{settings.Claim.Text} hunt: {hunt.Evaluations} evaluations in {hunt.Seconds:0.0}s, {hunt.Confirmed.Length} confirmed counterexample(s), first at {First(hunt)}" +
                              (random is null ? "" : $"; random testing: first at {First(random)}"));
            if (hunt.Valid == 0)
                Console.WriteLine("warning: no candidate lay inside the scope (e.g. the regime with a fixed L = 2): nothing was tested; use --scope any");
            if (hunt.Best is not null)
                Console.WriteLine($"best: {ClaimsReport.Word(hunt.Best.Value.Status)} violation {HuntReport.G(hunt.Best.Value.Violation)} (bound {HuntReport.G(hunt.Best.Value.Bound)}): {hunt.Best.Value.Description}");
            foreach (var s in saved) Console.WriteLine($"regression: {s}");
            CheckpointFile.Delete(dir.Path);
            Console.WriteLine(where);
            return hunt.Confirmed.IsEmpty ? Cli.Ok : Cli.CheckFailed;
        });
        return cmd;
    }

    /// <summary>"evaluation n (t s)" or "none".</summary>
    public static string First(HuntResult r) =>
        r.FirstConfirmed is null ? $"none in {r.Evaluations} evaluations" : $"evaluation {r.FirstConfirmed.Value.Item1} ({r.FirstConfirmed.Value.Item2.ToString("0.000", Inv)} s)";

    private static T? Val<T>(FSharpOption<T> x) where T : struct => x is null ? null : x.Value;
}
