namespace LowRankVerify.Runner.Sweeps;

/// <summary>The JSON type of a sweep parameter.</summary>
public enum SweepType
{
    /// <summary>A finite number.</summary>
    Real,
    /// <summary>An integer written without fraction (|x| ≤ 2^53).</summary>
    Integer,
    /// <summary>A string.</summary>
    Text,
}

/// <summary>One parameter a sweep kind accepts in <c>fixed</c> or <c>grid</c>: its name (the command's
/// option without the dashes), type, default (null: not set, e.g. a hunt's searched η) and meaning.</summary>
public sealed record SweepParameter(string Name, SweepType Type, SweepValue? Default, string Description);

/// <summary>The values of one cell of a sweep: every parameter that is set (fixed, grid or default).</summary>
public sealed class SweepCell(int index, IReadOnlyDictionary<string, SweepValue> values, IReadOnlyList<string> gridNames)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Index of the cell (grid point), <c>Sweep.cells</c> order.</summary>
    public int Index { get; } = index;

    /// <summary>Every parameter that has a value.</summary>
    public IReadOnlyDictionary<string, SweepValue> Values { get; } = values;

    /// <summary>Names of the gridded parameters, in axis order.</summary>
    public IReadOnlyList<string> GridNames { get; } = gridNames;

    /// <summary>True when <paramref name="name"/> has a value.</summary>
    public bool Has(string name) => Values.ContainsKey(name);

    /// <summary>A real parameter (an integer value reads as its double).</summary>
    public double Real(string name) => Values[name] switch
    {
        SweepValue.Real r => r.Item,
        SweepValue.Integer i => i.Item,
        _ => throw new InvalidOperationException($"{name} is not a number"),
    };

    /// <summary>An integer parameter.</summary>
    public long Integer(string name) => ((SweepValue.Integer)Values[name]).Item;

    /// <summary>A text parameter.</summary>
    public string Text(string name) => ((SweepValue.Text)Values[name]).Item;

    /// <summary>A real parameter or null when not set.</summary>
    public double? RealOrNull(string name) => Has(name) ? Real(name) : null;

    /// <summary>An integer parameter or null when not set.</summary>
    public long? IntegerOrNull(string name) => Has(name) ? Integer(name) : null;

    /// <summary>A text parameter or null when not set.</summary>
    public string? TextOrNull(string name) => Has(name) ? Text(name) : null;

    /// <summary>A value as text (round-trip numbers).</summary>
    public static string Format(SweepValue v) => v switch
    {
        SweepValue.Real r => r.Item.ToString("R", Inv),
        SweepValue.Integer i => i.Item.ToString(Inv),
        SweepValue.Text t => t.Item,
        _ => "?",
    };

    /// <summary>The grid point in words, e.g. <c>eta=0.5, lambda=0.02</c> (empty without a grid).</summary>
    public string Describe() => string.Join(", ", GridNames.Select(n => $"{n}={Format(Values[n])}"));

    /// <summary>A value in a few characters (reals to 6 significant digits), for tables and figures.</summary>
    public static string Short(SweepValue v) => v is SweepValue.Real r ? r.Item.ToString("G6", Inv) : Format(v);

    /// <summary>The grid point in a few characters per value, for figure legends.</summary>
    public string Label() => string.Join(", ", GridNames.Select(n => $"{n}={Short(Values[n])}"));
}

/// <summary>A sweep file, read strictly (<see cref="Read"/>): the command, its fixed parameters, the grid
/// (a list or a log range per parameter; the first axis is outermost), the seeds per cell, how many seeds
/// one unit runs, and the master seed. Its canonical form (<see cref="WriteCanonical"/>) is stored in
/// plan.json and hashed into the plan's digest, so that a changed sweep is told from the same one.</summary>
public sealed class SweepSpec
{
    /// <summary>Most values on one grid axis.</summary>
    public const int MaxAxisValues = 1000;

    /// <summary>Most seeds per cell.</summary>
    public const int MaxSeeds = 100_000;

    /// <summary>Largest master seed (exact as a JSON number).</summary>
    public const long MaxSeed = 1L << 53;

    /// <summary>The sweep kind (its command).</summary>
    public required ISweepKind Kind { get; init; }

    /// <summary>Fixed parameters, in file order.</summary>
    public required IReadOnlyList<(string Name, SweepValue Value)> Fixed { get; init; }

