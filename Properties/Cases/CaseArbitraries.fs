/// FsCheck arbitraries of the claim properties. Every generator draws a seed and hands it to the core's pure
/// `Generators` and `ClaimCases` (so tests and `lowrank verify` build cases the same way); every shrinker is the
/// core's `Shrink`, the one the hunts shrink their counterexamples with (shape, depth, rank, spectrum, edges, and
/// floats toward rounder values).
module LowRankVerify.Properties.CaseArbitraries

open LowRankVerify.Theory
open FsCheck
open FsCheck.FSharp

/// A 64-bit seed from two FsCheck integers (FsCheck's own stream is seeded by the harness).
let seedGen: Gen<uint64> =
    Gen.map2
        (fun (a: int) (b: int) -> (uint64 a <<< 32) ||| uint64 b)
        (Gen.choose (0, System.Int32.MaxValue))
        (Gen.choose (0, System.Int32.MaxValue))

/// C1 specs (tasks up to 6×6, depth 3..5) with their shrinker.
let closureSpecs: Arbitrary<ClosureSpec> =
    let gen =
        seedGen
        |> Gen.map (fun seed -> let mutable rng = Rng.create seed in Generators.closureSpec &rng 6 3 5)

    Arb.fromGenShrink (gen, (fun s -> Shrink.closureSpec 3 Overrides.none s |> Seq.ofList))

/// D7 specs with sizes up to maxSize and depth in [minDepth, maxDepth].
let d7Specs (maxSize: int) (minDepth: int) (maxDepth: int) : Arbitrary<D7Spec> =
    let gen =
        seedGen
        |> Gen.map (fun seed -> let mutable rng = Rng.create seed in Generators.d7Spec &rng maxSize minDepth maxDepth)

    Arb.fromGenShrink (gen, Shrink.d7Spec minDepth >> Seq.ofList)

/// L = 2 control specs (`ClaimCases.depthTwoSpec`) with their shrinker (`Shrink.depthTwoSpec`).
let depthTwoSpecs: Arbitrary<DepthTwoSpec> =
    Arb.fromGenShrink (
        seedGen |> Gen.map (fun seed -> ClaimCases.depthTwoSpec seed 0),
        Shrink.depthTwoSpec >> Seq.ofList
    )

/// Simulation cases (C3, C4) by stream index: an index in 0..9999 (shrinks toward 0, `Shrink.index`).
let simulationIndices: Arbitrary<int> =
    Arb.fromGenShrink (Gen.choose (0, 9999), Shrink.index >> Seq.ofList)
