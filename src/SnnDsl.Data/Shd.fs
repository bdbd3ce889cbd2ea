namespace SnnDsl.Data

open System
open System.IO
open PureHDF
open PureHDF.Selections
open PureHDF.VOL.Native

/// Reader of the Spiking Heidelberg Digits (SHD) and Spiking Speech Commands (SSC) HDF5 files: per sample,
/// variable-length `spikes/times` (seconds, float) and `spikes/units` (channel 0..699), and `labels`;
/// `extra/keys` names the classes when present. Events come out as x = unit, y = 0, p = 0 and t in
/// microseconds (seconds x 10^6, rounded), on a 700 x 1 x 1 sensor.
[<RequireQualifiedAccess>]
module Shd =
    /// Channels of the cochlea model.
    [<Literal>]
    let Channels = 700
    /// The SHD/SSC "sensor": 700 channels in a row, one polarity.
    let sensor = { Width = Channels; Height = 1; Polarities = 1 }

    /// An open SHD/SSC file: its sample count, labels and class names; samples are read one at a time.
    [<Sealed>]
    type File internal (path: string, file: NativeFile, times: IH5Dataset, units: IH5Dataset, labels: int[], keys: string[] option) =
        let readDoubles (i: int) : float[] =
            let sel = HyperslabSelection(uint64 i, 1UL)
            let t = times.Type
            match t.Class with
            | H5DataTypeClass.VariableLength when t.VariableLength.BaseType.Class = H5DataTypeClass.FloatingPoint ->
                match t.VariableLength.BaseType.Size with
                | 4 -> (times.Read<float32[][]>(fileSelection = sel))[0] |> Array.map float
                | 8 -> (times.Read<float[][]>(fileSelection = sel))[0]
                | 2 -> (times.Read<Half[][]>(fileSelection = sel))[0] |> Array.map float
                | s -> raise (DataFileException(path, $"spikes/times holds {s}-byte floats; expected 2, 4 or 8"))
            | c -> raise (DataFileException(path, $"spikes/times is {c}; expected variable-length floats (seconds)"))
        let readUnits (i: int) : int[] =
            let sel = HyperslabSelection(uint64 i, 1UL)
            let t = units.Type
            match t.Class with
            | H5DataTypeClass.VariableLength when t.VariableLength.BaseType.Class = H5DataTypeClass.FixedPoint ->
                match t.VariableLength.BaseType.Size with
                | 1 -> (units.Read<byte[][]>(fileSelection = sel))[0] |> Array.map int
                | 2 -> (units.Read<uint16[][]>(fileSelection = sel))[0] |> Array.map int
                | 4 -> (units.Read<int[][]>(fileSelection = sel))[0]
                | 8 -> (units.Read<int64[][]>(fileSelection = sel))[0] |> Array.map (fun v -> if v < 0L || v > int64 Int32.MaxValue then -1 else int v)
                | s -> raise (DataFileException(path, $"spikes/units holds {s}-byte integers; expected 1, 2, 4 or 8"))
            | c -> raise (DataFileException(path, $"spikes/units is {c}; expected variable-length integers (channels)"))

        /// The file.
        member _.Path = path
        /// Number of samples.
        member _.Count = labels.Length
        /// Every label.
        member _.Labels = labels
        /// The class names of extra/keys, when present.
        member _.Keys = keys

        /// The events of sample i.
        member _.Events(i: int) : Events =
            if i < 0 || i >= labels.Length then raise (ArgumentOutOfRangeException("i", $"{path} has samples 0..{labels.Length - 1}"))
            let ts, us =
                try readDoubles i, readUnits i
                with
                | :? DataFileException -> reraise ()
                | e -> raise (DataFileException(path, $"sample {i}: cannot read its spikes ({e.Message})", e))
            if ts.Length <> us.Length then
                raise (DataFileException(path, $"sample {i}: {ts.Length} spike times but {us.Length} units"))
            let n = ts.Length
            let xs = Array.zeroCreate<uint16> n
            let tt = Array.zeroCreate<int64> n
            for k in 0 .. n - 1 do
                if us[k] < 0 || us[k] >= Channels then
                    raise (DataFileException(path, $"sample {i}: spike {k} is on unit {us[k]}, outside 0..{Channels - 1}"))
                if not (Double.IsFinite ts[k]) || ts[k] < 0.0 || ts[k] > 1e6 then
                    raise (DataFileException(path, $"sample {i}: spike {k} has time {ts[k]} s"))
                xs[k] <- uint16 us[k]
                tt[k] <- int64 (Math.Round(ts[k] * 1e6))
            EventCounter.add (int64 n)
            { X = xs; Y = Array.zeroCreate n; P = Array.zeroCreate n; T = tt }

        interface IDisposable with
            member _.Dispose() = file.Dispose()

    let private readLabels (path: string) (ds: IH5Dataset) : int[] =
        let t = ds.Type
        if t.Class <> H5DataTypeClass.FixedPoint then raise (DataFileException(path, $"labels is {t.Class}; expected integers"))
        match t.Size with
        | 1 -> ds.Read<byte[]>() |> Array.map int
        | 2 -> ds.Read<uint16[]>() |> Array.map int
        | 4 -> ds.Read<int[]>()
        | 8 -> ds.Read<int64[]>() |> Array.map int
        | s -> raise (DataFileException(path, $"labels holds {s}-byte integers"))

    /// Opens a file, checking its layout (a missing dataset, mismatched lengths or a non-HDF5 file is a
    /// DataFileException naming what was expected).
    let openFile (path: string) : File =
        if not (IO.File.Exists path) then raise (DataFileException(path, "file not found"))
        use probe = IO.File.OpenRead path
        let sig' = Array.zeroCreate<byte> 8
        let n = probe.Read(sig', 0, 8)
        if n < 8 || sig' <> [| 0x89uy; 0x48uy; 0x44uy; 0x46uy; 0x0Duy; 0x0Auy; 0x1Auy; 0x0Auy |] then
            raise (DataFileException(path, "wrong magic: expected the HDF5 signature \\x89HDF\\r\\n\\x1a\\n at offset 0"))
        probe.Dispose()
        let file =
            try H5File.OpenRead path
            with e -> raise (DataFileException(path, $"corrupt or truncated HDF5 file ({e.Message})", e))
        try
            let need (name: string) =
                if not (file.LinkExists name) then
                    raise (DataFileException(path, $"missing dataset '{name}' (expected spikes/times, spikes/units and labels)"))
                file.Dataset name
            let times = need "spikes/times"
            let units = need "spikes/units"
            let labels = readLabels path (need "labels")
            let count (ds: IH5Dataset) = ds.Space.Dimensions |> Array.fold (*) 1UL
            if count times <> uint64 labels.Length || count units <> uint64 labels.Length then
                raise (DataFileException(path,
                    $"spikes/times has {count times} samples, spikes/units {count units}, labels {labels.Length}; expected equal counts"))
            let keys =
                if file.LinkExists "extra/keys" then
                    try Some((file.Dataset "extra/keys").Read<string[]>()) with _ -> None
                else None
            new File(path, file, times, units, labels, keys)
        with
        | :? DataFileException ->
            file.Dispose()
            reraise ()
        | e ->
            file.Dispose()
            raise (DataFileException(path, $"corrupt or truncated HDF5 file ({e.Message})", e))
