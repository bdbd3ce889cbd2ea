namespace SnnDsl.Training

open SnnDsl.Nn

/// Per-sample operation counts and energy (docs/science.md, "Energy"): the first synaptic layer
/// sees real-valued input, so its FLOPs are multiply-accumulates (MACs); every later conv/linear layer is
/// driven by spikes, so it does accumulates (ACs) = FLOPs x input firing rate. Both are summed over T.
type Energy =
    { /// Multiply-accumulates per sample of the first synaptic layer (real-valued input), summed over T.
      MacsPerSample: float
      /// Accumulates per sample of every later synaptic layer (FLOPs x input firing rate), summed over T.
      AcsPerSample: float
      /// E = 4.6 pJ x MACs + 0.9 pJ x ACs, in millijoules.
      MilliJoules: float }

/// Counting a model's synaptic operations (during evaluation) and turning the counts into an `Energy`.
[<RequireQualifiedAccess>]
module Energy =
    /// Energy per MAC and per AC in joules (45 nm, Horowitz 2014), as the papers use.
    let joulesPerMac, joulesPerAc = 4.6e-12, 0.9e-12

    /// The synaptic layers of a model, in forward order.
    let synapticLayers (model: Module) =
        model.NamedModules()
        |> List.choose (fun (name, m) ->
            match box m with
            | :? ISynaptic as s -> Some(name, s.Counter)
            | _ -> None)

    /// Turns counting on or off and clears the counts.
    let startCounting (model: Module) (enabled: bool) =
        for _, c in synapticLayers model do
            c.Reset()
            c.Enabled <- enabled

    /// The energy per sample from the counts gathered since startCounting. With `spikingInput` (inputs encoded
    /// as spikes: rate, latency, delta) the first synaptic layer is driven by spikes too, so it does ACs
    /// (FLOPs x its input's non-zero fraction) and no MAC is counted.
    let measureWith (spikingInput: bool) (model: Module) : Energy =
        match synapticLayers model with
        | [] -> { MacsPerSample = 0.0; AcsPerSample = 0.0; MilliJoules = 0.0 }
        | (_, first) :: rest ->
            let perSample (c: SynapseCounter) (ops: float) = if c.Samples = 0L then 0.0 else ops / float c.Samples
            let spiking = if spikingInput then first :: List.map snd rest else List.map snd rest
            let macs = if spikingInput then 0.0 else perSample first first.DenseOperations
            let acs = spiking |> List.sumBy (fun c -> perSample c c.Operations)
            { MacsPerSample = macs
              AcsPerSample = acs
              MilliJoules = (joulesPerMac * macs + joulesPerAc * acs) * 1e3 }

    /// `measureWith false`: the first synaptic layer sees real-valued input (direct encoding).
    let measure (model: Module) : Energy = measureWith false model
