namespace LowRankVerify.Runner.Json;

/// <summary>Typed readers over a <see cref="JsonCursor"/>. Convention: each reader starts with the
/// cursor ON the first token of its value and leaves it on the value's last token. Wrong types,
/// duplicate or unknown keys, missing fields and non-finite or non-integer numbers are rejected with the
/// JSON path of the value.</summary>
public static class JsonSchema
{
    /// <summary>Name of the current token's JSON kind, for "got ..." messages.</summary>
    public static string Kind(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    /// <summary>Reads a whole document whose root is an object with exactly the fields in
    /// <paramref name="fields"/> (all required). Each handler is called with the cursor on the field's
    /// first token and the field's path.</summary>
    public static void ReadDocument(JsonCursor c, IReadOnlyDictionary<string, Action<string>> fields)
    {
        c.Expect("");
        ReadObject(c, "", fields);
        if (c.Next(""))
            throw c.Error("", "unexpected content after the root object");
    }

    /// <summary>Reads an object with exactly the fields in <paramref name="fields"/> (all required, no
    /// duplicates, no others).</summary>
    public static void ReadObject(JsonCursor c, string path, IReadOnlyDictionary<string, Action<string>> fields)
    {
        var what = path.Length == 0 ? "the root" : path;
        if (c.Type != JsonTokenType.StartObject)
            throw c.Error(path, $"{what} must be an object with fields {string.Join(", ", fields.Keys)}, got {Kind(c.Type)}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            c.Expect(path);
            if (c.Type == JsonTokenType.EndObject)
                break;
            var key = c.Text!;
            var child = path.Length == 0 ? key : $"{path}.{key}";
            if (!fields.TryGetValue(key, out var read))
                throw c.Error(child, $"unknown field (expected only {string.Join(", ", fields.Keys)})");
            if (!seen.Add(key))
                throw c.Error(child, "duplicate key: the field appears twice");
            c.Expect(child);
            read(child);
        }
        foreach (var key in fields.Keys)
            if (!seen.Contains(key))
                throw c.Error(path.Length == 0 ? key : $"{path}.{key}", "missing required field");
    }

    /// <summary>Reads an array, calling <paramref name="element"/> with the cursor on each element's
    /// first token, its index and its path. Rejects an empty array when <paramref name="nonEmpty"/>.</summary>
    public static int ReadArray(JsonCursor c, string path, string elementWhat, bool nonEmpty, Action<int, string> element)
    {
        if (c.Type != JsonTokenType.StartArray)
            throw c.Error(path, $"must be an array of {elementWhat}, got {Kind(c.Type)}");
        var k = 0;
        while (true)
        {
            var child = $"{path}[{k}]";
            c.Expect(child);
            if (c.Type == JsonTokenType.EndArray)
                break;
            element(k, child);
            k++;
        }
        if (nonEmpty && k == 0)
            throw c.Error(path, $"must be a non-empty array of {elementWhat}");
        return k;
    }

    /// <summary>The current token as a finite double.</summary>
    public static double ReadFinite(JsonCursor c, string path)
    {
        if (c.Type != JsonTokenType.Number)
            throw c.Error(path, $"must be a finite number, got {Kind(c.Type)}");
        return c.FiniteNumber ?? throw c.Error(path, "must be a finite number (this one overflows double precision)");
    }

    /// <summary>The current token as an int written as an integer literal.</summary>
    public static int ReadInt(JsonCursor c, string path)
    {
        if (c.Type != JsonTokenType.Number)
            throw c.Error(path, $"must be an integer, got {Kind(c.Type)}");
        return c.Integer ?? throw c.Error(path, "must be an integer literal in the 32-bit range (no fraction or exponent)");
    }

    /// <summary>Reads a matrix given as a non-empty array of non-empty rows of finite numbers, adding
    /// its entries to <paramref name="budget"/> and failing as soon as the running total would exceed
    /// <paramref name="maxEntries"/> (so memory stays bounded whatever the file holds). Ragged rows are
    /// left to the core's semantic validation, which names them.</summary>
    public static double[][] ReadMatrix(JsonCursor c, string path, ref long budget, long maxEntries, string budgetField, string budgetWhat)
    {
        var rows = new List<double[]>();
        var used = budget;
        ReadArray(c, path, "rows", nonEmpty: true, (_, rowPath) =>
        {
            var row = new List<double>();
            ReadArray(c, rowPath, "numbers", nonEmpty: true, (_, entryPath) =>
            {
                if (++used > maxEntries)
                    throw c.Error(budgetField, $"{budgetWhat} more than {maxEntries} numbers (limit reached at {entryPath})");
                row.Add(ReadFinite(c, entryPath));
            });
            rows.Add(row.ToArray());
        });
        budget = used;
        return rows.ToArray();
    }
}
