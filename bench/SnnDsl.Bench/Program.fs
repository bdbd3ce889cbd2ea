/// Entry point: `dotnet run -c Release --project bench/SnnDsl.Bench -- <command> [options]` (docs/benchmarks.md).
module SnnDsl.Bench.Program

open System
open System.Runtime.InteropServices
open System.Text.Json
open SnnDsl.Torch
open SnnDsl.Bench.Workloads
open SnnDsl.Bench.Driver

let usage =
    """SnnDsl.Bench: step times of the libtorch binding against PyTorch eager (same libtorch, same process setup).

commands
  conv-spike     conv2d [32,64,32,32]*[64,64,3,3] + spike, forward and backward
  lif            T-step LIF layer over x [T,32,64,32,32], forward and backward (--T 4,16)
  tiny-ops       1000 ops on a 1-element tensor with autograd: the per-call overhead of each side
  blas-threads   does Torch.setThreads reach OpenBLAS? (pool size read back, matmul timed at 1 and 2 threads)
  all            conv-spike at threads 1,2; lif at T 4,16; blas-threads
  gpu-check      the fused-kernel laws (fused = eager = oracle) and workload A on --device (cuda)
  train-check    training steps of small-conv (MNIST-shaped) and resnet19 (CIFAR-10-shaped) on --device:
                 fused and eager against the same network in PyTorch (bench/reference/train_step.py)
  ptx            the PTX of every built-in's and example's CUDA kernel (NVRTC, no GPU needed), for
                 bench/cuda-lint.sh (ptxas registers and spills)
  neurons        workload A: a multi-step neuron layer over x [T, N] float32, forward + backward of
                 spikes.sum(), fused and eager backends against PyTorch's unbind loop
                 (bench/reference/neuron_loop.py), with the copy bandwidth measured in the same rounds

options (conv-spike, lif, all)
  --threads N[,N..]   intra-op threads (Torch.setThreads / torch.set_num_threads)   default 1 (all: 1,2)
  --iters N           timed steps per worker                                       default conv 20, lif 10
  --warmup N          untimed steps per worker before timing                        default conv 3, lif 2
  --rounds N          interleaved rounds the timed steps are split into             default conv 10, lif 5
  --malloc M[,M..]    tuned (the binding's mallopt values: thresholds and M_MMAP_MAX=0, no mmap even at
                      32 MiB and more), mmap (the thresholds only), default (glibc's own);
                      both = tuned,default
                                                                                    default both
  --T N[,N..]         lif time steps                                                default 4,16
  --dispose-early     lif: the binding disposes each intermediate when done with it (as Python's
                      refcounting frees it) instead of at the end of the step's TensorScope
  --json              print the results as one JSON object
  --json-out PATH     also write them to PATH
  --binding-only      time the binding in this process only (no PyTorch, no subprocesses)
  --trace-heap        with --binding-only: per step time, faults and glibc heap statistics (no warm-up);
                      SNNDSL_BENCH_MALLOC_INFO=PREFIX also writes malloc_info XML to PREFIX.<step>.xml
  --python PATH       interpreter with torch 1.13                                   default /usr/bin/python3
  --reference PATH    the PyTorch script                            default bench/reference/conv_spike.py
options (neurons)
  --device D          cpu, cuda or cuda:N                                            default cpu
  --neurons A,B..     leaky-lif, da-lif, plif, ar-lif                                default all four
  --T N[,N..]         time steps                                                     default 4,8,16
  --threads N[,N..]   intra-op threads                                               default 1,2
  --N N               neurons per step                                               default 1048576
  --saving            also time the fused kernels planned to save in the forward for the backward
  --iters N / --rounds N   steps per side per round / rounds                        default 5 / 3
  --json, --json-out PATH, --python PATH
options (gpu-check: the fused-kernel laws and workload A on one device; see bench/gpu-check.sh)
  --device D          cuda, cuda:N or cpu (a rehearsal)                              default cuda
  --N N[,N..] --T N[,N..]                                                            default 1048576,16777216 / 8,32
  --iters, --rounds, --json-out PATH, --python PATH
options (ptx)
  --out DIR           where NAME.cu and NAME.ARCH.ptx go                            default build/cuda-lint
  --arch A            NVRTC's virtual architecture                                  default compute_90
  --examples DIR      the .neuron files to compile beside the built-ins            default examples
options (blas-threads)
  --size N            square matmul size                                            default 2048
  --rounds N          interleaved rounds                                            default 5"""

