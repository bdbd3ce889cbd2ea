module SnnDsl.Data.Tests.FrameTests

open Expecto
open SnnDsl.TestKit
open SnnDsl.Data

let internal evs (list: (int * int * int * int) list) : Events =
    { X = list |> List.map (fun (x, _, _, _) -> uint16 x) |> Array.ofList
      Y = list |> List.map (fun (_, y, _, _) -> uint16 y) |> Array.ofList
      P = list |> List.map (fun (_, _, p, _) -> byte p) |> Array.ofList
      T = list |> List.map (fun (_, _, _, t) -> int64 t) |> Array.ofList }

let private sensor = NMnist.sensor

module Frames =
    let toArray split frames events = Frames.toArray sensor split frames events

let private at (frames: float32[]) t p y x = frames[((t * 2 + p) * 34 + y) * 34 + x]

/// Per frame, the total count.
let private totals (frames: float32[]) (t: int) =
    let size = sensor.FrameSize
    Array.init t (fun i -> Array.sum frames[i * size .. (i + 1) * size - 1])

let private spans (segs: struct (int * int)[]) = segs |> Array.map (fun struct (a, b) -> a, b)

[<Tests>]
let tests =
    testList "Frame" [
        testCase "split by number gives N/T events per frame and the remainder to the last" <| fun () ->
            // 10 events, T = 3: di = 3, frames hold events 0-2, 3-5, 6-9.
            let e = evs [ for k in 0..9 -> (k, 2 * k, k % 2, 1000 * k) ]
            let f = Frames.toArray SplitBy.Number 3 e
            Expect.equal (totals f 3 : float32[]) ([| 3.0f; 3.0f; 4.0f |]) "totals f 3"
            Expect.equal (at f 0 0 0 0) 1.0f "at f 0 0 0 0" // event 0: x 0, y 0, p 0
            Expect.equal (at f 1 1 10 5) 1.0f "at f 1 1 10 5" // event 5 lands in frame 1, polarity 1, row y = 10, column x = 5
            Expect.equal (at f 2 1 18 9) 1.0f "at f 2 1 18 9" // event 9, frame 2
            Expect.equal (at f 0 1 10 5) 0.0f "at f 0 1 10 5"

        testCase "split by number with fewer events than frames puts them all in the last frame" <| fun () ->
            let e = evs [ (1, 1, 0, 0); (1, 1, 0, 5) ]
            let f = Frames.toArray SplitBy.Number 4 e
            Expect.equal (totals f 4 : float32[]) ([| 0.0f; 0.0f; 0.0f; 2.0f |]) "totals f 4"
            Expect.equal (at f 3 0 1 1) 2.0f "at f 3 0 1 1" // repeated events at one pixel count up

        testCase "split by time uses equal windows from the first timestamp" <| fun () ->
            // t0 = 0, t_last = 100, T = 4: dt = 25, windows [0,25) [25,50) [50,75) [75,...].
            let e = evs [ (0, 0, 0, 0); (1, 0, 0, 10); (2, 0, 1, 24); (3, 0, 0, 25); (4, 0, 0, 49)
                          (5, 0, 1, 50); (6, 0, 0, 99); (6, 0, 0, 100) ]
            let f = Frames.toArray SplitBy.Time 4 e
            Expect.equal (totals f 4 : float32[]) ([| 3.0f; 2.0f; 1.0f; 2.0f |]) "totals f 4"
            Expect.equal (at f 0 1 0 2) 1.0f "at f 0 1 0 2"
            Expect.equal (at f 1 0 0 4) 1.0f "at f 1 0 0 4"
            Expect.equal (at f 2 1 0 5) 1.0f "at f 2 1 0 5"
            Expect.equal (at f 3 0 0 6) 2.0f "at f 3 0 0 6"

        testCase "split by time with an offset start and integer-divided windows" <| fun () ->
            // t0 = 1000, t_last = 1010, T = 3: dt = 10 / 3 = 3, windows [1000,1003) [1003,1006) [1006,...].
            let e = evs [ for t in 1000..1010 -> (0, 0, 0, t) ]
            Expect.equal (totals (Frames.toArray SplitBy.Time 3 e) 3 : float32[]) ([| 3.0f; 3.0f; 5.0f |]) "totals (Frames.toArray SplitBy.Time 3 e) 3"

        testCase "no events give empty frames" <| fun () ->
            let e = evs []
            for split in [ SplitBy.Number; SplitBy.Time ] do
                for v in Frames.toArray split 2 e do Expect.equal v 0.0f "v"

        testCase "split by number gives frames [j*di, (j+1)*di) and the remainder to the last, by index" <| fun () ->
            // N = 11, T = 4: di = 2; frames [0,2) [2,4) [4,6) [6,11).
            let t = Array.init 11 int64
            Expect.equal (spans (Frames.segments SplitBy.Number 4 t) : (int * int)[]) ([| 0, 2; 2, 4; 4, 6; 6, 11 |]) "spans (Frames.segments SplitBy.Number 4 t)"
            let f = Frames.toArray SplitBy.Number 4 (evs [ for k in 0..10 -> (k, 0, 0, k) ])
            Expect.equal (totals f 4 : float32[]) ([| 2.0f; 2.0f; 2.0f; 5.0f |]) "totals f 4"
            Expect.equal (at f 3 0 0 10) 1.0f "at f 3 0 0 10" // the remainder's last event

        testCase "split by time takes index ranges from the first to the last event in each window, as SpikingJelly" <| fun () ->
            // Unsorted times [0, 5, 1, 6, 2, 9], T = 2: dt = 9 / 2 = 4; window [0,4) holds indices 0, 2, 4 -> [0, 5);
            // the last window starts at index 1 (t = 5) and runs to the end -> [1, 6). The ranges overlap, as in SpikingJelly.
            let t = [| 0L; 5L; 1L; 6L; 2L; 9L |]
            Expect.equal (spans (Frames.segments SplitBy.Time 2 t) : (int * int)[]) ([| 0, 5; 1, 6 |]) "spans (Frames.segments SplitBy.Time 2 t)"

        testCase "split by time leaves an empty window empty and gives the last frame the later events" <| fun () ->
            // t = [0, 1, 100], T = 4: dt = 25; windows [0,25) [25,50) [50,75) and the last from 75 on.
            let f = Frames.toArray SplitBy.Time 4 (evs [ (0, 0, 0, 0); (1, 0, 0, 1); (2, 0, 1, 100) ])
            Expect.equal (totals f 4 : float32[]) ([| 2.0f; 0.0f; 0.0f; 1.0f |]) "totals f 4"
            Expect.equal (at f 3 1 0 2) 1.0f "at f 3 1 0 2"
            // The remainder after T * dt: t_last = 10, T = 3, dt = 3: the last window [6, 9) also takes t = 9 and 10.
            let t = [| 0L; 3L; 6L; 9L; 10L |]
            Expect.equal (spans (Frames.segments SplitBy.Time 3 t) : (int * int)[]) ([| 0, 1; 1, 2; 2, 5 |]) "spans (Frames.segments SplitBy.Time 3 t)"

        testCase "fixed-duration windows start at the first event not yet taken and include t_start + duration" <| fun () ->
            // duration 20: [0, 10, 20] | [35, 36] | [100]; a fourth frame is empty.
            let t = [| 0L; 10L; 20L; 35L; 36L; 100L |]
            Expect.equal (spans (Frames.durationSegments 20L t) : (int * int)[]) ([| 0, 3; 3, 5; 5, 6 |]) "spans (Frames.durationSegments 20L t)"
            Expect.equal (spans (Frames.segments (SplitBy.Duration 20L) 4 t) : (int * int)[]) ([| 0, 3; 3, 5; 5, 6; 6, 6 |]) "spans (Frames.segments (SplitBy.Duration 20L) 4 t)"
            Expect.equal (spans (Frames.segments (SplitBy.Duration 20L) 2 t) : (int * int)[]) ([| 0, 3; 3, 5 |]) "spans (Frames.segments (SplitBy.Duration 20L) 2 t)"

        testCase "frames of a 128 x 128 sensor put event (x, y, p) at [p, y, x] and reject events outside" <| fun () ->
            let sensor = { Width = 128; Height = 128; Polarities = 2 }
            let f = SnnDsl.Data.Frames.toArray sensor SplitBy.Number 1 (evs [ (127, 3, 1, 0); (0, 127, 0, 1) ])
            Expect.equal (f[(1 * 128 + 3) * 128 + 127]) 1.0f "f[(1 * 128 + 3) * 128 + 127]"
            Expect.equal (f[(0 * 128 + 127) * 128 + 0]) 1.0f "f[(0 * 128 + 127) * 128 + 0]"
            let e = Expect.raises<System.ArgumentException> (fun () -> SnnDsl.Data.Frames.toArray sensor SplitBy.Number 1 (evs [ (128, 0, 0, 0) ]) |> ignore)
            Expect.stringContains e.Message "x=128" "e.Message"

        testCase "split names parse, and a bad one lists the valid forms" <| fun () ->
            Expect.equal (SplitBy.parse "Number") (Ok SplitBy.Number) "SplitBy.parse \"Number\""
            Expect.equal (SplitBy.parse "duration:50000") (Ok(SplitBy.Duration 50000L)) "SplitBy.parse \"duration:50000\""
            match SplitBy.parse "frames" with
            | Error e -> Expect.stringContains e "number, time and duration:<microseconds>" "e"
            | Ok v -> failwith $"parsed {v}"
    ]
