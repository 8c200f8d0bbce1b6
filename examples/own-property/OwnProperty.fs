/// A property of one's own over LowRankVerify's generators and checks (the LowRankVerify.Theory package):
/// C1 at half the derived step size, and its negative control without weight decay, which must fail.
module OwnProperty

open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open LowRankVerify.Theory

/// Fixed seed of FsCheck's own stream (CI runs with fixed seeds).
let seed = 20240516UL

/// 64-bit seeds for the core's generators: FsCheck draws a seed, the core builds the case from it.
let seeds =
    Gen.map2
        (fun (a: int) (b: int) -> (uint64 a <<< 32) ||| uint64 b)
        (Gen.choose (0, System.Int32.MaxValue))
        (Gen.choose (0, System.Int32.MaxValue))
    |> Arb.fromGen

/// A C1 case exactly as `lowrank verify` builds it (task, region constants from the derived regime, a
/// point of B_r, often at a boundary), with η halved.
let halfEtaCase (s: uint64) =
    let mutable rng = Rng.create s
    let c = Generators.closureCaseOf (Generators.closureSpec &rng 6 3 5)

    { c with
        Hyper = { c.Hyper with Eta = c.Hyper.Eta / 2.0 }
    }

/// C1: one SGD step from θ ∈ B_r stays in B_r (cases that did not start in B_r cannot fail).
let stays (c: ClosureCase) =
    let r = C1.closure c
    not r.Contained || r.Verdict <> Verdict.Counterexample

[<Property(MaxTest = 300, Replay = "(20240516,1)")>]
let ``C1 at half the derived eta: one SGD step from B_r stays in B_r`` () =
    Prop.forAll seeds (fun s ->
        let c = halfEtaCase s

        // only cases that could fail count: inside the derived regime and starting in B_r
        (Regime.inside c.Hyper c.Region c.Task c.Depth Regime.defaults.Rho
         && Region.contains c.Region c.Point)
        ==> lazy (stays c))

/// Requires FsCheck to falsify `property` (a negative control that passes shows the check cannot fail).
let expectFalsified (maxTest: int) (property: Property) =
    let mutable finished = None

    let runner =
        { new IRunner with
            member _.OnStartFixture _ = ()
            member _.OnArguments(_, _, _) = ()
            member _.OnShrink(_, _) = ()

            member _.OnFinished(name, result) =
                finished <- Some(Runner.onFinishedToString name result, result)
        }

    Check.One(
        Config.Quick.WithMaxTest(maxTest).WithRunner(runner).WithReplay(Some { Rnd = Rnd(seed); Size = None }),
        property
    )

    match finished with
    | Some(_, TestResult.Failed _) -> ()
    | Some(text, _) -> failwithf "negative control was NOT falsified, so the property cannot fail:\n%s" text
    | None -> failwith "FsCheck reported no result"

[<Fact>]
let ``control: without weight decay (lambda = 0) the same property is falsified`` () =
    expectFalsified
        300
        (Prop.forAll seeds (fun s ->
            let c = halfEtaCase s

            stays
                { c with
                    Hyper = { c.Hyper with Lambda = 0.0 }
                }))
