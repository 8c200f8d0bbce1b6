namespace LowRankVerify.Runner.Reports;

/// <summary>How the reports write numbers and optional values (invariant culture everywhere); used by the E1 and
/// completion reports and the sweep reports through <c>using static</c>.</summary>
public static class ReportFormat
{
    /// <summary>The invariant culture.</summary>
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A core option as a nullable (null is written as JSON null).</summary>
    public static long? Opt(FSharpOption<long> o) => FSharpOption<long>.get_IsSome(o) ? o.Value : null;

    /// <summary>A core option as a nullable (null is written as JSON null).</summary>
    public static double? Opt(FSharpOption<double> o) => FSharpOption<double>.get_IsSome(o) ? o.Value : null;

    /// <summary>A number for text: 4 significant digits.</summary>
    public static string N(double x) => x.ToString("G4", Inv);

    /// <summary>A number for text, or n/a.</summary>
    public static string N(double? x) => x is { } v ? N(v) : "n/a";

    /// <summary>Steps with thousands separators.</summary>
    public static string Steps(double x) => x.ToString("N0", Inv);

    /// <summary>A step count (possibly interpolated, e.g. a median) rounded to an integer, or n/a.</summary>
    public static string S(double? x) => x is { } v ? Steps(Math.Round(v)) : "n/a";
}
