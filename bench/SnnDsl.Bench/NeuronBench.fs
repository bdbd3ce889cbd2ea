/// Workload A: one multi-step neuron layer, forward and backward, over x [T, N] float32 (loss = spikes.sum()),
/// on the fused and the eager backend (this process) and as PyTorch's hand-written unbind loop (a worker
/// running bench/reference/neuron_loop.py), in interleaved rounds, with the machine's copy bandwidth measured
/// in the same rounds. Reports medians, the ratios the targets are stated in, and what each side saves for
/// the backward pass.
module SnnDsl.Bench.NeuronBench

open System
open System.Diagnostics
open System.IO
open System.Runtime.InteropServices
open System.Text.Json
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Backends

[<Struct; StructLayout(LayoutKind.Sequential)>]
type private Mallinfo2 =
    val Arena: unativeint
    val Ordblks: unativeint
    val Smblks: unativeint
    val Hblks: unativeint
    val Hblkhd: unativeint
    val Usmblks: unativeint
    val Fsmblks: unativeint
    val Uordblks: unativeint
    val Fordblks: unativeint
    val Keepcost: unativeint

[<DllImport("libc", EntryPoint = "mallinfo2")>]
extern Mallinfo2 private mallinfo2()

/// Bytes the heap holds in use (glibc), mmapped blocks included.
let heapInUse () =
    let m = mallinfo2 ()
    int64 m.Uordblks + int64 m.Hblkhd

/// The neurons of the workload by name, as neuron_loop.py writes them.
let neuronNamed (name: string) =
    match name with
    | "leaky-lif" -> Neuron.withSurrogate Surrogate.atan Builtins.leakyLif
    | "da-lif" -> Builtins.daLif
    | "plif" -> Builtins.plif
    | "ar-lif" -> Builtins.arLif
    | other -> failwith $"unknown neuron '{other}' (leaky-lif, da-lif, plif, ar-lif)"

/// How a side runs the layer: through a backend, or through compiled fused kernels planned under another
/// cost model (`--saving`: the forward saves for the backward).
[<RequireQualifiedAccess>]
type private Runs =
    | Backend of Backend
    | Planned of CostModel

/// One side: a training step of the layer, and the bytes it keeps for the backward pass.
type private Side(neuron: Neuron, runs: Runs, x: Tensor) =
    let run =
        match runs with
        | Runs.Backend backend ->
            let runner = NeuronRunner(neuron, backend)
            fun raw (x: Tensor) -> runner.Run(raw, None, x)
        | Runs.Planned model ->
            let p = Program.lower Program.learnable neuron
            fun raw x -> Fused.runWith model p raw None x
    let device = x.Device
    let sync () = match device with Device.Cuda i -> Torch.cudaSynchronize i | Device.Cpu -> ()
    let raw =
        [ for p in neuron.Params do
              if p.Learnable then
                  let t = TensorScope.Forget(Tensor.Scalar(p.Init, device = device))
                  t.RequiresGrad <- true
                  yield p.Name, t ]
        |> Map.ofList
    let clear () =
        x.ZeroGrad(true)
        for KeyValue(_, t) in raw do t.ZeroGrad(true)
    member _.Step() =
        clear ()
        use scope = new TensorScope()
        let s, _ = run raw x
        s.Sum().Backward()
        sync ()
    /// Heap bytes (CPU) kept after the forward pass beyond its outputs; 0 on CUDA (not measured there).
    member _.SavedBytes() =
        clear ()
        use scope = new TensorScope()
        let before = heapInUse ()
        let s, final = run raw x
        let outputs = s.NumElements * 4L + (final |> Seq.sumBy (fun kv -> match kv.Value with TValue.Tensor t -> t.NumElements * 4L | _ -> 0L))
        let held = heapInUse () - before - outputs
        s.Sum().Backward()
        held
    member _.Dispose() = for KeyValue(_, t) in raw do t.Dispose()

