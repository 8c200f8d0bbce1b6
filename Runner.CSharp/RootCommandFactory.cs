using System.CommandLine.Invocation;

namespace LowRankVerify.Runner;

/// <summary>Builds the <c>lowrank</c> root command. Each command lives in Commands/&lt;Name&gt;Command.cs
/// and is added here with one line.</summary>
public static class RootCommandFactory
{
    /// <summary>The root command with every subcommand registered.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("lowrank: checks the claims of Wang & Jacot (ICLR 2024) on SGD in L2-regularized deep linear networks.");
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(StepCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(HuntCommand.Create());
        root.Subcommands.Add(ExploreCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        // --version prints RunInfo.Version, the toolVersion of results.json (System.CommandLine's own action
        // reads the entry assembly, which is the test host when tests call Cli.Execute in-process).
        root.Options.OfType<VersionOption>().Single().Action = new PrintVersion();
        return root;
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Reports.RunInfo.Version);
            return Cli.Ok;
        }
    }
}
