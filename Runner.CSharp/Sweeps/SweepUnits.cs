namespace LowRankVerify.Runner.Sweeps;

/// <summary>How a unit's run ended.</summary>
public enum UnitOutcome
{
    /// <summary>Finished: result.json written.</summary>
    Done,
    /// <summary>result.json was already there: nothing to do.</summary>
    AlreadyDone,
    /// <summary>Stopped by a signal: checkpoint.json written, the next run continues from it.</summary>
    Stopped,
    /// <summary>The work threw: failure.json written.</summary>
    Failed,
}

/// <summary>The files of a unit, <c>DIR/units/K/</c>: <c>result.json</c> (written atomically once the
/// unit is done: its presence means done), <c>checkpoint.json</c> (while it runs; written atomically
/// between segments, at the checkpoint policy and when SIGTERM/SIGINT stops it, so a requeued or rerun unit
/// continues from it), <c>failure.json</c> (the last failure's message) and <c>.lock</c> (held while a
/// process runs the unit, so two processes never run the same unit at once).</summary>
public static class SweepUnits
{
    /// <summary>Result file name.</summary>
    public const string ResultName = "result.json";

    /// <summary>Failure file name.</summary>
    public const string FailureName = "failure.json";

    /// <summary>Lock file name.</summary>
    public const string LockName = ".lock";

    /// <summary>The <c>command</c> field of a unit's checkpoint.</summary>
    public const string CheckpointCommand = "sweep run";

    /// <summary>Value of result.json's <c>format</c>.</summary>
    public const string Format = "lowrank-sweep-unit";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>True when unit <paramref name="id"/> has its result.</summary>
    public static bool IsDone(SweepPlan plan, int id) => File.Exists(Path.Combine(plan.UnitDir(id), ResultName));

