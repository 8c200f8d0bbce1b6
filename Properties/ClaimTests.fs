/// The claims C1–C7 of THEORY.md §2 as FsCheck properties, each named with its claim ID, and their negative
/// controls (each must be falsified; the shrunk case is logged). Case builders and checks are the core's
/// `Generators` and `ClaimChecks`, so `lowrank verify` checks exactly the same statements.
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.ClaimArbitraries

/// Counters filled by a property body and printed to the test log.
type private Tally() =
    let counts = SortedDictionary<string, int>()

    member _.Add(key: string) =
        counts.[key] <-
            (match counts.TryGetValue key with
             | true, n -> n + 1
             | _ -> 1)

    member _.Get(key: string) =
        match counts.TryGetValue key with
        | true, n -> n
        | _ -> 0

    member _.Lines = [ for kv in counts -> sprintf "  %-28s %d" kv.Key kv.Value ]

/// E1's parameters (THEORY.md §5 defaults: ε = 0.1, L = 4, η = 0.5, λ = 0.02, W_ℓ = I) for the C5 and C6
/// properties and controls: 10⁶ steps (most SGD chains jump by then), no offshoots, the master seed of the
/// named property.
module private E1Property =

    let named (name: string) =
        { TwoByTwo.defaults with
            Steps = 1_000_000L
            Offshoots = 0
            Seed = Harness.seedOf name
        }

