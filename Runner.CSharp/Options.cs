namespace LowRankVerify.Runner;

/// <summary>Options shared by the commands (seed, report directory, files, η, λ, the B_r constants, an entry) and
/// their rules; each is declared here once.
/// Each factory returns a fresh option to add to one command; each <c>Read*</c> method returns the
/// validated value or throws <see cref="InputException"/> naming the option and the rule.</summary>
public static class Options
{
    /// <summary>Default f_α threshold α when --alpha is not given (reported in every output).</summary>
    public const double DefaultAlpha = 0.1;

    /// <summary>Default f_α family when --f is not given (reported in every output).</summary>
    public const string DefaultFamily = "piecewise";

    /// <summary><c>--seed S</c>: the master seed of a run (default 1); <paramref name="meaning"/> says what it seeds.</summary>
    public static Option<ulong> Seed(string meaning, ulong fallback = 1UL) => new("--seed")
    {
        Description = meaning,
        DefaultValueFactory = _ => fallback,
    };

    /// <summary><c>--out DIR</c>: the report directory, by default <c>reports/&lt;UTC timestamp&gt;-<paramref name="dirName"/>/</c>
    /// (<see cref="Reports.OutputDirectory.Prepare"/>) or, when given, <paramref name="defaultDir"/> (e.g. a sweep's
    /// <c>DIR/report</c>); <paramref name="extra"/> is added to the description.</summary>
    public static Option<string?> Out(string dirName, string extra = "", string? defaultDir = null) => new("--out")
    {
        Description = $"report directory (default {defaultDir ?? $"reports/<UTC timestamp>-{dirName}/"}){extra}",
    };

    /// <summary><c>--force</c>: write into an existing non-empty <c>--out</c> directory.</summary>
    public static Option<bool> Force() => new("--force") { Description = "write into an existing non-empty --out directory" };

    /// <summary><c>--quiet</c>: no progress output.</summary>
    public static Option<bool> Quiet(string what = "no progress output") => new("--quiet") { Description = what };

    /// <summary><c>--task FILE</c>, required.</summary>
    public static Option<string> Task() => new("--task")
    {
        Description = "task JSON file {\"target\": [[...], ...], \"observed\": [[i, j], ...]} (zero-based, row-major)",
        Required = true,
    };

    /// <summary><c>--network FILE</c>, required.</summary>
    public static Option<string> Network() => new("--network")
    {
        Description = "network JSON file {\"layers\": [W_1, ..., W_L]}, each W an array of rows; W_1 is n_1 x d_in",
        Required = true,
    };

    /// <summary><c>--eta X</c>: learning rate η, a finite number &gt; 0.</summary>
    public static Option<double> Eta(bool required = true) => new("--eta")
    {
        Description = "learning rate eta, finite and > 0",
        Required = required,
    };

    /// <summary><c>--lambda X</c>: L2 regularisation λ, a finite number ≥ 0; default 0 when optional.</summary>
    public static Option<double> Lambda(bool required) => new("--lambda")
    {
        Description = "L2 regularisation lambda, finite and >= 0",
        Required = required,
        DefaultValueFactory = required ? null : _ => 0.0,
    };

    /// <summary><c>--entry i,j</c>: one entry of the target, zero-based.</summary>
    public static Option<string> Entry() => new("--entry")
    {
        Description = "entry i,j of the target (zero-based row,column); must be observed",
        Required = true,
    };

    /// <summary>η from <paramref name="option"/>: finite and &gt; 0.</summary>
    public static double ReadEta(ParseResult parse, Option<double> option) => Positive(option.Name, parse.GetValue(option));

    /// <summary>λ from <paramref name="option"/>: finite and ≥ 0.</summary>
    public static double ReadLambda(ParseResult parse, Option<double> option) => NonNegative(option.Name, parse.GetValue(option));

    /// <summary>Rule: a finite number &gt; 0.</summary>
    public static double Positive(string field, double x) =>
        double.IsFinite(x) && x > 0.0 ? x : throw new InputException(field, $"must be a finite number > 0, got {Show(x)}");

    /// <summary>Rule: a finite number ≥ 0.</summary>
    public static double NonNegative(string field, double x) =>
        double.IsFinite(x) && x >= 0.0 ? x : throw new InputException(field, $"must be a finite number >= 0, got {Show(x)}");

