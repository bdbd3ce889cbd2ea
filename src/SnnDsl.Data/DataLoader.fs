namespace SnnDsl.Data

open System
open System.Collections.Concurrent
open System.Threading

/// Walks a dataset in batches. The order of epoch e is a pure function of (Seed, e), and each sample's
/// augmentation a pure function of (Seed, e, its position in the epoch), so a run resumed at (epoch,
/// batch) sees exactly the batches an uninterrupted run would. Batches are assembled (augmentation and
/// copying into one float32 buffer) on a background thread, Prefetch batches ahead, in host memory (SnnDsl.Training makes
/// them tensors on the consumer's thread). With a Shard, the loader walks one rank's part of every epoch (see Sharding): the
/// order and each sample's augmentation stay those of its position in the whole epoch, so W ranks together see
/// exactly the batches of one process with W times the batch size.
[<Sealed>]
type DataLoader(dataset: Dataset, options: LoaderOptions, shard: Shard) =
    do
        Sharding.validate shard
        if options.BatchSize <= 0 then invalidArg "options" $"BatchSize must be positive, got {options.BatchSize}"
        if options.Prefetch <= 0 then invalidArg "options" $"Prefetch must be positive, got {options.Prefetch}"
        if options.Workers <= 0 then invalidArg "options" $"Workers must be positive, got {options.Workers}"
        match options.Limit with
        | Some l when l < 0 -> invalidArg "options" $"Limit must not be negative, got {l}"
        | _ -> ()

    let total = dataset.Count
    /// The samples in use: all, or Limit of them evenly spaced (class-sorted test sets stay balanced).
    let subset =
        match options.Limit with
        | Some l when l < total -> Array.init l (fun k -> int (int64 k * int64 total / int64 l))
        | _ -> Array.init total id
    /// Samples this rank visits per epoch.
    let n = Sharding.count subset.Length shard
    let batchSize = options.BatchSize
    let batches = if options.DropLast then n / batchSize else (n + batchSize - 1) / batchSize
    let shape = dataset.SampleShape
    let sampleSize = dataset.SampleSize
    let temporal = dataset.IsTemporal
    // Augmentation treats a [T, C, H, W] event sample as T * C planes.
    let planes =
        if temporal then shape[0] * shape[1], shape[2], shape[3] else shape[0], shape[1], shape[2]
    let frameSize = if temporal then sampleSize / shape[0] else sampleSize
    let pool = ConcurrentBag<float32[]>()

    let checkBatch (epoch: int) (index: int) =
        if epoch < 0 then raise (ArgumentOutOfRangeException("epoch", $"epoch {epoch} is negative"))
        if index < 0 || index > batches then
            raise (ArgumentOutOfRangeException("startBatch", $"batch {index} is outside 0..{batches} of an epoch"))

    /// Every sample of the dataset (as far as Limit allows), in one process.
    new(dataset: Dataset, options: LoaderOptions) = DataLoader(dataset, options, Shard.Single)

    /// The dataset being walked.
    member _.Dataset = dataset
    /// The part of every epoch this loader walks (Shard.Single: all of it).
    member _.Shard = shard
    /// The options.
    member _.Options = options
    /// Samples visited per epoch (after Limit; this rank's part with a Shard).
    member _.SampleCount = n
    /// Batches per epoch.
    member _.BatchesPerEpoch = batches

    /// The dataset indices in the order epoch visits them in one process (a pure function of Seed and epoch).
    member _.GlobalOrder(epoch: int) : int[] =
        let order = Array.copy subset
        if options.Shuffle then Rng.Create(options.Seed, 0x5EEDL, int64 epoch).Shuffle order
        order

    /// The dataset indices in the order this loader visits them in epoch (a pure function of Seed, epoch and
    /// the shard; the whole GlobalOrder without one).
    member l.Order(epoch: int) : int[] =
        let order = l.GlobalOrder epoch
        if shard.WorldSize = 1 then order else Sharding.ofOrder order shard

    /// Number of samples in batch index of an epoch.
    member _.BatchCount(index: int) = min batchSize (n - index * batchSize)

    /// The shape of x for a batch of count samples: [N, C, H, W], or [T, N, C, H, W] for event data.
    member _.BatchShape(count: int) =
        if temporal then Array.append [| shape[0]; count |] shape[1..] else Array.append [| count |] shape

    /// Scratch buffers (sample, crop) for each assembling thread.
    member internal _.Scratch() =
        Array.init (max 1 options.Workers) (fun _ -> Array.zeroCreate<float32> sampleSize, Array.zeroCreate<float32> sampleSize)

    /// Assembles batch index of epoch given that epoch's order, into data (at least count * SampleSize).
    member internal l.Fill(order: int[], epoch: int, index: int, data: float32[], scratch: (float32[] * float32[])[]) =
        let count = l.BatchCount index
        let labels = Array.zeroCreate<int64> count
        let indices = Array.zeroCreate<int> count
        Parallel.forChunks scratch.Length count (fun chunk lo hi ->
            let sample, cropBuffer = scratch[chunk]
            for j in lo .. hi - 1 do
                let pos = index * batchSize + j
                let idx = order[pos]
                indices[j] <- idx
                labels[j] <- int64 (dataset.Label idx)
                // Static samples go straight to their slot; event samples through `sample`, then time-first.
                let dst = if temporal then Span<float32>(sample) else Span<float32>(data, j * sampleSize, sampleSize)
                dataset.CopyPixels(idx, dst)
                match options.Augmentation with
                | Some aug ->
                    // The position in the whole epoch, so augmentation does not depend on the world size.
                    let globalPos = int64 shard.Rank + int64 shard.WorldSize * int64 pos
                    let rng = Rng.Create(options.Seed, 0xA116L, int64 epoch, globalPos)
                    Augment.geometric aug rng planes dst (Span<float32>(cropBuffer))
                    dataset.Normalize dst
                    Augment.erase aug rng planes dst
                | None -> dataset.Normalize dst
                if temporal then
                    for t in 0 .. shape[0] - 1 do
                        Array.Copy(sample, t * frameSize, data, (t * count + j) * frameSize, frameSize))
        { Epoch = epoch; Index = index; Count = count; Shape = l.BatchShape count
          Data = data; Labels = labels; Indices = indices }

    /// Assembles one batch synchronously on the calling thread.
    member l.PrepareBatch(epoch: int, index: int) : HostBatch =
        checkBatch epoch index
        if index = batches then raise (ArgumentOutOfRangeException("index", $"an epoch has batches 0..{batches - 1}"))
        let count = l.BatchCount index
        l.Fill(l.Order epoch, epoch, index, Array.zeroCreate (count * sampleSize), l.Scratch())

    member private l.Stream(epoch: int, startBatch: int, token: CancellationToken, recycle: bool) : seq<HostBatch> =
        checkBatch epoch startBatch
        seq {
            let order = l.Order epoch
            let scratch = l.Scratch()
            let produce k =
                let index = startBatch + k
                let need = l.BatchCount index * sampleSize
                let data =
                    let mutable buf = null
                    if recycle && pool.TryTake(&buf) && buf.Length >= need then buf
                    else Array.zeroCreate<float32> (if recycle then batchSize * sampleSize else need)
                l.Fill(order, epoch, index, data, scratch)
            use prefetcher = new Prefetcher<HostBatch>(batches - startBatch, produce, options.Prefetch, token)
            let mutable next = prefetcher.Next()
            while next.IsSome do
                yield next.Value
                // A batch the prefetcher finished before the token was cancelled is not handed out.
                token.ThrowIfCancellationRequested()
                next <- prefetcher.Next()
        }

    /// The batches of epoch from startBatch on, assembled in the background, in host memory (fresh arrays
    /// that the caller may keep).
    member l.HostBatches(epoch: int, ?startBatch: int, ?cancellationToken: CancellationToken) : seq<HostBatch> =
        l.Stream(epoch, defaultArg startBatch 0, defaultArg cancellationToken CancellationToken.None, false)

    /// The batches of epoch from startBatch on, each converted by `convert` on the consumer's thread when the
    /// enumerator advances (into tensors, say: SnnDsl.Training's `Batches`); the batch's buffer goes back to
    /// the loader's pool once convert returns, so convert copies what it keeps.
    member l.Convert(epoch: int, convert: HostBatch -> 'T, ?startBatch: int, ?cancellationToken: CancellationToken) : seq<'T> =
        let host = l.Stream(epoch, defaultArg startBatch 0, defaultArg cancellationToken CancellationToken.None, true)
        seq {
            for hb in host do
                let b = convert hb
                pool.Add hb.Data // convert copied it: the worker may reuse the buffer
                yield b
        }