    /// <summary>Grid axes, in file order (first outermost).</summary>
    public required IReadOnlyList<(string Name, SweepAxis Axis)> Grid { get; init; }

    /// <summary>Seeds per cell.</summary>
    public required int Seeds { get; init; }

    /// <summary>Seeds per unit (the last block of a cell may be shorter).</summary>
    public required int SeedsPerUnit { get; init; }

    /// <summary>Master seed S.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Source named in error messages.</summary>
    public required string Source { get; init; }

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Where parameter <paramref name="name"/> comes from, as a field path for messages.</summary>
    public string Locate(string name, string prefix = "")
    {
        if (Grid.Any(g => g.Name == name)) return $"{prefix}grid.{name}";
        if (Fixed.Any(f => f.Name == name)) return $"{prefix}fixed.{name}";
        return Kind.Parameters.FirstOrDefault(p => p.Name == name) is { } q
            ? $"{prefix}fixed.{name} ({(q.Default is null ? "not set" : "default")})"
            : $"{prefix}{name}";
    }

    /// <summary>The cells of the grid with every parameter's value (defaults filled in).</summary>
    public IEnumerable<SweepCell> Cells()
    {
        var points = Sweep.cells(Grid.Select(g => g.Axis).ToArray());
        var names = Grid.Select(g => g.Name).ToArray();
        for (var k = 0; k < points.Length; k++)
        {
            var values = new Dictionary<string, SweepValue>(StringComparer.Ordinal);
            foreach (var p in Kind.Parameters)
                if (p.Default is not null) values[p.Name] = p.Default;
            foreach (var (n, v) in Fixed) values[n] = v;
            for (var j = 0; j < names.Length; j++) values[names[j]] = points[k][j];
            yield return new SweepCell(k, values, names);
        }
    }

    /// <summary>Number of cells.</summary>
    public long CellCount => Sweep.cellCount(Grid.Select(g => g.Axis).ToArray());

    /// <summary>Seed blocks per cell.</summary>
    public int BlocksPerCell => (Seeds + SeedsPerUnit - 1) / SeedsPerUnit;

    /// <summary>The units (cell-major; unit K has ID K).</summary>
    public SweepUnit[] Units() => Sweep.units((int)CellCount, Seeds, SeedsPerUnit);

    /// <summary>Writes the canonical form (the sweep file's layout, fields in a fixed order, fixed parameters
    /// sorted by name, grid axes in file order, numbers in round-trip form) as the value of the current key.</summary>
    public void WriteCanonical(JsonOut w)
    {
        w.BeginObject();
        w.Key("command"); w.String(Kind.Command);
        w.Key("fixed");
        w.BeginObject();
        // fixed parameters by name (their order in the file means nothing); grid axes in file order (it is the cells' order)
        foreach (var (n, v) in Fixed.OrderBy(f => f.Name, StringComparer.Ordinal)) { w.Key(n); WriteValue(w, v, n); }
        w.EndObject();
        w.Key("grid");
        w.BeginObject();
        foreach (var (n, a) in Grid)
        {
            w.Key(n);
            if (a is SweepAxis.LogRange r)
            {
                w.BeginObject();
                w.Key("log");
                w.BeginObject();
                w.Key("from"); w.Number(r.From, n);
                w.Key("to"); w.Number(r.To, n);
                w.Key("count"); w.Integer(r.Count);
                w.EndObject();
                w.EndObject();
            }
            else
            {
                w.BeginArray();
                foreach (var v in ((SweepAxis.Values)a).Item) WriteValue(w, v, n);
                w.EndArray();
            }
        }
        w.EndObject();
        w.Key("seeds"); w.Integer(Seeds);
        w.Key("seedsPerUnit"); w.Integer(SeedsPerUnit);
        w.Key("seed"); w.Integer((long)Seed);
        w.EndObject();
    }

    /// <summary>A value in JSON.</summary>
    public static void WriteValue(JsonOut w, SweepValue v, string field)
    {
        switch (v)
        {
            case SweepValue.Real r: w.Number(r.Item, field); break;
            case SweepValue.Integer i: w.Integer(i.Item); break;
            case SweepValue.Text t: w.String(t.Item); break;
        }
    }

    /// <summary>The canonical text (a JSON document).</summary>
    public string Canonical()
    {
        var w = new JsonOut();
        WriteCanonical(w);
        return w.ToString();
    }