/// The PyTorch worker of one configuration (bench/reference/neuron_loop.py --serve).
type private PyWorker(python: string, script: string, neuron: string, T: int, N: int, threads: int, device: Device) =
    let psi = ProcessStartInfo(python, [ script; "--neuron"; neuron; "--T"; string T; "--N"; string N; "--threads"; string threads; "--device"; string device; "--serve" ])
    do
        psi.RedirectStandardInput <- true
        psi.RedirectStandardOutput <- true
        psi.UseShellExecute <- false
        psi.Environment["OMP_WAIT_POLICY"] <- "PASSIVE"
    let p = Process.Start psi
    let ready = p.StandardOutput.ReadLine()
    do if isNull ready || not (ready.StartsWith "ready") then failwith $"neuron_loop.py did not start (said '{ready}')"
    let mutable saved = 0L
    member _.Run(k: int) : float[] =
        p.StandardInput.WriteLine($"run {k}")
        p.StandardInput.Flush()
        use doc = JsonDocument.Parse(p.StandardOutput.ReadLine())
        saved <- doc.RootElement.GetProperty("saved_bytes").GetInt64()
        [| for e in doc.RootElement.GetProperty("ms").EnumerateArray() -> e.GetDouble() |]
    member _.SavedBytes = saved
    member _.Dispose() =
        try
            p.StandardInput.WriteLine "quit"
            if not (p.WaitForExit 10000) then p.Kill true
        with _ -> ()

/// One measured configuration.
type Row =
    { Neuron: string
      Device: string
      T: int
      N: int
      Threads: int
      FusedMs: float
      /// The fused kernels planned to save in the forward for the backward (CostModel.save), where asked
      /// (`--saving`); NaN otherwise.
      SavingMs: float
      EagerMs: float
      PyTorchMs: float
      /// Copy bandwidth (bytes read + written per second, GB/s) measured in the same rounds.
      CopyGBs: float
      /// Five passes over T * N floats (read x, write spikes, read them for the sum, read x, write dx) at
      /// the copy bandwidth: the least memory traffic of a step.
      FloorMs: float
      FusedOverFloor: float
      EagerOverFused: float
      PyTorchOverFused: float
      /// Bytes kept for the backward pass beyond the outputs, in units of T * N float32 values.
      FusedSaved: float
      EagerSaved: float
      PyTorchSaved: float
      /// The neuron's states + 1: the bound on what the fused backend may keep.
      SavedBound: int }

let private timeMs (f: unit -> unit) =
    let t0 = Stopwatch.GetTimestamp()
    f ()
    Stopwatch.GetElapsedTime(t0).TotalMilliseconds

/// Runs one configuration: `rounds` interleaved rounds of `iters` steps per side.
let private measure (device: Device) (python: string) (script: string) (name: string) (T: int) (N: int) (threads: int) (iters: int) (rounds: int) (saving: bool) (log: string -> unit) : Row =
    Torch.setThreads threads
    let neuron = neuronNamed name
    Torch.manualSeed 0UL
    use x = TensorScope.Forget(Tensor.Randn([| T; N |], device = device))
    x.RequiresGrad <- true
    let fused = Side(neuron, Runs.Backend Backend.Fused, x)
    let eager = Side(neuron, Runs.Backend Backend.Eager, x)
    let savingSide = if saving then Some(Side(neuron, Runs.Planned CostModel.save, x)) else None
    let py = new PyWorker(python, script, name, T, N, threads, device)
    // 256 MiB each way, well beyond the caches (CPU); on a GPU, 1 GiB.
    let copyLength = match device with Device.Cpu -> 64 * 1024 * 1024 | Device.Cuda _ -> 256 * 1024 * 1024
    use src = TensorScope.Forget(Tensor.Randn([| copyLength |], device = device))
    use dst = TensorScope.Forget(Tensor.Zeros([| copyLength |], device = device))
    let copy () =
        dst.CopyFrom src
        match device with Device.Cuda i -> Torch.cudaSynchronize i | Device.Cpu -> ()
    let copyBytes = 2.0 * float src.NumElements * 4.0
    try
        for _ in 1..2 do
            fused.Step()
            eager.Step()
            savingSide |> Option.iter (fun sv -> sv.Step())
        copy ()
        let f, sf, e, pt, c = ResizeArray(), ResizeArray(), ResizeArray(), ResizeArray(), ResizeArray()
        for r in 1..rounds do
            for _ in 1..iters do f.Add(timeMs fused.Step)
            savingSide |> Option.iter (fun sv -> for _ in 1..iters do sf.Add(timeMs sv.Step))
            for _ in 1..iters do e.Add(timeMs eager.Step)
            pt.AddRange(py.Run iters)
            for _ in 1..3 do c.Add(timeMs copy)
            log $"{name} T={T} threads={threads}: round {r}/{rounds}"
        let fm, em, pm = Stats.median f, Stats.median e, Stats.median pt
        let copyGBs = copyBytes / (Stats.median c / 1000.0) / 1e9
        let pass = float T * float N * 4.0
        let floor = 5.0 * pass / (copyGBs * 1e9) * 1000.0
        let saved (b: int64) = match device with Device.Cpu -> float b / pass | Device.Cuda _ -> nan
        { Neuron = name; Device = string device; T = T; N = N; Threads = threads
          FusedMs = fm; EagerMs = em; PyTorchMs = pm
          SavingMs = (if sf.Count > 0 then Stats.median sf else nan)
          CopyGBs = copyGBs; FloorMs = floor
          FusedOverFloor = fm / floor; EagerOverFused = em / fm; PyTorchOverFused = pm / fm
          FusedSaved = saved (fused.SavedBytes())
          EagerSaved = saved (eager.SavedBytes())
          PyTorchSaved = saved py.SavedBytes
          SavedBound = neuron.States.Length + 1 }
    finally
        py.Dispose()
        fused.Dispose()
        eager.Dispose()
        savingSide |> Option.iter (fun sv -> sv.Dispose())

