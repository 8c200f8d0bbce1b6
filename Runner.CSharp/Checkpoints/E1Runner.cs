using System.Diagnostics;
using LowRankVerify.Runner.Reports;
using LowRankVerify.Theory;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>Runs an <see cref="E1Plan"/> in segments (<c>E1.advance</c>), so it can stop at any
/// segment boundary (signal) and write a checkpoint there (policy); segmenting does not change the
/// result (property-tested), so a resumed run reports exactly what an uninterrupted one would.</summary>
public static class E1Runner
{
    /// <summary>SGD steps per run per segment when no <c>--checkpoint-steps</c> is given (about 30 ms at
    /// E1's sizes; offshoots at branch points run whole inside a segment).</summary>
    public const long SegmentSteps = 1L << 18;

    /// <summary>Gradient-descent steps per segment of the control (a GD step costs N engine steps plus copies).</summary>
    public const long GdSegmentSteps = 1L << 14;

    /// <summary>SDE steps per segment (an SDE step costs N per-sample gradients and N Gaussian draws, about
    /// 4 SGD steps; a collapsed SDE chain skips its frozen steps).</summary>
    public const long SdeSegmentSteps = 1L << 16;

    /// <summary>Advances every unfinished run of every job, a segment at a time, on
    /// <see cref="ExperimentCommand.Threads"/> threads. After each round of segments: writes a checkpoint
    /// when <paramref name="policy"/> says so, and returns false (after writing one) when
    /// <paramref name="stop"/> is cancelled. Returns true when every job is done.</summary>
    public static bool Run(E1Plan plan, CheckpointPolicy policy, CancellationToken stop, Progress progress, Action checkpoint)
    {
        foreach (var job in plan.Jobs)
        {
            if (job.Done) continue;
            var name = job.Label == "main" ? $"E1: {job.Params.Seeds} SGD chains, {E1.sdeCount(job.Params)} SDE chains + GD control" : $"E1 variant: {job.Label}";
            var stage = progress.Begin(name, job.Cursors.Length);
            stage.Advance(job.Cursors.Count(c => c.Done));
            var clock = Stopwatch.StartNew();
            var before = job.Seconds;
            if (!Rounds.Run(job.Cursors, c => c.Done,
                    (_, c) => E1.advance(job.Params, c,
                        policy.SegmentSteps(c.Kind.IsGd ? GdSegmentSteps : c.Kind.IsSde ? SdeSegmentSteps : SegmentSteps)),
                    ExperimentCommand.Threads, stage, policy, stop, () => job.Seconds = before + clock.Elapsed.TotalSeconds, checkpoint))
                return false;
            stage.Done();
        }
        return true;
    }
}
