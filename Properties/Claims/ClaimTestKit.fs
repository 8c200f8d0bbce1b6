/// What the claim properties share (Properties/Claims/, one file per claim like the core's Claims/): tallies
/// printed to the test log, the log lines of timed properties and outcomes, the negative controls that FsCheck
/// must falsify, E1's parameters for C5 and C6.
namespace LowRankVerify.Properties

open System.Collections.Generic
open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Properties.CaseArbitraries

/// Counters filled by a property body and printed to the test log.
type internal Tally() =
    let counts = SortedDictionary<string, int>()

    member _.Add(key: string) =
        counts.[key] <-
            (match counts.TryGetValue key with
             | true, n -> n + 1
             | _ -> 1)

    member _.Get(key: string) =
        match counts.TryGetValue key with
        | true, n -> n
        | _ -> 0

    member _.Lines = [ for kv in counts -> sprintf "  %-28s %d" kv.Key kv.Value ]

/// Log lines of the claim properties and their negative controls.
module internal ClaimLog =

    /// A tally under a title.
    let report (output: ITestOutputHelper) (title: string) (t: Tally) =
        output.WriteLine title

        for l in t.Lines do
            output.WriteLine l

    /// Runs a property check and logs FsCheck's summary with the seconds it took.
    let timed (output: ITestOutputHelper) name (f: unit -> CheckOutcome) =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let o = f ()
        output.WriteLine(sprintf "%s: %s (%.2fs)" name (o.Summary.Trim()) sw.Elapsed.TotalSeconds)
        o

    /// Runs a claim check and logs its verdict with the seconds it took.
    let timedOutcome (output: ITestOutputHelper) name (f: unit -> ClaimOutcome) =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let o = f ()
        output.WriteLine(sprintf "%s: %A (%.2fs)" name o.Verdict sw.Elapsed.TotalSeconds)
        o

    /// A negative control: FsCheck must falsify `prop` within `count` cases; logs the shrunk case.
    let control (output: ITestOutputHelper) name count prop =
        let sw = System.Diagnostics.Stopwatch.StartNew()
        let o = Harness.expectFailure name count prop

        output.WriteLine(
            sprintf "%s falsified as required (%.2fs); shrunk case:\n%s" name sw.Elapsed.TotalSeconds o.Summary
        )

/// E1's parameters (THEORY.md §5 defaults: ε = 0.1, L = 4, η = 0.5, λ = 0.02, W_ℓ = I) for the C5 and C6
/// properties and controls: 10⁶ steps (most SGD chains jump by then), no offshoots, the master seed of the
/// named property.
module internal E1Property =

    let named (name: string) =
        { E1.defaults with
            Steps = 1_000_000L
            Offshoots = 0
            Seed = Harness.seedOf name
        }
