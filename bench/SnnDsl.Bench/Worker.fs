/// The binding's side of a measurement: standalone (prints a median) or as a driver-controlled worker.
module SnnDsl.Bench.Worker

open System
open System.Globalization
open System.Text.Json
open SnnDsl.Torch
open SnnDsl.Bench.Workloads

/// The allocator setting this process runs with (Runtime.fs reads SNNDSL_MALLOC the same way).
let mallocMode () =
    if Environment.GetEnvironmentVariable "SNNDSL_MALLOC" = "default" then "default" else "tuned"

let private inv (x: float) = x.ToString("R", CultureInfo.InvariantCulture)

/// Runs warmup + iters steps in this process and prints the median step time (text or one JSON object).
let standalone (w: Workload) (threads: int) (iters: int) (warmup: int) (json: bool) =
    Torch.setThreads threads
    let p = prepare w
    let loss = p.Step true
    timeSteps p warmup |> ignore
    let times = timeSteps p iters
    p.Dispose()
    let med = Stats.median times
    if json then
        let o =
            {| side = "binding"
               workload = w.Name
               threads = threads
               malloc = mallocMode ()
               iters = iters
               warmup = warmup
               median_ms = med
               loss = loss
               times_ms = times
               torch = Torch.version () |}
        printfn "%s" (JsonSerializer.Serialize o)
    else
        printfn "binding (%s) %s threads=%d malloc=%s: median %.2f ms/step over %d steps (min %.2f, max %.2f), loss %s"
            (Torch.version ()) w.Name threads (mallocMode ()) med iters (Array.min times) (Array.max times) (inv loss)

/// Driver protocol (same as conv_spike.py --serve): prepare and warm up, print "ready <loss>", then answer
/// each "run K" line with a JSON list of K step times in ms, until "quit" or end of input.
let serve (w: Workload) (threads: int) (warmup: int) =
    Torch.setThreads threads
    let p = prepare w
    let loss = p.Step true
    timeSteps p warmup |> ignore
    printfn "ready %s" (inv loss)
    let mutable go = true
    while go do
        match Console.ReadLine() with
        | null -> go <- false
        | line ->
            match line.Split(' ', StringSplitOptions.RemoveEmptyEntries) with
            | [| "run"; k |] ->
                let times = timeSteps p (int k)
                printfn "%s" (JsonSerializer.Serialize times)
            | _ -> go <- false
    p.Dispose()
