namespace SnnDsl.Data

open System

/// The images of an idx3 file: Count images of Rows x Columns uint8 pixels, row-major, one after another.
type IdxImages =
    { /// Number of images.
      Count: int
      /// Rows of each image (28 for MNIST).
      Rows: int
      /// Columns of each image (28 for MNIST).
      Columns: int
      /// Every image's pixels, Count x Rows x Columns bytes, row-major, one image after another.
      Pixels: byte[] }

/// Reader of the idx format of MNIST and Fashion-MNIST (gzipped or plain): a big-endian int32 magic
/// (2051 images, 2049 labels), big-endian int32 dimensions, then uint8 data.
[<RequireQualifiedAccess>]
module Idx =
    /// Magic number of an idx file of uint8 images (type 0x08, 3 dimensions).
    [<Literal>]
    let ImagesMagic = 2051
    /// Magic number of an idx file of uint8 labels (type 0x08, 1 dimension).
    [<Literal>]
    let LabelsMagic = 2049

    let private checkMagic (src: ByteSource) (expected: int) (kind: string) =
        let magic = src.ReadInt32BigEndian "the idx magic number"
        if magic <> expected then
            raise (DataFileException(src.Path,
                $"bad magic number {magic} (0x{magic:X8}); an idx {kind} file starts with {expected} (0x{expected:X8})"))

    /// Checks the promised data length against a plain file's length before reading it.
    let private checkLength (src: ByteSource) (header: int64) (data: int64) (promise: string) =
        if not src.Gzipped then
            match src.LengthHint with
            | Some len when len <> header + data ->
                let verdict = if len < header + data then "truncated" else "too long"
                raise (DataFileException(src.Path,
                    $"{verdict}: the header promises {promise} ({data} bytes after the {header}-byte header) but the file holds {len - header} bytes of data"))
            | _ -> ()

    let private readData (src: ByteSource) (data: int64) (promise: string) =
        let buffer = Array.zeroCreate<byte> (int data)
        src.ReadExactly(Span<byte>(buffer), promise)
        src.ExpectEnd promise
        buffer

    /// Reads an idx3 file of uint8 images.
    let readImages (path: string) : IdxImages =
        use src = ByteSource.Open path
        checkMagic src ImagesMagic "images"
        let n = src.ReadInt32BigEndian "the image count"
        let rows = src.ReadInt32BigEndian "the row count"
        let cols = src.ReadInt32BigEndian "the column count"
        if n < 0 || rows <= 0 || cols <= 0 then
            raise (DataFileException(path, $"implausible dimensions {n} x {rows} x {cols} in the header"))
        let data = int64 n * int64 rows * int64 cols
        if data > int64 Array.MaxLength then
            raise (DataFileException(path, $"implausible dimensions {n} x {rows} x {cols}: {data} bytes"))
        let promise = $"{n} images of {rows}x{cols}"
        checkLength src 16L data promise
        { Count = n; Rows = rows; Columns = cols; Pixels = readData src data promise }

    /// Reads an idx1 file of uint8 labels.
    let readLabels (path: string) : byte[] =
        use src = ByteSource.Open path
        checkMagic src LabelsMagic "labels"
        let n = src.ReadInt32BigEndian "the label count"
        if n < 0 then raise (DataFileException(path, $"implausible label count {n} in the header"))
        let promise = $"{n} labels"
        checkLength src 8L (int64 n) promise
        readData src (int64 n) promise

    /// Raises a DataFileException naming path when a label is not below classes.
    let checkLabels (path: string) (classes: int) (labels: byte[]) =
        let bad = labels |> Array.tryFindIndex (fun l -> int l >= classes)
        match bad with
        | Some i -> raise (DataFileException(path, $"label {labels[i]} of sample {i} is out of range 0..{classes - 1}"))
        | None -> ()
