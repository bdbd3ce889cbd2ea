namespace SnnDsl.Data

open System

/// Training-time augmentation of static images (torchvision's RandomCrop(padding), RandomHorizontalFlip
/// and Cutout). Crop and flip act on [0,1] pixels before normalisation (padding is black); cutout acts
/// after it (the hole is 0 in normalised units), as in the usual CIFAR pipelines.
type Augmentation =
    { /// Zero padding of a random crop back to the original size; 0 disables the crop.
      CropPadding: int
      /// Flip left-right with probability 1/2.
      HorizontalFlip: bool
      /// Side of one square hole zeroed at a random centre (clipped at the border); 0 disables cutout.
      CutoutSize: int }

    /// No augmentation.
    static member None = { CropPadding = 0; HorizontalFlip = false; CutoutSize = 0 }
    /// Random crop with padding 4 and horizontal flip (the usual CIFAR recipe).
    static member Standard = { CropPadding = 4; HorizontalFlip = true; CutoutSize = 0 }
    /// Standard plus one 16x16 cutout hole (DeVries and Taylor's CIFAR-10 setting).
    static member StandardCutout = { Augmentation.Standard with CutoutSize = 16 }

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

    /// Random crop and flip, in place, using scratch (same length as sample) for the crop.
    let geometric (aug: Augmentation) (rng: Rng) (shape: int * int * int) (sample: Span<float32>) (scratch: Span<float32>) =
        if aug.CropPadding > 0 then
            let p = aug.CropPadding
            let dy = rng.NextInt(2 * p + 1)
            let dx = rng.NextInt(2 * p + 1)
            sample.CopyTo scratch
            crop shape p dy dx (Span.op_Implicit scratch) sample
        if aug.HorizontalFlip && rng.Chance 0.5 then flipHorizontal shape sample

    /// Cutout at a random centre, in place.
    let erase (aug: Augmentation) (rng: Rng) (shape: int * int * int) (sample: Span<float32>) =
        if aug.CutoutSize > 0 then
            let _, h, w = shape
            let cy = rng.NextInt h
            let cx = rng.NextInt w
            cutoutAt shape aug.CutoutSize cy cx sample
