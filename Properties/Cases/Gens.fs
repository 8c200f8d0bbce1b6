namespace LowRankVerify.Properties

open System
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open MathNet.Numerics.LinearAlgebra

/// One random test case: a network shape, a task on its outer widths, a random network and the
/// hyper-parameters, all drawn from the small integers and floats below. The matrices themselves are
/// NOT stored: `Gens.task`, `Gens.network` and `Gens.rng` rebuild them deterministically from `Seed`
/// with the core's SplitMix64 `Rng`, so FsCheck prints a short, replayable case and shrinks it over
/// shape and depth (`Gens.shrinkCase`) instead of over thousands of raw floats.
type Case =
    {
        /// Widths `[| n_0; n_1; …; n_L |]`: n_0 = d_in, n_L = d_out, depth L = length − 1.
        Widths: int[]
        /// Seed of every random matrix and set of the case (streams: see `Gens.task`, `Gens.network`, `Gens.rng`).
        Seed: uint64
        /// Standard deviation of the network's Gaussian entries.
        Scale: float
        /// Standard deviation of the target's Gaussian entries.
        TargetScale: float
        /// Probability that an entry is observed; 1.0 means the fully observed task (every entry in I).
        /// At least one entry is always observed.
        ObservedFraction: float
        /// Learning rate η.
        Eta: float
        /// Regularisation λ.
        Lambda: float
    }

    /// Depth L (number of weight matrices).
    member this.Depth = this.Widths.Length - 1
    /// d_in = n_0.
    member this.DIn = this.Widths.[0]
    /// d_out = n_L.
    member this.DOut = this.Widths.[this.Widths.Length - 1]
    /// Hidden widths n_1 … n_{L-1}.
    member this.Hidden = this.Widths.[1 .. this.Widths.Length - 2]

/// The ranges a case generator draws from (inclusive bounds; floats are log-uniform).
type CaseSpec =
    {
        /// Smallest and largest depth L.
        Depth: int * int
        /// Smallest and largest width of every layer, inputs and outputs included.
        Width: int * int
        /// Range of `Case.Scale`.
        Scale: float * float
        /// Range of `Case.TargetScale`.
        TargetScale: float * float
        /// Probability that a case is fully observed (else the observed fraction is uniform in [0.3, 0.9]).
        FullyObserved: float
        /// Range of η.
        Eta: float * float
        /// Range of λ.
        Lambda: float * float
    }

/// Worst error/tolerance ratio seen over the cases of one property, for the test log: a check that
/// passes with ratio 1e-3 and one that passes with ratio 0.9 are different stories.
type Worst() =
    let mutable ratio = 0.0
    let mutable error = 0.0
    let mutable tolerance = 0.0
    let mutable count = 0

    /// Records one (error, tolerance) pair and returns `error <= tolerance` (NaN fails).
    member _.Record(err: float, tol: float) =
        count <- count + 1

        let r =
            if tol > 0.0 then err / tol
            elif err = 0.0 then 0.0
            else infinity

        if Double.IsNaN err || r > ratio then
            ratio <- (if Double.IsNaN err then nan else r)
            error <- err
            tolerance <- tol

        err <= tol

    /// Largest error/tolerance ratio recorded.
    member _.Ratio = ratio

    /// Number of recorded comparisons.
    member _.Count = count

    /// One line for the log: worst ratio with its error and tolerance.
    member _.Summary(name: string) =
        sprintf
            "%s: %d comparisons, worst error/tolerance = %.3g (error %.3g, tolerance %.3g)"
            name
            count
            ratio
            error
            tolerance

