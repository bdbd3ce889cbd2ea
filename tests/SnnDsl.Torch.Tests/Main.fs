/// The entry point: runs every [<Tests>] list of this assembly under Expecto's command line
/// (`--filter-test-case`, `--list-tests`, `--summary`, ...). SNNDSL_TEST_DEVICE=cuda:0 runs them on that
/// device (Torch.setDefaultDevice: every tensor a test creates without a device goes there; bench/gpu-check.sh).
module SnnDsl.Torch.Tests.Main

open System
open Expecto
open SnnDsl.Torch

[<EntryPoint>]
let main argv =
    let device =
        match Environment.GetEnvironmentVariable "SNNDSL_TEST_DEVICE" with
        | null | "" -> Ok None
        | text ->
            try
                let d = Device.Parse text
                Torch.setDefaultDevice d
                Ok(Some d)
            with :? ArgumentException as e -> Error $"SNNDSL_TEST_DEVICE={text}: {e.Message}"
    match device with
    | Error why ->
        eprintfn "%s" why
        2
    | Ok d ->
        d |> Option.iter (printfn "binding tests on %O (SNNDSL_TEST_DEVICE)")
        runTestsInAssemblyWithCLIArgs [] argv
