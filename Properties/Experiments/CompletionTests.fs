module LowRankVerify.Properties.CompletionTests

open Xunit
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory

/// Parameters of a completion experiment on `task` with the ladder's default constants.
let private paramsFor (task: Task) (source: TaskSource) (depth: int) (width: int) (start: StartKind) (mode: SgdMode) =
    let widths = CompletionTask.widths task depth width

    let net =
        match CompletionTask.start task widths 1UL start with
        | Ok n -> n
        | Error e -> failwithf "%A" e

    {
        Task = task
        Source = source
        Depth = depth
        Width = width
        Start = start
        Eta = 0.1
        Lambda = 0.005
        Steps = 1000L
        Seeds = 4
        Seed = 1UL
        Offshoots = 0
        OffshootEta = 0.01
        OffshootLambda = 0.0
        OffshootMaxSteps = 300L
        GdSteps = 1000L
        Sde = false
        SdeSteps = 1L
        ObservationsPerDecade = 5
        EventInterval = 100L
        Ladder = Ladder.defaults task net
        Mode = mode
    }

/// θ of the chain in slot `lane` of a unit after `steps` steps, through the experiment's own code
/// (`Completion.advance`; the unit's horizon must exceed `steps` so that the cursor still holds θ).
let private networkAfter (p: CompletionParams) (unit: int) (lane: int) (steps: int64) =
    let c = Completion.advance p (Completion.cursors p).[unit] steps

    if c.Step <> steps || c.Records.[lane].DivergenceStep.IsSome then
        failwithf "the run stopped at %d of %d steps (diverged: %A)" c.Step steps c.Records.[lane].DivergenceStep

    match c.Engine, c.Lanes with
    | Some snap, _ ->
        match Engine.restore p.Task (Completion.widthsOf p) snap with
        | Ok st -> Engine.toNetwork st
        | Error e -> failwithf "%A" e
    | None, Some w ->
        let n = c.Records.Length

        let e =
            Ensemble.create
                p.Task
                (Array.create n (Completion.startNetwork p))
                (Array.create n { Eta = p.Eta; Lambda = p.Lambda })
                p.Seed

        System.Array.Copy(w, e.Weights, w.Length)
        Ensemble.toNetwork e lane
    | None, None -> failwith "the unit holds no state"

/// A blocks case: m blocks of E1's task, depth, η, λ, the chain, the steps and the engine.
type private BlockCase =
    {
        P: CompletionParams
        M: int
        Epsilon: float
        Chain: int
        Steps: int64
    }

/// Blocks cases in the regime where E1 chains stay finite (η ≤ 0.5 at width 2 per block, L ≤ 5), on both
/// engines and both engine paths (total width 2m ≤ 4: fused decay; ≥ 6: lazy scales), from `start`.
let private blockCase (start: StartKind) =
    gen {
        let! m = Gen.choose (1, 4)
        let! eps = Gen.elements [ 0.05; 0.1; 0.3 ]
        let! depth = Gen.choose (2, 5)
        let! eta = Gen.elements [ 0.05; 0.2; 0.5 ]
        let! lambda = Gen.elements [ 0.0; 0.005; 0.02 ]
        let! chain = Gen.choose (0, 3)
        let! steps = Gen.choose (200, 3000)
        let! lanes = Gen.elements [ false; true ]
        let! seed = Gen.choose (0, System.Int32.MaxValue)
        let mode = if lanes then SgdMode.Lanes else SgdMode.Single

        let p0 =
            paramsFor (CompletionTask.blocks m eps) (TaskSource.Blocks(m, eps)) depth (2 * m) start mode

        return
            {
                P =
                    { p0 with
                        Eta = eta
                        Lambda = lambda
                        Steps = int64 steps + 1L
                        GdSteps = 1L
                        Seed = uint64 seed
                        EventInterval = int64 steps
                    }
                M = m
                Epsilon = eps
                Chain = chain
                Steps = int64 steps
            }
    }

