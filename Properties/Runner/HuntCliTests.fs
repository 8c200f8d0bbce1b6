/// `lowrank hunt` and `lowrank explore` on the command line.
namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open LowRankVerify.Theory

/// `lowrank hunt` and `lowrank explore` in-process: option validation (exit 2, one stderr line naming the
/// option), a control hunt's store and regression files that the regression loader replays.
[<Collection("Console")>]
type HuntCliTests(output: ITestOutputHelper) =

    [<Fact>]
    member _.``hunt and explore: invalid options exit 2 with one line naming the option``() =
        for args, field in
            [
                [ "hunt"; "--claim"; "C7" ], "--claim"
                [ "hunt"; "--claim"; "C1"; "--budget"; "0" ], "--budget"
                [ "hunt"; "--claim"; "C1"; "--eps2"; "1.5" ], "--eps2"
                [ "hunt"; "--claim"; "C1"; "--depth"; "9" ], "--depth"
                [ "hunt"; "--claim"; "C1"; "--depth"; "2"; "--scope"; "regime" ], "--depth"
                [ "hunt"; "--claim"; "C1"; "--lambda"; "-1" ], "--lambda"
                [ "hunt"; "--claim"; "C2"; "--epsilon"; "0.1" ], "--epsilon"
                [ "hunt"; "--claim"; "C1"; "--scope"; "some" ], "--scope"
                [ "hunt"; "--claim"; "C1"; "--alpha"; "1e-310" ], "--alpha"
                [ "explore"; "--claim"; "C2" ], "--claim"
                [ "explore"; "--claim"; "C1"; "--etas"; "1,0.1,5" ], "--etas"
                [ "explore"; "--dynamics"; "--dyn-depths"; "4,x" ], "--dyn-depths"
                [ "explore"; "--dynamics"; "--dyn-etas"; "0.5,30"; "--dyn-lambdas"; "0.02" ], "--dyn-lambdas"
            ] do
            let rc, out, err = CliRun.run args
            output.WriteLine(sprintf "%A -> %d %s" args rc (err.Trim()))
            Assert.Equal(2, rc)
            Assert.Equal("", out)
            Assert.Equal(1, err.Trim().Split('\n').Length)
            Assert.Contains(field, err)

    [<Fact>]
    member _.``hunt: a lambda = 0 control writes its store and regression files that replay as counterexamples``() =
        let dir = CliRun.tempDir ()

        try
            let reg = System.IO.Path.Combine(dir, "reg")

            let rc, out, err =
                CliRun.run
                    [
                        "hunt"
                        "--claim"
                        "C1"
                        "--lambda"
                        "0"
                        "--evaluations"
                        "3"
                        "--out"
                        System.IO.Path.Combine(dir, "out")
                        "--quiet"
                        "--save-regression"
                        reg
                    ]

            output.WriteLine(out + err)
            Assert.Equal(1, rc)

            let store =
                System.IO.Directory.GetFiles(System.IO.Path.Combine(dir, "out", "counterexamples"), "*.json")

            Assert.NotEmpty store
            let text = System.IO.File.ReadAllText store.[0]

            for key in
                [
                    "\"claim\""
                    "\"parameters\""
                    "\"seed\""
                    "\"violation\""
                    "\"bound\""
                    "\"status\""
                    "\"replay\""
                ] do
                Assert.Contains(key, text)

            let files = System.IO.Directory.GetFiles(reg, "*.json")
            Assert.NotEmpty files

            for f in files do
                let r = Regressions.load f
                Assert.Equal("Counterexample", Regressions.replay r)
        finally
            CliRun.cleanup dir
