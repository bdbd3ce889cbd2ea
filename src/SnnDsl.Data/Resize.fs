namespace SnnDsl.Data

open System
open System.Collections.Concurrent

/// Resizing of [planes, H, W] float32 images with an antialiased bilinear (triangle) filter, as PIL's
/// Image.resize(BILINEAR) and torchvision's Resize(antialias=True) do: when shrinking, the triangle widens
/// to the scale, so every input pixel contributes and event counts are averaged, not skipped.
[<RequireQualifiedAccess>]
module Resize =
    /// For each output index: the first input index and the normalised weights of the inputs from there.
    let private weightsCache = ConcurrentDictionary<struct (int * int), (int * float32[])[]>()

    /// The filter taps mapping inSize samples to outSize samples (half-pixel centres).
    let taps (inSize: int) (outSize: int) : (int * float32[])[] =
        if inSize <= 0 || outSize <= 0 then invalidArg "outSize" $"sizes must be positive, got {inSize} -> {outSize}"
        weightsCache.GetOrAdd(struct (inSize, outSize), fun _ ->
            let scale = float inSize / float outSize
            let filterScale = max scale 1.0
            let support = filterScale // the triangle's radius is 1 input pixel, widened by the scale
            Array.init outSize (fun i ->
                let center = (float i + 0.5) * scale
                let lo = max 0 (int (floor (center - support + 0.5)))
                let hi = min inSize (int (floor (center + support + 0.5)))
                let w = Array.init (hi - lo) (fun j -> max 0.0 (1.0 - abs ((float (lo + j) + 0.5 - center) / filterScale)))
                let total = Array.sum w
                lo, (if total > 0.0 then w |> Array.map (fun v -> float32 (v / total)) else Array.map float32 w)))

    /// Resizes planes images of inH x inW in src to outH x outW in dst (both row-major, plane after plane).
    let planes (count: int) (inH: int, inW: int) (outH: int, outW: int) (src: ReadOnlySpan<float32>) (dst: Span<float32>) =
        if src.Length <> count * inH * inW then invalidArg "src" $"{count} planes of {inH}x{inW} need {count * inH * inW} floats, got {src.Length}"
        if dst.Length <> count * outH * outW then invalidArg "dst" $"{count} planes of {outH}x{outW} need {count * outH * outW} floats, got {dst.Length}"
        let tx = taps inW outW
        let ty = taps inH outH
        // Horizontal pass into [count, inH, outW], then vertical into dst.
        let mid = Array.zeroCreate<float32> (count * inH * outW)
        for r in 0 .. count * inH - 1 do
            let row = src.Slice(r * inW, inW)
            for x in 0 .. outW - 1 do
                let lo, w = tx[x]
                let mutable acc = 0.0f
                for j in 0 .. w.Length - 1 do
                    acc <- acc + w[j] * row[lo + j]
                mid[r * outW + x] <- acc
        for c in 0 .. count - 1 do
            for y in 0 .. outH - 1 do
                let lo, w = ty[y]
                let out = dst.Slice((c * outH + y) * outW, outW)
                out.Clear()
                for j in 0 .. w.Length - 1 do
                    let srcRow = (c * inH + lo + j) * outW
                    let wj = w[j]
                    for x in 0 .. outW - 1 do
                        out[x] <- out[x] + wj * mid[srcRow + x]
