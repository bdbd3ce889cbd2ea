namespace SnnDsl.Nn

open System
open SnnDsl.Torch

/// Counts the synaptic operations of a conv or linear layer for energy estimates (docs/science.md, "Energy").
/// While Enabled, each forward adds FLOPs x (fraction of non-zero inputs) per sample: for a spiking input
/// these are accumulates (ACs); for the first, real-valued layer every FLOP is a multiply-accumulate (MAC).
type SynapseCounter() =
    /// Multiply-accumulates per sample per time step (from the last forward's shapes).
    member val FlopsPerStep = 0L with get, set
    /// Summed over forwards while Enabled: FLOPs x non-zero fraction x T x N.
    member val Operations = 0.0 with get, set
    /// Summed dense FLOPs over forwards while Enabled (x T x N).
    member val DenseOperations = 0.0 with get, set
    /// Samples seen while Enabled.
    member val Samples = 0L with get, set
    /// Counting costs a reduction per forward, so it is off unless asked for (evaluation).
    member val Enabled = false with get, set

    /// Records one forward on x [T, N, ...] whose per-sample, per-step cost is flops.
    member this.Record(x: Tensor, flops: int64) =
        this.FlopsPerStep <- flops
        if this.Enabled then
            let shape = x.Shape
            let steps, batch = int64 shape[0], int64 shape[1]
            use _ = Autograd.noGrad ()
            use nz = x.Ne(0.0).To(DType.Float32).Mean()
            let frac = nz.ToScalar()
            let dense = float flops * float (steps * batch)
            this.Operations <- this.Operations + dense * frac
            this.DenseOperations <- this.DenseOperations + dense
            this.Samples <- this.Samples + batch

    /// Zeroes the counts summed so far (Operations, DenseOperations, Samples).
    member this.Reset() =
        this.Operations <- 0.0
        this.DenseOperations <- 0.0
        this.Samples <- 0L

/// A layer whose operations count towards the energy estimate.
type ISynaptic =
    /// Counts the synaptic operations of each forward pass (the energy estimate reads it).
    abstract Counter: SynapseCounter
