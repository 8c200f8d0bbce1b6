namespace LowRankVerify.Runner;

/// <summary><c>lowrank experiment two-by-two</c>: the slides' experiment E1 (THEORY.md §5) with a report.</summary>
public static class ExperimentCommand
{
    /// <summary>The command's name in reports and checkpoints.</summary>
    public const string CommandName = "experiment two-by-two";

    /// <summary>SGD chains run on this many threads (results do not depend on it).</summary>
    public const int Threads = 2;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var d = E1.defaults;
        var epsilon = new Option<double>("--epsilon") { Description = "ε of the task [[1, 1/ε], [ε, 1]] (> 0)", DefaultValueFactory = _ => d.Epsilon };
        var depth = new Option<int>("--depth") { Description = "depth L, number of weight matrices (1..64)", DefaultValueFactory = _ => d.Depth };
        var width = new Option<int>("--width") { Description = "hidden width (1..64)", DefaultValueFactory = _ => d.Width };
        var eta = new Option<double>("--eta") { Description = "SGD and GD learning rate η (> 0)", DefaultValueFactory = _ => d.Eta };
        var lambda = new Option<double>("--lambda") { Description = "L2 regularisation λ (>= 0, 2ηλ < 1)", DefaultValueFactory = _ => d.Lambda };
        var steps = new Option<long>("--steps") { Description = "SGD steps per chain and GD steps of the control (1..1e10)", DefaultValueFactory = _ => d.Steps };
        var seeds = new Option<int>("--seeds") { Description = "number of SGD chains N (1..100000)", DefaultValueFactory = _ => d.Seeds };
        var noSde = new Option<bool>("--no-sde") { Description = "run no SDE chains (by default every SGD chain s has an SDE twin: same start, η, λ and steps)" };
        var seed = Options.Seed("master seed S: chain s uses Rng.stream(S, s)", d.Seed);
        var offshoots = new Option<int>("--offshoots") { Description = "offshoots per chain K (0..1000)", DefaultValueFactory = _ => d.Offshoots };
        var offEta = new Option<double>("--offshoot-eta") { Description = "offshoot learning rate (0 < value <= eta)", DefaultValueFactory = _ => d.OffshootEta };
        var offLambda = new Option<double>("--offshoot-lambda") { Description = "offshoot regularisation (0 <= value <= lambda)", DefaultValueFactory = _ => d.OffshootLambda };
        var offSteps = new Option<long>("--offshoot-steps") { Description = "most SGD steps of one offshoot (>= 1)", DefaultValueFactory = _ => d.OffshootMaxSteps };
        var variantSteps = new Option<long>("--variant-steps", "--regime-steps") { Description = "steps per chain of the variants, the same experiment at contrasting parameters (0 skips them; --regime-steps is the former name)", DefaultValueFactory = _ => 1_000_000L };
        var variantSeeds = new Option<int>("--variant-seeds", "--regime-seeds") { Description = "seeds per variant (1..10000; --regime-seeds is the former name)", DefaultValueFactory = _ => 8 };
        var e1 = new Command("two-by-two", "E1 (also: experiment e1): SGD on [[1, *], [ε, 1]] jumps from rank 2 to rank 1; offshoots, GD control, SDE chains, variants, report.");
        e1.Aliases.Add("e1");
        var run = new LongRun(e1, CommandName, "experiment-two-by-two",
            [epsilon, depth, width, eta, lambda, steps, seeds, noSde, seed, offshoots, offEta, offLambda, offSteps, variantSteps, variantSeeds],
            quiet: "no progress output, only the final line");
        E1Plan Fresh(ParseResult parse)
        {
            var p = new E1Params(epsilon: parse.GetValue(epsilon), depth: parse.GetValue(depth), width: parse.GetValue(width),
                eta: parse.GetValue(eta), lambda: parse.GetValue(lambda), steps: parse.GetValue(steps), seeds: parse.GetValue(seeds),
                sde: !parse.GetValue(noSde), seed: parse.GetValue(seed), offshoots: parse.GetValue(offshoots), offshootEta: parse.GetValue(offEta),
                offshootLambda: parse.GetValue(offLambda), offshootMaxSteps: parse.GetValue(offSteps), observationsPerDecade: d.ObservationsPerDecade);
            Validate(p);
            var rs = parse.GetValue(variantSteps);
            var rn = parse.GetValue(variantSeeds);
            if (rs < 0 || rs > 10_000_000_000L) throw new InputException("--variant-steps", "must be an integer in 0..1e10 (0 skips the variants)");
            if (rn < 1 || rn > 10_000) throw new InputException("--variant-seeds", "must be an integer in 1..10000");
            return E1Plan.Fresh(p, rs, rn);
        }
        e1.SetAction(parse => run.Run(parse,
            resume: dir =>
            {
                E1Plan? loaded = null;
                CheckpointFile.Read(CheckpointFile.Locate(dir), CommandName, c => E1Plan.Fields(c, pl => loaded = pl));
                return loaded!;
            },
            fresh: () => Fresh(parse),
            save: (w, plan) => plan.Write(w),
            work: (x, plan, progress) => E1Runner.Run(plan, x.Policy, x.Signal.Token, progress, x.Save),
            stopped: (x, plan) => x.Stopped(plan, []),
            report: (x, plan) =>
            {
                var (result, seconds, variants) = E1Report.Outcome(plan);
                var doc = x.Document("LowRankVerify: the slides' experiment E1");
                var replay = ReplayCommand(plan.Main, plan.VariantSteps, plan.VariantSeeds);
                E1Report.AddSection(doc, x.Dir, result, seconds, variants, replay);
                var where = x.Write(doc, new { e1 = E1Report.Json(result, seconds, variants) }, replay);
                Console.WriteLine(E1Report.ConsoleLine(result, seconds));
                Console.WriteLine(where);
                return Cli.Ok;
            }));

        var cmd = new Command("experiment", "Experiments of THEORY.md (E1: two-by-two, alias e1; the rank ladder on general tasks: completion).");
        cmd.Subcommands.Add(e1);
        cmd.Subcommands.Add(CompletionCommand.Create());
        return cmd;
    }

    /// <summary>Validates E1 parameters; an error names the option and the rule (exit 2).</summary>
    public static void Validate(E1Params p)
    {
        Options.Unwrap(E1.validate(p), optionField: true);
    }

    /// <summary>The command line that replays an E1 run.</summary>
    public static string ReplayCommand(E1Params p, long variantSteps, int variantSeeds)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return RunInfo.Replay("experiment two-by-two " +
               string.Format(inv, "--epsilon {0} --depth {1} --width {2} --eta {3} --lambda {4} --steps {5} --seeds {6} --seed {7} {8}",
                   p.Epsilon, p.Depth, p.Width, p.Eta, p.Lambda, p.Steps, p.Seeds, p.Seed, p.Sde ? "" : "--no-sde ") +
               string.Format(inv, "--offshoots {0} --offshoot-eta {1} --offshoot-lambda {2} --offshoot-steps {3} --variant-steps {4} --variant-seeds {5}",
                   p.Offshoots, p.OffshootEta, p.OffshootLambda, p.OffshootMaxSteps, variantSteps, variantSeeds));
    }
}