/// Round-off allowance of the block relation: the block run and the separate runs do the same
/// arithmetic except the decay (the lazy path multiplies a per-layer scale, the fused path every weight;
/// `Region.decayRoundings` = 4 roundings per step) and the ensemble's fused multiply-adds (one rounding
/// fewer). First order and without amplification, these accumulate linearly: γ_{4T} (with
/// `Tolerance.safetyFactor`) times the largest weight. Measured: at most ~2e-15 over 3000 steps, far
/// below this bound (~6e-11 at T = 3000); a broken relation is off by O(1).
let blockTolerance (steps: int64) (scale: float) =
    Tolerance.gamma (Region.decayRoundings * int steps) * max scale 1.0

/// Largest deviation of the block run from the separate runs (diagonal blocks) and largest off-block
/// weight, with the weights' scale.
let private blockGap (reference: CompletionParams -> int -> int64 -> Network[]) (c: BlockCase) (unit: int) (lane: int) =
    let big = networkAfter c.P unit lane c.Steps
    let blocks = reference c.P c.Chain c.Steps
    let mutable diag = 0.0
    let mutable off = 0.0
    let mutable scale = 0.0

    for l in 0 .. big.Depth - 1 do
        let w = big.W.[l]
        let r, k = w.RowCount / c.M, w.ColumnCount / c.M

        for i in 0 .. w.RowCount - 1 do
            for j in 0 .. w.ColumnCount - 1 do
                scale <- max scale (abs w.[i, j])

                if i / r = j / k then
                    diag <- max diag (abs (w.[i, j] - blocks.[i / r].W.[l].[i % r, j % k]))
                else
                    off <- max off (abs w.[i, j])

    diag, off, scale

let private blockHolds reference (c: BlockCase) =
    let unit, lane =
        match c.P.Mode with
        | SgdMode.Single -> c.Chain, 0
        | SgdMode.Lanes -> 0, c.Chain

    let diag, off, scale = blockGap reference c unit lane
    off = 0.0 && diag <= blockTolerance c.Steps scale

/// The block relation over `cases`: `holds` compares each case with `reference` (m, ε, chain, steps → the
/// separate block runs) shifted by `chainShift` (0; 1 for the controls driven by another chain's draws).
let private blockProperty
    (cases: Gen<BlockCase>)
    holds
    (reference: CompletionParams -> int -> float -> int -> int64 -> Network[])
    (chainShift: int)
    =
    Prop.forAll (Arb.fromGen cases) (fun (c: BlockCase) ->
        holds (fun p chain steps -> reference p c.M c.Epsilon (chain + chainShift) steps) c)

[<Fact>]
let ``completion.blocks: the block task's chain equals its m blocks run separately under the same draws and decay`` () =
    Harness.check
        "completion.blocks"
        60
        (blockProperty (blockCase StartKind.Identity) blockHolds CompletionBlocks.blockReference 0)
    |> ignore

[<Fact>]
let ``negative control: an off-block (Gaussian) start breaks the block relation`` () =
    Harness.expectFailure
        "completion.blocks.control.offBlockStart"
        60
        (blockProperty (blockCase (StartKind.Gaussian 0.7)) blockHolds CompletionBlocks.blockReference 0)
    |> ignore

[<Fact>]
let ``negative control: separate runs under another draw schedule break the block relation`` () =
    Harness.expectFailure
        "completion.blocks.control.otherDraws"
        60
        (blockProperty (blockCase StartKind.Identity) blockHolds CompletionBlocks.blockReference 1)
    |> ignore

/// The SDE twin of a blocks case (`Sde` on, the twin's horizon past the case's steps) and its unit index.
let private sdeTwin (c: BlockCase) =
    let p =
        { c.P with
            Sde = true
            SdeSteps = c.P.Steps
        }

    let unit =
        Completion.cursors p
        |> Array.findIndex (fun u -> u.Kind = ChainKind.Sde && u.Records.[0].Chain = c.Chain)

    p, unit

/// Blocks cases for the SDE twin: as `blockCase`, at η ≤ 0.2 (at η = 0.5 the twins diverge within ~10³
/// steps, measured) and at most 600 steps (the reference allocates matrices at every step).
let private sdeBlockCase (start: StartKind) =
    gen {
        let! c = blockCase start
        let! eta = Gen.elements [ 0.02; 0.1; 0.2 ]
        let! steps = Gen.choose (50, 600)

        return
            { c with
                P =
                    { c.P with
                        Eta = eta
                        Steps = int64 steps + 1L
                        EventInterval = int64 steps
                    }
                Steps = int64 steps
            }
    }

