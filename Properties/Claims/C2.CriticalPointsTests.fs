/// C2 Critical points (Theory.FSharp/Claims/C2.CriticalPoints.fs) as FsCheck properties, with its negative controls.
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.CaseArbitraries

/// Helpers of the C2 properties and controls.
[<RequireQualifiedAccess>]
module internal C2Checks =

    /// C2's spectrum bound at a random network (index `i` of `seed`: sizes 1..4, depth 2..5, hidden widths 1..4,
    /// Gaussian layers, so imbalanced and mostly misaligned): (max_i |ŝ_i² − x̂_i^L|, E of `C2.spectrumError`
    /// from the MEASURED ‖D_ℓ‖_F scaled by `factor`, round-off of the computed x̂_i^L: L·γ_n·x̂_1^L with n the
    /// longest accumulation). x̂_i = s_i(W_1ᵀW_1); missing values count as 0.
    let spectrumGap (seed: uint64) (i: int) (factor: float) =
        let mutable rng = Rng.stream seed (uint64 i)
        let dOut = 1 + Rng.nextInt &rng 4
        let dIn = 1 + Rng.nextInt &rng 4
        let depth = 2 + Rng.nextInt &rng 4
        let w = 1 + Rng.nextInt &rng 4
        let widths = Array.concat [ [| dIn |]; Array.create (depth - 1) w; [| dOut |] ]
        let scale = 0.3 + Rng.nextFloat &rng
        let net, _ = Network.gaussian rng scale widths

        let d =
            Network.balancednessMatrices net
            |> Array.map (fun m -> factor * sqrt (Linalg.squaredFrobenius m))

        let a = Linalg.singularValues (Network.product net)
        let x = Linalg.singularValues net.W.[0] |> Array.map (fun s -> s * s)

        let gap =
            [
                for j in 0 .. a.Length - 1 -> abs (a.[j] * a.[j] - (if j < x.Length then x.[j] ** float depth else 0.0))
            ]
            |> List.max

        let roundOff =
            float depth
            * Tolerance.gamma (Array.max widths + 2)
            * (if x.Length > 0 then x.[0] ** float depth else 0.0)

        gap, C2.spectrumError d net a.[0], roundOff

