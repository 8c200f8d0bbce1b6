namespace LowRankVerify.Properties

open System
open System.IO
open System.Text.Json
open Xunit
open FsCheck
open FsCheck.FSharp
open LowRankVerify.Theory
open LowRankVerify.Runner
open LowRankVerify.Runner.Json

/// The CLI tests redirect Console.Out/Error, which is process-wide: they run alone, never in parallel.
[<CollectionDefinition("Console", DisableParallelization = true)>]
type ConsoleCollection() = class end

/// One hostile input: the command line (with {task}/{network} standing for the files written from
/// `Task`/`Network`) and the field its one-line error must name.
type HostileCase =
    {
        Name: string
        Args: string list
        Task: string
        Network: string
        Field: string
    }

/// Helpers of the CLI tests: in-process runs with captured output, temp files, the worked example of docs/file-formats.md.
module CliRun =

    /// Runs `lowrank args` in-process; returns exit code, stdout and stderr.
    let run (args: string list) : int * string * string =
        use out = new StringWriter()
        use err = new StringWriter()
        let o, e = Console.Out, Console.Error
        Console.SetOut out
        Console.SetError err

        try
            let rc = Cli.Execute(Array.ofList args)
            rc, out.ToString(), err.ToString()
        finally
            Console.SetOut o
            Console.SetError e

    /// A fresh temp directory under Path.GetTempPath(), removed by `cleanup`.
    let tempDir () =
        let d =
            Path.Combine(Path.GetTempPath(), "lowrank-cli-" + Guid.NewGuid().ToString("N"))

        Directory.CreateDirectory d |> ignore
        d

    /// Deletes a temp directory made by `tempDir`.
    let cleanup (d: string) =
        if Directory.Exists d then
            Directory.Delete(d, true)

    /// The repository's `examples/` folder (the worked example of docs/file-formats.md), found above the test binary.
    let examples =
        let rec up (d: DirectoryInfo) =
            if isNull d then
                failwith "examples/task.json not found above the test binary"
            elif File.Exists(Path.Combine(d.FullName, "examples", "task.json")) then
                Path.Combine(d.FullName, "examples")
            else
                up d.Parent

        up (DirectoryInfo AppContext.BaseDirectory)

    let exampleTask = Path.Combine(examples, "task.json")
    let exampleNetwork = Path.Combine(examples, "network.json")

    /// Why a run does NOT look like a clean rejection naming `field` (None when it does): exit 2,
    /// nothing on stdout, exactly one line on stderr containing the field, no stack trace.
    let rejection (field: string) (rc: int, out: string, err: string) : string option =
        let lines = err.TrimEnd('\n', '\r').Split('\n')

        if rc <> Cli.BadInput then
            Some(sprintf "exit code %d, expected 2 (stderr: %s)" rc err)
        elif out <> "" then
            Some(sprintf "stdout not empty: %s" out)
        elif err.Trim() = "" || lines.Length <> 1 then
            Some(sprintf "stderr must be exactly one line, got %d: %s" lines.Length err)
        elif err.Contains "   at " || err.Contains "Exception" then
            Some(sprintf "stack trace or exception name on stderr: %s" err)
        elif not (err.Contains field) then
            Some(sprintf "stderr does not name the field '%s': %s" field err)
        else
            None

    /// Reads a double property of a JSON object.
    let num (e: JsonElement) (name: string) = e.GetProperty(name).GetDouble()

    /// Reads a double array property.
    let nums (e: JsonElement) (name: string) =
        e.GetProperty(name).EnumerateArray()
        |> Seq.map (fun x -> x.GetDouble())
        |> Array.ofSeq

    /// The example task and network through the runner's own readers.
    let exampleInputs () =
        let task = TaskFile.Read("--task", exampleTask)
        task, NetworkFile.Read("--network", exampleNetwork, task)
