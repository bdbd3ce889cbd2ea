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
      /// Optimiser steps taken since the run began (the learning-rate schedule's position).
      GlobalStep: int64
      /// Running training sums of the unfinished epoch.
      LossSum: float
      /// Correctly classified training samples so far in the unfinished epoch.
      Correct: int64
      /// Training samples seen so far in the unfinished epoch.
      Seen: int64
      /// Seconds already spent on the unfinished epoch.
      Seconds: float }

/// A checkpoint's entries, read from its file once (a resume reads the header, the architecture and the
/// tensors from one load); disposing it frees the tensors.
[<Sealed>]
type CheckpointEntries internal (path: string, entries: (string * Tensor)[]) =
    /// The file the entries came from (errors name it).
    member _.Path = path
    member internal _.Entries = entries
    interface IDisposable with
        member _.Dispose() =
            for _, t in entries do t.Dispose()

/// A checkpoint file: the configuration, the position, the model's parameters and buffers and the
/// optimiser's state, in one TensorFile (written atomically, so a crash leaves the previous one whole).
[<RequireQualifiedAccess>]
module Checkpoint =
    /// The checkpoint's file name inside a run directory.
    let fileName = "checkpoint.snnt"

    let private bytesOf (s: string) =
        let b = Encoding.UTF8.GetBytes s
        Tensor.FromArray(b)

    let private stringOf (t: Tensor) = Encoding.UTF8.GetString(t.ToArray<byte>())

    /// The text form of every spiking layer's neuron, by module path.
    let private layerNeurons (model: Module) =
        model.NamedModules()
        |> List.choose (fun (path, m) ->
            match m with
            | :? SpikingLayer as l -> Some(path, SnnDsl.Core.Describe.text l.Neuron)
            | _ -> None)

    /// Writes the checkpoint atomically: the configuration (with its neuron's text form, entry "neuron"
    /// too), the position, the text of every spiking layer's neuron ("neurons/<layer>"), the parameters,
    /// buffers and optimiser state. A resume or an evaluation rebuilds everything from the file alone.
    let save (path: string) (config: TrainConfig) (position: RunPosition) (spec: NetworkSpec) (model: Module) (optimizer: Optimizer) =
        use scope = new TensorScope()
        let entries =
            [ yield "config", bytesOf (TrainConfig.toJson config)
              yield "position", bytesOf (JsonSerializer.Serialize position)
              yield "network", bytesOf (NetworkSpec.toJson spec)
              if not (isNull (box config.Neuron)) then yield "neuron", bytesOf (SnnDsl.Core.Describe.text config.Neuron)
              for layer, text in layerNeurons model do
                  yield "neurons/" + layer, bytesOf text
              for name, t in model.NamedParameters() do
                  yield "param/" + name, t
              for name, t in model.NamedBuffers() do
                  yield "buffer/" + name, t
              for name, t in optimizer.State() do
                  yield "optim/" + name, t ]
        TensorFile.save path entries

    /// Writes a network alone (no training state) atomically: its architecture, its neurons' text, its
    /// parameters and buffers. `loadNetwork` rebuilds it from the file.
    let saveModel (path: string) (spec: NetworkSpec) (model: Module) =
        use scope = new TensorScope()
        let entries =
            [ yield "network", bytesOf (NetworkSpec.toJson spec)
              for layer, text in layerNeurons model do
                  yield "neurons/" + layer, bytesOf text
              for name, t in model.NamedParameters() do
                  yield "param/" + name, t
              for name, t in model.NamedBuffers() do
                  yield "buffer/" + name, t ]
        TensorFile.save path entries

    /// Loads the entries of a checkpoint; a missing, truncated or corrupt file is a data error naming it.
    let private load (path: string) =
        try TensorFile.load path Device.Cpu with
        | :? FileNotFoundException -> SnnDsl.Core.Fail.data $"checkpoint not found: {path}"
        | :? InvalidDataException as e -> SnnDsl.Core.Fail.data $"{path} is not a readable checkpoint: {e.Message}"
        | :? IOException as e -> SnnDsl.Core.Fail.data $"cannot read checkpoint {path}: {e.Message}"

    /// What is wrong with a run position's numbers (empty when nothing is).
    let positionProblems (p: RunPosition) : string list =
        let finite (x: float) = not (Double.IsNaN x || Double.IsInfinity x)
        [ if p.Epoch < 0 then $"the completed epochs are {p.Epoch}, must be >= 0"
          if p.NextBatch < 0 then $"the next batch is {p.NextBatch}, must be >= 0"
          if p.GlobalStep < 0L then $"the global step is {p.GlobalStep}, must be >= 0"
          if not (finite p.LossSum) then $"the running loss sum is {p.LossSum}, must be finite"
          if p.Seen < 0L then $"the samples seen are {p.Seen}, must be >= 0"
          if p.Correct < 0L || p.Correct > p.Seen then $"the correct count is {p.Correct}, must be in 0..{p.Seen} (the samples seen)"
          if not (finite p.Seconds && p.Seconds >= 0.0) then $"the epoch's seconds are {p.Seconds}, must be a finite number >= 0" ]

    /// Reads a checkpoint's entries once, for headerOf, specOf and restoreFrom.
    let read (path: string) = new CheckpointEntries(path, load path)

    /// The configuration and position, without touching a model. Checkpoints written before the
    /// configuration held the neuron's text get it from their "neuron" entry.
    let headerOf (checkpoint: CheckpointEntries) : TrainConfig * RunPosition =
        let path, entries = checkpoint.Path, checkpoint.Entries
        let tryFind name = entries |> Array.tryFind (fun (n, _) -> n = name) |> Option.map (snd >> stringOf)
        let find name =
            match tryFind name with
            | Some s -> s
            | None -> SnnDsl.Core.Fail.data $"{path} is not an SnnDsl training checkpoint (no '{name}' entry)"
        let json =
            let json = find "config"
            match tryFind "neuron" with
            | Some text ->
                // Old checkpoints: the neuron's text beside a configuration that only names it.
                let node = System.Text.Json.Nodes.JsonNode.Parse json
                if not (isNull node) && String.IsNullOrEmpty(string node["NeuronText"]) then
                    node["NeuronText"] <- System.Text.Json.Nodes.JsonValue.Create text
                    node.ToJsonString()
                else json
            | None -> json
        let config = TrainConfig.ofJson path json
        let position =
            try JsonSerializer.Deserialize<RunPosition>(find "position")
            with :? JsonException as e -> SnnDsl.Core.Fail.data $"{path}: the run position is not valid JSON ({e.Message})"
        if isNull (box position) then SnnDsl.Core.Fail.data $"{path}: empty run position"
        // The checksum proves the bytes are the ones written, not that a writer (or an editor) wrote sense.
        match TrainConfig.validate config @ positionProblems position with
        | [] -> config, position
        | problems -> SnnDsl.Core.Fail.data (path + ": the checkpoint's header is invalid: " + String.Join("; ", problems))

    /// Reads the configuration and position of the checkpoint at `path` (see headerOf).
    let readHeader (path: string) : TrainConfig * RunPosition =
        use checkpoint = read path
        headerOf checkpoint

    /// Copies the saved tensors into the model and the optimiser, strictly: the model must have exactly
    /// the checkpoint's parameters and buffers, with the same shapes, and where the checkpoint names the
    /// neuron of a spiking layer, the layer's neuron must be that one. The error names the first mismatch.
    let restoreFrom (checkpoint: CheckpointEntries) (model: Module) (optimizer: Optimizer option) =
        let path, entries = checkpoint.Path, checkpoint.Entries
        let saved = dict entries
        let mismatch (what: string) = SnnDsl.Core.Fail.data $"{path} does not fit this model: {what}"
        for layer, text in layerNeurons model do
            match saved.TryGetValue("neurons/" + layer) with
            | true, s ->
                let stored = stringOf s
                if stored <> text then
                    // The text's first line is `neuron NAME "description"`.
                    let name (t: string) =
                        match (t.Split('\n')[0]).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries) with
                        | words when words.Length >= 2 && words[0] = "neuron" -> words[1]
                        | _ -> "an unnamed neuron"
                    if name text <> name stored then
                        mismatch $"the spiking layer '{layer}' runs {name text}, the checkpoint was trained with {name stored}"
                    else
                        mismatch $"the spiking layer '{layer}' runs another definition of {name text} than the checkpoint was trained with (see its 'neurons/{layer}' entry)"
            | _ -> ()
        use _ = Autograd.noGrad ()
        let copyInto prefix (targets: (string * Tensor) list) =
            let expected = targets |> List.map (fun (n, _) -> prefix + n) |> Set.ofList
            match entries |> Array.tryFind (fun (n, _) -> n.StartsWith(prefix: string) && not (expected.Contains n)) with
            | Some(n, _) -> mismatch $"the checkpoint has '{n}', which the model does not (a different model or neuron?)"
            | None -> ()
            for name, t in targets do
                match saved.TryGetValue(prefix + name) with
                | true, s ->
                    if s.Shape <> t.Shape then
                        mismatch $"'{prefix}{name}' has shape {SnnDsl.Core.Shape.text s.Shape}, the model expects {SnnDsl.Core.Shape.text t.Shape}"
                    if s.DType <> t.DType then
                        mismatch $"'{prefix}{name}' is {s.DType}, the model expects {t.DType}"
                    t.CopyFrom s
                | _ -> mismatch $"the model has '{prefix}{name}', which the checkpoint does not (a different model or neuron?)"
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

    /// Restores from the checkpoint at `path` (see restoreFrom).
    let restore (path: string) (model: Module) (optimizer: Optimizer option) =
        use checkpoint = read path
        restoreFrom checkpoint model optimizer

    /// The architecture a checkpoint (or a saved network) stores, if it stores one (older ones do not).
    let specOf (checkpoint: CheckpointEntries) : NetworkSpec option =
        match checkpoint.Entries |> Array.tryFind (fun (n, _) -> n = "network") with
        | Some(_, t) ->
            match NetworkSpec.ofJson (stringOf t) with
            | Ok spec -> Some spec
            | Error e -> SnnDsl.Core.Fail.data $"{checkpoint.Path}: {e}"
        | None -> None

    /// The architecture the file at `path` stores, if it stores one (see specOf).
    let tryReadSpec (path: string) : NetworkSpec option =
        use checkpoint = read path
        specOf checkpoint

    /// The architecture the checkpoint stores; a data error when it has none.
    let private requireSpec (checkpoint: CheckpointEntries) : NetworkSpec =
        match specOf checkpoint with
        | Some spec -> spec
        | None -> SnnDsl.Core.Fail.data $"{checkpoint.Path} does not describe its network (no 'network' entry: written before checkpoints stored the architecture?)"

    /// The architecture a checkpoint (or a saved network) stores; a data error when it has none.
    let readSpec (path: string) : NetworkSpec =
        use checkpoint = read path
        requireSpec checkpoint

    /// Rebuilds the network a checkpoint or saved network describes, on `device` with `backend`, and loads
    /// its parameters and buffers (strictly). The file alone is enough.
    let loadNetwork (path: string) (device: Device) (backend: SnnDsl.Backends.Backend) : NetworkSpec * Module =
        use checkpoint = read path
        let spec = requireSpec checkpoint
        let model =
            use _ = Module.CreateOn device
            NetworkSpec.build backend spec
        try
            restoreFrom checkpoint model None
            spec, model
        with _ ->
            model.Dispose()
            reraise ()
