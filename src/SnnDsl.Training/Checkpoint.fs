namespace SnnDsl.Training

open System
open System.IO
open System.Text
open System.Text.Json
open SnnDsl.Torch
open SnnDsl.Nn

/// Where a run stands: enough, with the tensors, to continue exactly as if it had never stopped.
[<CLIMutable>]
type RunPosition =
    { /// Completed epochs (the next batch belongs to epoch Epoch + 1, 1-based).
      Epoch: int
      /// The next batch of that epoch (0-based).
      NextBatch: int
      GlobalStep: int64
      /// Running training sums of the unfinished epoch.
      LossSum: float
      Correct: int64
      Seen: int64
      /// Seconds already spent on the unfinished epoch.
      Seconds: float }

/// A checkpoint file: the configuration, the position, the model's parameters and buffers and the
/// optimiser's state, in one TensorFile (written atomically, so a crash leaves the previous one whole).
[<RequireQualifiedAccess>]
module Checkpoint =
    let fileName = "checkpoint.snnt"

    let private bytesOf (s: string) =
        let b = Encoding.UTF8.GetBytes s
        Tensor.FromArray(b)

    let private stringOf (t: Tensor) = Encoding.UTF8.GetString(t.ToArray<byte>())

    /// Writes the checkpoint atomically, with the trained neuron's text form when given (entry "neuron"),
    /// so that a resume or an evaluation rebuilds the neuron from the checkpoint alone.
    let saveWith (neuronText: string option) (path: string) (config: TrainConfig) (position: RunPosition) (model: Module) (optimizer: Optimizer) =
        use scope = new TensorScope()
        let entries =
            [ yield "config", bytesOf (TrainConfig.toJson config)
              yield "position", bytesOf (JsonSerializer.Serialize position)
              match neuronText with
              | Some text -> yield "neuron", bytesOf text
              | None -> ()
              for name, t in model.NamedParameters() do
                  yield "param/" + name, t
              for name, t in model.NamedBuffers() do
                  yield "buffer/" + name, t
              for name, t in optimizer.State() do
                  yield "optim/" + name, t ]
        TensorFile.save path entries

    /// Writes the checkpoint atomically (without the neuron's text).
    let save (path: string) (config: TrainConfig) (position: RunPosition) (model: Module) (optimizer: Optimizer) =
        saveWith None path config position model optimizer

    /// The text form of the neuron a checkpoint was trained with, when it stores one (checkpoints written
    /// before it did have none).
    let readNeuronText (path: string) : string option =
        let entries = TensorFile.load path Device.Cpu
        try
            entries |> Array.tryFind (fun (n, _) -> n = "neuron") |> Option.map (snd >> stringOf)
        finally
            for _, t in entries do t.Dispose()

    /// The configuration with the checkpoint's neuron text filled in where the configuration names a
    /// built-in (its NeuronText is empty): what a resume or an evaluation should rebuild.
    let withStoredNeuron (path: string) (config: TrainConfig) : TrainConfig =
        if String.IsNullOrEmpty config.NeuronText then
            match readNeuronText path with
            | Some text -> { config with NeuronText = text }
            | None -> config
        else config

    /// Reads the configuration and position without touching a model.
    let readHeader (path: string) : TrainConfig * RunPosition =
        let entries = TensorFile.load path Device.Cpu
        try
            let find name =
                match entries |> Array.tryFind (fun (n, _) -> n = name) with
                | Some(_, t) -> stringOf t
                | None -> raise (InvalidDataException($"{path} is not an SnnDsl training checkpoint (no '{name}' entry)"))
            let config = TrainConfig.ofJson (find "config")
            let position = JsonSerializer.Deserialize<RunPosition>(find "position")
            if isNull (box position) then raise (InvalidDataException($"{path}: empty position"))
            config, position
        finally
            for _, t in entries do t.Dispose()

    /// Copies the saved tensors into the model and the optimiser (which must have the same structure).
    let restore (path: string) (model: Module) (optimizer: Optimizer option) =
        let entries = TensorFile.load path Device.Cpu
        try
            let saved = dict entries
            use _ = Autograd.noGrad ()
            let copyInto prefix (targets: (string * Tensor) list) =
                for name, t in targets do
                    match saved.TryGetValue(prefix + name) with
                    | true, s ->
                        if s.Shape <> t.Shape then
                            raise (InvalidDataException($"{path}: '{prefix}{name}' has shape {Shape.text s.Shape}, the model expects {Shape.text t.Shape}"))
                        t.CopyFrom s
                    | _ -> raise (InvalidDataException($"{path}: no saved value for '{prefix}{name}' (a different model?)"))
            copyInto "param/" (model.NamedParameters())
            copyInto "buffer/" (model.NamedBuffers())
            match optimizer with
            | Some o ->
                o.LoadState(
                    entries
                    |> Seq.filter (fun (n, _) -> n.StartsWith "optim/")
                    |> Seq.map (fun (n, t) -> n.Substring 6, t)
                )
            | None -> ()
        finally
            for _, t in entries do t.Dispose()
