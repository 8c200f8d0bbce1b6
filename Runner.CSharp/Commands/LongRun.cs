namespace LowRankVerify.Runner;

/// <summary>The shape every long-running command shares (verify, hunt, explore, experiment two-by-two,
/// experiment completion): its common options (<c>--out</c>, <c>--force</c>, <c>--quiet</c>, the checkpoint
/// options and <c>--resume</c>), and <see cref="Run{TPlan}"/>, which resumes a run from its checkpoint or
/// starts one, opens its report directory, catches SIGINT/SIGTERM, shows progress, writes a partial report
/// when stopped and the full report (one results.json envelope) when finished. A command supplies what is
/// its own: how to read its plan from options or from a checkpoint, how to save it, the work, the report.</summary>
public sealed class LongRun
{
    /// <summary>The command's name in reports and checkpoints.</summary>
    public string CommandName { get; }

    /// <summary><c>--out</c>.</summary>
    public Option<string?> Out { get; }

    /// <summary><c>--force</c>.</summary>
    public Option<bool> Force { get; } = Options.Force();

    /// <summary><c>--quiet</c>.</summary>
    public Option<bool> Quiet { get; }

    /// <summary><c>--checkpoint-every</c>, <c>--checkpoint-steps</c>, <c>--resume</c>.</summary>
    public ResilienceOptions Resilience { get; } = new();

    private readonly string dirName;
    private readonly Option[] parameters;

    /// <summary>Adds <paramref name="parameters"/> (the run's own options, fixed by the checkpoint on resume)
    /// and the common options to <paramref name="cmd"/>. Default reports go to
    /// <c>reports/&lt;UTC timestamp&gt;-<paramref name="dirName"/>/</c>.</summary>
    public LongRun(Command cmd, string commandName, string dirName, IEnumerable<Option> parameters, string outExtra = "",
        string quiet = "no progress output")
    {
        CommandName = commandName;
        this.dirName = dirName;
        Out = Options.Out(dirName, outExtra);
        Quiet = Options.Quiet(quiet);
        this.parameters = [.. parameters, Out, Force];
        foreach (var o in this.parameters.Append(Quiet)) cmd.Options.Add(o);
        Resilience.AddTo(cmd);
    }

    /// <summary>Runs the command: the plan from <paramref name="resume"/> (given <c>--resume DIR</c>, then none of
    /// the run's options may be given) or from <paramref name="fresh"/> (validated before the report directory is
    /// created; <paramref name="created"/> may then write into it); <paramref name="work"/> under the progress
    /// display returns true when finished, false when stopped by a signal (after saving a checkpoint with
    /// <see cref="Context.Save"/>; <paramref name="save"/> writes the plan's fields); then
    /// <paramref name="stopped"/> (a partial report) or <paramref name="report"/> (the exit code), after which the
    /// checkpoint is deleted.</summary>
    public int Run<TPlan>(ParseResult parse, Func<string, TPlan> resume, Func<TPlan> fresh, Action<JsonOut, TPlan> save,
        Func<Context, TPlan, Progress, bool> work, Func<Context, TPlan, int> stopped, Func<Context, TPlan, int> report,
        Action<OutputDirectory, TPlan>? created = null)
    {
        var policy = Resilience.Policy(parse);
        var resumeDir = Resilience.ResumeDir(parse, parameters);
        var run = RunInfo.Collect(Environment.GetCommandLineArgs().Skip(1).ToArray());
        TPlan plan;
        OutputDirectory dir;
        if (resumeDir is not null)
        {
            plan = resume(resumeDir);
            dir = OutputDirectory.Existing(resumeDir);
        }
        else
        {
            plan = fresh();
            dir = OutputDirectory.Prepare(parse.GetValue(Out), dirName, parse.GetValue(Force), run.StartedUtc);
            created?.Invoke(dir, plan);
        }
        using var signal = new StopSignal();
        var context = new Context(CommandName, dir, run, policy, signal, resumeDir,
            () => CheckpointFile.Write(dir.Path, CommandName, w => save(w, plan)));
        if (!Progress.Run(parse.GetValue(Quiet), progress => work(context, plan, progress)))
            return stopped(context, plan);
        var code = report(context, plan);
        CheckpointFile.Delete(dir.Path);
        return code;
    }

    /// <summary>What a run's work and report see: its directory, provenance, checkpoint policy, signal and clock.</summary>
    public sealed class Context(string command, OutputDirectory dir, RunInfo run, CheckpointPolicy policy, StopSignal signal,
        string? resumedFrom, Action save)
    {
        private long sinceCheckpoint;

        /// <summary>The command's name.</summary>
        public string Command { get; } = command;

        /// <summary>The report directory.</summary>
        public OutputDirectory Dir { get; } = dir;

        /// <summary>Provenance.</summary>
        public RunInfo Run { get; } = run;

        /// <summary>When to write checkpoints.</summary>
        public CheckpointPolicy Policy { get; } = policy;

        /// <summary>The checkpoint this run was resumed from (null for a fresh run).</summary>
        public string? ResumedFrom { get; } = resumedFrom;

        /// <summary>SIGINT/SIGTERM.</summary>
        public StopSignal Signal { get; } = signal;

        /// <summary>Wall time of this session.</summary>
        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        /// <summary>Writes the checkpoint now.</summary>
        public void Save() => save();

        /// <summary>After each unit of work (a map cell): on a signal writes a checkpoint and returns false; otherwise
        /// writes one when the policy says so (every <c>--checkpoint-steps</c> units, else on the timer).</summary>
        public bool Boundary()
        {
            if (Signal.Stopped)
            {
                Save();
                return false;
            }
            sinceCheckpoint++;
            if (Policy.Steps is { } every ? sinceCheckpoint >= every : Policy.Due())
            {
                Save();
                Policy.Written();
                sinceCheckpoint = 0;
            }
            return true;
        }

        /// <summary>A report that starts with the provenance paragraph.</summary>
        public Document Document(string title)
        {
            var doc = new Document(title);
            ReportWriter.AddProvenance(doc, Run);
            return doc;
        }

        /// <summary>Writes the finished run's report (results.json: the envelope with <paramref name="replay"/> and
        /// <paramref name="wallSeconds"/>, then <paramref name="body"/>) and returns the line naming it.</summary>
        public string Write(Document doc, object body, string? replay, double? wallSeconds = null) =>
            ReportWriter.Write(Dir, new ResultsEnvelope(Command, Run,
                PartialReport.Execution(ResumedFrom, Policy), false, wallSeconds, replay), body, doc);

        /// <summary>The partial report of a run stopped with E1 jobs (<paramref name="plan"/>) and finished stages.</summary>
        public int Stopped(E1Plan? plan, IReadOnlyList<string> done) => PartialReport.Write(Dir, Run, Command, Signal, plan, done, ResumedFrom, Policy);
    }
}
