/// C6 No continuous analogue (Theory.FSharp/Claims/C6.NoContinuousAnalogue.fs) as properties, with its negative control.
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.CaseArbitraries

/// C6's properties and control.
type C6NoContinuousAnalogueTests(output: ITestOutputHelper) =

    let report = ClaimLog.report output
    let timed name f = ClaimLog.timed output name f
    let control name count prop = ClaimLog.control output name count prop

    /// The seed of a named check's own streams (simulation runs): the harness's seed of that name.
    let streamSeed name = Harness.seedOf name

    [<Fact>]
    member _.``C6.sdeNotAbsorbed: the SDE chain with SGD's mean and covariance is not absorbed at rank 1``() =
        let tally = Tally()
        let p = E1Property.named "C6.sdeNotAbsorbed"
        let gd = E1.gdControl p
        tally.Add(sprintf "GD control %A, final rank %d" gd.Outcome gd.Events.Rank)

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let twin = E1.chain p i
                let sde = E1.sdeChain p i
                let v, nt = C6.judge gd twin sde
                tally.Add(sprintf "SDE %A" sde.Outcome)

                if nt then
                    tally.Add "non-trivial"

                v <> Verdict.Counterexample
                |> Prop.label (sprintf "SDE chain %d absorbed at rank 1 from step %A" i sde.JumpStep))

        timed "C6.sdeNotAbsorbed" (fun () -> Harness.check "C6.sdeNotAbsorbed" 10 prop)
        |> ignore

        report "C6.sdeNotAbsorbed chains:" tally
        Assert.True(C6.gdAtRankTwo gd, "the GD control left rank 2: the comparison is not informative")

        Assert.True(
            tally.Get "non-trivial" >= 4,
            sprintf "only %d non-trivial SDE chains of 10" (tally.Get "non-trivial")
        )

    [<Fact>]
    member _.``C6.gdKeepsRank: gradient descent from a perturbed rank-2 minimum of E1 keeps rank 2``() =
        let tally = Tally()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let mutable rng = Rng.stream (streamSeed "C6.gdKeepsRank") (uint64 i)
                let eps = 0.1 + 0.1 * Rng.nextFloat &rng
                let depth = 3 + Rng.nextInt &rng 3
                let lambda = 0.002 + 0.01 * Rng.nextFloat &rng
                let r = C6.gdStays eps depth lambda 1000 rng
                let eig, tol = r.MinEigenvalue
                let isMin = r.Ratio.IsSome && eig >= -tol

                tally.Add(
                    if isMin then
                        "rank-2 local minimum"
                    else
                        "no confirmed rank-2 minimum"
                )

                isMin ==> lazy (r.MinRatioAlong >= C6.keepFraction * r.Ratio.Value))

        timed "C6.gdKeepsRank" (fun () -> Harness.check "C6.gdKeepsRank" 4 prop)
        |> ignore

        report "C6.gdKeepsRank:" tally

    [<Fact>]
    member _.``C6.control.sgdAsSde: SGD chains in the SDE's role are absorbed at rank 1, so the C6 check fails``() =
        let p = E1Property.named "C6.control.sgdAsSde"
        let gd = E1.gdControl p

        control
            "C6.control.sgdAsSde"
            20
            (Prop.forAll simulationIndices (fun i ->
                let sgd = E1.chain p i
                fst (C6.judge gd sgd sgd) <> Verdict.Counterexample))
