/// Export of zoo and coded networks (BatchNorm folded, pooling and flatten mapped), what is refused and why,
/// import refusals of graphs that are not chains (the `snn nir` commands: tests/SnnDsl.Cli.Tests/NirCommandTests.fs).
module SnnDsl.Nir.Tests.ExportTests

open System.IO
open Expecto
open SnnDsl.Core
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Backends
open SnnDsl.Training
open SnnDsl.Nir
open SnnDsl.Nir.Tests.Helpers

let private input = { Channels = 2; Height = 8; Width = 8; Classes = 3 }

let private zoo (model: ZooModel) (neuron: Neuron) =
    let spec = NetworkSpec.Zoo(model, neuron, input)
    let net = NetworkSpec.build Backend.Eager spec
    randomize 11 net
    spec, net

let private usageError (f: unit -> unit) =
    let e = Expect.raises<SnnException> f
    Expect.equal e.Kind ErrorKind.Usage "a usage error"
    e.Message

let private types (g: NirGraph) = g.Nodes |> List.map (snd >> NirNode.typeName)

let private chainOf (nodes: (string * NirNode) list) (edges: (string * string) list) : NirGraph = { Nodes = nodes; Edges = edges }
let private lifNode n = NirNode.LIF(NirArray.full [| n |] 2.0f, NirArray.full [| n |] 1.0f, NirArray.full [| n |] 0.0f, NirArray.full [| n |] 1.0f, NirArray.full [| n |] 0.0f)

