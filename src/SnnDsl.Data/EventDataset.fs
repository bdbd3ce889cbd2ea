namespace SnnDsl.Data

open System

/// Event samples held in memory, integrated into [T, 2, 34, 34] frames of event counts on access.
[<Sealed>]
type EventDataset(name: string, classNames: string[], events: Events[], labels: int[], frames: int, splitBy: SplitBy) =
    inherit Dataset(name, Frames.shape frames, classNames)
    do
        if frames <= 0 then invalidArg "frames" $"the number of frames must be positive, got {frames}"
        if events.Length <> labels.Length then
            invalidArg "labels" $"{events.Length} event samples but {labels.Length} labels"

    /// Number of frames T per sample.
    member _.Frames = frames
    /// How events are divided among frames.
    member _.SplitBy = splitBy
    /// The raw events of sample index.
    member _.Events(index: int) = events[index]

    override _.Count = events.Length
    override _.Label(index) = labels[index]
    override d.CopyPixels(index, destination) =
        d.Check(index, destination.Length)
        Frames.integrate splitBy frames events[index] destination
