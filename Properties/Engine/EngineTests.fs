module LowRankVerify.Properties.EngineTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory

/// Steps of every equivalence run (issue: "agree to round-off over 10^4 steps").
[<Literal>]
let equivalenceSteps = 10_000

/// Tolerance of engine vs `Sgd.step` after `steps` steps, relative to max(1, max |W|):
/// √steps · γ(L · maxWidth). Each step computes every new weight from chains of at most L·w products
/// and sums, so the engine and the reference (different summation order, FMA, lazy decay scales)
/// differ by at most γ_{L·w} (Higham's γ_n = n·u, times `Tolerance.safetyFactor`) relative per step.
/// The per-step round-off errors are independent and zero-mean to first order, so in the
/// non-expansive small-η regimes generated below (η ≤ 0.02, |A*_ij| ≤ 1, small start) their sum
/// grows like √steps (probabilistic round-off analysis, Higham & Mary 2019), not like steps.
/// Measured: the largest gap over 60 random cases was 3e-3 of this tolerance.
let equivalenceTolerance (steps: int) (depth: int) (maxWidth: int) =
    sqrt (float steps) * Tolerance.gamma (depth * maxWidth)

/// One generated case: shape, task, start and step sizes, all from `Seed`.
type Case =
    {
        Seed: int
        Widths: int[]
        Task: Task
        Net: Network
        Hyper: Hyper
    }

    override this.ToString() =
        sprintf
            "seed %d widths %A eta %g lambda %g N %d"
            this.Seed
            this.Widths
            this.Hyper.Eta
            this.Hyper.Lambda
            this.Task.N

let private buildCase (seed: int) (widths: int[]) (decayOn: bool) : Case =
    let mutable rng = Rng.create (uint64 seed)
    let dOut, dIn = widths.[widths.Length - 1], widths.[0]

    let target =
        Array.init dOut (fun _ -> Array.init dIn (fun _ -> 2.0 * Rng.nextFloat &rng - 1.0))

    let all = Task.allEntries dOut dIn
    let chosen = all |> Array.filter (fun _ -> Rng.nextFloat &rng < 0.7)

    let observed =
        if chosen.Length = 0 then
            [| all.[Rng.nextInt &rng all.Length] |]
        else
            chosen

    let task =
        {
            Target = Linalg.M.DenseOfRowArrays target
            Observed = observed
        }

    let net, r = Network.gaussian rng (0.5 / sqrt (float (Array.max widths))) widths
    rng <- r
    let eta = 0.002 + 0.018 * Rng.nextFloat &rng
    let lambda = if decayOn then 0.005 + 0.045 * Rng.nextFloat &rng else 0.0

    {
        Seed = seed
        Widths = widths
        Task = task
        Net = net
        Hyper = { Eta = eta; Lambda = lambda }
    }

/// Random shapes: depth 1..5, widths 1..6; λ > 0 in most cases and λ = 0 in some.
let private genCase (decayAlways: bool) =
    gen {
        let! depth = Gen.choose (1, 5)
        let! widths = Gen.arrayOfLength (depth + 1) (Gen.choose (1, 6))
        let! seed = Gen.choose (0, Int32.MaxValue)

        let! decayOn =
            if decayAlways then
                Gen.constant true
            else
                Gen.frequency [ 4, Gen.constant true; 1, Gen.constant false ]

        return buildCase seed widths decayOn
    }

/// The entries a run draws from `rng`: one `Rng.nextInt` per step, as `Engine.run` does.
let private drawEntries (task: Task) (rng: Rng) (steps: int) =
    let mutable r = rng
    Array.init steps (fun _ -> task.Observed.[Rng.nextInt &r task.N])

let private reference (c: Case) (entries: (int * int)[]) =
    entries |> Array.fold (fun net e -> Sgd.step c.Hyper c.Task net e) c.Net

/// max |W_a − W_b| / max(1, max |W_b|) over every layer.
let private relativeGap (a: Network) (b: Network) =
    let mutable gap = 0.0
    let mutable scale = 1.0

    for l in 0 .. a.Depth - 1 do
        gap <- max gap ((a.W.[l] - b.W.[l]).Enumerate() |> Seq.map abs |> Seq.max)
        scale <- max scale (b.W.[l].Enumerate() |> Seq.map abs |> Seq.max)

    gap / scale

