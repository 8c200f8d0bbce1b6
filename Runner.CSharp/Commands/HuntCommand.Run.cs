namespace LowRankVerify.Runner;

// lowrank hunt: the plan of a run (saved in checkpoints) and the work (the hunt in segments, the random-testing baseline).
public static partial class HuntCommand
{
    /// <summary>A hunt in progress: its settings, state and arguments (saved in the checkpoint).</summary>
    private sealed class Plan(HuntSettings settings, HuntState state, string[] args, bool compare, string? save)
    {
        public HuntSettings Settings { get; } = settings;
        public HuntState State { get; set; } = state;
        public string[] Args { get; } = args;
        public bool Compare { get; } = compare;
        public string? SaveFolder { get; } = save;
        public HuntResult? Result { get; set; }
        public HuntResult? Random { get; set; }
        public FSharpOption<LowRankVerify.Theory.Task> Task => Settings.Overrides.Task;
    }

    /// <summary>The hunt (and with --compare-random the random-testing baseline) in segments that end at a
    /// (re)start boundary: after --checkpoint-steps evaluations, when the checkpoint timer is due, or on a signal.</summary>
    private static bool Work(LongRun.Context x, Plan pl, Progress progress)
    {
        var (settings, policy) = (pl.Settings, x.Policy);
        var hunter = Claims.hunter(settings.Claim);
        // with the baseline, both searches are warmed up first so that neither pays for the JIT in its time
        if (pl.Compare) Hunt.warmUp(hunter, settings);
        var st = progress.Begin($"hunt {settings.Claim.Text} ({settings.MaxSeconds:0} s)", null);
        var segment = policy.Steps ?? long.MaxValue;
        var pause = FuncConvert.FromFunc<int, bool>(done =>
            x.Signal.Stopped || (done > 0 && (done >= segment || (policy.Steps is null && policy.Due()))));
        while (!pl.State.Finished)
        {
            if (x.Signal.Stopped)
            {
                x.Save();
                return false;
            }
            pl.State = Hunt.advance(hunter, settings, pl.State, pause);
            if (!pl.State.Finished && !x.Signal.Stopped)
            {
                x.Save();
                policy.Written();
            }
        }
        st.Done();
        if (pl.Compare)
        {
            var sr = progress.Begin("random testing baseline", null);
            pl.Random = Hunt.randomTesting(hunter, settings);
            sr.Done();
        }
        pl.Result = Hunt.finish(settings, true, pl.State);
        return true;
    }
}
