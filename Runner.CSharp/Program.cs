using System.CommandLine;
using LowRankVerify.Runner;

// lowrank: the LowRankVerify runner. Each command lives in Commands/<Name>Command.cs and is added here.
var root = new RootCommand("lowrank: checks the claims of Wang & Jacot (ICLR 2024) on SGD in L2-regularized deep linear networks.");
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(StepCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());
root.Subcommands.Add(ExperimentCommand.Create());
return Cli.Run(root, args);
