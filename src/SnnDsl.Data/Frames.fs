namespace SnnDsl.Data

open System

/// How the events of a sample are divided among T frames (SpikingJelly's split_by).
[<RequireQualifiedAccess>]
type SplitBy =
    /// Equal event counts: with N events and di = N / T, frame i gets events [i*di, (i+1)*di) and the
    /// last frame also the remainder (all events when N < T).
    | Number
    /// Equal time windows: with dt = (t_last - t_first) / T (integer division), frame i gets events with
    /// t_first + i*dt <= t < t_first + (i+1)*dt and the last frame everything after its start.
    | Time

/// Integration of events into frames of per-pixel event counts: [T, 2, 34, 34], channel = polarity,
/// row = y, column = x, as SpikingJelly's integrate_events_by_fixed_frames_number.
[<RequireQualifiedAccess>]
module Frames =
    /// Floats per frame: 2 polarities x 34 x 34.
    let frameSize = 2 * NMnist.SensorSize * NMnist.SensorSize

    /// The shape of T integrated frames of one sample: [T, 2, 34, 34].
    let shape (frames: int) = [| frames; 2; NMnist.SensorSize; NMnist.SensorSize |]

    /// The frame (0..frames-1) that event k falls in.
    let frameOf (splitBy: SplitBy) (frames: int) (events: Events) : int -> int =
        let n = events.Count
        match splitBy with
        | SplitBy.Number ->
            let di = n / frames
            if di = 0 then (fun _ -> frames - 1) else (fun k -> min (frames - 1) (k / di))
        | SplitBy.Time ->
            if n = 0 then (fun _ -> 0)
            else
                let t0 = int64 events.T[0]
                // A sample shorter than T microseconds gets 1 us windows (SpikingJelly fails there).
                let dt = max 1L ((int64 events.T[n - 1] - t0) / int64 frames)
                fun k -> int (Math.Clamp((int64 events.T[k] - t0) / dt, 0L, int64 (frames - 1)))

    /// Writes the event counts of T frames into dst (length T * 2 * 34 * 34), overwriting it.
    let integrate (splitBy: SplitBy) (frames: int) (events: Events) (dst: Span<float32>) =
        if frames <= 0 then invalidArg "frames" $"the number of frames must be positive, got {frames}"
        if dst.Length <> frames * frameSize then
            invalidArg "dst" $"{frames} frames need {frames * frameSize} floats but dst holds {dst.Length}"
        dst.Clear()
        let side = NMnist.SensorSize
        let xs, ys, ps = events.X, events.Y, events.P
        let plane = side * side
        let frameOfEvent =
            match splitBy with
            | SplitBy.Number -> Unchecked.defaultof<_>
            | SplitBy.Time -> frameOf splitBy frames events
        let n = events.Count
        let di = n / frames
        for k in 0 .. n - 1 do
            let f =
                match splitBy with
                | SplitBy.Number -> if di = 0 then frames - 1 else min (frames - 1) (k / di)
                | SplitBy.Time -> frameOfEvent k
            let pos = f * frameSize + int ps[k] * plane + int ys[k] * side + int xs[k]
            dst[pos] <- dst[pos] + 1.0f

    /// The frames as a new array of shape [T, 2, 34, 34] (row-major).
    let toArray (splitBy: SplitBy) (frames: int) (events: Events) : float32[] =
        let a = Array.zeroCreate<float32> (frames * frameSize)
        integrate splitBy frames events (Span<float32>(a))
        a