/// The `neurons` command (and the workload of `gpu-check`).
let run (device: Device) (python: string) (script: string) (neurons: string list) (ts: int list) (threads: int list) (ns: int list) (iters: int) (rounds: int) (saving: bool) (json: bool) (jsonOut: string) =
    let log (m: string) = if not json then eprintfn "  .. %s" m
    let rows =
        [ for N in ns do
              for th in threads do
                  for t in ts do
                      for n in neurons do
                          yield measure device python script n t N th iters rounds saving log ]
    let o =
        {| binding = Torch.version ()
           cpus = Environment.ProcessorCount
           command = String.Join(' ', Environment.GetCommandLineArgs()[1..])
           rows = rows |}
    if jsonOut <> "" then File.WriteAllText(jsonOut, JsonSerializer.Serialize(o, JsonSerializerOptions(WriteIndented = true)))
    if json then printfn "%s" (JsonSerializer.Serialize o)
    else
        printfn "workload A on %O: x [T, N] float32, forward + backward of spikes.sum(); medians of %d rounds x %d steps" device rounds iters
        printfn "%-10s %9s %3s %3s %9s %9s %9s %8s %8s %7s %7s %7s %15s" "neuron" "N" "T" "thr" "fused ms" "eager ms" "torch ms" "copy GB/s" "floor ms" "f/floor" "eager/f" "torch/f" "saved f/e/t"
        for r in rows do
            printfn "%-10s %9d %3d %3d %9.2f %9.2f %9.2f %8.1f %8.2f %7.2f %7.1f %7.1f %5.2f/%4.1f/%4.1f"
                r.Neuron r.N r.T r.Threads r.FusedMs r.EagerMs r.PyTorchMs r.CopyGBs r.FloorMs r.FusedOverFloor r.EagerOverFused r.PyTorchOverFused r.FusedSaved r.EagerSaved r.PyTorchSaved
        for N in ns do
            for th in threads do
                for t in ts do
                    let rowOf n = rows |> List.tryFind (fun r -> r.Neuron = n && r.T = t && r.Threads = th && r.N = N)
                    let fusedOf n = rowOf n |> Option.map (fun r -> r.FusedMs)
                    match rowOf "leaky-lif" with
                    | Some lif ->
                        for n in [ "da-lif"; "plif"; "ar-lif" ] do
                            fusedOf n |> Option.iter (fun v -> printfn "N=%d T=%d threads=%d: fused %s / fused leaky-lif = %.2f" N t th n (v / lif.FusedMs))
                        for n in [ "leaky-lif"; "da-lif"; "plif"; "ar-lif" ] do
                            fusedOf n |> Option.iter (fun v -> printfn "N=%d T=%d threads=%d: fused %s / PyTorch's leaky-lif loop = %.2f" N t th n (v / lif.PyTorchMs))
                    | None -> ()
                    for r in rows do
                        if r.T = t && r.Threads = th && r.N = N && not (Double.IsNaN r.SavingMs) then
                            printfn "N=%d T=%d threads=%d: %s with the forward saving %.2f ms, recomputing %.2f ms (saving / recomputing = %.2f)" N t th r.Neuron r.SavingMs r.FusedMs (r.SavingMs / r.FusedMs)
    rows
