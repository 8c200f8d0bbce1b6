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

    /// <summary>Stopped by SIGINT (Ctrl-C) after writing a checkpoint and a partial report (128 + 2).</summary>
    public const int Interrupted = Checkpoints.StopSignal.SigIntExit;

    /// <summary>Stopped by SIGTERM after writing a checkpoint and a partial report (128 + 15).</summary>
    public const int Terminated = Checkpoints.StopSignal.SigTermExit;

    /// <summary>The whole program: builds the root command (<see cref="RootCommandFactory"/>) and runs
    /// it on <paramref name="args"/>. Tests call this in-process with Console.Out/Error redirected.</summary>
    public static int Execute(string[] args) => Run(RootCommandFactory.Create(), args);

    /// <summary>Parses and runs <paramref name="root"/>; parse errors and <see cref="InputException"/>
    /// become one line on stderr and exit code 2, never a stack trace. Help and command output go to
    /// the current <see cref="Console.Out"/> (read at call time, so redirection works in tests).</summary>
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, every distinct parse error (e.g. a misspelt command gives "Required command was
            // not provided." and "Unrecognized command or argument 'x'.").
            var messages = parse.Errors.Select(e => OneLine(e.Message)).Distinct();
            Console.Error.WriteLine($"error: {string.Join(" ", messages)}");
            return BadInput;
        }
        try
        {
            // The default exception handler would print InputException with its stack trace and exit 1.
            var config = new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = Console.Out,
                Error = Console.Error,
            };
            return parse.Invoke(config);
        }
        catch (InputException e)
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return BadInput;
        }
    }

    private static string OneLine(string message) =>
        message.ReplaceLineEndings(" ").Trim();
}

/// <summary>A user input broke a rule. The message names the field and the rule.</summary>
public sealed class InputException(string field, string rule) : Exception($"{field}: {rule}")
{
    /// <summary>The offending field (JSON path or option name).</summary>
    public string Field { get; } = field;

    /// <summary>The rule it breaks.</summary>
    public string Rule { get; } = rule;
}