/// FsCheck generators and shrinkers for the property files, and the builders that turn a `Case` into
/// the core's `Task`, `Network` and `Hyper`. Other test files reuse them:
/// `Prop.forAll (Gens.arbCase Gens.general) (fun c -> … Gens.task c … Gens.network c …)`.
[<RequireQualifiedAccess>]
module Gens =

    /// Largest depth the generic generators draw (THEORY.md: L from 1 to 6 covers L ≤ 2 and L ≥ 3).
    [<Literal>]
    let maxDepth = 6

    /// Largest width the generic generators draw.
    [<Literal>]
    let maxWidth = 8

    /// Stream index of the target matrix.
    [<Literal>]
    let private targetStream = 0UL

    /// Stream index of the observed set.
    [<Literal>]
    let private observedStream = 1UL

    /// Stream index of the network.
    [<Literal>]
    let private networkStream = 2UL

    /// The general-purpose ranges: depth 1..6, widths 1..8, network scale 0.05..1, target scale 0.1..3,
    /// one case in four fully observed, η in [1e-3, 0.5], λ in [1e-4, 0.2].
    let general =
        {
            Depth = 1, maxDepth
            Width = 1, maxWidth
            Scale = 0.05, 1.0
            TargetScale = 0.1, 3.0
            FullyObserved = 0.25
            Eta = 1e-3, 0.5
            Lambda = 1e-4, 0.2
        }

    /// Log-uniform float in [lo, hi] (lo > 0) at a resolution of 1e-6 of the log range; `lo = hi` is constant.
    let logUniform (lo: float, hi: float) : Gen<float> =
        if lo = hi then
            Gen.constant lo
        else
            Gen.choose (0, 1_000_000)
            |> Gen.map (fun k -> lo * (hi / lo) ** (float k / 1e6))

    /// A 64-bit seed.
    let seed: Gen<uint64> = Gen.choose64 (0L, Int64.MaxValue) |> Gen.map uint64

    /// Widths `[| n_0; …; n_L |]` with L in `depth` and every width in `width`.
    let shape (depth: int * int) (width: int * int) : Gen<int[]> =
        gen {
            let! l = Gen.choose depth
            return! Gen.arrayOfLength (l + 1) (Gen.choose width)
        }

    /// A case drawn from `spec`.
    let caseOf (spec: CaseSpec) : Gen<Case> =
        gen {
            let! widths = shape spec.Depth spec.Width
            let! s = seed
            let! scale = logUniform spec.Scale
            let! targetScale = logUniform spec.TargetScale
            let! full = Gen.choose (0, 999) |> Gen.map (fun k -> float k < 1000.0 * spec.FullyObserved)
            let! fraction = Gen.choose (30, 90) |> Gen.map (fun k -> float k / 100.0)
            let! eta = logUniform spec.Eta
            let! lambda = logUniform spec.Lambda

            return
                {
                    Widths = widths
                    Seed = s
                    Scale = scale
                    TargetScale = targetScale
                    ObservedFraction = (if full then 1.0 else fraction)
                    Eta = eta
                    Lambda = lambda
                }
        }

    /// Smaller cases of the same seed, simplest first: drop a hidden layer (depth − 1), set a width to 1,
    /// decrease a width by one. Floats are kept: a counterexample shrinks to the smallest shape that still
    /// fails, and its seed replays it. `valid` filters candidates the property cannot use.
    let shrinkCaseWhere (valid: Case -> bool) (c: Case) : seq<Case> =
        seq {
            for k in 1 .. c.Depth - 1 do
                yield
                    { c with
                        Widths = Array.append c.Widths.[.. k - 1] c.Widths.[k + 1 ..]
                    }

            for k in 0 .. c.Widths.Length - 1 do
                if c.Widths.[k] > 2 then
                    yield
                        { c with
                            Widths = Array.updateAt k 1 c.Widths
                        }

                if c.Widths.[k] > 1 then
                    yield
                        { c with
                            Widths = Array.updateAt k (c.Widths.[k] - 1) c.Widths
                        }
        }
        |> Seq.filter valid

    /// `shrinkCaseWhere` accepting every candidate.
    let shrinkCase (c: Case) = shrinkCaseWhere (fun _ -> true) c

    /// Arbitrary of cases from `spec` that satisfy `valid` (generation retries until it holds), shrinking
    /// over shape within `valid`.
    let arbCaseWhere (valid: Case -> bool) (spec: CaseSpec) : Arbitrary<Case> =
        Arb.fromGenShrink (caseOf spec |> Gen.filter valid, shrinkCaseWhere valid)

    /// Arbitrary of cases from `spec`, shrinking over shape.
    let arbCase (spec: CaseSpec) : Arbitrary<Case> = arbCaseWhere (fun _ -> true) spec

    /// Independent random stream `k` (k ≥ 3) of a case, for anything a property draws beyond the task and
    /// network (gauge frames, directions, entries). Streams 0, 1, 2 are the target, observed set, network.
    let rng (c: Case) (k: int) : Rng = Rng.stream c.Seed (uint64 k)

    /// Target values: a d_out × d_in Gaussian matrix of standard deviation `TargetScale` (stream 0).
    let target (c: Case) : Matrix<float> =
        let xs, _ = Rng.gaussians (Rng.stream c.Seed targetStream) (c.DOut * c.DIn)
        Linalg.M.Dense(c.DOut, c.DIn, xs |> Array.map ((*) c.TargetScale))

    /// Observed set: every entry when `ObservedFraction >= 1`, else each entry independently with that
    /// probability (stream 1), and one uniformly drawn entry when that leaves the set empty.
    let observed (c: Case) : (int * int)[] =
        let all = Task.allEntries c.DOut c.DIn

        if c.ObservedFraction >= 1.0 then
            all
        else
            let mutable r = Rng.stream c.Seed observedStream
            let picked = all |> Array.filter (fun _ -> Rng.nextFloat &r < c.ObservedFraction)

            if picked.Length > 0 then
                picked
            else
                [| all.[Rng.nextInt &r all.Length] |]

    /// The task of a case (always valid: built through `Task.create`, which must accept it).
    let task (c: Case) : Task =
        match Task.ofMatrix (target c) (Some(observed c)) with
        | Ok t -> t
        | Error e -> failwithf "generated task rejected: %O" e

    /// The network of a case: Gaussian entries of standard deviation `Scale` (stream 2).
    let network (c: Case) : Network =
        Network.gaussian (Rng.stream c.Seed networkStream) c.Scale c.Widths |> fst

    /// The hyper-parameters of a case.
    let hyper (c: Case) : Hyper = { Eta = c.Eta; Lambda = c.Lambda }

    /// One observed entry of the case's task, uniform over I (stream `k`).
    let entry (c: Case) (k: int) : int * int =
        let obs = observed c
        let mutable r = rng c k
        obs.[Rng.nextInt &r obs.Length]

    /// Random orthogonal n × n matrix (Haar) from stream `k` of the case, with the advanced stream.
    let orthogonal (r: Rng) (n: int) : Matrix<float> * Rng = Linalg.randomOrthonormal r n n

    /// Random invertible n × n matrix with singular values in [lo, hi] (condition number ≤ hi/lo):
    /// Q₁ diag(σ) Q₂ᵀ with Haar Q's and σ log-uniform. Returns the matrix and its exact-by-construction
    /// inverse Q₂ diag(1/σ) Q₁ᵀ.
    let wellConditioned (r: Rng) (n: int) (lo: float, hi: float) : Matrix<float> * Matrix<float> * Rng =
        let q1, r1 = orthogonal r n
        let q2, r2 = orthogonal r1 n
        let mutable r3 = r2
        let sigma = Array.init n (fun _ -> lo * (hi / lo) ** Rng.nextFloat &r3)
        let m = q1 * Linalg.M.DenseOfDiagonalArray sigma * q2.Transpose()

        let inv =
            q2
            * Linalg.M.DenseOfDiagonalArray(sigma |> Array.map (fun s -> 1.0 / s))
            * q1.Transpose()

        m, inv, r3

    /// Unit direction in parameter space with the shapes of `net` (Gaussian, normalised), from `r`.
    let direction (r: Rng) (net: Network) : Matrix<float>[] =
        let n = (Network.toVector net).Length
        let xs, _ = Rng.gaussians r n
        let norm = sqrt (xs |> Array.sumBy (fun x -> x * x))
        (Network.ofVector net (xs |> Array.map (fun x -> x / norm))).W

