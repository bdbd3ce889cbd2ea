/// `snn events FILE`: what an event file holds (format, sensor, events, time span, ON/OFF counts), as text or
/// JSON, and optionally a picture of its integrated frames.
module SnnDsl.Cli.EventsCommand

open SnnDsl.Core
open System
open System.IO
open System.Text.Json
open Argu
open SnnDsl.Data

/// The arguments of `snn events`.
[<RequireQualifiedAccess>]
type EventsArgs =
    | [<MainCommand; Mandatory; Unique>] File of path: string
    | Json
    | [<Unique>] Frames of m: int
    | [<Unique>] Split_By of method: string
    | [<Unique>] Out of ``strip.png|svg``: string
    | [<Unique>] Sample of index: int

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "an AEDAT 2.0/3.1/4 recording, an SHD/SSC .h5 file or an N-MNIST .bin/.bs2 file"
            | Json -> "print one JSON object: format, width, height, events, t_first, t_last, on, off"
            | Frames _ -> "integrate the events into M frames (with --out)"
            | Split_By _ -> "number | time | duration:<us> [number]"
            | Out _ -> "write the integrated frames as a PNG or SVG strip"
            | Sample _ -> "the sample of an SHD/SSC file [0]"

/// The most frames one strip draws (256 frames of a 128 x 128 sensor: a picture of 33,000 x 128 pixels).
[<Literal>]
let MaxFrames = 256

/// Runs the command.
let run (args: ParseResults<EventsArgs>) (out: TextWriter) : int =
    let path = args.GetResult EventsArgs.File
    let picture =
        match args.TryGetResult EventsArgs.Frames, args.TryGetResult EventsArgs.Out with
        | Some m, _ when m < 1 -> Fail.usage $"--frames must be at least 1, got {m}"
        | Some m, _ when m > MaxFrames -> Fail.usage $"--frames {m}: a strip draws at most {MaxFrames} frames side by side; give fewer"
        | Some m, Some o ->
            let ext = Path.GetExtension(o).ToLowerInvariant()
            if ext <> ".png" && ext <> ".svg" then Fail.usage $"--out '{o}': the picture is written as .png or .svg"
            AtomicFile.checkWritable "picture" o
            let split = SplitBy.parse (args.GetResult(EventsArgs.Split_By, defaultValue = "number")) |> Fail.orUsage
            Some(m, split, o, ext)
        | None, Some _ -> Fail.usage "--out needs --frames M (the number of frames to draw)"
        | Some _, None -> Fail.usage "--frames needs --out strip.png or strip.svg"
        | None, None ->
            if args.Contains EventsArgs.Split_By then Fail.usage "--split-by needs --frames and --out"
            None
    let content = EventFile.read (args.GetResult(EventsArgs.Sample, defaultValue = 0)) path
    if args.Contains EventsArgs.Sample && not (content.Format.StartsWith "hdf5") then
        Fail.usage $"--sample picks a sample of an SHD/SSC file; {path} is {content.Format}, one recording"
    let e = content.Events
    let on = e.P |> Array.sumBy (fun p -> if p = 1uy then 1L else 0L)
    let off = int64 e.Count - on
    let first, last = (if e.Count = 0 then None, None else Some e.T[0], Some e.T[e.Count - 1])
    let sensor = content.Sensor
    if args.Contains EventsArgs.Json then
        let number (v: int64 option) = match v with Some t -> string t | None -> "null"
        out.WriteLine(
            $"""{{"format": {JsonSerializer.Serialize content.Format}, "width": {sensor.Width}, "height": {sensor.Height}, "events": {e.Count}, "t_first": {number first}, "t_last": {number last}, "on": {on}, "off": {off}}}""")
    else
        let detail = if content.Detail = "" then "" else $" ({content.Detail})"
        out.WriteLine($"file      {path}")
        out.WriteLine($"format    {content.Format}{detail}")
        out.WriteLine($"sensor    {sensor.Width} x {sensor.Height}, {sensor.Polarities} polarities")
        out.WriteLine($"events    {e.Count}")
        match first, last with
        | Some a, Some b ->
            out.WriteLine($"t_first   {a} us")
            out.WriteLine($"t_last    {b} us ({float (b - a) / 1e6:F6} s)")
        | _ -> out.WriteLine("t_first   -\nt_last    -")
        out.WriteLine($"on / off  {on} / {off}")
    match picture with
    | None -> ()
    | Some(m, split, o, ext) ->
        let inside = EventDatasets.checkInside path sensor e
        let counts = Frames.counts sensor split m inside
        if ext = ".png" then
            let w, h, rgb = EventStrip.render sensor m counts
            AtomicFile.writeBytes o (Png.encode w h rgb)
        else AtomicFile.writeAll [ o, EventStrip.svg sensor m counts ]
        if not (args.Contains EventsArgs.Json) then out.WriteLine($"wrote {m} frames ({split}) to {o}")
    ExitCode.Ok
