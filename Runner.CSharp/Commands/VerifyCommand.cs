namespace LowRankVerify.Runner;

/// <summary><c>lowrank verify</c>: the main job. Checks every claim C1–C7 and its negative controls,
/// runs the slides' experiment E1, and writes a report. Exit 0 when every claim holds and every control
/// fails as expected, 1 otherwise, 2 on invalid input.</summary>
public static partial class VerifyCommand
{
    /// <summary>The command's name in reports and checkpoints.</summary>
    public const string CommandName = "verify";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var tier = new Option<string>("--tier") { Description = "quick (default, about 5 minutes on 2 cores) or full (larger budgets)", DefaultValueFactory = _ => "quick" };
        var seed = Options.Seed("seed of the claim checks and of E1 (every case and chain derives its stream from it)");
        var casesOut = new Option<string?>("--cases-out") { Description = "also write every case each claim check tried to DIR/C1.jsonl … DIR/C7.jsonl (one JSON object a line; refused when DIR exists and is not empty, unless --force)" };
        var cmd = new Command("verify", "Main job: check claims C1–C7 and their negative controls, run E1, write a report (exit 0 = all hold).");
        var run = new LongRun(cmd, CommandName, "verify", [tier, seed], quiet: "no progress output, only the verdict line");
        cmd.Options.Add(casesOut);
        cmd.SetAction(parse =>
        {
            string? casesDir = null;
            // --cases-out is checked (and created) once the run's own parameters are valid
            Plan Cases(Plan pl)
            {
                casesDir = CasesFile.Prepare(parse.GetValue(casesOut), parse.GetValue(run.Force));
                return pl;
            }
            return run.Run(parse,
                resume: dir =>
                {
                    string? savedTier = null;
                    ulong s = 0;
                    E1Plan? resumed = null;
                    CheckpointFile.Read(CheckpointFile.Locate(dir), CommandName, c =>
                    {
                        var fields = E1Plan.Fields(c, pl => resumed = pl);
                        fields["tier"] = p =>
                        {
                            savedTier = CheckpointFile.ReadString(c, p);
                            if (Tiers.All(x => x.Name != savedTier)) throw c.Error(p, $"must be quick or full, not '{savedTier}'");
                        };
                        fields["seed"] = p =>
                        {
                            if (!ulong.TryParse(CheckpointFile.ReadString(c, p), NumberStyles.None, CultureInfo.InvariantCulture, out s))
                                throw c.Error(p, "must be a string holding an unsigned 64-bit integer");
                        };
                        return fields;
                    });
                    return Cases(Start(savedTier!, s, resumed));
                },
                fresh: () => Cases(Start(parse.GetValue(tier) ?? "quick", parse.GetValue(seed), null)),
                save: (w, pl) =>
                {
                    w.Key("tier"); w.String(pl.Tier.Name);
                    w.Key("seed"); w.String(pl.Seed.ToString(CultureInfo.InvariantCulture));
                    pl.E1.Write(w);
                },
                work: Work,
                stopped: (x, pl) => x.Stopped(pl.E1, pl.Finished),
                report: (x, pl) => VerifyReport.Finish(x, pl.Outcome!, pl.Budget, pl.Tier.Name, pl.Seed, pl.E1, casesDir));
        });
        return cmd;
    }
}
