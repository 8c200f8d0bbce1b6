namespace LowRankVerify.Properties

open System.Text.Json
open MathNet.Numerics.LinearAlgebra
open LowRankVerify.Theory
open LowRankVerify.Runner.Reports
open Xunit
open Xunit.Abstractions

/// `lowrank verify --cases-out`: a case line must be enough to re-check the case with no other input.
/// The reader here uses only the JSON text and the core's public step and region functions.
type CasesOutTests(output: ITestOutputHelper) =

    static let rowsOf (e: JsonElement) =
        e.EnumerateArray()
        |> Seq.map (fun row -> row.EnumerateArray() |> Seq.map (fun x -> x.GetDouble()) |> Array.ofSeq)
        |> Array.ofSeq

    /// A vector of numbers; ±∞ are the strings "Infinity" and "-Infinity" (`CasesFile`).
    static let numbersOf (e: JsonElement) =
        e.EnumerateArray()
        |> Seq.map (fun x ->
            match x.ValueKind with
            | JsonValueKind.String when x.GetString() = "Infinity" -> infinity
            | JsonValueKind.String when x.GetString() = "-Infinity" -> -infinity
            | _ -> x.GetDouble())
        |> Array.ofSeq

    static let matrixOf (e: JsonElement) =
        Matrix<float>.Build.DenseOfRowArrays(rowsOf e)

    /// A C1 case rebuilt from its line alone: task, network, region, η and λ.
    static let closureCaseOfLine (line: string) : ClosureCase * JsonElement =
        let root = JsonDocument.Parse(line).RootElement
        let task = root.GetProperty "task"

        let observed =
            (task.GetProperty "observed").EnumerateArray()
            |> Seq.map (fun p -> p.EnumerateArray() |> Seq.map (fun x -> x.GetInt32()) |> Array.ofSeq)
            |> Array.ofSeq

        let tk =
            match Task.create (rowsOf (task.GetProperty "target")) observed with
            | Ok t -> t
            | Error e -> failwithf "task of the line does not validate: %A" e

        let net =
            {
                W =
                    ((root.GetProperty "network").GetProperty "layers").EnumerateArray()
                    |> Seq.map matrixOf
                    |> Array.ofSeq
            }

        let reg = root.GetProperty "region"

        let family =
            match FAlpha.parse "f" ((reg.GetProperty "f").GetString()) with
            | Ok f -> f
            | Error e -> failwithf "%A" e

        let region =
            {
                R = (reg.GetProperty "r").GetInt32()
                Eps1 = (reg.GetProperty "eps1").GetDouble()
                Eps2 = (reg.GetProperty "eps2").GetDouble()
                Alpha = (reg.GetProperty "alpha").GetDouble()
                C = (reg.GetProperty "C").GetDouble()
                Family = family
            }

        {
            Task = tk
            Depth = net.Depth
            Region = region
            Hyper =
                {
                    Eta = (root.GetProperty "eta").GetDouble()
                    Lambda = (root.GetProperty "lambda").GetDouble()
                }
            Point = net
        },
        root

    static let budget =
        {
            Cases = 40
            Seed = Harness.seedOf "cases-out C1"
            SimulationSteps = 1000L
            MinNonTrivial = 0
            MinNonTrivialRuns = 0
        }

    [<Fact>]
    member _.``cases-out: every C1 line re-checks to the same verdict and violation from the line alone; a tampered weight changes it``
        ()
        =
        let outcome = C1.check budget ignore
        Assert.NotEmpty outcome.Cases
        Assert.Equal(outcome.CasesTried, outcome.Cases.Length)
        let mutable tamperedDiffer = 0

        for r in outcome.Cases do
            let line = CasesFile.Line r
            Assert.DoesNotContain("\n", line)
            let c, root = closureCaseOfLine line
            let again = C1.closure c
            let values = root.GetProperty "values"
            Assert.Equal((root.GetProperty "verdict").GetString(), ClaimsReport.Word again.Verdict)
            // bit for bit: the line's numbers are round-trip, so the re-check repeats the same arithmetic
            Assert.Equal((values.GetProperty "violation").GetDouble(), again.Violation)

            let after (x: ClosureReport) =
                [| x.After.Balancedness; x.After.Rank; x.After.Bounded |]

            Assert.Equal<float[]>(numbersOf (values.GetProperty "slackAfter"), after again)
            // control: the line with 1e-4 added to every weight is another case (the re-check reads the
            // line, not a cache): the norm slack after the step moves (also for a point θ = 0)
            let w = c.Point.W |> Array.map (fun m -> m + 1e-4)
            let tampered = C1.closure { c with Point = { W = w } }

            if after tampered <> after again then
                tamperedDiffer <- tamperedDiffer + 1

        output.WriteLine(
            sprintf
                "%d C1 lines re-checked bit for bit; %d of them changed when 1e-4 was added to every weight"
                outcome.Cases.Length
                tamperedDiffer
        )

        Assert.Equal(outcome.Cases.Length, tamperedDiffer)
