namespace LowRankVerify.Runner;

/// <summary>The options of <c>lowrank experiment completion</c> (also the parameters of its sweeps).</summary>
public static partial class CompletionCommand
{
    /// <summary>The options of the experiment (task, network, run, ladder) and their rules.</summary>
    public sealed class CompletionOptions
    {
        /// <summary>--task.</summary>
        public Option<string?> Task { get; } = new("--task") { Description = "task JSON file {\"target\": [[...]], \"observed\": [[i, j], ...]} (or --family)" };
        /// <summary>--family.</summary>
        public Option<string?> Family { get; } = new("--family") { Description = "generated task: blocks (m copies of E1's 2x2 task on a diagonal) or random (incoherent rank-k n x n truth)" };
        /// <summary>--blocks.</summary>
        public Option<int?> Blocks { get; } = new("--blocks") { Description = "blocks family: number of blocks m (1..500; default 4)" };
        /// <summary>--epsilon.</summary>
        public Option<double?> Epsilon { get; } = new("--epsilon") { Description = "blocks family: ε of each block [[1, 1/ε], [ε, 1]] (> 0; default 0.1)" };
        /// <summary>--size.</summary>
        public Option<int?> Size { get; } = new("--size") { Description = "random family: n of the n x n truth (1..1000; default 20)" };
        /// <summary>--rank.</summary>
        public Option<int?> Rank { get; } = new("--rank") { Description = "random family: rank k of the truth (1..n; default 3)" };
        /// <summary>--observed.</summary>
        public Option<double?> Observed { get; } = new("--observed") { Description = "random family: observed fraction p in (0, 1] (default 0.5)" };
        /// <summary>--task-seed.</summary>
        public Option<ulong?> TaskSeed { get; } = new("--task-seed") { Description = "random family: seed of the truth and the observed set (default 1)" };
        /// <summary>--depth.</summary>
        public Option<int> Depth { get; } = new("--depth") { Description = "depth L (1..64)", DefaultValueFactory = _ => 4 };
        /// <summary>--width.</summary>
        public Option<int?> Width { get; } = new("--width") { Description = "hidden width (1..1024; default max(d_out, d_in)); below the truth's rank the network cannot fit the data (allowed, reported)" };
        /// <summary>--init.</summary>
        public Option<string> Init { get; } = new("--init") { Description = "start: identity, gaussian:SCALE or balanced:RANK", DefaultValueFactory = _ => "identity" };
        /// <summary>--eta.</summary>
        public Option<double> Eta { get; } = new("--eta") { Description = "SGD and GD learning rate η (> 0)", DefaultValueFactory = _ => 0.5 };
        /// <summary>--lambda.</summary>
        public Option<double> Lambda { get; } = new("--lambda") { Description = "L2 regularisation λ (>= 0, 2ηλ < 1)", DefaultValueFactory = _ => 0.005 };
        /// <summary>--steps.</summary>
        public Option<long> Steps { get; } = new("--steps") { Description = "SGD steps per chain (1..1e10)", DefaultValueFactory = _ => 1_000_000L };
        /// <summary>--seeds.</summary>
        public Option<int> Seeds { get; } = new("--seeds") { Description = "number of SGD chains (1..100000)", DefaultValueFactory = _ => 16 };
        /// <summary>--seed.</summary>
        public Option<ulong> Seed { get; } = Options.Seed("master seed S: chain s draws from Rng.stream(S, s)");
        /// <summary>--offshoots.</summary>
        public Option<int> Offshoots { get; } = new("--offshoots") { Description = "offshoots per chain (0..1000)", DefaultValueFactory = _ => 6 };
        /// <summary>--offshoot-eta.</summary>
        public Option<double?> OffshootEta { get; } = new("--offshoot-eta") { Description = "offshoot learning rate (0 < value <= eta; default eta/10)" };
        /// <summary>--offshoot-lambda.</summary>
        public Option<double?> OffshootLambda { get; } = new("--offshoot-lambda") { Description = "offshoot regularisation (0 <= value <= lambda; default lambda/400)" };
        /// <summary>--offshoot-steps.</summary>
        public Option<long> OffshootSteps { get; } = new("--offshoot-steps") { Description = "most SGD steps of one offshoot (>= 1)", DefaultValueFactory = _ => 1_000_000L };
        /// <summary>--gd-steps.</summary>
        public Option<long?> GdSteps { get; } = new("--gd-steps") { Description = "steps of the GD control (1..steps; default min(steps, 1e6); an exact fixed point ends it early)" };
        /// <summary>--sde.</summary>
        public Option<string> Sde { get; } = new("--sde") { Description = "SDE twins (C6): on gives every SGD chain s a twin with the same start, η and λ taking Euler–Maruyama steps with SGD's per-step mean and covariance; off runs none", DefaultValueFactory = _ => "on" };
        /// <summary>--sde-steps.</summary>
        public Option<long?> SdeSteps { get; } = new("--sde-steps") { Description = "steps of each SDE twin (1..steps; default max(1, min(steps, steps / (2 d_in))): one SDE step costs about 2 d_in SGD steps, so the twins cost about what the chains cost)" };
        /// <summary>--event-interval.</summary>
        public Option<long?> EventInterval { get; } = new("--event-interval") { Description = "check the rank level every K steps (default 500 x the widest layer)" };
        /// <summary>--alpha.</summary>
        public Option<double?> Alpha { get; } = new("--alpha") { Description = "ladder: f_alpha threshold (default: s_k(A*)^(2/L)/4)" };
        /// <summary>--eps1.</summary>
        public Option<double?> Eps1 { get; } = new("--eps1") { Description = "ladder: balancedness budget (default 0.1 s_1(A*)^(4/L))" };
        /// <summary>--eps2.</summary>
        public Option<double?> Eps2 { get; } = new("--eps2") { Description = "ladder: rank slack in [0, 1) (default 0.1)" };
        /// <summary>--C.</summary>
        public Option<double?> C { get; } = new("--C") { Description = "ladder: norm bound (default 4 max(sum_i s_i(A*)^(2/L), start's largest layer norm))" };
        /// <summary>--f.</summary>
        public Option<string> F { get; } = new("--f") { Description = "ladder: f_alpha family, piecewise or quadratic", DefaultValueFactory = _ => "piecewise" };
        /// <summary>--engine.</summary>
        public Option<string> EngineMode { get; } = new("--engine") { Description = "SGD engine: auto (ensemble when the widest layer <= 8 and seeds >= 4), single or ensemble", DefaultValueFactory = _ => "auto" };