/// Round-off allowance of the SDE block relation: the twin (`FullBatch.sdeStep`: gemm products of the
/// whole 2m×2m layers, fused multiply-adds) and the reference (MathNet per-entry outer products of each
/// block) sum the same terms in another order; per step the longest accumulation is n = 3·L·w + 2N + 4
/// (the products through the layers, the N entries, the decay). First order and without amplification,
/// the errors accumulate linearly over T steps: γ_{n·T} times the largest weight (the linear model of
/// `blockTolerance`, a heuristic bound). Measured over 60 cases of up to 600 steps (η ≤ 0.2): at most
/// 5·10⁻¹⁵ absolute, 3.4·10⁻⁴ of this allowance; a broken relation is off by the noise, O(η/√N) per step.
let sdeBlockTolerance (p: CompletionParams) (steps: int64) (scale: float) =
    let w = Completion.widthsOf p |> Array.max
    let n = 3 * p.Depth * w + 2 * p.Task.N + 4
    Tolerance.gamma (n * int steps) * max scale 1.0

let private sdeBlockHolds (reference: CompletionParams -> int -> int64 -> Network[]) (c: BlockCase) =
    let p, unit = sdeTwin c
    let diag, off, scale = blockGap reference { c with P = p } unit 0
    off = 0.0 && diag <= sdeBlockTolerance p c.Steps scale

[<Fact>]
let ``completion.sdeBlocks: the blocks task's SDE twin equals its m blocks run separately under the same draws`` () =
    Harness.check
        "completion.sdeBlocks"
        30
        (blockProperty (sdeBlockCase StartKind.Identity) sdeBlockHolds CompletionBlocks.sdeBlockReference 0)
    |> ignore

[<Fact>]
let ``negative control: an off-block (Gaussian) start breaks the SDE block relation`` () =
    Harness.expectFailure
        "completion.sdeBlocks.control.offBlockStart"
        30
        (blockProperty (sdeBlockCase (StartKind.Gaussian 0.7)) sdeBlockHolds CompletionBlocks.sdeBlockReference 0)
    |> ignore

[<Fact>]
let ``negative control: separate SDE runs under another twin's draws break the block relation`` () =
    Harness.expectFailure
        "completion.sdeBlocks.control.otherDraws"
        30
        (blockProperty (sdeBlockCase StartKind.Identity) sdeBlockHolds CompletionBlocks.sdeBlockReference 1)
    |> ignore

/// A small experiment cut into segments: a blocks or random task, an engine, a unit and budgets.
type private SegmentCase =
    {
        P: CompletionParams
        Unit: int
        Budgets: int64[]
    }

let private segmentCase =
    gen {
        let! blocks = Gen.elements [ true; false ]
        let! m = Gen.choose (1, 2)
        let! n = Gen.choose (3, 5)
        let! depth = Gen.choose (1, 4)
        let! start = Gen.elements [ StartKind.Identity; StartKind.Gaussian 0.5; StartKind.Balanced 1 ]
        let! lanes = Gen.elements [ false; true ]
        let! eta = Gen.elements [ 0.02; 0.1; 0.5; 3.0 ]
        let! lambda = Gen.elements [ 0.0; 0.01 ]
        let! steps = Gen.choose (1, 2500)
        let! gd = Gen.choose (1, 300)
        let! interval = Gen.choose (1, 400)
        let! offshoots = Gen.choose (0, 2)
        let! seeds = Gen.choose (1, 6)
        let! seed = Gen.choose (0, System.Int32.MaxValue)
        let! unit = Gen.choose (0, 16)
        let! budgets = Gen.arrayOfLength 3 (Gen.choose (1, 700) |> Gen.map int64)
        let! sde = Gen.elements [ true; false ]
        let! sdeSteps = Gen.choose (1, 2500)

        let task, source =
            if blocks then
                CompletionTask.blocks m 0.1, TaskSource.Blocks(m, 0.1)
            else
                match CompletionTask.random n 2 0.7 (uint64 seed) with
                | Ok t -> t, TaskSource.Random(n, 2, 0.7, uint64 seed)
                | Error e -> failwithf "%A" e

        let width = max task.DOut task.DIn

        let p0 =
            paramsFor task source depth width start (if lanes then SgdMode.Lanes else SgdMode.Single)

        let p =
            { p0 with
                Eta = eta
                Lambda = lambda
                Steps = int64 steps
                GdSteps = int64 (min steps gd)
                Seeds = seeds
                Seed = uint64 seed
                EventInterval = int64 interval
                Offshoots = offshoots
                OffshootEta = min eta 0.02
                OffshootLambda = 0.0
                Sde = sde
                SdeSteps = int64 (min steps sdeSteps)
            }

        return
            {
                P = p
                Unit = unit % (Completion.cursors p).Length
                Budgets = budgets
            }
    }

