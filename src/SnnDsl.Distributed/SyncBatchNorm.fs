namespace SnnDsl.Distributed

open SnnDsl.Torch
open SnnDsl.Nn

/// BatchNorm statistics over the batches of every rank, for the [T, N, C, ...] layout: per channel (dim 2),
/// over T, N and the spatial dims of every rank's batch (counts, sums and squared deviations all-reduced in
/// float64; the backward all-reduces the per-channel sums of dy and dy * xhat). With gradients averaged across
/// the ranks, W ranks x batch b then train exactly as one process with batch W * b. Eval mode is unchanged (the
/// running statistics, which every rank updates with the same global values).
[<Sealed>]
type SyncBatchNormStatistics(pg: ProcessGroup) =
    /// The process group the statistics are reduced over.
    member _.Group = pg
    interface IBatchNormStatistics with
        member _.Normalize(x, weight, bias, runningMean, runningVar, momentum, eps) =
            pg.SyncBatchNorm(x, 2, Some weight, Some bias, Some runningMean, Some runningVar, momentum, eps)

/// Switching a model's BatchNorm layers to statistics synchronised across ranks (torch's
/// SyncBatchNorm.convert_sync_batchnorm). Parameters, buffers and checkpoints stay those of BatchNorm.
[<RequireQualifiedAccess>]
module SyncBatchNorm =
    /// Every BatchNorm layer of the model.
    let layers (model: Module) : BatchNorm list =
        model.NamedModules()
        |> List.choose (fun (_, m) ->
            match m with
            | :? BatchNorm as bn -> Some bn
            | _ -> None)

    /// Makes every BatchNorm of the model normalise with statistics over all ranks in training mode; returns
    /// how many layers it switched. Every rank must run forward and backward through all of them each step.
    let attach (pg: ProcessGroup) (model: Module) : int =
        let stats = SyncBatchNormStatistics(pg) :> IBatchNormStatistics
        let bns = layers model
        for bn in bns do
            bn.Statistics <- Some stats
        bns.Length

    /// Returns every BatchNorm of the model to this process's batch statistics.
    let detach (model: Module) =
        for bn in layers model do
            bn.Statistics <- None
