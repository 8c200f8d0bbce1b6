module LowRankVerify.Properties.E1Tests

open Xunit
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory

/// A small random E1-shaped case: ε, depth 1..5, width 1..3, η, λ and a Gaussian network (seeded).
type private GdCase = { P: E1Params; Net: Network }

let private gdCase =
    gen {
        let! eps = Gen.choose (1, 100) |> Gen.map (fun k -> float k / 100.0)
        let! depth = Gen.choose (1, 5)
        let! width = Gen.choose (1, 3)
        let! eta = Gen.choose (1, 50) |> Gen.map (fun k -> float k / 100.0)
        let! lambda = Gen.choose (0, 50) |> Gen.map (fun k -> float k / 1000.0)
        let! seed = Gen.choose (0, System.Int32.MaxValue) |> Gen.map uint64

        let p =
            { E1.defaults with
                Epsilon = eps
                Depth = depth
                Width = width
                Eta = eta
                Lambda = lambda
            }

        let net, _ = Network.gaussian (Rng.create seed) 0.8 (E1.widths p)
        return { P = p; Net = net }
    }

/// Largest absolute entry of every layer together.
let private maxAbsNet (net: Network) =
    net.W |> Array.map Linalg.maxAbs |> Array.max

/// Round-off bound of the fast GD step against `Gd.step`: both sum the same O(L·w·N) products in a
/// different order, so the difference is at most γ_n (n = 4·L·w·N + 4) times the magnitude of the
/// terms summed, max|θ| + η·N·max|∇L| (the per-entry terms are at most N times the mean gradient's
/// scale, bounded here by the product norms), times the safety factor inside `Tolerance.gamma`.
let private gdBound (p: E1Params) (net: Network) =
    let task = E1.task p
    let n = 4 * p.Depth * max 2 p.Width * task.N + 4

    let prefixNorm =
        net.W
        |> Array.map (fun w -> 1.0 + Linalg.maxAbs w * float (max 2 p.Width))
        |> Array.fold (*) 1.0

    let residual = 1.0 / p.Epsilon + Linalg.maxAbs (Network.product net) + 1.0

    Tolerance.gamma n
    * (maxAbsNet net + p.Eta * float task.N * residual * prefixNorm)

/// Distance between `E1.gdStep` (run with `fastHyper`) and `Gd.step` (run with the case's η, λ).
let private gdGap (fastHyper: E1Params -> Hyper) (c: GdCase) =
    let task = E1.task c.P
    let hyper = { Eta = c.P.Eta; Lambda = c.P.Lambda }
    let reference = Gd.step hyper task c.Net
    let st = Engine.create task c.Net

    E1.gdStep st (SdeEngine.scratch st) (fastHyper c.P) |> ignore

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
            let s1, s2 = E1.singularValues2 a
            let sv = Linalg.singularValues a
            abs (s1 - sv.[0]) <= svBound sv.[0] && abs (s2 - sv.[1]) <= svBound sv.[0]))
    |> ignore

[<Fact>]
let ``negative control: swapped singular values are caught`` () =
    Harness.expectFailure
        "e1.singularValues2.control"
        300
        (Prop.forAll (Arb.fromGen matrix2) (fun a ->
            let s2, s1 = E1.singularValues2 a
            let sv = Linalg.singularValues a
            abs (s1 - sv.[0]) <= svBound sv.[0] && abs (s2 - sv.[1]) <= svBound sv.[0]))
    |> ignore

[<Fact>]
let ``E1 results do not depend on the thread count`` () =
    let p =
        { E1.defaults with
            Steps = 20_000L
            Seeds = 3
            Offshoots = 2
            OffshootMaxSteps = 20_000L
        }

    let one = E1.run p 1 ignore
    let two = E1.run p 2 ignore
    Assert.Equal(3, two.Sde.Length)
    Assert.True((one = two), "E1 with 1 and 2 threads differ")
    // Control: another master seed changes the chains (the comparison above can fail).
    let other = E1.run { p with Seed = p.Seed + 1UL } 2 ignore
    Assert.False((other.Chains = two.Chains), "a different seed gave identical chains")

/// A small E1-shaped network with every layer at most 2×2 (widths 1 or 2, depth 1..5), Gaussian entries of
/// a random scale (seeded), and B_1 constants around it (`E1.jumpRegion` of a random ε).
type private SmallCase =
    {
        P: E1Params
        Net: Network
        Region: RegionParams
    }