/// Runs a unit in segments; `tamper` is applied to the cursor between segments.
let private segmented (tamper: CompletionCursor -> CompletionCursor) (c: SegmentCase) =
    let mutable cur = (Completion.cursors c.P).[c.Unit]
    let mutable k = 0

    while not cur.Done do
        cur <- Completion.advance c.P cur c.Budgets.[k % c.Budgets.Length]

        if not cur.Done then
            cur <- tamper cur

        k <- k + 1

    cur.Records

let private whole (c: SegmentCase) =
    (Completion.advance c.P (Completion.cursors c.P).[c.Unit] System.Int64.MaxValue).Records

[<Fact>]
let ``completion.segments: a unit cut into segments equals the uninterrupted unit bit for bit (SGD single, ensemble, GD, SDE)``
    ()
    =
    Harness.check "completion.segments" 80 (Prop.forAll (Arb.fromGen segmentCase) (fun c -> segmented id c = whole c))
    |> ignore

[<Fact>]
let ``negative control: segments that restart the entry streams are caught`` () =
    Harness.expectFailure
        "completion.segments.control.rngRestart"
        80
        (Prop.forAll (Arb.fromGen segmentCase) (fun c ->
            segmented
                (fun x ->
                    { x with
                        Rngs = x.Rngs |> Array.map (fun r -> Rng.stream r.State 7UL)
                    })
                c = whole c))
    |> ignore

[<Fact>]
let ``negative control: segments that perturb theta are caught`` () =
    Harness.expectFailure
        "completion.segments.control.theta"
        80
        (Prop.forAll (Arb.fromGen segmentCase) (fun c ->
            segmented
                (fun x ->
                    { x with
                        Engine =
                            x.Engine
                            |> Option.map (fun e ->
                                { e with
                                    Scales = Array.map (fun s -> s * 0.5) e.Scales
                                })
                        Lanes = x.Lanes |> Option.map (Array.map (fun w -> w * 0.5))
                    })
                c = whole c))
    |> ignore

/// A small task and network for the GD step: random task (n ≤ 5, rank ≤ 2), depth 1..4, width 1..5,
/// Gaussian weights, η and λ.
let private gdCase =
    gen {
        let! n = Gen.choose (2, 5)
        let! depth = Gen.choose (1, 4)
        let! width = Gen.choose (1, 5)
        let! seed = Gen.choose (0, System.Int32.MaxValue)
        let! eta = Gen.elements [ 0.01; 0.1; 0.5 ]
        let! lambda = Gen.elements [ 0.0; 0.01; 0.1 ]

        let task =
            match CompletionTask.random n (min 2 n) 0.6 (uint64 seed) with
            | Ok t -> t
            | Error e -> failwithf "%A" e

        let net, _ =
            Network.gaussian (Rng.create (uint64 seed)) 0.7 (CompletionTask.widths task depth width)

        return task, net, { Eta = eta; Lambda = lambda }
    }

/// Round-off bound of `FullBatch.step` against `Gd.step`: both sum the same products in another order,
/// so they differ by γ_n (n = 3·L·w·d + 4, the longest accumulation with the decay's roundings) times the
/// magnitude of the terms: max|θ| plus η times the product of the layers' norms times the largest residual.
let private fullBatchBound (task: Task) (net: Network) (hyper: Hyper) =
    let w = Network.widths net |> Array.max
    let norms = net.W |> Array.map (fun m -> 1.0 + m.FrobeniusNorm())
    let residual = Task.targetScale task + Linalg.maxAbs (Network.product net)

    Tolerance.gamma (3 * net.Depth * w * max task.DIn task.DOut + 4)
    * (Array.max (net.W |> Array.map Linalg.maxAbs)
       + hyper.Eta * residual * Array.fold (*) 1.0 norms)

