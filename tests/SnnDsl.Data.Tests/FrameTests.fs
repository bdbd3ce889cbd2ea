module SnnDsl.Data.Tests.FrameTests

open Xunit
open SnnDsl.Data

let private evs (list: (int * int * int * int) list) : Events =
    { X = list |> List.map (fun (x, _, _, _) -> byte x) |> Array.ofList
      Y = list |> List.map (fun (_, y, _, _) -> byte y) |> Array.ofList
      P = list |> List.map (fun (_, _, p, _) -> byte p) |> Array.ofList
      T = list |> List.map (fun (_, _, _, t) -> t) |> Array.ofList }

let private at (frames: float32[]) t p y x = frames[((t * 2 + p) * 34 + y) * 34 + x]

/// Per frame, the total count.
let private totals (frames: float32[]) (t: int) =
    Array.init t (fun i -> Array.sum frames[i * Frames.frameSize .. (i + 1) * Frames.frameSize - 1])

[<Fact>]
let ``split by number gives N/T events per frame and the remainder to the last`` () =
    // 10 events, T = 3: di = 3, frames hold events 0-2, 3-5, 6-9.
    let e = evs [ for k in 0..9 -> (k, 2 * k, k % 2, 1000 * k) ]
    let f = Frames.toArray SplitBy.Number 3 e
    Assert.Equal<float32[]>([| 3.0f; 3.0f; 4.0f |], totals f 3)
    Assert.Equal(1.0f, at f 0 0 0 0) // event 0: x 0, y 0, p 0
    Assert.Equal(1.0f, at f 1 1 10 5) // event 5 lands in frame 1, polarity 1, row y = 10, column x = 5
    Assert.Equal(1.0f, at f 2 1 18 9) // event 9, frame 2
    Assert.Equal(0.0f, at f 0 1 10 5)

[<Fact>]
let ``split by number with fewer events than frames puts them all in the last frame`` () =
    let e = evs [ (1, 1, 0, 0); (1, 1, 0, 5) ]
    let f = Frames.toArray SplitBy.Number 4 e
    Assert.Equal<float32[]>([| 0.0f; 0.0f; 0.0f; 2.0f |], totals f 4)
    Assert.Equal(2.0f, at f 3 0 1 1) // repeated events at one pixel count up

[<Fact>]
let ``split by time uses equal windows from the first timestamp`` () =
    // t0 = 0, t_last = 100, T = 4: dt = 25, windows [0,25) [25,50) [50,75) [75,...].
    let e = evs [ (0, 0, 0, 0); (1, 0, 0, 10); (2, 0, 1, 24); (3, 0, 0, 25); (4, 0, 0, 49)
                  (5, 0, 1, 50); (6, 0, 0, 99); (6, 0, 0, 100) ]
    let f = Frames.toArray SplitBy.Time 4 e
    Assert.Equal<float32[]>([| 3.0f; 2.0f; 1.0f; 2.0f |], totals f 4)
    Assert.Equal(1.0f, at f 0 1 0 2)
    Assert.Equal(1.0f, at f 1 0 0 4)
    Assert.Equal(1.0f, at f 2 1 0 5)
    Assert.Equal(2.0f, at f 3 0 0 6)

[<Fact>]
let ``split by time with an offset start and integer-divided windows`` () =
    // t0 = 1000, t_last = 1010, T = 3: dt = 10 / 3 = 3, windows [1000,1003) [1003,1006) [1006,...].
    let e = evs [ for t in 1000..1010 -> (0, 0, 0, t) ]
    Assert.Equal<float32[]>([| 3.0f; 3.0f; 5.0f |], totals (Frames.toArray SplitBy.Time 3 e) 3)

[<Fact>]
let ``no events give empty frames`` () =
    let e = evs []
    for split in [ SplitBy.Number; SplitBy.Time ] do
        Assert.All(Frames.toArray split 2 e, fun v -> Assert.Equal(0.0f, v))
