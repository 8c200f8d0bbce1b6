namespace LowRankVerify.Theory

/// Every-step record of one E1 run's rank events (THEORY.md §5; C5, C6), as plain data so that a cursor
/// holding it continues bit for bit. Steps count the steps taken: "step t" is θ after t steps (t = 0 is
/// the start). The definitions are those of `E1Monitor`.
type E1MonitorState =
    {
        /// True once some monitored step was at numerical rank 2 (`E1Monitor.rankOf`).
        SeenRankTwo: bool
        /// Numerical rank at the last monitored step (-1 before the first).
        Rank: int
        /// Membership in B_1 at the last monitored step after the jump, with the exit hysteresis of
        /// `E1Monitor.b1ExitMargin` (false before the jump).
        InB1: bool
        /// The jump: the first step at numerical rank 1 with θ ∈ B_1 after a step at rank 2.
        JumpStep: int64 option
        /// The first step with s_1(A_θ) < `E1Monitor.collapseThreshold` (collapse to the zero network).
        CollapseStep: int64 option
        /// Returns: steps after the jump at numerical rank 2 whose previous step had rank ≤ 1, with s_2/s_1
        /// above `E1Monitor.rankOneRatio` by more than its round-off bound (`E1Monitor.ratioRoundOff`).
        Returns: int
        /// The first `E1Monitor.maxRecordedEvents` return steps.
        ReturnSteps: int64[]
        /// Transitions to rank 2 after the jump that lie within the ratio's round-off bound (not returns).
        RoundOffReturns: int
        /// Exits from B_1 after the jump: steps where a condition exceeds its bound by more than
        /// `E1Monitor.b1ExitMargin` (relative) while the previous step was in B_1.
        B1Exits: int
        /// The first `E1Monitor.maxRecordedEvents` exit steps.
        B1ExitSteps: int64[]
        /// Steps after the jump spent outside B_1 (in the hysteresis sense of `InB1`).
        StepsOutsideB1: int64
        /// Largest s_2/s_1 over the steps after the jump with s_1 ≥ `E1Monitor.collapseThreshold`
        /// (how close the run came to a return; 0 before the jump).
        MaxRatioAfterJump: float
        /// Largest relative excess over a B_1 bound after the jump, max over steps and conditions of
        /// (quantity − bound)/bound (`E1Monitor.relativeExcess`; 0 when the run never left B_1's bounds).
        MaxExcessAfterJump: float
    }

