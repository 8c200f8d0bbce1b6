namespace LowRankVerify.Runner.Reports;

/// <summary>The report of a finished <c>lowrank verify</c>: the claims table, the hunts, E1, the replay line,
/// results.json, every case tried (with --cases-out) and the console lines.</summary>
public static class VerifyReport
{
    /// <summary>What the claim checks, controls and hunts of a verification found.</summary>
    public sealed record Outcome(ClaimOutcome[] Claims, ControlOutcome[] Controls, HuntReport.VerifyHunts Hunts, ClaimOutcome[] Exploratory);

    /// <summary>Writes everything and returns the exit code: 0 when every claim holds, every control fails as
    /// expected and no hunt confirmed a counterexample, 1 otherwise.</summary>
    public static int Finish(LongRun.Context x, Outcome outcome, CheckBudget budget, string tier, ulong seed, E1Plan plan, string? casesDir)
    {
        var (claims, controls, hunts, exploratory) = outcome;
        var (e1Result, e1Seconds, variants) = E1Report.Outcome(plan);

        var passed = ClaimsReport.AllPassed(claims, controls) && HuntReport.Passed(hunts);
        var doc = x.Document("LowRankVerify: verification report");
        ClaimsReport.AddSection(doc, claims, controls, budget, tier, exploratory);
        HuntReport.AddVerifySection(doc, hunts);
        E1Report.AddSection(doc, x.Dir, e1Result, e1Seconds, variants, ExperimentCommand.ReplayCommand(plan.Main, plan.VariantSteps, plan.VariantSeeds));
        doc.H(2, "Replay");
        var replay = RunInfo.Replay($"verify --tier {tier} --seed {seed}");
        doc.P($"Total wall time {x.Clock.Elapsed.TotalSeconds:0} s. The whole verification replays with:");
        doc.C(replay);
        var json = new
        {
            tier = tier,
            budget = new { cases = budget.Cases, seed = budget.Seed, simulationSteps = budget.SimulationSteps },
            passed,
            exitCode = passed ? Cli.Ok : Cli.CheckFailed,
            results = ClaimsReport.Json(claims, controls, tier, exploratory),
            hunts = HuntReport.VerifyJson(hunts),
            e1 = E1Report.Json(e1Result, e1Seconds, variants),
        };
        var where = x.Write(doc, json, replay, x.Clock.Elapsed.TotalSeconds);
        if (casesDir is not null) CasesFile.Write(casesDir, claims.Concat(exploratory));
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
                          $"{controls.Count(c => c.FailedAsExpected)}/{controls.Length} controls failed as expected; {x.Clock.Elapsed.TotalSeconds:0}s");
        Console.WriteLine(where);
        if (casesDir is not null) Console.WriteLine($"cases: {casesDir}/C1.jsonl … C7.jsonl (and C1-E1.jsonl, exploratory)");
        return passed ? Cli.Ok : Cli.CheckFailed;
    }
}
