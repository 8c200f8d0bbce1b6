namespace LowRankVerify.Runner.Sweeps;

/// <summary>A planned sweep: its directory, the sweep (canonical), its digest and units. plan.json
/// holds the sweep and every unit's full parameters; the units are re-expanded from the stored sweep on
/// every read (the list is for people and scripts), and the digest must match, so an edited plan.json is
/// refused rather than run. A plan is immutable: <see cref="Create"/> refuses a different sweep in the
/// same directory.</summary>
public sealed class SweepPlan
{
    /// <summary>Value of plan.json's <c>format</c>.</summary>
    public const string Format = "lowrank-sweep-plan";

    /// <summary>Layout version of plan.json and of the unit files.</summary>
    public const int Version = 1;

    /// <summary>File name of the plan.</summary>
    public const string FileName = "plan.json";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The sweep directory (absolute).</summary>
    public required string Dir { get; init; }

    /// <summary>The sweep.</summary>
    public required SweepSpec Spec { get; init; }

    /// <summary>SHA-256 of the canonical sweep.</summary>
    public required string Digest { get; init; }

    /// <summary>Every unit, ID order.</summary>
    public required SweepUnit[] Units { get; init; }

    /// <summary>The kind.</summary>
    public ISweepKind Kind => Spec.Kind;

    /// <summary>Directory of unit <paramref name="id"/>.</summary>
    public string UnitDir(int id) => Path.Combine(Dir, "units", id.ToString(Inv));

    private SweepCell[]? cellArray;

    /// <summary>Every cell (computed once).</summary>
    public SweepCell[] Cells => cellArray ??= Spec.Cells().ToArray();

    /// <summary>Validates every cell with the kind's rules; errors name the sweep field and the cell.</summary>
    public static void CheckCells(SweepSpec spec)
    {
        foreach (var cell in spec.Cells())
        {
            try
            {
                spec.Kind.CheckCell(cell, spec.Seeds, spec.Seed);
            }
            catch (InputException e)
            {
                var fields = string.Join(", ", e.Field.Split(", ").Select(f => spec.Locate(f.TrimStart('-'))));
                var where = cell.GridNames.Count > 0 ? $" (cell {cell.Index}: {cell.Describe()})" : "";
                throw new InputException(fields, $"{e.Rule}{where} (in {spec.Source})");
            }
        }
    }