let private engineAgrees (stepper: EngineState -> Hyper -> int -> int -> float) (c: Case) =
    let entries = drawEntries c.Task (Rng.create (uint64 c.Seed)) equivalenceSteps
    let s = Engine.create c.Task c.Net

    for (i, j) in entries do
        stepper s c.Hyper i j |> ignore

    let gap = relativeGap (Engine.toNetwork s) (reference c entries)

    let tol =
        equivalenceTolerance equivalenceSteps (c.Widths.Length - 1) (Array.max c.Widths)

    gap <= tol |> Prop.label (sprintf "%O: gap %g > tolerance %g" c gap tol)

[<Fact>]
let ``engine step agrees with Sgd.step to round-off over 10^4 steps`` () =
    Harness.check "engine.equivalence" 30 (Prop.forAll (Arb.fromGen (genCase false)) (engineAgrees Engine.step))
    |> ignore

[<Fact>]
let ``negative control: an engine with the decay 1 - eta*lambda fails the equivalence check`` () =
    let broken (s: EngineState) (h: Hyper) i j =
        Engine.stepWithDecay s (1.0 - h.Eta * h.Lambda) h.Eta i j

    let o =
        Harness.expectFailure
            "engine.equivalence.brokenDecay"
            30
            (Prop.forAll (Arb.fromGen (genCase true)) (engineAgrees broken))

    Assert.True o.Failed

[<Fact>]
let ``Engine.run draws one entry per step and matches stepping by hand exactly`` () =
    let c = buildCase 7 [| 3; 4; 5; 2 |] true
    let s1 = Engine.create c.Task c.Net
    let mutable rng = Rng.create 99UL
    Assert.True(Engine.run s1 c.Hyper &rng 5000L)
    let s2 = Engine.create c.Task c.Net

    for (i, j) in drawEntries c.Task (Rng.create 99UL) 5000 do
        Engine.step s2 c.Hyper i j |> ignore

    Assert.Equal<float[]>(s2.Weights, s1.Weights)
    Assert.Equal<float[]>(s2.Scales, s1.Scales)
    Assert.Equal(drawEntries c.Task (Rng.create 99UL) 5001 |> Array.last, drawEntries c.Task rng 1 |> Array.head)

[<Fact>]
let ``strong and degenerate decays (scale folding, decay 0, negative decay) agree with Sgd.stepWithDecay`` () =
    // Widths up to Engine.tinyWidth take the fused path, wider ones the lazy-scale path: test both.
    for widths in [ [| 2; 3; 3; 2 |]; [| 2; 6; 5; 2 |] ] do
        let c = buildCase 11 widths true

        for decay in [ 0.3; 0.0; -0.2; 1e-90 ] do
            let entries = drawEntries c.Task (Rng.create 5UL) 2000
            let s = Engine.create c.Task c.Net

            for (i, j) in entries do
                Engine.stepWithDecay s decay 0.01 i j |> ignore

            let expected =
                entries
                |> Array.fold (fun net e -> Sgd.stepWithDecay decay 0.01 c.Task net e) c.Net

            let gap = relativeGap (Engine.toNetwork s) expected

            Assert.True(
                gap <= equivalenceTolerance 2000 3 (Array.max widths),
                sprintf "%A decay %g: gap %g" widths decay gap
            )

            Assert.True(
                s.Scales |> Array.forall (fun x -> abs x >= 1e-78 && abs x <= 1e78),
                sprintf "scales %A" s.Scales
            )

[<Fact>]
let ``runObserved sees every checkpoint and ends where run ends`` () =
    let c = buildCase 3 [| 2; 2; 2; 2; 2 |] true
    let s1 = Engine.create c.Task c.Net
    let mutable r1 = Rng.create 1UL
    let seen = Collections.Generic.List<int64>()

    let outcome =
        Engine.runObserved s1 c.Hyper &r1 1000L 300L (fun t _ ->
            seen.Add t
            true)

    Assert.Equal(RunOutcome.Completed 1000L, outcome)
    Assert.Equal<int64[]>([| 300L; 600L; 900L; 1000L |], seen.ToArray())
    let s2 = Engine.create c.Task c.Net
    let mutable r2 = Rng.create 1UL
    Assert.Equal(RunOutcome.Completed 1000L, Engine.runDetailed s2 c.Hyper &r2 1000L)
    Assert.Equal<float[]>(s2.Weights, s1.Weights)
    let s3 = Engine.create c.Task c.Net
    let mutable r3 = Rng.create 1UL
    Assert.Equal(RunOutcome.Stopped 600L, Engine.runObserved s3 c.Hyper &r3 1000L 300L (fun t _ -> t < 600L))

