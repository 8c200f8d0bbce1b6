using System.CommandLine;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>The options every long-running command shares: <c>--checkpoint-every SECONDS</c>,
/// <c>--checkpoint-steps STEPS</c> and <c>--resume DIR</c>. A command adds them with
/// <see cref="AddTo"/> and reads them with <see cref="Policy"/> and <see cref="ResumeDir"/>.</summary>
public sealed class ResilienceOptions
{
    /// <summary><c>--checkpoint-every SECONDS</c>.</summary>
    public Option<double> Every { get; } = new("--checkpoint-every")
    {
        Description = $"write checkpoint.json into the report directory every SECONDS of wall time (default {CheckpointPolicy.DefaultSeconds}; 0: only when stopped by a signal)",
        DefaultValueFactory = _ => CheckpointPolicy.DefaultSeconds,
    };

    /// <summary><c>--checkpoint-steps STEPS</c>.</summary>
    public Option<long?> Steps { get; } = new("--checkpoint-steps")
    {
        Description = "also write a checkpoint after every STEPS steps of each run (segments of STEPS steps)",
    };

    /// <summary><c>--resume DIR</c>.</summary>
    public Option<string?> Resume { get; } = new("--resume")
    {
        Description = "continue the interrupted run whose report directory is DIR (parameters come from its checkpoint.json)",
    };

    /// <summary>Adds the three options to <paramref name="cmd"/>.</summary>
    public void AddTo(Command cmd)
    {
        cmd.Options.Add(Every);
        cmd.Options.Add(Steps);
        cmd.Options.Add(Resume);
    }

    /// <summary>The validated checkpoint policy.</summary>
    public CheckpointPolicy Policy(ParseResult parse) =>
        CheckpointPolicy.FromOptions(parse.GetValue(Every), parse.GetValue(Steps));

    /// <summary>The <c>--resume</c> directory, or null. With it, none of <paramref name="fixedByCheckpoint"/>
    /// (the run's parameters, <c>--out</c>, <c>--force</c>) may be given: they come from the checkpoint.</summary>
    public string? ResumeDir(ParseResult parse, IEnumerable<Option> fixedByCheckpoint)
    {
        var r = parse.GetResult(Resume);
        if (r is null || r.Implicit) return null;
        var dir = parse.GetValue(Resume);
        if (string.IsNullOrWhiteSpace(dir))
            throw new InputException("--resume", "must name the report directory of an interrupted run");
        foreach (var o in fixedByCheckpoint)
            if (parse.GetResult(o) is { Implicit: false })
                throw new InputException("--resume", $"cannot be combined with {o.Name}: a resumed run takes its parameters and directory from its checkpoint");
        return dir;
    }
}
