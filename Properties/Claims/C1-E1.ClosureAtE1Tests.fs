/// C1-E1, C1's exploratory row at the slides' operating point (Theory.FSharp/Claims/C1-E1.ClosureAtE1.fs).
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.CaseArbitraries

/// C1-E1's check.
type C1E1ClosureAtE1Tests(output: ITestOutputHelper) =

    let timedOutcome name f = ClaimLog.timedOutcome output name f

    [<Fact>]
    member _.``C1.e1Point: exploratory row at the slides' operating point; perturbed rank-1 minima on B_1's boundary leave it``
        ()
        =
        let b =
            {
                Cases = 300
                Seed = Harness.ciSeed
                SimulationSteps = 1000L
                MinNonTrivial = 10
                MinNonTrivialRuns = 2
            }

        let o = timedOutcome "C1.e1Point" (fun () -> Verify.check C1E1.definition b ignore)
        output.WriteLine(o.BoundaryCoverage)
        Assert.Equal(ClaimId.C1E1, o.Claim)
        Assert.True(o.CasesTried > 1000, "chain points after the jumps were checked")
        Assert.Equal(o.NonTrivialCases, ClaimOutcome.nonTrivialCount o.Cases)
        Assert.True(o.Cases |> List.forall (fun c -> c.Claim = ClaimId.C1E1))
        // the finding (measured): points of B_1 at its boundary near the rank-1 minimum leave B_1 in one step
        Assert.Equal(Verdict.Counterexample, o.Verdict)
        Assert.NotEmpty o.Counterexamples
