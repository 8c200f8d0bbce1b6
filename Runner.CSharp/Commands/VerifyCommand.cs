namespace LowRankVerify.Runner;

/// <summary><c>lowrank verify</c>: the main job. Checks every claim C1–C7 and its negative controls,
/// runs the slides' experiment E1, and writes a report. Exit 0 when every claim holds and every control
/// fails as expected, 1 otherwise, 2 on invalid input.</summary>
public static class VerifyCommand
{
    /// <summary>The command's name in reports and checkpoints.</summary>
    public const string CommandName = "verify";

    /// <summary>A tier: claim-check budget (with the least numbers of non-trivial cases for a claim to
    /// hold: <paramref name="MinNonTrivial"/> for the property claims C1, C2, C6, C7 and
    /// <paramref name="MinNonTrivialRuns"/> for the simulation claims C3, C4, C5) and E1 size.</summary>
    private sealed record Tier(string Name, int Cases, long SimulationSteps, int MinNonTrivial, int MinNonTrivialRuns,
        long E1Steps, int E1Seeds, long VariantSteps, int VariantSeeds);

    /// <summary>quick (default: 56 s measured on 2 idle cores, C4, C5 and E1 dominate) and full (2000 cases, 5e5 steps per simulated run, E1 with 64 seeds × 1e7 steps: 327 s measured).</summary>
    private static readonly Tier[] Tiers =
    [
        new("quick", 600, 200_000, 100, 8, E1.defaults.Steps, E1.defaults.Seeds, 1_000_000, 8),
        new("full", 2_000, 500_000, 300, 24, 10_000_000, 64, 3_000_000, 16),
    ];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var tier = new Option<string>("--tier") { Description = "quick (default, about 5 minutes on 2 cores) or full (larger budgets)", DefaultValueFactory = _ => "quick" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the claim checks and of E1 (every case and chain derives its stream from it)", DefaultValueFactory = _ => 1UL };
        var output = new Option<string?>("--out") { Description = "report directory (default reports/<UTC timestamp>-verify/)" };
        var force = new Option<bool>("--force") { Description = "write into an existing non-empty --out directory" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output, only the verdict line" };
        var casesOut = new Option<string?>("--cases-out") { Description = "also write every case each claim check tried to DIR/C1.jsonl … DIR/C7.jsonl (one JSON object a line; refused when DIR exists and is not empty, unless --force)" };
        var cmd = new Command("verify", "Main job: check claims C1–C7 and their negative controls, run E1, write a report (exit 0 = all hold).");
        var resilience = new ResilienceOptions();
        foreach (var o in new Option[] { tier, seed, output, force, quiet, casesOut }) cmd.Options.Add(o);
        resilience.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var policy = resilience.Policy(parse);
            var resumeDir = resilience.ResumeDir(parse, [tier, seed, output, force]);
            var tierName = parse.GetValue(tier) ?? "quick";
            var s = parse.GetValue(seed);
            E1Plan? resumed = null;
            if (resumeDir is not null)
            {
                string? savedTier = null;
                CheckpointFile.Read(CheckpointFile.Locate(resumeDir), CommandName, c =>
                {
                    var fields = E1Plan.Fields(c, pl => resumed = pl);
                    fields["tier"] = p =>
                    {
                        savedTier = CheckpointFile.ReadString(c, p);
                        if (Tiers.All(x => x.Name != savedTier)) throw c.Error(p, $"must be quick or full, not '{savedTier}'");
                    };
                    fields["seed"] = p =>
                    {
                        if (!ulong.TryParse(CheckpointFile.ReadString(c, p), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out s))
                            throw c.Error(p, "must be a string holding an unsigned 64-bit integer");
                    };
                    return fields;
                });
                tierName = savedTier!;
            }
            var t = Tiers.FirstOrDefault(x => x.Name == tierName)
                    ?? throw new InputException("--tier", $"must be quick or full, not '{tierName}'");
            var budget = new CheckBudget(t.Cases, s, t.SimulationSteps, t.MinNonTrivial, t.MinNonTrivialRuns);
            var e1 = E1.withBudget(t.E1Steps, t.E1Seeds, s, E1.defaults);
            ExperimentCommand.Validate(e1);
            if (resumed is not null && (!resumed.Main.Equals(e1) || resumed.VariantSteps != t.VariantSteps || resumed.VariantSeeds != t.VariantSeeds))
                throw new InputException("--resume", $"the checkpoint's e1Parameters do not match tier {t.Name} with seed {s} (a corrupt or edited checkpoint)");
            var plan = resumed ?? E1Plan.Fresh(e1, t.VariantSteps, t.VariantSeeds);
            var run = RunInfo.Collect(Environment.GetCommandLineArgs().Skip(1).ToArray());
            var casesDir = CasesFile.Prepare(parse.GetValue(casesOut), parse.GetValue(force));
            var dir = resumeDir is not null
                ? OutputDirectory.Existing(resumeDir)
                : OutputDirectory.Prepare(parse.GetValue(output), "verify", parse.GetValue(force), run.StartedUtc);
            var clock = Stopwatch.StartNew();
            using var signal = new StopSignal();
            void Save() => CheckpointFile.Write(dir.Path, CommandName, w =>
            {
                w.Key("tier"); w.String(t.Name);
                w.Key("seed"); w.String(s.ToString(System.Globalization.CultureInfo.InvariantCulture));
                plan.Write(w);
            });

            // Claims are not segmented: a signal stops the run when the current claim check reports
            // (the progress callback throws); on resume they are recomputed from the seed.
            void CheckStop()
            {
                if (signal.Token.IsCancellationRequested) throw new OperationCanceledException(signal.Token);
            }
            var finishedStages = new List<string>();
            var outcome = Progress.Run(parse.GetValue(quiet), progress =>
            {
                try
                {
                    CheckStop();
                    var registry = Claims.all;
                    var cs = progress.Begin("claims C1–C7", registry.Count(d => !d.Exploratory));
                    var seen = new HashSet<ClaimId>();
                    var claimOutcomes = Verify.claims(registry, budget, FuncConvert.FromAction<ClaimId, string>((id, m) =>
                    {
                        cs.Message(m);
                        if (seen.Add(id)) cs.Advance();
                        CheckStop();
                    }));
                    cs.Done();
                    var exploratory = Verify.exploratory(registry, budget, FuncConvert.FromAction<ClaimId, string>((_, m) => { cs.Message(m); CheckStop(); }));
                    finishedStages.Add("claims C1–C7");
                    var ks = progress.Begin("negative controls", null);
                    var controlOutcomes = Verify.controls(registry, budget, FuncConvert.FromAction<ClaimId, string>((_, m) => { ks.Message(m); ks.Advance(); CheckStop(); }));
                    ks.Done();
                    finishedStages.Add("negative controls");
                    CheckStop();
                    var huntOutcomes = HuntReport.RunForVerify(t.Name, s, progress);
                    finishedStages.Add("hunts");
                    CheckStop();
                    var complete = E1Runner.Run(plan, policy, signal.Token, progress, Save);
                    return complete ? (claimOutcomes, controlOutcomes, huntOutcomes, exploratory) : default;
                }
                catch (Exception e) when (e is OperationCanceledException ||
                                          e is AggregateException a && a.Flatten().InnerExceptions.All(x => x is OperationCanceledException))
                {
                    Save();
                    return default;
                }
            });
            if (outcome.claimOutcomes is null)
                return PartialReport.Write(dir, run, CommandName, signal, plan, finishedStages);
            var (claims, controls, hunts, exploratory) = outcome;
            var e1Result = plan.Jobs[0].Result();
            var e1Seconds = plan.Jobs[0].Seconds;
            var variants = plan.Jobs.Skip(1).Select(j => new E1Variant(j.Label, j.Result(), j.Seconds)).ToList();

            var passed = ClaimsReport.AllPassed(claims, controls) && HuntReport.Passed(hunts);
            var doc = new Document("LowRankVerify: verification report");
            ReportWriter.AddProvenance(doc, run);
            ClaimsReport.AddSection(doc, claims, controls, budget, t.Name, exploratory);
            HuntReport.AddVerifySection(doc, hunts);
            var figs = E1Report.WriteFigures(dir, e1Result);
            E1Report.AddSection(doc, e1Result, e1Seconds, figs.Slides, figs.Jumps, variants,
                ExperimentCommand.ReplayCommand(e1, t.VariantSteps, t.VariantSeeds));
            doc.H(2, "Replay");
            doc.P($"Total wall time {clock.Elapsed.TotalSeconds:0} s. The whole verification replays with:");
            doc.C(RunInfo.Replay($"verify --tier {t.Name} --seed {s}"));
            var json = new
            {
                schemaVersion = ReportWriter.SchemaVersion,
                command = "verify",
                run,
                tier = t.Name,
                budget = new { cases = budget.Cases, seed = budget.Seed, simulationSteps = budget.SimulationSteps },
                execution = PartialReport.Execution(resumeDir, policy, completed: true, signal),
                partial = false,
                passed,
                exitCode = passed ? Cli.Ok : Cli.CheckFailed,
                wallSeconds = clock.Elapsed.TotalSeconds,
                results = ClaimsReport.Json(claims, controls, t.Name, exploratory),
                hunts = HuntReport.VerifyJson(hunts),
                e1 = E1Report.Json(e1Result, e1Seconds, variants),
            };
            var where = ReportWriter.Write(dir, json, doc);
            if (casesDir is not null) CasesFile.Write(casesDir, claims.Concat(exploratory));
            CheckpointFile.Delete(dir.Path);
            foreach (var c in claims)
                Console.WriteLine($"{c.Claim} {c.Name}: {ClaimsReport.Word(c.Verdict)} ({c.CasesTried} cases, {c.NonTrivialCases} non-trivial of {c.NonTrivialRequired} required, {c.Seconds:0.0}s)");
            foreach (var c in exploratory)
                Console.WriteLine($"{c.Claim} {c.Name}: {ClaimsReport.Word(c.Verdict)} ({c.CasesTried} cases, {c.NonTrivialCases} non-trivial; exploratory, not in the exit code; {c.Seconds:0.0}s)");
            foreach (var c in controls)
                Console.WriteLine($"control {c.Control}: {(c.FailedAsExpected ? "failed as expected" : "DID NOT FAIL")}");
            foreach (var h in hunts.Hunts)
                Console.WriteLine($"hunt {h.Label}: {h.Result.Evaluations} evaluations, {h.Result.Confirmed.Length} confirmed counterexample(s)");
            Console.WriteLine(E1Report.ConsoleLine(e1Result, e1Seconds));
            Console.WriteLine($"{(passed ? "PASS" : "FAIL")}: {claims.Count(c => c.Verdict.IsHolds)}/{claims.Length} claims hold, " +
                              $"{controls.Count(c => c.FailedAsExpected)}/{controls.Length} controls failed as expected; {clock.Elapsed.TotalSeconds:0}s");
            Console.WriteLine(where);
            if (casesDir is not null) Console.WriteLine($"cases: {casesDir}/C1.jsonl … C7.jsonl (and C1-E1.jsonl, exploratory)");
            return passed ? Cli.Ok : Cli.CheckFailed;
        });
        return cmd;
    }
}
