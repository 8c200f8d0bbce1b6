namespace LowRankVerify.Theory

/// SplitMix64 random-number generator state: one 64-bit word. Chosen over `System.Random` because the
/// state is a plain value (checkpoints can store it), a step allocates nothing, and streams derived
/// from (seed, index) are independent, which keeps ensembles deterministic whatever the thread count.
[<Struct>]
type Rng =
    {
        /// The generator's whole state.
        mutable State: uint64
    }

/// Operations on `Rng`: uniform integers and floats, Gaussians, stream splitting.
[<RequireQualifiedAccess>]
module Rng =

    [<Literal>]
    let private golden = 0x9E3779B97F4A7C15UL

    /// A generator seeded with `seed` (every seed, 0 included, gives a full-period stream).
    let create (seed: uint64) = { State = seed }

    /// Independent stream number `index` derived from `seed` (mixes both through SplitMix64's finaliser).
    let stream (seed: uint64) (index: uint64) =
        let mutable z = seed + (index + 1UL) * 0xD1B54A32D192ED03UL
        z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
        z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
        { State = z ^^^ (z >>> 31) }

    /// Next 64 random bits (SplitMix64, Steele, Lea & Flood 2014).
    let inline nextUInt64 (rng: byref<Rng>) =
        rng.State <- rng.State + golden
        let mutable z = rng.State
        z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
        z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
        z ^^^ (z >>> 31)

    /// Uniform float in [0, 1) with 53 random bits.
    let inline nextFloat (rng: byref<Rng>) =
        float (nextUInt64 &rng >>> 11) * (1.0 / 9007199254740992.0)

    /// Uniform integer in [0, n) by Lemire's multiply-shift (bias below 2^-32 for n < 2^32).
    let inline nextInt (rng: byref<Rng>) (n: int) =
        int ((nextUInt64 &rng >>> 32) * uint64 n >>> 32)

    /// Standard normal sample (Box–Muller; the first variate of the pair). `1 − u` keeps the log finite.
    let nextGaussian (rng: byref<Rng>) =
        let u1 = 1.0 - nextFloat &rng
        let u2 = nextFloat &rng
        sqrt (-2.0 * log u1) * cos (2.0 * System.Math.PI * u2)

    /// Fills `xs` with standard normal samples (`nextGaussian`, in index order), in place: the SDE steps' N
    /// draws per step (`SdeEngine.drawInto`, `FullBatch.drawInto`, the blocks reference), no allocation.
    let fillGaussians (xs: float[]) (rng: byref<Rng>) =
        for k in 0 .. xs.Length - 1 do
            xs.[k] <- nextGaussian &rng

    /// A mutable copy helper for callers that hold the state in an immutable binding.
    let gaussians (rng: Rng) (count: int) : float[] * Rng =
        let mutable r = rng
        let xs = Array.init count (fun _ -> nextGaussian &r)
        xs, r