    private static string Show(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Parses <c>i,j</c> (two non-negative integers, a comma, no other characters) and checks
    /// that the entry is inside the target and observed.</summary>
    public static (int I, int J) ReadEntry(string field, string? text, LowRankVerify.Theory.Task task)
    {
        var parts = (text ?? "").Split(',');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var j))
            throw new InputException(field, $"must be two non-negative integers 'i,j' (zero-based row,column), got '{text}'");
        if (i >= task.DOut)
            throw new InputException(field, $"row {i} is outside 0..{task.DOut - 1}");
        if (j >= task.DIn)
            throw new InputException(field, $"column {j} is outside 0..{task.DIn - 1}");
        if (!task.Observed.Contains(Tuple.Create(i, j)))
            throw new InputException(field, $"entry ({i}, {j}) is not observed: SGD only draws observed entries");
        return (i, j);
    }

    /// <summary>Unwraps a core result, turning its <see cref="InputError"/> into an
    /// <see cref="InputException"/> (prefixing option fields with "--", each of a list like "eta, lambda").</summary>
    public static T Unwrap<T>(FSharpResult<T, InputError> result, bool optionField) =>
        result.IsOk
            ? result.ResultValue
            : throw new InputException(optionField ? string.Join(", ", result.ErrorValue.Field.Split(", ").Select(f => "--" + f)) : result.ErrorValue.Field,
                result.ErrorValue.Rule);

    /// <summary>The B_r constants and the f_α choice as options: <c>--r --eps1 --eps2 --alpha --C --f</c>.
    /// Rule: --eps1, --eps2 and --C are required when --r is given and rejected without it; --alpha
    /// (default <see cref="DefaultAlpha"/>) and --f (default <see cref="DefaultFamily"/>) also define
    /// the approximate ranks reported without --r.</summary>
    public sealed class Region
    {
        /// <summary><c>--r</c>: target rank r ≥ 0 of B_r.</summary>
        public Option<int> R { get; } = new("--r") { Description = "rank r >= 0 of the region B_r; enables inB and slack (then --eps1, --eps2, --C are required)" };

        /// <summary><c>--eps1</c>: balancedness budget.</summary>
        public Option<double> Eps1 { get; } = new("--eps1") { Description = "B_r balancedness budget eps1 >= 0 (required with --r)" };

        /// <summary><c>--eps2</c>: rank slack.</summary>
        public Option<double> Eps2 { get; } = new("--eps2") { Description = "B_r rank slack eps2 >= 0 (required with --r)" };

        /// <summary><c>--alpha</c>: f_α threshold.</summary>
        public Option<double> Alpha { get; } = new("--alpha")
        {
            Description = "f_alpha threshold alpha > 0 (also used by approximateRanks without --r)",
            DefaultValueFactory = _ => DefaultAlpha,
        };

        /// <summary><c>--C</c>: norm bound.</summary>
        public Option<double> C { get; } = new("--C") { Description = "B_r norm bound C > 0 on every ||W_l||_F^2 (required with --r)" };

        /// <summary><c>--f</c>: f_α family.</summary>
        public Option<string> F { get; } = new("--f")
        {
            Description = "f_alpha family: piecewise (min(x/alpha,1)) or quadratic (2t - t^2, t = min(x/alpha,1))",
            DefaultValueFactory = _ => DefaultFamily,
        };

        /// <summary>Adds the six options to <paramref name="command"/>.</summary>
        public void AddTo(Command command)
        {
            command.Options.Add(R);
            command.Options.Add(Eps1);
            command.Options.Add(Eps2);
            command.Options.Add(Alpha);
            command.Options.Add(C);
            command.Options.Add(F);
        }

        /// <summary>α and the f_α family (always defined, defaults applied).</summary>
        public (double Alpha, FAlphaFamily Family) ReadFAlpha(ParseResult parse) =>
            (Positive(Alpha.Name, parse.GetValue(Alpha)), Unwrap(FAlpha.parse(F.Name, parse.GetValue(F) ?? ""), optionField: false));

        /// <summary>The validated B_r constants when --r is given, else null (and then --eps1, --eps2,
        /// --C must be absent).</summary>
        public RegionParams? Read(ParseResult parse)
        {
            var (alpha, family) = ReadFAlpha(parse);
            bool Given(Option o) => parse.GetResult(o) is { Implicit: false };
            if (!Given(R))
            {
                foreach (var o in new Option[] { Eps1, Eps2, C })
                    if (Given(o))
                        throw new InputException(o.Name, "is a B_r constant and needs --r");
                return null;
            }
            foreach (var o in new Option[] { Eps1, Eps2, C })
                if (!Given(o))
                    throw new InputException(o.Name, "is required when --r is given (B_r constants have no hidden defaults)");
            var r = parse.GetValue(R);
            if (r < 0)
                throw new InputException(R.Name, $"must be an integer >= 0, got {r}");
            var p = new RegionParams(
                r,
                NonNegative(Eps1.Name, parse.GetValue(Eps1)),
                NonNegative(Eps2.Name, parse.GetValue(Eps2)),
                alpha,
                Positive(C.Name, parse.GetValue(C)),
                family);
            return Unwrap(LowRankVerify.Theory.Region.validate(p), optionField: true);
        }
    }
}
