/// C5 One-way jumps (Theory.FSharp/Claims/C5.OneWayJumps.fs) as a property of E1's chains, with its negative control.
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.CaseArbitraries

/// C5's property and control.
type C5OneWayJumpsTests(output: ITestOutputHelper) =

    let report = ClaimLog.report output
    let timed name f = ClaimLog.timed output name f
    let control name count prop = ClaimLog.control output name count prop

    [<Fact>]
    member _.``C5.e1OneWay: E1 SGD runs that entered B_1 at rank 1 never return to rank 2 (every step)``() =
        let tally = Tally()
        let p = E1Property.named "C5.e1OneWay"

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let r = E1.chain p i
                tally.Add(sprintf "outcome %A" r.Outcome)

                if C5.nonTrivial r then
                    tally.Add "non-trivial"

                C5.verdict r <> Verdict.Counterexample
                |> Prop.label (
                    sprintf "chain %d returned to rank 2 at %A after its jump at %A" i r.Events.ReturnSteps r.JumpStep
                ))

        timed "C5.e1OneWay" (fun () -> Harness.check "C5.e1OneWay" 8 prop) |> ignore
        report "C5.e1OneWay runs:" tally
        // the property cannot pass vacuously: most runs must have jumped without collapsing
        Assert.True(tally.Get "non-trivial" >= 4, sprintf "only %d non-trivial runs of 8" (tally.Get "non-trivial"))

    [<Fact>]
    member _.``C5.control.sdeNoise: with the SDE chain (Gaussian noise of SGD's mean and covariance) runs return to rank 2``
        ()
        =
        let p = E1Property.named "C5.control.sdeNoise"

        control
            "C5.control.sdeNoise"
            400
            (Prop.forAll simulationIndices (fun i -> C5.verdict (E1.sdeChain p i) <> Verdict.Counterexample))
