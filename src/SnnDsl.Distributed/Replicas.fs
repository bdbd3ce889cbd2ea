namespace SnnDsl.Distributed

open System
open System.Text
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Nn

/// Keeping every rank's copy of the model identical.
[<RequireQualifiedAccess>]
module Replicas =
    /// Every parameter, then every buffer (BatchNorm running statistics), named by path.
    let tensors (model: Module) : (string * Tensor) list = model.NamedParameters() @ model.NamedBuffers()

    /// A 62-bit FNV-1a hash of the names, shapes and dtypes of the model's tensors.
    let private fingerprint (named: (string * Tensor) list) =
        let text = StringBuilder()
        for name, t in named do
            text.Append(name).Append(':').Append(String.Join(",", t.Shape)).Append(':').Append(t.DType).Append(';') |> ignore
        let mutable h = 14695981039346656037UL
        for b in Encoding.UTF8.GetBytes(text.ToString()) do
            h <- (h ^^^ uint64 b) * 1099511628211UL
        int64 (h >>> 2)

    /// Raises unless every rank's model has the same tensors (names, shapes, dtypes): a rank built with other
    /// settings would otherwise fail later with a size mismatch, or silently reduce the wrong numbers.
    let checkSameStructure (pg: ProcessGroup) (model: Module) =
        use _scope = new TensorScope()
        let h = fingerprint (tensors model)
        let lo = Tensor.FromArray([| h |])
        let hi = Tensor.FromArray([| h |])
        pg.AllReduce(lo, ReduceOp.Min)
        pg.AllReduce(hi, ReduceOp.Max)
        let lo, hi = lo.ToArray<int64>()[0], hi.ToArray<int64>()[0]
        if lo <> hi then
            Fail.usage
                $"rank {pg.Rank} of {pg.WorldSize}: the ranks' models differ (parameter names, shapes or dtypes): every rank must build the same model with the same settings"

    /// Overwrites every parameter and buffer with rank 0's (torch's DDP does this when it wraps a model): call
    /// once on every rank after building the model and loading any checkpoint, before the first step.
    let broadcastFromRank0 (pg: ProcessGroup) (model: Module) =
        checkSameStructure pg model
        match tensors model |> List.map snd with
        | [] -> ()
        | ts -> pg.Broadcast(ts, 0)

    /// The largest absolute difference between any rank's parameters and buffers and rank 0's (0 when the
    /// replicas agree bit for bit); the same value on every rank.
    let maxDivergence (pg: ProcessGroup) (model: Module) : float =
        use _scope = new TensorScope()
        let mine = tensors model |> List.map (fun (_, t) -> t.Detach().Flatten().To(DType.Float64))
        if mine.IsEmpty then 0.0
        else
            let flat = Tensor.Cat mine
            let root = flat.Clone()
            pg.Broadcast(root, 0)
            let d = (flat - root).Abs().Max()
            pg.AllReduce(d, ReduceOp.Max)
            d.ToScalar()
