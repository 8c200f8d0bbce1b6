module LowRankVerify.Properties.HarnessTests

open Xunit
open FsCheck
open FsCheck.FSharp

[<Fact>]
let ``check passes a true property and expectFailure catches a false one`` () =
    let ok =
        Harness.check "harness.true" 50 (Prop.forAll (Arb.fromGen (Gen.choose (0, 10))) (fun x -> x >= 0))

    Assert.False ok.Failed

    let bad =
        Harness.expectFailure "harness.false" 50 (Prop.forAll (Arb.fromGen (Gen.choose (0, 10))) (fun x -> x < 5))

    Assert.True bad.Failed
    Assert.Contains("Falsifiable", bad.Summary)

[<Fact>]
let ``check throws on a false property`` () =
    Assert.ThrowsAny<exn>(fun () ->
        Harness.check "harness.throws" 50 (Prop.forAll (Arb.fromGen (Gen.choose (0, 10))) (fun x -> x < 5))
        |> ignore)
    |> ignore
