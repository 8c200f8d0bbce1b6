namespace LowRankVerify.Runner.Checkpoints;

/// <summary>The round scheduler of the experiments (E1: <see cref="E1Runner"/>; the completion experiment:
/// <see cref="CompletionRunner"/>): a job is an array of run cursors advanced a segment at a time, at most
/// <c>threads</c> runs in progress at once (the last cursor, the GD control, first, then the others in
/// order), one segment each per round on that many threads. A run not yet started or finished holds no
/// weights, so memory and the checkpoint stay small for any number of seeds; a checkpoint is written only
/// between rounds, so it is always consistent.</summary>
public static class Rounds
{
    /// <summary>Advances every unfinished cursor of <paramref name="cursors"/> (in place, one slot per run)
    /// with <paramref name="advance"/> (index, cursor → new cursor) until all are done. Before each round:
    /// when <paramref name="stop"/> is cancelled, calls <paramref name="elapsed"/> and
    /// <paramref name="checkpoint"/> and returns false. After each round: calls <paramref name="elapsed"/>,
    /// and writes a checkpoint when <paramref name="policy"/> says so. <paramref name="stage"/> (when given) advances
    /// by one per finished run. Returns true when every cursor is done.</summary>
    public static bool Run<T>(T[] cursors, Func<T, bool> isDone, Func<int, T, T> advance, int threads, Reports.IStage? stage,
        CheckpointPolicy policy, CancellationToken stop, Action elapsed, Action checkpoint)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        while (!cursors.All(isDone))
        {
            if (stop.IsCancellationRequested)
            {
                elapsed();
                checkpoint();
                return false;
            }
            var open = Enumerable.Range(0, cursors.Length).Select(k => (k + cursors.Length - 1) % cursors.Length)
                .Where(k => !isDone(cursors[k])).Take(threads).ToArray();
            Parallel.ForEach(open, options, k =>
            {
                var n = advance(k, cursors[k]);
                cursors[k] = n;
                if (isDone(n)) stage?.Advance();
            });
            elapsed();
            if (!cursors.All(isDone) && policy.Due())
            {
                checkpoint();
                policy.Written();
            }
        }
        return true;
    }
}
