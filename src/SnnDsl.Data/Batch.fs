namespace SnnDsl.Data

open System

/// How a DataLoader walks a dataset.
type LoaderOptions =
    { /// Samples per batch.
      BatchSize: int
      /// Visit the samples in a fresh random order each epoch (a pure function of Seed and the epoch).
      Shuffle: bool
      /// Seed of the order and of the augmentation.
      Seed: int64
      /// Drop the last batch when it would be smaller than BatchSize.
      DropLast: bool
      /// Use only this many samples (evenly spaced over the dataset, so class-sorted sets stay balanced).
      Limit: int option
      /// Augmentation (training only).
      Augmentation: Augmentation option
      /// Batches assembled ahead of the consumer (the bound of the prefetch queue).
      Prefetch: int
      /// Threads that assemble the samples of one batch (1 = the worker thread alone).
      Workers: int }

    /// Batch 32, no shuffle, keep the last batch, no limit, no augmentation, 3 batches ahead, one
    /// assembling thread per 4 cores (at least 1, at most 4).
    static member Default =
        { BatchSize = 32
          Shuffle = false
          Seed = 0L
          DropLast = false
          Limit = None
          Augmentation = None
          Prefetch = 3
          Workers = Math.Clamp(Environment.ProcessorCount / 4, 1, 4) }

    /// Training defaults: shuffled with seed, augmentation as given.
    static member Train(batchSize: int, seed: int64, ?augmentation: Augmentation) =
        { LoaderOptions.Default with BatchSize = batchSize; Shuffle = true; Seed = seed; Augmentation = augmentation }

    /// Evaluation defaults: in order, no augmentation, every sample.
    static member Test(batchSize: int) = { LoaderOptions.Default with BatchSize = batchSize }

/// A batch assembled on the loader's worker thread, in host memory. Data holds Count samples laid out as
/// the batch tensor ([N, C, H, W], or [T, N, C, H, W] for event data); it may be longer than that.
type HostBatch =
    { /// The epoch this batch belongs to.
      Epoch: int
      /// Its index within the epoch.
      Index: int
      /// Number of samples N.
      Count: int
      /// The shape of x.
      Shape: int[]
      /// The samples, float32, laid out as Shape (the first Count * SampleSize floats are used).
      Data: float32[]
      /// The labels, int64.
      Labels: int64[]
      /// The dataset indices of the samples, in batch order.
      Indices: int[] }
