module LowRankVerify.Properties.SegmentTests

open Xunit
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory

/// A small E1 run cut into segments: parameters (some η large enough to diverge, widths on both
/// engine paths: ≤ 4 fused, ≥ 5 lazy scales), the run (kind and chain index; GD's is -1) and the segment
/// budgets (cycled until the run is done).
type private SegmentCase =
    {
        P: E1Params
        Kind: E1RunKind
        Chain: int
        Budgets: int64[]
    }

let private segmentCase =
    gen {
        let! depth = Gen.choose (1, 5)
        let! width = Gen.elements [ 1; 2; 3; 5; 6 ]
        let! eta = Gen.elements [ 0.05; 0.2; 0.5; 2.0; 5.0 ]
        let! lambda = Gen.elements [ 0.0; 0.005; 0.02 ]
        let! steps = Gen.choose (1, 3000)
        let! offshoots = Gen.choose (0, 3)
        let! seed = Gen.choose (0, System.Int32.MaxValue)
        let! chain = Gen.choose (-1, 3)
        let! sde = Gen.elements [ false; true ]
        let! budgets = Gen.arrayOfLength 4 (Gen.choose (1, 700) |> Gen.map int64)

        let p =
            { E1.defaults with
                Depth = depth
                Width = width
                Eta = eta
                Lambda = lambda
                Steps = int64 steps
                Seeds = 4
                Seed = uint64 seed
                Offshoots = offshoots
                OffshootEta = min eta 0.05
                OffshootLambda = min lambda 0.00005
                OffshootMaxSteps = 400L
                ObservationsPerDecade = 10
            }

        return
            {
                P = p
                Kind =
                    (if chain < 0 then E1RunKind.Gd
                     elif sde then E1RunKind.Sde
                     else E1RunKind.Sgd)
                Chain = chain
                Budgets = budgets
            }
    }

/// Runs the case in segments; `tamper` is applied to the cursor between segments (identity for the
/// property, a deliberate corruption for the negative control).
let private segmented (tamper: E1Params -> E1Cursor -> E1Cursor) (c: SegmentCase) =
    let mutable cur = E1.cursorStartOf c.Kind c.P c.Chain
    let mutable k = 0

    while not cur.Done do
        cur <- E1.advance c.P cur c.Budgets.[k % c.Budgets.Length]

        if not cur.Done then
            cur <- tamper c.P cur

        k <- k + 1

    E1.finish cur

let private whole (c: SegmentCase) = E1.runOf c.Kind c.P c.Chain

[<Fact>]
let ``checkpoint: an E1 run cut into segments equals the uninterrupted run bit for bit`` () =
    Harness.check
        "checkpoint.segments"
        150
        (Prop.forAll (Arb.fromGen segmentCase) (fun c -> segmented (fun _ x -> x) c = whole c))
    |> ignore

[<Fact>]
let ``negative control: segments that restart the entry stream are caught`` () =
    Harness.expectFailure
        "checkpoint.control.rngRestart"
        150
        (Prop.forAll (Arb.fromGen segmentCase) (fun c ->
            segmented
                (fun p x ->
                    { x with
                        Rng = E1.streamOf p x.Kind x.Chain
                    })
                c = whole c))
    |> ignore

[<Fact>]
let ``negative control: segments that forget the every-step monitor are caught`` () =
    Harness.expectFailure
        "checkpoint.control.monitor"
        150
        (Prop.forAll (Arb.fromGen segmentCase) (fun c ->
            segmented (fun _ x -> { x with Monitor = E1Monitor.empty }) c = whole c))
    |> ignore

[<Fact>]
let ``negative control: segments that drop the lazy scales are caught`` () =
    Harness.expectFailure
        "checkpoint.control.scales"
        150
        (Prop.forAll (Arb.fromGen segmentCase) (fun c ->
            segmented
                (fun _ x ->
                    { x with
                        Engine =
                            x.Engine
                            |> Option.map (fun e ->
                                { e with
                                    Scales = Array.map (fun s -> s * 0.5) e.Scales
                                })
                    })
                c = whole c))
    |> ignore

[<Fact>]
let ``E1 divergence is reported at its step with finite observations`` () =
    // η = 5 at the E1 defaults: residuals blow up within a few hundred steps.
    let p =
        { E1.defaults with
            Eta = 5.0
            Steps = 100_000L
            Seeds = 2
            Offshoots = 2
        }

    let r = E1.chain p 0
    Assert.True(r.Diverged)
    let step = r.DivergenceStep.Value
    Assert.True(step >= 0L && step < p.Steps)
    // The run stopped at the divergent step: every observation before it, every number finite.
    Assert.All(
        r.Observations,
        fun o ->
            Assert.True(o.Step <= step)

            Assert.True(
                System.Double.IsFinite o.S1
                && System.Double.IsFinite o.S2
                && System.Double.IsFinite o.TestError
            )
    )
    // One step earlier the run is still finite: the step is exact.
    let before = E1.advance p (E1.cursorStart p 0) step
    Assert.True(before.DivergenceStep.IsNone)
    let after = E1.advance p before 1L
    Assert.Equal(Some step, after.DivergenceStep)
    // Cut into segments of 1, 2 and 3 steps (through every grid point and the divergent step), the run
    // and the GD control are unchanged.
    let c =
        {
            P = { p with Steps = 3000L }
            Kind = E1RunKind.Sgd
            Chain = 0
            Budgets = [| 1L; 2L; 3L |]
        }

    Assert.Equal(whole c, segmented (fun _ x -> x) c)
    Assert.True((whole c).Diverged)

    let g =
        { c with
            Chain = -1
            Kind = E1RunKind.Gd
        }

    Assert.Equal(whole g, segmented (fun _ x -> x) g)
    // and an SDE chain at the same η, which diverges too
    let d = { c with Kind = E1RunKind.Sde }
    Assert.Equal(whole d, segmented (fun _ x -> x) d)
