namespace LowRankVerify.Theory

/// Settings of the derived C1 regime (choices, documented in `Regime`).
type RegimeSettings =
    {
        /// Safety margin ρ ∈ (0, 1) of the rank condition R3: directions below α must contract at a rate
        /// of at least 2ηλρ (R3), and the second-order term R4 may eat at most that decrease.
        Rho: float
        /// Factor κ_C > 1 on the smallest admissible norm bound: C = κ_C · m² / (8λ) (R2).
        KappaC: float
        /// The rank slack ε2 ∈ (0, 1) (below 1, at most r singular values can reach α inside B_r).
        Eps2: float
        /// The f_α family.
        Family: FAlphaFamily
    }

/// One condition of the derived regime, with its margin (≥ 0 when it holds).
type RegimeCondition =
    {
        /// Condition ID "R0" … "R4" (see `Regime`).
        Id: string
        /// The inequality in words.
        Statement: string
        /// Right side minus left side, scaled so that it is ≥ 0 exactly when the condition holds.
        Margin: float
    }

    /// True when the margin is ≥ 0.
    member this.Holds = this.Margin >= 0.0

/// The regime for C1 (closure of B_r under one SGD step), derived from D1 and bounds on the step:
/// sufficient for the balancedness and norm conditions (R1, R2 rigorous), a first-order heuristic for the
/// rank condition (R3, R4). Notation: d = 1 − 2ηλ, m = max_{(i,j)∈I} |A*_ij|, and for θ ∈ B_r (so ‖W_ℓ‖_F² ≤ C):
///
/// * |A_ij| ≤ Π_ℓ ‖W_ℓ‖_op ≤ C^{L/2}, so the residual obeys |r| ≤ R := m + C^{L/2};
/// * ‖a_ℓ‖ ≤ C^{(L−ℓ)/2}, ‖b_ℓ‖ ≤ C^{(ℓ−1)/2}, so the per-sample gradient G_ℓ = −r a_ℓ b_ℓᵀ obeys
///   ‖G_ℓ‖_F ≤ g := R · C^{(L−1)/2}.
///
/// **R0** (well-posed, partly a choice): λ > 0, 0 < 2ηλ ≤ 1/10 (d ∈ [0.9, 1): "small η"; it also keeps out
/// the degenerate d ≈ 0 where one step erases θ and closure is trivial), 0 < ε2 < 1, r·α ≤ C (room for r
/// values ≥ α).
///
/// **R1** (balancedness, RIGOROUS from D1): D_ℓ⁺ = d² D_ℓ + η²(G_ℓᵀG_ℓ − G_{ℓ−1}G_{ℓ−1}ᵀ). Both η² terms are
/// PSD of Frobenius norm ‖G‖_F² ≤ g², and for PSD X, Y ‖X − Y‖_F² ≤ ‖X‖_F² + ‖Y‖_F², so
/// ‖D_ℓ⁺‖_F ≤ d² √ε1 + √2 η² g². This is ≤ √ε1 iff √ε1 (1 − d²) ≥ √2 η² g², and 1 − d² = 4ηλ(1 − ηλ):
///     √ε1 ≥ η g² / (2√2 λ (1 − ηλ))        (the "ε1 ≥ c·(η/λ)²" form).
///
/// **R2** (bounded, RIGOROUS): the exact identity ‖W_ℓ⁺‖_F² = d²‖W_ℓ‖_F² + 2dη r A_ij + η² r² ‖a_ℓ‖²‖b_ℓ‖²
/// (because a_ℓᵀ W_ℓ b_ℓ = A_ij) and r A_ij = (A*_ij − A_ij) A_ij ≤ A*_ij²/4 ≤ m²/4 give
/// ‖W_ℓ⁺‖² ≤ d² C + dη m²/2 + η² g², which is ≤ C iff
///     4λ(1 − ηλ) C ≥ d m²/2 + η g²        (so C > m²/(8λ): the reviewers' C ~ 1/λ).
///
/// **R3** (rank; FIRST ORDER, a heuristic: linear in η and in the imbalance): in a balanced network W_ℓ = Q_ℓ Σ Q_{ℓ−1}ᵀ the
/// data part of the step in the frame of layer ℓ is (Σ^{L−ℓ}Uᵀe_i)(Σ^{ℓ−1}Vᵀe_j)ᵀ, whose k-th diagonal entry
/// is σ_k^{L−1} U_ik V_jk. To first order σ_k⁺ = σ_k (d + η r σ_k^{L−2} U_ik V_jk), so a direction with
/// σ_k² ≤ α' contracts by at least (1 − 2ηλρ) when R α'^{(L−2)/2} ≤ 2λ(1 − ρ). Values ≥ α count 1 whatever
/// they do, values below α then only shrink, so Σ f_α cannot grow. With imbalance, Weyl's inequality on
/// D_ℓ puts the k-th values of neighbouring layers within √ε1, hence α' = α + (L − 1)√ε1:
///     R · (α + (L − 1)√ε1)^{(L−2)/2} ≤ 2λ(1 − ρ).
/// For L = 2 the left side is R whatever α: L = 2 is inside only when the data are tiny (R ≤ 2λ(1 − ρ)),
/// which is why "C1 with L = 2" is a negative control.
///
/// **R4** (rank, second-order term; a heuristic, since it rests on R3's first-order contraction): the η² term raises Σ f_α by at most Lip(f_α) η² ‖G‖_F² ≤ Lip η² g². At the
/// rank boundary (Σ f_α = r + ε2 with ε2 < 1, so at most r values are ≥ α) the values below α carry f-mass
/// ≥ ε2, which R3's contraction lowers (piecewise family) by ≥ 2ηλρ ε2. Hence
///     η ≤ 2λρ ε2 / (Lip(f_α) g²).
/// For the quadratic family the decrease near α is smaller (f′(α) = 0): R4 is then a heuristic, and the
/// property tests say whether it suffices.
///
/// `derive` picks constants that satisfy R0–R3 at η → 0: C = κ_C m²/(8λ) (1 when m = 0),
/// α0 = (2λ(1 − ρ)/R)^{2/(L−2)}, α = α0/2, √ε1 = α0/(2(L − 1)) (so α' ≤ α0); `etaMax` is then the largest η
/// with R0–R4 (all monotone in η), found by bisection; `etaMaxSetBy` names the condition that sets it.
///
/// **What is rigorous** (`rigorous`, `label`): R0 (hypotheses and choices), R1 and R2 follow from exact
/// identities and norm inequalities. R3 and R4 are FIRST ORDER (heuristic): R3 linearises the step in η and
/// in the imbalance and assumes the balanced network's shared singular frames; R4 bounds the second-order
/// term only. Closure inside R0–R4 is therefore not proven: C1's check tests it. (A rigorous route for the
/// piecewise family is open: with P the projector on the eigenvectors of W_ℓᵀW_ℓ below α, concavity of f_α
/// and Ky Fan's inequality give Σ f_α(s_i(W_ℓ⁺ᵀW_ℓ⁺)) − Σ f_α(s_i(W_ℓᵀW_ℓ)) ≤ (‖W_ℓ⁺P‖_F² − ‖W_ℓP‖_F²)/α
/// exactly, whose η² part is R4's; the missing piece is a bound of the cross term ⟨W_ℓP, G_ℓP⟩ by the tail
/// mass ‖W_ℓP‖_F² when the layers' tails are not aligned, i.e. under imbalance.)
///
/// **Measured** (issue #11): where the data pull toward rank > r (λ below `NonTriviality.lambdaScale`),
/// λ ≪ m² makes C = κ_C m²/(8λ) large, R = m + C^{L/2} and g larger still. Over verify quick's 549 such
/// cases (seed 1) the regime is never empty, but `etaMax` is set by R4 and 2η_max λ ranges from 10⁻⁵⁴ to
/// 4·10⁻⁵ (median 4·10⁻¹³), with α a median 3·10⁻⁴ of the data's (r+1)-th layer value s_{r+1}^{2/L}: one
/// step moves B_r's quantities by less than their round-off on most tasks with more than 4 observed entries.
[<RequireQualifiedAccess>]
module Regime =

    /// Largest decay rate 2ηλ of R0 (choice: 1/10).
    [<Literal>]
    let maxDecayRate = 0.1

    /// Default settings: ρ = 1/2, κ_C = 2, ε2 = 1/2, piecewise f_α (choices).
    let defaults =
        {
            Rho = 0.5
            KappaC = 2.0
            Eps2 = 0.5
            Family = FAlphaFamily.Piecewise
        }

    /// R = m + C^{L/2}, the bound on |r| inside B_r (see the module comment).
    let residualBound (m: float) (c: float) (depth: int) = m + c ** (float depth / 2.0)

    /// g = R · C^{(L−1)/2}, the bound on ‖G_ℓ‖_F inside B_r.
    let gradientBound (m: float) (c: float) (depth: int) =
        residualBound m c depth * c ** (float (depth - 1) / 2.0)

    /// The conditions R0–R4 of the regime for (η, λ), the constants `p`, the task and the depth, each
    /// with its margin (≥ 0 when it holds).
    let conditions (hyper: Hyper) (p: RegionParams) (task: Task) (depth: int) (rho: float) : RegimeCondition list =
        let eta, lambda = hyper.Eta, hyper.Lambda
        let m = Task.targetScale task
        let rr = residualBound m p.C depth
        let g = gradientBound m p.C depth
        let d = 1.0 - 2.0 * eta * lambda

        // strict inequalities (λ > 0, η > 0, 0 < 2ηλ (no underflow), 0 < ε2 < 1, 0 < ρ < 1): a zero margin
        // fails them
        let strict (x: float) =
            if x > 0.0 then x
            elif x < 0.0 then x
            else -System.Double.Epsilon

        let r0 =
            [
                strict lambda
                strict eta
                strict (2.0 * eta * lambda)
                maxDecayRate - 2.0 * eta * lambda
                strict p.Eps2
                strict (1.0 - p.Eps2)
                p.C - float p.R * p.Alpha
                (if depth >= 2 then 1.0 else -1.0)
                strict rho
                strict (1.0 - rho)
            ]
            |> List.min

        let r1 =
            sqrt p.Eps1 - eta * g * g / (2.0 * sqrt 2.0 * lambda * (1.0 - eta * lambda))

        let r2 = 4.0 * lambda * (1.0 - eta * lambda) * p.C - (d * m * m / 2.0 + eta * g * g)
        let alphaPrime = p.Alpha + float (depth - 1) * sqrt p.Eps1
        let r3 = 2.0 * lambda * (1.0 - rho) - rr * alphaPrime ** (float (depth - 2) / 2.0)

        let r4 =
            2.0 * lambda * rho * p.Eps2 / (FAlpha.lipschitz p.Family p.Alpha * g * g) - eta

        [
            {
                Id = "R0"
                Statement = "lambda > 0, 0 < 2 eta lambda <= 1/10, 0 < eps2 < 1, r alpha <= C, L >= 2, 0 < rho < 1"
                Margin = r0
            }
            {
                Id = "R1"
                Statement = "sqrt eps1 >= eta g^2 / (2 sqrt2 lambda (1 - eta lambda))  [D1]"
                Margin = r1
            }
            {
                Id = "R2"
                Statement = "4 lambda (1 - eta lambda) C >= d m^2/2 + eta g^2  [norm identity]"
                Margin = r2
            }
            {
                Id = "R3"
                Statement =
                    "R (alpha + (L-1) sqrt eps1)^((L-2)/2) <= 2 lambda (1 - rho)  [tail contraction; first order]"
                Margin = r3
            }
            {
                Id = "R4"
                Statement = "eta <= 2 lambda rho eps2 / (Lip(f_alpha) g^2)  [second-order term; heuristic]"
                Margin = r4
            }
        ]

    /// η capped at R0's largest step, 2ηλ ≤ 1/10 (η itself when λ ≤ 0): the large-η controls' step (issue
    /// #11). With 1 − 2ηλ ≥ 0.9 a control counterexample comes from R1, R2 or R4 being broken, never from a
    /// decay factor that changes sign (2ηλ > 1), which is what 30·η_max gave on decay-dominated cases.
    let capAtR0 (eta: float) (lambda: float) =
        if lambda > 0.0 then
            min eta (maxDecayRate / (2.0 * lambda))
        else
            eta

    /// True for the conditions derived rigorously (R0, R1, R2); false for the first-order ones (R3, R4).
    let rigorous (id: string) = id = "R0" || id = "R1" || id = "R2"

    /// "rigorous" for R0–R2, "first order (heuristic)" for R3 and R4 (the label every report uses).
    let label (id: string) =
        if rigorous id then
            "rigorous"
        else
            "first order (heuristic)"

    /// True when every condition R0–R4 holds (C1 is then expected to hold).
    let inside (hyper: Hyper) (p: RegionParams) (task: Task) (depth: int) (rho: float) =
        conditions hyper p task depth rho |> List.forall (fun c -> c.Holds)

    /// The conditions that fail, by ID (empty when inside).
    let violated (hyper: Hyper) (p: RegionParams) (task: Task) (depth: int) (rho: float) =
        conditions hyper p task depth rho
        |> List.filter (fun c -> not c.Holds)
        |> List.map (fun c -> c.Id)

    /// The conditions that fail with their labels, in words ("R3 (first order (heuristic)), …"; "none" when inside).
    let violatedText (hyper: Hyper) (p: RegionParams) (task: Task) (depth: int) (rho: float) =
        match violated hyper p task depth rho with
        | [] -> "none"
        | v -> v |> List.map (fun id -> sprintf "%s (%s)" id (label id)) |> String.concat ", "

    /// Relative margin by which `derive` stays inside R3: with α + (L−1)√ε1 = α0 exactly, R3's margin
    /// would be 0 in exact arithmetic and ±1e-17 in doubles (it failed by round-off in about 2% of
    /// draws); shrinking α0 by 1e-6 gives R3 a margin of about 1e-6·(L−2)·λ(1−ρ), far above round-off.
    [<Literal>]
    let deriveMargin = 1e-6

    /// Region constants (C, α, ε1; ε2 and f_α from the settings) that satisfy R0–R3 as η → 0 for rank `r`,
    /// the task, the depth and λ (see the module comment). For L = 2, α = C/(4 max(r, 1)) and
    /// √ε1 = α/2 (R3 then depends on the data only).
    let derive (settings: RegimeSettings) (task: Task) (depth: int) (r: int) (lambda: float) : RegionParams =
        let m = Task.targetScale task

        let c =
            if m = 0.0 then
                1.0
            else
                settings.KappaC * m * m / (8.0 * lambda)

        let alpha, sqrtEps1 =
            if depth <= 2 then
                let a = c / (4.0 * float (max r 1))
                a, a / 2.0
            else
                let rr = residualBound m c depth
                let a0 = (2.0 * lambda * (1.0 - settings.Rho) / rr) ** (2.0 / float (depth - 2))
                let a0 = (1.0 - deriveMargin) * min a0 (c / float (max r 1))
                a0 / 2.0, a0 / (2.0 * float (depth - 1))

        {
            R = r
            Eps1 = sqrtEps1 * sqrtEps1
            Eps2 = settings.Eps2
            Alpha = alpha
            C = c
            Family = settings.Family
        }

    /// The largest η for which every condition of R0–R4 except those in `ignoring` holds, by bisection
    /// (every condition is monotone in η); 0 when no η > 0 qualifies. Controls pass `["R3"]` to keep the
    /// step small while the depth breaks the rank condition (L = 2).
    let etaMaxIgnoring
        (ignoring: string list)
        (p: RegionParams)
        (task: Task)
        (depth: int)
        (lambda: float)
        (rho: float)
        =
        let ok eta =
            conditions { Eta = eta; Lambda = lambda } p task depth rho
            |> List.forall (fun c -> c.Holds || List.contains c.Id ignoring)

        let hi0 = maxDecayRate / (2.0 * lambda)

        if ok hi0 then
            hi0
        else
            let mutable lo = 0.0
            let mutable hi = hi0

            for _ in 1..200 do
                let mid = 0.5 * (lo + hi)
                if mid > 0.0 && ok mid then lo <- mid else hi <- mid

            lo

    /// The largest η for which (η, λ, p) is inside R0–R4, by bisection (every condition is monotone in η);
    /// 0 when no η > 0 is inside (e.g. R3 fails, which η cannot fix). `etaMaxIgnoring` with nothing ignored.
    let etaMax (p: RegionParams) (task: Task) (depth: int) (lambda: float) (rho: float) =
        etaMaxIgnoring [] p task depth lambda rho

    /// The condition that sets `etaMax` (the largest η with R0–R4): "R0" when η_max is R0's cap 2ηλ = 1/10,
    /// else the first of R1–R4 (in that order) that fails just above η_max (at η_max·(1 + 10⁻⁹)); when no
    /// η > 0 is inside, the conditions that fail at every η (joined by "+", e.g. "R3"; "R0" for λ ≤ 0).
    let etaMaxSetBy (p: RegionParams) (task: Task) (depth: int) (lambda: float) (rho: float) =
        let eta = etaMax p task depth lambda rho

        let violatedAt e =
            violated { Eta = e; Lambda = lambda } p task depth rho

        if not (lambda > 0.0) then
            "R0"
        elif eta <= 0.0 then
            match violatedAt System.Double.Epsilon with
            | [] -> "R0"
            | ids -> String.concat "+" ids
        elif eta >= maxDecayRate / (2.0 * lambda) then
            "R0"
        else
            match violatedAt (eta * (1.0 + 1e-9)) with
            | [] -> "R0"
            | id :: _ -> id
