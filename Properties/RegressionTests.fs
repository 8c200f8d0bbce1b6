/// The regression set (THEORY.md §4): one JSON file per stored case under `Properties/regressions/`
/// (copied next to the test assembly), each with its claim, the full numbers of the case, the seed and
/// index it was found with, and the verdict it must keep. Regenerate with
/// `dotnet fsi Properties/regressions/make-regressions.fsx`. The class name starts with "AAA" and the
/// collection orderer below starts collections in name order, so this set is replayed first.
namespace LowRankVerify.Properties

open System.IO
open System.Text.Json
open Xunit
open Xunit.Abstractions
open Xunit.Sdk
open LowRankVerify.Theory

/// Starts test collections in the order of their display names (so "AAA_RegressionTests" starts first).
type AlphabeticalCollectionOrderer() =
    interface ITestCollectionOrderer with
        member _.OrderTestCollections(collections) =
            collections |> Seq.sortBy (fun c -> c.DisplayName) |> Seq.toArray :> seq<_>

module private AssemblyOrder =
    [<assembly: TestCollectionOrderer("LowRankVerify.Properties.AlphabeticalCollectionOrderer", "Properties")>]
    do ()

/// One stored case, decoded.
type RegressionCase =
    {
        /// File name without extension.
        Name: string
        /// Claim ID.
        Claim: string
        /// "sgd", "broken-decay" or "sde".
        Rule: string
        /// "Holds" or "Counterexample".
        Expected: string
        /// Text description stored with the case.
        Description: string
        /// The C1 case.
        Case: ClosureCase
        /// The SDE draw (rule "sde").
        Xi: float[]
    }

/// Reading and replaying the regression set.
module Regressions =

    /// Folder of the JSON files next to the test assembly.
    let folder = Path.Combine(System.AppContext.BaseDirectory, "regressions")

    let private orFail (field: string) (r: Result<'a, InputError>) =
        match r with
        | Ok v -> v
        | Error e -> failwithf "%s: %s" field (string e)

    /// Decodes one file.
    let load (path: string) : RegressionCase =
        use doc = JsonDocument.Parse(File.ReadAllText path)
        let root = doc.RootElement

        let floats (e: JsonElement) =
            [| for x in e.EnumerateArray() -> x.GetDouble() |]

        let matrix (e: JsonElement) =
            [| for row in e.EnumerateArray() -> floats row |]

        let target = matrix (root.GetProperty "target")

        let observed =
            [|
                for p in (root.GetProperty "observed").EnumerateArray() ->
                    [| for x in p.EnumerateArray() -> x.GetInt32() |]
            |]

        let task = Task.create target observed |> orFail "target/observed"

        let net =
            Network.ofRowArrays [| for l in (root.GetProperty "layers").EnumerateArray() -> matrix l |]
            |> orFail "layers"

        let reg = root.GetProperty "region"

        let region =
            {
                R = reg.GetProperty("r").GetInt32()
                Eps1 = reg.GetProperty("eps1").GetDouble()
                Eps2 = reg.GetProperty("eps2").GetDouble()
                Alpha = reg.GetProperty("alpha").GetDouble()
                C = reg.GetProperty("C").GetDouble()
                Family = FAlpha.parse "family" (reg.GetProperty("family").GetString()) |> orFail "family"
            }

        {
            Name = Path.GetFileNameWithoutExtension path
            Claim = root.GetProperty("claim").GetString()
            Rule = root.GetProperty("rule").GetString()
            Expected = root.GetProperty("expected").GetString()
            Description = root.GetProperty("description").GetString()
            Case =
                {
                    Task = task
                    Depth = net.Depth
                    Region = region
                    Hyper =
                        {
                            Eta = root.GetProperty("eta").GetDouble()
                            Lambda = root.GetProperty("lambda").GetDouble()
                        }
                    Point = net
                }
            Xi = floats (root.GetProperty "xi")
        }

    /// Replays a case; returns the verdict as a string ("Holds", "Counterexample", "Inconclusive").
    let replay (r: RegressionCase) : string =
        match r.Rule with
        | "sgd" -> string (C1.closureWith Sgd.step r.Case).Verdict
        | "broken-decay" -> string (C1.closureWith C1.brokenStep r.Case).Verdict
        | "sde" ->
            let c = r.Case
            let next = Sde.stepWith c.Hyper c.Task r.Xi c.Point

            let s, b =
                Region.slackAndBoundAfterStep
                    c.Region
                    c.Hyper.Eta
                    (2.0 * c.Hyper.Eta * c.Hyper.Lambda)
                    c.Task
                    c.Point
                    next

            if -s.Balancedness > b.Balancedness || -s.Rank > b.Rank || -s.Bounded > b.Bounded then
                "Counterexample"
            else
                "Holds"
        | other -> failwithf "unknown rule '%s'" other

/// Replays every stored case first and requires its stored verdict.
type AAA_RegressionTests(output: ITestOutputHelper) =

    [<Fact>]
    member _.``Regressions: every stored case keeps its verdict``() =
        let files = Directory.GetFiles(Regressions.folder, "*.json") |> Array.sort
        Assert.NotEmpty files

        let failures =
            [
                for f in files do
                    let r = Regressions.load f
                    let got = Regressions.replay r

                    output.WriteLine(
                        sprintf
                            "%s (%s, %s): expected %s, got %s — %s"
                            r.Name
                            r.Claim
                            r.Rule
                            r.Expected
                            got
                            r.Description
                    )

                    if got <> r.Expected then
                        yield sprintf "%s: expected %s, got %s" r.Name r.Expected got
            ]

        Assert.True(failures.IsEmpty, String.concat "\n" failures)

    [<Fact>]
    member _.``Regressions: the SDE case is one where every SGD step stays in B_r``() =
        let sde =
            Directory.GetFiles(Regressions.folder, "C6-*.json")
            |> Array.map Regressions.load

        Assert.NotEmpty sde

        for r in sde do
            Assert.Equal(Verdict.Holds, (C1.closure r.Case).Verdict)
