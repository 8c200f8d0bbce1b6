namespace LowRankVerify.Theory

/// Everything C2 measures at one point against one region.
type C2Measure =
    {
        /// Σ_{i ≤ rank A} f_α(ŝ_i^{2/L}) over the numerical rank (`c2RankThreshold`).
        Quantity: float
        /// max_ℓ Σ_i f_α(s_i(W_ℓᵀW_ℓ)), the layers' rank quantity (equal to Quantity at an exact critical
        /// point, D3); Quantity − LayerQuantity is the discrepancy the tolerance must cover.
        LayerQuantity: float
        /// r + ε2.
        Bound: float
        /// Quantity − Bound (> 0: the inequality is violated as computed).
        Excess: float
        /// Tolerance: Lip(f_α)·Σ_{i ≤ rank A} min(1, `c2IndexBound`) + the layers' rank round-off
        /// (`Region.roundOffBound`). A violation counts only beyond it.
        Tolerance: float
        /// The tolerance this one replaced, for comparison: min(A's sizes)·Lip(f_α)·E^{1/L} + rank round-off
        /// (Hölder only, every index, no rank cut).
        HolderTolerance: float
        /// E (`c2SpectrumError`).
        SpectrumError: float
        /// Computed singular values of A, descending.
        SingularValues: float[]
        /// Number of singular values above the threshold.
        NumericalRank: int
        /// The threshold ρ (`c2RankThreshold`).
        RankThreshold: float
        /// Σ over the dropped values of f_α((ŝ_i + ρ)^{2/L}): the most they can add in exact arithmetic.
        Dropped: float
        /// Holds (excess ≤ 0), Inconclusive (0 < excess ≤ tolerance), Counterexample (excess > tolerance).
        Verdict: Verdict
    }

