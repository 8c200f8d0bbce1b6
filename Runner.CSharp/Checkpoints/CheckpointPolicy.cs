using System.Diagnostics;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>When to write a checkpoint: every <see cref="Seconds"/> of wall time (0: never on a
/// timer) and, with <see cref="Steps"/>, after every segment of that many steps per run. A checkpoint
/// is also written when a signal stops the run. Options: <c>--checkpoint-every SECONDS</c> and
/// <c>--checkpoint-steps STEPS</c>.</summary>
public sealed class CheckpointPolicy
{
    /// <summary>Default interval of the timer in seconds.</summary>
    public const double DefaultSeconds = 60;

    /// <summary>Seconds between timed checkpoints (0 disables the timer).</summary>
    public double Seconds { get; }

    /// <summary>Steps per run between checkpoints (null: only the timer).</summary>
    public long? Steps { get; }

    private readonly Stopwatch clock = Stopwatch.StartNew();

    /// <summary>A policy; validated by <see cref="FromOptions"/>.</summary>
    public CheckpointPolicy(double seconds, long? steps)
    {
        Seconds = seconds;
        Steps = steps;
    }

    /// <summary>Validates the two options (exit 2 naming the option on a bad value).</summary>
    public static CheckpointPolicy FromOptions(double seconds, long? steps)
    {
        if (!double.IsFinite(seconds) || seconds < 0 || seconds > 1e7)
            throw new InputException("--checkpoint-every", "must be a number of seconds in 0..1e7 (0: no timed checkpoints)");
        if (steps is { } s && (s < 1 || s > 10_000_000_000L))
            throw new InputException("--checkpoint-steps", "must be an integer in 1..1e10");
        return new CheckpointPolicy(seconds, steps);
    }

    /// <summary>True when a segment boundary should write a checkpoint (the step rule applies at every
    /// boundary when set, because segments are then exactly <see cref="Steps"/> long).</summary>
    public bool Due() => Steps is not null || (Seconds > 0 && clock.Elapsed.TotalSeconds >= Seconds);

    /// <summary>Restarts the timer after a checkpoint was written.</summary>
    public void Written() => clock.Restart();

    /// <summary>Segment length in steps: <see cref="Steps"/> when set, else <paramref name="fallback"/>.</summary>
    public long SegmentSteps(long fallback) => Steps ?? fallback;
}
