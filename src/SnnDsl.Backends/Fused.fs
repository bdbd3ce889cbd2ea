namespace SnnDsl.Backends

open System.Collections.Concurrent
open SnnDsl.Core
open SnnDsl.Torch

/// How the fused backend turns a program into machine code: a kernel compiled for that program (fast;
/// one compiler run per program, then cached), or the one interpreting kernel that runs any program from
/// its bytecode (no compiler run per program; used for many random neurons in tests).
[<RequireQualifiedAccess>]
type FusedMode =
    /// A kernel compiled for the program.
    | Compiled
    /// The one interpreting kernel, running the program's bytecode.
    | Interpreted

/// The fused backend: one pass over time per element group, states in registers, parallel over elements,
/// vectorised; the backward recomputes each group's states from the input and sweeps the derived backward
/// program in reverse. Only the input is saved for the backward (besides parameters and initial states),
/// unless the plan's cost model chose a forward that saves states and tape values (Schedule.planWith).
[<RequireQualifiedAccess>]
module Fused =
    let private granularityCode (g: Granularity) =
        match g with
        | Granularity.PerLayer -> 0
        | Granularity.PerChannel -> 1
        | Granularity.PerNeuron -> 2

    /// Why the fused backend cannot run this program at all, if it cannot.
    let whyNotProgram (p: StepProgram) : string option =
        let records = p.Bindings.Length + p.States.Length
        if p.Params.Length > Bytecode.maxParams then
            Some $"neuron '{p.Neuron}' has {p.Params.Length} learnable parameters; fused kernels take at most {Bytecode.maxParams}"
        elif p.States.Length > Bytecode.maxStates then
            Some $"neuron '{p.Neuron}' has {p.States.Length} states; fused kernels take at most {Bytecode.maxStates}"
        elif records > Bytecode.maxRecords then
            Some $"neuron '{p.Neuron}' has {records} bindings and states; fused traces record at most {Bytecode.maxRecords}"
        else None

    /// Why the fused backend cannot run this program on this input, if it cannot.
    let whyNot (p: StepProgram) (x: Tensor) : string option =
        match whyNotProgram p with
        | Some why -> Some why
        | None ->
            let dtype = x.DType
            if dtype <> DType.Float32 && dtype <> DType.Float64 then
                Some $"fused kernels run float32 and float64, the input is {dtype}"
            else
                match x.Device with
                | Device.Cuda _ when not FusedKernel.CudaAvailable ->
                    Some "this shim was built without CUDA, so fused kernels cannot run on CUDA tensors (docs/gpu.md)"
                | Device.Cuda _ -> None
                | Device.Cpu -> KernelCache.unavailable () |> Option.map (fun why -> $"fused kernels cannot be compiled: {why}")

    let private kernels = ConcurrentDictionary<string, Lazy<KernelPlan * FusedKernel>>()

    /// The shim's description of a program (parameters' granularity, states' initial values, traces).
    let spec (plan: KernelPlan) (code: byte[]) (cuda: string) : FusedSpec =
        let p = plan.Program
        { Name = p.Neuron
          Granularity = p.Params |> List.map (fun q -> granularityCode q.Granularity) |> Array.ofList
          InitialStates = p.States |> List.map (fun s -> s.Init) |> Array.ofList
          Records = plan.Records.Length
          Code = code
          CudaSource = cuda }

    /// The kernel of a program (built or found in the cache on first use, then kept for the process), planned
    /// under a cost model; the interpreting kernel always recomputes (its bytecode has no saving forward).
    let private build (model: CostModel) (mode: FusedMode) (p: StepProgram) : KernelPlan * FusedKernel =
        match whyNotProgram p with
        | Some why -> Fail.usage why
        | None -> ()
        let plan =
            match mode with
            | FusedMode.Compiled -> Schedule.planWith model p
            | FusedMode.Interpreted -> Schedule.planWith CostModel.recompute p
        let cpu, code =
            match mode with
            | FusedMode.Compiled -> Codegen.cpuKernel plan, [||]
            | FusedMode.Interpreted -> Codegen.cpuInterpreter (), Bytecode.encode plan
        // CUDA source only where the shim can compile it (NVRTC); the tests generate it for every built-in.
        let cuda = if FusedKernel.CudaAvailable then Codegen.cudaKernel plan else null
        // What the key must tell apart beyond the code: each parameter's granularity and each state's initial
        // value (as exact bits), written out rather than printed with %A.
        let granularity (g: Granularity) =
            match g with
            | Granularity.PerLayer -> "layer"
            | Granularity.PerChannel -> "channel"
            | Granularity.PerNeuron -> "neuron"
        let shape =
            String.concat " "
                [ yield p.Neuron
                  for q in p.Params -> granularity q.Granularity
                  for st in p.States -> System.BitConverter.DoubleToInt64Bits(st.Init).ToString("x16") ]
        let key = Codegen.hash (cpu + "\n" + System.Convert.ToBase64String code + "\n" + cuda + "\n" + shape + "\n" + String.concat " " (KernelCache.flags ()))
        // Kernels stay loaded for the process; the bindings of many one-off programs (random neurons in
        // tests) are dropped in bulk, and a binding still in use lives on in its runs.
        if kernels.Count > 1024 then kernels.Clear()
        let entry =
            kernels.GetOrAdd(
                key,
                fun _ ->
                    lazy
                        (let name = match mode with FusedMode.Compiled -> p.Neuron | FusedMode.Interpreted -> "interpreter"
                         let path = KernelCache.get name cpu
                         plan, FusedKernel.Load(path, spec plan code cuda)))
        try entry.Value
        with _ ->
            kernels.TryRemove key |> ignore
            reraise ()

    // Per cost model, mode and program object (a layer's runner keeps its programs), so a forward call neither
    // plans nor generates.
    let private byProgram =
        ConcurrentDictionary<CostModel * FusedMode, System.Runtime.CompilerServices.ConditionalWeakTable<StepProgram, KernelPlan * FusedKernel>>(HashIdentity.Structural)

    let private remembered (model: CostModel) (mode: FusedMode) (p: StepProgram) : KernelPlan * FusedKernel =
        let table = byProgram.GetOrAdd((model, mode), fun _ -> System.Runtime.CompilerServices.ConditionalWeakTable())
        match table.TryGetValue p with
        | true, k -> k
        | _ ->
            let k = build model mode p
            table.AddOrUpdate(p, k)
            k

    /// The kernel of a program: remembered for the program object, else built (or found in the caches).
    let kernel (mode: FusedMode) (p: StepProgram) : KernelPlan * FusedKernel = remembered CostModel.standard mode p

    /// The compiled kernel of a program planned under another cost model (the laws run both choices).
    let kernelWith (model: CostModel) (p: StepProgram) : KernelPlan * FusedKernel = remembered model FusedMode.Compiled p

    // The raw parameters in program order: the given tensors, else the definition's raw value.
    let private paramTensors (p: StepProgram) (raw: Map<string, Tensor>) (x: Tensor) =
        p.Params
        |> List.map (fun q ->
            match raw.TryFind q.Name with
            | Some t -> t
            | None -> Tensor.Scalar(q.Init, x.DType, x.Device))
        |> Array.ofList

    // The initial states in program order: null where a state still holds its constant initial value.
    let private initTensors (p: StepProgram) (state: NeuronState option) (x: Tensor) =
        p.States
        |> List.map (fun s ->
            match state |> Option.map (fun m -> m.TryFind s.Name) with
            | None -> null
            | Some None -> Fail.usage $"neuron '{p.Neuron}': the given state lacks '{s.Name}'"
            | Some(Some(TValue.Number v)) when v = s.Init -> null
            | Some(Some(TValue.Number v)) -> Tensor.Scalar(v, x.DType, x.Device)
            | Some(Some(TValue.Tensor t)) -> t)
        |> Array.ofList

    /// Runs a loaded kernel of program p over x [T, N, ...] from `state` (default: the initial state).
    let runKernel (k: FusedKernel) (p: StepProgram) (raw: Map<string, Tensor>) (state: NeuronState option) (x: Tensor) =
        let out, finals, _ = k.Run(x, paramTensors p raw x, initTensors p state x, true, false)
        out, List.zip p.States (List.ofArray finals) |> List.map (fun (s, t) -> s.Name, TValue.Tensor t) |> Map.ofList

    /// Runs x [T, N, ...] from `state` (default: the initial state): the spikes and the final state.
    let run (mode: FusedMode) (p: StepProgram) (raw: Map<string, Tensor>) (state: NeuronState option) (x: Tensor) =
        runKernel (snd (kernel mode p)) p raw state x

    /// Like `run`, with the compiled kernel of a program planned under a cost model.
    let runWith (model: CostModel) (p: StepProgram) (raw: Map<string, Tensor>) (state: NeuronState option) (x: Tensor) =
        runKernel (snd (kernelWith model p)) p raw state x

    /// Like run, recording every binding and state at every step.
    let trace (mode: FusedMode) (p: StepProgram) (raw: Map<string, Tensor>) (state: NeuronState option) (x: Tensor) : TensorTrace =
        let _, k = kernel mode p
        let out, _, records = k.Run(x, paramTensors p raw x, initTensors p state x, false, true)
        let nb = p.Bindings.Length
        { Spikes = out
          Values = p.Bindings |> List.mapi (fun j (name, _) -> name, records[j])
          States = p.States |> List.mapi (fun k s -> s.Name, records[nb + k]) }