    /// <summary>SHA-256 (hex) of the canonical text: the plan's identity.</summary>
    public string Digest() =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Canonical()))).ToLowerInvariant();

    /// <summary>Reads a sweep file strictly; every error names the field and the rule (exit 2).</summary>
    public static SweepSpec Read(string option, string path, IReadOnlyList<ISweepKind> kinds)
    {
        using var c = InputFile.Open(option, path);
        var b = new Builder(c, "", kinds, $"{option} {path}");
        JsonSchema.ReadDocument(c, b.Fields());
        return b.Build();
    }

    /// <summary>Reads a sweep object at the cursor (the <c>sweep</c> field of plan.json).</summary>
    public static SweepSpec ReadObject(JsonCursor c, string path, IReadOnlyList<ISweepKind> kinds, string source)
    {
        var b = new Builder(c, path + ".", kinds, source);
        JsonSchema.ReadObject(c, path, b.Fields());
        return b.Build();
    }

    /// <summary>A raw JSON scalar before it is checked against the kind's parameter types.</summary>
    private sealed record Raw(double? Number, bool Integral, string? Text, string Path);

    private sealed class Builder(JsonCursor c, string prefix, IReadOnlyList<ISweepKind> kinds, string source)
    {
        private ISweepKind? kind;
        private readonly List<(string Name, Raw Value)> fixedRaw = [];
        private readonly List<(string Name, List<Raw>? Values, (double From, double To, int Count, string Path)? Log, string Path)> gridRaw = [];
        private long seeds, perUnit, seed;

        private InputException Error(string path, string rule) => new(path, $"{rule} (in {source})");

        public Dictionary<string, Action<string>> Fields() => new()
        {
            ["command"] = p =>
            {
                var name = CheckpointText(p);
                kind = kinds.FirstOrDefault(k => k.Command == name)
                       ?? throw c.Error(p, $"must be one of {string.Join(", ", kinds.Select(k => $"'{k.Command}'"))}, got '{name}'");
            },
            ["fixed"] = p =>
            {
                if (c.Type != JsonTokenType.StartObject) throw c.Error(p, $"must be an object of parameter values, got {JsonSchema.Kind(c.Type)}");
                ReadMembers(p, (name, q) => fixedRaw.Add((name, Scalar(q))));
            },
            ["grid"] = p =>
            {
                if (c.Type != JsonTokenType.StartObject) throw c.Error(p, $"must be an object of axes (a list of values or {{\"log\": {{\"from\", \"to\", \"count\"}}}} per parameter), got {JsonSchema.Kind(c.Type)}");
                ReadMembers(p, (name, q) =>
                {
                    if (c.Type == JsonTokenType.StartArray)
                    {
                        var values = new List<Raw>();
                        JsonSchema.ReadArray(c, q, "values", nonEmpty: true, (k, e) =>
                        {
                            if (k >= MaxAxisValues) throw c.Error(q, $"must list at most {MaxAxisValues} values");
                            values.Add(Scalar(e));
                        });
                        gridRaw.Add((name, values, null, q));
                    }
                    else if (c.Type == JsonTokenType.StartObject)
                    {
                        double from = 0, to = 0;
                        long count = 0;
                        JsonSchema.ReadObject(c, q, new Dictionary<string, Action<string>>
                        {
                            ["log"] = r => JsonSchema.ReadObject(c, r, new Dictionary<string, Action<string>>
                            {
                                ["from"] = e => from = JsonSchema.ReadFinite(c, e),
                                ["to"] = e => to = JsonSchema.ReadFinite(c, e),
                                ["count"] = e => count = Checkpoints.CheckpointFile.ReadLong(c, e, 2, MaxAxisValues),
                            }),
                        });
                        if (!(from > 0) || !(to > from))
                            throw c.Error(q + ".log", $"must have 0 < from < to, got from {from.ToString("R", Inv)}, to {to.ToString("R", Inv)}");
                        gridRaw.Add((name, null, (from, to, (int)count, q), q));
                    }
                    else throw c.Error(q, $"must be a non-empty list of values or {{\"log\": {{\"from\": a, \"to\": b, \"count\": n}}}}, got {JsonSchema.Kind(c.Type)}");
                });
            },
            ["seeds"] = p => seeds = Checkpoints.CheckpointFile.ReadLong(c, p, 1, MaxSeeds),
            ["seedsPerUnit"] = p => perUnit = Checkpoints.CheckpointFile.ReadLong(c, p, 1, MaxSeeds),
            ["seed"] = p => seed = Checkpoints.CheckpointFile.ReadLong(c, p, 0, MaxSeed),
        };

        private string CheckpointText(string p) => Checkpoints.CheckpointFile.ReadString(c, p, 100);

        private void ReadMembers(string path, Action<string, string> member)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                c.Expect(path);
                if (c.Type == JsonTokenType.EndObject) break;
                var key = c.Text!;
                var child = $"{path}.{key}";
                if (!seen.Add(key)) throw c.Error(child, "duplicate key: the parameter appears twice");
                if (seen.Count > 64) throw c.Error(path, "must hold at most 64 parameters");
                c.Expect(child);
                member(key, child);
            }
        }

        private Raw Scalar(string path) => c.Type switch
        {
            JsonTokenType.Number => new Raw(c.FiniteNumber ?? throw c.Error(path, "must be a finite number (this one overflows double precision)"),
                c.FiniteNumber is { } x && x == Math.Floor(x) && Math.Abs(x) <= MaxSeed, null, path),
            JsonTokenType.String => new Raw(null, false, CheckpointText(path), path),
            _ => throw c.Error(path, $"must be a number or a string, got {JsonSchema.Kind(c.Type)}"),
        };

        private SweepValue Typed(SweepParameter p, Raw r) => p.Type switch
        {
            SweepType.Real when r.Number is { } x => SweepValue.NewReal(x),
            SweepType.Integer when r.Number is { } x && r.Integral => SweepValue.NewInteger((long)x),
            SweepType.Text when r.Text is { } t => SweepValue.NewText(t),
            SweepType.Real => throw Error(r.Path, "must be a number"),
            SweepType.Integer => throw Error(r.Path, $"must be an integer (at most 2^53 in magnitude, no fraction)"),
            _ => throw Error(r.Path, "must be a string"),
        };

        public SweepSpec Build()
        {
            var k = kind!;
            SweepParameter Param(string name, string path) =>
                k.Parameters.FirstOrDefault(q => q.Name == name)
                ?? throw Error(path, $"is not a parameter of '{k.Command}' (its parameters: {string.Join(", ", k.Parameters.Select(q => q.Name))})");
            var fixedValues = fixedRaw.Select(f => (f.Name, Typed(Param(f.Name, f.Value.Path), f.Value))).ToList();
            var grid = new List<(string, SweepAxis)>();
            foreach (var g in gridRaw)
            {
                var p = Param(g.Name, g.Path);
                if (fixedRaw.Any(f => f.Name == g.Name))
                    throw Error(g.Path, $"is also in {prefix}fixed: a parameter is either fixed or gridded");
                if (g.Log is { } log)
                {
                    if (p.Type != SweepType.Real)
                        throw Error(g.Path, $"a log range needs a real-valued parameter; {g.Name} is {(p.Type == SweepType.Integer ? "an integer" : "a string")}: list its values");
                    grid.Add((g.Name, SweepAxis.NewLogRange(log.From, log.To, log.Count)));
                }
                else
                {
                    var values = g.Values!.Select(v => Typed(p, v)).ToArray();
                    for (var a = 0; a < values.Length; a++)
                        for (var b = 0; b < a; b++)
                            if (values[a].Equals(values[b]))
                                throw Error($"{g.Path}[{a}]", $"repeats {g.Path}[{b}]: grid values must be distinct (a repeated value would run the same cell twice)");
                    grid.Add((g.Name, SweepAxis.NewValues(values)));
                }
            }
            if (perUnit > seeds)
                throw Error($"{prefix}seedsPerUnit", $"must be at most seeds = {seeds}");
            var spec = new SweepSpec
            {
                Kind = k,
                Fixed = fixedValues,
                Grid = grid,
                Seeds = (int)seeds,
                SeedsPerUnit = (int)perUnit,
                Seed = (ulong)seed,
                Source = source,
            };
            var cells = spec.CellCount;
            var units = cells * spec.BlocksPerCell;
            if (units > Sweep.maxUnits)
                throw Error($"{prefix}grid", $"gives {cells} cells x {spec.BlocksPerCell} seed blocks = {units} units; at most {Sweep.maxUnits} (grow seedsPerUnit or shrink the grid)");
            try
            {
                k.CheckSeeds(spec.Seeds, spec.SeedsPerUnit);
            }
            catch (InputException e)
            {
                throw Error(prefix + e.Field, e.Rule);
            }
            return spec;
        }
    }
}
