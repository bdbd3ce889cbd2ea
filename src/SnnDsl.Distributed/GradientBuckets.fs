namespace SnnDsl.Distributed

open System
open SnnDsl.Core
open SnnDsl.Torch

/// Averages gradients across the ranks in buckets, as torch's DDP does: the parameters, in reverse order (the
/// order backward produces their gradients), grouped by dtype and device into buckets of at most BucketBytes;
/// each bucket's gradients are flattened into one buffer, all-reduced, divided by the world size and copied
/// back: one collective per bucket instead of one per parameter.
///
/// A parameter that has no gradient on some ranks counts as zero there and gets the average anyway (its
/// gradient is created); one that has no gradient on any rank keeps none, as in one process. For that each
/// bucket carries one presence flag per parameter. Call it on every rank after backward, before the optimiser
/// step; every rank must build it over the same parameters.
[<Sealed>]
type GradientAverager(pg: ProcessGroup, parameters: Tensor seq, ?bucketBytes: int64) =
    let ps = Seq.toArray parameters
    let cap = defaultArg bucketBytes (25L * 1024L * 1024L)
    do if cap <= 0L then invalidArg "bucketBytes" $"the bucket size must be positive, got {cap} bytes"
    let buckets: int[][] =
        let result = ResizeArray<int[]>()
        let current = ResizeArray<int>()
        let mutable bytes = 0L
        let flush () =
            if current.Count > 0 then
                result.Add(current.ToArray())
                current.Clear()
                bytes <- 0L
        for i in ps.Length - 1 .. -1 .. 0 do
            let p = ps[i]
            let size = p.NumElements * int64 p.DType.ElementSize
            if current.Count > 0 then
                let head = ps[current[0]]
                if head.DType <> p.DType || head.Device <> p.Device || bytes + size > cap then flush ()
            current.Add i
            bytes <- bytes + size
        flush ()
        result.ToArray()
    let scale = 1.0 / float pg.WorldSize

    /// The flat buffer of a bucket: every gradient (zeros where there is none), then one presence flag each.
    let flatten (bucket: int[]) =
        let grads = bucket |> Array.map (fun i -> ps[i].Grad)
        let parts =
            Array.map2
                (fun i (g: Tensor option) ->
                    let p = ps[i]
                    match g with
                    | Some g -> g.Detach().Reshape(-1)
                    | None -> Tensor.Zeros([| int p.NumElements |], p.DType, p.Device))
                bucket grads
        let head = ps[bucket[0]]
        let flags = Tensor.FromArray(grads |> Array.map (fun g -> if g.IsSome then 1.0 else 0.0)).To(head.DType, head.Device)
        Tensor.Cat(Array.append parts [| flags |])

    /// Divides the reduced buffer by the world size and writes each average into its parameter's gradient.
    let scatter (bucket: int[]) (flat: Tensor) =
        flat.MulInPlace scale
        let total = bucket |> Array.sumBy (fun i -> ps[i].NumElements)
        let flags = flat.Narrow(0, int total, bucket.Length).To(DType.Float64).ToArray<float>()
        let mutable offset = 0L
        bucket
        |> Array.iteri (fun k i ->
            let p = ps[i]
            let n = p.NumElements
            if flags[k] > 0.0 then
                let avg = flat.Narrow(0, int offset, int n).View(p.Shape)
                match p.Grad with
                | Some g -> g.CopyFrom avg
                | None -> p.SetGrad(Some(avg.Clone()))
            offset <- offset + n)

    /// The buckets, as indices into the parameters, in the order they are reduced.
    member _.Buckets = buckets |> Array.map Array.copy
    /// The largest bucket in bytes (a parameter larger than that gets a bucket of its own).
    member _.BucketBytes = cap

    /// Averages every gradient across the ranks, one bucket after the other.
    member _.Average() =
        use _scope = new TensorScope()
        for bucket in buckets do
            let flat = flatten bucket
            pg.AllReduce(flat, ReduceOp.Sum)
            scatter bucket flat

    /// Averages every gradient across the ranks with the buckets in flight together: bucket k + 1 is
    /// flattened while bucket k travels, and copied back while the later ones travel. Same result as Average.
    member _.AverageOverlapped() =
        use _scope = new TensorScope()
        let inFlight =
            [ for bucket in buckets do
                  let flat = flatten bucket
                  bucket, flat, pg.AllReduceAsync([ flat ], ReduceOp.Sum) ]
        try
            for bucket, flat, pending in inFlight do
                pending.Wait()
                scatter bucket flat
        finally
            for _, _, pending in inFlight do
                (pending :> IDisposable).Dispose()
