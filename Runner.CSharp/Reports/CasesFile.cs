namespace LowRankVerify.Runner.Reports;

/// <summary><c>verify --cases-out DIR</c>: every case each claim check tried, one JSON object a line, a
/// file per claim (<c>DIR/C1.jsonl</c> …). A line holds the task in the task-file format
/// (<c>{"target", "observed"}</c>), the network in the network-file format (<c>{"layers"}</c>), the
/// region's constants, η, λ, the case's verdict, its non-triviality flag and every other value the
/// check used or measured (<see cref="CaseRecord.Values"/>), so any case can be re-checked from its line
/// alone. Numbers are written in round-trip form; a non-finite measured value (a step that overflowed)
/// is written as the string "Infinity" or "-Infinity".</summary>
public static class CasesFile
{
    /// <summary>Validates and creates the directory of <c>--cases-out</c> (null when the option is not
    /// given): a file, or an existing non-empty directory without <paramref name="force"/>, is refused.</summary>
    public static string? Prepare(string? requested, bool force)
    {
        if (requested is null) return null;
        if (string.IsNullOrWhiteSpace(requested))
            throw new InputException("--cases-out", "must name a directory");
        return OutputDirectory.Create("--cases-out", requested, force);
    }

    /// <summary>Writes one file per claim, each atomically.</summary>
    public static void Write(string dir, IEnumerable<ClaimOutcome> claims)
    {
        foreach (var c in claims)
        {
            var sb = new StringBuilder();
            foreach (var r in c.Cases) sb.Append(Line(r)).Append('\n');
            OutputDirectory.WriteAtomic(Path.Combine(dir, $"{c.Claim.Text}.jsonl"), new UTF8Encoding(false).GetBytes(sb.ToString()));
        }
    }

    /// <summary>One case as a single-line JSON object.</summary>
    public static string Line(CaseRecord r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("claim", r.Claim.Text);
            w.WriteNumber("index", r.Index);
            w.WriteString("kind", r.Kind);
            if (r.Task is { } t)
            {
                w.WritePropertyName("task");
                WriteTask(w, t.Value);
            }
            if (r.Layers is { } n)
            {
                w.WritePropertyName("network");
                WriteNetwork(w, n.Value);
            }
            if (r.Region is { } p)
            {
                var q = p.Value;
                w.WritePropertyName("region");
                w.WriteStartObject();
                w.WriteNumber("r", q.R);
                Number(w, "eps1", q.Eps1);
                Number(w, "eps2", q.Eps2);
                Number(w, "alpha", q.Alpha);
                Number(w, "C", q.C);
                w.WriteString("f", FAlpha.name(q.Family));
                w.WriteEndObject();
            }
            if (r.Eta is { } eta) Number(w, "eta", eta.Value);
            if (r.Lambda is { } lambda) Number(w, "lambda", lambda.Value);
            w.WriteString("verdict", ClaimsReport.Word(r.Verdict));
            w.WriteBoolean("nonTrivial", r.NonTrivial);
            w.WritePropertyName("values");
            w.WriteStartObject();
            foreach (var (name, v) in r.Values)
            {
                w.WritePropertyName(name);
                WriteValue(w, v);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter w, CaseValue v)
    {
        switch (v)
        {
            case CaseValue.Number x: Value(w, x.Item); break;
            case CaseValue.Integer x: w.WriteNumberValue(x.Item); break;
            // A random-number state is a full uint64: a string keeps it exact for every JSON reader.
            case CaseValue.Seed x: w.WriteStringValue(x.Item.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
            case CaseValue.Flag x: w.WriteBooleanValue(x.Item); break;
            case CaseValue.Text x: w.WriteStringValue(x.Item); break;
            case CaseValue.Numbers x:
                w.WriteStartArray();
                foreach (var y in x.Item) Value(w, y);
                w.WriteEndArray();
                break;
            case CaseValue.Entries x:
                w.WriteStartArray();
                foreach (var (i, j) in x.Item)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(i);
                    w.WriteNumberValue(j);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                break;
            case CaseValue.Networks x:
                w.WriteStartArray();
                foreach (var net in x.Item) WriteNetwork(w, net);
                w.WriteEndArray();
                break;
            default: throw new InvalidOperationException($"unknown case value {v}");
        }
    }

    private static void WriteTask(Utf8JsonWriter w, Theory.Task t)
    {
        w.WriteStartObject();
        w.WritePropertyName("target");
        WriteMatrix(w, t.Target);
        w.WritePropertyName("observed");
        WriteValue(w, CaseValue.NewEntries(t.Observed));
        w.WriteEndObject();
    }

    private static void WriteNetwork(Utf8JsonWriter w, Network net)
    {
        w.WriteStartObject();
        w.WritePropertyName("layers");
        w.WriteStartArray();
        foreach (var m in net.W) WriteMatrix(w, m);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMatrix(Utf8JsonWriter w, MathNet.Numerics.LinearAlgebra.Matrix<double> m)
    {
        w.WriteStartArray();
        for (var i = 0; i < m.RowCount; i++)
        {
            w.WriteStartArray();
            for (var j = 0; j < m.ColumnCount; j++) Value(w, m[i, j]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, string name, double x)
    {
        w.WritePropertyName(name);
        Value(w, x);
    }

    /// <summary>A finite number in round-trip form; ±∞ as a string (NaN never reaches a record).</summary>
    private static void Value(Utf8JsonWriter w, double x)
    {
        if (double.IsFinite(x)) w.WriteNumberValue(x);
        else if (double.IsPositiveInfinity(x)) w.WriteStringValue("Infinity");
        else if (double.IsNegativeInfinity(x)) w.WriteStringValue("-Infinity");
        else throw new InvalidOperationException("a case record holds NaN");
    }
}