let private fullBatchGap (stepHyper: Hyper -> Hyper) (task: Task, net: Network, hyper: Hyper) =
    let st = Engine.create task net
    FullBatch.step st (FullBatch.work st) (stepHyper hyper) |> ignore
    let reference = Gd.step hyper task net
    let fast = Engine.toNetwork st

    Array.map2 (fun (a: MathNet.Numerics.LinearAlgebra.Matrix<float>) b -> Linalg.maxAbs (a - b)) fast.W reference.W
    |> Array.max
    <= fullBatchBound task net hyper

[<Fact>]
let ``FullBatch.step equals Gd.step up to round-off`` () =
    Harness.check "fullBatch.equalsGd" 200 (Prop.forAll (Arb.fromGen gdCase) (fullBatchGap id))
    |> ignore

[<Fact>]
let ``negative control: a full-batch step with another eta is caught`` () =
    Harness.expectFailure
        "fullBatch.control.eta"
        200
        (Prop.forAll (Arb.fromGen gdCase) (fullBatchGap (fun h -> { h with Eta = 1.1 * h.Eta })))
    |> ignore

/// Round-off bound of `FullBatch.sdeStep` against `Sde.stepWith` (draws ξ): as `fullBatchBound`, with the
/// data coefficient η replaced by the largest total weight of the step's data terms, η·(1 + 2√N·max|ξ|)
/// (Σ_k |c_k| with c_k = η/N − (η/√N)(ξ_k − ξ̄); `stepWith` sums η/N·G_k and (η/√N)ξ_k(G_k − Ḡ) apart), and
/// the accumulation longer by 2N (the sums over the entries).
let private sdeBound (task: Task) (net: Network) (hyper: Hyper) (xi: float[]) =
    let w = Network.widths net |> Array.max
    let norms = net.W |> Array.map (fun m -> 1.0 + m.FrobeniusNorm())
    let residual = Task.targetScale task + Linalg.maxAbs (Network.product net)
    let xiMax = xi |> Array.map abs |> Array.max
    let weight = hyper.Eta * (1.0 + 2.0 * sqrt (float task.N) * xiMax)

    Tolerance.gamma (3 * net.Depth * w * max task.DIn task.DOut + 2 * task.N + 4)
    * (Array.max (net.W |> Array.map Linalg.maxAbs)
       + weight * residual * Array.fold (*) 1.0 norms)

let private sdeGap (noiseScale: float) (task: Task, net: Network, hyper: Hyper) =
    let st = Engine.create task net
    let work = FullBatch.work st
    let mutable rng = Rng.create (uint64 task.N * 7919UL + uint64 net.Depth)
    FullBatch.drawInto work &rng
    let xi = Array.copy work.Xi
    FullBatch.sdeStep st work hyper noiseScale |> ignore
    let reference = Sde.stepWith hyper task xi net
    let fast = Engine.toNetwork st

    Array.map2 (fun (a: MathNet.Numerics.LinearAlgebra.Matrix<float>) b -> Linalg.maxAbs (a - b)) fast.W reference.W
    |> Array.max
    <= sdeBound task net hyper xi

[<Fact>]
let ``FullBatch.sdeStep equals Sde.stepWith (the SDE step of C6) up to round-off`` () =
    Harness.check "fullBatch.sdeEqualsReference" 200 (Prop.forAll (Arb.fromGen gdCase) (sdeGap 1.0))
    |> ignore

[<Fact>]
let ``negative control: an SDE step with 10 % more noise is caught`` () =
    Harness.expectFailure "fullBatch.sde.control.noise" 200 (Prop.forAll (Arb.fromGen gdCase) (sdeGap 1.1))
    |> ignore

