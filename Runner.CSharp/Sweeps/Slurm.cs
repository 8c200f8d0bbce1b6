using System.Text.RegularExpressions;

namespace LowRankVerify.Runner.Sweeps;

/// <summary>Options of <c>sweep submit</c> that go into the sbatch script (each validated: exit 2 naming it).</summary>
public sealed record SubmitOptions(
    string? Partition, string? Time, int CpusPerTask, string? Mem, int? MaxRunning, string? Account, string? Qos,
    double CheckpointEvery);

/// <summary>Slurm glue of a sweep: the array job script (<c>DIR/sweep.sbatch</c>), <c>sbatch</c>, and what
/// <c>squeue</c>/<c>sacct</c> say about its tasks. The script runs <c>lowrank sweep run DIR --unit
/// $SLURM_ARRAY_TASK_ID</c> (one unit per array task, one log per task in <c>DIR/logs/unit-K.log</c>).
/// Time limit: Slurm sends SIGUSR1 to the batch shell <see cref="SignalLeadSeconds"/> s before it
/// (<c>--signal=B:USR1@…</c>); the script forwards SIGTERM to lowrank, which checkpoints and exits 143, and
/// the script requeues the task (<c>scontrol requeue</c>, allowed by <c>--requeue</c>), which then resumes
/// from the checkpoint. A task cancelled with <c>scancel</c> (SIGTERM) also checkpoints but is not
/// requeued: <c>sweep submit</c> resubmits it, and it resumes.</summary>
public static class Slurm
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Seconds before the time limit at which Slurm signals the batch shell.</summary>
    public const int SignalLeadSeconds = 120;

    /// <summary>Shortest <c>--time</c> accepted (the signal must leave the unit time to work).</summary>
    public const int MinTimeSeconds = 300;

    /// <summary>Most requeues of one task after its time limit (a unit that never finishes within its limit
    /// stops being requeued; status then shows it stopped).</summary>
    public const int MaxRequeues = 20;

    /// <summary>File name of the script.</summary>
    public const string ScriptName = "sweep.sbatch";

    /// <summary>File name of the list of submitted jobs.</summary>
    public const string SubmissionsName = "submissions.txt";

    private static readonly Regex Name = new("^[A-Za-z0-9_.,-]{1,100}$");

    /// <summary>Validates the options (Slurm's syntax, and nothing a shell would interpret).</summary>
    public static SubmitOptions Validate(SubmitOptions o)
    {
        if (o.Partition is { } p && !Name.IsMatch(p)) throw new InputException("--partition", "must be a partition name (letters, digits, _ . , -)");
        if (o.Account is { } a && !Name.IsMatch(a)) throw new InputException("--account", "must be an account name (letters, digits, _ . , -)");
        if (o.Qos is { } q && !Name.IsMatch(q)) throw new InputException("--qos", "must be a QOS name (letters, digits, _ . , -)");
        if (o.Mem is { } m && !Regex.IsMatch(m, "^[0-9]{1,9}[KMGT]?$")) throw new InputException("--mem", $"must be a size such as 4G or 500M (Slurm's --mem), got '{m}'");
        if (o.CpusPerTask is < 1 or > 1024) throw new InputException("--cpus-per-task", "must be an integer in 1..1024");
        if (o.MaxRunning is { } r && (r < 1 || r > 100_000)) throw new InputException("--max-running", "must be an integer in 1..100000");
        if (o.Time is { } t)
        {
            var s = TimeSeconds(t) ?? throw new InputException("--time", $"must be a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS), got '{t}'");
            if (s < MinTimeSeconds) throw new InputException("--time", $"must be at least {MinTimeSeconds / 60} minutes: Slurm signals the unit {SignalLeadSeconds} s before the limit so that it checkpoints");
        }
        return o;
    }

    /// <summary>Seconds of a Slurm time limit, or null when it is not one.</summary>
    public static long? TimeSeconds(string t)
    {
        var m = Regex.Match(t, @"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$");
        if (!m.Success) return null;
        long N(int g) => m.Groups[g].Success ? long.Parse(m.Groups[g].Value, Inv) : 0;
        var parts = new[] { 2, 3, 4 }.Count(g => m.Groups[g].Success);
        if (m.Groups[1].Success) // D-HH[:MM[:SS]]
            return N(1) * 86400 + N(2) * 3600 + N(3) * 60 + N(4);
        return parts switch
        {
            1 => N(2) * 60,                         // minutes
            2 => N(2) * 60 + N(3),                  // MM:SS
            _ => N(2) * 3600 + N(3) * 60 + N(4),    // HH:MM:SS
        };
    }

    /// <summary>Quotes for bash (single quotes).</summary>
    public static string Sh(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>The command line that runs this lowrank: the apphost, or <c>dotnet lowrank.dll</c>.</summary>
    public static string SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && !string.IsNullOrEmpty(dll)
            ? $"{Sh(process)} {Sh(dll)}"
            : Sh(process);
    }

    /// <summary>The array job script for units <paramref name="ids"/>.</summary>
    public static string Script(SweepPlan plan, IReadOnlyList<int> ids, SubmitOptions o, string lowrank)
    {
        var sb = new StringBuilder();
        var dir = plan.Dir;
        var array = Theory.Sweep.ranges(ids) + (o.MaxRunning is { } m ? $"%{m}" : "");
        sb.Append("#!/bin/bash\n");
        sb.Append($"#SBATCH --job-name=lowrank-sweep-{plan.Digest[..8]}\n");
        sb.Append($"#SBATCH --array={array}\n");
        sb.Append($"#SBATCH --output={dir}/logs/unit-%a.log\n");
        sb.Append("#SBATCH --open-mode=append\n");
        sb.Append($"#SBATCH --chdir={dir}\n");
        sb.Append("#SBATCH --ntasks=1\n");
        sb.Append($"#SBATCH --cpus-per-task={o.CpusPerTask.ToString(Inv)}\n");
        sb.Append($"#SBATCH --signal=B:USR1@{SignalLeadSeconds}\n");
        sb.Append("#SBATCH --requeue\n");
        if (o.Partition is { } p) sb.Append($"#SBATCH --partition={p}\n");
        if (o.Time is { } t) sb.Append($"#SBATCH --time={t}\n");
        if (o.Mem is { } mem) sb.Append($"#SBATCH --mem={mem}\n");
        if (o.Account is { } a) sb.Append($"#SBATCH --account={a}\n");
        if (o.Qos is { } q) sb.Append($"#SBATCH --qos={q}\n");
        sb.Append($$"""
            # Written by `lowrank sweep submit` for the sweep in {{dir}} (plan {{plan.Digest[..16]}}…): one unit per array task.
            # SIGUSR1 ({{SignalLeadSeconds}} s before the time limit): lowrank checkpoints, then the task is requeued and resumes.
            # SIGTERM (scancel): lowrank checkpoints and the task ends; `lowrank sweep submit` resubmits it and it resumes.
            set -u
            unit="${SLURM_ARRAY_TASK_ID:?not an array task}"
            echo "lowrank sweep: unit $unit, job ${SLURM_ARRAY_JOB_ID:-?}_$unit, host $(hostname), restart ${SLURM_RESTART_COUNT:-0}, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
            requeue=0
            {{lowrank}} sweep run {{Sh(dir)}} --unit "$unit" --checkpoint-every {{o.CheckpointEvery.ToString("R", Inv)}} &
            pid=$!
            trap 'requeue=1; kill -TERM "$pid" 2>/dev/null' USR1
            # scancel signals every process of the task, lowrank included: the shell only waits (a second
            # SIGTERM would end lowrank at once, before its checkpoint).
            trap ':' TERM INT
            while :; do
              wait "$pid"; rc=$?
              kill -0 "$pid" 2>/dev/null || break
            done
            if [ "$rc" -eq 143 ] && [ "$requeue" -eq 1 ] && [ "${SLURM_RESTART_COUNT:-0}" -lt {{MaxRequeues}} ]; then
              echo "lowrank sweep: unit $unit checkpointed before its time limit; requeueing"
              scontrol requeue "${SLURM_ARRAY_JOB_ID}_$unit"
            fi
            echo "lowrank sweep: unit $unit exit $rc, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
            exit "$rc"

            """);
        return sb.ToString();
    }

    /// <summary>Runs a program with arguments; null when it is not installed; (exit code, stdout, stderr) otherwise.</summary>
    public static (int Code, string Out, string Err)? Exec(string program, IEnumerable<string> args, int timeoutSeconds = 60)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        using (p)
        {
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSeconds * 1000))
            {
                p.Kill(true);
                return (124, o.Result, $"{program} did not answer within {timeoutSeconds} s");
            }
            p.WaitForExit();
            return (p.ExitCode, o.Result, e.Result);
        }
    }

    /// <summary>The cluster's MaxArraySize (from <c>scontrol show config</c>), or null when unknown.</summary>
    public static int? MaxArraySize()
    {
        var r = Exec("scontrol", ["show", "config"], 30);
        if (r is not { Code: 0 } ok) return null;
        var m = Regex.Match(ok.Out, @"MaxArraySize\s*=\s*(\d+)");
        return m.Success ? int.Parse(m.Groups[1].Value, Inv) : null;
    }

    /// <summary>Job IDs submitted for this sweep (one per line of <see cref="SubmissionsName"/>).</summary>
    public static List<string> Submissions(SweepPlan plan)
    {
        var path = Path.Combine(plan.Dir, SubmissionsName);
        return File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Split(' ')[0]).Where(l => Regex.IsMatch(l, "^[0-9]+$")).ToList()
            : [];
    }

    /// <summary>Records a submitted job: appends "JOBID UTC ARRAY" (rewritten atomically).</summary>
    public static void Record(SweepPlan plan, string job, string array)
    {
        var path = Path.Combine(plan.Dir, SubmissionsName);
        var old = File.Exists(path) ? File.ReadAllText(path) : "";
        OutputDirectory.WriteAtomic(path, Encoding.UTF8.GetBytes(old + $"{job} {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {array}\n"));
    }

    /// <summary>Array tasks of this sweep's jobs in the queue (unit → squeue state code, e.g. R, PD, CG);
    /// null when squeue is not available.</summary>
    public static Dictionary<int, string>? Queue(SweepPlan plan)
    {
        var jobs = Submissions(plan);
        if (jobs.Count == 0) return Exec("squeue", ["--version"], 30) is { Code: 0 } ? new Dictionary<int, string>() : null;
        var r = Exec("squeue", ["-h", "-r", "-o", "%i %t", "-j", string.Join(',', jobs)], 30);
        if (r is null) return null;
        var map = new Dictionary<int, string>();
        // squeue exits non-zero when every listed job left the queue ("Invalid job id specified").
        if (r.Value.Code != 0) return map;
        foreach (var line in r.Value.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = Regex.Match(line.Trim(), @"^\d+_(\d+) (\S+)$");
            if (m.Success) map[int.Parse(m.Groups[1].Value, Inv)] = m.Groups[2].Value;
        }
        return map;
    }

    /// <summary>Final states of this sweep's array tasks from accounting (unit → state, the latest job's
    /// record winning); null when sacct is not available or accounting is off.</summary>
    public static Dictionary<int, string>? Accounting(SweepPlan plan)
    {
        var jobs = Submissions(plan);
        if (jobs.Count == 0) return null;
        var r = Exec("sacct", ["-n", "-P", "-X", "-o", "JobID,State", "-j", string.Join(',', jobs)], 30);
        if (r is not { Code: 0 } ok) return null;
        var map = new Dictionary<int, string>();
        foreach (var line in ok.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = Regex.Match(line.Trim(), @"^\d+_(\d+)\|(\S+)");
            if (m.Success) map[int.Parse(m.Groups[1].Value, Inv)] = m.Groups[2].Value;
        }
        return map;
    }
}
