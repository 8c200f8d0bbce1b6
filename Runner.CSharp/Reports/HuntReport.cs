using System.Globalization;
using System.Text.Json;
using LowRankVerify.Theory;

namespace LowRankVerify.Runner.Reports;

/// <summary>Counterexample hunts (<c>Hunt</c> in the core) in a report and in results.json: the
/// counterexample store (one JSON file per confirmed case), the regression files that <c>dotnet test</c>
/// replays, the report sections (used by <c>lowrank hunt</c> and by the "Hunts" section of verify).</summary>
public static class HuntReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Number in round-trip form.</summary>
    public static string R(double x) => x.ToString("R", Inv);

    /// <summary>Short number.</summary>
    public static string G(double x) => x.ToString("G4", Inv);

    /// <summary>A finding as a JSON object (claim, parameters, violation, bound, status, replay).</summary>
    public static object FindingJson(HuntFinding f, ulong seed, string replay) => new
    {
        claim = Hunt.claimId(f.Claim),
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
        claim = Hunt.claimId(r.Claim),
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
            var name = $"counterexamples/{Hunt.claimId(r.Claim)}-seed{r.Seed}-{++k}.json";
            dir.WriteText(name, ReportWriter.ToJson(FindingJson(f, r.Seed, replay)));
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
            var name = $"{Hunt.claimId(r.Claim)}-hunt-{Tag(overrides)}seed{r.Seed}-e{f.Evaluation}-{k}";
            var o = new Dictionary<string, object>
            {
                ["name"] = name,
                ["claim"] = Hunt.claimId(r.Claim),
                ["rule"] = "sgd",
                ["seed"] = r.Seed,
                ["index"] = f.Evaluation,
                ["expected"] = "Counterexample",
                ["description"] = "hunt: " + f.Description + " — replay: " + replay,
                ["eta"] = c.Hyper.Eta,
                ["lambda"] = c.Hyper.Lambda,
                ["region"] = new Dictionary<string, object>
                {
                    ["r"] = c.Region.R, ["eps1"] = c.Region.Eps1, ["eps2"] = c.Region.Eps2, ["alpha"] = c.Region.Alpha,
                    ["C"] = c.Region.C, ["family"] = FAlpha.name(c.Region.Family),
                },
                ["target"] = Rows(c.Task.Target),
                ["observed"] = c.Task.Observed.Select(e => new[] { e.Item1, e.Item2 }).ToArray(),
                ["layers"] = c.Point.W.Select(Rows).ToArray(),
                ["xi"] = Array.Empty<double>(),
            };
            var path = Path.Combine(folder, name + ".json");
            OutputDirectory.WriteAtomic(path, new System.Text.UTF8Encoding(false).GetBytes(
                JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true }) + "\n"));
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
}
