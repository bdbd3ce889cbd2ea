/// The HDF5 reader and writer: every node type reads back as written; bad files are data errors naming the
/// node and the field.
module SnnDsl.Nir.Tests.FileTests

open Expecto
open PureHDF
open SnnDsl.Core
open SnnDsl.TestKit
open SnnDsl.Nir
open SnnDsl.Nir.Tests.Helpers

let private a (shape: int[]) (values: float32[]) : NirArray = { Shape = shape; Values = values }
let private v (values: float32 list) = NirArray.ofArray (List.toArray values)

/// One node of every type the model has.
let everyNode : NirGraph =
    let nodes =
        [ "input", NirNode.Input [| 2L; 4L; 4L |]
          "conv", NirNode.Conv2d(a [| 1; 2; 3; 3 |] (Array.init 18 float32), v [ 0.5f ], [| 1L; 1L |], [| 1L; 1L |], [| 1L; 1L |], 1L, None)
          "conv1d", NirNode.Conv1d(a [| 1; 1; 2 |] [| 1.0f; 2.0f |], v [ 0.0f ], [| 1L |], [| 0L |], [| 1L |], 1L, Some [| 4L |])
          "sum", NirNode.SumPool2d([| 2L; 2L |], [| 2L; 2L |], [| 0L; 0L |])
          "avg", NirNode.AvgPool2d([| 2L; 2L |], [| 2L; 2L |], [| 0L; 0L |])
          "flat", NirNode.Flatten(0L, -1L, None)
          "aff", NirNode.Affine(a [| 2; 3 |] [| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.0f |], v [ 0.1f; 0.2f ])
          "lin", NirNode.Linear(a [| 2; 2 |] [| 1.0f; 0.0f; 0.0f; 1.0f |])
          "scale", NirNode.Scale(v [ 2.0f; 3.0f ])
          "thr", NirNode.Threshold(v [ 0.5f; 0.5f ])
          "delay", NirNode.Delay(v [ 1.0f; 2.0f ])
          "i", NirNode.I(v [ 1.0f; 2.0f ])
          "li", NirNode.LI(v [ 2.0f; 3.0f ], v [ 1.0f; 1.0f ], v [ 0.0f; 0.1f ])
          "if", NirNode.IF(v [ 1.0f; 1.0f ], v [ 1.0f; 0.5f ], v [ 0.0f; 0.0f ])
          "lif", NirNode.LIF(v [ 2.0f; 3.0f ], v [ 1.0f; 1.0f ], v [ 0.0f; 0.0f ], v [ 1.0f; 1.0f ], v [ 0.0f; 0.2f ])
          "cuba", NirNode.CubaLIF(v [ 1.0f; 2.0f ], v [ 2.0f; 3.0f ], v [ 1.0f; 1.0f ], v [ 0.0f; 0.0f ], v [ 1.0f; 1.0f ], v [ 0.0f; 0.0f ], v [ 1.0f; 2.0f ])
          "sub", NirNode.Graph { Nodes = [ "a", NirNode.Input [| 2L |]; "b", NirNode.Output [| 2L |] ]; Edges = [ "a", "b" ] }
          "output", NirNode.Output [| 2L |] ]
    { Nodes = nodes; Edges = nodes |> List.map fst |> List.pairwise }

let private writeRaw (path: string) (node: H5Group) =
    let file = H5File()
    file["version"] <- "1.0.0"
    file["node"] <- node
    file.Write path

let private graphWith (name: string) (node: H5Group) =
    let g = H5Group()
    g["type"] <- "NIRGraph"
    let nodes = H5Group()
    nodes[name] <- node
    g["nodes"] <- nodes
    g["edges"] <- H5Dataset(box [| name; name |], fileDims = [| 1UL; 2UL |])
    g

let private dataError (path: string) =
    (Expect.raises<SnnException> (fun () -> NirFile.read path |> ignore))

[<Tests>]
let tests =
    testList "NIR HDF5 files" [
        testCase "every node type reads back as written, in the file's order" <| fun () ->
            use dir = new TempDir()
            let path = dir.File "all.nir"
            NirFile.write path everyNode
            let back = NirFile.read path
            Expect.equal (back.Nodes |> List.map fst |> Set.ofList) (everyNode.Nodes |> List.map fst |> Set.ofList) "node names"
            for name, node in everyNode.Nodes do
                Expect.equal (back.Nodes |> List.find (fst >> (=) name) |> snd) node $"node {name}"
            Expect.equal back.Edges everyNode.Edges "edges"
            Expect.equal (NirFile.readVersion path) NirFile.version "version"

        testCase "the independent reader (h5py, as nir.read) accepts the written file" <| fun () ->
            use dir = new TempDir()
            let path = dir.File "all.nir"
            NirFile.write path { everyNode with Nodes = everyNode.Nodes |> List.filter (fun (n, _) -> n <> "conv1d" && n <> "scale" && n <> "thr" && n <> "delay") ; Edges = [] }
            let out = independent [ "check"; path ]
            Expect.stringContains out "cuba CubaLIF" "CubaLIF read"
            Expect.stringContains out "conv Conv2d" "Conv2d read"

        testCase "an unknown node type is a data error naming the node and listing the known types" <| fun () ->
            use dir = new TempDir()
            let node = H5Group()
            node["type"] <- "Dendrite"
            writeRaw (dir.File "bad.nir") (graphWith "d1" node)
            let e = dataError (dir.File "bad.nir")
            Expect.equal e.Kind ErrorKind.Data "data error"
            Expect.stringContains e.Message "node/nodes/d1/type" "names the node's field"
            Expect.stringContains e.Message "unknown node type 'Dendrite'" "names the type"

        testCase "a missing field is a data error naming the node and the field" <| fun () ->
            use dir = new TempDir()
            let node = H5Group()
            node["type"] <- "LIF"
            node["tau"] <- H5Dataset(box [| 2.0f |], fileDims = [| 1UL |])
            writeRaw (dir.File "bad.nir") (graphWith "lif0" node)
            let e = dataError (dir.File "bad.nir")
            Expect.stringContains e.Message "node/nodes/lif0: missing field 'r'" "names node and field"

        testCase "parameters of different shapes are a data error naming both fields" <| fun () ->
            use dir = new TempDir()
            let node = H5Group()
            node["type"] <- "LI"
            node["tau"] <- H5Dataset(box [| 2.0f; 2.0f |], fileDims = [| 2UL |])
            node["r"] <- H5Dataset(box [| 1.0f |], fileDims = [| 1UL |])
            node["v_leak"] <- H5Dataset(box [| 0.0f; 0.0f |], fileDims = [| 2UL |])
            writeRaw (dir.File "bad.nir") (graphWith "li0" node)
            let e = dataError (dir.File "bad.nir")
            Expect.stringContains e.Message "node/nodes/li0/r" "names the field"
            Expect.stringContains e.Message "'tau' has [2]" "names the other"

        testCase "a file that is not HDF5 is a data error naming the file" <| fun () ->
            use dir = new TempDir()
            let path = dir.Write("x.nir", "not hdf5")
            let e = dataError path
            Expect.equal e.Kind ErrorKind.Data "data error"
            Expect.stringContains e.Message path "names the file"

        testCase "an edge naming a missing node is a data error naming the edge" <| fun () ->
            use dir = new TempDir()
            NirFile.write (dir.File "e.nir") { Nodes = [ "a", NirNode.Input [| 1L |] ]; Edges = [ "a", "ghost" ] }
            let e = dataError (dir.File "e.nir")
            Expect.stringContains e.Message "edge a -> ghost" "names the edge"
    ]