type Args(argv: string[]) =
    let flags = Collections.Generic.HashSet<string>()
    let values = Collections.Generic.Dictionary<string, string>()
    do
        let mutable i = 0
        while i < argv.Length do
            let a = argv[i]
            match a with
            | "--json" | "--laws-only" | "--binding-only" | "--dispose-early" | "--trace-heap" | "--saving" | "--help" | "-h" -> flags.Add a |> ignore
            | _ when a.StartsWith "--" && i + 1 < argv.Length ->
                values[a] <- argv[i + 1]
                i <- i + 1
            | _ ->
                eprintfn "error: unexpected argument '%s'\n\n%s" a usage
                exit 2
            i <- i + 1
    member _.Flag f = flags.Contains f
    member _.Int(name, dflt: int) =
        match values.TryGetValue name with
        | true, v ->
            match Int32.TryParse v with
            | true, n when n > 0 -> n
            | _ ->
                eprintfn "error: %s expects a positive integer, got '%s'" name v
                exit 2
        | _ -> dflt
    member this.Ints(name, dflt: int list) =
        match values.TryGetValue name with
        | true, v ->
            v.Split(',', StringSplitOptions.RemoveEmptyEntries)
            |> Array.map (fun s ->
                match Int32.TryParse s with
                | true, n when n > 0 -> n
                | _ ->
                    eprintfn "error: %s expects positive integers separated by commas, got '%s'" name v
                    exit 2)
            |> List.ofArray
        | _ -> dflt
    member _.Str(name, dflt: string) =
        match values.TryGetValue name with
        | true, v -> v
        | _ -> dflt

// ---------------------------------------------------------------- OpenBLAS check

[<DllImport("libopenblas.so.0", EntryPoint = "openblas_get_num_threads")>]
extern int openblas_get_num_threads()

/// OpenBLAS's pool size as OpenBLAS reports it, or None when no OpenBLAS is loaded.
let blasThreads () =
    try Some(openblas_get_num_threads ())
    with :? DllNotFoundException | :? EntryPointNotFoundException -> None

/// CPU clock ticks (utime + stime) of each thread of this process.
let threadTicks () =
    Collections.Generic.Dictionary<string, int64>(
        seq {
            for dir in IO.Directory.GetDirectories "/proc/self/task" do
                let stat = try IO.File.ReadAllText(IO.Path.Combine(dir, "stat")) with _ -> null
                if not (isNull stat) then
                    let f = stat.Substring(stat.LastIndexOf ')' + 2).Split ' '
                    // fields 14 and 15 (utime, stime) are the 12th and 13th after the command name
                    yield Collections.Generic.KeyValuePair(IO.Path.GetFileName dir, int64 f[11] + int64 f[12])
        })

/// How many threads did at least a fifth of the work while f ran.
let busyThreads (f: unit -> unit) =
    let before = threadTicks ()
    f ()
    let after = threadTicks ()
    let deltas =
        [ for kv in after -> kv.Value - (match before.TryGetValue kv.Key with | true, v -> v | _ -> 0L) ]
    let total = List.sum deltas
    deltas |> List.filter (fun d -> total > 0L && float d >= 0.2 * float total) |> List.length

let blasCheck (size: int) (rounds: int) (json: bool) =
    Torch.manualSeed 0UL
    let a = Tensor.Randn [| size; size |]
    let b = Tensor.Randn [| size; size |]
    /// Wall and process CPU ms of one matmul (OpenBLAS sgemm).
    let timeMatmul () =
        use scope = new TensorScope()
        let c0 = Workloads.processCpuMs ()
        let t0 = Diagnostics.Stopwatch.GetTimestamp()
        Tensor.Matmul(a, b) |> ignore
        Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds, Workloads.processCpuMs () - c0
    let initial = blasThreads () // libtorch (and with it OpenBLAS) is loaded by now; nothing set yet
    let pools = Collections.Generic.Dictionary<int, int option>()
    let times = Collections.Generic.Dictionary<int, ResizeArray<float * float>>()
    for th in [ 1; 2 ] do
        Torch.setThreads th
        pools[th] <- blasThreads ()
        times[th] <- ResizeArray()
        timeMatmul () |> ignore // warm-up
    for _ in 1..rounds do
        for th in [ 1; 2 ] do
            Torch.setThreads th
            times[th].Add(timeMatmul ())
    // Independent of machine load: which threads accumulated CPU time during three matmuls.
    let workers =
        dict [ for th in [ 1; 2 ] ->
                   Torch.setThreads th
                   th, busyThreads (fun () -> for _ in 1..3 do timeMatmul () |> ignore) ]
    a.Dispose()
    b.Dispose()
    let wall th = Stats.median (Seq.map fst times[th])
    // CPU time / wall time: how many threads were busy on average (at most 1 with one BLAS thread).
    let busy th = Stats.median (Seq.map (fun (w, c) -> c / w) times[th])
    let show = function Some n -> string n | None -> "OpenBLAS not loaded"
    if json then
        let o =
            {| size = size
               openblas_threads_initial = initial
               openblas_threads_after_set1 = pools[1]
               openblas_threads_after_set2 = pools[2]
               matmul_ms_1 = wall 1
               matmul_ms_2 = wall 2
               cpu_per_wall_1 = busy 1
               cpu_per_wall_2 = busy 2
               threads_working_1 = workers[1]
               threads_working_2 = workers[2] |}
        printfn "%s" (JsonSerializer.Serialize o)
    else
        printfn "blas-threads: openblas_get_num_threads() = %s at start; after Torch.setThreads 1: %s; after Torch.setThreads 2: %s"
            (show initial) (show pools[1]) (show pools[2])
        printfn "blas-threads: matmul [%d,%d]x[%d,%d], median of %d: %.1f ms at 1 thread (cpu/wall %.2f), %.1f ms at 2 threads (cpu/wall %.2f), speedup %.2fx"
            size size size size rounds (wall 1) (busy 1) (wall 2) (busy 2) (wall 1 / wall 2)
        printfn "blas-threads: threads that did >= 20%% of the matmul work: %d after Torch.setThreads 1, %d after Torch.setThreads 2"
            workers[1] workers[2]
    pools[1] = Some 1 && pools[2] = Some 2 && workers[1] = 1 && workers[2] = 2

