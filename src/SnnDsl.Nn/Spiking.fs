namespace SnnDsl.Nn

open System
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Backends

/// A spiking layer driven by any DSL neuron over [T, N, ...]: a thin shell over the neuron's step program,
/// run by the chosen backend (fused kernels by default where they apply). The neuron's learnable parameters
/// become trainable parameters of the model (one scalar per layer, one per channel or one per neuron, as the
/// definition says), named "<layer>.<param>". State lives only inside a forward call: every batch starts
/// from the neuron's initial state, so there is nothing to reset between batches.
type SpikingLayer(neuron: Neuron, channels: int, ?perNeuronShape: int[], ?backend: Backend) as this =
    inherit Module()
    let mutable runner = NeuronRunner(neuron, defaultArg backend Backend.Auto)
    let neuron = runner.Neuron
    let raw =
        [ for p in neuron.Params do
              if p.Learnable then
                  let shape =
                      match p.Granularity with
                      | Granularity.PerLayer -> [||]
                      | Granularity.PerChannel -> [| channels |]
                      | Granularity.PerNeuron ->
                          match perNeuronShape with
                          | Some s -> s
                          | None -> invalidArg "perNeuronShape" $"neuron '{neuron.Name}' has per-neuron parameter '{p.Name}': give the layer's per-sample shape"
                  yield p.Name, this.RegisterParameter(p.Name, Tensor.Full(shape, p.Init, device = Module.ConstructionDevice)) ]
        |> Map.ofList
    // The input must have the parameters' dtype (any one of them: they are made alike).
    let anyParameter = raw |> Map.toSeq |> Seq.tryHead |> Option.map snd
    // Firing statistics: summed on the device, read only when asked (no sync per step).
    let mutable spikeSum: Tensor = null
    let mutable elementCount = 0L

    /// The neuron every element of this layer runs (checked, with its overrides applied).
    member _.Neuron = neuron
    /// The number of channels (dim 2 of the input [T, N, C, ...]); per-channel parameters have this length.
    member _.Channels = channels
    /// The backend that runs this layer's neuron (an execution choice: changing it keeps the parameters).
    member _.Backend
        with get () = runner.Backend
        and set (b: Backend) =
            if b <> runner.Backend then
                let check = runner.CheckFinite
                runner <- NeuronRunner(neuron, b)
                runner.CheckFinite <- check

    /// When true, each forward call first checks that its input is finite and raises a data error if not
    /// (off by default: it costs a pass over the input; docs/dsl.md, "Non-finite values").
    member _.CheckFinite
        with get () = runner.CheckFinite
        and set (check: bool) = runner.CheckFinite <- check

    /// Whether forward calls accumulate the firing rate (off during timing-critical training if wished).
    member val RecordFiring = true with get, set

    override this.Forward(x) =
        match anyParameter with
        | Some p -> this.CheckInput(x, p)
        | None -> this.CheckNotDisposed()
        let spikes, _ = runner.Run(raw, None, x)
        if this.RecordFiring then
            use _ = Autograd.noGrad ()
            use s = spikes.Sum()
            if isNull spikeSum then spikeSum <- TensorScope.Forget(s.Detach())
            else spikeSum.AddInPlace s
            elementCount <- elementCount + spikes.NumElements
        spikes

    /// Mean spikes per neuron per time step since the last reset (0 when nothing was recorded).
    member _.FiringRate =
        if elementCount = 0L || isNull spikeSum then 0.0 else spikeSum.ToScalar() / float elementCount

    /// Clears the firing statistics.
    member _.ResetFiring() =
        if not (isNull spikeSum) then spikeSum.Dispose()
        spikeSum <- null
        elementCount <- 0L

    /// The effective values squash(raw) of every learnable neuron parameter, as a vector: one value for a
    /// per-layer parameter, one per channel for a per-channel one, and for a per-neuron one the mean over each
    /// channel's positions (one per feature when the per-neuron shape has one dimension).
    member _.EffectiveParameterValues() : (string * float[]) list =
        use _ = Autograd.noGrad ()
        [ for p in neuron.Params do
              match raw.TryFind p.Name with
              | Some t ->
                  // Squash each element before any averaging.
                  use squashed =
                      match p.Squash with
                      | Squash.None -> t.Alias()
                      | Squash.Tanh -> t.Tanh()
                      | Squash.Sigmoid -> t.Sigmoid()
                  use perChannel =
                      if squashed.Dim <= 1 then squashed.Alias()
                      else
                          use rows = squashed.Reshape(squashed.Shape[0], -1)
                          rows.Mean(1)
                  use values = perChannel.To(DType.Float64, Device.Cpu)
                  yield p.Name, values.ToArray<float>()
              | None -> () ]

    /// Every learnable neuron parameter's effective value squash(raw), as one number: the mean over the
    /// channels (or neurons) of a per-channel (per-neuron) parameter. EffectiveParameterValues keeps them apart.
    member this.EffectiveParameters() : (string * float) list =
        this.EffectiveParameterValues() |> List.map (fun (name, values) -> name, Array.average values)

    /// The firing statistics belong to no TensorScope: free them with the layer.
    override this.OnDispose() = this.ResetFiring()

    override _.Describe() = $"Spiking({neuron.Name}, {channels})"
