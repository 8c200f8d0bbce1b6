namespace LowRankVerify.Theory

/// Neighbours of the specs: the hunts' local moves (hill climbing, `Hunt.advance`), one or two fields at a time.
/// Integers move by ±1 within their ranges, positive floats by a log-normal factor, seeds are redrawn.
[<RequireQualifiedAccess>]
module Mutate =

    let private uniform (rng: byref<Rng>) lo hi = lo + (hi - lo) * Rng.nextFloat &rng

    let private clampI lo hi (x: int) = max lo (min hi x)

    let private clampF lo hi (x: float) = max lo (min hi x)

    /// x times e^{sd·ξ} with ξ ~ N(0, 1) drawn from `rng`, within [lo, hi] (a log-normal move of a positive float).
    let private logMove (rng: byref<Rng>) (sd: float) (lo: float) (hi: float) (x: float) =
        clampF lo hi (x * exp (sd * Rng.nextGaussian &rng))

    /// A neighbour of a task spec: one of d_out, d_in, the target rank ±1 (within 1..6), the scale times e^{N(0, 1/4)},
    /// the observed fraction moved (or the task fully/partially observed, E1's ε moved), or a new seed.
    let task (rng: byref<Rng>) (t: TaskSpec) =
        match Rng.nextInt &rng 6 with
        | 0 ->
            { t with
                DOut = clampI 1 6 (t.DOut + (if Rng.nextInt &rng 2 = 0 then -1 else 1))
            }
        | 1 ->
            { t with
                DIn = clampI 1 6 (t.DIn + (if Rng.nextInt &rng 2 = 0 then -1 else 1))
            }
        | 2 ->
            { t with
                TargetRank = clampI 1 6 (t.TargetRank + (if Rng.nextInt &rng 2 = 0 then -1 else 1))
            }
        | 3 ->
            { t with
                Scale = logMove &rng 0.5 0.01 10.0 t.Scale
            }
        | 4 ->
            { t with
                Kind =
                    match t.Kind with
                    | TaskKind.Partial f ->
                        if Rng.nextInt &rng 3 = 0 then
                            TaskKind.Full
                        else
                            TaskKind.Partial(clampF 0.05 1.0 (f + 0.2 * Rng.nextGaussian &rng))
                    | TaskKind.Full -> TaskKind.Partial(uniform &rng 0.3 0.9)
                    | TaskKind.E1 eps -> TaskKind.E1(logMove &rng 0.3 0.01 0.9 eps)
            }
        | _ -> { t with Seed = Rng.nextUInt64 &rng }

    /// A neighbour of a point spec: depth (≥ `minDepth`), a hidden width, r, full or tail count ±1, an edge
    /// switched, the slack exponent ±1, or a new seed.
    let point (rng: byref<Rng>) (minDepth: int) (p: PointSpec) =
        let sign = if Rng.nextInt &rng 2 = 0 then -1 else 1

        match Rng.nextInt &rng 9 with
        | 0 -> Generators.withDepth (clampI minDepth 6 (p.Depth + sign)) p
        | 1 when p.Hidden.Length > 0 ->
            let h = Array.copy p.Hidden
            let l = Rng.nextInt &rng h.Length
            h.[l] <- clampI 1 6 (h.[l] + sign)
            { p with Hidden = h }
        | 2 -> { p with R = clampI 0 6 (p.R + sign) }
        | 3 ->
            { p with
                Full = clampI 0 6 (p.Full + sign)
            }
        | 4 ->
            { p with
                Tail = clampI 0 6 (p.Tail + sign)
            }
        | 5 ->
            match Rng.nextInt &rng 4 with
            | 0 -> { p with RankEdge = not p.RankEdge }
            | 1 -> { p with NormEdge = not p.NormEdge }
            | 2 -> { p with Misaligned = not p.Misaligned }
            | _ ->
                { p with
                    BalanceEdge = not p.BalanceEdge
                }
        | 6 ->
            { p with
                SlackExponent = clampI 1 15 (p.SlackExponent + sign)
            }
        | _ -> { p with Seed = Rng.nextUInt64 &rng }

    /// A neighbour of a C1 spec (C1, C4): 1–2 moves among the task (unless fixed), λ (×e^{N(0, 1/4)}, down to
    /// 1e-12), η's fraction of η_max (toward or away from 1 on a log scale of 1 − fraction), the f_α family
    /// (unless fixed) and the point; made consistent with the fixed values (`Overrides.fixClosure`).
    let closureSpec (o: HuntOverrides) (minDepth: int) (rng: Rng) (s: ClosureSpec) =
        let mutable r = rng
        let moves = 1 + Rng.nextInt &r 2
        let mutable s = s

        for _ in 1..moves do
            s <-
                match Rng.nextInt &r 5 with
                | 0 when o.Task.IsNone -> { s with Task = task &r s.Task }
                | 1 ->
                    // down to 1e-12: λ below the data's scale (`NonTriviality.lambdaScale`) reaches 1e-5 and less
                    { s with
                        Lambda = logMove &r 0.5 1e-12 10.0 s.Lambda
                    }
                | 2 ->
                    // toward or away from the regime's edge η = etaMax, on a log scale of 1 − fraction
                    let gap = clampF 1e-12 0.99 (1.0 - s.EtaFraction)

                    { s with
                        EtaFraction = clampF 1e-3 1.0 (1.0 - gap * exp (1.0 * Rng.nextGaussian &r))
                    }
                | 3 when o.Family.IsNone && Rng.nextInt &r 4 = 0 ->
                    { s with
                        Family =
                            (if s.Family = FAlphaFamily.Piecewise then
                                 FAlphaFamily.Quadratic
                             else
                                 FAlphaFamily.Piecewise)
                    }
                | _ ->
                    { s with
                        Point = point &r minDepth s.Point
                    }

        Overrides.fixClosure o s, r

    /// A neighbour of a point of C2's hunt space: a size, the target rank or the depth (within
    /// [minDepth, maxDepth]) ±1, c/c_max, the root choice, α's position or ε2 moved, or a new task seed (and
    /// sometimes family).
    let criticalSpec (minDepth: int) (maxDepth: int) (rng: Rng) (s: CriticalSpec) =
        let mutable r = rng
        let sign = if Rng.nextInt &r 2 = 0 then -1 else 1
        let d = s.D7
        let withD7 (d7: D7Spec) = { s with D7 = d7 }

        let s' =
            match Rng.nextInt &r 9 with
            | 0 ->
                withD7
                    { d with
                        DOut = clampI 1 4 (d.DOut + sign)
                    }
            | 1 ->
                withD7
                    { d with
                        DIn = clampI 1 4 (d.DIn + sign)
                    }
            | 2 ->
                withD7
                    { d with
                        TargetRank = clampI 1 4 (d.TargetRank + sign)
                    }
            | 3 ->
                withD7
                    { d with
                        Depth = clampI minDepth maxDepth (d.Depth + sign)
                    }
            | 4 ->
                withD7
                    { d with
                        CFraction = clampF 0.01 0.99 (d.CFraction + 0.1 * Rng.nextGaussian &r)
                    }
            | 5 -> { s with Choice = s.Choice + sign }
            | 6 ->
                { s with
                    AlphaPosition = clampF 0.0 1.0 (s.AlphaPosition + 0.1 * Rng.nextGaussian &r)
                }
            | 7 ->
                { s with
                    Eps2 =
                        (if s.Eps2 < 0.0 then 0.9 * Rng.nextFloat &r
                         elif Rng.nextInt &r 3 = 0 then -1.0
                         else clampF 0.0 0.99 (s.Eps2 + 0.1 * Rng.nextGaussian &r))
                }
            | _ ->
                { s with
                    D7 = { d with Seed = Rng.nextUInt64 &r }
                    Family =
                        (if Rng.nextInt &r 4 = 0 then
                             FAlpha.all.[Rng.nextInt &r 2]
                         else
                             s.Family)
                }

        let d = s'.D7

        { s' with
            D7 =
                { d with
                    TargetRank = clampI 1 (min d.DOut d.DIn) d.TargetRank
                }
        },
        r

    /// A neighbour of a point of C3's hunt space: the task (unless fixed), depth, width or r ±1, λ or the start's
    /// size moved, rows and columns swapped, or a new seed.
    let reachSpec (o: HuntOverrides) (rng: Rng) (s: ReachSpec) =
        let mutable r = rng
        let sign = if Rng.nextInt &r 2 = 0 then -1 else 1

        let s' =
            match Rng.nextInt &r 8 with
            | 0 when o.Task.IsNone -> { s with Task = task &r s.Task }
            | 1 ->
                { s with
                    Depth = clampI 3 5 (s.Depth + sign)
                }
            | 2 ->
                { s with
                    Width = clampI 1 5 (s.Width + sign)
                }
            | 3 -> { s with R = clampI 1 5 (s.R + sign) }
            | 4 ->
                { s with
                    Lambda = logMove &r 0.5 1e-3 2.0 s.Lambda
                }
            | 5 ->
                { s with
                    StartFactor = logMove &r 0.7 3.0 1e4 s.StartFactor
                }
            | 6 -> { s with ByColumns = not s.ByColumns }
            | _ -> { s with Seed = Rng.nextUInt64 &r }

        s', r

    /// A neighbour of a point of C6's hunt space: ε or λ moved, depth ±1, or a new seed.
    let gdSpec (rng: Rng) (s: GdSpec) =
        let mutable r = rng

        let s' =
            match Rng.nextInt &r 4 with
            | 0 ->
                { s with
                    Epsilon = logMove &r 0.2 0.02 0.5 s.Epsilon
                }
            | 1 ->
                { s with
                    Depth = clampI 3 8 (s.Depth + (if Rng.nextInt &r 2 = 0 then -1 else 1))
                }
            | 2 ->
                { s with
                    Lambda = logMove &r 0.4 1e-4 0.05 s.Lambda
                }
            | _ -> { s with Seed = Rng.nextUInt64 &r }

        s', r