[<Fact>]
let ``the GD control's fixed-point skip gives the state of every step taken`` () =
    // m = 1 block, L = 4: GD reaches an exact floating-point fixed point within a few thousand steps.
    let p =
        { paramsFor (CompletionTask.blocks 1 0.1) (TaskSource.Blocks(1, 0.1)) 4 2 StartKind.Identity SgdMode.Single with
            Eta = 0.5
            Lambda = 0.02
            Steps = 30_000L
            GdSteps = 30_000L
        }

    let gd =
        Completion.advance p (Array.last (Completion.cursors p)) System.Int64.MaxValue

    let fixedAt = gd.Records.[0].FixedPointStep
    Assert.True(fixedAt.IsSome, "GD did not reach an exact fixed point (the skip was not exercised)")
    Assert.True(fixedAt.Value < 30_000L - 100L)
    // Every step taken explicitly: the final θ equals the state at the fixed point, and the skipped run's
    // last observation (at step 30000) equals the explicit run's.
    let st = Engine.create p.Task (Completion.startNetwork p)
    let work = FullBatch.work st

    for _ in 1..30_000 do
        FullBatch.step st work { Eta = p.Eta; Lambda = p.Lambda } |> ignore

    let explicitObs = Completion.observe p (Engine.toNetwork st) 30_000L
    Assert.Equal(explicitObs, Array.last gd.Records.[0].Observations)
    // Control: one step after the start θ moves, so the fixed-point test is not vacuous.
    let s0 = Engine.create p.Task (Completion.startNetwork p)
    let w0 = FullBatch.work s0
    FullBatch.step s0 w0 { Eta = p.Eta; Lambda = p.Lambda } |> ignore
    Assert.False(FullBatch.isFixedPoint s0 w0)

[<Fact>]
let ``an SDE twin's frozen skip gives the state of every step taken (E1's regime: the twins collapse)`` () =
    // m = 1 block, L = 4, η = 0.5, λ = 0.02 (E1's regime): SDE twin 0 collapses to level 0 (measured: at
    // step ~6·10³) and decays to a frozen θ (every weight below 1e-200) by ~4.3·10⁴ steps.
    let p =
        { paramsFor (CompletionTask.blocks 1 0.1) (TaskSource.Blocks(1, 0.1)) 4 2 StartKind.Identity SgdMode.Single with
            Eta = 0.5
            Lambda = 0.02
            Steps = 60_000L
            GdSteps = 1L
            Seeds = 1
            Sde = true
            SdeSteps = 60_000L
        }

    let unit = Completion.cursors p |> Array.findIndex (fun u -> u.Kind = ChainKind.Sde)

    let twin = Completion.advance p (Completion.cursors p).[unit] System.Int64.MaxValue

    let frozenAt = twin.Records.[0].FixedPointStep
    Assert.True(twin.Records.[0].DivergenceStep.IsNone, "the twin diverged")
    Assert.True(frozenAt.IsSome, "the twin never froze (the skip was not exercised)")
    Assert.True(frozenAt.Value < 60_000L - 1000L)
    Assert.Equal(0, twin.Records.[0].Level)
    // Every step taken explicitly, each with its N draws from the twin's stream: the same final observation.
    let st = Engine.create p.Task (Completion.startNetwork p)
    let work = FullBatch.work st
    let mutable rng = Completion.sdeStream p 0
    let hyper = { Eta = p.Eta; Lambda = p.Lambda }
    let mutable frozenSeen = false

    for t in 1..60_000 do
        FullBatch.drawInto work &rng
        FullBatch.sdeStep st work hyper 1.0 |> ignore

        if int64 t = frozenAt.Value then
            frozenSeen <- Completion.frozen p st

    Assert.True(frozenSeen, "the explicit run is not frozen where the twin froze")
    Assert.Equal(Completion.observe p (Engine.toNetwork st) 60_000L, Array.last twin.Records.[0].Observations)
    // Control: the start is not frozen, and the twin moved (its first level check differs from the last).
    Assert.False(Completion.frozen p (Engine.create p.Task (Completion.startNetwork p)))
    Assert.NotEqual(twin.Records.[0].Observations.[0].Level, 0)

