namespace LowRankVerify.Theory

/// Values that a hunt keeps fixed instead of searching (None: searched). Values outside a claim's
/// regime are allowed: that is how negative controls are hunted.
type HuntOverrides =
    {
        /// A fixed task (from a file or E1's); None: random tasks from `Generators.taskSpec`.
        Task: Task option
        /// A fixed depth L.
        Depth: int option
        /// A fixed learning rate η (C1, C3, C4).
        Eta: float option
        /// Factor on the searched η (C1, C3, C4: η = fraction · etaMax · factor; C6: on GD's η = 0.5/‖H‖).
        EtaFactor: float
        /// A fixed λ (the region constants are still derived at the searched λ when it is 0).
        Lambda: float option
        /// A fixed rank r of B_r.
        R: int option
        /// A fixed ε1.
        Eps1: float option
        /// A fixed ε2.
        Eps2: float option
        /// A fixed α.
        Alpha: float option
        /// A fixed norm bound C.
        C: float option
        /// A fixed f_α family.
        Family: FAlphaFamily option
        /// Only candidates inside the claim's documented regime count (C1, C4: `Regime.inside`; C2: θ ∈ B_r).
        /// False for controls: C2 then lowers r by one below the point's boundary region (drops the B_r
        /// hypothesis).
        InRegimeOnly: bool
    }

