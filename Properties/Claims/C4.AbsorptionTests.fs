/// C4 Absorption (Theory.FSharp/Claims/C4.Absorption.fs) as FsCheck properties, with its negative control.
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.CaseArbitraries

/// C4's properties and control.
type C4AbsorptionTests(output: ITestOutputHelper) =

    let report = ClaimLog.report output
    let timed name f = ClaimLog.timed output name f
    let control name count prop = ClaimLog.control output name count prop

    /// The seed of a named check's own streams (simulation runs): the harness's seed of that name.
    let streamSeed name = Harness.seedOf name

    [<Fact>]
    member _.``C4.absorption: SGD runs in the derived regime never leave B_r after entering it``() =
        let tally = Tally()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let tk, depth, widths, p, hyper, rng0 =
                    ClaimCases.randomSimulationCase (streamSeed "C4.absorption") i

                let start, r1 = ClaimCases.outsideStart rng0 p widths
                let a = C4.absorption tk hyper p start 400L r1

                tally.Add(
                    match a.HitTime with
                    | Some t when t <= 20L -> "hit <= 20 steps"
                    | Some _ -> "hit > 20 steps"
                    | None -> "not entered in 400"
                )

                if a.RoundOffExits > 0 then
                    tally.Add "round-off-level exits"

                a.Exit.IsNone)

        timed "C4.absorption" (fun () -> Harness.check "C4.absorption" 10 prop)
        |> ignore

        report "C4.absorption runs (from outside B_r):" tally
        let hits = tally.Get "hit <= 20 steps" + tally.Get "hit > 20 steps"
        Assert.True(hits > 0, "no run entered B_r: the absorption property was never exercised")

    [<Fact>]
    member _.``C4.stays: SGD runs started at boundary points of B_r never leave it, checked after every step``() =
        let tally = Tally()
        let cache = NonTriviality.Cache()

        let prop =
            Prop.forAll closureSpecs (fun spec ->
                let c = Generators.closureCaseOf spec

                (Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
                 && Region.contains c.Region c.Point)
                ==> lazy
                    (let d =
                        C4.absorptionDetailed c.Task c.Hyper c.Region c.Point 300L 300L (Rng.create spec.Point.Seed)

                     let cert = cache.Get(c.Task, c.Hyper.Lambda, Network.hiddenWidths c.Point)
                     tally.Add(sprintf "exit %b" d.Result.Exit.IsSome)
                     tally.Add(sprintf "checked every %d step(s)" (if d.Checks = 300L then 1 else 0))

                     if d.Visibility > 1.0 && cert.RankAbove c.Region.R then
                         tally.Add "non-trivial (certified minimum of rank > r, visible run)"

                     d.Result.Exit.IsNone))

        timed "C4.stays" (fun () -> Harness.check "C4.stays" 30 prop) |> ignore
        report "C4.stays runs:" tally

        Assert.True(
            tally.Get "non-trivial (certified minimum of rank > r, visible run)" >= 5,
            "fewer than 5 C4.stays runs were non-trivial"
        )

    [<Fact>]
    member _.``C4.control.lambdaZero: without weight decay SGD runs leave B_r``() =
        control
            "C4.control.lambdaZero"
            60
            (Prop.forAll closureSpecs (fun spec ->
                let c = Generators.closureCaseOf spec

                not (Region.contains c.Region c.Point)
                || (C4.absorption
                        c.Task
                        { c.Hyper with Lambda = 0.0 }
                        c.Region
                        c.Point
                        300L
                        (Rng.create spec.Point.Seed))
                    .Exit.IsNone))
