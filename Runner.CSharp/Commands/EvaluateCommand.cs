namespace LowRankVerify.Runner;

/// <summary><c>lowrank evaluate</c>: every quantity of THEORY.md §1 at one network θ for one task,
/// as one JSON object on stdout.</summary>
public static class EvaluateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var task = Options.Task();
        var network = Options.Network();
        var lambda = Options.Lambda(required: false);
        var region = new Options.Region();
        var cmd = new Command("evaluate",
            "Evaluate a network on a task: product A_theta, its singular values, loss L_lambda (data loss + penalty), "
            + "gradient norm, test error on unobserved entries, and the B_r quantities per layer (balancedness, "
            + "approximate ranks, squared norms). With --r (and then --eps1, --eps2, --C) also membership in B_r "
            + "and the slack of each condition. Prints one JSON object; exit 2 on invalid input.");
        cmd.Options.Add(task);
        cmd.Options.Add(network);
        cmd.Options.Add(lambda);
        region.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var lam = Options.ReadLambda(parse, lambda);
            var (alpha, family) = region.ReadFAlpha(parse);
            var p = region.Read(parse);
            var t = TaskFile.Read(task.Name, parse.GetValue(task));
            var net = NetworkFile.Read(network.Name, parse.GetValue(network), t);
            Console.Out.Write(Evaluate(t, net, lam, alpha, family, p));
            return Cli.Ok;
        });
        return cmd;
    }

    /// <summary>The evaluate report as JSON text (pure apart from the exceptions it raises for
    /// values that overflow double precision).</summary>
    public static string Evaluate(LowRankVerify.Theory.Task task, Network net, double lambda, double alpha, FAlphaFamily family, RegionParams? region)
    {
        var a = NetworkModule.product(net);
        // The SVD must never see a non-finite matrix; finite weights can still overflow in the product.
        if (!Linalg.isFinite(a))
            throw new InputException("layers", "the product A_theta = W_L ... W_1 overflows double precision (weights too large)");
        var measures = Theory.Region.measure(family, alpha, net);
        var test = Loss.testError(task, a);
        var w = new JsonOut();
        w.BeginObject();
        w.Key("depth"); w.Integer(net.Depth);
        w.Key("widths"); w.Integers(NetworkModule.widths(net));
        w.Key("lambda"); w.Number(lambda, "lambda");
        w.Key("alpha"); w.Number(alpha, "alpha");
        w.Key("f"); w.String(FAlpha.name(family));
        w.Key("observed"); w.Integer(task.N);
        w.Key("product"); w.Matrix(a.ToRowArrays(), "product");
        w.Key("singularValues"); w.Vector(Linalg.singularValues(a), "singularValues");
        w.Key("dataLoss"); w.Number(Loss.dataLossOf(task, a), "dataLoss");
        w.Key("penalty"); w.Number(Loss.penalty(lambda, net), "penalty");
        w.Key("loss"); w.Number(Loss.loss(task, lambda, net), "loss");
        w.Key("gradientNorm"); w.Number(Loss.gradientNorm(Loss.gradient(task, lambda, net)), "gradientNorm");
        w.Key("testError");
        if (test is null) w.Null(); else w.Number(test.Value, "testError");
        w.Key("layerSquaredNorms"); w.Vector(measures.SquaredNorms, "layerSquaredNorms");
        w.Key("balancedness"); w.Vector(measures.Balancedness, "balancedness");
        w.Key("approximateRanks"); w.Vector(measures.ApproximateRanks, "approximateRanks");
        w.Key("productApproximateRank"); w.Number(Theory.Region.productApproximateRank(family, alpha, net.Depth, a), "productApproximateRank");
        if (region is not null)
        {
            var s = Theory.Region.slack(region, net);
            w.Key("region");
            w.BeginObject();
            w.Key("r"); w.Integer(region.R);
            w.Key("eps1"); w.Number(region.Eps1, "region.eps1");
            w.Key("eps2"); w.Number(region.Eps2, "region.eps2");
            w.Key("alpha"); w.Number(region.Alpha, "region.alpha");
            w.Key("C"); w.Number(region.C, "region.C");
            w.Key("f"); w.String(FAlpha.name(region.Family));
            w.EndObject();
            w.Key("inB"); w.Bool(Theory.Region.contains(region, net));
            w.Key("slack");
            w.BeginObject();
            w.Key("balancedness"); w.Number(s.Balancedness, "slack.balancedness");
            w.Key("rank"); w.Number(s.Rank, "slack.rank");
            w.Key("bounded"); w.Number(s.Bounded, "slack.bounded");
            w.EndObject();
        }
        w.EndObject();
        return w.ToString();
    }
}