let private smallCase =
    gen {
        let! eps = Gen.choose (1, 100) |> Gen.map (fun k -> float k / 100.0)
        let! depth = Gen.choose (1, 5)
        let! width = Gen.choose (1, 2)
        let! scale = Gen.choose (-3, 3) |> Gen.map (fun k -> 10.0 ** (float k / 2.0))
        let! seed = Gen.choose (0, System.Int32.MaxValue) |> Gen.map uint64
        let! family = Gen.elements [ FAlphaFamily.Piecewise; FAlphaFamily.Quadratic ]

        let p =
            { E1.defaults with
                Epsilon = eps
                Depth = depth
                Width = width
            }

        let net, _ = Network.gaussian (Rng.create seed) scale (E1.widths p)

        return
            {
                P = p
                Net = net
                Region = { E1.jumpRegion p with Family = family }
            }
    }

/// Round-off bound of the closed-form B_r quantities against `Region.measure` (each a sum of a few
/// products of entries, or f_α of a squared singular value): γ_32 times the quantity's scale, the squared
/// norms (balancedness: ‖W_ℓ‖² + ‖W_{ℓ−1}‖² squared; rank: Lip(f_α)·2·s_1² per value).
let private slackGap (c: SmallCase) (fast: RegionSlack) =
    let reference = Region.slack c.Region c.Net
    let norms = Network.layerSquaredNorms c.Net
    let m = Array.max norms
    let g = Tolerance.gamma 32
    let lip = FAlpha.lipschitz c.Region.Family c.Region.Alpha

    abs (fast.Balancedness - reference.Balancedness) <= g * 4.0 * m * m
    && abs (fast.Rank - reference.Rank) <= g * 4.0 * lip * m
    && abs (fast.Bounded - reference.Bounded) <= g * m

[<Fact>]
let ``E1 monitor's closed-form B_1 slack equals Region.slack up to round-off`` () =
    Harness.check
        "e1.smallSlack"
        300
        (Prop.forAll (Arb.fromGen smallCase) (fun c ->
            slackGap c (E1Monitor.smallSlack c.Region (Engine.create (E1.task c.P) c.Net))))
    |> ignore

[<Fact>]
let ``negative control: a closed-form slack with the other f_alpha family is caught`` () =
    Harness.expectFailure
        "e1.smallSlack.control"
        300
        (Prop.forAll (Arb.fromGen smallCase) (fun c ->
            let other =
                { c.Region with
                    Family =
                        (if c.Region.Family = FAlphaFamily.Piecewise then
                             FAlphaFamily.Quadratic
                         else
                             FAlphaFamily.Piecewise)
                }

            slackGap c (E1Monitor.smallSlack other (Engine.create (E1.task c.P) c.Net))))
    |> ignore

/// A short E1 run to monitor: the defaults with η that makes things happen within a few thousand steps
/// (jumps, collapses, returns of SDE chains), depth 3..5, a kind and a chain.
type private MonitorCase =
    {
        P: E1Params
        Kind: E1RunKind
        Chain: int
    }

let private monitorCase =
    gen {
        let! depth = Gen.choose (3, 5)
        let! eta = Gen.elements [ 0.5; 0.8; 1.0 ]
        let! lambda = Gen.elements [ 0.02; 0.05; 0.1 ]
        let! seed = Gen.choose (0, System.Int32.MaxValue) |> Gen.map uint64
        let! kind = Gen.elements [ E1RunKind.Sgd; E1RunKind.Sde; E1RunKind.Gd ]
        let! chain = Gen.choose (0, 50)

        return
            {
                P =
                    { E1.defaults with
                        Depth = depth
                        Eta = eta
                        Lambda = lambda
                        Steps = 4000L
                        Seeds = 1
                        Seed = seed
                        Offshoots = 0
                        ObservationsPerDecade = 5
                    }
                Kind = kind
                Chain = chain
            }
    }

