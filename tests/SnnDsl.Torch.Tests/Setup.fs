namespace SnnDsl.Torch.Tests

open Xunit

// The suite measures process-wide state (the live-tensor count, RSS, the global RNG seed, the thread count),
// so tests run one at a time.
[<assembly: CollectionBehavior(DisableTestParallelization = true)>]
do ()