// ---------------------------------------------------------------- commands

let workloadOf (name: string) (t: int) =
    match name with
    | "conv-spike" -> ConvSpike
    | "lif" -> Lif(t, false)
    | "lif-dispose-early" -> Lif(t, true)
    | "tiny-ops" -> TinyOps
    | other ->
        eprintfn "error: unknown workload '%s' (conv-spike or lif)" other
        exit 2

let mallocModes (a: Args) =
    let text = a.Str("--malloc", "both")
    [ for m in text.Split(',', StringSplitOptions.RemoveEmptyEntries) do
          match m with
          | "both" -> yield! [ "tuned"; "default" ]
          | "tuned" | "default" | "mmap" -> yield m
          | "nommap" -> yield "tuned"
          | _ ->
              eprintfn "error: --malloc expects tuned, mmap, default or both (comma-separated), got '%s'" text
              exit 2 ]
    |> List.distinct

let settings (a: Args) (iters, warmup, rounds) =
    let python = a.Str("--python", "/usr/bin/python3")
    let reference =
        match a.Str("--reference", "") with
        | "" ->
            match findInRepo "bench/reference/conv_spike.py" with
            | Some p -> p
            | None ->
                eprintfn "error: bench/reference/conv_spike.py not found above %s or %s; pass --reference PATH"
                    AppContext.BaseDirectory Environment.CurrentDirectory
                exit 2
        | p -> p
    let mallocs = mallocModes a
    { Python = python
      Reference = reference
      Iters = a.Int("--iters", iters)
      Warmup = a.Int("--warmup", warmup)
      Rounds = a.Int("--rounds", rounds)
      Mallocs = mallocs }

/// (workload, threads list, defaults) jobs of a command.
let jobs (cmd: string) (a: Args) =
    let conv = (20, 3, 10)
    let lif = (10, 2, 5)
    match cmd with
    | "conv-spike" -> [ for th in a.Ints("--threads", [ 1 ]) -> ConvSpike, th, conv ]
    | "tiny-ops" -> [ for th in a.Ints("--threads", [ 1 ]) -> TinyOps, th, (200, 20, 20) ]
    | "lif" ->
        let early = a.Flag "--dispose-early"
        [ for t in a.Ints("--T", [ 4; 16 ]) do
              for th in a.Ints("--threads", [ 1 ]) -> Lif(t, early), th, lif ]
    | _ ->
        [ for th in a.Ints("--threads", [ 1; 2 ]) -> ConvSpike, th, conv ]
        @ [ for t in a.Ints("--T", [ 4; 16 ]) -> Lif(t, false), 1, lif ]

