/// C7 Multiple minima (Theory.FSharp/Claims/C7.MultipleMinima.fs) as a property, with its negative control.
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.CaseArbitraries

/// C7's property and control.
type C7MultipleMinimaTests(output: ITestOutputHelper) =

    let report = ClaimLog.report output
    let timed name f = ClaimLog.timed output name f
    let control name count prop = ClaimLog.control output name count prop

    /// The seed of a named check's own streams (simulation runs): the harness's seed of that name.
    let streamSeed name = Harness.seedOf name

    [<Fact>]
    member _.``C7.multipleMinima: for L >= 3 the fully observed loss has minima of two non-zero ranks``() =
        let tally = Tally()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let tk, depth, lambda, hidden, j =
                    ClaimCases.randomC7Case (streamSeed "C7.multipleMinima") i 3 3 5

                let m = C7.multipleMinima tk depth lambda hidden
                tally.Add(sprintf "lambda against s_%d: minimum ranks %A" j m.Ranks)

                tally.Add(
                    if m.NonzeroRanks >= 2 then
                        "non-trivial (two non-zero ranks)"
                    elif m.NonzeroRanks = 1 then
                        "zero and one non-zero rank"
                    else
                        "fewer"
                )

                m.Verdict <> Verdict.Counterexample)

        timed "C7.multipleMinima" (fun () -> Harness.check "C7.multipleMinima" 30 prop)
        |> ignore

        report "C7.multipleMinima tasks:" tally
        let nonTrivial = tally.Get "non-trivial (two non-zero ranks)"

        Assert.True(
            nonTrivial >= 15 * Harness.scale,
            sprintf "only %d of 30 tasks have minima of two non-zero ranks (at least 15 required)" nonTrivial
        )

    [<Fact>]
    member _.``C7.control.depthTwo: for L = 2 the minima have a single rank``() =
        control
            "C7.control.depthTwo"
            20
            (Prop.forAll simulationIndices (fun i ->
                let tk, depth, lambda, hidden, _ =
                    ClaimCases.randomC7Case (Harness.seedOf "C7.control.depthTwo") i 3 2 2

                (C7.multipleMinima tk depth lambda hidden).Verdict <> Verdict.Counterexample))
