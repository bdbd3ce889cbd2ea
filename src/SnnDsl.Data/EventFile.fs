namespace SnnDsl.Data

open System
open System.IO
open System.Text

/// A single event file of any supported format, detected from its first bytes (N-MNIST, which has no
/// magic, from its .bin/.bs2 extension), with its events and sensor.
type EventFileContent =
    { /// aedat2, aedat3.1, aedat4, hdf5-shd or nmnist.
      Format: string
      /// Details of the format (AEDAT 4's compression, the HDF5 sample read), or "".
      Detail: string
      /// The sensor the format or header names; where the file names none, the smallest one holding every event.
      Sensor: SensorSize
      /// Every event of the file (for SHD/SSC, of the chosen sample), as recorded.
      Events: Events }

/// Reading one event file whatever its format (what `snn events` shows).
[<RequireQualifiedAccess>]
module EventFile =
    /// The format of a file from its first bytes and extension, or an Error naming what was expected.
    let detect (path: string) : Result<string, string> =
        if not (File.Exists path) then raise (DataFileException(path, "file not found"))
        let head =
            use s = File.OpenRead path
            let b = Array.zeroCreate<byte> 16
            let n = s.Read(b, 0, b.Length)
            b[.. n - 1]
        let text = Encoding.ASCII.GetString head
        let ext = Path.GetExtension(path).ToLowerInvariant()
        if text.StartsWith "#!AER-DAT4.0" then Ok "aedat4"
        elif text.StartsWith "#!AER-DAT3.1" then Ok "aedat3.1"
        elif text.StartsWith "#!AER-DAT2" then Ok "aedat2"
        elif head.Length >= 8 && head[..7] = [| 0x89uy; 0x48uy; 0x44uy; 0x46uy; 0x0Duy; 0x0Auy; 0x1Auy; 0x0Auy |] then Ok "hdf5-shd"
        elif ext = ".bin" || ext = ".bs2" then Ok "nmnist"
        else
            Error "unknown event format: expected a #!AER-DAT2.0, #!AER-DAT3.1 or #!AER-DAT4.0 header, the HDF5 signature (SHD/SSC), or an N-MNIST .bin/.bs2 file"

    /// The smallest sensor holding every event, with 2 polarities.
    let private fitted (e: Events) =
        let maxOf (a: uint16[]) = if a.Length = 0 then 0 else int (Array.max a)
        { Width = maxOf e.X + 1; Height = maxOf e.Y + 1; Polarities = 2 }

    /// Reads a file: all its events (for SHD/SSC, those of sample `sample`) as recorded, without remapping.
    let read (sample: int) (path: string) : EventFileContent =
        match detect path with
        | Error e -> raise (DataFileException(path, e))
        | Ok "aedat4" ->
            let e, h = Aedat4.readWithHeader path
            { Format = "aedat4"; Detail = Aedat4.compressionName h.Compression; Sensor = h.Sensor |> Option.defaultWith (fun () -> fitted e); Events = e }
        | Ok "aedat3.1" ->
            let e, s = Aedat31.readWithHeader path
            { Format = "aedat3.1"; Detail = ""; Sensor = s |> Option.defaultWith (fun () -> fitted e); Events = e }
        | Ok "aedat2" -> { Format = "aedat2"; Detail = ""; Sensor = Aedat2.sensor; Events = Aedat2.read false path }
        | Ok "hdf5-shd" ->
            use f = Shd.openFile path
            if sample < 0 || sample >= f.Count then
                raise (DataFileException(path, $"sample {sample} does not exist; the file holds samples 0..{f.Count - 1}"))
            { Format = "hdf5-shd"; Detail = $"sample {sample} of {f.Count}, label {f.Labels[sample]}"; Sensor = Shd.sensor; Events = f.Events sample }
        | Ok _ -> { Format = "nmnist"; Detail = ""; Sensor = NMnist.sensor; Events = NMnist.readEvents path }
