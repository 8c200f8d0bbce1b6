namespace LowRankVerify.Runner.Sweeps;

/// <summary>Where a sweep's units stand, from their directories (result, checkpoint, failure) and, when
/// Slurm is there, from <c>squeue</c> (running, pending) and <c>sacct</c> (tasks that ended failed,
/// timed out, cancelled, out of memory or on a lost node without a result).</summary>
public sealed class SweepStatus
{
    /// <summary>State names, in display order.</summary>
    public const string Done = "done", Running = "running", Pending = "pending", Stopped = "stopped (checkpoint: resumes)", Failed = "failed", Missing = "missing";

    /// <summary>Units per state.</summary>
    public required Dictionary<string, List<int>> ByState { get; init; }

    /// <summary>Failed units with their message (failure.json, or the Slurm state).</summary>
    public required List<(int Id, string Message)> Failures { get; init; }

    /// <summary>Total units.</summary>
    public required int Total { get; init; }

    /// <summary>Whether squeue answered.</summary>
    public required bool QueueKnown { get; init; }

    /// <summary>Reads the status of every unit of <paramref name="plan"/>.</summary>
    public static SweepStatus Of(SweepPlan plan)
    {
        var queue = Slurm.Queue(plan);
        var acct = Slurm.Accounting(plan);
        var by = new[] { Done, Running, Pending, Stopped, Failed, Missing }.ToDictionary(s => s, _ => new List<int>());
        var failures = new List<(int, string)>();
        foreach (var u in plan.Units)
        {
            var dir = plan.UnitDir(u.Id);
            if (File.Exists(Path.Combine(dir, SweepUnits.ResultName))) { by[Done].Add(u.Id); continue; }
            if (queue is not null && queue.TryGetValue(u.Id, out var q))
            {
                by[q is "R" or "CG" ? Running : Pending].Add(u.Id);
                continue;
            }
            var failure = Path.Combine(dir, SweepUnits.FailureName);
            string? accounted = null;
            if (acct is not null && acct.TryGetValue(u.Id, out var a) && a is "FAILED" or "TIMEOUT" or "OUT_OF_MEMORY" or "NODE_FAIL" or "BOOT_FAIL" or "DEADLINE" or "PREEMPTED")
                accounted = a;
            if (File.Exists(failure))
            {
                by[Failed].Add(u.Id);
                failures.Add((u.Id, FailureMessage(failure)));
            }
            else if (accounted is not null)
            {
                by[Failed].Add(u.Id);
                failures.Add((u.Id, $"Slurm state {accounted} (sacct)" + (File.Exists(Path.Combine(dir, CheckpointFile.Name)) ? "; its checkpoint is kept, a resubmission resumes from it" : "")));
            }
            else if (File.Exists(Path.Combine(dir, CheckpointFile.Name))) by[Stopped].Add(u.Id);
            else by[Missing].Add(u.Id);
        }
        return new SweepStatus { ByState = by, Failures = failures, Total = plan.Units.Length, QueueKnown = queue is not null };
    }

    private static string FailureMessage(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() ?? "?" : "?";
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return $"(unreadable {Path.GetFileName(path)}: {e.Message})";
        }
    }

    /// <summary>One line: the counts per state.</summary>
    public string Line() =>
        $"{Total} unit(s): " + string.Join(", ", ByState.Select(kv => $"{kv.Value.Count} {kv.Key}")) +
        (QueueKnown ? "" : " (squeue not available: running/pending not known)");
}