[<Fact>]
let ``runDetailed reports the first step with a non-finite residual or weight`` () =
    for widths in [ [| 3; 4; 4; 3 |]; [| 3; 6; 5; 3 |] ] do
        let c = buildCase 5 widths false
        let hyper = { Eta = 40.0; Lambda = 0.0 }
        let s = Engine.create c.Task c.Net
        let mutable rng = Rng.create 8UL
        let outcome = Engine.runDetailed s hyper &rng 100000L
        // Replay by hand on a fresh state: the first non-finite residual or weight is the reported step.
        let s2 = Engine.create c.Task c.Net
        let entries = drawEntries c.Task (Rng.create 8UL) 100000

        let firstBad =
            entries
            |> Array.findIndex (fun (i, j) ->
                let r = Engine.step s2 hyper i j
                not (Double.IsFinite r) || not (Engine.isFinite s2))

        Assert.Equal(RunOutcome.Diverged(int64 firstBad), outcome)

[<Fact>]
let ``engine steps allocate nothing`` () =
    for widths in [ [| 2; 2; 2; 2; 2 |]; [| 20; 20; 20; 20; 20 |]; [| 3; 7; 1; 5 |] ] do
        let c = buildCase 1 widths true
        let s = Engine.create c.Task c.Net
        let hyper = { c.Hyper with Eta = 1e-3 }
        let mutable rng = Rng.create 2UL
        Engine.run s hyper &rng 20_000L |> ignore
        let before = GC.GetAllocatedBytesForCurrentThread()
        let ok = Engine.run s hyper &rng 100_000L
        let after = GC.GetAllocatedBytesForCurrentThread()
        Assert.True ok
        Assert.Equal(0L, after - before)

/// Ensemble case: a shape and task from `buildCase`, `chains` chains on a grid of (η, λ).
let private ensembleAgrees (c: Case, chains: int) =
    let hypers =
        Array.init chains (fun k ->
            {
                Eta = c.Hyper.Eta * (1.0 + 0.1 * float k)
                Lambda = c.Hyper.Lambda * float (k % 3)
            })

    let seed = uint64 c.Seed
    let e = Ensemble.create c.Task (Array.create chains c.Net) hypers seed
    Ensemble.run e (int64 equivalenceSteps)

    let tol =
        equivalenceTolerance equivalenceSteps (c.Widths.Length - 1) (Array.max c.Widths)

    let gaps =
        Array.init chains (fun k ->
            let entries = drawEntries c.Task (Rng.stream seed (uint64 k)) equivalenceSteps
            relativeGap (Ensemble.toNetwork e k) (reference { c with Hyper = hypers.[k] } entries))

    (Array.max gaps <= tol && e.DivergedAt |> Array.forall (fun t -> t < 0L))
    |> Prop.label (sprintf "%O chains %d: gaps %A > tolerance %g" c chains gaps tol)

[<Fact>]
let ``ensemble chains agree with Sgd.step to round-off over 10^4 steps`` () =
    let g = Gen.zip (genCase false) (Gen.choose (1, 6))

    Harness.check "ensemble.equivalence" 8 (Prop.forAll (Arb.fromGen g) ensembleAgrees)
    |> ignore

[<Fact>]
let ``ensemble results do not depend on the thread count or on observation`` () =
    let c = buildCase 21 [| 2; 3; 3; 2 |] true

    let make () =
        Ensemble.ofSeeds c.Task c.Net c.Hyper 77UL 13

    let e1 = make ()
    Ensemble.runWith 1 e1 3000L
    let e2 = make ()
    Ensemble.runWith 2 e2 3000L
    let e3 = make ()
    let checkpoints = Ensemble.runObserved e3 3000L 700L (fun _ _ -> true)
    Assert.Equal(3000L, checkpoints)
    Assert.Equal<float[]>(e1.Weights, e2.Weights)
    Assert.Equal<float[]>(e1.Weights, e3.Weights)
    Assert.Equal(3000L, e2.StepsTaken)
    // Different streams give different chains (the check above could not pass by accident).
    Assert.NotEqual<float[]>(
        (Ensemble.toNetwork e1 0).W.[0].ToColumnMajorArray(),
        (Ensemble.toNetwork e1 1).W.[0].ToColumnMajorArray()
    )

