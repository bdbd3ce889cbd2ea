namespace SnnDsl.Data

open System
open System.Threading

/// The events of one sample as parallel arrays, in file order: pixel column X, row Y, polarity P (0 = OFF,
/// 1 = ON; always 0 for a one-channel source such as SHD) and timestamp T in microseconds.
type Events =
    { /// Pixel column of each event (for SHD, its channel).
      X: uint16[]
      /// Pixel row of each event (0 for SHD).
      Y: uint16[]
      /// Polarity of each event: 0 = OFF, 1 = ON.
      P: byte[]
      /// Timestamp of each event in microseconds.
      T: int64[] }
    /// Number of events.
    member e.Count = e.T.Length
    /// No events.
    static member Empty = { X = [||]; Y = [||]; P = [||]; T = [||] }

/// The geometry of an event source: Width x Height pixels and Polarities channels (2 for event cameras,
/// 1 for SHD's 700 channels, laid out as Width = 700, Height = 1).
type SensorSize =
    { /// Pixels per row, the range of x (SHD's 700 channels).
      Width: int
      /// Rows of pixels, the range of y (1 for SHD).
      Height: int
      /// Polarity channels: 2 for event cameras, 1 for SHD.
      Polarities: int }
    /// Cells of one frame: Polarities x Height x Width.
    member s.FrameSize = s.Polarities * s.Height * s.Width
    override s.ToString() = $"{s.Width}x{s.Height}x{s.Polarities}"

/// Collects events of unknown number, growing by doubling; ToEvents trims to the exact count.
[<Sealed>]
type EventBuilder(capacity: int) =
    let mutable xs = Array.zeroCreate<uint16> (max 16 capacity)
    let mutable ys = Array.zeroCreate<uint16> (max 16 capacity)
    let mutable ps = Array.zeroCreate<byte> (max 16 capacity)
    let mutable ts = Array.zeroCreate<int64> (max 16 capacity)
    let mutable n = 0

    new() = EventBuilder(1024)

    /// Number of events added so far.
    member _.Count = n

    /// Appends one event.
    member _.Add(x: int, y: int, p: int, t: int64) =
        if n = ts.Length then
            let grown = if ts.Length >= Array.MaxLength / 2 then Array.MaxLength else ts.Length * 2
            if grown = n then raise (OutOfMemoryException $"more than {n} events in one sample")
            Array.Resize(&xs, grown)
            Array.Resize(&ys, grown)
            Array.Resize(&ps, grown)
            Array.Resize(&ts, grown)
        xs[n] <- uint16 x
        ys[n] <- uint16 y
        ps[n] <- byte p
        ts[n] <- t
        n <- n + 1

    /// The events added, as arrays of exactly Count elements.
    member _.ToEvents() : Events =
        if n = ts.Length then { X = xs; Y = ys; P = ps; T = ts }
        else { X = Array.sub xs 0 n; Y = Array.sub ys 0 n; P = Array.sub ps 0 n; T = Array.sub ts 0 n }

/// A process-wide count of the events that the readers decoded from files. Tests and `snn train` read it to
/// tell that an epoch served from the frame cache parsed no event at all.
[<RequireQualifiedAccess>]
module EventCounter =
    let mutable private parsed = 0L

    /// Events decoded from files since the process started.
    let parsedEvents () = Interlocked.Read &parsed

    /// Adds n decoded events (called by every reader).
    let internal add (n: int64) = Interlocked.Add(&parsed, n) |> ignore
