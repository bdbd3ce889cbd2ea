/// Runs the binding and the PyTorch reference side by side: one long-lived worker process per (side,
/// allocator setting), driven in interleaved rounds so that machine noise hits every worker alike.
module SnnDsl.Bench.Driver

open System
open System.Diagnostics
open System.Globalization
open System.IO
open System.Text.Json
open SnnDsl.Bench.Workloads

type Side =
    | Binding
    | PyTorch
    member s.Name = match s with Binding -> "binding" | PyTorch -> "pytorch"

type Settings =
    { Python: string
      Reference: string
      Iters: int
      Warmup: int
      Rounds: int
      Mallocs: string list }

/// One measured configuration.
type Row =
    { Workload: string
      Threads: int
      Malloc: string
      BindingMs: float
      BindingP25: float
      BindingP75: float
      PyTorchMs: float
      PyTorchP25: float
      PyTorchP75: float
      /// median binding / median PyTorch
      Ratio: float
      /// median over rounds of (binding median / PyTorch median within the round)
      PairedRatio: float
      /// median process CPU time per step (ms), each side, and their ratio
      BindingCpuMs: float
      PyTorchCpuMs: float
      CpuRatio: float
      Steps: int
      /// minor page faults per step (all threads of the worker process)
      BindingFaults: float
      PyTorchFaults: float
      BindingLoss: float
      PyTorchLoss: float }

let private fail (msg: string) : 'a =
    eprintfn "error: %s" msg
    exit 2

/// The file `rel` in the repository: searched upward from the program's folder and the current folder.
let findInRepo (rel: string) =
    let rec up (dir: DirectoryInfo) =
        if isNull dir then None
        else
            let p = Path.Combine(dir.FullName, rel)
            if File.Exists p then Some p else up dir.Parent
    [ AppContext.BaseDirectory; Environment.CurrentDirectory ]
    |> List.tryPick (fun d -> up (DirectoryInfo d))

/// Fails with a clear message unless `python` can import torch; returns torch's version.
let checkPython (python: string) =
    let psi = ProcessStartInfo(python, [ "-c"; "import torch; print(torch.__version__)" ])
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    psi.UseShellExecute <- false
    let advice =
        "the PyTorch reference needs Debian's python3-torch (apt-get install python3-torch) for /usr/bin/python3, "
        + "or --python PATH naming an interpreter with torch 1.13; --binding-only times the binding alone"
    let p =
        try Process.Start psi
        with e -> fail $"cannot start {python}: {e.Message}; {advice}"
    let out = p.StandardOutput.ReadToEnd()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    if p.ExitCode <> 0 then
        let last = err.Trim().Split('\n') |> Array.last
        fail $"{python} cannot import torch ({last}); {advice}"
    out.Trim()

type private WorkerProc =
    { Side: Side
      Alloc: string
      Proc: Process
      Loss: float
      Times: ResizeArray<float>
      Cpu: ResizeArray<float>
      Rounds: ResizeArray<float>
      mutable Faults: int64 }

let private selfCommand () =
    let exe = Environment.ProcessPath
    let dll = Reflection.Assembly.GetEntryAssembly().Location
    if Path.GetFileNameWithoutExtension exe = "dotnet" then exe, [ dll ] else exe, []

let private workloadArgs (side: Side) (w: Workload) =
    match w with
    | ConvSpike -> [ "--workload"; "conv-spike" ]
    | TinyOps -> [ "--workload"; "tiny-ops" ]
    // Python frees each intermediate when its last reference goes: it has no separate early variant.
    | Lif(t, true) when side = Binding -> [ "--workload"; "lif-dispose-early"; "--T"; string t ]
    | Lif(t, _) -> [ "--workload"; "lif"; "--T"; string t ]

