namespace LowRankVerify.Theory

/// One (η, λ) cell of the C1 map.
type ClosureCell =
    {
        /// η.
        Eta: float
        /// λ.
        Lambda: float
        /// True when the hunt found no confirmed counterexample for some κ_C of the ladder (C1 held).
        Holds: bool
        /// The smallest κ_C of the ladder for which C1 held (None when it failed for every one).
        KappaC: float option
        /// The constants of that κ_C (or of the largest κ_C tried when none held).
        Constants: RegionParams
        /// True when (η, λ, constants) lies in the derived regime R0–R4 (R0–R2 rigorous, R3–R4 first order:
        /// a heuristic, `Regime.label`).
        InRegime: bool
        /// Regime conditions that fail at these constants (empty when in the regime).
        Violated: string list
        /// The confirmed counterexample of the largest κ_C tried, when C1 failed for every κ_C.
        Counterexample: HuntFinding option
        /// Evaluations spent in the cell (all κ_C).
        Evaluations: int
    }

/// The C1 map over an (η, λ) grid for one task, depth, rank and f_α family.
type ClosureMap =
    {
        /// The task.
        Task: Task
        /// Depth L.
        Depth: int
        /// Rank r of B_r.
        R: int
        /// f_α family.
        Family: FAlphaFamily
        /// The η values (columns).
        Etas: float[]
        /// The λ values (rows).
        Lambdas: float[]
        /// κ_C ladder tried in each cell, ascending (C = κ_C m²/(8λ), `Regime.derive`).
        Kappas: float[]
        /// Evaluations per hunt (one hunt per cell and κ_C).
        EvaluationsPerHunt: int
        /// Cells, λ-major (row k = Lambdas.[k]).
        Cells: ClosureCell[]
    }

/// One (η, λ, L) cell of the E1 dynamics map.
type DynamicsCell =
    {
        /// η.
        Eta: float
        /// λ.
        Lambda: float
        /// Depth L.
        Depth: int
        /// Summary of the SGD chains and of the GD control (`E1.summarize`).
        Summary: E1Summary
        /// The phase (`Explore.phase`).
        Phase: string
    }

