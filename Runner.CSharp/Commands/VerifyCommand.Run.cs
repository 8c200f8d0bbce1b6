namespace LowRankVerify.Runner;

// lowrank verify: its tiers, the plan of a run (saved in checkpoints) and the work (claims, controls, hunts, E1).
public static partial class VerifyCommand
{
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