let private start (s: Settings) (side: Side) (malloc: string) (w: Workload) (threads: int) =
    let common = workloadArgs side w @ [ "--threads"; string threads; "--warmup"; string s.Warmup ]
    let file, args =
        match side with
        | Binding ->
            let exe, pre = selfCommand ()
            exe, pre @ [ "serve"; "--malloc"; malloc ] @ common
        | PyTorch -> s.Python, [ s.Reference; "--serve"; "--malloc"; malloc ] @ common
    let psi = ProcessStartInfo(file, args)
    psi.UseShellExecute <- false
    psi.RedirectStandardInput <- true
    psi.RedirectStandardOutput <- true
    // Both sides also read the library's variable: unset means tuned.
    if malloc = "default" || malloc = "mmap" then psi.Environment["SNNDSL_MALLOC"] <- malloc
    else psi.Environment.Remove "SNNDSL_MALLOC" |> ignore
    // The binding asks libgomp for passive waiting (SnnDsl.Torch Runtime); the reference gets the same.
    if String.IsNullOrEmpty(Environment.GetEnvironmentVariable "OMP_WAIT_POLICY") then psi.Environment["OMP_WAIT_POLICY"] <- "PASSIVE"
    let p = Process.Start psi
    match p.StandardOutput.ReadLine() with
    | null ->
        p.WaitForExit()
        fail $"the {side.Name} worker ({malloc}) exited with code {p.ExitCode} before it was ready: {file} {String.Join(' ', args)}"
    | line when line.StartsWith "ready" ->
        let loss = Double.Parse(line.Substring(6), CultureInfo.InvariantCulture)
        { Side = side; Alloc = malloc; Proc = p; Loss = loss; Times = ResizeArray(); Cpu = ResizeArray(); Rounds = ResizeArray(); Faults = 0L }
    | line -> fail $"the {side.Name} worker said '{line}' instead of 'ready'"

let private runBatch (wp: WorkerProc) (k: int) =
    wp.Proc.StandardInput.WriteLine $"run {k}"
    wp.Proc.StandardInput.Flush()
    match wp.Proc.StandardOutput.ReadLine() with
    | null ->
        wp.Proc.WaitForExit()
        fail $"the {wp.Side.Name} worker ({wp.Alloc}) died (exit code {wp.Proc.ExitCode})"
    | line ->
        let doc = JsonDocument.Parse line
        let times = [| for e in doc.RootElement.GetProperty("ms").EnumerateArray() -> e.GetDouble() |]
        wp.Faults <- wp.Faults + doc.RootElement.GetProperty("faults").GetInt64()
        wp.Times.AddRange times
        wp.Cpu.AddRange [ for e in doc.RootElement.GetProperty("cpu_ms").EnumerateArray() -> e.GetDouble() ]
        wp.Rounds.Add(Stats.median times)

let private stop (wp: WorkerProc) =
    try
        wp.Proc.StandardInput.WriteLine "quit"
        wp.Proc.StandardInput.Close()
    with _ -> ()
    wp.Proc.WaitForExit()

