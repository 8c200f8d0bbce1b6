namespace LowRankVerify.Runner.Json;

/// <summary>A small JSON writer for the runner's output: objects and arrays of structures one item per
/// line, vectors and matrix rows inline. Numbers use round-trip formatting ("R", invariant culture), so
/// a value read back is bit-identical. A non-finite number is never written: it raises an
/// <see cref="InputException"/> naming the output field, so NaN or Infinity cannot reach stdout.</summary>
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

    /// <summary>The document written so far, with a final newline.</summary>
    public override string ToString() => sb + "\n";
}
