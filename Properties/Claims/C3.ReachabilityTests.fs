/// C3 Reachability (Theory.FSharp/Claims/C3.Reachability.fs) as FsCheck properties, with its negative control.
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.CaseArbitraries

/// C3's properties and control.
type C3ReachabilityTests(output: ITestOutputHelper) =

    let report = ClaimLog.report output
    let timed name f = ClaimLog.timed output name f
    let control name count prop = ClaimLog.control output name count prop

    /// The seed of a named check's own streams (simulation runs): the harness's seed of that name.
    let streamSeed name = Harness.seedOf name

    [<Fact>]
    member _.``C3.witness: drawing only r chosen rows or columns reaches B_r from outside``() =
        let tally = Tally()
        let ts = ResizeArray<float>()
        let lp = ResizeArray<float>()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let tk, depth, widths, p, hyper, rng0 =
                    ClaimCases.randomSimulationCase (streamSeed "C3.witness") i

                let mutable rng = rng0
                let start, r1 = ClaimCases.outsideStart rng p widths
                rng <- r1
                let entries = C3.restrictedEntries &rng tk p.R (Rng.nextInt &rng 2 = 0)
                let w = C3.witness tk hyper p start entries 3000L 1L rng
                tally.Add(sprintf "L=%d reached=%b" depth w.Reached)

                if w.Reached then
                    ts.Add(float w.Steps)
                    lp.Add w.LogProbPath

                w.Reached)

        timed "C3.witness" (fun () -> Harness.check "C3.witness" 25 prop) |> ignore
        report "C3.witness runs:" tally

        if ts.Count > 0 then
            output.WriteLine(
                sprintf
                    "  T: min %.0f, max %.0f; log P(path) = T log(1/N): min %.3g, max %.3g"
                    (Seq.min ts)
                    (Seq.max ts)
                    (Seq.min lp)
                    (Seq.max lp)
            )

    [<Fact>]
    member _.``C3.aimed: from starts where unrestricted SGD does not reach B_r, restricted draws do``() =
        let tally = Tally()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let c = C3.aimedReach (streamSeed "C3.aimed") i 60000L 50L
                let nonTrivial = C3.reachNonTrivial c

                tally.Add(
                    sprintf
                        "%s, witness %s"
                        (if nonTrivial then
                             "non-trivial (unrestricted SGD did not reach B_r)"
                         else
                             "trivial (unrestricted SGD reached B_r)")
                        (if c.Restricted.Reached then "reached" else "not reached")
                )

                output.WriteLine(
                    sprintf
                        "  case %d: %dx%d N=%d L=%d r=%d lambda=%.4g, draw state %d: restricted T = %d (%b), unrestricted %d (%b, best slack %.3g); log P(path) = %.4g, log P(only restricted draws) = %.4g"
                        i
                        c.Task.DOut
                        c.Task.DIn
                        c.Task.N
                        c.Depth
                        c.Region.R
                        c.Hyper.Lambda
                        c.DrawState
                        c.Restricted.Steps
                        c.Restricted.Reached
                        c.Unrestricted.Steps
                        c.Unrestricted.Reached
                        c.Unrestricted.BestSlack
                        c.Restricted.LogProbPath
                        c.Restricted.LogProbSet
                )

                c.Restricted.Reached)

        timed "C3.aimed" (fun () -> Harness.check "C3.aimed" 12 prop) |> ignore
        report "C3.aimed cases (same B_r, eta, lambda, start, draws, budget and cadence for both runs):" tally

        let nonTrivial =
            tally.Get "non-trivial (unrestricted SGD did not reach B_r), witness reached"

        Assert.True(
            nonTrivial >= 4 * Harness.scale,
            sprintf "only %d non-trivial C3 cases (at least 4 of 12 required): the aimed generator misses" nonTrivial
        )

    [<Fact>]
    member _.``C3.control.lambdaZero: without weight decay restricted draws find no witness``() =
        control
            "C3.control.lambdaZero"
            10
            (Prop.forAll simulationIndices (fun i ->
                let tk, _, widths, p, hyper, rng0 =
                    ClaimCases.randomSimulationCase (Harness.seedOf "C3.control.lambdaZero") i

                let mutable rng = rng0
                let start, r1 = ClaimCases.outsideStart rng p widths
                rng <- r1
                let entries = C3.restrictedEntries &rng tk p.R (Rng.nextInt &rng 2 = 0)
                // Same budget (3000 steps) and cadence (every step) as C3.witness: only lambda changes.
                (C3.witness tk { hyper with Lambda = 0.0 } p start entries 3000L 1L rng).Reached))
