namespace LowRankVerify.Properties

open System
open System.IO
open System.Text
open Xunit
open LowRankVerify.Theory
open LowRankVerify.Runner
open LowRankVerify.Runner.Json
open LowRankVerify.Runner.Checkpoints

/// Helpers of `CheckpointJsonTests`: the strict reader on a string.
module CheckpointJsonRun =

    /// Reads `json` as a `'T` with the strict reader, the value's path being "x".
    let read<'T> (json: string) : 'T =
        use c =
            new JsonCursor(new MemoryStream(Encoding.UTF8.GetBytes json), "--resume test.json")

        c.Expect ""
        CheckpointJson.Read<'T>(c, "x", 1_000_000L)

    /// The message of the input error reading `json` as a `'T` gives (fails when it is read).
    let refusal<'T> (json: string) =
        let e = Assert.Throws<InputException>(Action(fun () -> read<'T> json |> ignore))

        e.Message

    /// Written, read back and written again: the same text, and the value read back equals the original
    /// (structural equality of the core's records, arrays and matrices; a field skipped both ways would keep
    /// the text equal but not the value).
    let roundTrip<'T> (x: 'T) =
        let text = CheckpointJson.Serialize x
        let back = read<'T> text
        Assert.True(Unchecked.equals x back, sprintf "read back differs from the original: %s" text)
        Assert.Equal(text, CheckpointJson.Serialize back)
        text

/// `CheckpointJson`, the generic encoding of checkpoint format 5 (docs/file-formats.md#checkpoints): the
/// documented forms, exact round trips of the core's state records (text written, read back and written again
/// is the same text: shortest round-trip floats, so the same bits), and refusals naming the field, among them
/// an unknown key inside a union case (no state record holds such a union yet, so only this test covers it).
type CheckpointJsonTests() =

    /// A C1 hunt at L = 2 (the control: counterexamples with their cases) paused after 30 evaluations.
    let hunt =
        lazy
            (let settings =
                { Hunt.defaults ClaimId.C1 3UL with
                    MaxEvaluations = 600
                    Overrides =
                        { Overrides.none with
                            Depth = Some 2
                            InRegimeOnly = false
                        }
                }

             Hunt.advance C1.hunter settings (Hunt.start settings) (fun n -> n >= 30))

    [<Fact>]
    member _.``E1 cursors in progress round-trip bit for bit; kinds are names, random states decimal strings``() =
        let p =
            { E1.defaults with
                Steps = 4000L
                Seeds = 1
                Sde = true
            }

        for kind, chain in E1.runList p do
            let c = E1.advance p (E1.cursorStartOf kind p chain) 1500L
            Assert.True(c.Engine.IsSome, "a cursor in progress holds its engine")
            let text = CheckpointJsonRun.roundTrip c
            Assert.Contains(sprintf "\"kind\":\"%s\"" (E1Plan.KindName kind), text)
            Assert.Contains(sprintf "\"rng\":\"%d\"" c.Rng.State, text)

    [<Fact>]
    member _.``hunt states with their C1 cases round-trip; matrices are rows, claims their text, ±∞ strings``() =
        let s = hunt.Value
        Assert.True(s.Best.IsSome && s.Best.Value.Case.IsSome, "the L = 2 control's best finding carries its case")
        let text = CheckpointJsonRun.roundTrip s
        Assert.Contains("\"claim\":\"C1\"", text)
        let target = s.Best.Value.Case.Value.Task.Target
        Assert.Contains(sprintf "\"target\":[[%s" (CheckpointJson.Serialize target.[0, 0]), text)

        let infinite =
            { s.Best.Value with
                Violation = infinity
                Bound = -infinity
            }

        let text = CheckpointJsonRun.roundTrip infinite
        Assert.Contains("\"violation\":\"Infinity\",\"bound\":\"-Infinity\"", text)

    [<Fact>]
    member _.``refusals name the field: unknown key inside a union case and a record, missing field, wrong type, NaN``
        ()
        =
        let source = CheckpointJsonRun.roundTrip (TaskSource.Blocks(2, 0.1))
        Assert.Equal("{\"blocks\":{\"blocks\":2,\"epsilon\":0.1}}", source)

        Assert.StartsWith(
            "x.blocks.bogus: unknown field",
            CheckpointJsonRun.refusal<TaskSource> (source.Replace("}}", ",\"bogus\":1}}"))
        )

        let p = CheckpointJson.Serialize E1.defaults

        Assert.StartsWith(
            "x.extra: unknown field",
            CheckpointJsonRun.refusal<E1Params> (p.Replace("{", "{\"extra\":1,"))
        )

        let edit (pattern: string) (by: string) =
            Assert.Matches(pattern, p)
            Text.RegularExpressions.Regex.Replace(p, pattern, by)

        Assert.StartsWith(
            "x.seeds: has the wrong type or value: missing required field",
            CheckpointJsonRun.refusal<E1Params> (edit "\"seeds\":\\d+," "")
        )

        Assert.StartsWith(
            "x.depth: has the wrong type",
            CheckpointJsonRun.refusal<E1Params> (edit "\"depth\":\\d+" "\"depth\":\"4\"")
        )

        Assert.StartsWith("x.eta:", CheckpointJsonRun.refusal<E1Params> (edit "\"eta\":[^,]+" "\"eta\":NaN"))

        Assert.StartsWith(
            "x.eta: must be a finite number",
            CheckpointJsonRun.refusal<E1Params> (edit "\"eta\":[^,]+" "\"eta\":1e999")
        )
        // Writing refuses what reading would: a non-finite number outside the records that allow ±∞.
        Assert.Throws<InvalidOperationException>(
            Action(fun () -> CheckpointJson.Serialize { E1.defaults with Epsilon = nan } |> ignore)
        )
        |> ignore
