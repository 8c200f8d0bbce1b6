/// The (η, λ) maps of `Explore` (Theory.FSharp/Explore.fs).
namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open LowRankVerify.Theory

/// The C1 map (`Explore`): a cell inside the derived regime holds, a cell at large eta and small lambda
/// has a confirmed counterexample (the map's negative control), and the boundary row reads them in order.
type ExploreTests(output: ITestOutputHelper) =

    [<Fact>]
    member _.``Explore C1 map: inside the regime holds, large eta with small lambda fails``() =
        let tk = Task.e1 0.1

        let cell eta lambda =
            Explore.closureCell
                tk
                4
                1
                FAlphaFamily.Piecewise
                Explore.defaultKappas
                100
                (Harness.seedOf "explore.cell")
                eta
                lambda

        let good = cell 1e-8 1.0
        let bad = cell 1.0 0.01

        output.WriteLine(
            sprintf
                "good: holds %b kappa %A inRegime %b; bad: holds %b inRegime %b %A"
                good.Holds
                good.KappaC
                good.InRegime
                bad.Holds
                bad.InRegime
                (bad.Counterexample |> Option.map (fun f -> f.Description))
        )

        Assert.True(good.InRegime && good.Holds)
        Assert.True(not bad.InRegime && not bad.Holds)
        Assert.Equal(Verdict.Counterexample, bad.Counterexample.Value.Status)

        let m =
            Explore.closureMap
                (Explore.closureMapOf tk 4 1 FAlphaFamily.Piecewise [| 1e-8; 1.0 |] [| 1.0 |] [| 2.0 |] 100 [||])
                (Harness.seedOf "explore.map")
                ignore

        let (_, derived, held, failed) = (Explore.boundary m).[0]
        Assert.True(derived > 0.0)
        Assert.Equal(Some 1e-8, held)
        Assert.Equal(Some 1.0, failed)

    [<Fact>]
    member _.``Explore E1 phases: the classification of summaries``() =
        let s =
            {
                FractionJumped = 0.75
                FractionCollapsed = 0.0
                FractionDiverged = 0.0
                JumpMedian = Some 1e5
                JumpQ1 = None
                JumpQ3 = None
                TotalReturns = 0
                GdFinalRank = 2
                GdJumpStep = None
                OffshootErrorAfterJump = None
                OffshootErrorBeforeJump = None
            }

        Assert.Equal("SGD jumps, GD stays at rank 2", Explore.phase s)

        Assert.Equal(
            "GD reaches rank 1, SGD does not jump",
            Explore.phase
                { s with
                    FractionJumped = 0.0
                    GdFinalRank = 1
                }
        )

        Assert.Equal("both reach rank 1", Explore.phase { s with GdFinalRank = 1 })
        Assert.Equal("neither: SGD does not jump, GD at rank 2", Explore.phase { s with FractionJumped = 0.0 })
        // a jump needs a strict majority of the chains: half is not enough
        Assert.Equal("neither: SGD does not jump, GD at rank 2", Explore.phase { s with FractionJumped = 0.5 })
        // chains that passed rank 1 on their way to 0 count as collapsed, not jumped
        Assert.Equal(
            "SGD collapses to 0",
            Explore.phase
                { s with
                    FractionJumped = 0.25
                    FractionCollapsed = 0.75
                }
        )

        Assert.Equal("SGD diverges", Explore.phase { s with FractionDiverged = 1.0 })
