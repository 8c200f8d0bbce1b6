namespace LowRankVerify.Runner.Sweeps;

/// <summary>A command that a sweep can run, plugged in through one small interface: the unit's
/// parameters (its cell and seed block) → <see cref="Open"/> a unit's work, which runs in segments and
/// checkpoints → the unit's result (<see cref="ISweepUnitWork.WriteResult"/>) → <see cref="Merger"/>,
/// which streams the results of every unit into the sweep's report. Implementations call the core's
/// public APIs (<c>E1</c>, <c>Explore</c>, <c>Hunt</c>) and the commands' validation, so a unit
/// computes exactly what the command computes for the same cell and seeds.</summary>
public interface ISweepKind
{
    /// <summary>The command, as in the sweep file's <c>command</c> field (e.g. <c>experiment two-by-two</c>).</summary>
    string Command { get; }

    /// <summary>The parameters it accepts in <c>fixed</c> and <c>grid</c> (the command's options without dashes).</summary>
    IReadOnlyList<SweepParameter> Parameters { get; }

    /// <summary>What a seed is for this kind (docs and plan.json).</summary>
    string SeedsMeaning { get; }

    /// <summary>Checks the sweep's <c>seeds</c>/<c>seedsPerUnit</c> for this kind; an
    /// <see cref="InputException"/> names <c>seeds</c> or <c>seedsPerUnit</c>.</summary>
    void CheckSeeds(int seeds, int seedsPerUnit);

    /// <summary>Validates one cell with the command's own rules; an <see cref="InputException"/> names
    /// the parameter (as <c>--name</c> or <c>name</c>; several joined by ", ") and the rule.</summary>
    void CheckCell(SweepCell cell, int seeds, ulong seed);

    /// <summary>Rough single-core seconds of one unit (printed by <c>plan</c>, stated as an estimate).</summary>
    double EstimateSeconds(SweepCell cell, int seedFrom, int seedTo);

    /// <summary>The single command whose result the unit reproduces (plan.json <c>replay</c>).</summary>
    string Replay(SweepCell cell, int seeds, ulong seed, int seedFrom, int seedTo);

    /// <summary>The work of one unit, at its start (a checkpoint is then read into it, if any).</summary>
    ISweepUnitWork Open(SweepCell cell, SweepUnit unit, int seeds, ulong seed);

    /// <summary>A merge of the units of <paramref name="plan"/>, fed unit by unit in ID order.</summary>
    ISweepMerger Merger(SweepPlan plan);
}

/// <summary>The work of one unit: its state is plain data, written to and read from the unit's
/// checkpoint, so a unit stopped (SIGTERM, SIGKILL, a lost node) continues or reruns to the same result.</summary>
public interface ISweepUnitWork
{
    /// <summary>Writes the state (the value of the checkpoint's <c>state</c> field).</summary>
    void WriteState(JsonOut w);

    /// <summary>Reads the state written by <see cref="WriteState"/> (strict: errors name the field).</summary>
    void ReadState(JsonCursor c, string path);

    /// <summary>Runs until done (true) or until <paramref name="stop"/> is cancelled (false, after a
    /// consistent state is reached); calls <paramref name="checkpoint"/> when <paramref name="policy"/> is due.</summary>
    bool Advance(CheckpointPolicy policy, CancellationToken stop, Action checkpoint, Progress progress);

    /// <summary>Writes the result (the value of result.json's <c>result</c> field) of a finished unit.</summary>
    void WriteResult(JsonOut w);
}

/// <summary>Streams unit results into a sweep's report: <see cref="Add"/> reads one unit's
/// <c>result</c> value from the cursor and keeps only what the report needs (bounded by the cells and
/// seeds, never by the units' raw outputs).</summary>
public interface ISweepMerger
{
    /// <summary>Reads the result of <paramref name="unit"/> at the cursor.</summary>
    void Add(SweepUnit unit, JsonCursor c, string path);

    /// <summary>Once every unit was added: the merged results (results.json's <c>merged</c>), the report
    /// section (figures written into <paramref name="dir"/>) and a console line.</summary>
    SweepMerged Finish(OutputDirectory dir);
}

/// <summary>What a merge produces: <see cref="Json"/> for results.json, <see cref="Section"/> adds the
/// kind's part of the report, <see cref="ConsoleLine"/> summarises it.</summary>
public sealed record SweepMerged(object Json, Action<Document> Section, string ConsoleLine);