/// C2 Critical points (THEORY.md §2): every critical point θ̂ of L_λ in B_r satisfies
/// Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}) ≤ r + ε2. The measurement at one point with its derived tolerance (`measure`),
/// the check on a budget (`check`: D7 points as a round-off check, solver and re-solved points as the
/// non-trivial ones), its negative controls and its hunt objective (`evaluate`, `problem`).
[<RequireQualifiedAccess>]
module C2 =

    /// Round-off bound ρ on the computed singular values of A = W_L ⋯ W_1, C2's numerical rank threshold:
    /// forming the product commits at most (L − 1)·γ_n·Π_ℓ ‖W_ℓ‖_F (Frobenius, Higham Thm 3.1 per product)
    /// and the backward-stable SVD γ_n‖A‖_F ≤ γ_n·Π_ℓ ‖W_ℓ‖_F more (n = max width + 2, `Tolerance.gamma`
    /// with its safety factor), so |ŝ_i − s_i(A)| ≤ ρ := L·γ_n·Π_ℓ ‖W_ℓ‖_F (Weyl). A computed ŝ_i ≤ ρ cannot
    /// be told from 0, so the numerical rank of A is #{i : ŝ_i > ρ} (THEORY.md C2 sums over i ≤ rank A).
    /// Why it matters: x ↦ x^{2/L} is not Lipschitz at 0, so a singular value that is exactly 0 but computed
    /// as 1e-16 would add f_α(1e-16^{2/L}) (1e-8/α at L = 4) to the sum; cut at ρ, a dropped value adds at
    /// most f_α(ρ^{2/L}) in exact arithmetic (recorded as `C2Measure.Dropped`).
    let rankThreshold (net: Network) =
        let n = Array.max (Network.widths net) + 2

        float net.Depth
        * Tolerance.gamma n
        * (Network.layerSquaredNorms net |> Array.fold (fun acc x -> acc * sqrt x) 1.0)

    /// Bounds δ_ℓ ≥ ‖D_ℓ‖_F (ℓ = 2..L, at index ℓ − 2) at a near-critical θ from its GRADIENT, not from its
    /// measured balancedness (the quantity C2 rests on): W_ℓᵀ∇_ℓL_λ − ∇_{ℓ−1}L_λ W_{ℓ−1}ᵀ = 2λ D_ℓ exactly
    /// (the data terms cancel, D3), so ‖D_ℓ‖_F ≤ (‖W_ℓ‖_F (g_ℓ + e_ℓ) + (g_{ℓ−1} + e_{ℓ−1}) ‖W_{ℓ−1}‖_F)/(2λ)
    /// with g_ℓ = ‖∇_ℓL_λ‖_F as computed and e_ℓ its round-off: ∇_ℓℓ = S_ℓᵀ(−R/N)P_{ℓ−1}ᵀ is a chain of L
    /// products with a residual R from the computed product, so e_ℓ ≤ γ_m (P_ℓ (‖R‖_F + P)/N + 2λ‖W_ℓ‖_F)
    /// with P = Π_k ‖W_k‖_F, P_ℓ = Π_{k≠ℓ} ‖W_k‖_F, m = L·(max width + 2) (first order, `Tolerance.gamma`'s
    /// safety factor). Needs λ > 0.
    let balanceBounds (task: Task) (lambda: float) (net: Network) : float[] =
        let depth = net.Depth

        let g =
            Loss.gradient task lambda net
            |> Array.map (fun m -> sqrt (Linalg.squaredFrobenius m))

        let w = Network.layerSquaredNorms net |> Array.map sqrt
        let p = Array.fold (*) 1.0 w

        let rNorm =
            sqrt (Linalg.squaredFrobenius (Loss.residuals task (Network.product net)))

        let gm = Tolerance.gamma (depth * (Array.max (Network.widths net) + 2))

        let others l =
            w
            |> Array.indexed
            |> Array.fold (fun acc (k, x) -> if k = l then acc else acc * x) 1.0

        let e l =
            gm * (others l * (rNorm + p) / float task.N + 2.0 * lambda * w.[l])

        Array.init (depth - 1) (fun k ->
            let l = k + 1
            (w.[l] * (g.[l] + e l) + (g.[l - 1] + e (l - 1)) * w.[l - 1]) / (2.0 * lambda))

    /// E ≥ |ŝ_i² − s_i(W_1ᵀW_1)^L| for every i, for the computed singular values ŝ_i of A (largest `s1`),
    /// from bounds `delta` on ‖D_ℓ‖_F (ℓ = 2..L at index ℓ − 2): replacing W_ℓᵀW_ℓ = W_{ℓ−1}W_{ℓ−1}ᵀ + D_ℓ
    /// from ℓ = L down to 2 turns AᵀA into (W_1ᵀW_1)^L; step ℓ changes a power (L − ℓ + 1) of an operator of
    /// norm ≤ μ = max_ℓ ‖W_ℓ‖_F² sandwiched between factors of norm ≤ μ^{ℓ−1}, by ≤ (L − ℓ + 1) μ^{L−1} δ_ℓ
    /// (‖(Y + D)^k − Y^k‖ ≤ k μ^{k−1}‖D‖). Both matrices are symmetric PSD, so Weyl bounds each sorted
    /// eigenvalue difference by the sum, μ^{L−1} Σ_ℓ (L − ℓ + 1) δ_ℓ. The computed ŝ_i are within
    /// ρ = `rankThreshold` of s_i(A), so ŝ_i² within ρ(2ŝ_1 + ρ) of s_i(A)², which is added.
    let spectrumError (delta: float[]) (net: Network) (s1: float) =
        let depth = net.Depth
        let mu = Network.layerSquaredNorms net |> Array.max
        let rho = rankThreshold net

        let e = delta |> Array.mapi (fun k d -> float (depth - k - 1) * d) |> Array.sum

        (if e > 0.0 then mu ** float (depth - 1) * e else 0.0) + rho * (2.0 * s1 + rho)

    /// Bound on (ŝ^{2/L} − x)_+ for a computed singular value ŝ of A and the exact x = s_i(W_1ᵀW_1) with
    /// |ŝ² − x^L| ≤ E (`spectrumError`), i.e. on a^{1/L} − b^{1/L} with a = ŝ², b = x^L ≥ a − E:
    /// x ↦ x^{1/L} is concave, so for a > b it is Lipschitz on [b, a] with constant (1/L)·b^{1/L−1}
    /// (the derivative at the smaller end, min(a, b) = b), and b ≥ a − E gives
    /// a^{1/L} − b^{1/L} ≤ E·(1/L)·(a − E)^{1/L−1} when a > E. Always also ≤ a^{1/L} (b ≥ 0) and ≤ E^{1/L}
    /// (Hölder); the smallest of the three is returned.
    let indexBound (depth: int) (e: float) (s: float) =
        let a = s * s
        let q = 1.0 / float depth
        let holder = e ** q
        let value = a ** q

        let lipschitz = if a > e then e * q * (a - e) ** (q - 1.0) else infinity

        min value (min holder lipschitz)

    /// C2's inequality at θ against region `p`, given bounds `delta` on ‖D_ℓ‖_F (`balanceBounds`; zeros for
    /// a point taken as exactly critical, as the criticality control does). Does not test θ ∈ B_r. The
    /// tolerance: Σ_{i ≤ rank A} f_α(ŝ_i^{2/L}) ≤ Σ_{i ≤ rank A} f_α(x_i) + Lip(f_α) Σ_i min(1, `indexBound`)
    /// (Weyl pairs the sorted values), Σ_{i ≤ rank A} f_α(x_i) ≤ Σ_i f_α(x_i) (f_α ≥ 0) is layer 1's rank
    /// quantity, which θ ∈ B_r bounds by r + ε2 up to its round-off.
    let measureWith (delta: float[]) (p: RegionParams) (net: Network) : C2Measure =
        let depth = net.Depth
        let s = Linalg.singularValues (Network.product net)
        let tau = rankThreshold net
        let kept = s |> Array.filter (fun x -> x > tau)
        let dropped = s |> Array.filter (fun x -> x <= tau)
        let f x = FAlpha.eval p.Family p.Alpha x
        let pow x = x ** (2.0 / float depth)
        let e = spectrumError delta net (if s.Length = 0 then 0.0 else s.[0])
        let lip = FAlpha.lipschitz p.Family p.Alpha
        let roundOff = (Region.roundOffBound p net).Rank

        let tol =
            lip * (kept |> Array.sumBy (fun x -> min (1.0 / lip) (indexBound depth e x)))
            + roundOff

        let quantity = kept |> Array.sumBy (pow >> f)
        let bound = float p.R + p.Eps2
        let excess = quantity - bound

        {
            Quantity = quantity
            LayerQuantity = (Region.measure p.Family p.Alpha net).ApproximateRanks |> Array.max
            Bound = bound
            Excess = excess
            Tolerance = tol
            HolderTolerance = float s.Length * lip * e ** (1.0 / float depth) + roundOff
            SpectrumError = e
            SingularValues = s
            NumericalRank = kept.Length
            RankThreshold = tau
            Dropped = dropped |> Array.sumBy (fun x -> f (pow (x + tau)))
            Verdict =
                (if excess > tol then Verdict.Counterexample
                 elif excess > 0.0 then Verdict.Inconclusive
                 else Verdict.Holds)
        }

    /// `measureWith` with the gradient-based bounds of `balanceBounds` (C2 at a near-critical point).
    let measure (p: RegionParams) (task: Task) (lambda: float) (net: Network) : C2Measure =
        measureWith (balanceBounds task lambda net) p net

    /// C2's tolerance at a (near-)critical point θ (`measure`), derived in four steps:
    /// 1. balance from the gradient (`balanceBounds`): 2λD_ℓ = W_ℓᵀ∇_ℓL_λ − ∇_{ℓ−1}L_λ W_{ℓ−1}ᵀ gives
    ///    ‖D_ℓ‖_F ≤ δ_ℓ, small when the gradient residual is;
    /// 2. spectrum (`spectrumError`): telescoping W_ℓᵀW_ℓ = W_{ℓ−1}W_{ℓ−1}ᵀ + D_ℓ and Weyl give
    ///    |ŝ_i² − x_i^L| ≤ E with x_i = s_i(W_1ᵀW_1), the computed ŝ_i's round-off included;
    /// 3. per index (`indexBound`): x ↦ x^{1/L} is concave, so on [min(a, b), max(a, b)] it is Lipschitz with
    ///    constant (1/L)·min(a, b)^{1/L−1}; with a = ŝ_i², b = x_i^L ≥ a − E this gives
    ///    ŝ_i^{2/L} − x_i ≤ E·(1/L)·(a − E)^{1/L−1} when a > E, and always ≤ min(E^{1/L}, a^{1/L});
    /// 4. sum (`measureWith`): over i ≤ rank A (`rankThreshold`), Σ f_α(ŝ_i^{2/L}) ≤ Σ_i f_α(x_i) +
    ///    Lip(f_α)·Σ_i min(1/Lip(f_α), step 3), and θ ∈ B_r bounds Σ_i f_α(x_i) by r + ε2 up to the layers' rank
    ///    round-off (`Region.roundOffBound`), which is added.
    /// It replaces the Hölder form k·Lip(f_α)·E^{1/L} (|a^{1/L} − b^{1/L}| ≤ |a − b|^{1/L}, kept as
    /// `C2Measure.HolderTolerance`), which was 10⁷–10⁸ times larger (median, verify quick) and reached 0.6.
    let tolerance (p: RegionParams) (task: Task) (lambda: float) (net: Network) = (measure p task lambda net).Tolerance

    /// C2 without the B_r hypothesis (its first negative control) at the exact critical point of root choice
    /// `ch` (D7, fully observed task): the region of `boundaryRegion` (piecewise f_α, α at the smallest
    /// positive s_i(A)^{2/L}, ε2 = 0.25) with r lowered by one. Some(quantity Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}),
    /// r + ε2, tolerance `tolerance`), None when the choice has no critical point or only A = 0.
    let withoutRegion (tk: Task) (depth: int) (lambda: float) (hidden: int[]) (ch: RootChoice[]) =
        match CriticalPoints.exactFullyObserved tk lambda hidden ch with
        | Ok(net, a) when a |> Array.exists (fun x -> x > 0.0) ->
            let xs =
                a
                |> Array.filter (fun x -> x > 0.0)
                |> Array.map (fun x -> x ** (2.0 / float depth))

            let p0 =
                { ClaimCases.boundaryRegion FAlphaFamily.Piecewise (Array.min xs) 0.25 net with
                    Eps2 = 0.25
                }

            let p = { p0 with R = max 0 (p0.R - 1) }
            let m = measure p tk lambda net
            Some(m.Quantity, m.Bound, m.Tolerance)
        | _ -> None

    /// C2 at one point: when θ ∈ B_r, compares Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}) with r + ε2 (`measure`);
    /// None when θ ∉ B_r.
    let checkPoint (p: RegionParams) (task: Task) (lambda: float) (net: Network) : C2Measure option =
        if not (Region.contains p net) then
            None
        else
            Some(measure p task lambda net)

    /// C2 without the criticality hypothesis (its second negative control) at `ClaimCases.c2NonCriticalCase`: the
    /// inequality with a tolerance for round-off only (θ taken as critical: zero balance bounds in
    /// `measureWith`). Returns (θ ∈ B_r, that measurement, relative gradient residual of θ, the full check's
    /// measurement with its gradient-based tolerance, description).
    let withoutCriticality (seed: uint64) (index: int) =
        let tk, lambda, net, p, text = ClaimCases.c2NonCriticalCase seed index
        let m = measureWith (Array.zeroCreate (net.Depth - 1)) p net

        Region.contains p net, m, CriticalPoints.relativeResidual tk lambda net, measure p tk lambda net, text

    /// The region of a non-trivial C2 point (`check`, the properties `C2.solver`, `C2.resolved`):
    /// `boundaryRegion` at the exact rank boundary, the f_α family and α (`alphaAt` among the point's
    /// s_i(A)^{2/L} over the numerical rank of A) drawn from `rng`.
    let solvedRegion (rng: Rng) (depth: int) (net: Network) : RegionParams =
        let mutable rng = rng

        let xs =
            Linalg.singularValues (Network.product net)
            |> Array.filter (fun x -> x > rankThreshold net)
            |> Array.map (fun x -> x ** (2.0 / float depth))

        let family = FAlpha.all.[Rng.nextInt &rng 2]
        ClaimCases.boundaryRegion family (ClaimCases.alphaAt xs (Rng.nextFloat &rng)) (-1.0) net

    /// The values of a C2 measurement in a case record.
    let private values (m: C2Measure) =
        [
            "quantity", CaseValue.Number m.Quantity
            "layerQuantity", CaseValue.Number m.LayerQuantity
            "bound", CaseValue.Number m.Bound
            "excess", CaseValue.Number m.Excess
            "tolerance", CaseValue.Number m.Tolerance
            "holderTolerance", CaseValue.Number m.HolderTolerance
            "spectrumError", CaseValue.Number m.SpectrumError
            "singularValues", CaseValue.Numbers m.SingularValues
            "numericalRank", CaseValue.Integer(int64 m.NumericalRank)
            "rankThreshold", CaseValue.Number m.RankThreshold
            "dropped", CaseValue.Number m.Dropped
        ]

    /// C2's non-triviality criterion, one sentence.
    [<Literal>]
    let criterion =
        "a critical point whose balance is a result, not an input: found by the solver (random tasks, mostly partially observed) or re-solved after a random misaligned perturbation of a D7 point, converged to relative residual 1e-12, in B_r at the exact rank boundary, with A != 0; exact D7 points are a round-off check only"

    /// C2 on `budget.Cases` D7 tasks (every root choice: the round-off check), `budget.Cases / 4` solver runs
    /// on random tasks and `budget.Cases / 4` perturbed-and-re-solved D7 points (the non-trivial points, each
    /// put at the exact rank boundary of B_r). Root choices without a critical point, solver runs that did not
    /// converge and points outside B_r are counted with their reason and recorded.
    let check (budget: CheckBudget) (progress: string -> unit) : CheckResult =
        let records = ResizeArray<CaseRecord>()
        let bad = ResizeArray<Counterexample>()
        let skipped = System.Collections.Generic.SortedDictionary<string, int>()
        let checkedBy = System.Collections.Generic.SortedDictionary<string, int>()
        let measured = ResizeArray<string * bool * C2Measure>()

        let bump (d: System.Collections.Generic.SortedDictionary<string, int>) key n =
            d.[key] <-
                (match d.TryGetValue key with
                 | true, c -> c + n
                 | _ -> n)

        let record kind tk (layers: Network option) region lambda verdict nonTrivial values =
            records.Add
                {
                    Claim = ClaimId.C2
                    Index = records.Count
                    Kind = kind
                    Task = Some tk
                    Layers = layers
                    Region = region
                    Eta = None
                    Lambda = Some lambda
                    Verdict = verdict
                    NonTrivial = nonTrivial
                    Values = values
                }

        let skipMany count reason kind tk layers lambda values =
            bump skipped reason count
            record kind tk layers None lambda Verdict.Inconclusive false (("skipped", CaseValue.Text reason) :: values)

        let skip = skipMany 1

        // checks a point in B_r (or records it as skipped), returns nothing
        let check kind (tk: Task) (net: Network) lambda (p: RegionParams) (nonTrivialIfNonzero: bool) extra describe =
            if not (Region.contains p net) then
                skip (kind + " outside B_r") (kind + " (skipped)") tk (Some net) lambda extra
            else
                let m = measure p tk lambda net
                let nonTrivial = nonTrivialIfNonzero && m.NumericalRank > 0
                bump checkedBy kind 1
                measured.Add(kind, nonTrivial, m)
                record kind tk (Some net) (Some p) lambda m.Verdict nonTrivial (extra @ values m)

                if m.Verdict <> Verdict.Holds then
                    bad.Add
                        {
                            Claim = ClaimId.C2
                            Description =
                                sprintf
                                    "%s: %s, r=%d, alpha=%.3g, eps2=%.3g, %s: sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) = %.9g vs r + eps2 = %.9g (tolerance %.3g)"
                                    kind
                                    describe
                                    p.R
                                    p.Alpha
                                    p.Eps2
                                    (FAlpha.name p.Family)
                                    m.Quantity
                                    m.Bound
                                    m.Tolerance
                            Violation = m.Excess
                            Bound = m.Tolerance
                            Status = m.Verdict
                            Replay = Check.replay ClaimId.C2 budget (Some(records.Count - 1))
                        }

        let shape (tk: Task) depth lambda =
            sprintf "task %dx%d N=%d L=%d lambda=%.4g" tk.DOut tk.DIn tk.N depth lambda

        let choicesText (ch: RootChoice[]) =
            ch |> Array.map (sprintf "%A") |> String.concat ","

        // exact D7 points: the round-off check
        for i in 0 .. budget.Cases - 1 do
            let tk, depth, lambda, hidden, rng0 = ClaimCases.randomD7Case budget.Seed i 4 2 5
            let mutable rng = rng0
            let noRoot = ResizeArray<string>()

            for ch in ClaimCases.allChoices (min tk.DOut tk.DIn) do
                match CriticalPoints.exactFullyObserved tk lambda hidden ch with
                | Error reason -> noRoot.Add(choicesText ch + ": " + reason)
                | Ok(net, a) ->
                    let family, alpha, eps2 =
                        ClaimCases.familyAndAlpha &rng (a |> Array.map (fun x -> x ** (2.0 / float depth)))

                    let p = ClaimCases.boundaryRegion family alpha eps2 net

                    check
                        "D7 point"
                        tk
                        net
                        lambda
                        p
                        false
                        [ "choices", CaseValue.Text(choicesText ch); "roots", CaseValue.Numbers a ]
                        (sprintf "%s choices %s" (shape tk depth lambda) (choicesText ch))

            if noRoot.Count > 0 then
                skipMany
                    noRoot.Count
                    "D7 root choice without a critical point"
                    "D7 root choices (skipped)"
                    tk
                    None
                    lambda
                    [
                        "depth", CaseValue.Integer(int64 depth)
                        "count", CaseValue.Integer(int64 noRoot.Count)
                        "choices", CaseValue.Text(String.concat "; " noRoot)
                    ]

        // a solver run from `start`: checked at the exact rank boundary when it converged, else skipped
        let solved kind (stream: uint64) (i: int) (tk: Task) depth lambda start extra describe =
            let sol = CriticalPoints.solve tk lambda Tolerance.criticalPointTarget 3000 start

            let extra =
                extra
                @ [
                    "start", CaseValue.Networks [| start |]
                    "relativeResidual", CaseValue.Number sol.RelativeResidual
                    "solverIterations", CaseValue.Integer(int64 sol.Iterations)
                ]

            if not sol.Converged then
                skip (kind + " not converged") (kind + " (skipped)") tk (Some sol.Network) lambda extra
            else
                check
                    kind
                    tk
                    sol.Network
                    lambda
                    (solvedRegion (Rng.stream stream (uint64 i)) depth sol.Network)
                    true
                    extra
                    (sprintf "%s, residual %.2g" describe sol.RelativeResidual)

        // solver points of random tasks
        for i in 0 .. max 1 (budget.Cases / 4) - 1 do
            let tk, depth, lambda, start, startState, scale =
                ClaimCases.c2SolverCase (budget.Seed ^^^ 0xC2UL) i

            solved
                "solver point"
                (budget.Seed ^^^ 0xC2A1UL)
                i
                tk
                depth
                lambda
                start
                [ "startSeed", CaseValue.Seed startState; "startScale", CaseValue.Number scale ]
                (shape tk depth lambda)

        // D7 points perturbed in random directions and re-solved
        for i in 0 .. max 1 (budget.Cases / 4) - 1 do
            match ClaimCases.c2ResolvedCase (budget.Seed ^^^ 0xC2E5UL) i with
            | None -> bump skipped "D7 task without a non-zero critical point to perturb" 1
            | Some(tk, depth, lambda, ch, _, sigma, state, start) ->
                solved
                    "re-solved point"
                    (budget.Seed ^^^ 0xC2A2UL)
                    i
                    tk
                    depth
                    lambda
                    start
                    [
                        "perturbedFrom", CaseValue.Text(choicesText ch)
                        "perturbation", CaseValue.Number sigma
                        "perturbationSeed", CaseValue.Seed state
                    ]
                    (sprintf "%s from %s perturbed by %.3g" (shape tk depth lambda) (choicesText ch) sigma)

        let nonTrivial = measured |> Seq.filter (fun (_, n, _) -> n) |> Seq.length

        // ratios over points with a positive tolerance (θ = 0 has tolerance 0 and quantity 0)
        let positive =
            measured |> Seq.filter (fun (_, _, m) -> m.Tolerance > 0.0) |> Seq.toList

        let worst (value: C2Measure -> float) (pick: string * bool * C2Measure -> bool) =
            positive
            |> List.filter pick
            |> List.map (fun (_, _, m) -> value m / m.Tolerance)
            |> Check.summary List.max "%.3g"

        let excess (m: C2Measure) = m.Excess
        let discrepancy (m: C2Measure) = m.Quantity - m.LayerQuantity

        let holderRatio =
            positive |> List.map (fun (_, _, m) -> m.HolderTolerance / m.Tolerance)

        let dict (d: System.Collections.Generic.SortedDictionary<string, int>) =
            if d.Count = 0 then
                "none"
            else
                d |> Seq.map (fun kv -> sprintf "%s %d" kv.Key kv.Value) |> String.concat ", "

        let within =
            measured
            |> Seq.filter (fun (_, _, m) -> m.Verdict = Verdict.Inconclusive)
            |> Seq.length

        let cov =
            sprintf
                "checked in B_r: %s; non-trivial %d (D7 points are a round-off check only); skipped: %s; %d within round-off; largest excess/tolerance: non-trivial %s, D7 %s; largest (sum over A - max layer sum)/tolerance: non-trivial %s, D7 %s; tolerance (Lipschitz of x^(1/L) away from 0) vs the Hoelder E^(1/L) one on the same points: median %s, max %s times smaller; largest tolerance %s (Hoelder: %s)"
                (dict checkedBy)
                nonTrivial
                (dict skipped)
                within
                (worst excess (fun (_, n, _) -> n))
                (worst excess (fun (k, _, _) -> k = "D7 point"))
                (worst discrepancy (fun (_, n, _) -> n))
                (worst discrepancy (fun (k, _, _) -> k = "D7 point"))
                (Check.summary Check.median "%.3g" holderRatio)
                (Check.summary List.max "%.3g" holderRatio)
                (measured
                 |> Seq.map (fun (_, _, m) -> m.Tolerance)
                 |> Seq.toList
                 |> Check.summary List.max "%.3g")
                (measured
                 |> Seq.map (fun (_, _, m) -> m.HolderTolerance)
                 |> Seq.toList
                 |> Check.summary List.max "%.3g")

        progress ("C2: " + cov)

        {
            Statement =
                "critical points in B_r satisfy sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) <= r + eps2 (solver and re-solved points at the exact rank boundary, up to their residual; D7 points of every root choice as a round-off check)"
            Verdict = Check.claimVerdict (measured |> Seq.map (fun (_, _, m) -> m.Verdict))
            CasesTried = measured.Count
            NonTrivialCases = nonTrivial
            BoundaryCoverage = cov
            Cases = List.ofSeq records
            Counterexamples = List.ofSeq bad
        }

    /// C2's negative controls: without the B_r hypothesis (r one below the point's rank quantity), and without
    /// criticality (non-critical imbalanced points inside B_r, round-off tolerance only); each must fail.
    let controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list =
        [
            fun budget progress ->
                Check.control
                    "C2 without the B_r hypothesis (r one below the point's rank quantity)"
                    ClaimId.C2
                    budget.Cases
                    (fun i ->
                        let tk, depth, lambda, hidden, _ =
                            ClaimCases.randomD7Case (budget.Seed ^^^ 0xC2C2UL) i 4 2 5

                        let k = min tk.DOut tk.DIn

                        ClaimCases.allChoices k
                        |> List.tryPick (fun ch ->
                            match withoutRegion tk depth lambda hidden ch with
                            | Some(qa, bound, tol) when qa - bound > tol ->
                                Some(
                                    sprintf
                                        "D7 %dx%d L=%d choices %A: quantity %.4g > r + eps2 = %.4g"
                                        tk.DOut
                                        tk.DIn
                                        depth
                                        ch
                                        qa
                                        bound
                                )
                            | _ -> None))
                    progress
            fun budget progress ->
                Check.control
                    "C2 without the criticality hypothesis (non-critical, imbalanced points inside B_r)"
                    ClaimId.C2
                    budget.Cases
                    (fun i ->
                        let inside, m, residual, full, text =
                            withoutCriticality (budget.Seed ^^^ 0xC2C3UL) i

                        if inside && m.Verdict = Verdict.Counterexample then
                            Some(
                                sprintf
                                    "%s: sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) = %.6g > r + eps2 = %.6g beyond the round-off tolerance %.3g; theta is in B_r but not critical (relative gradient residual %.3g on a D7 task of its shape; the claim check's gradient-based tolerance there is %.3g)"
                                    text
                                    m.Quantity
                                    m.Bound
                                    m.Tolerance
                                    residual
                                    full.Tolerance
                            )
                        else
                            None)
                    progress
        ]

    /// C2's hunt objective at a point of its hunt space: the D7 point of the root choice in the region at its
    /// rank boundary, score (excess − tolerance)/(r + ε2) (> 0: a confirmed counterexample). Without the regime
    /// scope r is lowered by one (the B_r hypothesis dropped: the control).
    let evaluate (o: HuntOverrides) (s: CriticalSpec) =
        let tk, depth, lambda, hidden = Generators.d7Case s.D7
        let lambda = defaultArg o.Lambda lambda
        let choices = ClaimCases.allChoices (min tk.DOut tk.DIn)
        let ch = choices.[((s.Choice % choices.Length) + choices.Length) % choices.Length]

        match CriticalPoints.exactFullyObserved tk lambda hidden ch with
        | Error _ -> Hunt.outOfScope
        | Ok(net, a) ->
            let xs =
                a
                |> Array.filter (fun x -> x > 0.0)
                |> Array.map (fun x -> x ** (2.0 / float depth))

            let alpha = defaultArg o.Alpha (ClaimCases.alphaAt xs s.AlphaPosition)
            let family = defaultArg o.Family s.Family
            let p0 = ClaimCases.boundaryRegion family alpha (defaultArg o.Eps2 s.Eps2) net

            let p =
                if o.InRegimeOnly then
                    p0
                else
                    { p0 with R = max 0 (p0.R - 1) }

            let p = { p with R = defaultArg o.R p.R }
            let contained = Region.contains p net

            if o.InRegimeOnly && not contained then
                Hunt.outOfScope
            else
                let m = measure p tk lambda net
                let qa = m.Quantity
                let excess = m.Excess
                let tol = m.Tolerance

                {
                    Score = (excess - tol) / (float p.R + p.Eps2)
                    AltScore = (excess - tol) / (float p.R + p.Eps2)
                    Violation = excess
                    Bound = tol
                    Status = Verdict.ofViolation excess tol
                    InRegime = contained
                    Description =
                        sprintf
                            "D7 %dx%d L=%d lambda=%.4g choices %s, r=%d, alpha=%.3g, eps2=%.3g, %s: sum_{i<=rank A} f_alpha(s_i(A)^{2/L}) = %.6g vs r + eps2 = %.6g (tolerance %.3g)%s"
                            tk.DOut
                            tk.DIn
                            depth
                            lambda
                            (ch |> Array.map (sprintf "%A") |> String.concat ",")
                            p.R
                            p.Alpha
                            p.Eps2
                            (FAlpha.name p.Family)
                            qa
                            (float p.R + p.Eps2)
                            tol
                            (if contained then
                                 ""
                             else
                                 "; theta NOT in B_r (hypothesis dropped)")
                    Case = None
                }

    /// C2's hunt problem under fixed values: exact D7 points (`ClaimCases.criticalSpec`), objective `evaluate`.
    let problem (o: HuntOverrides) : Problem<CriticalSpec> =
        let minDepth, maxDepth =
            (match o.Depth with
             | Some d -> d, d
             | None -> 2, 5)

        {
            Sample = ClaimCases.criticalSpec minDepth maxDepth
            Aimed = ClaimCases.criticalSpec minDepth maxDepth
            Mutate = Mutate.criticalSpec minDepth maxDepth
            Evaluate = evaluate o
            Shrinks = Shrink.criticalSpec minDepth
            Size = Shrink.criticalSize
            Parameters =
                fun s ->
                    [
                        "dOut", string s.D7.DOut
                        "dIn", string s.D7.DIn
                        "targetRank", string s.D7.TargetRank
                        "scale", Hunt.number s.D7.Scale
                        "depth", string s.D7.Depth
                        "cFraction", Hunt.number s.D7.CFraction
                        "taskSeed", string s.D7.Seed
                        "choice", string s.Choice
                        "family", FAlpha.name (defaultArg o.Family s.Family)
                        "alphaPosition", Hunt.number s.AlphaPosition
                        "eps2", Hunt.number s.Eps2
                    ]
        }

    /// C2's hunter (`problem` of the settings' fixed values).
    let hunter = Hunt.hunter (fun settings -> problem settings.Overrides)

    /// C2 in the registry.
    let definition: ClaimDefinition =
        ClaimDefinition.asserted ClaimId.C2 "Critical points" criterion Required.Cases check controls (Some hunter)
