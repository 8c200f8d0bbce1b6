namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open MathNet.Numerics.LinearAlgebra

/// The exact gradient `Loss.gradient` of L_λ (THEORY.md §1) against a central finite difference along a
/// random unit direction v in parameter space: φ(t) = L_λ(θ + t v), FD = (φ(h) − φ(−h)) / 2h.
/// The tolerance is a bound, not a guess:
/// - truncation: |FD − φ'(0)| ≤ h²/6 · max_{|t|≤h} |φ'''(t)|. The penalty is quadratic in t (φ''' = 0);
///   the data part is ‖R(t)‖_F²/2N with R(t) = R(0) − M⊙(A(θ+tv) − A(θ)). With w_ℓ = ‖W_ℓ‖_F,
///   v_ℓ = ‖V_ℓ‖_F and p(t) = ∏(w_ℓ + t v_ℓ) = Σ p_k t^k, the t^k coefficient of A(θ+tv) has Frobenius norm
///   ≤ p_k, so ‖R(t)‖² is dominated coefficient-wise by q(t) = (‖R(0)‖ + Σ_{k≥1} p_k t^k)², whose
///   coefficients are non-negative: |φ'''(t)| ≤ q'''(h)/2N on [−h, h].
/// - round-off of φ: |δφ| ≤ γ_n ((‖A*‖_F + p(h))² + λ(‖θ‖ + h)²) (entries of A err by γ_n ∏ norms,
///   each residual square by 2|r|·that, and the sums by γ_n), so the FD errs by ≤ 2|δφ|/2h.
/// - round-off of the analytic ⟨∇L_λ, v⟩: γ_n ((‖R(0)‖ + √N p(0))/N · p_1 + 2λ‖θ‖).
/// h is the grid value in [1e-7, 1e-2] minimising this bound, chosen before the FD is evaluated.
type GradientTests(output: ITestOutputHelper) =

    /// Candidate FD steps (decades): the bound is minimised over them (truncation ∝ h², round-off ∝ 1/h).
    static let stepGrid =
        [| 1e-2; 3e-3; 1e-3; 3e-4; 1e-4; 3e-5; 1e-5; 3e-6; 1e-6; 3e-7; 1e-7 |]

    /// Cases per property: each costs two loss evaluations and one gradient.
    static let cases = 500

    /// Coefficients of ∏(w_ℓ + t v_ℓ), constant term first.
    static let polyProduct (w: float[]) (v: float[]) =
        Array.fold2
            (fun (acc: float[]) wl vl ->
                Array.init (acc.Length + 1) (fun k ->
                    (if k < acc.Length then wl * acc.[k] else 0.0)
                    + (if k > 0 then vl * acc.[k - 1] else 0.0)))
            [| 1.0 |]
            w
            v

    static let polyEval (c: float[]) (t: float) =
        Array.foldBack (fun ck acc -> acc * t + ck) c 0.0

    static let polyDerivative (c: float[]) =
        if c.Length <= 1 then
            [| 0.0 |]
        else
            Array.init (c.Length - 1) (fun k -> float (k + 1) * c.[k + 1])

    static let polySquare (c: float[]) =
        let r = Array.zeroCreate (2 * c.Length - 1)

        for i in 0 .. c.Length - 1 do
            for j in 0 .. c.Length - 1 do
                r.[i + j] <- r.[i + j] + c.[i] * c.[j]

        r

    /// (FD error, tolerance) of the directional derivative of L_λ for `gradient` at the case's point.
    static member Compare (gradient: Task -> float -> Network -> Matrix<float>[]) (c: Case) =
        let task = Gens.task c
        let net = Gens.network c
        let lambda = c.Lambda
        let v = Gens.direction (Gens.rng c 3) net
        let w = Scales.layerNorms net
        let vn = v |> Array.map (Linalg.squaredFrobenius >> sqrt)
        let p = polyProduct w vn
        let r0 = sqrt (Linalg.squaredFrobenius (Loss.residuals task (Network.product net)))
        let q = polySquare (Array.append [| r0 |] p.[1..])
        let q3 = q |> polyDerivative |> polyDerivative |> polyDerivative
        let n = float task.N
        let g = Tolerance.gamma (Scales.accumulation task net)
        let targetNorm = sqrt (Linalg.squaredFrobenius task.Target)
        let thetaNorm = sqrt (Network.squaredNorm net)

        let analyticErr =
            g
            * ((r0 + sqrt n * p.[0]) / n * (if p.Length > 1 then p.[1] else 0.0)
               + 2.0 * lambda * thetaNorm)

        let tolAt h =
            let trunc = h * h / 6.0 * polyEval q3 h / (2.0 * n)

            let fErr =
                g * ((targetNorm + polyEval p h) ** 2.0 + lambda * (thetaNorm + h) ** 2.0)

            trunc + fErr / h + analyticErr

        let h = stepGrid |> Array.minBy tolAt

        let phi t =
            Loss.loss task lambda (Network.axpy t v net)

        let fd = (phi h - phi (-h)) / (2.0 * h)

        let analytic =
            Array.map2
                (fun (gl: Matrix<float>) (vl: Matrix<float>) -> gl.PointwiseMultiply(vl).Enumerate() |> Seq.sum)
                (gradient task lambda net)
                v
            |> Array.sum

        abs (fd - analytic), tolAt h

    /// A deliberately wrong gradient: the penalty's gradient taken as λθ instead of 2λθ.
    static member WrongGradient (task: Task) (lambda: float) (net: Network) =
        Array.map2 (fun (g: Matrix<float>) (w: Matrix<float>) -> g + lambda * w) (Loss.dataGradient task net) net.W

    [<Fact>]
    member _.``gradient.finite-difference: Loss.gradient matches central differences within the FD bound``() =
        let worst = Worst()

        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c ->
                let err, tol = GradientTests.Compare Loss.gradient c
                worst.Record(err, tol) |> Prop.label (sprintf "error %g > tolerance %g" err tol))

        Harness.check "gradient.finite-difference" cases prop |> ignore
        output.WriteLine(worst.Summary "gradient.finite-difference")

    [<Fact>]
    member _.``gradient.finite-difference control: a gradient with penalty lambda*theta is caught``() =
        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c ->
                let err, tol = GradientTests.Compare GradientTests.WrongGradient c
                err <= tol)

        let o = Harness.expectFailure "gradient.finite-difference.control" cases prop
        output.WriteLine(o.Summary)
