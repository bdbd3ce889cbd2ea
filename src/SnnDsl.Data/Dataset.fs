namespace SnnDsl.Data

open System

/// A labelled dataset of fixed-shape float32 samples: [C, H, W] for static images, [T, C, H, W] for event
/// frames. Reading a sample must be thread-safe (the loader reads from a background thread).
[<AbstractClass>]
type Dataset(name: string, sampleShape: int[], classNames: string[]) =
    let shape = Array.copy sampleShape
    let size = Array.fold (*) 1 shape
    let names = Array.copy classNames

    /// The registry name, e.g. "cifar10", with the split: "cifar10/train".
    member _.Name = name
    /// The shape of one sample: [C, H, W], or [T, 2, 34, 34] for event frames.
    member _.SampleShape = Array.copy shape
    /// Number of floats in one sample.
    member _.SampleSize = size
    /// Number of classes.
    member _.NumClasses = names.Length
    /// Class names, indexed by label.
    member _.ClassNames = Array.copy names
    /// True for event data, whose samples are [T, C, H, W] with time first.
    member _.IsTemporal = shape.Length = 4

    /// Number of samples.
    abstract Count: int
    /// The label (0 .. NumClasses-1) of sample index.
    abstract Label: index: int -> int
    /// Writes sample index before normalisation: pixels scaled to [0,1], or event counts.
    abstract CopyPixels: index: int * destination: Span<float32> -> unit
    /// The per-channel normalisation applied by CopySample, if any.
    abstract Normalization: Normalization option
    default _.Normalization = None

    member internal d.Check(index: int, length: int) =
        if index < 0 || index >= d.Count then
            raise (ArgumentOutOfRangeException("index", $"sample {index} is outside {name}'s 0..{d.Count - 1}"))
        if length <> size then
            invalidArg "destination" $"a {name} sample has {size} floats but the destination holds {length}"

    /// Applies the normalisation (if any) to a sample already written by CopyPixels.
    member d.Normalize(sample: Span<float32>) =
        match d.Normalization with
        | Some n when shape.Length = 3 -> n.Apply(shape[0], shape[1] * shape[2], sample)
        | Some n -> n.Apply(shape[1], shape[2] * shape[3], sample) // never used by the built-in event sets
        | None -> ()

    /// Writes sample index as the model sees it: CopyPixels, then the normalisation.
    member d.CopySample(index: int, destination: Span<float32>) =
        d.Check(index, destination.Length)
        d.CopyPixels(index, destination)
        d.Normalize destination

    /// Sample index as a new array (row-major, SampleShape).
    member d.Sample(index: int) : float32[] =
        let a = Array.zeroCreate<float32> size
        d.CopySample(index, Span<float32>(a))
        a

    /// Every label, in sample order.
    member d.Labels: int[] = Array.init d.Count d.Label

    /// Number of samples of each class.
    member d.ClassCounts: int[] =
        let h = Array.zeroCreate<int> names.Length
        for i in 0 .. d.Count - 1 do
            let l = d.Label i
            h[l] <- h[l] + 1
        h

    override d.ToString() =
        $"{name}: {d.Count} samples of {SnnDsl.Core.Shape.text shape}, {names.Length} classes"
