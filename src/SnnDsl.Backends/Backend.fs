namespace SnnDsl.Backends

open System
open System.Collections.Concurrent
open SnnDsl.Core
open SnnDsl.Torch

/// The interpreters.
[<RequireQualifiedAccess>]
module Interpreters =
    /// The eager interpreter: one libtorch call per operation and step.
    let eager =
        { new ITensorInterpreter with
            member _.Name = "eager"
            member _.WhyNot(_, _) = None
            member _.Run(p, raw, state, x) = Eager.run p raw state x
            member _.Trace(p, raw, state, x) = Eager.trace p raw state x }

    let private fusedWith (mode: FusedMode) (name: string) =
        { new ITensorInterpreter with
            member _.Name = name
            member _.WhyNot(p, x) = Fused.whyNot p x
            member _.Run(p, raw, state, x) = Fused.run mode p raw state x
            member _.Trace(p, raw, state, x) = Fused.trace mode p raw state x }

    /// Fused kernels compiled per program.
    let fused = fusedWith FusedMode.Compiled "fused"

    /// Fused execution through the one interpreting kernel (no compiler run per program).
    let fusedInterpreted = fusedWith FusedMode.Interpreted "fused-interpreted"

/// One-line notices from the backends (why `auto` fell back to eager), each distinct one reported once per
/// process to the current sink (standard error unless replaced).
[<RequireQualifiedAccess>]
module Notice =
    let private seen = ConcurrentDictionary<string, unit>()
    let mutable private sink: string -> unit = fun line -> eprintfn "%s" line

    /// Sends notices to `f` from now on (the CLI's log, a test's list); returns the previous sink.
    let redirect (f: string -> unit) =
        let previous = sink
        sink <- f
        previous

    /// Reports a notice unless it was reported before.
    let once (line: string) =
        if seen.TryAdd(line, ()) then sink line

/// A neuron bound to a backend choice, the shell that layers and simulations call: it lowers the neuron
/// once (per set of parameters given as tensors) and picks the interpreter for each input.
[<Sealed>]
type NeuronRunner(neuron: Neuron, backend: Backend) =
    let neuron = Neuron.check neuron
    let programs = ConcurrentDictionary<string, StepProgram>()

    // Learnable parameters and any other given as a tensor are runtime parameters; the rest fold in.
    let programFor (raw: Map<string, Tensor>) =
        for KeyValue(name, _) in raw do
            if not (neuron.Params |> List.exists (fun p -> p.Name = name)) then
                let valid = String.Join(", ", Neuron.paramNames neuron)
                Fail.usage $"neuron '{neuron.Name}' has no parameter '{name}'; parameters: {valid}"
        let extra = raw |> Map.toList |> List.map fst |> List.filter (fun n -> not (neuron.Params |> List.exists (fun p -> p.Name = n && p.Learnable)))
        programs.GetOrAdd(
            String.concat "," extra,
            fun _ -> Program.lower (fun p -> p.Learnable || raw.ContainsKey p.Name) neuron)

    let choose (p: StepProgram) (x: Tensor) : ITensorInterpreter =
        match backend with
        | Backend.Eager -> Interpreters.eager
        | Backend.Fused ->
            match Interpreters.fused.WhyNot(p, x) with
            | None -> Interpreters.fused
            | Some why -> Fail.usage $"the fused backend cannot run neuron '{neuron.Name}': {why}"
        | Backend.Auto ->
            match Interpreters.fused.WhyNot(p, x) with
            | None -> Interpreters.fused
            | Some why ->
                Notice.once $"note: neuron '{neuron.Name}' runs on the eager backend: {why}"
                Interpreters.eager

    // A parameter tensor must have its granularity's shape for this input ([] per layer, [C] per channel,
    // the per-sample shape per neuron); anything else (e.g. [1, C] for [C]) is a usage error naming both.
    let checkParams (raw: Map<string, Tensor>) (x: Tensor) =
        if x.Dim >= 2 then
            let stepShape = x.Shape[1..]
            for KeyValue(name, t) in raw do
                match neuron.Params |> List.tryFind (fun p -> p.Name = name) with
                | None -> ()
                | Some p ->
                    let shape = t.Shape
                    let expected, what =
                        match p.Granularity with
                        | Granularity.PerLayer -> [||], "per layer, so its tensor must be a scalar []"
                        | Granularity.PerChannel ->
                            (if stepShape.Length >= 2 then [| stepShape[1] |] else [||]), "per channel, so its tensor must be [C]"
                        | Granularity.PerNeuron -> stepShape[1..], "per neuron, so its tensor must have the per-sample shape"
                    let ok =
                        shape = expected
                        || (p.Granularity = Granularity.PerLayer && t.NumElements = 1L && shape.Length <= 1)
                        || (p.Granularity = Granularity.PerChannel && stepShape.Length < 2)
                    if not ok then
                        Fail.usage
                            $"neuron '{neuron.Name}': parameter '{name}' is {what} = {Shape.text expected} for inputs {Shape.text x.Shape}, got {Shape.text shape}"

    // Opt-in: a NaN or infinite input is a data error instead of flowing on (Θ(NaN) = 0 would hide it).
    let checkFinite (x: Tensor) =
        use finite = x.IsFinite()
        use count = finite.Sum()
        let n = int64 (count.ToScalar())
        if n <> x.NumElements then
            Fail.data $"neuron '{neuron.Name}': {x.NumElements - n} of the {x.NumElements} input values are NaN or infinite (the input must be finite; see docs/dsl.md, 'Non-finite values')"

    /// The neuron (validated).
    member _.Neuron = neuron

    /// When true, every run first checks that its input is finite (a data error names how many values are
    /// not); off by default, since it costs a pass over the input and a device sync.
    member val CheckFinite = false with get, set
    /// The backend choice.
    member _.Backend = backend
    /// The step program for the learnable parameters as runtime parameters.
    member _.Program = programFor Map.empty

    /// The interpreter that runs this input.
    member _.InterpreterFor(raw: Map<string, Tensor>, x: Tensor) = choose (programFor raw) x

    /// Runs x [T, N, ...] from `state` (None: the initial state): spikes [T, N, ...] and the final state.
    member this.Run(raw: Map<string, Tensor>, state: NeuronState option, x: Tensor) : Tensor * NeuronState =
        if x.Dim < 2 then invalidArg "x" $"neuron '{neuron.Name}': expected an input [T, N, ...], got shape {Shape.text x.Shape}"
        checkParams raw x
        if this.CheckFinite then checkFinite x
        let p = programFor raw
        (choose p x).Run(p, raw, state, x)

    /// One step on x [N, ...] from a state: the spikes [N, ...] and the next state.
    member this.Step(raw: Map<string, Tensor>, state: NeuronState option, x: Tensor) : Tensor * NeuronState =
        let spikes, next = this.Run(raw, state, x.Unsqueeze 0)
        spikes.Squeeze 0, next

    /// Runs x [T, N, ...] from `state` (None: the initial state) recording every binding and new state.
    member this.Trace(raw: Map<string, Tensor>, state: NeuronState option, x: Tensor) : TensorTrace =
        checkParams raw x
        if this.CheckFinite then checkFinite x
        let p = programFor raw
        (choose p x).Trace(p, raw, state, x)
