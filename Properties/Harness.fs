namespace LowRankVerify.Properties

open System
open FsCheck

/// Outcome of one FsCheck run as the harness records it.
type CheckOutcome =
    {
        /// Property name (used to derive its seed).
        Name: string
        /// FsCheck's own summary of the run (passed, falsified with shrunk arguments, exhausted).
        Summary: string
        /// True when FsCheck reported a falsified property.
        Failed: bool
        /// Seed that replays the run (`LOWRANK_SEED=<this>`).
        Seed: uint64
    }

/// Seeds, case counts and the FsCheck wrappers every property file uses. CI runs with the fixed seed
/// below; set `LOWRANK_SEED` to any unsigned integer to hunt with another one locally, and every failure
/// message says which seed replays it.
[<RequireQualifiedAccess>]
module Harness =

    /// The CI seed, the one place it is defined.
    [<Literal>]
    let ciSeed = 20240516UL

    /// Base seed: `LOWRANK_SEED` when set and parseable, else `ciSeed`.
    let baseSeed =
        match Environment.GetEnvironmentVariable "LOWRANK_SEED" with
        | null
        | "" -> ciSeed
        | s ->
            match UInt64.TryParse s with
            | true, v -> v
            | _ -> failwithf "LOWRANK_SEED must be an unsigned integer, got '%s'" s

    /// Seed of one named property: FNV-1a of the name mixed with the base seed (stable across runs).
    let seedOf (name: string) =
        let mutable h = 14695981039346656037UL

        for ch in name do
            h <- (h ^^^ uint64 ch) * 1099511628211UL

        h ^^^ baseSeed

    /// Multiplier on every case count: `LOWRANK_SCALE` (default 1) lets a local run try more cases.
    let scale =
        match Environment.GetEnvironmentVariable "LOWRANK_SCALE" with
        | null
        | "" -> 1
        | s ->
            match Int32.TryParse s with
            | true, v when v >= 1 -> v
            | _ -> failwithf "LOWRANK_SCALE must be an integer >= 1, got '%s'" s

    let private run (name: string) (maxTest: int) (property: Property) : CheckOutcome =
        let seed = seedOf name
        let mutable result = None

        let runner =
            { new IRunner with
                member _.OnStartFixture _ = ()
                member _.OnArguments(_, _, _) = ()
                member _.OnShrink(_, _) = ()

                member _.OnFinished(n, r) =
                    result <- Some(Runner.onFinishedToString n r, r)
            }

        let config =
            Config.Quick
                .WithMaxTest(maxTest * scale)
                .WithName(name)
                .WithRunner(runner)
                .WithReplay(Some { Rnd = Rnd(seed); Size = None })

        Check.One(config, property)
        let summary, r = result.Value

        let failed =
            match r with
            | TestResult.Failed _ -> true
            | _ -> false

        {
            Name = name
            Summary = summary
            Failed = failed
            Seed = baseSeed
        }

    /// Checks `property` on `maxTest` cases (× LOWRANK_SCALE); throws with FsCheck's shrunk
    /// counterexample and the replaying seed when it is falsified or exhausted.
    let check (name: string) (maxTest: int) (property: Property) : CheckOutcome =
        let o = run name maxTest property

        if o.Summary.Contains "Ok, passed" |> not then
            failwithf "%s\nReplay: LOWRANK_SEED=%d dotnet test --filter \"%s\"" o.Summary o.Seed name

        o

    /// Asserts |expected − actual| ≤ tol, printing both to 17 digits.
    let near (tol: float) (expected: float) (actual: float) =
        if not (abs (expected - actual) <= tol) then
            failwithf "expected %.17g, got %.17g (tolerance %g)" expected actual tol

    /// Negative control: requires FsCheck to falsify `property` within `maxTest` cases and returns the
    /// outcome (whose summary holds the shrunk case, for the test log). Throws if it passes.
    let expectFailure (name: string) (maxTest: int) (property: Property) : CheckOutcome =
        let o = run name maxTest property

        if not o.Failed then
            failwithf
                "negative control %s was NOT falsified, so the check it controls cannot fail:\n%s\nReplay: LOWRANK_SEED=%d"
                name
                o.Summary
                o.Seed

        o
