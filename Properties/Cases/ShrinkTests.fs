/// The one shrinker (Theory.FSharp/Cases/Shrink.fs), which FsCheck and the hunts both use, and the test-only
/// shrinker of the identity properties' random networks (`Gens.shrinkCaseWhere`).
namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory

type ShrinkTests(output: ITestOutputHelper) =

    [<Fact>]
    member _.``Shrink.closureSpec: every candidate differs and is no larger; fixed task, depth and family stay (control: free shrinking changes them)``
        ()
        =
        let fixedValues =
            { Overrides.none with
                Task = Some(Task.e1 0.1)
                Depth = Some 4
                Family = Some FAlphaFamily.Quadratic
                Lambda = Some 0.01
            }

        let mutable changedFixed = 0

        let prop =
            Prop.forAll CaseArbitraries.closureSpecs (fun s ->
                let free = Shrink.closureSpec 3 Overrides.none s
                let kept = Shrink.closureSpec 3 fixedValues s

                let same (c: ClosureSpec) =
                    c.Task = s.Task
                    && c.Point.Depth = s.Point.Depth
                    && c.Family = s.Family
                    && c.Lambda = s.Lambda

                // the control: without fixed values, some candidate changes what `fixedValues` keeps
                if free |> List.exists (same >> not) then
                    changedFixed <- changedFixed + 1

                free
                |> List.forall (fun c -> c <> s && Shrink.closureSize c <= Shrink.closureSize s)
                && kept |> List.forall same)

        Harness.check "shrink.closure" 200 prop |> ignore
        output.WriteLine(sprintf "specs whose free candidates change a value fixed in the hunt: %d of 200" changedFixed)
        Assert.True(changedFixed > 100, "free shrinking changes the task, depth, family or lambda")

    [<Fact>]
    member _.``Shrink.closureSpec ends: following the first, the second or the last candidate never comes back to a spec``
        ()
        =
        let mutable longest = 0

        let ends (pick: ClosureSpec list -> ClosureSpec) (s0: ClosureSpec) =
            let seen = System.Collections.Generic.HashSet<ClosureSpec>(HashIdentity.Structural)
            let mutable s = s0
            let mutable steps = 0
            let mutable cycle = false

            while not cycle && steps < 500 && not (Shrink.closureSpec 3 Overrides.none s).IsEmpty do
                cycle <- not (seen.Add s)
                s <- pick (Shrink.closureSpec 3 Overrides.none s)
                steps <- steps + 1

            longest <- max longest steps
            not cycle && steps < 500

        let prop =
            Prop.forAll CaseArbitraries.closureSpecs (fun s ->
                ends List.head s
                && ends (fun cs -> cs.[min 1 (cs.Length - 1)]) s
                && ends List.last s)

        Harness.check "shrink.closure.ends" 100 prop |> ignore
        output.WriteLine(sprintf "longest shrink path: %d steps" longest)

    [<Fact>]
    member _.``Shrink.d7Spec: candidates keep a valid spec (sizes >= 1, rank within them, depth >= minDepth) and are smaller or rounder``
        ()
        =
        let prop =
            Prop.forAll (CaseArbitraries.d7Specs 4 2 5) (fun s ->
                Shrink.d7Spec 2 s
                |> List.forall (fun c ->
                    c <> s
                    && c.DOut >= 1
                    && c.DIn >= 1
                    && c.TargetRank >= 1
                    && c.TargetRank <= min c.DOut c.DIn
                    && c.Depth >= 2
                    && c.DOut + c.DIn + c.TargetRank + c.Depth
                       <= s.DOut + s.DIn + s.TargetRank + s.Depth))

        Harness.check "shrink.d7" 200 prop |> ignore

    [<Fact>]
    member _.``Gens.shrinkCaseWhere only shrinks the shape and respects its filter``() =
        let c =
            {
                Widths = [| 3; 4; 2; 5 |]
                Seed = 7UL
                Scale = 0.5
                TargetScale = 1.0
                ObservedFraction = 1.0
                Eta = 0.1
                Lambda = 0.01
            }

        let valid (x: Case) = x.Depth >= 2
        let shrunk = Gens.shrinkCaseWhere valid c |> Seq.toArray
        Assert.NotEmpty(shrunk)

        for s in shrunk do
            Assert.True(valid s)

            Assert.True(
                s.Depth < c.Depth
                || (s.Depth = c.Depth
                    && Array.forall2 (<=) s.Widths c.Widths
                    && s.Widths <> c.Widths)
            )

            Assert.Equal(c.Seed, s.Seed)
            Assert.Equal(c.Lambda, s.Lambda)

        Assert.Contains(shrunk, fun s -> s.Depth = 2)
