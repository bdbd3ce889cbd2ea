namespace SnnDsl.Data

open System

/// An embedded dataset that needs no files: 10 classes of 28x28 grey images, each class a procedural
/// shape (bars, rings, blobs, outlines) drawn with random shift, scale, rotation, stroke width and
/// contrast, an occasional faint distractor stroke and Gaussian noise. Sample i is a pure function of
/// (seed, i); its label is i mod 10, so every split is class-balanced.
[<RequireQualifiedAccess>]
module Synthetic =
    /// Image side in pixels.
    [<Literal>]
    let Side = 28
    /// Default number of training samples.
    [<Literal>]
    let DefaultTrainCount = 2000
    /// Default number of test samples.
    [<Literal>]
    let DefaultTestCount = 500
    /// Default seed.
    [<Literal>]
    let DefaultSeed = 20240601L

    /// The class names, indexed by label.
    let classNames =
        [| "horizontal bar"; "vertical bar"; "rising diagonal"; "falling diagonal"; "ring"; "disk"
           "pair of dots"; "plus"; "square"; "triangle" |]

    type private Shape =
        | Segment of x0: float * y0: float * x1: float * y1: float
        | Ring of radius: float
        | Disk of cx: float * cy: float * radius: float

    let private segments (pts: (float * float) list) =
        List.pairwise pts |> List.map (fun ((a, b), (c, d)) -> Segment(a, b, c, d))

    /// The strokes of each class in a local frame centred on the origin (y points down).
    let private shapes (label: int) =
        match label with
        | 0 -> [ Segment(-8.0, 0.0, 8.0, 0.0) ]
        | 1 -> [ Segment(0.0, -8.0, 0.0, 8.0) ]
        | 2 -> [ Segment(-6.0, 6.0, 6.0, -6.0) ]
        | 3 -> [ Segment(-6.0, -6.0, 6.0, 6.0) ]
        | 4 -> [ Ring 7.0 ]
        | 5 -> [ Disk(0.0, 0.0, 4.5) ]
        | 6 -> [ Disk(-6.0, 0.0, 2.5); Disk(6.0, 0.0, 2.5) ]
        | 7 -> [ Segment(-7.0, 0.0, 7.0, 0.0); Segment(0.0, -7.0, 0.0, 7.0) ]
        | 8 -> segments [ (-6.0, -6.0); (6.0, -6.0); (6.0, 6.0); (-6.0, 6.0); (-6.0, -6.0) ]
        | _ -> segments [ (0.0, -7.0); (7.0, 6.0); (-7.0, 6.0); (0.0, -7.0) ]

    let private distToSegment (px: float) (py: float) (x0, y0, x1, y1) =
        let dx, dy = x1 - x0, y1 - y0
        let len2 = dx * dx + dy * dy
        let t = if len2 = 0.0 then 0.0 else Math.Clamp(((px - x0) * dx + (py - y0) * dy) / len2, 0.0, 1.0)
        let ex, ey = px - (x0 + t * dx), py - (y0 + t * dy)
        sqrt (ex * ex + ey * ey)

    /// Distance from a local-frame point to the stroke (0 inside a disk).
    let private distance (px: float) (py: float) shape =
        match shape with
        | Segment(a, b, c, d) -> distToSegment px py (a, b, c, d)
        | Ring r -> abs (sqrt (px * px + py * py) - r)
        | Disk(cx, cy, r) -> max 0.0 (sqrt ((px - cx) * (px - cx) + (py - cy) * (py - cy)) - r)

    /// Renders sample index of the set generated from seed: its label and 28x28 uint8 pixels.
    let render (seed: int64) (index: int) : int * byte[] =
        let rng = Rng.Create(seed, int64 index)
        let label = index % 10
        let cx = 13.5 + rng.Uniform(-4.0, 4.0)
        let cy = 13.5 + rng.Uniform(-4.0, 4.0)
        let scale = rng.Uniform(0.8, 1.2)
        let angle = rng.Uniform(-15.0, 15.0) * Math.PI / 180.0
        let half = rng.Uniform(0.7, 1.4) // half stroke width in pixels
        let ink = rng.Uniform(0.55, 1.0)
        let cosA, sinA = cos angle, sin angle
        let strokes = shapes label |> Array.ofList
        // A faint random stroke somewhere in about half of the images.
        let distractor =
            if rng.Chance 0.5 then
                let x, y = rng.Uniform(3.0, 25.0), rng.Uniform(3.0, 25.0)
                let a = rng.Uniform(0.0, Math.PI)
                let l = rng.Uniform(2.0, 4.0)
                Some((x - l * cos a, y - l * sin a, x + l * cos a, y + l * sin a), rng.Uniform(0.25, 0.55))
            else None
        let noise = rng.Uniform(0.08, 0.16)
        let pixels = Array.zeroCreate<byte> (Side * Side)
        for y in 0 .. Side - 1 do
            for x in 0 .. Side - 1 do
                // Pixel centre to the local frame: translate, rotate back, unscale.
                let dx, dy = float x - cx, float y - cy
                let lx = (cosA * dx + sinA * dy) / scale
                let ly = (-sinA * dx + cosA * dy) / scale
                let mutable d = Double.MaxValue
                for s in strokes do
                    d <- min d (distance lx ly s)
                let mutable v = ink * Math.Clamp(half + 0.5 - d * scale, 0.0, 1.0)
                match distractor with
                | Some(seg, level) ->
                    v <- max v (level * Math.Clamp(1.2 - distToSegment (float x) (float y) seg, 0.0, 1.0))
                | None -> ()
                v <- v + noise * rng.NextGaussian()
                pixels[y * Side + x] <- byte (Math.Round(255.0 * Math.Clamp(v, 0.0, 1.0)))
        label, pixels

    /// A dataset of count samples generated from seed.
    let create (name: string) (count: int) (seed: int64) : Dataset =
        if count < 0 then invalidArg "count" $"the number of samples must not be negative, got {count}"
        let pixels = Array.zeroCreate<byte> (count * Side * Side)
        let labels = Array.zeroCreate<byte> count
        Threading.Tasks.Parallel.For(0, count, fun i ->
            let label, img = render seed i
            labels[i] <- byte label
            Buffer.BlockCopy(img, 0, pixels, i * Side * Side, Side * Side))
        |> ignore
        ImageDataset(name, classNames, [| 1; Side; Side |], pixels, labels, None)

    /// The training split: its seed is derived from (seed, 0), the test split's from (seed, 1).
    let train (count: int) (seed: int64) = create "synthetic/train" count (int64 (Rng.Derive(seed, 0L)))
    /// The test split, generated from a seed different from the training split's.
    let test (count: int) (seed: int64) = create "synthetic/test" count (int64 (Rng.Derive(seed, 1L)))
