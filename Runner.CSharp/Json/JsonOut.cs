namespace LowRankVerify.Runner.Json;

/// <summary>The runner's one JSON writer (results.json, checkpoints, unit results, the counterexample store,
/// stdout): objects and arrays of structures one item per line, vectors and matrix rows inline. Numbers use
/// round-trip formatting ("R", invariant culture), so a value read back is bit-identical. A number written
/// with <see cref="Number"/> is never non-finite: it raises an <see cref="InputException"/> naming the output
/// field, so NaN or Infinity cannot reach stdout. <see cref="Value"/> writes a whole object (a record, an
/// anonymous object, a dictionary) by its properties in camelCase, at the current indentation; there a
/// non-finite number (a diverged run's statistic) is written as the string "NaN", "Infinity" or "-Infinity".</summary>
public sealed class JsonOut
{
    private readonly StringBuilder sb = new();
    private readonly Stack<bool> first = new();
    private bool afterKey;

    /// <summary>Round-trip text of a finite double; throws for NaN/Infinity.</summary>
    public static string Format(double x, string field) =>
        double.IsFinite(x)
            ? x.ToString("R", CultureInfo.InvariantCulture)
            : throw new InputException(field, "is not finite: the input overflows double precision (use smaller weights, targets or step sizes)");

    private void Separator()
    {
        if (afterKey)
        {
            afterKey = false;
            return;
        }
        if (first.Count == 0)
            return;
        sb.Append(first.Peek() ? "\n" : ",\n");
        first.Pop();
        first.Push(false);
        sb.Append(' ', 2 * first.Count);
    }

    /// <summary>Starts an object (as a value or an array item).</summary>
    public void BeginObject()
    {
        Separator();
        sb.Append('{');
        first.Push(true);
    }

    /// <summary>Ends the current object.</summary>
    public void EndObject() => Close('}');

    /// <summary>Starts an array whose items go one per line.</summary>
    public void BeginArray()
    {
        Separator();
        sb.Append('[');
        first.Push(true);
    }

    /// <summary>Ends the current multi-line array.</summary>
    public void EndArray() => Close(']');

    private void Close(char bracket)
    {
        var empty = first.Pop();
        if (!empty)
        {
            sb.Append('\n');
            sb.Append(' ', 2 * first.Count);
        }
        sb.Append(bracket);
    }

    /// <summary>Writes a property name; the next value call writes its value.</summary>
    public void Key(string name)
    {
        Separator();
        sb.Append(JsonSerializer.Serialize(name)).Append(": ");
        afterKey = true;
    }

    /// <summary>A finite number (<paramref name="field"/> names it if it is not finite).</summary>
    public void Number(double x, string field)
    {
        Separator();
        sb.Append(Format(x, field));
    }

    /// <summary>An integer.</summary>
    public void Integer(long x)
    {
        Separator();
        sb.Append(x.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A boolean.</summary>
    public void Bool(bool x)
    {
        Separator();
        sb.Append(x ? "true" : "false");
    }

    /// <summary>null.</summary>
    public void Null()
    {
        Separator();
        sb.Append("null");
    }

    /// <summary>A string.</summary>
    public void String(string s)
    {
        Separator();
        sb.Append(JsonSerializer.Serialize(s));
    }

    /// <summary>A value already serialised as JSON (one line), e.g. a core record from <c>CheckpointJson</c>.</summary>
    public void Raw(string json)
    {
        Separator();
        sb.Append(json);
    }

    /// <summary>A vector of finite numbers on one line.</summary>
    public void Vector(IReadOnlyList<double> xs, string field)
    {
        Separator();
        sb.Append(Inline(xs, field));
    }

    /// <summary>A vector of integers on one line.</summary>
    public void Integers(IReadOnlyList<int> xs)
    {
        Separator();
        sb.Append('[').Append(string.Join(", ", xs.Select(x => x.ToString(CultureInfo.InvariantCulture)))).Append(']');
    }

    /// <summary>A matrix as an array of rows, one row per line.</summary>
    public void Matrix(double[][] rows, string field)
    {
        BeginArray();
        for (var i = 0; i < rows.Length; i++)
        {
            Separator();
            sb.Append(Inline(rows[i], $"{field}[{i}]"));
        }
        EndArray();
    }

    private static string Inline(IReadOnlyList<double> xs, string field) =>
        "[" + string.Join(", ", xs.Select((x, k) => Format(x, $"{field}[{k}]"))) + "]";

    /// <summary>How <see cref="Value"/> writes an object: indented, camelCase property names, non-finite numbers
    /// as strings, non-ASCII text as it is.</summary>
    private static readonly JsonSerializerOptions ObjectOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A whole value (record, anonymous object, dictionary, list, number, string, null): its
    /// properties one a line at the current indentation, arrays of plain numbers and booleans on one line.</summary>
    public void Value(object? x)
    {
        Separator();
        var text = CompactArrays(JsonSerializer.Serialize(x, ObjectOptions)).ReplaceLineEndings("\n");
        sb.Append(text.Replace("\n", "\n" + new string(' ', 2 * first.Count)));
    }

    /// <summary>The properties of <paramref name="x"/> (an object) as name (camelCase) and value, in order.</summary>
    public static IEnumerable<(string Name, JsonElement Value)> Properties(object x) =>
        JsonSerializer.SerializeToElement(x, ObjectOptions).EnumerateObject().Select(p => (p.Name, p.Value));

    /// <summary><paramref name="x"/> as a JSON document (see <see cref="Value"/>), with a final newline.</summary>
    public static string Serialize(object? x)
    {
        var w = new JsonOut();
        w.Value(x);
        return w.ToString();
    }

    /// <summary>Puts arrays of plain numbers and booleans on one line (indented JSON would give each
    /// number its own line); strings and nested objects are left alone.</summary>
    private static string CompactArrays(string json) =>
        System.Text.RegularExpressions.Regex.Replace(json, @"\[(\s*(-?[0-9.eE+\-]+|true|false|null|""-?Infinity""|""NaN"")\s*,?)+\s*\]",
            m => System.Text.RegularExpressions.Regex.Replace(m.Value, @"\s+", ""));

    /// <summary>The document written so far, with a final newline.</summary>
    public override string ToString() => sb + "\n";
}