/// Cases under fixed values (`HuntOverrides`): what a hunt, an explore map or a control keeps fixed.
[<RequireQualifiedAccess>]
module Overrides =

    let private clampI lo hi (x: int) = max lo (min hi x)

    /// No fixed value, in-regime scope.
    let none =
        {
            Task = None
            Depth = None
            Eta = None
            EtaFactor = 1.0
            Lambda = None
            R = None
            Eps1 = None
            Eps2 = None
            Alpha = None
            C = None
            Family = None
            InRegimeOnly = true
        }

    /// A C1 spec made consistent with the fixed values: E1's task at 2×2, the target rank within the task, the fixed
    /// depth and family, r, full and tail values within the spectrum.
    let fixClosure (o: HuntOverrides) (s: ClosureSpec) =
        let ts =
            match s.Task.Kind with
            | TaskKind.E1 _ -> { s.Task with DOut = 2; DIn = 2 }
            | _ -> s.Task

        let ts =
            { ts with
                TargetRank = clampI 1 (min ts.DOut ts.DIn) ts.TargetRank
            }

        let ps =
            match o.Depth with
            | Some d -> Generators.withDepth d s.Point
            | None -> s.Point

        let dOut, dIn =
            (match o.Task with
             | Some t -> t.DOut, t.DIn
             | None -> ts.DOut, ts.DIn)

        let k = Generators.spectrumSize dOut dIn ps
        let r = clampI 0 k ps.R
        let full = clampI 0 r ps.Full

        let ps =
            { ps with
                R = r
                Full = full
                Tail = clampI 0 (k - full) ps.Tail
            }

        { s with
            Task = ts
            Point = ps
            Family = defaultArg o.Family s.Family
        }

    /// λ at which the region's constants are derived: the fixed λ, or the searched `lambda` when none is fixed or the
    /// fixed one is 0 (a λ = 0 control keeps the constants of a positive λ).
    let constantsLambda (o: HuntOverrides) (lambda: float) =
        match o.Lambda with
        | Some l when l > 0.0 -> l
        | _ -> lambda

    /// Region constants `p` with each fixed constant (ε1, ε2, α, C) in place.
    let region (o: HuntOverrides) (p: RegionParams) =
        { p with
            Eps1 = defaultArg o.Eps1 p.Eps1
            Eps2 = defaultArg o.Eps2 p.Eps2
            Alpha = defaultArg o.Alpha p.Alpha
            C = defaultArg o.C p.C
        }

    /// The C1 case of a spec under overrides: constants from `Regime.derive` at the spec's λ (the searched
    /// one when the override is 0), then each fixed constant; η = EtaFraction · etaMax (ignoring R3, which η
    /// cannot change) · EtaFactor, or the fixed η; the point from `Generators.point`.
    let closureCase (o: HuntOverrides) (s: ClosureSpec) : ClosureCase =
        let s = fixClosure o s

        let tk =
            match o.Task with
            | Some t -> t
            | None -> Generators.task s.Task

        let depth = s.Point.Depth

        let lambdaC = constantsLambda o s.Lambda

        let p =
            Regime.derive
                { Regime.defaults with
                    Family = s.Family
                }
                tk
                depth
                s.Point.R
                lambdaC
            |> region o

        let pPoint = { p with R = defaultArg o.R s.Point.R }

        let eta0 =
            s.EtaFraction
            * Regime.etaMaxIgnoring [ "R3" ] pPoint tk depth lambdaC Regime.defaults.Rho
            * o.EtaFactor

        // the large-η controls (EtaFactor > 1) stay within R0's 2ηλ ≤ 1/10 (`Regime.capAtR0`): they break
        // R1, R2, R4, not the sign of the decay
        let eta0 =
            if o.EtaFactor > 1.0 then
                Regime.capAtR0 eta0 (defaultArg o.Lambda s.Lambda)
            else
                eta0

        let eta = defaultArg o.Eta eta0

        {
            Task = tk
            Depth = depth
            Region = pPoint
            Hyper =
                {
                    Eta = eta
                    Lambda = defaultArg o.Lambda s.Lambda
                }
            Point = Generators.point pPoint tk.DOut tk.DIn s.Point
        }

    /// A random C1 spec under fixed values (`Generators.closureSpec`, tasks up to 6×6, the point spec drawn for
    /// the fixed task when there is one).
    let sampleClosure (o: HuntOverrides) (minDepth: int) (maxDepth: int) (rng: Rng) =
        let mutable r = rng
        let s = Generators.closureSpec &r 6 minDepth maxDepth

        let s =
            match o.Task with
            | Some t ->
                { s with
                    Point = Generators.pointSpec &r t.DOut t.DIn minDepth maxDepth 6
                }
            | None -> s

        fixClosure o s, r

    /// `sampleClosure` moved to the limits of C1's hypotheses (`Generators.aimedClosureSpec`): the hunts' aimed starts.
    let aimedClosure (o: HuntOverrides) (minDepth: int) (maxDepth: int) =
        fun (rng: Rng) ->
            let s, r = sampleClosure o minDepth maxDepth rng
            let mutable r = r
            let s = Generators.aimedClosureSpec &r o.R o.Task s
            fixClosure o s, r

    let private number (x: float) =
        x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)

    /// The parameters of a C1 spec under fixed values, for a finding (name, value).
    let closureParameters (o: HuntOverrides) (s: ClosureSpec) =
        let c = closureCase o s

        [
            "task",
            (match o.Task with
             | Some _ -> "fixed"
             | None -> sprintf "%A" s.Task.Kind)
            "dOut", string c.Task.DOut
            "dIn", string c.Task.DIn
            "N", string c.Task.N
            "targetRank", string s.Task.TargetRank
            "scale", number s.Task.Scale
            "taskSeed", string s.Task.Seed
            "depth", string c.Depth
            "widths", (Network.widths c.Point |> Array.map string |> String.concat ",")
            "r", string c.Region.R
            "full", string s.Point.Full
            "tail", string s.Point.Tail
            "edges",
            sprintf
                "rank=%b norm=%b balance=%b misaligned=%b"
                s.Point.RankEdge
                s.Point.NormEdge
                s.Point.BalanceEdge
                s.Point.Misaligned
            "slackExponent", string s.Point.SlackExponent
            "pointSeed", string s.Point.Seed
            "eta", number c.Hyper.Eta
            "etaFraction", number s.EtaFraction
            "lambda", number c.Hyper.Lambda
            "eps1", number c.Region.Eps1
            "eps2", number c.Region.Eps2
            "alpha", number c.Region.Alpha
            "C", number c.Region.C
            "family", FAlpha.name c.Region.Family
            "etaMaxSetBy", Regime.etaMaxSetBy c.Region c.Task c.Depth c.Hyper.Lambda Regime.defaults.Rho
        ]