/// Random networks of the blocks and random families for the ladder.
let private ladderCase =
    gen {
        let! seed = Gen.choose (0, System.Int32.MaxValue)
        let! depth = Gen.choose (1, 4)
        let! scale = Gen.elements [ 0.05; 0.5; 1.0; 2.0 ]
        let! eps2 = Gen.elements [ 0.0; 0.1; 0.5 ]
        let task = CompletionTask.blocks 2 0.1

        let net, _ =
            Network.gaussian (Rng.create (uint64 seed)) scale (CompletionTask.widths task depth 4)

        let d = Ladder.defaults task net
        return { d with Eps2 = eps2 }, net
    }

/// θ ∈ B_ρ (Region.contains on the ladder's region) agrees with the ladder position for every ρ.
let private ladderAgrees (level: LadderPosition -> int) (p: LadderParams, net: Network) =
    let pos = Ladder.positionOf p (Region.measure p.Family p.Alpha net)
    let pos = { pos with Level = level pos }

    [ 0 .. p.Top ]
    |> List.forall (fun rho -> Region.contains (Ladder.region p rho) net = Ladder.contains pos rho)

[<Fact>]
let ``ladder: the rank level and membership agree with B_rho of THEORY.md for every rho`` () =
    Harness.check "ladder.level" 200 (Prop.forAll (Arb.fromGen ladderCase) (ladderAgrees (fun p -> p.Level)))
    |> ignore

[<Fact>]
let ``negative control: a level one too low disagrees with B_rho`` () =
    Harness.expectFailure
        "ladder.level.control"
        200
        (Prop.forAll (Arb.fromGen ladderCase) (ladderAgrees (fun p -> max 0 (p.Level - 1))))
    |> ignore

[<Fact>]
let ``families: random tasks hit every row and column, have the rank and scale asked for; blocks are E1's task`` () =
    for n, k, p, s in [ 20, 3, 0.5, 1UL; 20, 3, 0.2, 7UL; 7, 7, 1.0, 2UL; 30, 1, 0.1, 3UL ] do
        match CompletionTask.random n k p s with
        | Error e -> failwithf "%A" e
        | Ok t ->
            Assert.Equal(max 1 (int (round (p * float (n * n)))), t.N)
            Assert.Equal(n, t.Observed |> Array.map fst |> Array.distinct |> Array.length)
            Assert.Equal(n, t.Observed |> Array.map snd |> Array.distinct |> Array.length)
            Assert.Equal(k, fst (Ladder.targetRank t))
            Assert.Equal(float n, sqrt (Linalg.squaredFrobenius t.Target), 9)
            Assert.Equal(t, (CompletionTask.random n k p s |> Result.toOption).Value)

    let b = CompletionTask.blocks 3 0.1
    Assert.Equal(9, b.N)
    Assert.Equal(3, fst (Ladder.targetRank b))
    Assert.Equal(10.0, b.Target.[2, 3], 12)
    Assert.Equal(0.0, b.Target.[0, 2])
    // Rejected: rank above the size, fractions outside (0, 1], too few entries to hit every row.
    for n, k, p, field in
        [
            5, 6, 0.5, "rank"
            5, 2, 0.0, "observed"
            5, 2, 1.5, "observed"
            10, 2, 0.05, "observed"
        ] do
        match CompletionTask.random n k p 1UL with
        | Ok _ -> failwithf "random %d %d %g was accepted" n k p
        | Error e -> Assert.Equal(field, e.Field)

[<Fact>]
let ``completion: a blocks run steps down from 2m while the GD control stays at 2m (E1's regime, m = 2)`` () =
    // The known-answer staircase at a small budget: E1's regime with λ divided by m (each block is drawn
    // every m-th step on average and decays every step).
    let p =
        { paramsFor (CompletionTask.blocks 2 0.1) (TaskSource.Blocks(2, 0.1)) 4 4 StartKind.Identity SgdMode.Lanes with
            Eta = 0.5
            Lambda = 0.01
            Steps = 400_000L
            GdSteps = 20_000L
            Seeds = 4
            EventInterval = 400L
        }

    let r = Completion.run p 2
    Assert.Equal(4, r.Summary.StartLevel)
    Assert.Equal(4, r.Summary.GdFinalLevel)
    Assert.True(r.Summary.TotalDrops >= 1, sprintf "no chain dropped a level: %A" r.Summary)
    Assert.True(r.Chains |> Array.forall (fun c -> c.FinalLevel >= 2 && c.DivergenceStep.IsNone))