    /// <summary>Runs (or continues) unit <paramref name="id"/>: takes its lock, reads its checkpoint when
    /// there is one, advances the kind's work under <paramref name="stop"/>, and writes result.json
    /// atomically (then removes the checkpoint), or the checkpoint when stopped, or failure.json when the
    /// work throws (its message is returned in <paramref name="failure"/>).</summary>
    public static UnitOutcome Run(SweepPlan plan, int id, CheckpointPolicy policy, CancellationToken stop, Progress progress, out string? failure)
    {
        failure = null;
        var unit = plan.Units[id];
        var dir = plan.UnitDir(id);
        Directory.CreateDirectory(dir);
        using var held = Lock(dir, id);
        var resultPath = Path.Combine(dir, ResultName);
        if (File.Exists(resultPath)) return UnitOutcome.AlreadyDone;
        var failurePath = Path.Combine(dir, FailureName);
        var work = plan.Kind.Open(plan.Cells[unit.Cell], unit, plan.Spec.Seeds, plan.Spec.Seed);
        var sessions = 1L;
        var before = 0.0;
        var checkpointPath = Path.Combine(dir, CheckpointFile.Name);
        var resumedFromCheckpoint = File.Exists(checkpointPath);
        if (resumedFromCheckpoint)
            CheckpointFile.Read(checkpointPath, CheckpointCommand, c => new Dictionary<string, Action<string>>
            {
                ["digest"] = p =>
                {
                    if (CheckpointFile.ReadString(c, p, 64) != plan.Digest) throw c.Error(p, "must be the plan's digest (this checkpoint belongs to another sweep)");
                },
                ["unit"] = p => CheckpointFile.ReadLong(c, p, id, id),
                ["sessions"] = p => sessions = CheckpointFile.ReadLong(c, p, 1, int.MaxValue) + 1,
                ["wallSeconds"] = p => before = Math.Max(0, JsonSchema.ReadFinite(c, p)),
                ["state"] = p => work.ReadState(c, p),
            });
        var clock = Stopwatch.StartNew();
        void Save() => CheckpointFile.Write(dir, CheckpointCommand, w =>
        {
            w.Key("digest"); w.String(plan.Digest);
            w.Key("unit"); w.Integer(id);
            w.Key("sessions"); w.Integer(sessions);
            w.Key("wallSeconds"); w.Number(before + clock.Elapsed.TotalSeconds, "wallSeconds");
            w.Key("state"); work.WriteState(w);
        });
        bool done;
        try
        {
            done = work.Advance(policy, stop, Save, progress);
        }
        catch (Exception e) when (e is not InputException)
        {
            failure = $"{e.GetType().Name}: {e.Message}";
            var fw = new JsonOut();
            fw.BeginObject();
            fw.Key("unit"); fw.Integer(id);
            fw.Key("failedUtc"); fw.String(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", Inv));
            fw.Key("host"); fw.String(Environment.MachineName);
            fw.Key("message"); fw.String(failure);
            fw.Key("stack"); fw.String(e.ToString());
            fw.EndObject();
            OutputDirectory.WriteAtomic(failurePath, System.Text.Encoding.UTF8.GetBytes(fw.ToString()));
            return UnitOutcome.Failed;
        }
        if (!done)
        {
            Save();
            return UnitOutcome.Stopped;
        }
        var r = new JsonOut();
        r.BeginObject();
        WriteHeader(r, plan, unit);
        r.Key("execution");
        r.BeginObject();
        r.Key("sessions"); r.Integer(sessions);
        r.Key("resumedFromCheckpoint"); r.Bool(resumedFromCheckpoint);
        r.Key("host"); r.String(Environment.MachineName);
        r.Key("slurmJob"); r.String(SlurmJobName() ?? "none");
        r.Key("finishedUtc"); r.String(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", Inv));
        r.Key("wallSeconds"); r.Number(before + clock.Elapsed.TotalSeconds, "wallSeconds");
        r.EndObject();
        r.Key("result"); work.WriteResult(r);
        r.EndObject();
        OutputDirectory.WriteAtomic(resultPath, System.Text.Encoding.UTF8.GetBytes(r.ToString()));
        CheckpointFile.Delete(dir);
        if (File.Exists(failurePath)) File.Delete(failurePath);
        return UnitOutcome.Done;
    }

    /// <summary>The Slurm array task running this process (<c>JOB_INDEX</c>), or null outside Slurm.</summary>
    public static string? SlurmJobName()
    {
        var job = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID");
        var task = Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID");
        return job is not null && task is not null ? $"{job}_{task}" : Environment.GetEnvironmentVariable("SLURM_JOB_ID");
    }

    /// <summary>The header of a unit result: format, version, digest, unit, cell, seeds, command.</summary>
    public static void WriteHeader(JsonOut w, SweepPlan plan, SweepUnit unit)
    {
        w.Key("format"); w.String(Format);
        w.Key("version"); w.Integer(SweepPlan.Version);
        w.Key("digest"); w.String(plan.Digest);
        w.Key("unit"); w.Integer(unit.Id);
        w.Key("cell"); w.Integer(unit.Cell);
        w.Key("seeds"); w.Integers([unit.SeedFrom, unit.SeedTo]);
        w.Key("command"); w.String(plan.Kind.Command);
    }

    /// <summary>Writes a finished unit's result file directly (atomic, with an empty execution record):
    /// for tests and tools that produce unit results without running the kind's work.</summary>
    public static void WriteResult(SweepPlan plan, SweepUnit unit, Action<JsonOut> result, bool durable = true)
    {
        var dir = plan.UnitDir(unit.Id);
        Directory.CreateDirectory(dir);
        var r = new JsonOut();
        r.BeginObject();
        WriteHeader(r, plan, unit);
        r.Key("execution"); r.BeginObject(); r.Key("wallSeconds"); r.Number(0, "wallSeconds"); r.EndObject();
        r.Key("result"); result(r);
        r.EndObject();
        var bytes = System.Text.Encoding.UTF8.GetBytes(r.ToString());
        if (durable) OutputDirectory.WriteAtomic(Path.Combine(dir, ResultName), bytes);
        else File.WriteAllBytes(Path.Combine(dir, ResultName), bytes);
    }

    /// <summary>Reads unit <paramref name="unit"/>'s result.json strictly (the header must match the plan)
    /// and hands its <c>result</c> value to <paramref name="merger"/>; returns the unit's wall seconds.</summary>
    public static double ReadResult(SweepPlan plan, SweepUnit unit, ISweepMerger merger)
    {
        var path = Path.Combine(plan.UnitDir(unit.Id), ResultName);
        using var c = InputFile.Open($"units/{unit.Id}", path);
        var header = 0;
        var seconds = 0.0;
        JsonSchema.ReadDocument(c, new Dictionary<string, Action<string>>
        {
            ["format"] = p =>
            {
                if (c.Type != JsonTokenType.String || c.Text != Format) throw c.Error(p, $"must be \"{Format}\"");
                header++;
            },
            ["version"] = p =>
            {
                if (JsonSchema.ReadInt(c, p) != SweepPlan.Version) throw c.Error(p, $"must be {SweepPlan.Version}");
                header++;
            },
            ["digest"] = p =>
            {
                if (CheckpointFile.ReadString(c, p, 64) != plan.Digest) throw c.Error(p, "must be the plan's digest (this result belongs to another sweep)");
                header++;
            },
            ["unit"] = p => { CheckpointFile.ReadLong(c, p, unit.Id, unit.Id); header++; },
            ["cell"] = p => { CheckpointFile.ReadLong(c, p, unit.Cell, unit.Cell); header++; },
            ["seeds"] = p =>
            {
                var s = CheckpointFile.ReadList(c, p, "integers", 2, e => CheckpointFile.ReadLong(c, e, 0, SweepSpec.MaxSeeds));
                if (s.Count != 2 || s[0] != unit.SeedFrom || s[1] != unit.SeedTo) throw c.Error(p, $"must be [{unit.SeedFrom}, {unit.SeedTo}] for unit {unit.Id}");
                header++;
            },
            ["command"] = p =>
            {
                if (CheckpointFile.ReadString(c, p) != plan.Kind.Command) throw c.Error(p, $"must be '{plan.Kind.Command}'");
                header++;
            },
            ["execution"] = p =>
            {
                if (c.Type != JsonTokenType.StartObject) throw c.Error(p, $"must be an object, got {JsonSchema.Kind(c.Type)}");
                while (true)
                {
                    c.Expect(p);
                    if (c.Type == JsonTokenType.EndObject) break;
                    var key = c.Text!;
                    c.Expect($"{p}.{key}");
                    if (key == "wallSeconds") seconds = JsonSchema.ReadFinite(c, $"{p}.{key}");
                    else SweepPlan.Skip(c, $"{p}.{key}");
                }
            },
            ["result"] = p =>
            {
                if (header < 7) throw c.Error(p, "must come after format, version, digest, unit, cell, seeds and command");
                merger.Add(unit, c, p);
            },
        });
        return seconds;
    }

    private static FileStream Lock(string dir, int id)
    {
        try
        {
            return new FileStream(Path.Combine(dir, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new InputException("--unit", $"unit {id} is being run by another process right now (units/{id}/{LockName} is locked)");
        }
    }
}
