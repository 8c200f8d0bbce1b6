using BenchmarkDotNet.Attributes;
using LowRankVerify.Theory;
using MathNet.Numerics.LinearAlgebra;
using TheoryTask = LowRankVerify.Theory.Task;

namespace LowRankVerify.Benchmarks;

/// <summary>Steps of the SGD engine on the shapes of <c>lowrank bench</c>: (d, L, width) in
/// {(2,4,2), (2,8,2), (20,4,20), (100,4,100)}, single chain, ensemble and the reference
/// <c>Sgd.step</c>. Each benchmark reports the time of one step (one chain-step for the ensemble),
/// through <c>OperationsPerInvoke</c>. Same task, start and step sizes as <c>lowrank bench</c>.</summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const int SingleSteps = 4096;
    private const int EnsembleSteps = 256;
    private const int EnsembleChains = 64;
    private const int ReferenceSteps = 64;

    /// <summary>The shape, as "d,L,width".</summary>
    [Params("2,4,2", "2,8,2", "20,4,20", "100,4,100")]
    public string Config { get; set; } = "2,4,2";

    private readonly Hyper hyper = new(0.05, 1e-3);
    private TheoryTask task = null!;
    private Network net = null!;
    private EngineState state = null!;
    private EnsembleState ensemble = null!;
    private Rng rng;

    /// <summary>Builds the task (A* = I + 0.1·G, every entry observed) and identity-like start.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var parts = Config.Split(',').Select(int.Parse).ToArray();
        int d = parts[0], depth = parts[1], width = parts[2];
        var (noise, _) = RngModule.gaussians(RngModule.create(2024), d * d);
        var target = Matrix<double>.Build.Dense(d, d, (i, j) => (i == j ? 1.0 : 0.0) + 0.1 * noise[i * d + j]);
        var observed = new Tuple<int, int>[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                observed[i * d + j] = Tuple.Create(i, j);
        task = new TheoryTask(target, observed);
        var widths = Enumerable.Range(0, depth + 1).Select(l => l == 0 || l == depth ? d : width).ToArray();
        net = NetworkModule.identityLike(1.0, widths);
        state = Engine.create(task, net);
        ensemble = Ensemble.ofSeeds(task, net, hyper, 2024, EnsembleChains);
        rng = RngModule.create(2024);
    }

    /// <summary>One step of one chain (Engine.run, lazy decay, SIMD).</summary>
    [Benchmark(OperationsPerInvoke = SingleSteps)]
    public bool Single() => Engine.run(state, hyper, ref rng, SingleSteps);

    /// <summary>One chain-step of the ensemble (vectorised across chains, both cores).</summary>
    [Benchmark(OperationsPerInvoke = EnsembleSteps * EnsembleChains)]
    public long EnsembleStep()
    {
        Ensemble.run(ensemble, EnsembleSteps);
        return ensemble.StepsTaken;
    }

    /// <summary>One step of the reference Sgd.step (MathNet, allocating).</summary>
    [Benchmark(OperationsPerInvoke = ReferenceSteps)]
    public Network Reference()
    {
        for (int t = 0; t < ReferenceSteps; t++)
        {
            var (i, j) = task.Observed[RngModule.nextInt(ref rng, task.N)];
            net = Sgd.step(hyper, task, net, i, j);
        }
        return net;
    }
}