        /// <summary>Every option of the experiment's parameters.</summary>
        public Option[] All => [Task, Family, Blocks, Epsilon, Size, Rank, Observed, TaskSeed, Depth, Width, Init, Eta, Lambda, Steps, Seeds, Seed,
            Offshoots, OffshootEta, OffshootLambda, OffshootSteps, GdSteps, Sde, SdeSteps, EventInterval, Alpha, Eps1, Eps2, C, F, EngineMode];

        private static bool Given(ParseResult parse, Option o) => parse.GetResult(o) is { Implicit: false };

        /// <summary>The task's source and, unless <paramref name="given"/> (a resumed run's task.json), the task:
        /// exactly one of --task and --family; a family's options only with that family.</summary>
        private (TaskSource Source, LowRankVerify.Theory.Task Task) ReadTask(ParseResult parse, LowRankVerify.Theory.Task? given)
        {
            Option[] blocksOpts = [Blocks, Epsilon];
            Option[] randomOpts = [Size, Rank, Observed, TaskSeed];
            var path = parse.GetValue(Task);
            var family = parse.GetValue(Family);
            if (path is not null)
            {
                foreach (var o in blocksOpts.Concat(randomOpts).Prepend(Family))
                    if (Given(parse, o)) throw new InputException(o.Name, "cannot be combined with --task (the task comes from the file)");
                return (TaskSource.NewFile(path), given ?? TaskFile.Read("--task", path));
            }
            if (family is null)
            {
                foreach (var o in blocksOpts.Concat(randomOpts))
                    if (Given(parse, o)) throw new InputException(o.Name, "belongs to a task family: give --family blocks or --family random");
                throw new InputException("--task", "give a task: --task FILE, --family blocks or --family random");
            }
            var (mine, others) = family switch
            {
                "blocks" => (blocksOpts, randomOpts),
                "random" => (randomOpts, blocksOpts),
                _ => throw new InputException("--family", $"must be blocks or random, got '{family}'"),
            };
            foreach (var o in others)
                if (Given(parse, o)) throw new InputException(o.Name, $"does not belong to --family {family}");
            var source = family == "blocks"
                ? TaskSource.NewBlocks(parse.GetValue(Blocks) ?? 4, parse.GetValue(Epsilon) ?? 0.1)
                : TaskSource.NewRandom(parse.GetValue(Size) ?? 20, parse.GetValue(Rank) ?? 3, parse.GetValue(Observed) ?? 0.5, parse.GetValue(TaskSeed) ?? 1UL);
            var task = Options.Unwrap(CompletionTask.ofSource(source), optionField: true);
            return (source, given ?? task);
        }