/// Maps of "small enough η and λ" (THEORY.md §4): where C1 holds with the best constants found, compared
/// with the derived regime (`Regime`: R0–R2 rigorous, R3–R4 first order, so a failure inside it is a finding
/// about the heuristic part or a contradiction of the rigorous part, and a hold is evidence within the hunt's
/// budget, not a proof), and where E1's dynamics jump, collapse or stay (THEORY.md §5).
[<RequireQualifiedAccess>]
module Explore =

    /// Default κ_C ladder: 1.25, 2, 4, 16 (C from just above the smallest admissible m²/(8λ) upward).
    let defaultKappas = [| 1.25; 2.0; 4.0; 16.0 |]

    /// n values log-spaced from lo to hi (inclusive).
    let logGrid (lo: float) (hi: float) (n: int) =
        if n <= 1 then
            [| lo |]
        else
            Array.init n (fun k -> exp (log lo + (log hi - log lo) * float k / float (n - 1)))

    /// The constants of κ_C at λ (`Regime.derive` with the default ρ, ε2 and the family).
    let constants (task: Task) (depth: int) (r: int) (family: FAlphaFamily) (lambda: float) (kappa: float) =
        Regime.derive
            { Regime.defaults with
                KappaC = kappa
                Family = family
            }
            task
            depth
            r
            lambda

    /// C1 in one cell: for each κ_C of the ladder (ascending), a hunt (`Hunt.run C1.hunter`, stop at the first confirmed
    /// counterexample, no shrinking) over points of B_r for the fixed task, depth, η, λ and constants;
    /// the cell holds at the first κ_C whose hunt finds none.
    let closureCell
        (task: Task)
        (depth: int)
        (r: int)
        (family: FAlphaFamily)
        (kappas: float[])
        (evaluations: int)
        (seed: uint64)
        (eta: float)
        (lambda: float)
        : ClosureCell =
        let hyper = { Eta = eta; Lambda = lambda }
        let mutable result = None
        let mutable last = None
        let mutable spent = 0
        let mutable k = 0

        while result.IsNone && k < kappas.Length do
            let p = constants task depth r family lambda kappas.[k]

            let o =
                { Overrides.none with
                    Task = Some task
                    Depth = Some depth
                    Eta = Some eta
                    Lambda = Some lambda
                    R = Some r
                    Eps1 = Some p.Eps1
                    Eps2 = Some p.Eps2
                    Alpha = Some p.Alpha
                    C = Some p.C
                    Family = Some family
                    InRegimeOnly = false
                }

            let h =
                Hunt.run
                    C1.hunter
                    { Hunt.defaults ClaimId.C1 (seed + uint64 k) with
                        MaxEvaluations = evaluations
                        MaxSeconds = 1e9
                        StopAtFirst = true
                        Shrink = false
                        Overrides = o
                    }

            spent <- spent + h.Evaluations
            let inside = Regime.inside hyper p task depth Regime.defaults.Rho
            let violated = Regime.violated hyper p task depth Regime.defaults.Rho

            if h.Confirmed.IsEmpty && h.Valid > 0 then
                result <- Some(kappas.[k], p, inside, violated)
            else
                last <- Some(p, inside, violated, List.tryHead h.Confirmed)

            k <- k + 1

        match result with
        | Some(kappa, p, inside, violated) ->
            {
                Eta = eta
                Lambda = lambda
                Holds = true
                KappaC = Some kappa
                Constants = p
                InRegime = inside
                Violated = violated
                Counterexample = None
                Evaluations = spent
            }
        | None ->
            let p, inside, violated, ce = last.Value

            {
                Eta = eta
                Lambda = lambda
                Holds = false
                KappaC = None
                Constants = p
                InRegime = inside
                Violated = violated
                Counterexample = ce
                Evaluations = spent
            }

    /// The (η, λ) of the C1 map's cells, λ-major (cell k of `closureMap` is `closureGrid etas lambdas`.[k]).
    let closureGrid (etas: float[]) (lambdas: float[]) =
        [|
            for lambda in lambdas do
                for eta in etas do
                    yield eta, lambda
        |]

    /// The C1 map from its cells (in `closureGrid` order), however and whenever they were computed: each
    /// cell is a function of the task, depth, r, family, ladder, budget, seed and its own (η, λ) alone.
    let closureMapOf
        (task: Task)
        (depth: int)
        (r: int)
        (family: FAlphaFamily)
        (etas: float[])
        (lambdas: float[])
        (kappas: float[])
        (evaluations: int)
        (cells: ClosureCell[])
        : ClosureMap =
        {
            Task = task
            Depth = depth
            R = r
            Family = family
            Etas = etas
            Lambdas = lambdas
            Kappas = kappas
            EvaluationsPerHunt = evaluations
            Cells = cells
        }

    /// The C1 map of `grid`'s task, depth, r, family, (η, λ) grid, ladder and budget (its cells are ignored:
    /// `closureMapOf … [||]`): `closureCell` on every (η, λ) of the grid; `progress` is called after each cell.
    let closureMap (grid: ClosureMap) (seed: uint64) (progress: int -> unit) : ClosureMap =
        let m = grid

        { m with
            Cells =
                closureGrid m.Etas m.Lambdas
                |> Array.map (fun (eta, lambda) ->
                    let c =
                        closureCell m.Task m.Depth m.R m.Family m.Kappas m.EvaluationsPerHunt seed eta lambda

                    progress 1
                    c)
        }

    /// The condition that sets η_max in a cell (`Regime.etaMaxSetBy` at the cell's constants and λ).
    let etaMaxSetBy (m: ClosureMap) (c: ClosureCell) =
        Regime.etaMaxSetBy c.Constants m.Task m.Depth c.Lambda Regime.defaults.Rho

    /// Per condition ID, the number of cells whose η_max it sets (`etaMaxSetBy`), in ID order.
    let etaMaxSetByCounts (m: ClosureMap) =
        m.Cells |> Array.countBy (etaMaxSetBy m) |> Array.sortBy fst

    /// Per λ row: (λ, derived etaMax (the largest `Regime.etaMax` over the κ_C ladder), largest grid η where C1 held below the first failure, smallest
    /// grid η where it failed). The empirical boundary lies between the last two.
    let boundary (m: ClosureMap) =
        [|
            for lambda in m.Lambdas do
                let row =
                    m.Cells
                    |> Array.filter (fun c -> c.Lambda = lambda)
                    |> Array.sortBy (fun c -> c.Eta)

                let firstFail = row |> Array.tryFind (fun c -> not c.Holds)

                let lastHold =
                    row
                    |> Array.filter (fun c ->
                        c.Holds
                        && (match firstFail with
                            | Some f -> c.Eta < f.Eta
                            | None -> true))
                    |> Array.tryLast

                let derived =
                    m.Kappas
                    |> Array.map (fun k ->
                        Regime.etaMax
                            (constants m.Task m.Depth m.R m.Family lambda k)
                            m.Task
                            m.Depth
                            lambda
                            Regime.defaults.Rho)
                    |> Array.max

                yield
                    lambda,
                    derived,
                    (lastHold |> Option.map (fun c -> c.Eta)),
                    (firstFail |> Option.map (fun c -> c.Eta))
        |]

    /// The E1 phase of a cell (THEORY.md §5), from its chains' outcomes (every step monitored):
    /// "SGD diverges" (≥ half the chains diverged), "SGD collapses to 0" (≥ half collapsed, including chains
    /// that passed rank 1 on their way: a collapse is not a jump), and otherwise by whether SGD jumps (a
    /// strict majority of the chains jumped into B_1 at rank 1 without collapsing) and GD's final
    /// numerical rank: "SGD jumps, GD stays at rank 2", "GD reaches rank 1, SGD does not jump", "both reach
    /// rank 1", "neither: SGD does not jump, GD at rank 2".
    let phase (s: E1Summary) =
        let gdRank1 = s.GdFinalRank <= 1
        let sgdJumps = s.FractionJumped > 0.5

        if s.FractionDiverged >= 0.5 then
            "SGD diverges"
        elif s.FractionCollapsed >= 0.5 then
            "SGD collapses to 0"
        elif sgdJumps && not gdRank1 then
            "SGD jumps, GD stays at rank 2"
        elif not sgdJumps && gdRank1 then
            "GD reaches rank 1, SGD does not jump"
        elif sgdJumps && gdRank1 then
            "both reach rank 1"
        else
            "neither: SGD does not jump, GD at rank 2"

    /// Every phase name, in legend order.
    let phases =
        [|
            "SGD jumps, GD stays at rank 2"
            "GD reaches rank 1, SGD does not jump"
            "both reach rank 1"
            "neither: SGD does not jump, GD at rank 2"
            "SGD collapses to 0"
            "SGD diverges"
        |]

    /// E1's default parameters (`E1.defaults`) with ε, the budget and the seed of a dynamics map, no offshoots.
    let dynamicsBase (epsilon: float) (steps: int64) (seeds: int) (seed: uint64) : E1Params =
        { E1.defaults with
            Epsilon = epsilon
            Steps = steps
            Seeds = seeds
            Seed = seed
            Sde = false
            Offshoots = 0
        }

    /// The (η, λ, L) of the E1 dynamics map's cells, depth-major, only those with 2ηλ < 1 (cell k of
    /// `dynamicsMap` is `dynamicsGrid etas lambdas depths`.[k]).
    let dynamicsGrid (etas: float[]) (lambdas: float[]) (depths: int[]) =
        [|
            for depth in depths do
                for lambda in lambdas do
                    for eta in etas do
                        if 2.0 * eta * lambda < 1.0 then
                            yield eta, lambda, depth
        |]

    /// One cell of the E1 dynamics map: `E1.run` (no offshoots) at (η, λ, L), `steps` steps, `seeds`
    /// chains on at most `threads` threads (a function of `baseP` and the cell alone, not of the order).
    let dynamicsCell
        (baseP: E1Params)
        (steps: int64)
        (seeds: int)
        (threads: int)
        (eta: float, lambda: float, depth: int)
        : DynamicsCell =
        let p =
            { baseP with
                Depth = depth
                Eta = eta
                Lambda = lambda
                Steps = steps
                Seeds = seeds
                Sde = false
                Offshoots = 0
                OffshootEta = min baseP.OffshootEta eta
                OffshootLambda = min baseP.OffshootLambda lambda
            }

        let r = E1.run p threads ignore

        {
            Eta = eta
            Lambda = lambda
            Depth = depth
            Summary = r.Summary
            Phase = phase r.Summary
        }

    /// The E1 dynamics map: `dynamicsCell` for every (η, λ, L) of `dynamicsGrid`; `progress` after each cell.
    let dynamicsMap
        (baseP: E1Params)
        (etas: float[])
        (lambdas: float[])
        (depths: int[])
        (steps: int64)
        (seeds: int)
        (threads: int)
        (progress: int -> unit)
        : DynamicsCell[] =
        dynamicsGrid etas lambdas depths
        |> Array.map (fun g ->
            let c = dynamicsCell baseP steps seeds threads g
            progress 1
            c)
