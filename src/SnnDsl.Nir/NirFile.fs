namespace SnnDsl.Nir

open System
open System.IO
open PureHDF
open SnnDsl.Core

/// NIR's HDF5 file in nir.write's layout: a `version` string, and a `node` group holding the graph. Each
/// node is a group with a `type` string and one dataset per parameter; a graph's `nodes` group holds its
/// nodes by name and `edges` is an [E, 2] array of strings. Arrays are written as float32, integers as
/// int64, strings as variable-length UTF-8 (h5py's string_dtype).
[<RequireQualifiedAccess>]
module NirFile =
    /// The NIR version this writer states (the layout of nir 1.0).
    let version = "1.0.0"

    // ---- reading ----

    let private fail (path: string) (where: string) (problem: string) : 'a =
        Fail.data $"{path}: {where}: {problem}"

    let private dims (ds: IH5Dataset) =
        match ds.Space.Type with
        | H5DataspaceType.Scalar -> [||]
        | _ -> ds.Space.Dimensions |> Array.map int

    let private readFloats (path: string) (where: string) (ds: IH5Dataset) : NirArray =
        let shape = dims ds
        let values =
            match ds.Type.Class, ds.Type.Size with
            | H5DataTypeClass.FloatingPoint, 4 -> ds.Read<float32[]>()
            | H5DataTypeClass.FloatingPoint, 8 -> ds.Read<float[]>() |> Array.map float32
            | H5DataTypeClass.FloatingPoint, 2 -> ds.Read<Half[]>() |> Array.map float32
            | H5DataTypeClass.FixedPoint, 8 -> ds.Read<int64[]>() |> Array.map float32
            | H5DataTypeClass.FixedPoint, 4 -> ds.Read<int[]>() |> Array.map float32
            | c, s -> fail path where $"holds {s}-byte {c} values; expected floating-point numbers"
        if values.Length <> NirArray.count shape then
            fail path where $"has {values.Length} values for shape [{Text.join (shape)}]"
        if values |> Array.exists (fun v -> not (Single.IsFinite v)) then fail path where "holds a value that is not finite"
        { Shape = shape; Values = values }

    let private readInts (path: string) (where: string) (ds: IH5Dataset) : NirInts =
        match ds.Type.Class, ds.Type.Size with
        | H5DataTypeClass.FixedPoint, 8 -> ds.Read<int64[]>()
        | H5DataTypeClass.FixedPoint, 4 -> ds.Read<int[]>() |> Array.map int64
        | H5DataTypeClass.FixedPoint, 2 -> ds.Read<int16[]>() |> Array.map int64
        | H5DataTypeClass.FixedPoint, 1 -> ds.Read<sbyte[]>() |> Array.map int64
        | H5DataTypeClass.FloatingPoint, 8 ->
            let v = ds.Read<float[]>()
            if v |> Array.exists (fun x -> x <> Math.Round x) then fail path where "holds a fraction; expected integers"
            v |> Array.map int64
        | c, s -> fail path where $"holds {s}-byte {c} values; expected integers"

    let private readString (path: string) (where: string) (ds: IH5Dataset) : string =
        match ds.Type.Class with
        | H5DataTypeClass.String
        | H5DataTypeClass.VariableLength ->
            try ds.Read<string>()
            with e -> fail path where $"is not a readable string ({e.Message})"
        | c -> fail path where $"is {c}; expected a string"

    /// A node's group: the node named `name` (its path in the file for messages).
    let rec private readNode (path: string) (where: string) (g: IH5Group) : NirNode =
        let field (name: string) : IH5Dataset =
            if not (g.LinkExists name) then fail path where $"missing field '{name}'"
            match g.Get name with
            | :? IH5Dataset as ds -> ds
            | _ -> fail path where $"field '{name}' is not a dataset"
        let has (name: string) = g.LinkExists name
        let at name = $"{where}/{name}"
        let floats name = readFloats path (at name) (field name)
        let ints name = readInts path (at name) (field name)
        let int1 name =
            match ints name with
            | [| v |] -> v
            | v -> fail path (at name) $"holds {v.Length} values; expected one integer"
        let optInts name = if has name then Some(ints name) else None
        let sameShape (arrays: (string * NirArray) list) =
            match arrays with
            | (first, a) :: rest ->
                for n, b in rest do
                    if b.Shape <> a.Shape then
                        fail path (at n) $"has shape [{Text.join (b.Shape)}], '{first}' has [{Text.join (a.Shape)}]; expected equal shapes"
            | [] -> ()
        let resetOf (threshold: NirArray) = if has "v_reset" then floats "v_reset" else NirArray.full threshold.Shape 0.0f
        let typeName = readString path (at "type") (field "type")
        match typeName with
        | "Input" -> NirNode.Input(ints "shape")
        | "Output" -> NirNode.Output(ints "shape")
        | "Affine" ->
            let w, b = floats "weight", floats "bias"
            if w.Shape.Length <> 2 then fail path (at "weight") $"has {w.Shape.Length} dimensions; expected [out, in]"
            if b.Values.Length <> w.Shape[0] then fail path (at "bias") $"has {b.Values.Length} values; weight has {w.Shape[0]} outputs"
            NirNode.Affine(w, b)
        | "Linear" ->
            let w = floats "weight"
            if w.Shape.Length <> 2 then fail path (at "weight") $"has {w.Shape.Length} dimensions; expected [out, in]"
            NirNode.Linear w
        | "Conv1d" | "Conv2d" ->
            let w, b = floats "weight", floats "bias"
            let rank = if typeName = "Conv1d" then 3 else 4
            if w.Shape.Length <> rank then fail path (at "weight") $"has {w.Shape.Length} dimensions; expected {rank}"
            if b.Values.Length <> w.Shape[0] then fail path (at "bias") $"has {b.Values.Length} values; weight has {w.Shape[0]} output channels"
            let args = w, b, ints "stride", ints "padding", ints "dilation", int1 "groups", optInts "input_shape"
            if typeName = "Conv1d" then NirNode.Conv1d args else NirNode.Conv2d args
        | "Flatten" -> NirNode.Flatten(int1 "start_dim", int1 "end_dim", optInts "input_type")
        | "SumPool2d" -> NirNode.SumPool2d(ints "kernel_size", ints "stride", ints "padding")
        | "AvgPool2d" -> NirNode.AvgPool2d(ints "kernel_size", ints "stride", ints "padding")
        | "Scale" -> NirNode.Scale(floats "scale")
        | "Threshold" -> NirNode.Threshold(floats "threshold")
        | "Delay" -> NirNode.Delay(floats "delay")
        | "I" -> NirNode.I(floats "r")
        | "LI" ->
            let tau, r, vl = floats "tau", floats "r", floats "v_leak"
            sameShape [ "tau", tau; "r", r; "v_leak", vl ]
            NirNode.LI(tau, r, vl)
        | "IF" ->
            let r, th = floats "r", floats "v_threshold"
            let vr = resetOf th
            sameShape [ "r", r; "v_threshold", th; "v_reset", vr ]
            NirNode.IF(r, th, vr)
        | "LIF" ->
            let tau, r, vl, th = floats "tau", floats "r", floats "v_leak", floats "v_threshold"
            let vr = resetOf th
            sameShape [ "tau", tau; "r", r; "v_leak", vl; "v_threshold", th; "v_reset", vr ]
            NirNode.LIF(tau, r, vl, th, vr)
        | "CubaLIF" ->
            let ts, tm, r, vl, th = floats "tau_syn", floats "tau_mem", floats "r", floats "v_leak", floats "v_threshold"
            let vr = resetOf th
            let w = if has "w_in" then floats "w_in" else NirArray.full th.Shape 1.0f
            sameShape [ "tau_syn", ts; "tau_mem", tm; "r", r; "v_leak", vl; "v_threshold", th; "v_reset", vr; "w_in", w ]
            NirNode.CubaLIF(ts, tm, r, vl, th, vr, w)
        | "NIRGraph" -> NirNode.Graph(readGraph path where g)
        | other ->
            fail path (at "type") $"unknown node type '{other}' (known: Input, Output, Affine, Linear, Conv1d, Conv2d, Flatten, SumPool2d, AvgPool2d, Scale, Threshold, Delay, I, LI, IF, LIF, CubaLIF, NIRGraph)"

    and private readGraph (path: string) (where: string) (g: IH5Group) : NirGraph =
        if not (g.LinkExists "nodes") then fail path where "missing group 'nodes'"
        let nodesGroup =
            match g.Get "nodes" with
            | :? IH5Group as n -> n
            | _ -> fail path $"{where}/nodes" "is not a group"
        let nodes =
            [ for child in nodesGroup.Children() do
                  match child with
                  | :? IH5Group as ng -> yield child.Name, readNode path $"{where}/nodes/{child.Name}" ng
                  | _ -> fail path $"{where}/nodes/{child.Name}" "is not a group (every node is a group)" ]
        let edges =
            if not (g.LinkExists "edges") then fail path where "missing field 'edges'"
            match g.Get "edges" with
            | :? IH5Dataset as ds ->
                let d = dims ds
                if d.Length = 1 && d[0] = 0 then []
                else
                    if d.Length <> 2 || d[1] <> 2 then
                        fail path $"{where}/edges" $"has shape [{Text.join (d)}]; expected [E, 2] (source, target)"
                    let flat =
                        try ds.Read<string[]>()
                        with e -> fail path $"{where}/edges" $"is not an array of strings ({e.Message})"
                    [ for i in 0 .. d[0] - 1 -> flat[2 * i], flat[2 * i + 1] ]
            | _ -> fail path $"{where}/edges" "is not a dataset"
        let names = nodes |> List.map fst |> Set.ofList
        for s, t in edges do
            for n in [ s; t ] do
                if not (names.Contains n) then
                    fail path $"{where}/edges" $"edge {s} -> {t} names node '{n}', which is not in the graph"
        { Nodes = nodes; Edges = edges }

    /// Reads a NIR file: the graph under `node`. A missing file, a file that is not HDF5, an unknown node
    /// type or a missing or malformed field is a data error naming the file, the node and the field.
    let read (path: string) : NirGraph =
        if not (File.Exists path) then Fail.data $"{path}: file not found"
        let file =
            try H5File.OpenRead path
            with e -> Fail.data $"{path}: not a readable HDF5 file ({e.Message})"
        use _ = file
        try
            if not (file.LinkExists "node") then fail path "/" "missing group 'node' (not a NIR file)"
            match file.Get "node" with
            | :? IH5Group as g ->
                match readNode path "node" g with
                | NirNode.Graph graph -> graph
                | other -> { Nodes = [ "node", other ]; Edges = [] }
            | _ -> fail path "node" "is not a group"
        with
        | :? SnnException -> reraise ()
        | e -> Fail.data $"{path}: corrupt NIR file ({e.Message})"

    /// The version string the file states.
    let readVersion (path: string) : string =
        use file = H5File.OpenRead path
        readString path "version" (file.Dataset "version")

    // ---- writing ----

    let private array (a: NirArray) : obj =
        if a.Shape.Length = 0 then box a.Values[0]
        else H5Dataset(box (Array.copy a.Values), fileDims = (a.Shape |> Array.map uint64)) :> obj

    let private ints (v: NirInts) : obj = box (Array.copy v)

    let rec private nodeGroup (node: NirNode) : H5Group =
        let g = H5Group()
        g["type"] <- NirNode.typeName node
        let put (name: string) (v: obj) = g[name] <- v
        match node with
        | NirNode.Input shape
        | NirNode.Output shape -> put "shape" (ints shape)
        | NirNode.Affine(w, b) ->
            put "weight" (array w)
            put "bias" (array b)
        | NirNode.Linear w -> put "weight" (array w)
        | NirNode.Conv1d(w, b, s, p, d, groups, inShape)
        | NirNode.Conv2d(w, b, s, p, d, groups, inShape) ->
            put "weight" (array w)
            put "bias" (array b)
            put "stride" (ints s)
            put "padding" (ints p)
            put "dilation" (ints d)
            put "groups" (box groups)
            inShape |> Option.iter (fun s -> put "input_shape" (ints s))
        | NirNode.Flatten(startDim, endDim, inShape) ->
            put "start_dim" (box startDim)
            put "end_dim" (box endDim)
            inShape |> Option.iter (fun s -> put "input_type" (ints s))
        | NirNode.SumPool2d(k, s, p)
        | NirNode.AvgPool2d(k, s, p) ->
            put "kernel_size" (ints k)
            put "stride" (ints s)
            put "padding" (ints p)
        | NirNode.Scale s -> put "scale" (array s)
        | NirNode.Threshold t -> put "threshold" (array t)
        | NirNode.Delay d -> put "delay" (array d)
        | NirNode.I r -> put "r" (array r)
        | NirNode.LI(tau, r, vl) ->
            put "tau" (array tau)
            put "r" (array r)
            put "v_leak" (array vl)
        | NirNode.IF(r, th, vr) ->
            put "r" (array r)
            put "v_threshold" (array th)
            put "v_reset" (array vr)
        | NirNode.LIF(tau, r, vl, th, vr) ->
            put "tau" (array tau)
            put "r" (array r)
            put "v_leak" (array vl)
            put "v_threshold" (array th)
            put "v_reset" (array vr)
        | NirNode.CubaLIF(ts, tm, r, vl, th, vr, w) ->
            put "tau_syn" (array ts)
            put "tau_mem" (array tm)
            put "r" (array r)
            put "v_leak" (array vl)
            put "v_threshold" (array th)
            put "v_reset" (array vr)
            put "w_in" (array w)
        | NirNode.Graph graph ->
            let nodes = H5Group()
            for name, n in graph.Nodes do
                nodes[name] <- nodeGroup n
            put "nodes" nodes
            let flat = graph.Edges |> List.collect (fun (s, t) -> [ s; t ]) |> List.toArray
            put "edges" (H5Dataset(box flat, fileDims = [| uint64 graph.Edges.Length; 2UL |]))
        g

    /// Writes a graph in nir.write's layout (uncompressed), through a temporary file renamed into place.
    let write (path: string) (graph: NirGraph) : unit =
        let file = H5File()
        file["version"] <- version
        file["node"] <- nodeGroup (NirNode.Graph graph)
        use buffer = new MemoryStream()
        file.Write(buffer)
        AtomicFile.writeBytes path (buffer.ToArray())
