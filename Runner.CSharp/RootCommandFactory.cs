using System.CommandLine;

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
        return root;
    }
}