[<Tests>]
let tests =
    testSequenced
    <| testList "NIR export" [
        testCase "the small-conv zoo model exports as Conv2d, LIF, AvgPool2d, Flatten and Affine nodes, BatchNorm folded" <| fun () ->
            let _, net = zoo ZooModel.SmallConv Builtins.lif
            use _ = net
            let g = NirExport.ofModule 1.0 [| 2; 8; 8 |] net
            Expect.equal (types g) [ "Input"; "Conv2d"; "LIF"; "AvgPool2d"; "Conv2d"; "LIF"; "AvgPool2d"; "Flatten"; "Affine"; "Output" ] "node types"
            Expect.equal g.Edges (g.Nodes |> List.map fst |> List.pairwise) "a chain"

        testCase "an exported trained zoo network reads back as a NIRGraph in the independent reader (nir.read's way)" <| fun () ->
            let _, net = zoo ZooModel.SmallConv Builtins.daLif
            use _ = net
            use dir = new TempDir()
            NirFile.write (dir.File "small.nir") (NirExport.ofModule 1.0 [| 2; 8; 8 |] net)
            let out = independent [ "check"; dir.File "small.nir" ]
            Expect.stringContains out "10 nodes" "every node"
            Expect.stringContains out "0 Conv2d bias=(32,) dilation=(2,) groups=() padding=(2,) stride=(2,) weight=(32, 2, 3, 3)" "the first conv"
            Expect.stringContains out "1 LIF r=(32, 8, 8) tau=(32, 8, 8)" "DA-LIF as LIF, per neuron"
            Expect.stringContains out "input->0 0->1" "edges"

        testCase "BatchNorm folded into the conv gives the outputs of conv then BatchNorm (exported, imported, run)" <| fun () ->
            let _, net = zoo ZooModel.SmallConv Builtins.lif
            use _ = net
            let imported = NirImport.ofGraph 1.0 (NirExport.ofModule 1.0 [| 2; 8; 8 |] net)
            use back = NirImport.build Backend.Eager imported
            let x = randomInputs 5 4 128 0.0 1.0
            let expected = forward net [| 2; 8; 8 |] x
            Expect.isGreaterThan (cells expected |> Seq.map abs |> Seq.sum) 0.0 "the original's outputs are not all 0"
            expectTable "outputs" 1e-4 expected (forward back [| 2; 8; 8 |] x)

        testCase "the fc zoo model exports (flatten of [C, H, W], two LIF layers)" <| fun () ->
            let _, net = zoo ZooModel.Fc Builtins.plif
            use _ = net
            Expect.equal (types (NirExport.ofModule 0.5 [| 2; 8; 8 |] net)) [ "Input"; "Flatten"; "Affine"; "LIF"; "Affine"; "LIF"; "Affine"; "Output" ] "node types"

        yield!
            theory "a neuron NIR cannot express is refused with the reason"
                [ "ar-lif", "input-dependent threshold"; "lif-soft", "soft reset"; "leaky-lif-soft", "soft reset"; "alif", "adaptive threshold" ]
                (fun (name, why) ->
                    let n = Builtins.find name |> Fail.orUsage
                    use net = NetworkSpec.build Backend.Eager (NetworkSpec.Sequential([| 3 |], 2, [ LayerSpec.Linear(3, 2, true); LayerSpec.Spiking(n, 2, [| 2 |]) ]))
                    let message = usageError (fun () -> NirExport.ofModule 1.0 [| 3 |] net |> ignore)
                    Expect.stringContains message $"neuron '{name}'" "names the neuron"
                    Expect.stringContains message why "says why")

        testCase "a user-defined neuron is refused, even one named like a built-in" <| fun () ->
            let own = { Builtins.lif with Bindings = Builtins.lif.Bindings |> List.map (fun b -> if b.Name = "H" then { b with Expr = State "V" + Input } else b) }
            use net = NetworkSpec.build Backend.Eager (NetworkSpec.Sequential([| 2 |], 2, [ LayerSpec.Spiking(own, 2, [| 2 |]) ]))
            let message = usageError (fun () -> NirExport.ofModule 1.0 [| 2 |] net |> ignore)
            Expect.stringContains message "user-defined neuron" "says why"

        testCase "a residual network is refused, naming the block that is not a chain" <| fun () ->
            let _, net = zoo ZooModel.ResNet20 Builtins.lif
            use _ = net
            let message = usageError (fun () -> NirExport.ofModule 1.0 [| 2; 8; 8 |] net |> ignore)
            Expect.stringContains message "not a chain" "says why"

        testCase "max pooling is refused: NIR has none" <| fun () ->
            use net = NetworkSpec.build Backend.Eager (NetworkSpec.Sequential([| 1; 4; 4 |], 16, [ LayerSpec.MaxPool2d(2, 2, 0) ]))
            Expect.stringContains (usageError (fun () -> NirExport.ofModule 1.0 [| 1; 4; 4 |] net |> ignore)) "no max pooling" "says why"

        testCase "a graph with a skip connection is refused on import, naming the edges" <| fun () ->
            let g =
                chainOf [ "in", NirNode.Input [| 2L |]; "a", lifNode 2; "b", lifNode 2; "out", NirNode.Output [| 2L |] ]
                        [ "in", "a"; "a", "b"; "in", "b"; "b", "out" ]
            let message = usageError (fun () -> NirImport.ofGraph 1.0 g |> ignore)
            Expect.stringContains message "in -> b" "names the skip edge"

        testCase "a recurrent edge is refused on import, naming it" <| fun () ->
            let g =
                chainOf [ "in", NirNode.Input [| 2L |]; "a", lifNode 2; "out", NirNode.Output [| 2L |] ]
                        [ "in", "a"; "a", "a"; "a", "out" ]
            let message = usageError (fun () -> NirImport.ofGraph 1.0 g |> ignore)
            Expect.stringContains message "a -> a" "names the edge"

        testCase "a node the importer does not support is refused, naming the node and its type" <| fun () ->
            let g = chainOf [ "in", NirNode.Input [| 2L |]; "s", NirNode.Scale(NirArray.full [| 2 |] 2.0f); "out", NirNode.Output [| 2L |] ] [ "in", "s"; "s", "out" ]
            let message = usageError (fun () -> NirImport.ofGraph 1.0 g |> ignore)
            Expect.stringContains message "node 's': NIR Scale" "names node and type"

    ]
