namespace LowRankVerify.Runner;

/// <summary><c>lowrank step</c>: one SGD step (THEORY.md §1, <c>Sgd.step</c>) on one observed entry;
/// prints the new network in the network file format, so it can be fed back in.</summary>
public static class StepCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var task = Options.Task();
        var network = Options.Network();
        var entry = Options.Entry();
        var eta = Options.Eta();
        var lambda = Options.Lambda(required: true);
        var cmd = new Command("step",
            "One SGD step theta <- (1 - 2 eta lambda) theta - (eta/2) grad (A*_ij - A_theta,ij)^2 on the observed "
            + "entry (i, j); prints the network after the step as network JSON (feed it back with --network). "
            + "Exit 2 on invalid input.");
        cmd.Options.Add(task);
        cmd.Options.Add(network);
        cmd.Options.Add(entry);
        cmd.Options.Add(eta);
        cmd.Options.Add(lambda);
        cmd.SetAction(parse =>
        {
            var hyper = new Hyper(Options.ReadEta(parse, eta), Options.ReadLambda(parse, lambda));
            var t = TaskFile.Read(task.Name, parse.GetValue(task));
            var net = NetworkFile.Read(network.Name, parse.GetValue(network), t);
            var (i, j) = Options.ReadEntry(entry.Name, parse.GetValue(entry), t);
            Console.Out.Write(Step(t, net, hyper, i, j));
            return Cli.Ok;
        });
        return cmd;
    }

    /// <summary>The network after one SGD step at (i, j), as network JSON.</summary>
    public static string Step(LowRankVerify.Theory.Task task, Network net, Hyper hyper, int i, int j)
    {
        var next = Sgd.step(hyper, task, net, i, j);
        if (next.W.Any(w => !Linalg.isFinite(w)))
            throw new InputException("--eta", $"the SGD step at ({i}, {j}) overflows double precision (non-finite weights); use a smaller --eta or smaller weights");
        return NetworkFile.Write(next);
    }
}
