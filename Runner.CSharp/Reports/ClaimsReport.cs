namespace LowRankVerify.Runner.Reports;

/// <summary>The claim checks C1–C7 and their negative controls in a report (tables, counterexamples
/// with replay commands) and in results.json.</summary>
public static class ClaimsReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Lower-case verdict word used in tables and JSON: holds, counterexample, inconclusive, vacuous.</summary>
    public static string Word(Verdict v) =>
        v.IsHolds ? "holds" : v.IsCounterexample ? "counterexample" : v.IsVacuous ? "vacuous" : "inconclusive";

    /// <summary>True when every claim holds and every control failed as expected (exit code 0).</summary>
    public static bool AllPassed(ClaimOutcome[] claims, ControlOutcome[] controls) =>
        claims.All(c => c.Verdict.IsHolds) && controls.All(c => c.FailedAsExpected);

    /// <summary>Claims and controls as JSON objects; exploratory rows (outside the asserted regime, not
    /// part of the exit code) under <c>exploratory</c>, each with <c>exploratory: true</c>. Replays are formatted
    /// for <paramref name="tier"/>.</summary>
    public static object Json(ClaimOutcome[] claims, ControlOutcome[] controls, string tier, ClaimOutcome[]? exploratory = null) => new
    {
        claims = claims.Select(c => ClaimJson(c, false, tier)),
        exploratory = (exploratory ?? []).Select(c => ClaimJson(c, true, tier)),
        controls = controls.Select(c => new
        {
            control = c.Control,
            claim = c.Claim.Text,
            failedAsExpected = c.FailedAsExpected,
            casesTried = c.CasesTried,
            seconds = c.Seconds,
            example = c.Example,
        }),
    };

    private static object ClaimJson(ClaimOutcome c, bool exploratory, string tier) => new
    {
        claim = c.Claim.Text,
        name = c.Name,
        statement = c.Statement,
        verdict = Word(c.Verdict),
        exploratory,
        casesTried = c.CasesTried,
        nonTrivialCases = c.NonTrivialCases,
        nonTrivialRequired = c.NonTrivialRequired,
        nonTrivialCriterion = c.NonTrivialCriterion,
        boundaryCoverage = c.BoundaryCoverage,
        seconds = c.Seconds,
        counterexamples = c.Counterexamples.Select(x => new
        {
            claim = x.Claim.Text,
            description = x.Description,
            violation = x.Violation,
            bound = x.Bound,
            status = Word(x.Status),
            replay = RunInfo.Replay(x.Replay, tier, exploratory),
        }),
    };

    /// <summary>Adds the verdict summary, the claims table, the controls table and the counterexamples.</summary>
    public static void AddSection(Document doc, ClaimOutcome[] claims, ControlOutcome[] controls, CheckBudget budget, string tier,
        ClaimOutcome[]? exploratory = null)
    {
        exploratory ??= [];
        var holds = claims.Count(c => c.Verdict.IsHolds);
        var failed = controls.Count(c => c.FailedAsExpected);
        doc.H(2, "Verdict");
        doc.P((AllPassed(claims, controls) ? "**PASS**" : "**FAIL**") +
              $": {holds} of {claims.Length} claims hold, {claims.Count(c => c.Verdict.IsCounterexample)} have a confirmed counterexample, " +
              $"{claims.Count(c => c.Verdict.IsInconclusive)} inconclusive, {claims.Count(c => c.Verdict.IsVacuous)} vacuous; " +
              $"{failed} of {controls.Length} negative controls failed as they must. " +
              "The run passes (exit 0) only when every claim holds and every control fails.");
        doc.P($"Tier `{tier}`: {budget.Cases.ToString(Inv)} random cases per property, {budget.SimulationSteps.ToString("N0", Inv)} SGD steps per " +
              $"simulated run, seed {budget.Seed.ToString(Inv)} (every case derives its stream from it). A violation counts as a counterexample " +
              "only when it exceeds the round-off bound of its case; a smaller one makes the claim inconclusive. A claim holds only " +
              "when, besides no counterexample, at least the required number of its cases were non-trivial (cases on which the " +
              "claim could have failed, by the criterion in the table below); with fewer it is vacuous, which fails the run like " +
              "inconclusive.");
        doc.H(2, "Claims C1–C7");
        doc.T(["claim", "name", "verdict", "cases tried", "non-trivial (required)", "boundary coverage", "time"],
            claims.Select(c => (c, false)).Concat(exploratory.Select(c => (c, true))).Select(x => (IReadOnlyList<string>)
            [
                x.c.Claim.Text, x.c.Name, Word(x.c.Verdict) + (x.Item2 ? " (exploratory: not in the exit code)" : ""), x.c.CasesTried.ToString(Inv),
                $"{x.c.NonTrivialCases.ToString(Inv)} ({x.c.NonTrivialRequired.ToString(Inv)})",
                x.c.BoundaryCoverage.Length > 0 ? x.c.BoundaryCoverage : "—", $"{x.c.Seconds:0.0}s",
            ]));
        if (exploratory.Length > 0)
            doc.P("Rows marked exploratory test a claim outside the regime where it is asserted (e.g. C1 at the slides' operating point): " +
                  "they are reported with their own verdict and counterexamples and do not count toward the verdict above or the exit code.");
        doc.P("The derived regime of C1 and C4 (Regime.fs): R0 (hypotheses), R1 (balancedness, from D1) and R2 (norm bound) are rigorous; " +
              "R3 (tail contraction) and R4 (second-order term) are first order, i.e. heuristics. Closure inside R0–R4 is therefore tested, not proven; " +
              "which condition sets eta_max over the cases is counted in C1's coverage line.");
        doc.P("What each check states, in the regime it was run in, and which of its cases count as non-trivial:");
        doc.List(claims.Concat(exploratory).Select(c => $"**{c.Claim.Text} {c.Name}**: {c.Statement} *Non-trivial:* {c.NonTrivialCriterion}"));
        doc.H(2, "Negative controls");
        doc.P("Each control runs a check under violated hypotheses (λ = 0, too large η, a broken step, gradient descent, SDE noise, …); " +
              "a control that does not fail shows a check that cannot fail, and fails the run.");
        doc.T(["control", "claim", "failed as expected", "cases tried", "time", "first failing case"],
            controls.Select(c => (IReadOnlyList<string>)
            [
                c.Control, c.Claim.Text, c.FailedAsExpected ? "yes" : "**NO**", c.CasesTried.ToString(Inv), $"{c.Seconds:0.0}s",
                c.Example.Length > 0 ? c.Example : "—",
            ]));
        var all = claims.Select(c => (c, exploratory: false)).Concat(exploratory.Select(c => (c, exploratory: true)))
            .SelectMany(t => t.c.Counterexamples.Select(x => (x, replay: RunInfo.Replay(x.Replay, tier, t.exploratory)))).ToList();
        var confirmed = all.Where(t => t.x.Status.IsCounterexample).ToList();
        var undecided = all.Where(t => !t.x.Status.IsCounterexample).ToList();
        doc.H(2, "Counterexamples");
        if (confirmed.Count == 0)
            doc.P("No confirmed counterexample (a violation larger than its round-off bound) in the cases tried.");
        foreach (var (x, replay) in confirmed)
        {
            doc.H(3, $"{x.Claim.Text}: counterexample (violation {x.Violation.ToString("G4", Inv)}, round-off bound {x.Bound.ToString("G4", Inv)})");
            doc.P(x.Description);
            doc.P("Replay:");
            doc.C(replay);
        }
        if (undecided.Count > 0)
        {
            const int perClaim = 5;
            doc.H(3, $"Inconclusive cases ({undecided.Count})");
            doc.P("Violations within their round-off bound, or cases the check could not decide: per claim " +
                  string.Join(", ", undecided.GroupBy(t => t.x.Claim.Text).Select(g => $"{g.Key}: {g.Count()}")) +
                  $". At most {perClaim} per claim are shown; all are in `results.json`.");
            doc.T(["claim", "case", "violation", "round-off bound", "replay"],
                undecided.GroupBy(t => t.x.Claim.Text).SelectMany(g => g.Take(perClaim)).Select(t => (IReadOnlyList<string>)
                [
                    t.x.Claim.Text, t.x.Description, t.x.Violation.ToString("G4", Inv), t.x.Bound.ToString("G4", Inv), $"`{t.replay}`",
                ]));
        }
    }
}
