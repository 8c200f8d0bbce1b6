namespace LowRankVerify.Properties

open System.Collections.Concurrent
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open MathNet.Numerics.LinearAlgebra

/// D1–D7 as FsCheck properties, each with a negative control that must be falsified.
type IdentityTests(output: ITestOutputHelper) =

    /// Cases per cheap property (one step, a few products).
    static let cases = 500

    /// Cases per property that builds exact critical points (SVDs of every layer).
    static let criticalCases = 300

    /// Solver cases: each runs `CriticalPoints.solve` (descent + finite-difference Newton).
    static let solverCases = 60

    /// Least number of converged solver cases away from the zero point for D3/D4 to count as exercised.
    static let minConverged = 30

    let log (o: CheckOutcome) =
        output.WriteLine(o.Name + ": " + o.Summary)

    let checkPairs name n arb (f: Case -> (float * float)[]) =
        let worst = Worst()
        let prop = Prop.forAll arb (fun c -> IdentityChecks.worstOf worst (f c))
        Harness.check name n prop |> ignore
        output.WriteLine(worst.Summary name)

    let controlPairs name n arb (f: Case -> (float * float)[]) =
        let prop = Prop.forAll arb (fun c -> f c |> Array.forall (fun (e, t) -> e <= t))
        Harness.expectFailure name n prop |> log

    // ---------------------------------------------------------------- D1

    [<Fact>]
    member _.``D1.balancedness-recursion``() =
        checkPairs
            "D1.balancedness-recursion"
            cases
            (Gens.arbCase Gens.general)
            (IdentityChecks.d1 (fun c -> 1.0 - 2.0 * c.Eta * c.Lambda))

    [<Fact>]
    member _.``D1.balancedness-recursion control: decay 1 - eta lambda breaks it``() =
        controlPairs
            "D1.balancedness-recursion.control"
            cases
            (Gens.arbCase Gens.general)
            (IdentityChecks.d1 (fun c -> 1.0 - c.Eta * c.Lambda))

    // ---------------------------------------------------------------- D2

    [<Fact>]
    member _.``D2.mean-step``() =
        checkPairs "D2.mean-step" cases (Gens.arbCase Gens.general) (IdentityChecks.d2 Sgd.meanStep)

    [<Fact>]
    member _.``D2.mean-step control: decay 1 - eta lambda breaks it``() =
        controlPairs
            "D2.mean-step.control"
            cases
            (Gens.arbCase Gens.general)
            (IdentityChecks.d2 IdentityChecks.wrongMeanStep)

    // ---------------------------------------------------------------- D3 / D4 at D7 points

    [<Fact>]
    member _.``D3.critical-balanced at exact D7 points``() =
        checkPairs
            "D3.critical-balanced.exact"
            criticalCases
            (Gens.arbCaseWhere IdentityChecks.d7Valid IdentityChecks.d7Spec)
            (fun c ->
                let task, net, _, _ = IdentityChecks.d7Point c
                let rho = CriticalPoints.relativeResidual task c.Lambda net
                Array.append (IdentityChecks.d3Balance task c.Lambda rho net) (IdentityChecks.d3Spectra net))

    [<Fact>]
    member _.``D3.critical-balanced control: a perturbed non-critical point claimed critical fails``() =
        controlPairs
            "D3.critical-balanced.control"
            criticalCases
            (Gens.arbCaseWhere IdentityChecks.d7Valid IdentityChecks.d7Spec)
            (fun c ->
                let task, net, _, _ = IdentityChecks.d7Point c
                let moved = IdentityChecks.perturb c net

                Array.append
                    (IdentityChecks.d3Balance task c.Lambda Tolerance.criticalPointTarget moved)
                    (IdentityChecks.d3Spectra moved))

    [<Fact>]
    member _.``D4.euler-identity at exact D7 points``() =
        checkPairs
            "D4.euler-identity.exact"
            criticalCases
            (Gens.arbCaseWhere IdentityChecks.d7Valid IdentityChecks.d7Spec)
            (fun c ->
                let task, net, _, _ = IdentityChecks.d7Point c
                let rho = CriticalPoints.relativeResidual task c.Lambda net
                [| IdentityChecks.d4 task c.Lambda rho net |])

    [<Fact>]
    member _.``D4.euler-identity control: a perturbed non-critical point claimed critical fails``() =
        controlPairs
            "D4.euler-identity.control"
            criticalCases
            (Gens.arbCaseWhere IdentityChecks.d7Valid IdentityChecks.d7Spec)
            (fun c ->
                let task, net, _, _ = IdentityChecks.d7Point c

                [|
                    IdentityChecks.d4 task c.Lambda Tolerance.criticalPointTarget (IdentityChecks.perturb c net)
                |])

    // ---------------------------------------------------------------- D3 / D4 at solver points

    [<Fact>]
    member _.``D3.critical-balanced and D4.euler-identity at solver points``() =
        let converged = ref 0
        let tried = ref 0
        let nonZero = ref 0

        let counting (f: Case -> (float * float)[]) (c: Case) =
            let r = IdentityChecks.solve c
            tried.Value <- tried.Value + 1

            if r.Converged then
                converged.Value <- converged.Value + 1

                if Network.squaredNorm r.Network > IdentityChecks.zeroPointNorm then
                    nonZero.Value <- nonZero.Value + 1

                f c
            else
                [||]

        let arb = Gens.arbCase IdentityChecks.solverSpec

        checkPairs
            "D3.critical-balanced.solver"
            solverCases
            arb
            (counting (fun c ->
                let r = IdentityChecks.solve c
                let task = Gens.task c

                Array.append
                    (IdentityChecks.d3Balance task c.Lambda r.RelativeResidual r.Network)
                    (IdentityChecks.d3Spectra r.Network)))

        output.WriteLine(
            sprintf
                "D3 solver: %d of %d solves converged to %g, %d of them away from the zero point (||theta||^2 > %g)"
                converged.Value
                tried.Value
                Tolerance.criticalPointTarget
                nonZero.Value
                IdentityChecks.zeroPointNorm
        )

        Assert.True(
            nonZero.Value >= minConverged,
            sprintf "only %d of %d solves converged away from 0" nonZero.Value tried.Value
        )

        checkPairs "D4.euler-identity.solver" solverCases arb (fun c ->
            let r = IdentityChecks.solve c

            if r.Converged then
                [| IdentityChecks.d4 (Gens.task c) c.Lambda r.RelativeResidual r.Network |]
            else
                [||])

    // ---------------------------------------------------------------- D5

    [<Fact>]
    member _.``D5.representation-cost balanced networks attain L sum s^(2/L)``() =
        checkPairs "D5.representation-cost.balanced" cases (Gens.arbCase Gens.general) (fun c ->
            let s, net = IdentityChecks.d5Balanced c
            [| IdentityChecks.d5Equality s net |])

    [<Fact>]
    member _.``D5.representation-cost control: an unbalanced network of the same product does not attain it``() =
        controlPairs "D5.representation-cost.balanced.control" cases (Gens.arbCase Gens.general) (fun c ->
            let s, net = IdentityChecks.d5Balanced c
            [| IdentityChecks.d5Equality s (IdentityChecks.d5Transform c net) |])

    [<Fact>]
    member _.``D5.representation-cost is a lower bound for every network``() =
        checkPairs
            "D5.representation-cost.minimal"
            cases
            (Gens.arbCase Gens.general)
            (IdentityChecks.d5Minimal IdentityChecks.cost)

    [<Fact>]
    member _.``D5.representation-cost control: the cost of depth L+1 is not a lower bound``() =
        controlPairs
            "D5.representation-cost.minimal.control"
            cases
            (Gens.arbCase Gens.general)
            (IdentityChecks.d5Minimal (fun l s -> IdentityChecks.cost (l + 1) s))
    // ---------------------------------------------------------------- D6

    [<Fact>]
    member _.``D6.gauge-invariance``() =
        checkPairs "D6.gauge-invariance" cases (Gens.arbCase Gens.general) (fun c ->
            IdentityChecks.d6 IdentityChecks.orthogonalFrames c
            |> Array.map (fun (_, e, t) -> e, t))

    [<Fact>]
    member _.``D6.gauge-invariance control: non-orthogonal frames break it``() =
        controlPairs "D6.gauge-invariance.control" cases (Gens.arbCase Gens.general) (fun c ->
            IdentityChecks.d6 IdentityChecks.skewedFrames c
            |> Array.map (fun (_, e, t) -> e, t))

    // ---------------------------------------------------------------- D7

    [<Fact>]
    member _.``D7.fully-observed-closed-form``() =
        let counts = System.Collections.Generic.Dictionary<RootChoice * int, int>()

        checkPairs
            "D7.fully-observed-closed-form"
            criticalCases
            (Gens.arbCaseWhere IdentityChecks.d7Valid IdentityChecks.d7Spec)
            (fun c ->
                let task, net, a, choices = IdentityChecks.d7Point c

                for ch in choices do
                    let key = ch, c.Depth

                    counts.[key] <-
                        (match counts.TryGetValue key with
                         | true, v -> v + 1
                         | _ -> 1)

                [| IdentityChecks.d7Residual c task net a |])

        for KeyValue((ch, l), n) in counts |> Seq.sortBy (fun kv -> snd kv.Key, string (fst kv.Key)) do
            output.WriteLine(sprintf "  L=%d %A: %d singular values" l ch n)

    [<Fact>]
    member _.``D7.fully-observed-closed-form control: roots of the wrong equation are not critical``() =
        controlPairs
            "D7.fully-observed-closed-form.control"
            criticalCases
            (Gens.arbCaseWhere IdentityChecks.d7Valid IdentityChecks.d7Spec)
            (fun c ->
                let task, net, a = IdentityChecks.d7WrongPoint c
                [| IdentityChecks.d7Residual c task net a |])

    [<Fact>]
    member _.``D7.root-count: for L >= 3 the equation has 0 or 2 roots``() =
        let counts = Array.zeroCreate 3

        let prop =
            Prop.forAll (IdentityChecks.rootCase (3, 6)) (fun (l, s, c) ->
                let n = (CriticalPoints.roots l s c).Length

                if n <= 2 then
                    counts.[n] <- counts.[n] + 1

                IdentityChecks.rootCount (l, s, c))

        Harness.check "D7.root-count" cases prop |> ignore

        output.WriteLine(
            sprintf "D7.root-count: %d cases with 0 roots, %d with 1, %d with 2" counts.[0] counts.[1] counts.[2]
        )

        Assert.True(counts.[0] > 0 && counts.[2] > 0, "both outcomes must be exercised")

    [<Fact>]
    member _.``D7.root-count control: for L = 2 there is one root``() =
        let prop = Prop.forAll (IdentityChecks.rootCase (2, 2)) IdentityChecks.rootCount
        Harness.expectFailure "D7.root-count.control" cases prop |> log
