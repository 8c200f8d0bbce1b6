// lowrank: the LowRankVerify runner. Commands are registered in RootCommandFactory.cs.
return LowRankVerify.Runner.Cli.Execute(args);
