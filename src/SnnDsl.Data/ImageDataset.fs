namespace SnnDsl.Data

open System

/// Static uint8 images held in memory, [C, H, W] planes per sample, scaled to [0,1] on access and then
/// optionally normalised per channel.
[<Sealed>]
type ImageDataset
    (name: string, classNames: string[], shape: int[], pixels: byte[], labels: byte[], normalization: Normalization option) =
    inherit Dataset(name, shape, classNames)
    do
        if shape.Length <> 3 then invalidArg "shape" "an image sample has the shape [C, H, W]"
        let size = shape[0] * shape[1] * shape[2]
        if int64 pixels.Length <> int64 labels.Length * int64 size then
            invalidArg "pixels" $"{labels.Length} samples of {size} bytes need {labels.Length * size} bytes, not {pixels.Length}"
        match labels |> Array.tryFindIndex (fun l -> int l >= classNames.Length) with
        | Some i -> invalidArg "labels" $"label {labels[i]} of sample {i} is out of range 0..{classNames.Length - 1}"
        | None -> ()
        match normalization with
        | Some n when n.Mean.Length <> shape[0] || n.Std.Length <> shape[0] ->
            invalidArg "normalization" $"{shape[0]} channels need {shape[0]} means and stds"
        | _ -> ()

    static let scale = Array.init 256 (fun v -> float32 v / 255.0f)
    let size = shape[0] * shape[1] * shape[2]

    /// The raw uint8 pixels of every sample, one after another.
    member _.Pixels = pixels

    override _.Count = labels.Length
    override _.Label(index) = int labels[index]
    override d.Normalization = normalization
    override d.CopyPixels(index, destination) =
        d.Check(index, destination.Length)
        let src = ReadOnlySpan<byte>(pixels, index * size, size)
        for i in 0 .. size - 1 do
            destination[i] <- scale[int src[i]]
