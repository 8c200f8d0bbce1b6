using System.CommandLine;

namespace LowRankVerify.Runner;

/// <summary>Exit codes and error reporting shared by every command.</summary>
public static class Cli
{
    /// <summary>Success (for verify: every claim holds and every control fails as expected).</summary>
    public const int Ok = 0;

    /// <summary>A check found a counterexample or a control did not fail (verify, hunt).</summary>
    public const int CheckFailed = 1;

    /// <summary>Invalid input: an option, a file or a value broke a rule.</summary>
    public const int BadInput = 2;

    /// <summary>Parses and runs <paramref name="root"/>; parse errors and <see cref="InputException"/>
    /// become one line on stderr and exit code 2, never a stack trace.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                Console.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        try
        {
            return parse.Invoke();
        }
        catch (InputException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
    }
}

/// <summary>A user input broke a rule. The message names the field and the rule.</summary>
public sealed class InputException(string field, string rule) : Exception($"{field}: {rule}")
{
    /// <summary>The offending field (JSON path or option name).</summary>
    public string Field { get; } = field;

    /// <summary>The rule it breaks.</summary>
    public string Rule { get; } = rule;
}
