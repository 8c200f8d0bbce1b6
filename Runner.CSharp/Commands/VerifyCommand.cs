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
    public sealed record Tier(string Name, int Cases, long SimulationSteps, int MinNonTrivial, int MinNonTrivialRuns,
        long E1Steps, int E1Seeds, long VariantSteps, int VariantSeeds);

    /// <summary>quick (default: 56 s measured on 2 idle cores, C4, C5 and E1 dominate) and full (2000 cases, 5e5 steps per simulated run, E1 with 64 seeds × 1e7 steps: 327 s measured).</summary>
    private static readonly Tier[] Tiers =
    [
        new("quick", 600, 200_000, 100, 8, E1.defaults.Steps, E1.defaults.Seeds, 1_000_000, 8),
        new("full", 2_000, 500_000, 300, 24, 10_000_000, 64, 3_000_000, 16),
    ];

    /// <summary>A verification in progress: its tier, seed, claim budget and E1 plan (saved in the checkpoint;
    /// the claim checks are not segmented: on resume they are recomputed from the seed), then its outcomes.</summary>
    private sealed class Plan(Tier tier, ulong seed, E1Plan e1)
    {
        public Tier Tier { get; } = tier;
        public ulong Seed { get; } = seed;
        public E1Plan E1 { get; } = e1;
        public CheckBudget Budget { get; } = new(tier.Cases, seed, tier.SimulationSteps, tier.MinNonTrivial, tier.MinNonTrivialRuns);
        public List<string> Finished { get; } = [];
        public VerifyReport.Outcome? Outcome { get; set; }
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var tier = new Option<string>("--tier") { Description = "quick (default, about 5 minutes on 2 cores) or full (larger budgets)", DefaultValueFactory = _ => "quick" };
        var seed = Options.Seed("seed of the claim checks and of E1 (every case and chain derives its stream from it)");
        var casesOut = new Option<string?>("--cases-out") { Description = "also write every case each claim check tried to DIR/C1.jsonl … DIR/C7.jsonl (one JSON object a line; refused when DIR exists and is not empty, unless --force)" };
        var cmd = new Command("verify", "Main job: check claims C1–C7 and their negative controls, run E1, write a report (exit 0 = all hold).");
        var run = new LongRun(cmd, CommandName, "verify", [tier, seed], quiet: "no progress output, only the verdict line");
        cmd.Options.Add(casesOut);
        cmd.SetAction(parse =>
        {
            string? casesDir = null;
            // --cases-out is checked (and created) once the run's own parameters are valid
            Plan Cases(Plan pl)
            {
                casesDir = CasesFile.Prepare(parse.GetValue(casesOut), parse.GetValue(run.Force));
                return pl;
            }
            return run.Run(parse,
                resume: dir =>
                {
                    string? savedTier = null;
                    ulong s = 0;
                    E1Plan? resumed = null;
                    CheckpointFile.Read(CheckpointFile.Locate(dir), CommandName, c =>
                    {
                        var fields = E1Plan.Fields(c, pl => resumed = pl);
                        fields["tier"] = p =>
                        {
                            savedTier = CheckpointFile.ReadString(c, p);
                            if (Tiers.All(x => x.Name != savedTier)) throw c.Error(p, $"must be quick or full, not '{savedTier}'");
                        };
                        fields["seed"] = p =>
                        {
                            if (!ulong.TryParse(CheckpointFile.ReadString(c, p), NumberStyles.None, CultureInfo.InvariantCulture, out s))
                                throw c.Error(p, "must be a string holding an unsigned 64-bit integer");
                        };
                        return fields;
                    });
                    return Cases(Start(savedTier!, s, resumed));
                },
                fresh: () => Cases(Start(parse.GetValue(tier) ?? "quick", parse.GetValue(seed), null)),
                save: (w, pl) =>
                {
                    w.Key("tier"); w.String(pl.Tier.Name);
                    w.Key("seed"); w.String(pl.Seed.ToString(CultureInfo.InvariantCulture));
                    pl.E1.Write(w);
                },
                work: Work,
                stopped: (x, pl) => x.Stopped(pl.E1, pl.Finished),
                report: (x, pl) => VerifyReport.Finish(x, pl.Outcome!, pl.Budget, pl.Tier.Name, pl.Seed, pl.E1, casesDir));
        });
        return cmd;
    }

    /// <summary>The plan of tier <paramref name="tierName"/> at seed <paramref name="s"/>; a resumed E1 plan must be that tier's.</summary>
    private static Plan Start(string tierName, ulong s, E1Plan? resumed)
    {
        var t = Tiers.FirstOrDefault(x => x.Name == tierName)
                ?? throw new InputException("--tier", $"must be quick or full, not '{tierName}'");
        var e1 = E1.withBudget(t.E1Steps, t.E1Seeds, s, E1.defaults);
        ExperimentCommand.Validate(e1);
        if (resumed is not null && (!resumed.Main.Equals(e1) || resumed.VariantSteps != t.VariantSteps || resumed.VariantSeeds != t.VariantSeeds))
            throw new InputException("--resume", $"the checkpoint's e1Parameters do not match tier {t.Name} with seed {s} (a corrupt or edited checkpoint)");
        return new Plan(t, s, resumed ?? E1Plan.Fresh(e1, t.VariantSteps, t.VariantSeeds));
    }

    /// <summary>Claims, controls, hunts, then E1 in segments. A signal stops the claim checks when the current
    /// one reports (the progress callback throws) and E1 at a segment boundary; either way a checkpoint is saved.</summary>
    private static bool Work(LongRun.Context x, Plan pl, Progress progress)
    {
        void CheckStop()
        {
            if (x.Signal.Token.IsCancellationRequested) throw new OperationCanceledException(x.Signal.Token);
        }
        try
        {
            CheckStop();
            var registry = Claims.all;
            var cs = progress.Begin("claims C1–C7", registry.Count(d => !d.Exploratory));
            var seen = new HashSet<ClaimId>();
            var claims = Verify.claims(registry, pl.Budget, FuncConvert.FromAction<ClaimId, string>((id, m) =>
            {
                cs.Message(m);
                if (seen.Add(id)) cs.Advance();
                CheckStop();
            }));
            cs.Done();
            var exploratory = Verify.exploratory(registry, pl.Budget, FuncConvert.FromAction<ClaimId, string>((_, m) => { cs.Message(m); CheckStop(); }));
            pl.Finished.Add("claims C1–C7");
            var ks = progress.Begin("negative controls", null);
            var controls = Verify.controls(registry, pl.Budget, FuncConvert.FromAction<ClaimId, string>((_, m) => { ks.Message(m); ks.Advance(); CheckStop(); }));
            ks.Done();
            pl.Finished.Add("negative controls");
            CheckStop();
            var hunts = HuntReport.RunForVerify(pl.Tier.Name, pl.Seed, progress);
            pl.Finished.Add("hunts");
            CheckStop();
            if (!E1Runner.Run(pl.E1, x.Policy, x.Signal.Token, progress, x.Save)) return false;
            pl.Outcome = new VerifyReport.Outcome(claims, controls, hunts, exploratory);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException ||
                                  e is AggregateException a && a.Flatten().InnerExceptions.All(y => y is OperationCanceledException))
        {
            x.Save();
            return false;
        }
    }
}