/// Claim properties C1–C7 (xunit class so that each test gets the output helper).
type ClaimTests(output: ITestOutputHelper) =

    let report (title: string) (t: Tally) =
        output.WriteLine title

        for l in t.Lines do
            output.WriteLine l

    let timed name (f: unit -> CheckOutcome) =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let o = f ()
        output.WriteLine(sprintf "%s: %s (%.2fs)" name (o.Summary.Trim()) sw.Elapsed.TotalSeconds)
        o

    /// The seed of a named check's own streams (simulation runs): the harness's seed of that name.
    let streamSeed name = Harness.seedOf name

    [<Fact>]
    member _.``C1.closure: one SGD step from B_r stays in B_r for every entry, inside the derived regime``() =
        let tally = Tally()
        let near = Tally()

        let prop =
            Prop.forAll closureSpecs (fun spec ->
                let c = Generators.closureCaseOf spec
                let inside = Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
                let contained = inside && Region.contains c.Region c.Point

                contained
                ==> lazy
                    (let r = ClaimChecks.closure c
                     let s = r.Before
                     let rel = Generators.relativeSlack c.Region s
                     let k = Region.tightest s

                     let v =
                         match k with
                         | RegionCondition.Balancedness -> rel.Balancedness
                         | RegionCondition.Rank -> rel.Rank
                         | RegionCondition.Bounded -> rel.Bounded

                     tally.Add(sprintf "%A %s" k (Generators.closenessBucket v))

                     for (name, x) in [ "Balancedness", rel.Balancedness; "Rank", rel.Rank; "Bounded", rel.Bounded ] do
                         if x < 1e-6 then
                             near.Add(name + " <1e-6")

                     tally.Add(sprintf "verdict %A" r.Verdict)
                     r.Verdict <> Verdict.Counterexample))

        timed "C1.closure" (fun () -> Harness.check "C1.closure" 1500 prop) |> ignore
        report "C1.closure cases by tightest condition and relative slack (slack / budget):" tally
        report "C1.closure cases with relative slack < 1e-6, per condition (any condition, not only the tightest):" near

        for cond in [ "Balancedness"; "Rank"; "Bounded" ] do
            Assert.True(near.Get(cond + " <1e-6") > 0, sprintf "no C1 case came within 1e-6 of the %s boundary" cond)

    [<Fact>]
    member _.``C2.d7: exact fully observed critical points in B_r obey the rank bound, every root choice``() =
        let tally = Tally()

        let prop =
            Prop.forAll (d7Specs 4 2 5) (fun spec ->
                let tk, depth, lambda, hidden = Generators.d7Case spec
                let mutable rng = Rng.create spec.Seed
                let k = min tk.DOut tk.DIn

                ClaimChecks.allChoices k
                |> List.forall (fun ch ->
                    match CriticalPoints.exactFullyObserved tk lambda hidden ch with
                    | Error _ -> true
                    | Ok(net, a) ->
                        let xs =
                            a
                            |> Array.filter (fun x -> x > 0.0)
                            |> Array.map (fun x -> x ** (2.0 / float depth))

                        let family = FAlpha.all.[Rng.nextInt &rng 2]

                        let alpha = ClaimChecks.alphaAt xs (Rng.nextFloat &rng)
                        let eps2 = ClaimChecks.drawEps2 &rng

                        let p = ClaimChecks.boundaryRegion family alpha eps2 net

                        match ClaimChecks.criticalPointCheck p tk lambda net with
                        | None ->
                            tally.Add "outside B_r"
                            true
                        | Some(excess, tol, v) ->
                            tally.Add(
                                sprintf
                                    "in B_r, rank slack %s"
                                    (Generators.closenessBucket (-excess / (float p.R + p.Eps2)))
                            )

                            tally.Add(sprintf "verdict %A" v)
                            v <> Verdict.Counterexample))

        timed "C2.d7" (fun () -> Harness.check "C2.d7" 100 prop) |> ignore
        report "C2.d7 points:" tally

    [<Fact>]
    member _.``C2.solver: numerically found critical points in B_r obey the rank bound up to their residual``() =
        let tally = Tally()

        let prop =
            Prop.forAll (Arb.fromGen seedGen) (fun seed ->
                let mutable rng = Rng.create seed
                let ts = Generators.taskSpec &rng 3 0.5 2.0
                let tk = Generators.task ts
                let depth = 2 + Rng.nextInt &rng 3

                let widths =
                    Array.concat [ [| tk.DIn |]; Array.create (depth - 1) 3; [| tk.DOut |] ]

                let lambda = 0.002 + 0.05 * Rng.nextFloat &rng
                let start, _ = Network.gaussian rng (0.3 + Rng.nextFloat &rng) widths
                let sol = CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 3000 start
                tally.Add(if sol.Converged then "converged" else "not converged")

                sol.Converged
                ==> lazy
                    (let xs =
                        Linalg.singularValues (Network.product sol.Network)
                        |> Array.map (fun x -> x ** (2.0 / float depth))
                        |> Array.filter (fun x -> x > 1e-12)

                     let alpha = ClaimChecks.alphaAt xs (Rng.nextFloat &rng)
                     let eps2 = ClaimChecks.drawEps2 &rng

                     let p = ClaimChecks.boundaryRegion FAlphaFamily.Piecewise alpha eps2 sol.Network

                     match ClaimChecks.criticalPointCheck p tk lambda sol.Network with
                     | None -> true
                     | Some(excess, tol, v) ->
                         tally.Add(sprintf "tolerance %s" (Generators.closenessBucket tol))
                         tally.Add(sprintf "verdict %A" v)
                         v <> Verdict.Counterexample))

        timed "C2.solver" (fun () -> Harness.check "C2.solver" 15 prop) |> ignore
        report "C2.solver:" tally

    [<Fact>]
    member _.``C3.witness: drawing only r chosen rows or columns reaches B_r from outside``() =
        let tally = Tally()
        let ts = ResizeArray<float>()
        let lp = ResizeArray<float>()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let tk, depth, widths, p, hyper, rng0 =
                    ClaimChecks.randomSimulationCase (streamSeed "C3.witness") i

                let mutable rng = rng0
                let start, r1 = ClaimChecks.outsideStart rng p widths
                rng <- r1
                let entries = ClaimChecks.restrictedEntries &rng tk p.R (Rng.nextInt &rng 2 = 0)
                let w = ClaimChecks.witness tk hyper p start entries 3000L 1L rng
                tally.Add(sprintf "L=%d reached=%b" depth w.Reached)

                if w.Reached then
                    ts.Add(float w.Steps)
                    lp.Add w.LogProbPath

                w.Reached)

        timed "C3.witness" (fun () -> Harness.check "C3.witness" 25 prop) |> ignore
        report "C3.witness runs:" tally

        if ts.Count > 0 then
            output.WriteLine(
                sprintf
                    "  T: min %.0f, max %.0f; log P(path) = T log(1/N): min %.3g, max %.3g"
                    (Seq.min ts)
                    (Seq.max ts)
                    (Seq.min lp)
                    (Seq.max lp)
            )

    [<Fact>]
    member _.``C3.mechanism: with weak decay and data of rank above r, restricted draws reach B_r where SGD does not``
        ()
        =
        let tally = Tally()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let tk, p, w, all = ClaimChecks.mechanism (streamSeed "C3.mechanism") i 20000L
                tally.Add(sprintf "restricted reached=%b, all entries reached=%b" w.Reached all.Reached)

                if w.Reached then
                    tally.Add(
                        sprintf
                            "T %s"
                            (if w.Steps <= 2000L then "<= 2000"
                             elif w.Steps <= 5000L then "<= 5000"
                             else "> 5000")
                    )

                    output.WriteLine(
                        sprintf
                            "  case %d: %dx%d N=%d r=%d: T = %d, log P(path) = %.4g, log P(only restricted draws) = %.4g"
                            i
                            tk.DOut
                            tk.DIn
                            tk.N
                            p.R
                            w.Steps
                            w.LogProbPath
                            w.LogProbSet
                    )

                w.Reached)

        timed "C3.mechanism" (fun () -> Harness.check "C3.mechanism" 6 prop) |> ignore
        report "C3.mechanism cases (same B_r, eta, lambda, start and budget for both runs):" tally
        let contrast = tally.Get "restricted reached=true, all entries reached=false"

        Assert.True(
            contrast > 0,
            "in no case did the restriction matter: the mechanism case does not test the mechanism"
        )

    [<Fact>]
    member _.``C4.absorption: SGD runs in the derived regime never leave B_r after entering it``() =
        let tally = Tally()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let tk, depth, widths, p, hyper, rng0 =
                    ClaimChecks.randomSimulationCase (streamSeed "C4.absorption") i

                let start, r1 = ClaimChecks.outsideStart rng0 p widths
                let a = ClaimChecks.absorption tk hyper p start 400L r1

                tally.Add(
                    match a.HitTime with
                    | Some t when t <= 20L -> "hit <= 20 steps"
                    | Some _ -> "hit > 20 steps"
                    | None -> "not entered in 400"
                )

                if a.RoundOffExits > 0 then
                    tally.Add "round-off-level exits"

                a.Exit.IsNone)

        timed "C4.absorption" (fun () -> Harness.check "C4.absorption" 10 prop)
        |> ignore

        report "C4.absorption runs (from outside B_r):" tally
        let hits = tally.Get "hit <= 20 steps" + tally.Get "hit > 20 steps"
        Assert.True(hits > 0, "no run entered B_r: the absorption property was never exercised")

    [<Fact>]
    member _.``C4.stays: SGD runs started at boundary points of B_r never leave it``() =
        let tally = Tally()

        let prop =
            Prop.forAll closureSpecs (fun spec ->
                let c = Generators.closureCaseOf spec

                (Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
                 && Region.contains c.Region c.Point)
                ==> lazy
                    (let a =
                        ClaimChecks.absorption c.Task c.Hyper c.Region c.Point 300L (Rng.create spec.Point.Seed)

                     tally.Add(sprintf "exit %b" a.Exit.IsSome)
                     a.Exit.IsNone))

        timed "C4.stays" (fun () -> Harness.check "C4.stays" 15 prop) |> ignore
        report "C4.stays runs:" tally

    [<Fact>]
    member _.``C5.e1OneWay: E1 SGD runs that entered B_1 at rank 1 never return to rank 2 (every step)``() =
        let tally = Tally()
        let p = E1Property.named "C5.e1OneWay"

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let r = TwoByTwo.chain p i
                tally.Add(sprintf "outcome %A" r.Outcome)

                if ClaimChecks.c5NonTrivial r then
                    tally.Add "non-trivial"

                ClaimChecks.c5Verdict r <> Verdict.Counterexample
                |> Prop.label (
                    sprintf "chain %d returned to rank 2 at %A after its jump at %A" i r.Events.ReturnSteps r.JumpStep
                ))

        timed "C5.e1OneWay" (fun () -> Harness.check "C5.e1OneWay" 8 prop) |> ignore
        report "C5.e1OneWay runs:" tally
        // the property cannot pass vacuously: most runs must have jumped without collapsing
        Assert.True(tally.Get "non-trivial" >= 4, sprintf "only %d non-trivial runs of 8" (tally.Get "non-trivial"))

    [<Fact>]
    member _.``C6.sdeNotAbsorbed: the SDE chain with SGD's mean and covariance is not absorbed at rank 1``() =
        let tally = Tally()
        let p = E1Property.named "C6.sdeNotAbsorbed"
        let gd = TwoByTwo.gdControl p
        tally.Add(sprintf "GD control %A, final rank %d" gd.Outcome gd.Events.Rank)

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let twin = TwoByTwo.chain p i
                let sde = TwoByTwo.sdeChain p i
                let v, nt = ClaimChecks.c6Case gd twin sde
                tally.Add(sprintf "SDE %A" sde.Outcome)

                if nt then
                    tally.Add "non-trivial"

                v <> Verdict.Counterexample
                |> Prop.label (sprintf "SDE chain %d absorbed at rank 1 from step %A" i sde.JumpStep))

        timed "C6.sdeNotAbsorbed" (fun () -> Harness.check "C6.sdeNotAbsorbed" 10 prop)
        |> ignore

        report "C6.sdeNotAbsorbed chains:" tally
        Assert.True(ClaimChecks.gdAtRankTwo gd, "the GD control left rank 2: the comparison is not informative")

        Assert.True(
            tally.Get "non-trivial" >= 4,
            sprintf "only %d non-trivial SDE chains of 10" (tally.Get "non-trivial")
        )

    [<Fact>]
    member _.``C6.gdKeepsRank: gradient descent from a perturbed rank-2 minimum of E1 keeps rank 2``() =
        let tally = Tally()

        let prop =
            Prop.forAll simulationIndices (fun i ->
                let mutable rng = Rng.stream (streamSeed "C6.gdKeepsRank") (uint64 i)
                let eps = 0.1 + 0.1 * Rng.nextFloat &rng
                let depth = 3 + Rng.nextInt &rng 3
                let lambda = 0.002 + 0.01 * Rng.nextFloat &rng
                let r = ClaimChecks.gdStays eps depth lambda 1000 rng
                let eig, tol = r.MinEigenvalue
                let isMin = r.Ratio.IsSome && eig >= -tol

                tally.Add(
                    if isMin then
                        "rank-2 local minimum"
                    else
                        "no confirmed rank-2 minimum"
                )

                isMin ==> lazy (r.MinRatioAlong >= ClaimChecks.keepFraction * r.Ratio.Value))

        timed "C6.gdKeepsRank" (fun () -> Harness.check "C6.gdKeepsRank" 4 prop)
        |> ignore

        report "C6.gdKeepsRank:" tally

    [<Fact>]
    member _.``C7.multipleMinima: for L >= 3 the fully observed loss has minima of two ranks``() =
        let tally = Tally()

        let prop =
            Prop.forAll (d7Specs 3 3 5) (fun spec ->
                let tk, depth, lambda, hidden = Generators.d7Case spec
                let v, ranks, _ = ClaimChecks.multipleMinima tk depth lambda hidden
                tally.Add(sprintf "minimum ranks %A" ranks)
                v <> Verdict.Counterexample)

        timed "C7.multipleMinima" (fun () -> Harness.check "C7.multipleMinima" 30 prop)
        |> ignore

        report "C7.multipleMinima tasks:" tally

    [<Fact>]
    member _.``C1.closure: a step that overflows is a counterexample (violation +infinity), never a NaN that passes``
        ()
        =
        // a case of the derived regime, then eta = 1e308: the step's entries overflow to infinity
        let c, _ = ClaimChecks.randomClosureCase Harness.ciSeed 0

        let huge =
            { c with
                Hyper = { c.Hyper with Eta = 1e308 }
            }

        let r = ClaimChecks.closure huge
        output.WriteLine(sprintf "%A: violation %g, condition %A" r.Verdict r.Violation r.Condition)
        Assert.Equal(Verdict.Counterexample, r.Verdict)
        Assert.Equal(infinity, r.Violation)
        Assert.Equal(Some RegionCondition.Bounded, r.Condition)
        // control: the same case at its own eta holds (the verdict comes from the overflow)
        Assert.NotEqual(Verdict.Counterexample, (ClaimChecks.closure c).Verdict)

