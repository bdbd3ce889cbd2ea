/// The binding's side of a measurement: standalone (prints a median) or as a driver-controlled worker.
module SnnDsl.Bench.Worker

open System
open System.Globalization
open System.Text.Json
open SnnDsl.Torch
open SnnDsl.Bench.Workloads

/// Applies an allocator setting before anything reaches libtorch: "tuned" (the binding's own mallopt values,
/// Runtime.fs: thresholds and M_MMAP_MAX = 0, so even tensors of 32 MiB and more come from the heap and are
/// reused; "nommap" is the same), "mmap" (the thresholds only, SNNDSL_MALLOC=mmap) or "default" (glibc's
/// defaults, SNNDSL_MALLOC=default).
let applyMalloc (mode: string) =
    match mode with
    | "tuned" | "nommap" -> Environment.SetEnvironmentVariable("SNNDSL_MALLOC", null)
    | "mmap" -> Environment.SetEnvironmentVariable("SNNDSL_MALLOC", "mmap")
    | "default" -> Environment.SetEnvironmentVariable("SNNDSL_MALLOC", "default")
    | other -> failwithf "unknown allocator setting '%s' (tuned, mmap or default)" other

/// The allocator setting this process runs with (Runtime.fs reads SNNDSL_MALLOC the same way).
let mallocMode () =
    match Environment.GetEnvironmentVariable "SNNDSL_MALLOC" with
    | "default" -> "default"
    | "mmap" -> "mmap"
    | _ -> "tuned"

let private inv (x: float) = x.ToString("R", CultureInfo.InvariantCulture)

/// Runs warmup + iters steps in this process and prints the median step time (text or one JSON object).
let standalone (w: Workload) (threads: int) (iters: int) (warmup: int) (json: bool) =
    Torch.setThreads threads
    let p = prepare w
    let loss = p.Step true
    timeSteps p warmup |> ignore
    let f0 = minorFaults ()
    let tm = timeSteps p iters
    let times = tm.Wall
    let faults = float (minorFaults () - f0) / float iters
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
               median_cpu_ms = Stats.median tm.Cpu
               minor_faults_per_step = faults
               loss = loss
               times_ms = times
               cpu_ms = tm.Cpu
               torch = Torch.version () |}
        printfn "%s" (JsonSerializer.Serialize o)
    else
        printfn "binding (%s) %s threads=%d malloc=%s: median %.2f ms/step (cpu %.2f) over %d steps (min %.2f, max %.2f), %.0f minor faults/step, loss %s"
            (Torch.version ()) w.Name threads (mallocMode ()) med (Stats.median tm.Cpu) iters (Array.min times) (Array.max times) faults (inv loss)

[<Runtime.InteropServices.DllImport("libc", EntryPoint = "fopen")>]
extern nativeint private fopen(string path, string mode)
[<Runtime.InteropServices.DllImport("libc", EntryPoint = "fclose")>]
extern int private fclose(nativeint f)
[<Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_info")>]
extern int private malloc_info(int options, nativeint f)

/// Prints time, CPU time, minor faults and glibc's heap statistics after each of `iters` steps.
let traceHeap (w: Workload) (threads: int) (iters: int) =
    Torch.setThreads threads
    let p = prepare w
    printfn "binding %s threads=%d malloc=%s" w.Name threads (mallocMode ())
    for i in 0 .. iters - 1 do
        let f0 = minorFaults ()
        let tm = timeSteps p 1
        printfn "step %2d: %6.1f ms, cpu %6.1f ms, %6d faults, %s" i tm.Wall[0] tm.Cpu[0] (minorFaults () - f0) (heapLine ())
        match Environment.GetEnvironmentVariable "SNNDSL_BENCH_MALLOC_INFO" with
        | null | "" -> ()
        | prefix ->
            let f = fopen ($"{prefix}.{i}.xml", "w")
            malloc_info (0, f) |> ignore
            fclose f |> ignore
    p.Dispose()

/// Driver protocol (same as conv_spike.py --serve): prepare and warm up, print "ready <loss>", then answer
/// each "run K" line with {"ms": [K step wall times in ms], "cpu_ms": [their process CPU times], "faults": minor page faults during them}, until "quit"
/// or end of input.
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
                let f0 = minorFaults ()
                let tm = timeSteps p (int k)
                printfn "%s" (JsonSerializer.Serialize {| ms = tm.Wall; cpu_ms = tm.Cpu; faults = minorFaults () - f0 |})
            | _ -> go <- false
    p.Dispose()
