/// Resumable hunts (docs/long-runs.md; THEORY.md §4): a hunt advanced in segments, with its plain-data
/// `HuntState` carried between them (as a checkpoint does), equals the uninterrupted hunt apart from
/// wall-clock seconds; negative controls that restart the random stream or forget the climb index between
/// segments are caught.
module LowRankVerify.Properties.HuntSegmentTests

open Xunit
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory

/// A small C1 hunt and the segment lengths (in evaluations, cycled) after which it pauses at the next
/// (re)start boundary.
type private HuntCase =
    {
        Settings: HuntSettings
        Segments: int[]
    }

let private huntCase =
    gen {
        let! seed = Gen.choose (0, System.Int32.MaxValue)
        let! evaluations = Gen.choose (10, 90)
        let! patience = Gen.choose (3, 12)
        let! shrink = Gen.elements [ true; false ]
        // the L = 2 control (many confirmed cases, restarts after each) and the in-regime hunt
        let! control = Gen.elements [ true; false ]
        let! segments = Gen.arrayOfLength 3 (Gen.choose (1, 40))

        let overrides =
            if control then
                { Overrides.none with
                    InRegimeOnly = false
                    Depth = Some 2
                }
            else
                Overrides.none

        return
            {
                Settings =
                    { Hunt.defaults ClaimId.C1 (uint64 seed) with
                        MaxEvaluations = evaluations
                        MaxSeconds = 1e6
                        Patience = patience
                        Shrink = shrink
                        Overrides = overrides
                    }
                Segments = segments
            }
    }

/// The result without its wall-clock seconds (the fields excluded from resume equality).
let private timeless (r: HuntResult) =
    let f (x: HuntFinding) = { x with Seconds = 0.0 }

    { r with
        Seconds = 0.0
        Best = Option.map f r.Best
        Confirmed = List.map f r.Confirmed
        FirstConfirmed = Option.map (fun (n, _) -> n, 0.0) r.FirstConfirmed
    }

/// Runs the case in segments; `tamper` is applied to the state between segments (identity for the
/// property, a deliberate corruption for the negative controls). Also returns the number of pauses.
let private segmented (tamper: HuntSettings -> HuntState -> HuntState) (c: HuntCase) =
    let mutable st = Hunt.start c.Settings
    let mutable k = 0

    while not st.Finished do
        let len = c.Segments.[k % c.Segments.Length]
        st <- Hunt.advance C1.hunter c.Settings st (fun done' -> done' >= len)

        if not st.Finished then
            st <- tamper c.Settings st

        k <- k + 1

    timeless (Hunt.finish c.Settings true st), k - 1

let private whole (c: HuntCase) =
    timeless (Hunt.run C1.hunter c.Settings)

[<Fact>]
let ``checkpoint: a hunt cut into segments equals the uninterrupted hunt`` () =
    let mutable pauses = 0

    Harness.check
        "hunt.segments"
        25
        (Prop.forAll (Arb.fromGen huntCase) (fun c ->
            let r, k = segmented (fun _ x -> x) c
            pauses <- pauses + k
            r = whole c))
    |> ignore
    // the property must actually have cut hunts (a run that never pauses tests nothing)
    Assert.True(pauses >= 10, sprintf "only %d pauses in 25 hunts" pauses)

[<Fact>]
let ``negative control: segments that restart the random stream are caught`` () =
    Harness.expectFailure
        "hunt.control.rngRestart"
        25
        (Prop.forAll (Arb.fromGen huntCase) (fun c ->
            fst (segmented (fun s x -> { x with Rng = (Hunt.start s).Rng }) c) = whole c))
    |> ignore

[<Fact>]
let ``negative control: segments that forget the alternating objective are caught`` () =
    Harness.expectFailure
        "hunt.control.climbIndex"
        25
        (Prop.forAll (Arb.fromGen huntCase) (fun c ->
            fst (segmented (fun _ x -> { x with ClimbIndex = x.ClimbIndex + 1 }) c) = whole c))
    |> ignore