let compare (cmd: string) (a: Args) =
    let json = a.Flag "--json"
    let js = jobs cmd a
    if a.Flag "--binding-only" then
        // One process, one allocator setting: without --malloc, SNNDSL_MALLOC decides as in the library.
        match a.Str("--malloc", "both") with
        | "both" -> ()
        | m -> Worker.applyMalloc m
        for w, th, (iters, warmup, _) in js do
            if a.Flag "--trace-heap" then Worker.traceHeap w th (a.Int("--iters", iters))
            else Worker.standalone w th (a.Int("--iters", iters)) (a.Int("--warmup", warmup)) json
        0
    else
        let s0 = settings a (20, 3, 10)
        let pyVersion = checkPython s0.Python
        let progress (m: string) = if not json then eprintfn "  .. %s" m
        if not json then
            printfn "binding: %s via SnnDsl.Torch; pytorch: torch %s (%s); %d logical CPUs"
                (Torch.version ()) pyVersion s0.Python Environment.ProcessorCount
        let rows =
            [ for w, th, dflt in js do
                  let s = settings a dflt
                  if not json then
                      printfn "%s, threads %d: %d timed steps per worker in %d interleaved rounds, %d warm-up steps"
                          w.Name th s.Iters s.Rounds s.Warmup
                  yield! measure s w th progress ]
        let blasOk =
            if cmd = "all" then
                if not json then printfn ""
                Some(blasCheck 2048 5 json)
            else None
        let o =
            {| binding = Torch.version ()
               pytorch = pyVersion
               cpus = Environment.ProcessorCount
               command = String.Join(' ', Environment.GetCommandLineArgs()[1..])
               rows = rows |}
        match a.Str("--json-out", "") with
        | "" -> ()
        | path -> IO.File.WriteAllText(path, JsonSerializer.Serialize(o, JsonSerializerOptions(WriteIndented = true)))
        if json then printfn "%s" (JsonSerializer.Serialize o) else printTable rows
        match blasOk with
        | Some false -> 1
        | _ -> 0

/// The interpreter (checked for torch) and bench/reference/neuron_loop.py, for `neurons` and `gpu-check`.
let neuronReference (a: Args) =
    let python = a.Str("--python", "/usr/bin/python3")
    checkPython python |> ignore
    match findInRepo "bench/reference/neuron_loop.py" with
    | Some p -> python, p
    | None ->
        eprintfn "error: bench/reference/neuron_loop.py not found above %s or %s" AppContext.BaseDirectory Environment.CurrentDirectory
        exit 2

[<EntryPoint>]
let main argv =
    if argv.Length = 0 || argv[0] = "--help" || argv[0] = "-h" then
        printfn "%s" usage
        if argv.Length = 0 then 2 else 0
    else
        let cmd = argv[0]
        let a = Args(argv[1..])
        match cmd with
        | "conv-spike" | "lif" | "tiny-ops" | "all" -> compare cmd a
        | "neurons" ->
            let python, script = neuronReference a
            let names = a.Str("--neurons", "leaky-lif,da-lif,plif,ar-lif").Split(',', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
            NeuronBench.run (Device.Parse(a.Str("--device", "cpu"))) python script names (a.Ints("--T", [ 4; 8; 16 ])) (a.Ints("--threads", [ 1; 2 ])) [ a.Int("--N", 1 <<< 20) ]
                (a.Int("--iters", 5)) (a.Int("--rounds", 3)) (a.Flag "--saving") (a.Flag "--json") (a.Str("--json-out", "")) |> ignore
            0
        | "gpu-check" ->
            // The laws need no PyTorch; workload A does.
            let python, script = if a.Flag "--laws-only" then "", "" else neuronReference a
            let device = Device.Parse(a.Str("--device", "cuda"))
            GpuCheck.run device python script (a.Flag "--laws-only") (a.Ints("--N", [ 1 <<< 20; 1 <<< 24 ])) (a.Ints("--T", [ 8; 32 ]))
                (a.Int("--iters", 5)) (a.Int("--rounds", 3)) (a.Str("--json-out", ""))
        | "train-check" ->
            let python = a.Str("--python", "/usr/bin/python3")
            checkPython python |> ignore
            match findInRepo "bench/reference/train_step.py" with
            | None ->
                eprintfn "error: bench/reference/train_step.py not found above %s or %s" AppContext.BaseDirectory Environment.CurrentDirectory
                2
            | Some script ->
                let list (name: string) (d: string) = a.Str(name, d).Split(',', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
                TrainCheck.run (Device.Parse(a.Str("--device", "cuda"))) python script (list "--models" "small-conv,resnet19")
                    (list "--neurons" "leaky-lif,da-lif,ar-lif") (a.Int("--T", 4)) (a.Int("--batch", 32)) (a.Int("--iters", 10)) (a.Str("--json-out", ""))
        | "ptx" -> Ptx.run (a.Str("--examples", "examples")) (a.Str("--arch", "compute_90")) (a.Str("--out", "build/cuda-lint"))
        | "blas-threads" -> if blasCheck (a.Int("--size", 2048)) (a.Int("--rounds", 5)) (a.Flag "--json") then 0 else 1
        | "serve" ->
            Worker.applyMalloc (a.Str("--malloc", "tuned"))
            Worker.serve (workloadOf (a.Str("--workload", "conv-spike")) (a.Int("--T", 4))) (a.Int("--threads", 1)) (a.Int("--warmup", 3))
            0
        | _ ->
            eprintfn "error: unknown command '%s'\n\n%s" cmd usage
            2
