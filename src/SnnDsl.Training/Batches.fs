namespace SnnDsl.Training

open System
open System.Threading
open SnnDsl.Torch
open SnnDsl.Data

/// One batch as tensors, created on the consumer's thread (so its TensorScope owns them): x is [N, C, H, W]
/// or [T, N, C, H, W] (time first) float32, y is [N] int64. Disposing it frees both now.
type Batch =
    { /// The epoch this batch belongs to.
      Epoch: int
      /// Its index within the epoch (resume at Index + 1).
      Index: int
      /// The inputs.
      X: Tensor
      /// The labels.
      Y: Tensor
      /// The dataset indices of the samples, in batch order.
      Indices: int[] }

    /// Number of samples N.
    member b.Count = b.Indices.Length

    interface IDisposable with
        member b.Dispose() =
            b.X.Dispose()
            b.Y.Dispose()

/// The data loader's host batches as tensors: the one place where SnnDsl.Data's arrays meet libtorch
/// (SnnDsl.Data itself has no native dependency).
[<AutoOpen>]
module TensorBatches =
    /// x and y of a host batch as tensors on `device`, created on the calling thread (owned by its open
    /// TensorScope); the tensors are copies, so the host buffer may be reused.
    let toTensors (device: Device) (batch: HostBatch) : Batch =
        let floats = Array.fold (*) 1 batch.Shape
        let x = Tensor.FromSpan(ReadOnlySpan<float32>(batch.Data, 0, floats), batch.Shape, device)
        let y = Tensor.FromSpan(ReadOnlySpan<int64>(batch.Labels), [| batch.Count |], device)
        { Epoch = batch.Epoch; Index = batch.Index; X = x; Y = y; Indices = batch.Indices }

    type DataLoader with
        /// x and y of a host batch as tensors on `device` (the CPU unless given), owned by the open TensorScope.
        member l.ToTensors(batch: HostBatch, ?device: Device) : Batch = toTensors (defaultArg device Device.Cpu) batch

        /// The batches of epoch from startBatch on as tensors on `device` (the CPU unless given). x and y are
        /// created on the consumer's thread when the enumerator advances, so the TensorScope open around the
        /// loop owns them; dispose each Batch (`use b = b`) to free them at once, or use ForEach, which scopes
        /// each batch.
        member l.Batches(epoch: int, ?startBatch: int, ?cancellationToken: CancellationToken, ?device: Device) : seq<Batch> =
            l.Convert(epoch, toTensors (defaultArg device Device.Cpu), ?startBatch = startBatch, ?cancellationToken = cancellationToken)

        /// Runs body on each batch of epoch from startBatch on, each inside its own TensorScope (every tensor
        /// the body creates and does not Keep is freed after it).
        member l.ForEach(epoch: int, body: Batch -> unit, ?startBatch: int, ?cancellationToken: CancellationToken, ?device: Device) =
            let device = defaultArg device Device.Cpu
            let run (hb: HostBatch) =
                use _scope = new TensorScope()
                body (toTensors device hb)
            for () in l.Convert(epoch, run, ?startBatch = startBatch, ?cancellationToken = cancellationToken) do ()