/// Negative controls: the claim checks under violated hypotheses. Each must be falsified by FsCheck.
type ControlTests(output: ITestOutputHelper) =

    let control name count prop =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let o = Harness.expectFailure name count prop

        output.WriteLine(
            sprintf "%s falsified as required (%.2fs); shrunk case:\n%s" name sw.Elapsed.TotalSeconds o.Summary
        )

    let closureHolds (rule: StepRule) (c: ClosureCase) =
        let r = ClaimChecks.closureWith rule c
        not r.Contained || r.Verdict <> Verdict.Counterexample

    [<Fact>]
    member _.``C1.control.lambdaZero: without weight decay the closure check fails``() =
        control
            "C1.control.lambdaZero"
            200
            (Prop.forAll closureSpecs (fun spec ->
                let c = Generators.closureCaseOf spec

                closureHolds
                    Sgd.step
                    { c with
                        Hyper = { c.Hyper with Lambda = 0.0 }
                    }))

    [<Fact>]
    member _.``C1.control.largeEta: with eta = 30 etaMax the closure check fails``() =
        control
            "C1.control.largeEta"
            200
            (Prop.forAll closureSpecs (fun spec ->
                let c = Generators.closureCaseOf spec

                closureHolds
                    Sgd.step
                    { c with
                        Hyper =
                            { c.Hyper with
                                Eta = 30.0 * c.Hyper.Eta
                            }
                    }))

    [<Fact>]
    member _.``C1.control.depthTwo: with L = 2 and data of rank r + 1 the closure check fails``() =
        control
            "C1.control.depthTwo"
            100
            (Prop.forAll depthTwoSpecs (fun spec -> closureHolds Sgd.step (ClaimChecks.depthTwoCaseOf spec)))

    [<Fact>]
    member _.``C1.control.brokenStep: an SGD step with decay 1 + 2 eta lambda fails the closure check``() =
        control
            "C1.control.brokenStep"
            200
            (Prop.forAll closureSpecs (fun spec -> closureHolds ClaimChecks.brokenStep (Generators.closureCaseOf spec)))

    [<Fact>]
    member _.``C5.control.sdeNoise: with the SDE chain (Gaussian noise of SGD's mean and covariance) runs return to rank 2``
        ()
        =
        let p = E1Property.named "C5.control.sdeNoise"

        control
            "C5.control.sdeNoise"
            400
            (Prop.forAll simulationIndices (fun i ->
                ClaimChecks.c5Verdict (TwoByTwo.sdeChain p i) <> Verdict.Counterexample))

    [<Fact>]
    member _.``C6.control.sgdAsSde: SGD chains in the SDE's role are absorbed at rank 1, so the C6 check fails``() =
        let p = E1Property.named "C6.control.sgdAsSde"
        let gd = TwoByTwo.gdControl p

        control
            "C6.control.sgdAsSde"
            20
            (Prop.forAll simulationIndices (fun i ->
                let sgd = TwoByTwo.chain p i
                fst (ClaimChecks.c6Case gd sgd sgd) <> Verdict.Counterexample))

    [<Fact>]
    member _.``C2.control.noRegion: critical points outside B_r (r one below their rank) break the bound``() =
        control
            "C2.control.noRegion"
            50
            (Prop.forAll (d7Specs 4 2 5) (fun spec ->
                let tk, depth, lambda, hidden = Generators.d7Case spec

                ClaimChecks.allChoices (min tk.DOut tk.DIn)
                |> List.forall (fun ch ->
                    match ClaimChecks.c2WithoutRegion tk depth lambda hidden ch with
                    | Some(qa, bound, tol) -> qa - bound <= tol
                    | None -> true)))

    [<Fact>]
    member _.``C4.control.lambdaZero: without weight decay SGD runs leave B_r``() =
        control
            "C4.control.lambdaZero"
            60
            (Prop.forAll closureSpecs (fun spec ->
                let c = Generators.closureCaseOf spec

                not (Region.contains c.Region c.Point)
                || (ClaimChecks.absorption
                        c.Task
                        { c.Hyper with Lambda = 0.0 }
                        c.Region
                        c.Point
                        300L
                        (Rng.create spec.Point.Seed))
                    .Exit.IsNone))

    [<Fact>]
    member _.``C3.control.lambdaZero: without weight decay restricted draws find no witness``() =
        control
            "C3.control.lambdaZero"
            10
            (Prop.forAll simulationIndices (fun i ->
                let tk, _, widths, p, hyper, rng0 =
                    ClaimChecks.randomSimulationCase (Harness.seedOf "C3.control.lambdaZero") i

                let mutable rng = rng0
                let start, r1 = ClaimChecks.outsideStart rng p widths
                rng <- r1
                let entries = ClaimChecks.restrictedEntries &rng tk p.R (Rng.nextInt &rng 2 = 0)
                // Same budget (3000 steps) and cadence (every step) as C3.witness: only lambda changes.
                (ClaimChecks.witness tk { hyper with Lambda = 0.0 } p start entries 3000L 1L rng).Reached))

    [<Fact>]
    member _.``C7.control.depthTwo: for L = 2 the minima have a single rank``() =
        control
            "C7.control.depthTwo"
            20
            (Prop.forAll (d7Specs 3 2 2) (fun spec ->
                let tk, depth, lambda, hidden = Generators.d7Case spec
                let v, _, _ = ClaimChecks.multipleMinima tk depth lambda hidden
                v <> Verdict.Counterexample))
