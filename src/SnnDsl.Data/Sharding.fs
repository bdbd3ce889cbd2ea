namespace SnnDsl.Data

open System

/// What happens to the samples left over when an epoch's samples do not split evenly over the ranks. Either
/// way every rank visits the same number of samples, so every rank runs the same number of steps.
[<RequireQualifiedAccess>]
type ShardTail =
    /// Every rank visits ceil(n / W) samples: the order is extended by repeating its start (torch's
    /// DistributedSampler with drop_last = False).
    | Pad
    /// Every rank visits floor(n / W) samples: the last n mod W samples of the epoch's order are skipped.
    | Drop
    /// Every sample is visited once: rank r visits the positions r, r + W, ... below n, so the first
    /// n mod W ranks visit one sample more (for evaluation, where no collective runs per batch).
    | Exact

/// The part of every epoch that one rank of a data-parallel world visits.
type Shard =
    { /// This process's rank, 0 .. WorldSize - 1.
      Rank: int
      /// Number of ranks W in the world, at least 1.
      WorldSize: int
      /// What happens to the samples left over when the epoch does not split evenly over the ranks.
      Tail: ShardTail }

    /// One process visiting every sample.
    static member Single = { Rank = 0; WorldSize = 1; Tail = ShardTail.Pad }

    /// Rank of a world of worldSize, padding the tail.
    static member Of(rank: int, worldSize: int) = { Rank = rank; WorldSize = worldSize; Tail = ShardTail.Pad }

/// Rank r of W visits the positions r, r + W, r + 2W, ... of the epoch's order (strided, like PyTorch's
/// DistributedSampler). So the order is a pure function of (seed, epoch) and a rank's part a pure function of
/// (seed, epoch, rank, W); and batch k of size b on every rank together is exactly batch k of size W * b of one
/// process: 2 ranks x batch 16 see the samples of 1 rank x batch 32, step for step.
[<RequireQualifiedAccess>]
module Sharding =
    /// Raises unless 0 <= rank < worldSize.
    let validate (shard: Shard) =
        if shard.WorldSize < 1 then invalidArg "shard" $"the world size must be at least 1, got {shard.WorldSize}"
        if shard.Rank < 0 || shard.Rank >= shard.WorldSize then
            invalidArg "shard" $"rank {shard.Rank} is outside the world of {shard.WorldSize} (valid ranks: 0..{shard.WorldSize - 1})"

    /// Samples each rank visits in an epoch of n samples.
    let count (n: int) (shard: Shard) =
        validate shard
        match shard.Tail with
        | ShardTail.Pad -> (n + shard.WorldSize - 1) / shard.WorldSize
        | ShardTail.Drop -> n / shard.WorldSize
        | ShardTail.Exact -> n / shard.WorldSize + (if shard.Rank < n % shard.WorldSize then 1 else 0)

    /// The epoch positions this rank visits, in order (with Pad, positions >= n stand for position mod n).
    let positions (n: int) (shard: Shard) : int[] =
        Array.init (count n shard) (fun j -> shard.Rank + shard.WorldSize * j)

    /// This rank's part of an epoch's order (the dataset indices it visits, in order).
    let ofOrder (order: int[]) (shard: Shard) : int[] =
        if isNull order then nullArg "order"
        let n = order.Length
        positions n shard |> Array.map (fun p -> order[p % n])
