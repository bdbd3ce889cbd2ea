namespace SnnDsl.Data

open System

/// The records of a CIFAR binary file: Count images of 3x32x32 uint8 pixels (red, green, blue planes,
/// each row-major) and one label per image.
type CifarRecords =
    { /// Number of records (images) read.
      Count: int
      /// The pixels of every image, 3,072 bytes each, one image after another.
      Pixels: byte[]
      /// The label of each image (for CIFAR-100, the fine label).
      Labels: byte[] }

/// Reader of the CIFAR-10 and CIFAR-100 "binary version" (gzipped or plain): fixed-size records of label
/// byte(s) then 3,072 pixel bytes. CIFAR-10 has one label byte; CIFAR-100 two (coarse, then fine).
[<RequireQualifiedAccess>]
module Cifar =
    /// Bytes of pixels per record (3 planes of 32x32).
    [<Literal>]
    let PixelBytes = 3072

    /// Which label a CIFAR file carries.
    type Variant =
        /// One label byte, 10 classes.
        | Cifar10
        /// Two label bytes (coarse 0..19, fine 0..99); the fine label is used.
        | Cifar100

    /// Number of label bytes before the pixels of a record.
    let labelBytes variant = match variant with Cifar10 -> 1 | Cifar100 -> 2
    /// Size of one record in bytes (3,073 or 3,074).
    let recordBytes variant = labelBytes variant + PixelBytes
    /// Number of classes of the (fine) label.
    let classes variant = match variant with Cifar10 -> 10 | Cifar100 -> 100

    /// Reads every record of one file, checking that it holds whole records and labels in range.
    let read (variant: Variant) (path: string) : CifarRecords =
        use src = ByteSource.Open path
        let size = recordBytes variant
        let lb = labelBytes variant
        let ncls = classes variant
        let hint = src.LengthHint |> Option.defaultValue 0L
        if not src.Gzipped && hint % int64 size <> 0L then
            raise (DataFileException(path,
                $"truncated or corrupt: {hint} bytes is not a whole number of {size}-byte {variant} records ({hint / int64 size} records and {hint % int64 size} bytes left over)"))
        // A gzip trailer's size is only a hint (and may be corrupt): it presizes, capped, and nothing more.
        let capacity = if hint > 0L && hint % int64 size = 0L then int (min 65536L (hint / int64 size)) else 1024
        let mutable pixels = Array.zeroCreate<byte> (capacity * PixelBytes)
        let mutable labels = Array.zeroCreate<byte> capacity
        // Read many records per call: small reads from a GZipStream are slow.
        let chunk = Array.zeroCreate<byte> (size * 1024)
        let mutable n = 0
        let mutable fin = false
        while not fin do
            let got = src.ReadUpTo(Span<byte>(chunk))
            if got < chunk.Length then fin <- true
            let whole = got / size
            if n + whole > labels.Length then
                Array.Resize(&labels, max (n + whole) (2 * labels.Length))
                Array.Resize(&pixels, labels.Length * PixelBytes)
            for r in 0 .. whole - 1 do
                let off = r * size
                let label = chunk[off + lb - 1]
                if int label >= ncls then
                    raise (DataFileException(path, $"label {label} of record {n} is out of range 0..{ncls - 1}"))
                if variant = Cifar100 && int chunk[off] >= 20 then
                    raise (DataFileException(path, $"coarse label {chunk[off]} of record {n} is out of range 0..19"))
                labels[n] <- label
                Buffer.BlockCopy(chunk, off + lb, pixels, n * PixelBytes, PixelBytes)
                n <- n + 1
            if got % size <> 0 then
                raise (DataFileException(path,
                    $"truncated: record {n} has only {got % size} of its {size} bytes ({n} whole records before it)"))
        if labels.Length <> n then
            Array.Resize(&labels, n)
            Array.Resize(&pixels, n * PixelBytes)
        { Count = n; Pixels = pixels; Labels = labels }
