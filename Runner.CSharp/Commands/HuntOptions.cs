namespace LowRankVerify.Runner;

/// <summary>The options of <c>lowrank hunt</c> (also the parameters of hunt sweeps) and their rules.</summary>
public static partial class HuntCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The hunt's options (shared with <c>explore</c>).</summary>
    public sealed class HuntOptions
    {
        /// <summary>--claim.</summary>
        public Option<string> Claim { get; } = new("--claim") { Description = "claim to hunt: C1, C2, C3, C4 or C6 (required unless --resume)" };
        /// <summary>--budget.</summary>
        public Option<double> Budget { get; } = new("--budget") { Description = "wall-clock seconds (0 < s <= 86400; default 30)", DefaultValueFactory = _ => 30.0 };
        /// <summary>--evaluations.</summary>
        public Option<int> Evaluations { get; } = new("--evaluations") { Description = "most candidate evaluations (1..10000000; the deterministic stop, default 1000000)", DefaultValueFactory = _ => 1_000_000 };
        /// <summary>--seed.</summary>
        public Option<ulong> Seed { get; } = Options.Seed("seed of the hunt (deterministic for a given evaluation count)");
        /// <summary>--task.</summary>
        public Option<string?> Task { get; } = new("--task") { Description = "fixed task JSON file (C1, C3, C4; at most 8x8); default: random tasks" };
        /// <summary>--epsilon.</summary>
        public Option<double?> Epsilon { get; } = new("--epsilon") { Description = "fixed task: E1's [[1, 1/eps], [eps, 1]] with 3 observed entries (eps > 0)" };
        /// <summary>--depth.</summary>
        public Option<int?> Depth { get; } = new("--depth") { Description = "fixed depth L (2..8)" };
        /// <summary>--eta.</summary>
        public Option<double?> Eta { get; } = new("--eta") { Description = "fixed learning rate eta (> 0); default: searched fraction of the regime's etaMax" };
        /// <summary>--eta-factor.</summary>
        public Option<double> EtaFactor { get; } = new("--eta-factor") { Description = "factor on the searched eta (> 0; C6: on GD's eta); C1, C4: above 1 the step stays within R0's 2 eta lambda <= 1/10, so e.g. 1e12 hunts the large-eta control at R0's cap", DefaultValueFactory = _ => 1.0 };
        /// <summary>--lambda.</summary>
        public Option<double?> Lambda { get; } = new("--lambda") { Description = "fixed lambda (>= 0; 0 hunts the lambda = 0 control)" };
        /// <summary>--r.</summary>
        public Option<int?> R { get; } = new("--r") { Description = "fixed rank r of B_r (0..8)" };
        /// <summary>--eps1.</summary>
        public Option<double?> Eps1 { get; } = new("--eps1") { Description = "fixed eps1 (> 0)" };
        /// <summary>--eps2.</summary>
        public Option<double?> Eps2 { get; } = new("--eps2") { Description = "fixed eps2 (0 <= eps2 < 1)" };
        /// <summary>--alpha.</summary>
        public Option<double?> Alpha { get; } = new("--alpha") { Description = "fixed f_alpha threshold alpha (> 0)" };
        /// <summary>--C.</summary>
        public Option<double?> C { get; } = new("--C") { Description = "fixed norm bound C (> 0)" };
        /// <summary>--f.</summary>
        public Option<string?> F { get; } = new("--f") { Description = "fixed f_alpha family: piecewise or quadratic; default: searched" };
        /// <summary>--scope.</summary>
        public Option<string> Scope { get; } = new("--scope")
        {
            Description = "regime: only candidates inside the claim's documented regime count; any: every candidate (controls; C2: drops the B_r hypothesis); auto (default): regime unless an eta/lambda/depth/constant option is given",
            DefaultValueFactory = _ => "auto",
        };
        /// <summary>--steps.</summary>
        public Option<int> Steps { get; } = new("--steps") { Description = "SGD steps per simulated run (C4; C3 uses 50x, C6 5x GD steps), 1..100000", DefaultValueFactory = _ => 300 };

        /// <summary>Every option of the hunt's settings.</summary>
        public Option[] All => [Claim, Budget, Evaluations, Seed, Task, Epsilon, Depth, Eta, EtaFactor, Lambda, R, Eps1, Eps2, Alpha, C, F, Scope, Steps];

        /// <summary>Adds every option to <paramref name="cmd"/>.</summary>
        public void AddTo(Command cmd)
        {
            foreach (var o in All)
                cmd.Options.Add(o);
        }

        /// <summary>Reads and validates the settings; every error names its option and rule.</summary>
        public HuntSettings Read(ParseResult parse)
        {
            var claimText = parse.GetValue(Claim);
            if (claimText is null) throw new InputException("--claim", "is required (C1, C2, C3, C4 or C6) unless --resume is given");
            var claimR = Claims.parseHuntable("--claim", claimText);
            if (claimR.IsError) throw new InputException("--claim", claimR.ErrorValue.Rule);
            var claim = claimR.ResultValue;
            var budget = parse.GetValue(Budget);
            if (!(double.IsFinite(budget) && budget > 0 && budget <= 86400)) throw new InputException("--budget", $"must be seconds in (0, 86400], got {budget.ToString("R", Inv)}");
            var evals = parse.GetValue(Evaluations);
            if (evals < 1 || evals > 10_000_000) throw new InputException("--evaluations", "must be an integer in 1..10000000");
            var steps = parse.GetValue(Steps);
            if (steps < 1 || steps > 100_000) throw new InputException("--steps", "must be an integer in 1..100000");
            var taskPath = parse.GetValue(Task);
            var eps = parse.GetValue(Epsilon);
            if (taskPath is not null && eps is not null) throw new InputException("--task, --epsilon", "give at most one fixed task");
            FSharpOption<LowRankVerify.Theory.Task> task = FSharpOption<LowRankVerify.Theory.Task>.None;
            if (taskPath is not null || eps is not null)
            {
                if (claim.Equals(ClaimId.C2) || claim.Equals(ClaimId.C6))
                    throw new InputException(taskPath is not null ? "--task" : "--epsilon", $"a fixed task is not used by {claim.Text} (C2 hunts fully observed D7 tasks, C6 E1's task over eps)");
                LowRankVerify.Theory.Task t;
                if (eps is not null)
                {
                    if (!(double.IsFinite(eps.Value) && eps.Value > 0)) throw new InputException("--epsilon", "must be a finite number > 0");
                    t = TaskModule.e1(eps.Value);
                }
                else t = TaskFile.Read("--task", taskPath);
                if (t.DOut > 8 || t.DIn > 8) throw new InputException("--task", $"must be at most 8x8 for hunting (each evaluation steps at every entry), got {t.DOut}x{t.DIn}");
                task = t;
            }
            var depth = parse.GetValue(Depth);
            if (depth is not null && (depth < 2 || depth > 8)) throw new InputException("--depth", "must be an integer in 2..8");
            var eta = parse.GetValue(Eta);
            if (eta is not null) Options.Positive("--eta", eta.Value);
            var etaFactor = Options.Positive("--eta-factor", parse.GetValue(EtaFactor));
            var lambda = parse.GetValue(Lambda);
            if (lambda is not null) Options.NonNegative("--lambda", lambda.Value);
            var r = parse.GetValue(R);
            if (r is not null && (r < 0 || r > 8)) throw new InputException("--r", "must be an integer in 0..8");
            var eps1 = parse.GetValue(Eps1);
            if (eps1 is not null) Options.Positive("--eps1", eps1.Value);
            var eps2 = parse.GetValue(Eps2);
            if (eps2 is not null && !(double.IsFinite(eps2.Value) && eps2.Value >= 0 && eps2.Value < 1)) throw new InputException("--eps2", "must be a number in [0, 1)");
            var alpha = parse.GetValue(Alpha);
            if (alpha is not null && FAlpha.alphaRule(alpha.Value) is { } alphaRule) throw new InputException("--alpha", alphaRule.Value);
            var c = parse.GetValue(C);
            if (c is not null) Options.Positive("--C", c.Value);
            var fText = parse.GetValue(F);
            FSharpOption<FAlphaFamily> family = FSharpOption<FAlphaFamily>.None;
            if (fText is not null) family = Options.Unwrap(FAlpha.parse("f", fText), optionField: true);
            var scopeText = parse.GetValue(Scope) ?? "auto";
            var anyOverride = eta is not null || etaFactor != 1.0 || lambda is not null || depth is not null || r is not null
                              || eps1 is not null || eps2 is not null || alpha is not null || c is not null;
            var inRegime = scopeText switch
            {
                "regime" => true,
                "any" => false,
                "auto" => !anyOverride,
                _ => throw new InputException("--scope", $"must be regime, any or auto, got '{scopeText}'"),
            };
            if (inRegime && claim.Equals(ClaimId.C1) && depth is not null && depth < 3)
                throw new InputException("--depth", "L = 2 lies outside the C1 regime (R3); pass --scope any to hunt it as a control");
            var o = new HuntOverrides(task: task, depth: Opt(depth), eta: Opt(eta), etaFactor: etaFactor, lambda: Opt(lambda), r: Opt(r), eps1: Opt(eps1),
                eps2: Opt(eps2), alpha: Opt(alpha), c: Opt(c), family: family, inRegimeOnly: inRegime);
            var d = Hunt.defaults(claim, parse.GetValue(Seed));
            return new HuntSettings(claim: claim, seed: d.Seed, maxEvaluations: evals, maxSeconds: budget, patience: d.Patience, stopAtFirst: false, shrink: true,
                steps: steps, overrides: o);
        }

        private static FSharpOption<T> Opt<T>(T? x) where T : struct => x is null ? FSharpOption<T>.None : x.Value;
    }
}
