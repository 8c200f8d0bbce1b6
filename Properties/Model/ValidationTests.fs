namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory

/// Input validation of the core: every rejection names the offending field (THEORY-independent rules of
/// the developers' guide: "validate every input with a message naming the field and the rule").
type ValidationTests(output: ITestOutputHelper) =

    /// Cases of the corruption properties.
    static let cases = 200

    static let field (r: Result<'T, InputError>) =
        match r with
        | Ok _ -> failwith "expected a validation error, got Ok"
        | Error e ->
            Assert.False(System.String.IsNullOrWhiteSpace e.Rule, "the rule must be stated")
            e.Field

    static let good = [| [| 1.0; 2.0 |]; [| 3.0; 4.0 |] |]

    static let obs = [| [| 0; 0 |]; [| 1; 1 |] |]

    [<Fact>]
    member _.``Task.create accepts a valid task``() =
        match Task.create good obs with
        | Ok t ->
            Assert.Equal(2, t.N)
            Assert.Equal(2, t.DOut)
            Assert.Equal(2, t.DIn)
        | Error e -> failwithf "rejected: %O" e

    [<Fact>]
    member _.``Task.create rejects empty, ragged and non-finite targets with the right field``() =
        Assert.Equal("target", field (Task.create [||] obs))
        Assert.Equal("target", field (Task.create null obs))
        Assert.Equal("target", field (Task.create [| [||] |] obs))
        Assert.Equal("target[1]", field (Task.create [| [| 1.0; 2.0 |]; [| 3.0 |] |] obs))
        Assert.Equal("target[1][0]", field (Task.create [| [| 1.0; 2.0 |]; [| nan; 4.0 |] |] obs))
        Assert.Equal("target[0][1]", field (Task.create [| [| 1.0; infinity |]; [| 3.0; 4.0 |] |] obs))
        Assert.Equal("target[1][1]", field (Task.create [| [| 1.0; 2.0 |]; [| 3.0; -infinity |] |] obs))

    [<Fact>]
    member _.``Task.create rejects empty, out-of-range, duplicate and non-pair observed entries``() =
        Assert.Equal("observed", field (Task.create good [||]))
        Assert.Equal("observed", field (Task.create good null))
        Assert.Equal("observed[0]", field (Task.create good [| [| 2; 0 |] |]))
        Assert.Equal("observed[1]", field (Task.create good [| [| 0; 0 |]; [| -1; 0 |] |]))
        Assert.Equal("observed[0]", field (Task.create good [| [| 0; 2 |] |]))
        Assert.Equal("observed[0]", field (Task.create good [| [| 0; -1 |]; [| 0; 1 |] |]))
        Assert.Equal("observed[2]", field (Task.create good [| [| 0; 0 |]; [| 1; 0 |]; [| 0; 0 |] |]))
        Assert.Equal("observed[0]", field (Task.create good [| [| 0 |] |]))
        Assert.Equal("observed[1]", field (Task.create good [| [| 0; 0 |]; [| 0; 1; 1 |] |]))
        Assert.Equal("observed[0]", field (Task.create good [| null |]))

    /// The field of the first non-finite entry after writing `bad` into a random entry of a case's target.
    static member CorruptedField (bad: float) (c: Case) =
        let rows = (Gens.target c).ToRowArrays()
        let mutable r = Gens.rng c 10
        let i = Rng.nextInt &r rows.Length
        let j = Rng.nextInt &r rows.[0].Length
        rows.[i].[j] <- bad
        (i, j), field (Task.create rows (Gens.observed c |> Array.map (fun (a, b) -> [| a; b |])))

    [<Fact>]
    member _.``Task.create names the corrupted entry of any target``() =
        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c ->
                [ nan; infinity; -infinity ]
                |> List.forall (fun bad ->
                    let (i, j), f = ValidationTests.CorruptedField bad c
                    f = sprintf "target[%d][%d]" i j))

        Harness.check "validation.task-corrupted-entry" cases prop |> ignore

    [<Fact>]
    member _.``Task.create names the corrupted entry control: swapped indices are caught``() =
        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c ->
                let (i, j), f = ValidationTests.CorruptedField nan c
                f = sprintf "target[%d][%d]" j i)

        output.WriteLine((Harness.expectFailure "validation.task-corrupted-entry.control" cases prop).Summary)

    [<Fact>]
    member _.``Task.create accepts every generated task``() =
        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c ->
                let t = Gens.task c in t.N >= 1 && t.DOut = c.DOut && t.DIn = c.DIn)

        Harness.check "validation.task-generated" cases prop |> ignore

    [<Fact>]
    member _.``Network.ofRowArrays rejects empty layers, ragged rows, NaN and shape mismatches``() =
        let l23 = [| [| 1.0; 0.0; 0.0 |]; [| 0.0; 1.0; 0.0 |] |]
        let l12 = [| [| 1.0; 1.0 |] |]

        match Network.ofRowArrays [| l23; l12 |] with
        | Ok n -> Assert.Equal<int[]>([| 3; 2; 1 |], Network.widths n)
        | Error e -> failwithf "rejected: %O" e

        Assert.Equal("layers", field (Network.ofRowArrays [||]))
        Assert.Equal("layers", field (Network.ofRowArrays null))
        Assert.Equal("layers[1]", field (Network.ofRowArrays [| l23; [||] |]))
        Assert.Equal("layers[0][1]", field (Network.ofRowArrays [| [| [| 1.0; 2.0 |]; [| 1.0 |] |] |]))
        Assert.Equal("layers[0][0]", field (Network.ofRowArrays [| [| [||] |] |]))
        Assert.Equal("layers[1][0][1]", field (Network.ofRowArrays [| l23; [| [| 1.0; nan |] |] |]))

        Assert.Equal(
            "layers[0][1][2]",
            field (Network.ofRowArrays [| [| [| 1.0; 2.0; 3.0 |]; [| 1.0; 2.0; infinity |] |] |])
        )

        Assert.Equal("layers[1]", field (Network.ofRowArrays [| l23; l23 |]))

    [<Fact>]
    member _.``Network.validate checks the task's d_in and d_out and finiteness``() =
        let net =
            {
                W = [| Linalg.M.Dense(2, 3, 1.0); Linalg.M.Dense(1, 2, 1.0) |]
            }

        Assert.True(Result.isOk (Network.validate (Some(1, 3)) net))
        Assert.Equal("layers[0]", field (Network.validate (Some(1, 4)) net))
        Assert.Equal("layers[1]", field (Network.validate (Some(2, 3)) net))
        let bad = Network.copy net
        bad.W.[1].[0, 1] <- nan
        Assert.Equal("layers[1]", field (Network.validate None bad))
        Assert.Equal("layers", field (Network.validate None { W = [||] }))

        Assert.Equal(
            "layers[1]",
            field (
                Network.validate
                    None
                    {
                        W = [| Linalg.M.Dense(2, 3); Linalg.M.Dense(1, 3) |]
                    }
            )
        )

    [<Fact>]
    member _.``Region.validate names every bad constant``() =
        let ok =
            {
                R = 1
                Eps1 = 0.1
                Eps2 = 0.1
                Alpha = 0.5
                C = 10.0
                Family = FAlphaFamily.Piecewise
            }

        Assert.True(Result.isOk (Region.validate ok))

        Assert.True(
            Result.isOk (
                Region.validate
                    { ok with
                        R = 0
                        Eps1 = 0.0
                        Eps2 = 0.0
                    }
            )
        )

        Assert.Equal("r", field (Region.validate { ok with R = -1 }))
        Assert.Equal("eps1", field (Region.validate { ok with Eps1 = -1e-300 }))
        Assert.Equal("eps1", field (Region.validate { ok with Eps1 = nan }))
        Assert.Equal("eps2", field (Region.validate { ok with Eps2 = -1.0 }))
        Assert.Equal("eps2", field (Region.validate { ok with Eps2 = infinity }))
        Assert.Equal("alpha", field (Region.validate { ok with Alpha = 0.0 }))
        Assert.Equal("alpha", field (Region.validate { ok with Alpha = nan }))
        Assert.Equal("C", field (Region.validate { ok with C = 0.0 }))
        Assert.Equal("C", field (Region.validate { ok with C = infinity }))

    [<Fact>]
    member _.``FAlpha.parse rejects an unknown family with the given field``() =
        Assert.Equal("--f-alpha", field (FAlpha.parse "--f-alpha" "cubic"))
        Assert.Equal("fAlpha", field (FAlpha.parse "fAlpha" "Piecewise"))
        Assert.Equal("fAlpha", field (FAlpha.parse "fAlpha" ""))