/// The events of a run recomputed naively from θ after each step in `steps` (the reference: the product
/// by `Network.product`, its singular values by `Linalg.singularValues`, membership by `Region.slack`):
/// (jump step, collapse step, returns, exits). The run is replayed with the same step functions and
/// draws as `E1.advance`, so the states are bit for bit those the monitor saw.
let private naiveEvents (c: MonitorCase) (watched: int64 -> bool) =
    let p = c.P
    let task = E1.task p
    let region = E1.jumpRegion p
    let hyper = { Eta = p.Eta; Lambda = p.Lambda }
    let st = Engine.create task (E1.start p)
    let sc = SdeEngine.scratch st
    let mutable rng = E1.streamOf p c.Kind c.Chain
    let mutable seen = false
    let mutable prevRank = -1
    let mutable jump = None
    let mutable collapse = None
    let mutable returns = 0
    let mutable exits = 0
    let mutable inB1 = false
    let mutable ok = true
    let mutable t = 0L

    let look (t: int64) =
        let net = Engine.toNetwork st
        let a = Network.product net
        let m = Linalg.maxAbs a

        // s_1 ≤ ‖A‖_F ≤ 2·max|A_ij|: below that the rank is 0 whatever the SVD says (and MathNet's SVD does
        // not converge on products near underflow, nor on entries 10⁻³⁰⁰ times smaller than the largest,
        // which are set to 0: that moves a singular value by less than 10⁻³⁰⁰ relative)
        let r =
            if 2.0 * m < E1Monitor.collapseThreshold then
                0
            else
                let sv =
                    Linalg.singularValues (a.Map(fun x -> if abs x < 1e-300 * m then 0.0 else x))

                E1.rankOf sv.[0] sv.[1]

        let sl = Region.slack region net

        if r = 0 && collapse.IsNone then
            collapse <- Some t

        match jump with
        | None ->
            if r = 1 && seen && sl.Min >= 0.0 then
                jump <- Some t
                inB1 <- true
        | Some _ ->
            if r = 2 && prevRank <= 1 then
                returns <- returns + 1

            if inB1 then
                if E1Monitor.beyondExitMargin region sl.Balancedness sl.Rank sl.Bounded then
                    inB1 <- false
                    exits <- exits + 1
            elif sl.Min >= 0.0 then
                inB1 <- true

        if r = 2 then
            seen <- true

        prevRank <- r

    look 0L

    while ok && t < p.Steps && not (E1.frozen p st) do
        ok <-
            match c.Kind with
            | E1RunKind.Sgd ->
                let e = Rng.nextInt &rng task.N
                let r = Engine.step st hyper st.ObservedRow.[e] st.ObservedCol.[e]
                System.Double.IsFinite r && st.WeightsFinite
            | E1RunKind.Gd -> E1.gdStep st sc hyper
            | E1RunKind.Sde ->
                SdeEngine.drawInto sc &rng
                SdeEngine.step st sc hyper

        t <- t + 1L

        if ok && watched t then
            look t

    jump, collapse, returns, exits

let private monitored (c: MonitorCase) =
    let r = E1.runOf c.Kind c.P c.Chain
    r, (r.JumpStep, r.CollapseStep, r.Returns, r.Events.B1Exits)

[<Fact>]
let ``E1 every-step monitor equals a naive per-step scan with the reference SVD and Region.slack`` () =
    let kinds = System.Collections.Generic.Dictionary<string, int>()

    Harness.check
        "e1.monitor.everyStep"
        60
        (Prop.forAll (Arb.fromGen monitorCase) (fun c ->
            let r, events = monitored c
            let key = sprintf "%A %A" c.Kind r.Outcome

            kinds.[key] <-
                (match kinds.TryGetValue key with
                 | true, n -> n + 1
                 | _ -> 1)
            // a run that diverged is left out: its last states overflow the reference SVD
            if r.Diverged then
                Prop.ofTestable true
            else
                let naive = naiveEvents c (fun _ -> true)
                events = naive |> Prop.label (sprintf "%A: monitor %A, naive %A" c events naive)))
    |> ignore

    // the comparison saw jumps and collapses, not only runs that stayed
    Assert.True(
        kinds.Keys
        |> Seq.exists (fun k -> k.EndsWith "Jumped" || k.EndsWith "Collapsed"),
        sprintf "%A" kinds
    )

[<Fact>]
let ``negative control: events read only on the log observation grid miss what the every-step monitor sees`` () =
    Harness.expectFailure
        "e1.monitor.gridOnly"
        60
        (Prop.forAll (Arb.fromGen monitorCase) (fun c ->
            let r, events = monitored c
            let grid = E1.gridOf c.P c.Kind |> Set.ofArray
            r.Diverged || events = naiveEvents c grid.Contains))
    |> ignore
