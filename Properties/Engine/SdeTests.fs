/// The SDE step of C6 (Theory.FSharp/Sde.fs): the fast in-place step equals the reference one, and its
/// mean and covariance are exactly those of one SGD step (the mean of the N per-sample steps, D2, and
/// their covariance), to round-off; a step with the wrong noise scale is caught.
module LowRankVerify.Properties.SdeTests

open Xunit
open FsCheck
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open LowRankVerify.Theory

/// A random task and network (`Gens.general`: depth 1..6, widths 1..8) with N standard normal draws.
let private sdeCase = Gens.arbCase Gens.general

/// The draws ξ of a case: N standard normals from its stream 3.
let private drawsOf (c: Case) (task: Task) =
    fst (Rng.gaussians (Gens.rng c 3) task.N)

/// The fast step (`SdeEngine.stepScaled`, noise scale `noise`) from `net` with the draws `xi`, as a vector.
let private fastStep (noise: float) (hyper: Hyper) (task: Task) (net: Network) (xi: float[]) =
    let st = Engine.create task net
    let sc = SdeEngine.scratch st
    Array.blit xi 0 sc.Xi 0 xi.Length
    SdeEngine.stepScaled st sc hyper noise |> ignore
    Network.toVector (Engine.toNetwork st)

/// Per-layer magnitude of every term the SDE step adds (a bound on the scale of its round-off): the
/// decayed layer, η times the mean data gradient and (η/√N) Σ_k |ξ_k − ξ̄| times twice a per-sample
/// gradient; a per-sample gradient r a_ℓ b_ℓᵀ is at most (max|A*| + ∏‖W‖_F)·∏_{k≠ℓ}‖W_k‖_F
/// (`Scales.stepScale` with η = 1 and decay 0).
let private stepMagnitude (hyper: Hyper) (task: Task) (net: Network) (xi: float[]) =
    let g = Scales.stepScale 0.0 1.0 task net
    let norms = Scales.layerNorms net
    let n = float task.N
    let mean = Array.average xi
    let spread = xi |> Array.sumBy (fun x -> abs (x - mean))

    Array.init net.Depth (fun l ->
        (1.0 + 2.0 * hyper.Eta * hyper.Lambda) * norms.[l]
        + hyper.Eta * g.[l]
        + 2.0 * hyper.Eta / sqrt n * spread * g.[l])
    |> Array.max

/// Accumulation length of the step's round-off: the chains (L·w), the sums over N entries, the decay.
let private accumulation (task: Task) (net: Network) =
    Scales.accumulation task net + 2 * task.N + 4

[<Fact>]
let ``SdeEngine.step equals the reference Sde.stepWith up to round-off`` () =
    Harness.check
        "sde.fastEqualsReference"
        300
        (Prop.forAll sdeCase (fun c ->
            let task = Gens.task c
            let net = Gens.network c
            let hyper = Gens.hyper c
            let xi = drawsOf c task
            let fast = fastStep 1.0 hyper task net xi
            let reference = Network.toVector (Sde.stepWith hyper task xi net)

            let bound =
                Tolerance.gamma (accumulation task net) * stepMagnitude hyper task net xi

            let gap = Array.map2 (fun a b -> abs (a - b)) fast reference |> Array.max
            gap <= bound |> Prop.label (sprintf "gap %g > bound %g" gap bound)))
    |> ignore

/// Mean and covariance of the (fast, noise scale `noise`) SDE step against one SGD step, as (mean gap,
/// mean bound, covariance gap, covariance bound). The step is affine in ξ, so for ξ ~ N(0, I_N) its mean
/// is the step at ξ = 0 and its covariance Σ_k v_k v_kᵀ with v_k = step(e_k) − step(0), exactly. SGD's
/// step θ_k = `Sgd.step` at entry k has mean `Gd.step` (D2) and covariance (1/N) Σ_k (θ_k − θ̄)(θ_k − θ̄)ᵀ.
/// Bounds: every computed step vector is off by at most δ = γ_n × `stepMagnitude` (n = `accumulation`),
/// so a difference of two is off by 2δ, θ̄ by δ, and a sum of N products of such differences, each of
/// size ≤ M, by at most N(4δM + 4δ²), for both covariances together 2N·4δ(M + δ).
let private moments (noise: float) (c: Case) =
    let task = Gens.task c
    let net = Gens.network c
    let hyper = Gens.hyper c
    let n = task.N
    let zero = Array.zeroCreate n
    let m = fastStep noise hyper task net zero
    let gd = Network.toVector (Gd.step hyper task net)

    let v =
        Array.init n (fun k ->
            let e = Array.init n (fun q -> if q = k then 1.0 else 0.0)
            Array.map2 (-) (fastStep noise hyper task net e) m)

    let sgd =
        task.Observed
        |> Array.map (fun e -> Network.toVector (Sgd.step hyper task net e))

    let mean = Array.init m.Length (fun i -> sgd |> Array.averageBy (fun x -> x.[i]))
    let dev = sgd |> Array.map (fun x -> Array.map2 (-) x mean)

    let cov (vs: float[][]) (w: float) =
        Matrix<float>.Build.Dense(m.Length, m.Length, fun i j -> w * (vs |> Array.sumBy (fun x -> x.[i] * x.[j])))

    let cSde = cov v 1.0
    let cSgd = cov dev (1.0 / float n)

    // the largest draw spread used is that of a unit vector e_k
    let delta =
        Tolerance.gamma (accumulation task net)
        * stepMagnitude hyper task net (Array.init n (fun q -> if q = 0 then 1.0 else 0.0))

    let big =
        Array.append v dev
        |> Array.map (Array.fold (fun a x -> max a (abs x)) 0.0)
        |> Array.fold max 0.0

    let meanGap = Array.map2 (fun a b -> abs (a - b)) m gd |> Array.max
    let covGap = Linalg.maxAbs (cSde - cSgd)
    meanGap, 2.0 * delta, covGap, 8.0 * float n * delta * (big + delta)

[<Fact>]
let ``Sde step has SGD's exact mean (the GD step, D2) and covariance (the per-sample SGD steps'), to round-off`` () =
    Harness.check
        "sde.moments"
        300
        (Prop.forAll sdeCase (fun c ->
            let mg, mb, cg, cb = moments 1.0 c

            (mg <= mb && cg <= cb)
            |> Prop.label (sprintf "mean gap %g (bound %g), covariance gap %g (bound %g)" mg mb cg cb)))
    |> ignore

[<Fact>]
let ``negative control: an SDE step with noise scaled by 1/sqrt N (eta/N instead of eta/sqrt N) is caught`` () =
    Harness.expectFailure
        "sde.moments.control.scale"
        300
        (Prop.forAll sdeCase (fun c ->
            let task = Gens.task c
            let mg, mb, cg, cb = moments (1.0 / sqrt (float task.N)) c
            mg <= mb && cg <= cb))
    |> ignore