/// The every-step monitor of E1's runs (THEORY.md §5; C5, C6): numerical rank of A_θ from the closed-form
/// singular values of the 2×2 product, membership in B_1, and the events jump, collapse, return and exit.
/// Allocation-free per step for hidden widths ≤ 2 (every layer at most 2×2); wider networks take the
/// general `Region.slack` for B_1 (allocates).
[<RequireQualifiedAccess>]
module E1Monitor =

    /// Numerical rank 1 threshold on s_2/s_1 (choice): a ratio below 1e-2 counts as rank 1, at or above it
    /// as rank 2. At the rank-2 minimum of E1 the ratio is of order ε or larger, and inside B_1 with E1's
    /// constants a balanced network has s_2/s_1 ≤ (ε2·α/σ)^{L/2} (6·10⁻⁴ at the defaults), so the threshold
    /// separates the two by orders of magnitude and lies 10¹³ times above the ratio's round-off.
    [<Literal>]
    let rankOneRatio = 1e-2

    /// s_1 below this counts as the zero network (rank 0, collapse; choice): far below the s_1 ≈ 1 of
    /// every fit of the task.
    [<Literal>]
    let collapseThreshold = 1e-3

    /// Relative excess over a B_1 bound (ε1, r + ε2 or C) beyond which a run that was in B_1 counts as having
    /// left it (choice): 10⁻⁶ of the bound is 10⁹ times the round-off of the computed quantities (a few ulps
    /// of quantities of the bound's size), so an exit is never a rounding artefact, and a real excursion
    /// (the noise of one step moves the quantities by η·|G|, orders of magnitude more) is never missed.
    [<Literal>]
    let b1ExitMargin = 1e-6

    /// How many return and exit steps a monitor keeps (the counts are always complete).
    [<Literal>]
    let maxRecordedEvents = 32

    /// The monitor of a run before its first step.
    let empty =
        {
            SeenRankTwo = false
            Rank = -1
            InB1 = false
            JumpStep = None
            CollapseStep = None
            Returns = 0
            ReturnSteps = [||]
            RoundOffReturns = 0
            B1Exits = 0
            B1ExitSteps = [||]
            StepsOutsideB1 = 0L
            MaxRatioAfterJump = 0.0
            MaxExcessAfterJump = 0.0
        }

    /// Magnitudes within which `singularValues2` needs no rescaling: squares and sums of squares of
    /// entries up to 10¹⁵⁰ neither overflow nor (above 10⁻¹⁵⁰) underflow.
    [<Literal>]
    let private unscaledRange = 1e150

    /// Singular values (s_1, s_2) of the 2×2 matrix [[a00, a01], [a10, a11]] in closed form, without
    /// cancellation: s_1 + s_2 = p = √((a00 + a11)² + (a01 − a10)²) and |s_1 − s_2| = q =
    /// √((a00 − a11)² + (a01 + a10)²) (sums of squares), so s_1 = (p + q)/2 and s_2 = |p − q|/2, each within
    /// a few ulps of s_1. Entries are first divided by their largest magnitude m when m lies outside
    /// [10⁻¹⁵⁰, 10¹⁵⁰] (no underflow near the zero network, no overflow). NaN or infinite entries give
    /// non-finite values.
    let singularValues2 (a00: float) (a01: float) (a10: float) (a11: float) =
        let m = max (max (abs a00) (abs a01)) (max (abs a10) (abs a11))

        let inline closed (x00: float) (x01: float) (x10: float) (x11: float) =
            let u = x00 + x11
            let v = x01 - x10
            let w = x00 - x11
            let z = x01 + x10
            let p = sqrt (u * u + v * v)
            let q = sqrt (w * w + z * z)
            struct ((p + q) / 2.0, abs (p - q) / 2.0)

        if m = 0.0 then
            struct (0.0, 0.0)
        elif not (System.Double.IsFinite m) then
            struct (nan, nan)
        elif m > 1.0 / unscaledRange && m < unscaledRange then
            closed a00 a01 a10 a11
        else
            // entry-wise: 1/m overflows for a subnormal m
            let struct (s1, s2) = closed (a00 / m) (a01 / m) (a10 / m) (a11 / m)
            struct (m * s1, m * s2)

    /// Numerical rank of A_θ from its two singular values: 0 when s_1 < `collapseThreshold`, 1 when
    /// s_2/s_1 < `rankOneRatio`, else 2.
    let rankOf (s1: float) (s2: float) =
        if s1 < collapseThreshold then 0
        elif s2 / s1 < rankOneRatio then 1
        else 2

    /// Round-off bound of the computed s_2/s_1 of θ: the product A_θ is formed by L matrix-vector
    /// products of length ≤ w, so ‖fl(A) − A‖_F ≤ δ = γ_{L·w} ∏_ℓ ‖W_ℓ‖_F (Higham Thm 3.5 with
    /// ‖ |W_L|⋯|W_1| ‖_F ≤ ∏ ‖W_ℓ‖_F); singular values move by at most that (Weyl), the closed form adds
    /// γ_16·s_1 (`singularValues2`), and a ratio with both ends off by e = δ + γ_16·s_1 is off by at most
    /// 2e/(s_1 − e) (infinity when e ≥ s_1).
    let ratioRoundOff (depth: int) (maxWidth: int) (normProduct: float) (s1: float) =
        let e = Tolerance.gamma (depth * maxWidth) * normProduct + Tolerance.gamma 16 * s1
        if e < s1 then 2.0 * e / (s1 - e) else infinity

    /// Entry (r, c) of layer l of θ as the engine holds it (W_l = s_l·V_l), 0 outside the layer (layers of
    /// at most 2×2 are read as 2×2 matrices padded with zeros: that changes no singular value, norm or
    /// balancedness matrix except by appending zeros).
    let inline private padded (s: EngineState) (l: int) (r: int) (c: int) =
        let cols = s.Widths.[l]

        if r < s.Widths.[l + 1] && c < cols then
            s.Scales.[l] * s.Weights.[s.Offsets.[l] + r * cols + c]
        else
            0.0

    /// The slacks (balancedness, rank, bounded) of B_r's three conditions (THEORY.md §1) at the engine's θ,
    /// for networks whose every layer is at most 2×2 (closed-form singular values; `smallSlack` is the
    /// record form, equal to `Region.slack` up to round-off, checked in Properties/Experiments/E1Tests.fs).
    /// Allocation-free.
    let smallSlackValues (p: RegionParams) (s: EngineState) : struct (float * float * float) =
        let depth = s.Widths.Length - 1
        let mutable maxBal = 0.0
        let mutable maxRank = 0.0
        let mutable maxNorm = 0.0
        // W_{l−1}W_{l−1}ᵀ of the previous layer (symmetric 2×2: h00, h01, h11)
        let mutable h00 = 0.0
        let mutable h01 = 0.0
        let mutable h11 = 0.0

        for l in 0 .. depth - 1 do
            let a00 = padded s l 0 0
            let a01 = padded s l 0 1
            let a10 = padded s l 1 0
            let a11 = padded s l 1 1
            let norm = a00 * a00 + a01 * a01 + a10 * a10 + a11 * a11
            maxNorm <- max maxNorm norm
            let struct (s1, s2) = singularValues2 a00 a01 a10 a11

            maxRank <- max maxRank (FAlpha.eval p.Family p.Alpha (s1 * s1) + FAlpha.eval p.Family p.Alpha (s2 * s2))

            // W_lᵀW_l
            let g00 = a00 * a00 + a10 * a10
            let g01 = a00 * a01 + a10 * a11
            let g11 = a01 * a01 + a11 * a11

            if l >= 1 then
                let d00 = g00 - h00
                let d01 = g01 - h01
                let d11 = g11 - h11
                maxBal <- max maxBal (d00 * d00 + 2.0 * d01 * d01 + d11 * d11)

            h00 <- a00 * a00 + a01 * a01
            h01 <- a00 * a10 + a01 * a11
            h11 <- a10 * a10 + a11 * a11

        struct (p.Eps1 - maxBal, float p.R + p.Eps2 - maxRank, p.C - maxNorm)

    /// `smallSlackValues` as a `RegionSlack`.
    let smallSlack (p: RegionParams) (s: EngineState) : RegionSlack =
        let struct (b, r, c) = smallSlackValues p s

        {
            Balancedness = b
            Rank = r
            Bounded = c
        }

    /// The slacks (balancedness, rank, bounded) of B_r at the engine's θ: `smallSlackValues` when every
    /// layer is at most 2×2, else those of `Region.slack` of the unpacked network (allocates).
    let slackValues (p: RegionParams) (s: EngineState) : struct (float * float * float) =
        if s.MaxWidth <= 2 then
            smallSlackValues p s
        else
            let sl = Region.slack p (Engine.toNetwork s)
            struct (sl.Balancedness, sl.Rank, sl.Bounded)

    /// The slack of B_r at the engine's θ (`slackValues` as a `RegionSlack`).
    let slack (p: RegionParams) (s: EngineState) : RegionSlack =
        let struct (b, r, c) = slackValues p s

        {
            Balancedness = b
            Rank = r
            Bounded = c
        }

    /// The largest relative excess of the slacks (balancedness, rank, bounded) over the bounds,
    /// max(−slack_c / bound_c) over the three conditions c (0 when every condition holds; a zero bound
    /// counts any excess as infinite).
    let relativeExcess (p: RegionParams) (balancedness: float) (rank: float) (bounded: float) =
        let rel (slack: float) (bound: float) =
            if slack >= 0.0 then 0.0
            elif bound > 0.0 then -slack / bound
            else infinity

        max (rel balancedness p.Eps1) (max (rel rank (float p.R + p.Eps2)) (rel bounded p.C))

    /// True when the slacks (balancedness, rank, bounded) lie beyond the exit margin of some condition
    /// (`b1ExitMargin`).
    let beyondExitMargin (p: RegionParams) (balancedness: float) (rank: float) (bounded: float) =
        balancedness < -b1ExitMargin * p.Eps1
        || rank < -b1ExitMargin * (float p.R + p.Eps2)
        || bounded < -b1ExitMargin * p.C

