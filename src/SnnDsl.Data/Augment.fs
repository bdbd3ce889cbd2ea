namespace SnnDsl.Data

open System

/// Training-time augmentation (torchvision's RandomCrop(padding), RandomHorizontalFlip and Cutout, and the
/// event-frame transforms of the DVS pipelines: random roll, rotation and shear). Crop, flip, roll, rotation
/// and shear act before normalisation (what moves in from outside is 0; roll wraps around) with one draw per
/// sample, so all T frames of an event sample move together; cutout acts after it (the hole is 0 in
/// normalised units), as in the usual CIFAR pipelines.
type Augmentation =
    { /// Zero padding of a random crop back to the original size; 0 disables the crop.
      CropPadding: int
      /// Flip left-right with probability 1/2.
      HorizontalFlip: bool
      /// Side of one square hole zeroed at a random centre (clipped at the border); 0 disables cutout.
      CutoutSize: int
      /// Circular shift by dy, dx drawn uniformly from [-Roll, Roll] (torch.roll over H and W); 0 disables it.
      Roll: int
      /// Rotation about the centre by an angle drawn uniformly from [-Rotation, Rotation] degrees (nearest
      /// neighbour, 0 outside); 0 disables it.
      Rotation: float
      /// Horizontal shear by an angle drawn uniformly from [-Shear, Shear] degrees, combined with the rotation
      /// into one resampling; 0 disables it.
      Shear: float }

    /// No augmentation.
    static member None = { CropPadding = 0; HorizontalFlip = false; CutoutSize = 0; Roll = 0; Rotation = 0.0; Shear = 0.0 }
    /// Random crop with padding 4 and horizontal flip (the usual CIFAR recipe).
    static member Standard = { Augmentation.None with CropPadding = 4; HorizontalFlip = true }
    /// Standard plus one 16x16 cutout hole (DeVries and Taylor's CIFAR-10 setting).
    static member StandardCutout = { Augmentation.Standard with CutoutSize = 16 }
    /// TET's CIFAR10-DVS recipe: horizontal flip with probability 1/2 and a roll of up to 5 pixels each way.
    static member Tet = { Augmentation.None with HorizontalFlip = true; Roll = 5 }
    /// The event-frame set: flip, roll up to 5 pixels, rotation up to 15 degrees and shear up to 8 degrees.
    static member Events = { Augmentation.Tet with Rotation = 15.0; Shear = 8.0 }

