namespace LowRankVerify.Runner.Reports;

/// <summary>The report of a finished <c>lowrank hunt</c>: the counterexample store, regression files, report.md
/// and report.html, results.json (settings, the hunt, the random-testing baseline) and the console lines.</summary>
public static partial class HuntReport
{
    /// <summary>Writes everything and returns the exit code: 0 without a confirmed counterexample, 1 with one.</summary>
    public static int Finish(LongRun.Context x, HuntSettings settings, HuntResult hunt, HuntResult? random, string replay, string? saveFolder)
    {
        var o = settings.Overrides;
        var store = WriteStore(x.Dir, hunt, replay);
        var saved = saveFolder is { } folder ? WriteRegressions(folder, hunt, settings.Overrides, replay) : [];
        var doc = x.Document($"LowRankVerify: counterexample hunt for {settings.Claim.Text}");
        doc.H(2, "Summary");
        doc.P($"Scope: {(o.InRegimeOnly ? "inside the claim's documented regime (C1, C4: R0–R4 of Regime.fs; C2: θ ∈ B_r)" : "every candidate (a control hunt: hypotheses may be violated)")}. " +
              RegimeLabels(hunt) + " " +
              $"Budget {settings.MaxSeconds:0.#} s or {settings.MaxEvaluations} evaluations, seed {settings.Seed}. " +
              "A candidate is **confirmed** when its violation exceeds the round-off bound of that case, **inconclusive** when 0 < violation ≤ bound.");
        if (hunt.Valid == 0)
            doc.P("**Warning**: no candidate lay inside the scope, so nothing was tested (use `--scope any` for controls).");
        doc.T(Header, new[] { Row("hunter", hunt) }.Concat(random is null ? [] : [Row("random testing", random)]));
        if (random is not null)
            doc.P("Time to the first confirmed counterexample: hunter " + First(hunt) + ", random testing " + First(random) + ".");
        doc.H(2, "Counterexamples");
        AddFindings(doc, hunt, replay);
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
            hunt = ResultJson(hunt, replay),
            random = random is null ? null : ResultJson(random, replay),
            store,
            regressionFiles = saved,
        };
        var where = x.Write(doc, json, replay);
        Console.WriteLine($"{settings.Claim.Text} hunt: {hunt.Evaluations} evaluations in {hunt.Seconds:0.0}s, {hunt.Confirmed.Length} confirmed counterexample(s), first at {First(hunt)}" +
                          (random is null ? "" : $"; random testing: first at {First(random)}"));
        if (hunt.Valid == 0)
            Console.WriteLine("warning: no candidate lay inside the scope (e.g. the regime with a fixed L = 2): nothing was tested; use --scope any");
        if (hunt.Best is not null)
            Console.WriteLine($"best: {ClaimsReport.Word(hunt.Best.Value.Status)} violation {G(hunt.Best.Value.Violation)} (bound {G(hunt.Best.Value.Bound)}): {hunt.Best.Value.Description}");
        foreach (var s in saved) Console.WriteLine($"regression: {s}");
        Console.WriteLine(where);
        return hunt.Confirmed.IsEmpty ? Cli.Ok : Cli.CheckFailed;
    }

    private static T? Val<T>(FSharpOption<T> x) where T : struct => x is null ? null : x.Value;

    /// <summary>"evaluation n (t s)" or "none".</summary>
    public static string First(HuntResult r) =>
        r.FirstConfirmed is null ? $"none in {r.Evaluations} evaluations" : $"evaluation {r.FirstConfirmed.Value.Item1} ({r.FirstConfirmed.Value.Item2.ToString("0.000", CultureInfo.InvariantCulture)} s)";
}
