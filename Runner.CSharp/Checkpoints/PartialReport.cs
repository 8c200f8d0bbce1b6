using LowRankVerify.Runner.Reports;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>What a run stopped by a signal leaves behind: its checkpoint (already written) and a report
/// marked partial (results.json with <c>"partial": true</c>, report.md, report.html) saying how far it
/// got and how to resume.</summary>
public static class PartialReport
{
    /// <summary>The run-specific <c>execution</c> object of a finished run's results.json (excluded, with <c>run</c> and
    /// every <c>wallSeconds</c>/<c>seconds</c>, when comparing a resumed run with an uninterrupted one).</summary>
    public static object Execution(string? resumedFrom, CheckpointPolicy policy) => new
    {
        resumedFrom = resumedFrom is null ? null : Path.GetFullPath(resumedFrom),
        checkpointEverySeconds = policy.Seconds,
        checkpointSteps = policy.Steps,
        completed = true,
        stoppedBy = (string?)null,
    };

    /// <summary>How far one job of a stopped run got (a row of the partial report).</summary>
    public sealed record JobProgress(string Label, int RunsDone, int Runs, long StepsDone, long Steps, int Divergences, double WallSeconds);

    /// <summary>Writes the partial report for a run of <paramref name="command"/> stopped by
    /// <paramref name="signal"/> (its checkpoint is in <paramref name="dir"/>), prints where it is, and
    /// returns the exit code (130 after SIGINT, 143 after SIGTERM).</summary>
    public static int Write(OutputDirectory dir, RunInfo run, string command, StopSignal signal, E1Plan? plan, IReadOnlyList<string> done,
        string? resumedFrom = null, CheckpointPolicy? policy = null)
    {
        var jobs = plan?.Jobs.Select(j => new JobProgress(j.Label, j.Cursors.Count(c => c.Done), j.Cursors.Length, j.Cursors.Sum(c => c.Step),
            j.Cursors.Length * j.Params.Steps, j.Cursors.Count(c => Microsoft.FSharp.Core.FSharpOption<long>.get_IsSome(c.DivergenceStep)),
            j.Seconds)).ToList() ?? [];
        return Write(dir, run, command, signal, "e1Progress", "E1 job", jobs, done, resumedFrom, policy);
    }

    /// <summary><see cref="Write(OutputDirectory, RunInfo, string, StopSignal, E1Plan?, IReadOnlyList{string})"/>
    /// for any experiment: <paramref name="jobs"/> go into results.json under <paramref name="progressKey"/>
    /// and into a table whose first column is headed <paramref name="jobWord"/>. The <c>execution</c> object is
    /// <see cref="Execution"/>'s (with <paramref name="resumedFrom"/> and <paramref name="policy"/> when the run
    /// has them, so that a resumed run stopped again keeps where it was resumed from) plus the checkpoint's path and
    /// the resume command.</summary>
    public static int Write(OutputDirectory dir, RunInfo run, string command, StopSignal signal, string progressKey, string jobWord,
        IReadOnlyList<JobProgress> jobs, IReadOnlyList<string> done, string? resumedFrom = null, CheckpointPolicy? policy = null)
    {
        var resume = RunInfo.Replay($"{command} --resume {RunInfo.Quote(dir.Path)}");
        var execution = new Dictionary<string, object?>
        {
            ["resumedFrom"] = resumedFrom is null ? null : Path.GetFullPath(resumedFrom),
            ["checkpointEverySeconds"] = policy?.Seconds,
            ["checkpointSteps"] = policy?.Steps,
            ["completed"] = false,
            ["stoppedBy"] = signal.Name,
            ["checkpoint"] = Path.Combine(dir.Path, CheckpointFile.Name),
            ["resume"] = resume,
        };
        var envelope = new ResultsEnvelope(command, run, execution, true, null, resume);
        var json = new Dictionary<string, object?> { ["stagesDone"] = done, [progressKey] = jobs };
        var doc = new Document($"LowRankVerify: PARTIAL report ({command}, stopped by {signal.Name})");
        ReportWriter.AddProvenance(doc, run);
        doc.P($"This run was stopped by {signal.Name} before it finished; nothing below is a result. Its state is in " +
              $"`{CheckpointFile.Name}` next to this report. Continue it (the finished report then equals that of an uninterrupted run with the same seed):");
        doc.C(resume);
        if (done.Count > 0) doc.P("Stages finished before the stop: " + string.Join("; ", done) + ".");
        if (jobs.Count > 0)
            doc.T([jobWord, "runs done", "steps done", "divergences so far"],
                jobs.Select(j => (IReadOnlyList<string>)[j.Label, $"{j.RunsDone} / {j.Runs}", $"{ReportFormat.Steps(j.StepsDone)} / {ReportFormat.Steps(j.Steps)}", j.Divergences.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
        var where = ReportWriter.Write(dir, envelope, json, doc);
        Console.Error.WriteLine($"stopped by {signal.Name}: checkpoint and partial report written; resume with: {resume}");
        Console.WriteLine(where);
        return signal.ExitCode;
    }
}