/// The augmentation operations on [C, H, W] samples (C may also count T x polarity planes).
[<RequireQualifiedAccess>]
module Augment =
    /// Writes into dst the H x W window of src padded by zeros, whose top-left corner lies at (dy, dx) in
    /// the padded image (0 <= dy, dx <= 2 * padding): dst[c, y, x] = src[c, y + dy - padding, x + dx - padding].
    let crop (channels: int, height: int, width: int) (padding: int) (dy: int) (dx: int)
             (src: ReadOnlySpan<float32>) (dst: Span<float32>) =
        let plane = height * width
        for c in 0 .. channels - 1 do
            for y in 0 .. height - 1 do
                let sy = y + dy - padding
                let row = dst.Slice(c * plane + y * width, width)
                if sy < 0 || sy >= height then row.Clear()
                else
                    let sx0 = dx - padding // source column of dst column 0
                    let lo = max 0 (-sx0) // first dst column with a source pixel
                    let hi = min width (width - sx0) // one past the last
                    if lo > 0 then row.Slice(0, min lo width).Clear()
                    if hi < width then row.Slice(max hi 0).Clear()
                    if hi > lo then
                        src.Slice(c * plane + sy * width + sx0 + lo, hi - lo).CopyTo(row.Slice(lo, hi - lo))

    /// Mirrors every row in place.
    let flipHorizontal (channels: int, height: int, width: int) (sample: Span<float32>) =
        for r in 0 .. channels * height - 1 do
            sample.Slice(r * width, width).Reverse()

    /// Zeroes, in every channel, rows [cy - size/2, cy + size/2) and columns [cx - size/2, cx + size/2),
    /// clipped to the image.
    let cutoutAt (channels: int, height: int, width: int) (size: int) (cy: int) (cx: int) (sample: Span<float32>) =
        let y0, y1 = max 0 (cy - size / 2), min height (cy + size / 2)
        let x0, x1 = max 0 (cx - size / 2), min width (cx + size / 2)
        if y1 > y0 && x1 > x0 then
            for c in 0 .. channels - 1 do
                for y in y0 .. y1 - 1 do
                    sample.Slice(c * height * width + y * width + x0, x1 - x0).Clear()

    /// Circular shift of every plane: dst[c, y, x] = src[c, (y - dy) mod H, (x - dx) mod W], as torch.roll.
    let roll (channels: int, height: int, width: int) (dy: int) (dx: int) (src: ReadOnlySpan<float32>) (dst: Span<float32>) =
        let plane = height * width
        let sy = ((dy % height) + height) % height
        let sx = ((dx % width) + width) % width
        for c in 0 .. channels - 1 do
            for y in 0 .. height - 1 do
                let from = src.Slice(c * plane + ((y - sy + height) % height) * width, width)
                let row = dst.Slice(c * plane + y * width, width)
                // Columns [sx, W) come from [0, W - sx), columns [0, sx) from [W - sx, W).
                from.Slice(0, width - sx).CopyTo(row.Slice sx)
                from.Slice(width - sx).CopyTo(row.Slice(0, sx))

    /// Rotation by angle degrees and horizontal shear by shear degrees about the image centre, every plane
    /// alike: dst(p) = src(M^-1 (p - c) + c) with M = rotation x shear, nearest neighbour, 0 outside.
    let affine (channels: int, height: int, width: int) (angle: float) (shear: float) (src: ReadOnlySpan<float32>) (dst: Span<float32>) =
        let a = angle * Math.PI / 180.0
        let t = tan (shear * Math.PI / 180.0)
        let ca, sa = cos a, sin a
        // M = [[ca, ca*t - sa], [sa, sa*t + ca]], det 1, so M^-1 = [[m11, -m01], [-m10, m00]].
        let m00, m01, m10, m11 = ca, ca * t - sa, sa, sa * t + ca
        let cx, cy = float (width - 1) / 2.0, float (height - 1) / 2.0
        let plane = height * width
        for y in 0 .. height - 1 do
            for x in 0 .. width - 1 do
                let u, v = float x - cx, float y - cy
                let sx = int (Math.Round(m11 * u - m01 * v + cx))
                let sy = int (Math.Round(-m10 * u + m00 * v + cy))
                let inside = sx >= 0 && sx < width && sy >= 0 && sy < height
                for c in 0 .. channels - 1 do
                    dst[c * plane + y * width + x] <- if inside then src[c * plane + sy * width + sx] else 0.0f

    /// Random crop, flip, roll, rotation and shear, in place, using scratch (same length as sample).
    let geometric (aug: Augmentation) (rng: Rng) (shape: int * int * int) (sample: Span<float32>) (scratch: Span<float32>) =
        if aug.CropPadding > 0 then
            let p = aug.CropPadding
            let dy = rng.NextInt(2 * p + 1)
            let dx = rng.NextInt(2 * p + 1)
            sample.CopyTo scratch
            crop shape p dy dx (Span.op_Implicit scratch) sample
        if aug.HorizontalFlip && rng.Chance 0.5 then flipHorizontal shape sample
        if aug.Roll > 0 then
            let dy = rng.NextInt(-aug.Roll, aug.Roll)
            let dx = rng.NextInt(-aug.Roll, aug.Roll)
            sample.CopyTo scratch
            roll shape dy dx (Span.op_Implicit scratch) sample
        if aug.Rotation > 0.0 || aug.Shear > 0.0 then
            let angle = if aug.Rotation > 0.0 then rng.Uniform(-aug.Rotation, aug.Rotation) else 0.0
            let shear = if aug.Shear > 0.0 then rng.Uniform(-aug.Shear, aug.Shear) else 0.0
            sample.CopyTo scratch
            affine shape angle shear (Span.op_Implicit scratch) sample

    /// Cutout at a random centre, in place.
    let erase (aug: Augmentation) (rng: Rng) (shape: int * int * int) (sample: Span<float32>) =
        if aug.CutoutSize > 0 then
            let _, h, w = shape
            let cy = rng.NextInt h
            let cx = rng.NextInt w
            cutoutAt shape aug.CutoutSize cy cx sample