        /// <summary>Reads and validates the parameters (every error names its option and rule). With
        /// <paramref name="given"/> (resume), the task is that one and the options only say where it came from.</summary>
        public CompletionParams Read(ParseResult parse, LowRankVerify.Theory.Task? given)
        {
            var (source, task) = ReadTask(parse, given);
            var depth = parse.GetValue(Depth);
            var width = parse.GetValue(Width) ?? Math.Max(task.DOut, task.DIn);
            Options.Unwrap(Completion.checkShape(task, depth, width), optionField: true);
            var start = Options.Unwrap(CompletionTask.parseStart(parse.GetValue(Init) ?? ""), optionField: true);
            var eta = Options.Positive("--eta", parse.GetValue(Eta));
            var lambda = Options.NonNegative("--lambda", parse.GetValue(Lambda));
            var steps = parse.GetValue(Steps);
            var seeds = parse.GetValue(Seeds);
            var widths = CompletionTask.widths(task, depth, width);
            var startNet = Options.Unwrap(CompletionTask.start(task, widths, parse.GetValue(Seed), start), optionField: true);
            var d = Ladder.defaults(task, startNet);
            var family = Options.Unwrap(FAlpha.parse("f", parse.GetValue(F) ?? ""), optionField: true);
            var ladder = new LadderParams(d.Top, parse.GetValue(Eps1) ?? d.Eps1, parse.GetValue(Eps2) ?? d.Eps2,
                parse.GetValue(Alpha) ?? d.Alpha, parse.GetValue(C) ?? d.C, family);
            var mode = (parse.GetValue(EngineMode) ?? "") switch
            {
                "auto" => Completion.autoMode(widths, seeds),
                "single" => SgdMode.Single,
                "ensemble" => SgdMode.Lanes,
                var x => throw new InputException("--engine", $"must be auto, single or ensemble, got '{x}'"),
            };
            var sde = (parse.GetValue(Sde) ?? "") switch
            {
                "on" => true,
                "off" => false,
                var x => throw new InputException("--sde", $"must be on or off, got '{x}'"),
            };
            if (!sde && Given(parse, SdeSteps)) throw new InputException("--sde-steps", "cannot be combined with --sde off (there are no SDE twins)");
            var p = new CompletionParams(task: task, source: source, depth: depth, width: width, start: start, eta: eta, lambda: lambda,
                steps: steps, seeds: seeds, seed: parse.GetValue(Seed), offshoots: parse.GetValue(Offshoots),
                offshootEta: parse.GetValue(OffshootEta) ?? eta / 10, offshootLambda: parse.GetValue(OffshootLambda) ?? lambda / 400,
                offshootMaxSteps: parse.GetValue(OffshootSteps), gdSteps: parse.GetValue(GdSteps) ?? Completion.defaultGdSteps(steps),
                sde: sde, sdeSteps: parse.GetValue(SdeSteps) ?? (sde ? Completion.defaultSdeSteps(task, steps) : 0L),
                observationsPerDecade: Completion.defaultObservationsPerDecade,
                eventInterval: parse.GetValue(EventInterval) ?? Completion.defaultEventInterval(widths), ladder: ladder, mode: mode);
            return Options.Unwrap(Completion.validate(p), optionField: true);
        }
    }
}
