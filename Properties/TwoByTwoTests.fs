module LowRankVerify.Properties.TwoByTwoTests

open Xunit
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory

/// A small random E1-shaped case: ε, depth 1..5, width 1..3, η, λ and a Gaussian network (seeded).
type private GdCase = { P: TwoByTwoParams; Net: Network }

let private gdCase =
    gen {
        let! eps = Gen.choose (1, 100) |> Gen.map (fun k -> float k / 100.0)
        let! depth = Gen.choose (1, 5)
        let! width = Gen.choose (1, 3)
        let! eta = Gen.choose (1, 50) |> Gen.map (fun k -> float k / 100.0)
        let! lambda = Gen.choose (0, 50) |> Gen.map (fun k -> float k / 1000.0)
        let! seed = Gen.choose (0, System.Int32.MaxValue) |> Gen.map uint64

        let p =
            { TwoByTwo.defaults with
                Epsilon = eps
                Depth = depth
                Width = width
                Eta = eta
                Lambda = lambda
            }

        let net, _ = Network.gaussian (Rng.create seed) 0.8 (TwoByTwo.widths p)
        return { P = p; Net = net }
    }

/// Largest absolute entry of every layer together.
let private maxAbsNet (net: Network) =
    net.W |> Array.map Linalg.maxAbs |> Array.max

/// Round-off bound of the fast GD step against `Gd.step`: both sum the same O(L·w·N) products in a
/// different order, so the difference is at most γ_n (n = 4·L·w·N + 4) times the magnitude of the
/// terms summed, max|θ| + η·N·max|∇L| (the per-entry terms are at most N times the mean gradient's
/// scale, bounded here by the product norms), times the safety factor inside `Tolerance.gamma`.
let private gdBound (p: TwoByTwoParams) (net: Network) =
    let task = TwoByTwo.task p
    let n = 4 * p.Depth * max 2 p.Width * task.N + 4

    let prefixNorm =
        net.W
        |> Array.map (fun w -> 1.0 + Linalg.maxAbs w * float (max 2 p.Width))
        |> Array.fold (*) 1.0

    let residual = 1.0 / p.Epsilon + Linalg.maxAbs (Network.product net) + 1.0

    Tolerance.gamma n
    * (maxAbsNet net + p.Eta * float task.N * residual * prefixNorm)

/// Distance between `TwoByTwo.gdStep` (run with `fastHyper`) and `Gd.step` (run with the case's η, λ).
let private gdGap (fastHyper: TwoByTwoParams -> Hyper) (c: GdCase) =
    let task = TwoByTwo.task c.P
    let hyper = { Eta = c.P.Eta; Lambda = c.P.Lambda }
    let reference = Gd.step hyper task c.Net
    let st = Engine.create task c.Net
    let scratch = Engine.create task c.Net
    let len = st.Weights.Length

    TwoByTwo.gdStep st scratch (Array.zeroCreate len) (Array.zeroCreate len) (fastHyper c.P)
    |> ignore

    let fast = Engine.toNetwork st

    Array.map2 (fun (a: MathNet.Numerics.LinearAlgebra.Matrix<float>) b -> Linalg.maxAbs (a - b)) fast.W reference.W
    |> Array.max

[<Fact>]
let ``E1 fast gradient-descent step equals Gd.step up to round-off (D2)`` () =
    Harness.check
        "e1.gdStep.equalsGd"
        200
        (Prop.forAll (Arb.fromGen gdCase) (fun c ->
            gdGap (fun p -> { Eta = p.Eta; Lambda = p.Lambda }) c <= gdBound c.P c.Net))
    |> ignore

[<Fact>]
let ``negative control: a fast GD step with doubled lambda is caught`` () =
    Harness.expectFailure
        "e1.gdStep.control.lambda"
        200
        (Prop.forAll (Arb.fromGen gdCase) (fun c ->
            gdGap (fun p -> { Eta = p.Eta; Lambda = 2.0 * p.Lambda }) c <= gdBound c.P c.Net))
    |> ignore

let private matrix2 =
    gen {
        let! xs = Gen.arrayOfLength 4 (Gen.choose (-1000, 1000) |> Gen.map (fun k -> float k / 100.0))
        let! e = Gen.choose (-320, 3)
        return Linalg.M.Dense(2, 2, xs |> Array.map (fun x -> x * 10.0 ** float e))
    }

/// Relative round-off bound of the closed form against MathNet's SVD: both are backward stable, so
/// each singular value errs by γ_n·s_1 with a few operations per entry (n = 16); below the normal
/// range the final rescaling rounds to the subnormal spacing (System.Double.Epsilon = 2^-1074), so a few
/// of those are added.
let private svBound (s1: float) =
    Tolerance.gamma 16 * s1 + 4.0 * System.Double.Epsilon

[<Fact>]
let ``E1 closed-form 2x2 singular values match the SVD, also near underflow`` () =
    Harness.check
        "e1.singularValues2"
        300
        (Prop.forAll (Arb.fromGen matrix2) (fun a ->
            let s1, s2 = TwoByTwo.singularValues2 a
            let sv = Linalg.singularValues a
            abs (s1 - sv.[0]) <= svBound sv.[0] && abs (s2 - sv.[1]) <= svBound sv.[0]))
    |> ignore

[<Fact>]
let ``negative control: swapped singular values are caught`` () =
    Harness.expectFailure
        "e1.singularValues2.control"
        300
        (Prop.forAll (Arb.fromGen matrix2) (fun a ->
            let s2, s1 = TwoByTwo.singularValues2 a
            let sv = Linalg.singularValues a
            abs (s1 - sv.[0]) <= svBound sv.[0] && abs (s2 - sv.[1]) <= svBound sv.[0]))
    |> ignore

[<Fact>]
let ``E1 results do not depend on the thread count`` () =
    let p =
        { TwoByTwo.defaults with
            Steps = 20_000L
            Seeds = 3
            Offshoots = 2
            OffshootMaxSteps = 20_000L
        }

    let one = TwoByTwo.run p 1 ignore
    let two = TwoByTwo.run p 2 ignore
    Assert.True((one = two), "E1 with 1 and 2 threads differ")
    // Control: another master seed changes the chains (the comparison above can fail).
    let other = TwoByTwo.run { p with Seed = p.Seed + 1UL } 2 ignore
    Assert.False((other.Chains = two.Chains), "a different seed gave identical chains")