    /// <summary>Plans <paramref name="spec"/> into <paramref name="dir"/>: writes plan.json and sweep.json
    /// atomically. A directory holding the same sweep's plan is accepted (nothing is written: the plan is
    /// immutable); one holding another sweep's plan, or other files, is refused (exit 2).</summary>
    public static (SweepPlan Plan, bool Existed) Create(SweepSpec spec, string dir, IReadOnlyList<ISweepKind> kinds)
    {
        CheckCells(spec);
        var digest = spec.Digest();
        var full = Path.GetFullPath(dir);
        var planPath = Path.Combine(full, FileName);
        if (File.Exists(full)) throw new InputException("--out", $"'{dir}' is a file; give a directory");
        if (File.Exists(planPath))
        {
            var old = Read(dir, kinds);
            if (old.Digest != digest)
                throw new InputException("--out", $"'{dir}' holds the plan of another sweep (digest {old.Digest[..12]}…, this sweep {digest[..12]}…): a plan is immutable; plan the changed sweep into a new directory");
            return (old, true);
        }
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new InputException("--out", $"directory '{dir}' exists, is not empty and holds no {FileName}; choose a new directory");
        try
        {
            Directory.CreateDirectory(Path.Combine(full, "units"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InputException("--out", $"cannot create directory '{dir}': {e.Message}");
        }
        var plan = new SweepPlan { Dir = full, Spec = spec, Digest = digest, Units = spec.Units() };
        var sweepJson = new JsonOut();
        spec.WriteCanonical(sweepJson);
        OutputDirectory.WriteAtomic(Path.Combine(full, "sweep.json"), System.Text.Encoding.UTF8.GetBytes(sweepJson.ToString()));
        OutputDirectory.WriteAtomic(planPath, System.Text.Encoding.UTF8.GetBytes(plan.ToJson()));
        return (plan, false);
    }

    /// <summary>Estimated single-core seconds of each unit.</summary>
    public double[] EstimatedSeconds() =>
        Units.Select(u => Kind.EstimateSeconds(Cells[u.Cell], u.SeedFrom, u.SeedTo)).ToArray();

    private string ToJson()
    {
        var w = new JsonOut();
        w.BeginObject();
        w.Key("format"); w.String(Format);
        w.Key("version"); w.Integer(Version);
        w.Key("digest"); w.String(Digest);
        w.Key("sweep"); Spec.WriteCanonical(w);
        w.Key("seedsMeaning"); w.String(Kind.SeedsMeaning);
        w.Key("cells"); w.Integer(Cells.Length);
        w.Key("blocksPerCell"); w.Integer(Spec.BlocksPerCell);
        w.Key("units");
        w.BeginArray();
        foreach (var u in Units)
        {
            var cell = Cells[u.Cell];
            w.BeginObject();
            w.Key("id"); w.Integer(u.Id);
            w.Key("cell"); w.Integer(u.Cell);
            w.Key("seeds"); w.Integers([u.SeedFrom, u.SeedTo]);
            w.Key("parameters");
            w.BeginObject();
            foreach (var p in Kind.Parameters)
            {
                w.Key(p.Name);
                if (cell.Values.TryGetValue(p.Name, out var v)) SweepSpec.WriteValue(w, v, p.Name); else w.Null();
            }
            w.EndObject();
            w.Key("estimatedSeconds"); w.Number(Math.Round(Kind.EstimateSeconds(cell, u.SeedFrom, u.SeedTo), 3), "estimatedSeconds");
            w.Key("replay"); w.String(Kind.Replay(cell, Spec.Seeds, Spec.Seed, u.SeedFrom, u.SeedTo));
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
        return w.ToString();
    }

    /// <summary>Reads <c>DIR/plan.json</c> (strict); the units are re-expanded from its sweep and the
    /// digest checked. Errors name the field (exit 2).</summary>
    public static SweepPlan Read(string dir, IReadOnlyList<ISweepKind> kinds)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new InputException("DIR", "must name a sweep directory");
        if (!Directory.Exists(dir)) throw new InputException("DIR", $"directory '{dir}' does not exist (plan the sweep into it first: {RunInfo.Replay("sweep plan SWEEP.json --out DIR")})");
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new InputException("DIR", $"'{dir}' holds no {FileName}: not a planned sweep directory");
        SweepSpec? spec = null;
        string? digest = null;
        long cells = -1, blocks = -1;
        using (var c = InputFile.Open("DIR", path))
        {
            JsonSchema.ReadDocument(c, new Dictionary<string, Action<string>>
            {
                ["format"] = p =>
                {
                    if (c.Type != JsonTokenType.String || c.Text != Format) throw c.Error(p, $"must be \"{Format}\"");
                },
                ["version"] = p =>
                {
                    if (JsonSchema.ReadInt(c, p) != Version) throw c.Error(p, $"must be {Version} (a plan of another lowrank version)");
                },
                ["digest"] = p => digest = Checkpoints.CheckpointFile.ReadString(c, p, 64),
                ["sweep"] = p => spec = SweepSpec.ReadObject(c, p, kinds, $"DIR {path}"),
                ["seedsMeaning"] = p => Checkpoints.CheckpointFile.ReadString(c, p, 1000),
                ["cells"] = p => cells = Checkpoints.CheckpointFile.ReadLong(c, p, 1, Sweep.maxUnits),
                ["blocksPerCell"] = p => blocks = Checkpoints.CheckpointFile.ReadLong(c, p, 1, SweepSpec.MaxSeeds),
                ["units"] = p => Skip(c, p),
            });
        }
        var s = spec!;
        if (s.Digest() != digest)
            throw new InputException("digest", $"does not match the plan's sweep (plan.json was edited?): refusing to run it (in DIR {path})");
        if (s.CellCount != cells || s.BlocksPerCell != blocks)
            throw new InputException("cells", $"must be {s.CellCount} cells of {s.BlocksPerCell} blocks for this sweep (in DIR {path})");
        return new SweepPlan { Dir = Path.GetFullPath(dir), Spec = s, Digest = digest!, Units = s.Units() };
    }

    /// <summary>Skips the value at the cursor (any JSON value), checking only that it is well formed.</summary>
    public static void Skip(JsonCursor c, string path)
    {
        if (c.Type is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        var depth = 1;
        while (depth > 0)
        {
            c.Expect(path);
            if (c.Type is JsonTokenType.StartObject or JsonTokenType.StartArray) depth++;
            else if (c.Type is JsonTokenType.EndObject or JsonTokenType.EndArray) depth--;
        }
    }
}