/// C2's properties and controls.
type C2CriticalPointsTests(output: ITestOutputHelper) =

    let report = ClaimLog.report output
    let timed name f = ClaimLog.timed output name f
    let control name count prop = ClaimLog.control output name count prop

    /// The seed of a named check's own streams (simulation runs): the harness's seed of that name.
    let streamSeed name = Harness.seedOf name

    [<Fact>]
    member _.``C2.d7: exact fully observed critical points in B_r obey the rank bound, every root choice``() =
        let tally = Tally()

        let prop =
            Prop.forAll (d7Specs 4 2 5) (fun spec ->
                let tk, depth, lambda, hidden = Generators.d7Case spec
                let mutable rng = Rng.create spec.Seed
                let k = min tk.DOut tk.DIn

                ClaimCases.allChoices k
                |> List.forall (fun ch ->
                    match CriticalPoints.exactFullyObserved tk lambda hidden ch with
                    | Error _ ->
                        tally.Add "root choice without a critical point"
                        true
                    | Ok(net, a) ->
                        let xs =
                            a
                            |> Array.filter (fun x -> x > 0.0)
                            |> Array.map (fun x -> x ** (2.0 / float depth))

                        let family = FAlpha.all.[Rng.nextInt &rng 2]

                        let alpha = ClaimCases.alphaAt xs (Rng.nextFloat &rng)
                        let eps2 = ClaimCases.drawEps2 &rng

                        let p = ClaimCases.boundaryRegion family alpha eps2 net

                        match C2.checkPoint p tk lambda net with
                        | None ->
                            tally.Add "outside B_r"
                            true
                        | Some m ->
                            tally.Add(
                                sprintf "in B_r, rank slack %s" (Generators.closenessBucket (-m.Excess / m.Bound))
                            )

                            tally.Add(sprintf "verdict %A" m.Verdict)
                            m.Verdict <> Verdict.Counterexample))

        timed "C2.d7" (fun () -> Harness.check "C2.d7" 100 prop) |> ignore
        report "C2.d7 points (a round-off check: balanced by construction):" tally

    [<Fact>]
    member _.``C2.spectrumError: the bound E of the C2 tolerance holds at random imbalanced networks``() =
        let ratios = ResizeArray<float>()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let gap, e, roundOff = C2Checks.spectrumGap (streamSeed "C2.spectrumError") i 1.0
                ratios.Add(gap / e)
                gap <= e + roundOff)

        timed "C2.spectrumError" (fun () -> Harness.check "C2.spectrumError" 300 prop)
        |> ignore
        // E is attained (gap/E = 1) by rank-one layers: the bound is sharp, its control halves it
        output.WriteLine(sprintf "  largest |s_i(A)^2 - x_i^L| / E: %.6g" (Seq.max ratios))

    /// C2 at solver points (`pointOf i` gives the task, λ, depth and the solver's result) at the exact rank
    /// boundary of B_r: the property, and at least `minNonTrivial` converged non-zero points in B_r.
    member private _.SolvedPoints
        (name: string)
        (count: int)
        (minNonTrivial: int)
        (pointOf: int -> (Task * float * int * SolverResult) option)
        =
        let tally = Tally()
        let ratios = ResizeArray<float>()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                match pointOf i with
                | None ->
                    tally.Add "no start"
                    Prop.ofTestable true
                | Some(tk, lambda, depth, sol) ->
                    tally.Add(if sol.Converged then "converged" else "not converged")

                    sol.Converged
                    ==> lazy
                        (let p = C2.solvedRegion (Rng.stream (streamSeed name) (uint64 i)) depth sol.Network

                         match C2.checkPoint p tk lambda sol.Network with
                         | None ->
                             tally.Add "outside B_r"
                             true
                         | Some m ->
                             if m.NumericalRank > 0 then
                                 tally.Add "non-trivial (converged, in B_r, A <> 0)"
                                 ratios.Add((m.Quantity - m.LayerQuantity) / m.Tolerance)
                             else
                                 tally.Add "A = 0"

                             tally.Add(sprintf "tolerance %s" (Generators.closenessBucket m.Tolerance))
                             tally.Add(sprintf "verdict %A" m.Verdict)
                             m.Verdict <> Verdict.Counterexample))

        timed name (fun () -> Harness.check name count prop) |> ignore
        report (name + ":") tally

        if ratios.Count > 0 then
            output.WriteLine(sprintf "  largest (sum over A - max layer sum)/tolerance: %.3g" (Seq.max ratios))

        let nonTrivial = tally.Get "non-trivial (converged, in B_r, A <> 0)"

        Assert.True(
            nonTrivial >= minNonTrivial * Harness.scale,
            sprintf "%s: only %d non-trivial points (at least %d required)" name nonTrivial minNonTrivial
        )

    [<Fact>]
    member this.``C2.solver: numerically found critical points in B_r obey the rank bound up to their residual``() =
        this.SolvedPoints "C2.solver" 15 8 (fun i ->
            let tk, depth, lambda, start, _, _ =
                ClaimCases.c2SolverCase (streamSeed "C2.solver.cases") i

            Some(tk, lambda, depth, CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 3000 start))

    [<Fact>]
    member this.``C2.resolved: D7 points perturbed in random directions and re-solved obey the rank bound``() =
        this.SolvedPoints "C2.resolved" 15 8 (fun i ->
            ClaimCases.c2ResolvedCase (streamSeed "C2.resolved.cases") i
            |> Option.map (fun (tk, depth, lambda, _, _, _, _, start) ->
                tk, lambda, depth, CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 3000 start))

    [<Fact>]
    member _.``C2.control.noRegion: critical points outside B_r (r one below their rank) break the bound``() =
        control
            "C2.control.noRegion"
            50
            (Prop.forAll (d7Specs 4 2 5) (fun spec ->
                let tk, depth, lambda, hidden = Generators.d7Case spec

                ClaimCases.allChoices (min tk.DOut tk.DIn)
                |> List.forall (fun ch ->
                    match C2.withoutRegion tk depth lambda hidden ch with
                    | Some(qa, bound, tol) -> qa - bound <= tol
                    | None -> true)))

    [<Fact>]
    member _.``C2.control.spectrumErrorHalved: E from half the imbalance is broken``() =
        control
            "C2.control.spectrumErrorHalved"
            300
            (Prop.forAll simulationIndices (fun i ->
                let gap, e, roundOff =
                    C2Checks.spectrumGap (Harness.seedOf "C2.control.spectrumErrorHalved") i 0.5

                gap <= e + roundOff))

    [<Fact>]
    member _.``C2.control.notCritical: non-critical imbalanced points inside B_r break the bound without the gradient term``
        ()
        =
        control
            "C2.control.notCritical"
            50
            (Prop.forAll simulationIndices (fun i ->
                let inside, m, _, _, _ =
                    C2.withoutCriticality (Harness.seedOf "C2.control.notCritical") i

                not inside || m.Verdict <> Verdict.Counterexample))
