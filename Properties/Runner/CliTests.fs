namespace LowRankVerify.Properties

open System
open System.IO
open System.Text.Json
open Xunit
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Runner
open LowRankVerify.Runner.Json

/// Tests of `lowrank evaluate` and `lowrank step` (runner part of issue 1, hostile input of issue
/// "Long runs that survive"). They call the runner in-process.
[<Collection("Console")>]
type CliTests() =

    let ok3 =
        """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0], [1, 0], [1, 1]]}"""

    let net2 = """{"layers": [[[1, 0.5], [0, 1]], [[0.8, 0], [0, 1.1]]]}"""

    let hugeTarget =
        // 1001 rows × 1000 zeros = 1,001,000 entries > Task.maxEntries: rejected while reading.
        let row = "[" + String.Join(",", Array.create 1000 "0") + "]"

        """{"target": ["""
        + String.Join(",\n", Array.create 1001 row)
        + """], "observed": [[0, 0]]}"""

    let longToken =
        """{"target": [[1""" + String('0', 2_000_000) + """]], "observed": [[0, 0]]}"""

    let ev extra =
        [ "evaluate"; "--task"; "{task}"; "--network"; "{network}" ] @ extra

    let st extra =
        [ "step"; "--task"; "{task}"; "--network"; "{network}" ] @ extra

    let t name task field =
        {
            Name = name
            Args = ev []
            Task = task
            Network = net2
            Field = field
        }

    let n name net field =
        {
            Name = name
            Args = ev []
            Task = ok3
            Network = net
            Field = field
        }

    let o name args field =
        {
            Name = name
            Args = args
            Task = ok3
            Network = net2
            Field = field
        }

    /// Every hostile case: (args, files) -> exit 2 and one stderr line naming the field.
    let cases =
        [ // task file: syntax
            t "truncated task" """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0], [1, 0""" "observed[1][1]"
            t "truncated after root key" """{"target": [[1, 10], [0.1, 1]], "obs""" "--task"
            t "empty task file" "" "--task"
            t "whitespace-only task file" "   \n  " "--task"
            t "trailing comma" """{"target": [[1, 10], [0.1, 1],], "observed": [[0, 0]]}""" "target[2]"
            t "comment" """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0]]} // note""" "--task"
            t "two root values" """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0]]} {}""" "--task"
            t "NaN literal" """{"target": [[1, NaN], [0.1, 1]], "observed": [[0, 0]]}""" "target[0][1]"
            t "Infinity literal" """{"target": [[1, 10], [Infinity, 1]], "observed": [[0, 0]]}""" "target[1][0]"
            t "-Infinity literal" """{"target": [[1, -Infinity], [0.1, 1]], "observed": [[0, 0]]}""" "target[0][1]"
            t "number overflowing double" """{"target": [[1, 10], [0.1, 1e400]], "observed": [[0, 0]]}""" "target[1][1]"
            t "token longer than 1 MiB" longToken "target[0][0]"
            t "invalid UTF-8 key" "{\"target\": [[1]], \"\xff\": 1}" "--task"
            // task file: types, keys, shapes
            t "string entry" """{"target": [[1, "10"], [0.1, 1]], "observed": [[0, 0]]}""" "target[0][1]"
            t "null entry" """{"target": [[1, 10], [null, 1]], "observed": [[0, 0]]}""" "target[1][0]"
            t "boolean entry" """{"target": [[1, 10], [0.1, true]], "observed": [[0, 0]]}""" "target[1][1]"
            t "duplicate key" """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0]], "target": [[1]]}""" "target"
            t "missing observed" """{"target": [[1, 10], [0.1, 1]]}""" "observed"
            t "missing target" """{"observed": [[0, 0]]}""" "target"
            t "unknown field" """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0]], "observd": []}""" "observd"
            t "root is an array" """[[1, 10], [0.1, 1]]""" "--task"
            t "target is an object" """{"target": {"0": [1]}, "observed": [[0, 0]]}""" "target"
            t "empty target" """{"target": [], "observed": [[0, 0]]}""" "target"
            t "empty row" """{"target": [[1, 10], []], "observed": [[0, 0]]}""" "target[1]"
            t "ragged target" """{"target": [[1, 10], [0.1]], "observed": [[0, 0]]}""" "target[1]"
            t "target too large (declared huge)" hugeTarget "target"
            t "empty observed" """{"target": [[1, 10], [0.1, 1]], "observed": []}""" "observed"
            t
                "observed column out of range"
                """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0], [0, 5]]}"""
                "observed[1]"
            t "observed negative row" """{"target": [[1, 10], [0.1, 1]], "observed": [[-1, 0]]}""" "observed[0]"
            t "observed pair too short" """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0], [1]]}""" "observed[1]"
            t
                "observed pair too long"
                """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0], [1, 0, 1]]}"""
                "observed[1]"
            t "observed fraction" """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0], [1, 0.5]]}""" "observed[1][1]"
            t
                "observed index beyond int32"
                """{"target": [[1, 10], [0.1, 1]], "observed": [[3000000000, 0]]}"""
                "observed[0][0]"
            t "observed duplicate" """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0], [0, 0]]}""" "observed[1]"
            t "observed not pairs" """{"target": [[1, 10], [0.1, 1]], "observed": [0, 0]}""" "observed[0]"
            // network file
            n "truncated network" """{"layers": [[[1, 0.5], [0, 1]], [[0.8, 0], [0""" "layers[1][1][0]"
            n "NaN in network" """{"layers": [[[1, NaN], [0, 1]]]}""" "layers[0][0][1]"
            n "empty layers" """{"layers": []}""" "layers"
            n "empty layer" """{"layers": [[]]}""" "layers[0]"
            n "ragged layer" """{"layers": [[[1, 0.5], [0]]]}""" "layers[0][1]"
            n "layer shapes do not chain" """{"layers": [[[1, 0.5], [0, 1]], [[1, 0, 3], [0, 1, 3]]]}""" "layers[1]"
            n "d_in mismatch" """{"layers": [[[1, 0.5, 1], [0, 1, 1]]]}""" "layers[0]"
            n "d_out mismatch" """{"layers": [[[1, 0.5], [0, 1]], [[1, 0], [0, 1], [1, 1]]]}""" "layers[1]"
            n "duplicate layers" """{"layers": [[[1, 0], [0, 1]]], "layers": [[[1, 0], [0, 1]]]}""" "layers"
            n "wrong case key" """{"Layers": [[[1, 0], [0, 1]]]}""" "Layers"
            n "product overflows" """{"layers": [[[1e300, 0], [0, 1e300]], [[1e300, 0], [0, 1e300]]]}""" "layers"
            n "data loss overflows" """{"layers": [[[1e200, 0], [0, 1e200]]]}""" "dataLoss"
            // options
            { (o "missing task file" (ev []) "--task") with
                Task = "<missing>"
            }
            { (o "task is a directory" (ev []) "--task") with
                Task = "<directory>"
            }
            o "missing --task option" [ "evaluate"; "--network"; "{network}" ] "--task"
            o "unknown option" (ev [ "--bogus" ]) "--bogus"
            o "unknown command" [ "evalute" ] "evalute"
            o "unknown f_alpha family" (ev [ "--f"; "cubic" ]) "--f"
            o "negative lambda" (ev [ "--lambda"; "-1" ]) "--lambda"
            o "NaN lambda" (ev [ "--lambda"; "NaN" ]) "--lambda"
            o "infinite lambda" (ev [ "--lambda"; "1e400" ]) "--lambda"
            o "alpha zero" (ev [ "--alpha"; "0" ]) "--alpha"
            o "--r without --eps1" (ev [ "--r"; "1" ]) "--eps1"
            o "--eps1 without --r" (ev [ "--eps1"; "1" ]) "--eps1"
            o "negative r" (ev [ "--r"; "-1"; "--eps1"; "1"; "--eps2"; "1"; "--C"; "1" ]) "--r"
            o "negative C" (ev [ "--r"; "1"; "--eps1"; "1"; "--eps2"; "1"; "--C"; "-1" ]) "--C"
            o "negative eps2" (ev [ "--r"; "1"; "--eps1"; "1"; "--eps2"; "-1"; "--C"; "1" ]) "--eps2"
            o "r not an integer" (ev [ "--r"; "1.5"; "--eps1"; "1"; "--eps2"; "1"; "--C"; "1" ]) "--r"
            // step
            o "negative eta" (st [ "--entry"; "1,0"; "--eta"; "-0.1"; "--lambda"; "0" ]) "--eta"
            o "zero eta" (st [ "--entry"; "1,0"; "--eta"; "0"; "--lambda"; "0" ]) "--eta"
            o "NaN eta" (st [ "--entry"; "1,0"; "--eta"; "NaN"; "--lambda"; "0" ]) "--eta"
            o "infinite eta" (st [ "--entry"; "1,0"; "--eta"; "1e400"; "--lambda"; "0" ]) "--eta"
            o "eta not a number" (st [ "--entry"; "1,0"; "--eta"; "abc"; "--lambda"; "0" ]) "--eta"
            o "negative lambda (step)" (st [ "--entry"; "1,0"; "--eta"; "0.1"; "--lambda"; "-0.5" ]) "--lambda"
            o "missing lambda (step)" (st [ "--entry"; "1,0"; "--eta"; "0.1" ]) "--lambda"
            o "missing entry" (st [ "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"
            o "entry one number" (st [ "--entry"; "1"; "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"
            o "entry letters" (st [ "--entry"; "a,b"; "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"
            o "entry three numbers" (st [ "--entry"; "1,0,1"; "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"
            o "entry empty" (st [ "--entry"; ""; "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"
            o "entry negative" (st [ "--entry"; "-1,0"; "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"
            o "entry row out of range" (st [ "--entry"; "2,0"; "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"
            o "entry not observed" (st [ "--entry"; "0,1"; "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"
            o "step overflows" (st [ "--entry"; "1,0"; "--eta"; "1e308"; "--lambda"; "1" ]) "--eta"
        ]

    /// Writes the case's files into `dir` and runs it.
    let runCase (dir: string) (c: HostileCase) =
        let taskPath =
            match c.Task with
            | "<missing>" -> Path.Combine(dir, "does-not-exist.json")
            | "<directory>" -> dir
            | text ->
                let p = Path.Combine(dir, "task.json")
                File.WriteAllBytes(p, Text.Encoding.Latin1.GetBytes text)
                p

        let netPath = Path.Combine(dir, "network.json")
        File.WriteAllText(netPath, c.Network)

        c.Args
        |> List.map (fun a -> a.Replace("{task}", taskPath).Replace("{network}", netPath))
        |> CliRun.run

    [<Fact>]
    member _.``hostile input: every case exits 2 with one stderr line naming the field, nothing on stdout``() =
        let dir = CliRun.tempDir ()

        try
            let failures =
                cases
                |> List.choose (fun c ->
                    CliRun.rejection c.Field (runCase dir c) |> Option.map (sprintf "%s: %s" c.Name))

            Assert.True(failures.IsEmpty, String.Join("\n", failures))
            Assert.True(cases.Length >= 70, sprintf "only %d hostile cases" cases.Length)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``hostile input negative controls: the rejection check fails on valid input and on a wrong field``() =
        let dir = CliRun.tempDir ()

        try
            // Valid input (exit 0, output on stdout) must NOT pass as a rejection.
            let valid = o "valid evaluate" (ev [ "--lambda"; "0.01" ]) "--lambda"
            Assert.True((CliRun.rejection valid.Field (runCase dir valid)).IsSome)

            let validStep =
                o "valid step" (st [ "--entry"; "1,0"; "--eta"; "0.1"; "--lambda"; "0" ]) "--entry"

            Assert.True((CliRun.rejection validStep.Field (runCase dir validStep)).IsSome)
            // A real rejection checked against the wrong field must fail too.
            let nan =
                t "NaN literal" """{"target": [[1, NaN], [0.1, 1]], "observed": [[0, 0]]}""" "observed"

            Assert.True((CliRun.rejection nan.Field (runCase dir nan)).IsSome)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``--help works and lists the commands``() =
        let rc, out, err = CliRun.run [ "--help" ]
        Assert.Equal(0, rc)
        Assert.Equal("", err)
        Assert.Contains("evaluate", out)
        Assert.Contains("step", out)
        let rc2, out2, _ = CliRun.run [ "evaluate"; "--help" ]
        Assert.Equal(0, rc2)
        Assert.Contains("--lambda", out2)
        Assert.Contains("--eps1", out2)

    [<Fact>]
    member _.``--version prints the one version: Directory.Build.props' Version, the build commit, results.json's toolVersion``
        ()
        =
        let rc, out, err = CliRun.run [ "--version" ]
        Assert.Equal(0, rc)
        Assert.Equal("", err)
        let printed = out.Trim()

        let props =
            Path.Combine(Path.GetDirectoryName CliRun.examples, "Directory.Build.props")

        let version =
            Xml.Linq.XDocument.Load(props).Descendants(Xml.Linq.XName.Get "Version")
            |> Seq.exactlyOne

        // "<Version>" alone, or "<Version>+<40-hex commit>" when built in a git checkout
        Assert.Matches(sprintf "^%s(\\+[0-9a-f]{40})?$" (Text.RegularExpressions.Regex.Escape version.Value), printed)
        Assert.Equal(printed, Reports.RunInfo.Version)
        Assert.Equal(printed, (Reports.RunInfo.Collect [||]).ToolVersion)

        Assert.Equal(
            (if printed.Contains '+' then
                 printed.Split('+').[1]
             else
                 "unknown"),
            (Reports.RunInfo.Collect [||]).GitCommit
        )
        // the test host is no installed tool: replay lines name the source tree
        Assert.False Reports.RunInfo.InstalledAsTool
        Assert.Equal("dotnet run --project Runner.CSharp -c Release -- verify", Reports.RunInfo.Replay "verify")

    [<Fact>]
    member _.``evaluate on the README example equals the core's values``() =
        let task, net = CliRun.exampleInputs ()
        let lambda = 0.01

        for family, name in [ FAlphaFamily.Piecewise, "piecewise"; FAlphaFamily.Quadratic, "quadratic" ] do
            let rc, out, err =
                CliRun.run
                    [
                        "evaluate"
                        "--task"
                        CliRun.exampleTask
                        "--network"
                        CliRun.exampleNetwork
                        "--lambda"
                        "0.01"
                        "--f"
                        name
                    ]

            Assert.True((rc = 0), err)
            use doc = JsonDocument.Parse out
            let e = doc.RootElement
            let a = Network.product net
            let measures = Region.measure family Options.DefaultAlpha net
            Assert.Equal(3, e.GetProperty("depth").GetInt32())

            Assert.Equal<int[]>(
                [| 2; 2; 2; 2 |],
                e.GetProperty("widths").EnumerateArray()
                |> Seq.map (fun x -> x.GetInt32())
                |> Array.ofSeq
            )

            Assert.Equal<float[]>(
                a.ToRowMajorArray(),
                e.GetProperty("product").EnumerateArray()
                |> Seq.collect (fun r -> r.EnumerateArray())
                |> Seq.map (fun x -> x.GetDouble())
                |> Array.ofSeq
            )

            Assert.Equal<float[]>(Linalg.singularValues a, CliRun.nums e "singularValues")
            Assert.Equal(Loss.dataLoss task net, CliRun.num e "dataLoss")
            Assert.Equal(Loss.penalty lambda net, CliRun.num e "penalty")
            Assert.Equal(Loss.loss task lambda net, CliRun.num e "loss")
            Assert.Equal(Loss.gradientNorm (Loss.gradient task lambda net), CliRun.num e "gradientNorm")
            Assert.Equal((Loss.testError task a).Value, CliRun.num e "testError")
            Assert.Equal<float[]>(measures.SquaredNorms, CliRun.nums e "layerSquaredNorms")
            Assert.Equal<float[]>(measures.Balancedness, CliRun.nums e "balancedness")
            Assert.Equal<float[]>(measures.ApproximateRanks, CliRun.nums e "approximateRanks")

            Assert.Equal(
                Region.productApproximateRank family Options.DefaultAlpha net.Depth a,
                CliRun.num e "productApproximateRank"
            )

            Assert.Equal(name, e.GetProperty("f").GetString())
            Assert.False(e.TryGetProperty("inB") |> fst)
            // Independent cross-checks by the definitions (THEORY.md §1), not through the core:
            // the example's product W3 W2 W1 by hand, ℓ = (1/2N) Σ (A*_ij − A_ij)², the test error on
            // the one unobserved entry (0, 1), and L = ℓ + λ‖θ‖². Tolerance: γ_n of a few operations
            // at the scale of the values (entries ≤ 10).
            let tol = Tolerance.gamma 8 * 100.0
            let w1 = array2D [ [ 1.0; 0.5 ]; [ 0.0; 1.0 ] ]
            let w2 = array2D [ [ 1.0; 0.0 ]; [ 0.2; 1.0 ] ]
            let w3 = array2D [ [ 0.8; 0.0 ]; [ 0.0; 1.1 ] ]

            let mul (x: float[,]) (y: float[,]) =
                Array2D.init 2 2 (fun i j -> x.[i, 0] * y.[0, j] + x.[i, 1] * y.[1, j])

            let p = mul w3 (mul w2 w1)

            let outP =
                e.GetProperty("product").EnumerateArray()
                |> Seq.map (fun r -> r.EnumerateArray() |> Seq.map (fun x -> x.GetDouble()) |> Array.ofSeq)
                |> Array.ofSeq

            for i in 0..1 do
                for j in 0..1 do
                    Assert.InRange(abs (outP.[i].[j] - p.[i, j]), 0.0, tol)

            let target = array2D [ [ 1.0; 10.0 ]; [ 0.1; 1.0 ] ]
            let sq i j = (target.[i, j] - p.[i, j]) ** 2.0
            Assert.InRange(abs (CliRun.num e "dataLoss" - (sq 0 0 + sq 1 0 + sq 1 1) / 6.0), 0.0, tol)
            Assert.InRange(abs (CliRun.num e "testError" - abs (target.[0, 1] - p.[0, 1])), 0.0, tol)

            let normSq =
                Seq.sum
                    [
                        for w in [ w1; w2; w3 ] do
                            for x in Seq.cast<float> w -> x * x
                    ]

            Assert.InRange(abs (CliRun.num e "penalty" - lambda * normSq), 0.0, tol)
            Assert.InRange(abs (CliRun.num e "loss" - (CliRun.num e "dataLoss" + CliRun.num e "penalty")), 0.0, tol)

    [<Fact>]
    member _.``evaluate with --r reports B_r membership and slack equal to the core's``() =
        let _, net = CliRun.exampleInputs ()

        for r, expectIn in [ 1, false; 2, true ] do
            let rc, out, err =
                CliRun.run
                    [
                        "evaluate"
                        "--task"
                        CliRun.exampleTask
                        "--network"
                        CliRun.exampleNetwork
                        "--r"
                        string r
                        "--eps1"
                        "0.5"
                        "--eps2"
                        "0.5"
                        "--C"
                        "4"
                    ]

            Assert.True((rc = 0), err)
            use doc = JsonDocument.Parse out
            let e = doc.RootElement

            let p =
                {
                    R = r
                    Eps1 = 0.5
                    Eps2 = 0.5
                    Alpha = Options.DefaultAlpha
                    C = 4.0
                    Family = FAlphaFamily.Piecewise
                }

            let s = Region.slack p net
            Assert.Equal(Region.contains p net, e.GetProperty("inB").GetBoolean())
            Assert.Equal(expectIn, e.GetProperty("inB").GetBoolean())
            let slack = e.GetProperty "slack"
            Assert.Equal(s.Balancedness, CliRun.num slack "balancedness")
            Assert.Equal(s.Rank, CliRun.num slack "rank")
            Assert.Equal(s.Bounded, CliRun.num slack "bounded")
            Assert.Equal(0.0, CliRun.num e "lambda")

    [<Fact>]
    member _.``evaluate reports testError null when every entry is observed``() =
        let dir = CliRun.tempDir ()

        try
            let taskPath = Path.Combine(dir, "full.json")

            File.WriteAllText(
                taskPath,
                """{"target": [[1, 10], [0.1, 1]], "observed": [[0, 0], [0, 1], [1, 0], [1, 1]]}"""
            )

            let rc, out, err =
                CliRun.run [ "evaluate"; "--task"; taskPath; "--network"; CliRun.exampleNetwork ]

            Assert.True((rc = 0), err)
            use doc = JsonDocument.Parse out
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("testError").ValueKind)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``step output equals Sgd.step bitwise and feeds back into evaluate``() =
        let dir = CliRun.tempDir ()

        try
            let task, net = CliRun.exampleInputs ()
            let hyper = { Eta = 0.1; Lambda = 0.01 }

            for (i, j) in task.Observed do
                let rc, out, err =
                    CliRun.run
                        [
                            "step"
                            "--task"
                            CliRun.exampleTask
                            "--network"
                            CliRun.exampleNetwork
                            "--entry"
                            sprintf "%d,%d" i j
                            "--eta"
                            "0.1"
                            "--lambda"
                            "0.01"
                        ]

                Assert.True((rc = 0), err)
                let path = Path.Combine(dir, sprintf "step-%d-%d.json" i j)
                File.WriteAllText(path, out)
                let back = NetworkFile.Read("--network", path, task)
                let expected = Sgd.step hyper task net (i, j)
                Assert.Equal(expected.Depth, back.Depth)

                for l in 0 .. expected.Depth - 1 do
                    Assert.Equal<float[]>(expected.W.[l].ToRowMajorArray(), back.W.[l].ToRowMajorArray())

                let rc2, _, err2 =
                    CliRun.run [ "evaluate"; "--task"; CliRun.exampleTask; "--network"; path ]

                Assert.True((rc2 = 0), err2)
        finally
            CliRun.cleanup dir

    /// Finite doubles over the whole range (subnormals, ±0, extremes), NaN/±∞ excluded by
    /// construction: biased exponent 0..2046 (2047 encodes NaN/∞).
    static member FiniteDouble =
        Gen.map3
            (fun (sign: int) (exponent: int) (mantissa: int64) ->
                BitConverter.Int64BitsToDouble((int64 sign <<< 63) ||| (int64 exponent <<< 52) ||| mantissa))
            (Gen.choose (0, 1))
            (Gen.choose (0, 2046))
            (Gen.choose64 (0L, (1L <<< 52) - 1L))

    /// Random networks of depth 1..3 and widths 1..3 with arbitrary finite weights.
    static member Networks =
        gen {
            let! depth = Gen.choose (1, 3)
            let! widths = Gen.choose (1, 3) |> Gen.arrayOfLength (depth + 1)

            let! layers =
                [
                    for l in 1 .. widths.Length - 1 ->
                        CliTests.FiniteDouble
                        |> Gen.arrayOfLength (widths.[l] * widths.[l - 1])
                        |> Gen.map (fun xs -> Linalg.M.Dense(widths.[l], widths.[l - 1], xs))
                ]
                |> Gen.sequenceToArray

            return { W = layers }
        }

    /// Property: writing a network in the file format and reading it back gives it bit for bit.
    static member RoundTrips (write: Network -> string) (dir: string) (net: Network) =
        let ws = Network.widths net

        let task =
            match Task.create (Array.init ws.[ws.Length - 1] (fun _ -> Array.zeroCreate ws.[0])) [| [| 0; 0 |] |] with
            | Ok t -> t
            | Error e -> failwith (string e)

        let path = Path.Combine(dir, "roundtrip.json")
        File.WriteAllText(path, write net)
        let back = NetworkFile.Read("--network", path, task)

        back.Depth = net.Depth
        && Array.forall2
            (fun (x: MathNet.Numerics.LinearAlgebra.Matrix<float>) (y: MathNet.Numerics.LinearAlgebra.Matrix<float>) ->
                Array.forall2
                    (fun (a: float) b -> BitConverter.DoubleToInt64Bits a = BitConverter.DoubleToInt64Bits b)
                    (x.ToRowMajorArray())
                    (y.ToRowMajorArray()))
            net.W
            back.W

    [<Fact>]
    member _.``network JSON round-trips every finite double bit for bit (control: 15 significant digits does not)``() =
        let dir = CliRun.tempDir ()

        try
            let arb = Arb.fromGen CliTests.Networks

            Harness.check "cli.network-roundtrip" 200 (Prop.forAll arb (CliTests.RoundTrips NetworkFile.Write dir))
            |> ignore
            // Negative control: the same property with a lossy writer (G15, what a naive formatter
            // prints) must be falsified, so the bitwise comparison can fail.
            let lossy (net: Network) =
                let m (w: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
                    "["
                    + String.Join(
                        ", ",
                        w.ToRowArrays()
                        |> Array.map (fun r ->
                            "["
                            + String.Join(
                                ", ",
                                r
                                |> Array.map (fun x -> x.ToString("G15", Globalization.CultureInfo.InvariantCulture))
                            )
                            + "]")
                    )
                    + "]"

                "{\"layers\": [" + String.Join(", ", net.W |> Array.map m) + "]}"

            Harness.expectFailure "cli.network-roundtrip-lossy" 200 (Prop.forAll arb (CliTests.RoundTrips lossy dir))
            |> ignore
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``large task files stream across read chunks: values bit for bit, error lines absolute (control: one ulp is seen)``
        ()
        =
        let dir = CliRun.tempDir ()

        try
            // 300 × 300 random finite doubles, ~2 MB: many 64 KiB chunks, tokens split at chunk edges.
            let rows, cols = 300, 300
            let mutable rng = Rng.create 7UL

            let values =
                Array.init rows (fun _ ->
                    Array.init cols (fun _ -> (Rng.nextGaussian &rng) * 10.0 ** float (Rng.nextInt &rng 40 - 20)))

            let write (vs: float[][]) =
                let body =
                    vs
                    |> Array.mapi (fun i r ->
                        "["
                        + String.Join(
                            ", ",
                            r |> Array.mapi (fun j x -> JsonOut.Format(x, sprintf "target[%d][%d]" i j))
                        )
                        + "]")

                "{\"target\": [\n"
                + String.Join(",\n", body)
                + "\n], \"observed\": [[0, 0], [299, 299]]}"

            let path = Path.Combine(dir, "big.json")

            let same (vs: float[][]) =
                File.WriteAllText(path, write vs)
                let task = TaskFile.Read("--task", path)

                Array.forall
                    id
                    [|
                        for i in 0 .. rows - 1 do
                            for j in 0 .. cols - 1 ->
                                BitConverter.DoubleToInt64Bits task.Target.[i, j] = BitConverter.DoubleToInt64Bits
                                    values.[i].[j]
                    |]

            Assert.True(same values)
            let perturbed = values |> Array.map Array.copy
            perturbed.[250].[123] <- Math.BitIncrement perturbed.[250].[123]
            Assert.False(same perturbed)
            // A syntax error on row 250 (line 252 of the file; "," -> ";" ends its first number) is
            // reported with its absolute line, though the reader restarts on every chunk.
            File.WriteAllText(
                path,
                (write values).Split('\n')
                |> Array.mapi (fun k line -> if k = 251 then line.Replace(",", ";") else line)
                |> fun ls -> String.Join("\n", ls)
            )

            let ex =
                Assert.Throws<InputException>(fun () -> TaskFile.Read("--task", path) |> ignore)

            Assert.Contains("line 252,", ex.Message)
            Assert.Equal("target[250][0]", ex.Field)
        finally
            CliRun.cleanup dir

    [<Fact>]
    member _.``the weight budget counts across layers and stops reading at the first number over it``() =
        let read (limit: int64) (text: string) =
            use c =
                new JsonCursor(new MemoryStream(Text.Encoding.UTF8.GetBytes(text: string)), "--network mem")

            let mutable budget = 0L
            let layers = Collections.Generic.List<float[][]>()
            let fields = Collections.Generic.Dictionary<string, Action<string>>()

            fields.["layers"] <-
                Action<string>(fun p ->
                    JsonSchema.ReadArray(
                        c,
                        p,
                        "matrices",
                        true,
                        Action<int, string>(fun _ lp ->
                            layers.Add(JsonSchema.ReadMatrix(c, lp, &budget, limit, p, "hold")))
                    )
                    |> ignore)

            JsonSchema.ReadDocument(c, fields)
            layers.Count

        let text = """{"layers": [[[1, 2], [3, 4]], [[5, 6]], [[7]]]}"""
        Assert.Equal(3, read 7L text)
        let ex = Assert.Throws<InputException>(fun () -> read 6L text |> ignore)
        Assert.Equal("layers", ex.Field)
        Assert.Contains("layers[2][0][0]", ex.Message)
        let ex2 = Assert.Throws<InputException>(fun () -> read 5L text |> ignore)
        Assert.Contains("layers[1][0][1]", ex2.Message)