/// Magnitudes that round-off tolerances are built from (absolute scales of the computed terms, not of
/// their possibly cancelling results). Every tolerance is `Tolerance.gamma n` × one of these.
[<RequireQualifiedAccess>]
module Scales =

    /// ‖W_ℓ‖_F for every layer.
    let layerNorms (net: Network) =
        Network.layerSquaredNorms net |> Array.map sqrt

    /// ∏_ℓ ‖W_ℓ‖_F, a bound on every entry of A_θ and of |W_L|⋯|W_1| (submultiplicativity).
    let productBound (net: Network) = layerNorms net |> Array.fold (*) 1.0

    /// ∏_{k≠ℓ} ‖W_k‖_F for every ℓ: bounds ‖a_ℓ‖‖b_ℓ‖ and ‖S_ℓ‖‖P_{ℓ-1}‖ (chains around layer ℓ).
    let chainBounds (net: Network) =
        let norms = layerNorms net

        Array.init norms.Length (fun l ->
            norms
            |> Array.indexed
            |> Array.fold (fun acc (k, x) -> if k = l then acc else acc * x) 1.0)

    /// Longest accumulation of a step or gradient: a chain of L products of width ≤ max width, plus the
    /// sum over N observed entries.
    let accumulation (task: Task) (net: Network) =
        net.Depth * (Array.max (Network.widths net)) + task.N

    /// Per-layer magnitude of one SGD or GD step W_ℓ → decay·W_ℓ + η·(data term):
    /// |decay|·‖W_ℓ‖_F + η·(max|A*| + ∏‖W‖_F)·∏_{k≠ℓ}‖W_k‖_F. The data term of an SGD step is
    /// η r a_ℓ b_ℓᵀ with |r| ≤ max|A*| + ∏‖W‖_F; of a GD step η S_ℓᵀ(R/N)P_{ℓ-1}ᵀ with ‖R‖_F/N ≤ the same.
    let stepScale (decay: float) (eta: float) (task: Task) (net: Network) : float[] =
        let p = productBound net
        let chains = chainBounds net
        let norms = layerNorms net
        let maxTarget = Linalg.maxAbs task.Target
        Array.init net.Depth (fun l -> abs decay * norms.[l] + eta * (maxTarget + p) * chains.[l])

    /// Largest absolute entry difference per layer of two networks of the same shapes.
    let layerDiffs (a: Network) (b: Network) =
        Array.map2 (fun (x: Matrix<float>) y -> Linalg.maxAbs (x - y)) a.W b.W
