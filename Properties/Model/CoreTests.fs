namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open MathNet.Numerics.LinearAlgebra

/// Unit tests and small properties of the model's building blocks: the f_α families, B_r slack and membership,
/// the derived regime's R0, and the roots of D7's equation.
type CoreTests(output: ITestOutputHelper) =

    static let near = Harness.near

    /// W_1 = diag(2, 0), W_2 = diag(1, 0): D_2 = diag(−3, 0) (‖D‖² = 9), s²(W_1) = {4, 0}, s²(W_2) = {1, 0},
    /// ‖W_1‖² = 4, ‖W_2‖² = 1.
    static let twoLayer =
        {
            W =
                [|
                    Linalg.M.DenseOfDiagonalArray [| 2.0; 0.0 |]
                    Linalg.M.DenseOfDiagonalArray [| 1.0; 0.0 |]
                |]
        }

    static let region =
        {
            R = 1
            Eps1 = 10.0
            Eps2 = 0.5
            Alpha = 1.0
            C = 5.0
            Family = FAlphaFamily.Piecewise
        }

    [<Fact>]
    member _.``FAlpha families: f(0) = 0, f = 1 from alpha on, midpoint values``() =
        for family in FAlpha.all do
            for alpha in [| 1e-6; 0.5; 3.0 |] do
                Assert.Equal(0.0, FAlpha.eval family alpha 0.0)
                Assert.Equal(0.0, FAlpha.eval family alpha -1.0)
                Assert.Equal(1.0, FAlpha.eval family alpha alpha)
                Assert.Equal(1.0, FAlpha.eval family alpha (2.0 * alpha))

        Assert.Equal(0.5, FAlpha.eval FAlphaFamily.Piecewise 2.0 1.0)
        Assert.Equal(0.75, FAlpha.eval FAlphaFamily.Quadratic 2.0 1.0)

    [<Fact>]
    member _.``FAlpha families are increasing, concave and Lipschitz on a grid``() =
        for family in FAlpha.all do
            let alpha = 0.7
            // dyadic grid (exact doubles, exact differences) from −1/16 to about 1.5; f errs by ≤ u per value
            let xs = Array.init 401 (fun k -> float (k - 16) / 256.0)
            let fs = xs |> Array.map (FAlpha.eval family alpha)
            let lip = FAlpha.lipschitz family alpha

            for k in 1 .. xs.Length - 1 do
                Assert.True(fs.[k] >= fs.[k - 1], sprintf "%s decreases at %g" (FAlpha.name family) xs.[k])

                Assert.True(
                    fs.[k] - fs.[k - 1] <= lip * (xs.[k] - xs.[k - 1]) + Tolerance.gamma 4,
                    sprintf "%s steeper than its Lipschitz constant at %g" (FAlpha.name family) xs.[k]
                )
            // concavity on x >= 0 (second differences <= round-off)
            for k in 17 .. xs.Length - 2 do
                Assert.True(
                    fs.[k + 1] - 2.0 * fs.[k] + fs.[k - 1] <= Tolerance.gamma 4,
                    sprintf "%s convex at %g" (FAlpha.name family) xs.[k]
                )

    [<Fact>]
    member _.``FAlpha names parse back``() =
        for family in FAlpha.all do
            Assert.Equal(Ok family, FAlpha.parse "--f-alpha" (FAlpha.name family))

    [<Fact>]
    member _.``Region.measure and slack of a hand-computed network``() =
        let tol = Tolerance.gamma 8 * 16.0
        let m = Region.measure FAlphaFamily.Piecewise 1.0 twoLayer
        Array.iter2 (near tol) [| 9.0 |] m.Balancedness
        Array.iter2 (near tol) [| 1.0; 1.0 |] m.ApproximateRanks
        Array.iter2 (near tol) [| 4.0; 1.0 |] m.SquaredNorms
        let s = Region.slack region twoLayer
        near tol 1.0 s.Balancedness
        near tol 0.5 s.Rank
        near tol 1.0 s.Bounded
        Assert.True(Region.contains region twoLayer)
        Assert.Equal(RegionCondition.Rank, Region.tightest s)
        // quadratic family with α = 8: f(4) = 0.75, f(1) = 2/8 − 1/64
        let q = Region.measure FAlphaFamily.Quadratic 8.0 twoLayer
        Array.iter2 (near tol) [| 0.75; 2.0 / 8.0 - 1.0 / 64.0 |] q.ApproximateRanks

    [<Fact>]
    member _.``Region.contains fails exactly on the violated condition``() =
        let tol = Tolerance.gamma 8 * 16.0

        let cases =
            [
                { region with C = 3.0 }, RegionCondition.Bounded, -1.0
                { region with Eps1 = 8.0 }, RegionCondition.Balancedness, -1.0
                { region with R = 0; Eps2 = 0.25 }, RegionCondition.Rank, -0.75
            ]

        for p, condition, slack in cases do
            let s = Region.slack p twoLayer
            Assert.False(Region.contains p twoLayer)
            Assert.Equal(condition, Region.tightest s)
            near tol slack s.Min

    [<Fact>]
    member _.``Region.slack of a one-layer network has the whole balancedness budget``() =
        let net =
            {
                W = [| Linalg.M.DenseOfDiagonalArray [| 1.0; 0.5 |] |]
            }

        let s = Region.slack { region with Eps1 = 0.125 } net
        Assert.Equal(0.125, s.Balancedness)

    [<Fact>]
    member _.``Regime R0 is strict: lambda = 0 or eta = 0 violates it, small positive values do not``() =
        let task = Task.e1 0.1
        let p = Regime.derive Regime.defaults task 4 1 0.1

        let r0 (eta: float) (lambda: float) =
            Regime.conditions { Eta = eta; Lambda = lambda } p task 4 Regime.defaults.Rho
            |> List.find (fun c -> c.Id = "R0")

        Assert.False((r0 1e-3 0.0).Holds, "lambda = 0 must violate R0 (lambda > 0)")
        Assert.False((r0 0.0 0.1).Holds, "eta = 0 must violate R0 (eta > 0)")
        Assert.True((r0 1e-3 0.1).Holds, "eta = 1e-3, lambda = 0.1 satisfies R0")
        Assert.True((r0 1e-150 1e-150).Holds, "tiny positive eta and lambda satisfy R0")
        Assert.False((r0 1e-300 1e-300).Holds, "2 eta lambda underflowing to 0 (decay exactly 1) violates R0")

    [<Fact>]
    member _.``CriticalPoints.roots closed forms for L = 1 and L = 2 and empty cases``() =
        Assert.Equal<float[]>([| 2.0 / 1.5 |], CriticalPoints.roots 1 2.0 0.5)
        Assert.Equal<float[]>([| 1.5 |], CriticalPoints.roots 2 2.0 0.5)
        Assert.Empty(CriticalPoints.roots 2 0.5 0.5)
        Assert.Empty(CriticalPoints.roots 3 0.0 0.5)
        Assert.Empty(CriticalPoints.roots 3 1.0 0.0)
        // L = 3: (s − a) a^{1/3} peaks at a = s/4 with value (3s/4)(s/4)^{1/3}; above it no root.
        let s = 2.0
        let peak = 0.75 * s * (s / 4.0) ** (1.0 / 3.0)
        Assert.Empty(CriticalPoints.roots 3 s (peak * 1.01))
        Assert.Equal(2, (CriticalPoints.roots 3 s (peak * 0.99)).Length)

    [<Fact>]
    member _.``CriticalPoints.roots for L >= 3 solve the equation to the bracket accuracy``() =
        for depth in 3..6 do
            for c in [| 1e-3; 0.05; 0.3 |] do
                let s = 1.7
                let p = 1.0 - 2.0 / float depth

                for a in CriticalPoints.roots depth s c do
                    Assert.True(a > 0.0 && a < s)
                    // |g(a)| ≤ |g'| · (bracket) + round-off of g, with |g'(a)| ≤ a^{p-1}(p s + a).
                    let g = (s - a) * a ** p - c

                    let bound =
                        a ** (p - 1.0)
                        * (p * s + a)
                        * Tolerance.rootBracketUlps
                        * Tolerance.machineEpsilon
                        * a
                        + Tolerance.gamma 4 * (s * a ** p + c)

                    Assert.True(abs g <= bound, sprintf "L=%d c=%g root %g: g = %g > %g" depth c a g bound)