/// The mutable form of a `E1MonitorState` inside one `E1.advance` segment: observes θ after every
/// step without allocating (widths ≤ 2) and turns back into the record at the end of the segment.
type E1Tracker(region: RegionParams, widths: int[], start: E1MonitorState) =
    let depth = widths.Length - 1
    let maxWidth = Array.max widths
    let bufA: float[] = Array.zeroCreate maxWidth
    let bufB: float[] = Array.zeroCreate maxWidth
    let prod: float[] = Array.zeroCreate 4
    let mutable seenRankTwo = start.SeenRankTwo
    let mutable rank = start.Rank
    let mutable inB1 = start.InB1
    let mutable jump = start.JumpStep
    let mutable collapse = start.CollapseStep
    let mutable returns = start.Returns
    let returnSteps = ResizeArray(start.ReturnSteps)
    let mutable roundOffReturns = start.RoundOffReturns
    let mutable exits = start.B1Exits
    let exitSteps = ResizeArray(start.B1ExitSteps)
    let mutable outside = start.StepsOutsideB1
    let mutable maxRatio = start.MaxRatioAfterJump
    let mutable maxExcess = start.MaxExcessAfterJump

    // A_θ = W_L ⋯ W_1 (2×2, row-major into `prod`): for widths ≤ 2 by 2×2 products of the padded layers,
    // else by two forward chains e_0, e_1 (ping-pong buffers).
    let product (s: EngineState) =
        let w = s.Weights

        if maxWidth <= 2 then
            let at l k =
                let cols = widths.[l]
                let r = k / 2
                let c = k % 2

                if r < widths.[l + 1] && c < cols then
                    s.Scales.[l] * w.[s.Offsets.[l] + r * cols + c]
                else
                    0.0

            let mutable p00 = at 0 0
            let mutable p01 = at 0 1
            let mutable p10 = at 0 2
            let mutable p11 = at 0 3

            for l in 1 .. depth - 1 do
                let b00 = at l 0
                let b01 = at l 1
                let b10 = at l 2
                let b11 = at l 3
                let q00 = b00 * p00 + b01 * p10
                let q01 = b00 * p01 + b01 * p11
                let q10 = b10 * p00 + b11 * p10
                let q11 = b10 * p01 + b11 * p11
                p00 <- q00
                p01 <- q01
                p10 <- q10
                p11 <- q11

            prod.[0] <- p00
            prod.[1] <- p01
            prod.[2] <- p10
            prod.[3] <- p11
        else
            for j in 0..1 do
                let mutable cur = bufA
                let mutable nxt = bufB

                for c in 0 .. widths.[0] - 1 do
                    cur.[c] <- (if c = j then 1.0 else 0.0)

                for l in 0 .. depth - 1 do
                    let rows, cols = widths.[l + 1], widths.[l]
                    let o = s.Offsets.[l]
                    let sc = s.Scales.[l]

                    for r in 0 .. rows - 1 do
                        let mutable acc = 0.0
                        let ro = o + r * cols

                        for c in 0 .. cols - 1 do
                            acc <- acc + w.[ro + c] * cur.[c]

                        nxt.[r] <- sc * acc

                    let t = cur
                    cur <- nxt
                    nxt <- t

                prod.[j] <- cur.[0]
                prod.[2 + j] <- cur.[1]

    // ∏_ℓ ‖W_ℓ‖_F (for the ratio's round-off bound, only at candidate returns).
    let normProduct (s: EngineState) =
        let mutable np = 1.0

        for l in 0 .. depth - 1 do
            let mutable n = 0.0

            for k in s.Offsets.[l] .. s.Offsets.[l + 1] - 1 do
                n <- n + s.Weights.[k] * s.Weights.[k]

            np <- np * abs s.Scales.[l] * sqrt n

        np

    /// Observes θ after `t` steps (t = 0: the start) and updates the events. Returns false when A_θ or its
    /// spectrum is not finite (the step that led here diverged); the events are then unchanged.
    member _.Observe(s: EngineState, t: int64) : bool =
        product s
        let struct (s1, s2) = E1Monitor.singularValues2 prod.[0] prod.[1] prod.[2] prod.[3]

        if not (System.Double.IsFinite s1 && System.Double.IsFinite s2) then
            false
        else
            let r = E1Monitor.rankOf s1 s2

            if r = 0 && collapse.IsNone then
                collapse <- Some t

            match jump with
            | None ->
                if r = 1 && seenRankTwo then
                    let struct (b, k, c) = E1Monitor.slackValues region s

                    if b >= 0.0 && k >= 0.0 && c >= 0.0 then
                        jump <- Some t
                        inB1 <- true
            | Some _ ->
                if s1 >= E1Monitor.collapseThreshold then
                    maxRatio <- max maxRatio (s2 / s1)

                if r = 2 && rank <= 1 then
                    let bound = E1Monitor.ratioRoundOff depth maxWidth (normProduct s) s1

                    if s2 / s1 - bound >= E1Monitor.rankOneRatio then
                        returns <- returns + 1

                        if returnSteps.Count < E1Monitor.maxRecordedEvents then
                            returnSteps.Add t
                    else
                        roundOffReturns <- roundOffReturns + 1

                let struct (b, k, c) = E1Monitor.slackValues region s
                let inside = b >= 0.0 && k >= 0.0 && c >= 0.0

                if not inside then
                    maxExcess <- max maxExcess (E1Monitor.relativeExcess region b k c)

                if inB1 then
                    if E1Monitor.beyondExitMargin region b k c then
                        inB1 <- false
                        exits <- exits + 1

                        if exitSteps.Count < E1Monitor.maxRecordedEvents then
                            exitSteps.Add t
                elif inside then
                    inB1 <- true

                if not inB1 then
                    outside <- outside + 1L

            if r = 2 then
                seenRankTwo <- true

            rank <- r
            true

    /// Numerical rank at the last observed step (-1 before the first).
    member _.Rank = rank

    /// The record of everything observed so far.
    member _.Monitor: E1MonitorState =
        {
            SeenRankTwo = seenRankTwo
            Rank = rank
            InB1 = inB1
            JumpStep = jump
            CollapseStep = collapse
            Returns = returns
            ReturnSteps = returnSteps.ToArray()
            RoundOffReturns = roundOffReturns
            B1Exits = exits
            B1ExitSteps = exitSteps.ToArray()
            StepsOutsideB1 = outside
            MaxRatioAfterJump = maxRatio
            MaxExcessAfterJump = maxExcess
        }