[<Fact>]
let ``ensemble steps allocate nothing per step`` () =
    let c = buildCase 1 [| 2; 2; 2; 2; 2 |] true
    let e = Ensemble.ofSeeds c.Task c.Net { c.Hyper with Eta = 1e-3 } 3UL 8
    Ensemble.runWith 1 e 10_000L

    let measure steps =
        let before = GC.GetAllocatedBytesForCurrentThread()
        Ensemble.runWith 1 e steps
        GC.GetAllocatedBytesForCurrentThread() - before

    Assert.Equal(measure 1_000L, measure 100_000L)

[<Fact>]
let ``ensemble reports divergence per chain`` () =
    let c = buildCase 5 [| 3; 4; 4; 3 |] false
    let hypers = [| { Eta = 1e-3; Lambda = 0.0 }; { Eta = 40.0; Lambda = 0.0 } |]
    let e = Ensemble.create c.Task [| c.Net; c.Net |] hypers 8UL
    Ensemble.run e 100_000L
    Assert.Equal(None, Ensemble.divergedAt e 0)
    Assert.True((Ensemble.divergedAt e 1).IsSome)

/// `lowrank bench` through the CLI (Console is redirected, so these join the serial "Console" collection).
[<Collection("Console")>]
type BenchCliTests() =

    [<Fact>]
    member _.``bench rejects a bad --seconds with exit 2 and one line naming the option``() =
        for bad in [ "0"; "-1"; "601"; "abc" ] do
            let rc, _, err = CliRun.run [ "bench"; "--seconds"; bad ]
            Assert.Equal(2, rc)
            Assert.Contains("--seconds", err)
            Assert.Equal(1, err.Trim().Split('\n').Length)

    [<Fact>]
    member _.``bench --json lists every config and mode with consistent gflops``() =
        let rc, out, _ = CliRun.run [ "bench"; "--json"; "--seconds"; "0.01" ]
        Assert.Equal(0, rc)
        use doc = Text.Json.JsonDocument.Parse out
        let configs = doc.RootElement.GetProperty("configs").EnumerateArray() |> Seq.toArray
        Assert.Equal(3 * LowRankVerify.Runner.BenchCommand.Configs.Length, configs.Length)

        for c in configs do
            let depth = c.GetProperty("depth").GetInt32()
            let width = c.GetProperty("width").GetInt32()
            let sps = c.GetProperty("stepsPerSecond").GetDouble()
            Assert.True(sps > 0.0)
            Assert.Contains(c.GetProperty("mode").GetString(), [ "single"; "ensemble"; "reference" ])
            Assert.Equal(sps * 6.0 * float depth * float (width * width) / 1e9, c.GetProperty("gflops").GetDouble(), 9)
            Assert.True(c.GetProperty("d").GetInt32() >= 2)

/// `BenchRates.BestRate`, the timer behind `lowrank bench`: a rate is steps over a measurable time, never
/// infinity (a batch read as taking 0 s once put "Infinity" into `bench --json`, which the JSON writer refused).
type BenchRateTests() =

    /// About `n` dependent integer multiply-adds (a few nanoseconds each) that the JIT cannot drop; returns the
    /// steps it counts.
    static let spin (n: int64) =
        let mutable x = 1L

        for i in 1L .. n do
            x <- x * 3L + i

        if x = -1L then 0L else n

    [<Fact>]
    member _.``BestRate of work that takes no measurable time is an error with a message, not infinity``() =
        let e =
            Assert.Throws<InvalidOperationException>(fun () ->
                LowRankVerify.Runner.BenchRates.BestRate((fun n -> n), 0.01) |> ignore)

        Assert.Contains("measurable", e.Message)

    [<Fact>]
    member _.``BestRate is finite when slow first calls (JIT, preemption) stop the calibration at a tiny batch``() =
        // The first calls sleep 3 ms, more than the 2 ms calibration target: the batch stays at 16 steps, which
        // then run in tens of nanoseconds, under the clock's resolution as Stopwatch.Elapsed reads it.
        let mutable calls = 0

        let run n =
            calls <- calls + 1

            if calls <= 3 then
                Threading.Thread.Sleep 3

            spin n

        let rate = LowRankVerify.Runner.BenchRates.BestRate(Func<int64, int64> run, 0.05)
        Assert.True(Double.IsFinite rate && rate > 0.0, $"rate {rate}")
        // one spin step is a dependent multiply-add: no core does 1e11 of them a second
        Assert.True(rate < 1e11, $"rate {rate}")
