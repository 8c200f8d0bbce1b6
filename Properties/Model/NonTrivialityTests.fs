/// Non-triviality of C1 and C4 (`NonTriviality`, issue #11): λ's scale is D7's exact threshold for fully
/// observed tasks (a certified minimum of rank > r below it, none above it: the criterion's negative
/// control), a certificate re-checks from its minimum alone, and `Generators.toBoundary` builds imbalance
/// that is not aligned with the layers' singular frames (the aligned construction is its control).
namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open LowRankVerify.Theory

/// Tests of `NonTriviality` and of the misaligned points of `Generators`.
type NonTrivialityTests(output: ITestOutputHelper) =

    /// Fully observed tasks (sizes 2..4, rank ≥ 2), depth 3..5, hidden widths min(d_out, d_in), r below the
    /// target's rank, from the named seed.
    let fullTasks (name: string) (count: int) =
        [
            for i in 0 .. count - 1 do
                let mutable rng = Rng.stream (Harness.seedOf name) (uint64 i)
                let dOut = 2 + Rng.nextInt &rng 3
                let dIn = 2 + Rng.nextInt &rng 3
                let k = min dOut dIn

                let ts =
                    {
                        DOut = dOut
                        DIn = dIn
                        TargetRank = 2 + Rng.nextInt &rng (k - 1)
                        Scale = 0.2 + Rng.nextFloat &rng
                        Kind = TaskKind.Full
                        Seed = Rng.nextUInt64 &rng
                    }

                let depth = 3 + Rng.nextInt &rng 3
                let r = Rng.nextInt &rng ts.TargetRank
                yield Generators.task ts, depth, Array.create (depth - 1) k, r
        ]

    [<Fact>]
    member _.``lambdaScale is D7's threshold: a certified minimum of rank > r below it, none above it``() =
        let mutable below, above = 0, 0

        for tk, depth, hidden, r in fullTasks "nontriviality.d7" 20 do
            let scale = NonTriviality.lambdaScale tk depth hidden r
            Assert.True(scale > 0.0)
            let under = NonTriviality.certify tk (0.9 * scale) hidden
            let over = NonTriviality.certify tk (1.1 * scale) hidden

            output.WriteLine(
                sprintf
                    "%dx%d L=%d r=%d scale %.4g: 0.9x rank %d (residual %.2g, eig %.2g >= -%.2g), 1.1x rank %d"
                    tk.DOut
                    tk.DIn
                    depth
                    r
                    scale
                    under.Rank
                    under.Residual
                    under.MinEigenvalue
                    under.EigenTolerance
                    over.Rank
            )

            // below the threshold D7's point with r + 1 Large roots is a local minimum: certified
            Assert.True(under.RankAbove r, "below lambdaScale the rank > r minimum is certified")
            below <- below + 1
            // above it no singular value from the (r+1)-th on has a root: no minimum of rank > r (negative control)
            Assert.False(over.RankAbove r, "above lambdaScale no minimum of rank > r exists (D7)")
            above <- above + 1

        Assert.Equal(20, below)
        Assert.Equal(20, above)

    [<Fact>]
    member _.``a certificate re-checks from its minimum alone``() =
        for tk, depth, hidden, r in fullTasks "nontriviality.recheck" 8 do
            let lambda = 0.5 * NonTriviality.lambdaScale tk depth hidden r
            let c = NonTriviality.certify tk lambda hidden
            Assert.Equal(c.Residual, CriticalPoints.relativeResidual tk lambda c.Minimum)
            let sv = Linalg.singularValues (Network.product c.Minimum)
            Assert.Equal<float[]>(c.SingularValues, sv)
            Assert.True(c.Converged && c.SecondOrder && c.Rank > r)
            // the Hessian check is not vacuous: at the smaller root (a saddle) it fails
            let u, s, v = Linalg.thinSvd tk.Target
            let roots = CriticalPoints.roots depth s.[0] (2.0 * lambda * float tk.N)
            let cols (m: MathNet.Numerics.LinearAlgebra.Matrix<float>) = m.SubMatrix(0, m.RowCount, 0, 1)
            let saddle = Network.balanced (cols u) [| roots.[0] |] (cols v) hidden
            let h = CriticalPoints.hessian tk lambda saddle
            let eig = h.Evd().EigenValues |> Seq.map (fun z -> z.Real) |> Seq.min
            Assert.True(eig < -NonTriviality.hessianTolerance h, "the small root is a saddle: negative eigenvalue")

    [<Fact>]
    member _.``toBoundary: misaligned imbalance on the boundary of B_r; the aligned construction is its control``() =
        let offDiagonal (net: Network) =
            // the largest share of ||D_l||_F off the diagonal of the eigenbasis of W_l^T W_l
            [
                for l in 1 .. net.W.Length - 1 do
                    let w = net.W.[l]
                    let d = w.TransposeThisAndMultiply(w) - net.W.[l - 1] * net.W.[l - 1].Transpose()
                    let total = d.FrobeniusNorm()
                    // a pair balanced up to round-off has a D of round-off noise: no frame to compare
                    if total > 1e-8 * (w.FrobeniusNorm() ** 2.0 + 1e-300) then
                        let evd = w.TransposeThisAndMultiply(w).Evd()
                        let q = evd.EigenVectors
                        let dq = q.Transpose() * d * q
                        let diag = Linalg.M.DenseOfDiagonalArray(dq.Diagonal().ToArray())
                        yield (dq - diag).FrobeniusNorm() / total
            ]
            |> List.fold max 0.0

        let mutable misaligned, aligned = 0, 0

        for i in 0..199 do
            let mutable rng = Rng.stream (Harness.seedOf "nontriviality.toBoundary") (uint64 i)
            let spec = Generators.closureSpec &rng 4 3 4

            let spec =
                { spec with
                    Point =
                        { spec.Point with
                            BalanceEdge = true
                            RankEdge = false
                            NormEdge = false
                            Full = max 1 spec.Point.Full
                            R = max 1 spec.Point.R
                        }
                }

            let c = Generators.closureCaseOf spec

            if
                Region.contains c.Region c.Point
                && Network.widths c.Point |> Array.forall (fun w -> w >= 2)
            then
                let off = offDiagonal c.Point
                let s, b = Region.slackAndBound c.Region c.Point
                let rel = Generators.relativeSlack c.Region s
                let relBound = Generators.relativeSlack c.Region b

                if spec.Point.Misaligned then
                    // on the boundary: some condition within 10x the requested relative slack, plus 10x its
                    // measurement's round-off (with eps1 ~ 1e-17 the balancedness slack is noise at 1e-7)
                    let delta = 0.5 * 10.0 ** (-(float spec.Point.SlackExponent))

                    let near =
                        [
                            rel.Balancedness - 10.0 * relBound.Balancedness
                            rel.Rank - 10.0 * relBound.Rank
                            rel.Bounded - 10.0 * relBound.Bounded
                        ]
                        |> List.min

                    Assert.True(near <= 10.0 * delta, sprintf "misaligned point not at the boundary: %A" rel)

                    if off > 1e-3 then
                        misaligned <- misaligned + 1
                else
                    // the aligned construction keeps D_l diagonal in the layers' shared frame
                    Assert.True(off < 1e-6, sprintf "aligned imbalance off the shared frame: %g" off)
                    aligned <- aligned + 1

        output.WriteLine(
            sprintf "misaligned points with > 1e-3 of ||D|| off the frame: %d; aligned points: %d" misaligned aligned
        )

        Assert.True(misaligned >= 10 && aligned >= 10)