/// Measures one workload at one thread count, for every allocator setting in s.Mallocs.
let measure (s: Settings) (w: Workload) (threads: int) (progress: string -> unit) : Row list =
    let perRound = max 1 ((s.Iters + s.Rounds - 1) / s.Rounds)
    progress $"{w.Name}, threads {threads}: starting workers"
    // Started one after another, so warm-ups do not overlap.
    let workers =
        [ for m in s.Mallocs do
              for side in [ Binding; PyTorch ] -> start s side m w threads ]
    try
        for r in 0 .. s.Rounds - 1 do
            // Rotate the order each round so no worker always runs right after another.
            let n = workers.Length
            for i in 0 .. n - 1 do
                runBatch workers[(i + r) % n] perRound
            progress $"{w.Name}, threads {threads}: round {r + 1}/{s.Rounds}"
    finally
        workers |> List.iter stop
    [ for m in s.Mallocs do
          let b = workers |> List.find (fun x -> x.Side = Binding && x.Alloc = m)
          let p = workers |> List.find (fun x -> x.Side = PyTorch && x.Alloc = m)
          let bm, pm = Stats.median b.Times, Stats.median p.Times
          { Workload = w.Name
            Threads = threads
            Malloc = m
            BindingMs = bm
            BindingP25 = Stats.quantile 0.25 b.Times
            BindingP75 = Stats.quantile 0.75 b.Times
            PyTorchMs = pm
            PyTorchP25 = Stats.quantile 0.25 p.Times
            PyTorchP75 = Stats.quantile 0.75 p.Times
            Ratio = bm / pm
            PairedRatio = Stats.median (Seq.map2 (fun (x: float) y -> x / y) b.Rounds p.Rounds)
            BindingCpuMs = Stats.median b.Cpu
            PyTorchCpuMs = Stats.median p.Cpu
            CpuRatio = Stats.median b.Cpu / Stats.median p.Cpu
            Steps = b.Times.Count
            BindingFaults = float b.Faults / float b.Times.Count
            PyTorchFaults = float p.Faults / float p.Times.Count
            BindingLoss = b.Loss
            PyTorchLoss = p.Loss } ]

/// Prints the comparison table and the allocator effect (default / tuned) of each side.
let printTable (rows: Row list) =
    printfn ""
    printfn "%-10s %3s %-7s %22s %22s %6s %6s %16s %6s %13s"
        "workload" "thr" "malloc" "binding ms/step" "pytorch ms/step" "ratio" "paired" "cpu ms b/p" "cpu" "faults b/p"
    for r in rows do
        let cell m lo hi = sprintf "%.1f [%.0f-%.0f]" m lo hi
        printfn "%-10s %3d %-7s %22s %22s %6.3f %6.3f %16s %6.3f %13s" r.Workload r.Threads r.Malloc
            (cell r.BindingMs r.BindingP25 r.BindingP75) (cell r.PyTorchMs r.PyTorchP25 r.PyTorchP75) r.Ratio r.PairedRatio
            (sprintf "%.1f/%.1f" r.BindingCpuMs r.PyTorchCpuMs) r.CpuRatio (sprintf "%.0f/%.0f" r.BindingFaults r.PyTorchFaults)
    printfn "ms/step: median [p25-p75] wall time of all timed steps; ratio: binding/pytorch medians; paired: median"
    printfn "of the per-round ratios; cpu: process CPU ms/step (all threads) and its ratio; faults: minor page faults"
    printfn "per step of each worker process."
    let effect =
        rows
        |> List.groupBy (fun r -> r.Workload, r.Threads)
        |> List.map (fun ((wl, th), rs) ->
            match List.tryFind (fun (r: Row) -> r.Malloc = "tuned") rs with
            | None -> []
            | Some t ->
                [ for d in rs do
                      if d.Malloc <> "tuned" then
                          yield (wl, th, d.Malloc, d.BindingMs / t.BindingMs, d.PyTorchMs / t.PyTorchMs,
                                 d.BindingCpuMs / t.BindingCpuMs, d.PyTorchCpuMs / t.PyTorchCpuMs) ])
        |> List.concat
    if not effect.IsEmpty then
        printfn ""
        printfn "allocator effect, median of a setting / median with the binding's tuning (>1: slower than tuned):"
        for wl, th, m, b, p, bc, pc in effect do
            printfn "  %-10s threads %d %-7s: wall binding %.2fx, pytorch %.2fx; cpu binding %.2fx, pytorch %.2fx" wl th m b p bc pc
    for r in rows do
        let rel = abs (r.BindingLoss - r.PyTorchLoss) / max 1.0 (abs r.PyTorchLoss)
        if rel > 1e-4 then
            printfn "WARNING: %s threads %d %s: losses differ (binding %g, pytorch %g): not the same computation?"
                r.Workload r.Threads r.Malloc r.BindingLoss r.PyTorchLoss
