namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open MathNet.Numerics.LinearAlgebra

/// Rescaled singular values (`Linalg.singularValues`) at every scale, against MathNet's unscaled SVD.
type LinalgTests(output: ITestOutputHelper) =

    static let near = Harness.near

    /// Cases of the singular-value property.
    static let cases = 200

    /// A matrix with known singular values: U diag(s) Vᵀ × 10^e with Haar U (rows × k), V (cols × k),
    /// s in [1e-3, 1] and e in [-290, 290], from the case's stream 9 (shape from the case's outer widths).
    static let knownSvd (c: Case) : Matrix<float> * float[] =
        let rows, cols = c.DOut, c.DIn
        let k = min rows cols
        let mutable r = Gens.rng c 9
        let e = -290.0 + 580.0 * Rng.nextFloat &r

        let s =
            Array.init k (fun _ -> 10.0 ** (-3.0 * Rng.nextFloat &r))
            |> Array.sortDescending

        let u, r1 = Linalg.randomOrthonormal r rows k
        let v, _ = Linalg.randomOrthonormal r1 cols k
        let scale = 10.0 ** e
        u * Linalg.M.DenseOfDiagonalArray s * v.Transpose() * scale, s |> Array.map (fun x -> x * scale)

    /// max_i |computed_i − s_i| against γ(4(rows + cols)) · sqrt(k) · s_max: a backward-stable SVD errs by
    /// γ‖X‖_F, and building X from U, s, V errs by as much again.
    static let svdError (singular: Matrix<float> -> float[]) (c: Case) =
        let x, s = knownSvd c
        let computed = singular x
        let err = Array.map2 (fun a b -> abs (a - b)) computed s |> Array.max

        err,
        Tolerance.gamma (4 * (x.RowCount + x.ColumnCount))
        * sqrt (float s.Length)
        * s.[0]

    [<Fact>]
    member _.``Linalg.singularValues is accurate at every scale from 1e-290 to 1e290``() =
        let worst = Worst()

        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c -> worst.Record(svdError Linalg.singularValues c))

        Harness.check "core.singular-values.scales" cases prop |> ignore
        output.WriteLine(worst.Summary "core.singular-values.scales")

    [<Fact>]
    member _.``Linalg.singularValues control: MathNet's unscaled SVD loses tiny singular values``() =
        let raw (x: Matrix<float>) =
            x.Svd(false).S.ToArray() |> Array.map abs |> Array.sortDescending

        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c -> let e, t = svdError raw c in e <= t)

        let o = Harness.expectFailure "core.singular-values.scales.control" cases prop
        output.WriteLine(o.Summary)

    [<Fact>]
    member _.``Linalg.singularValues of a 1e-16-scaled matrix keeps its small singular value``() =
        let x =
            Linalg.M.DenseOfRowArrays [| [| 3e-16; 1e-17 |]; [| 2e-17; 1e-16 |]; [| 1e-17; 5e-17 |] |]

        let expected = Linalg.singularValues (x * 1e16) |> Array.map (fun s -> s * 1e-16)
        let actual = Linalg.singularValues x
        Assert.Equal(2, actual.Length)
        Assert.True(actual.[1] > 0.5e-16, sprintf "second singular value %g collapsed" actual.[1])
        Array.iter2 (near (Tolerance.gamma 8 * 4e-16)) expected actual

    [<Fact>]
    member _.``Linalg.singularValues of a subnormal matrix (regression: the solver's zero critical point)``() =
        // A_θ at a converged solver point of D3.critical-balanced.solver (LOWRANK_SEED=2): every entry is
        // subnormal, and the old `x / scale` overflowed 1/scale to ∞.
        let x =
            Linalg.M.DenseOfRowArrays
                [|
                    [| -4.940656458412465e-324; -1.4821969375237396e-323; -4.940656458412465e-324 |]
                    [| -1.976262583364986e-323; -5.928787750094958e-323; -1.4821969375237396e-323 |]
                |]

        let up = 2.0 ** 1000.0 // exact power-of-two scaling into the normal range
        let expected = Linalg.singularValues (x * up) |> Array.map (fun s -> s / up)
        let actual = Linalg.singularValues x
        // subnormals are multiples of 2^-1074: the scaled-back values agree to a few such units
        let floor = 4.0 * 4.940656458412465e-324
        Array.iter2 (near (Tolerance.gamma 8 * expected.[0] + floor)) expected actual

    [<Fact>]
    member _.``Linalg.singularValues of exact diagonal matrices and of zero and empty matrices``() =
        let d = Linalg.M.DenseOfDiagonalArray [| 1e-16; 3e-16; 2e-16 |]
        Array.iter2 (near (Tolerance.gamma 6 * 3e-16)) [| 3e-16; 2e-16; 1e-16 |] (Linalg.singularValues d)
        Assert.Equal<float[]>([| 0.0; 0.0 |], Linalg.singularValues (Linalg.M.Dense(2, 3)))
        Assert.Empty(Linalg.singularValues (Linalg.M.Dense(0, 3)))
