using Spectre.Console;

namespace LowRankVerify.Runner.Reports;

/// <summary>One stage of a run (a claim batch, an experiment): advanced from any thread.</summary>
public interface IStage
{
    /// <summary>Advances by <paramref name="by"/> units of the stage's total.</summary>
    void Advance(double by = 1);

    /// <summary>Shows a status message (the current claim or case).</summary>
    void Message(string text);

    /// <summary>Marks the stage finished.</summary>
    void Done();
}

/// <summary>Progress display: a Spectre.Console progress bar with ETA per stage when stdout is a
/// terminal, periodic plain lines (every 10 s, and at each stage's end) when it is redirected, nothing
/// with <c>--quiet</c>.</summary>
public abstract class Progress
{
    /// <summary>Starts a stage with a known total (units) or none (indeterminate).</summary>
    public abstract IStage Begin(string name, double? total);

    /// <summary>Writes a line that stays on screen (a result), unless quiet.</summary>
    public abstract void Line(string text);

    /// <summary>Runs <paramref name="work"/> under the display suited to the console.</summary>
    public static T Run<T>(bool quiet, Func<Progress, T> work)
    {
        if (quiet) return work(new Silent());
        if (Console.IsOutputRedirected) return work(new Plain());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => { result = work(new Fancy(ctx)); });
        return result;
    }

    private sealed class Silent : Progress
    {
        private sealed class S : IStage { public void Advance(double by = 1) { } public void Message(string text) { } public void Done() { } }
        public override IStage Begin(string name, double? total) => new S();
        public override void Line(string text) { }
    }

    private sealed class Plain : Progress
    {
        private static readonly object Gate = new();
        public override IStage Begin(string name, double? total)
        {
            lock (Gate) Console.WriteLine($"[{name}] started" + (total is { } t ? $" ({t:0} units)" : ""));
            return new S(name, total);
        }
        public override void Line(string text) { lock (Gate) Console.WriteLine(text); }

        private sealed class S(string name, double? total) : IStage
        {
            private readonly Stopwatch clock = Stopwatch.StartNew();
            private double value;
            private string message = "";
            private double lastPrint;
            public void Advance(double by = 1) { lock (Gate) { value += by; Maybe(); } }
            public void Message(string text) { lock (Gate) { message = text; Maybe(); } }
            private void Maybe()
            {
                var now = clock.Elapsed.TotalSeconds;
                if (now - lastPrint < 10) return;
                lastPrint = now;
                Console.WriteLine(Status(now));
            }
            private string Status(double now)
            {
                var eta = total is { } t && value > 0 && value < t ? $", ETA {now * (t - value) / value:0}s" : "";
                var of = total is { } tt ? $"{value:0}/{tt:0}" : $"{value:0}";
                return $"[{name}] {of}, {now:0}s elapsed{eta}" + (message.Length > 0 ? $": {message}" : "");
            }
            public void Done() { lock (Gate) Console.WriteLine($"[{name}] done in {clock.Elapsed.TotalSeconds:0.0}s"); }
        }
    }

    private sealed class Fancy(ProgressContext ctx) : Progress
    {
        public override IStage Begin(string name, double? total)
        {
            var task = ctx.AddTask(Markup.Escape(name), maxValue: total ?? 1);
            if (total is null) task.IsIndeterminate = true;
            return new S(task, name);
        }
        public override void Line(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));

        private sealed class S(ProgressTask task, string name) : IStage
        {
            public void Advance(double by = 1) => task.Increment(by);
            public void Message(string text)
            {
                var t = text.Length > 60 ? text[..57] + "..." : text;
                task.Description = Markup.Escape($"{name}: {t}");
            }
            public void Done()
            {
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.Description = Markup.Escape(name);
                task.StopTask();
            }
        }
    }
}
