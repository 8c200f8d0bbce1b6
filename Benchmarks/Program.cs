using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(LowRankVerify.Benchmarks.EngineBenchmarks).Assembly).Run(args);
