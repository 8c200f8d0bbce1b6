/// FsCheck generators and shrinkers for the claim properties. Every generator draws a seed and hands it to
/// the core's pure `Generators` (so tests and `lowrank verify` build cases the same way); every shrinker
/// works on shape, depth, rank and spectrum (sizes, widths, counts of full/tail values, edges, slack
/// exponent), never on raw floats.
module LowRankVerify.Properties.ClaimArbitraries

open LowRankVerify.Theory
open FsCheck
open FsCheck.FSharp

/// A 64-bit seed from two FsCheck integers (FsCheck's own stream is seeded by the harness).
let seedGen: Gen<uint64> =
    Gen.map2
        (fun (a: int) (b: int) -> (uint64 a <<< 32) ||| uint64 b)
        (Gen.choose (0, System.Int32.MaxValue))
        (Gen.choose (0, System.Int32.MaxValue))

/// Shrinks a task spec: smaller d_out / d_in / target rank (E1's task is kept as it is).
let shrinkTask (t: TaskSpec) : TaskSpec seq =
    seq {
        match t.Kind with
        | TaskKind.E1 _ -> ()
        | _ ->
            if t.DOut > 1 then
                yield
                    { t with
                        DOut = t.DOut - 1
                        TargetRank = min t.TargetRank (t.DOut - 1)
                    }

            if t.DIn > 1 then
                yield
                    { t with
                        DIn = t.DIn - 1
                        TargetRank = min t.TargetRank (t.DIn - 1)
                    }

            if t.TargetRank > 1 then
                yield { t with TargetRank = t.TargetRank - 1 }

            match t.Kind with
            | TaskKind.Partial _ -> yield { t with Kind = TaskKind.Full }
            | _ -> ()
    }

/// Shrinks a point spec: lower depth (not below `minDepth`), narrower hidden layers, lower rank, fewer full
/// or tail values, edges switched off, a larger slack.
let shrinkPoint (minDepth: int) (p: PointSpec) : PointSpec seq =
    seq {
        if p.Depth > minDepth then
            yield
                { p with
                    Depth = p.Depth - 1
                    Hidden = Array.truncate (p.Depth - 2) p.Hidden
                }

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

        if p.RankEdge then
            yield { p with RankEdge = false }

        if p.NormEdge then
            yield { p with NormEdge = false }

        if p.Misaligned then
            yield { p with Misaligned = false }

        if p.BalanceEdge then
            yield { p with BalanceEdge = false }

        if p.SlackExponent > 1 then
            yield
                { p with
                    SlackExponent = p.SlackExponent - 1
                }
    }

/// Shrinks a C1 spec through its task and point; the quadratic family shrinks to the piecewise one.
let shrinkClosure (minDepth: int) (s: ClosureSpec) : ClosureSpec seq =
    seq {
        for t in shrinkTask s.Task -> { s with Task = t }
        for p in shrinkPoint minDepth s.Point -> { s with Point = p }

        if s.Family = FAlphaFamily.Quadratic then
            yield
                { s with
                    Family = FAlphaFamily.Piecewise
                }
    }

/// C1 specs (tasks up to 6×6, depth 3..5) with their shrinker.
let closureSpecs: Arbitrary<ClosureSpec> =
    let gen =
        seedGen
        |> Gen.map (fun seed -> let mutable rng = Rng.create seed in Generators.closureSpec &rng 6 3 5)

    Arb.fromGenShrink (gen, shrinkClosure 3)

/// Shrinks a D7 spec: smaller sizes, rank and depth (not below `minDepth`).
let shrinkD7 (minDepth: int) (s: D7Spec) : D7Spec seq =
    seq {
        if s.DOut > 1 then
            yield
                { s with
                    DOut = s.DOut - 1
                    TargetRank = min s.TargetRank (s.DOut - 1)
                }

        if s.DIn > 1 then
            yield
                { s with
                    DIn = s.DIn - 1
                    TargetRank = min s.TargetRank (s.DIn - 1)
                }

        if s.TargetRank > 1 then
            yield { s with TargetRank = s.TargetRank - 1 }

        if s.Depth > minDepth then
            yield { s with Depth = s.Depth - 1 }
    }

/// D7 specs with sizes up to maxSize and depth in [minDepth, maxDepth].
let d7Specs (maxSize: int) (minDepth: int) (maxDepth: int) : Arbitrary<D7Spec> =
    let gen =
        seedGen
        |> Gen.map (fun seed -> let mutable rng = Rng.create seed in Generators.d7Spec &rng maxSize minDepth maxDepth)

    Arb.fromGenShrink (gen, shrinkD7 minDepth)

/// L = 2 control specs with a shrinker over sizes, rank and slack.
let depthTwoSpecs: Arbitrary<DepthTwoSpec> =
    let shrink (s: DepthTwoSpec) =
        seq {
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
        }

    Arb.fromGenShrink (seedGen |> Gen.map (fun seed -> ClaimCases.depthTwoSpec seed 0), shrink)

/// Simulation cases (C3, C4) by stream index: an index in 0..9999 (shrinks toward 0).
let simulationIndices: Arbitrary<int> =
    Arb.fromGenShrink (Gen.choose (0, 9999), (fun i -> if i > 0 then Seq.singleton (i / 2) else Seq.empty))
