namespace LowRankVerify.Theory

/// The one shrinker of every spec (THEORY.md §4 "shrinking to a small case"): the property tests hand it to
/// FsCheck (Properties/Cases/CaseArbitraries.fs) and the hunts shrink their confirmed counterexamples with it
/// (`Hunt.shrinkWith`). Candidates are smaller (sizes, depth, widths, ranks, counts of full and tail values),
/// simpler (an edge of B_r switched off, a partially observed task fully observed, the quadratic f_α piecewise)
/// or rounder (a float to one or two significant digits), most aggressive first. Values a hunt keeps fixed
/// (`HuntOverrides`) are not shrunk.
[<RequireQualifiedAccess>]
module Shrink =

    /// Rounds x to `digits` significant digits (shrinking toward rounder numbers): the double nearest to the
    /// decimal with those digits, so that rounding again changes nothing. (Math.Round(x / 10^e)·10^e is not
    /// stable: it maps 0.3 to 0.30000000000000004 at one digit and back to 0.3 at two, a cycle that kept a
    /// shrinker busy until its limit.)
    let roundSignificant (digits: int) (x: float) =
        if x = 0.0 || not (System.Double.IsFinite x) then
            x
        else
            let inv = System.Globalization.CultureInfo.InvariantCulture
            System.Double.Parse(x.ToString("E" + string (max 0 (digits - 1)), inv), inv)

    /// x rounded to one and to two significant digits, where that changes it and stays positive.
    let rounded (x: float) =
        [ roundSignificant 1 x; roundSignificant 2 x ]
        |> List.filter (fun y -> y <> x && y > 0.0)
        |> List.distinct

    /// Smaller (d_out, d_in, target rank) of a task: each size less one (the rank follows), the rank less one.
    let private sizes (dOut: int) (dIn: int) (rank: int) =
        [
            if dOut > 1 then
                yield dOut - 1, dIn, min rank (min (dOut - 1) dIn)
            if dIn > 1 then
                yield dOut, dIn - 1, min rank (min dOut (dIn - 1))
            if rank > 1 then
                yield dOut, dIn, rank - 1
        ]

    /// A task spec: smaller d_out, d_in (the target rank follows), target rank, fully observed, a rounder
    /// scale. E1's task is kept as it is.
    let taskSpec (t: TaskSpec) : TaskSpec list =
        match t.Kind with
        | TaskKind.E1 _ -> []
        | kind ->
            [
                for dOut, dIn, rank in sizes t.DOut t.DIn t.TargetRank do
                    yield
                        { t with
                            DOut = dOut
                            DIn = dIn
                            TargetRank = rank
                        }
                match kind with
                | TaskKind.Partial _ -> yield { t with Kind = TaskKind.Full }
                | _ -> ()
                for x in rounded t.Scale do
                    yield { t with Scale = x }
            ]

    /// A point spec: lower depth (not below `minDepth`), narrower hidden layers, lower r (the full values
    /// follow), fewer full or tail values, each edge switched off, a larger slack (smaller exponent).
    let pointSpec (minDepth: int) (p: PointSpec) : PointSpec list =
        [
            if p.Depth > minDepth then
                yield Generators.withDepth (p.Depth - 1) p
            for l in 0 .. p.Hidden.Length - 1 do
                if p.Hidden.[l] > 1 then
                    yield
                        { p with
                            Hidden = Array.updateAt l (p.Hidden.[l] - 1) p.Hidden
                        }
            if p.R > 0 then
                yield
                    { p with
                        R = p.R - 1
                        Full = min p.Full (p.R - 1)
                    }
            if p.Full > 0 then
                yield { p with Full = p.Full - 1 }
            if p.Tail > 0 then
                yield { p with Tail = p.Tail - 1 }
            if p.Misaligned then
                yield { p with Misaligned = false }
            if p.BalanceEdge then
                yield { p with BalanceEdge = false }
            if p.NormEdge then
                yield { p with NormEdge = false }
            if p.RankEdge then
                yield { p with RankEdge = false }
            if p.SlackExponent > 1 then
                yield
                    { p with
                        SlackExponent = p.SlackExponent - 1
                    }
        ]

    /// A C1 spec (C1, C4): its task (unless fixed), its point (depth not below `minDepth`, nor at all when fixed),
    /// the quadratic f_α to the piecewise one (unless fixed), a rounder λ (unless fixed) and η fraction.
    let closureSpec (minDepth: int) (fixedValues: HuntOverrides) (s: ClosureSpec) : ClosureSpec list =
        let minDepth =
            match fixedValues.Depth with
            | Some _ -> s.Point.Depth
            | None -> minDepth

        [
            if fixedValues.Task.IsNone then
                for t in taskSpec s.Task do
                    yield { s with Task = t }
            for p in pointSpec minDepth s.Point do
                yield { s with Point = p }
            if fixedValues.Family.IsNone && s.Family = FAlphaFamily.Quadratic then
                yield
                    { s with
                        Family = FAlphaFamily.Piecewise
                    }
            if fixedValues.Lambda.IsNone then
                for x in rounded s.Lambda do
                    yield { s with Lambda = x }
            for x in rounded s.EtaFraction do
                if x <= 1.0 then
                    yield { s with EtaFraction = x }
        ]

    /// A D7 spec (C2, C7): smaller d_out, d_in (the target rank follows), target rank, depth (not below
    /// `minDepth`), a rounder c/c_max.
    let d7Spec (minDepth: int) (s: D7Spec) : D7Spec list =
        [
            for dOut, dIn, rank in sizes s.DOut s.DIn s.TargetRank do
                yield
                    { s with
                        DOut = dOut
                        DIn = dIn
                        TargetRank = rank
                    }
            if s.Depth > minDepth then
                yield { s with Depth = s.Depth - 1 }
            for x in rounded s.CFraction do
                yield { s with CFraction = x }
        ]

    /// A point of C2's hunt space: its D7 task (`d7Spec`), a rounder α position and ε2 (when not the exact
    /// boundary).
    let criticalSpec (minDepth: int) (s: CriticalSpec) : CriticalSpec list =
        [
            for d in d7Spec minDepth s.D7 do
                yield { s with D7 = d }
            for x in rounded s.AlphaPosition do
                yield { s with AlphaPosition = x }
            if s.Eps2 > 0.0 then
                for x in rounded s.Eps2 do
                    yield { s with Eps2 = x }
        ]

    /// A point of C3's hunt space: its task (`taskSpec`, unless fixed), lower depth (≥ 3, unless fixed), width,
    /// r and a rounder λ (unless fixed).
    let reachSpec (fixedValues: HuntOverrides) (s: ReachSpec) : ReachSpec list =
        [
            if fixedValues.Task.IsNone then
                for t in taskSpec s.Task do
                    yield { s with Task = t }
            if fixedValues.Depth.IsNone && s.Depth > 3 then
                yield { s with Depth = s.Depth - 1 }
            if s.Width > 1 then
                yield { s with Width = s.Width - 1 }
            if fixedValues.R.IsNone && s.R > 1 then
                yield { s with R = s.R - 1 }
            if fixedValues.Lambda.IsNone then
                for x in rounded s.Lambda do
                    yield { s with Lambda = x }
        ]

    /// A point of C6's hunt space: lower depth (≥ 3, unless fixed), a rounder ε and λ (unless fixed).
    let gdSpec (fixedValues: HuntOverrides) (s: GdSpec) : GdSpec list =
        [
            if fixedValues.Depth.IsNone && s.Depth > 3 then
                yield { s with Depth = s.Depth - 1 }
            for x in rounded s.Epsilon do
                yield { s with Epsilon = x }
            if fixedValues.Lambda.IsNone then
                for x in rounded s.Lambda do
                    yield { s with Lambda = x }
        ]

    /// C1's L = 2 control spec: smaller sizes (≥ 2; r follows), lower r, a larger slack.
    let depthTwoSpec (s: DepthTwoSpec) : DepthTwoSpec list =
        [
            if s.DOut > 2 then
                yield
                    { s with
                        DOut = s.DOut - 1
                        R = min s.R (min (s.DOut - 1) s.DIn - 1)
                    }
            if s.DIn > 2 then
                yield
                    { s with
                        DIn = s.DIn - 1
                        R = min s.R (min s.DOut (s.DIn - 1) - 1)
                    }
            if s.R > 1 then
                yield { s with R = s.R - 1 }
            if s.SlackExponent > 1 then
                yield
                    { s with
                        SlackExponent = s.SlackExponent - 1
                    }
        ]

    /// A case's stream index (C3, C4 simulation cases): halved toward 0.
    let index (i: int) : int list = if i > 0 then [ i / 2 ] else []

    /// Size of a C1 spec (the hunts keep a shrunk case only when it is no larger): sizes, target rank, depth,
    /// hidden widths, r, full and tail counts, and the edges switched on.
    let closureSize (s: ClosureSpec) =
        s.Task.DOut
        + s.Task.DIn
        + s.Task.TargetRank
        + s.Point.Depth
        + Array.sum s.Point.Hidden
        + s.Point.R
        + s.Point.Full
        + s.Point.Tail
        + (if s.Point.RankEdge then 1 else 0)
        + (if s.Point.NormEdge then 1 else 0)
        + (if s.Point.BalanceEdge then 1 else 0)
        + (if s.Point.Misaligned then 1 else 0)

    /// Size of a point of C2's hunt space: sizes, target rank and depth of its D7 task.
    let criticalSize (s: CriticalSpec) =
        s.D7.DOut + s.D7.DIn + s.D7.TargetRank + s.D7.Depth

    /// Size of a point of C3's hunt space.
    let reachSize (s: ReachSpec) =
        s.Task.DOut + s.Task.DIn + s.Depth + s.Width + s.R

    /// Size of a point of C6's hunt space: its depth.
    let gdSize (s: GdSpec) = s.Depth
