/// Round trips over random chains: export then import gives the same outputs; import then export gives the
/// same file; and per neuron, the exported node integrated back with the same dt reproduces the neuron.
module SnnDsl.Nir.Tests.RoundTripTests

open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Backends
open SnnDsl.Nir
open SnnDsl.Nir.Tests.Helpers

/// A hidden spiking layer of a random chain: a built-in neuron, its option values and learned raw values.
type Hidden =
    { Neuron: string
      Options: (string * float) list
      Learned: (string * float) list
      Width: int }

let private between (lo: float) (hi: float) = Gen.choose (0, 1000) |> Gen.map (fun k -> lo + (hi - lo) * float k / 1000.0)

/// The built-in neurons that NIR expresses.
let private kinds = [ "if"; "lif"; "leaky-lif"; "plif"; "da-lif" ]

let private hiddenOf (kind: string) : Gen<Hidden> =
    gen {
        let! threshold = between 0.5 1.5
        let! reset = between -0.3 0.3
        let! width = Gen.choose (1, 6)
        let! a = between 0.0 1.0
        let! b = between 0.0 1.0
        let common = [ "threshold", threshold; "reset", reset ]
        let options, learned =
            match kind with
            | "lif" -> ("tau", 1.2 + 4.0 * a) :: common, []
            | "leaky-lif" -> ("decay", 0.1 + 0.85 * a) :: common, []
            | "plif" -> common, [ "w", -1.5 + 3.0 * a ]
            | "da-lif" -> common, [ "alpha", 0.1 + 1.4 * a; "beta", 0.1 + 1.4 * b ]
            | _ -> common, []
        return { Neuron = kind; Options = options; Learned = learned; Width = width }
    }

let private hidden = Gen.elements kinds |> Gen.bind hiddenOf

/// A random chain: features, hidden spiking layers (each after a linear layer), outputs, dt, seed.
let private chains =
    gen {
        let! features = Gen.choose (1, 5)
        let! layers = Gen.choose (1, 3)
        let! hiddens = Gen.listOfLength layers hidden
        let! outputs = Gen.choose (1, 4)
        let! dt = Gen.elements [ 0.25; 0.5; 1.0; 2.0 ]
        let! seed = Gen.choose (0, 100000)
        return features, hiddens, outputs, dt, seed
    }

let private neuronOf (h: Hidden) =
    let n = Builtins.find h.Neuron |> Fail.orUsage
    h.Options |> List.fold (fun n (k, v) -> Neuron.withParam k v n |> Fail.orUsage) n

/// The network of a chain, built on the eager backend with seeded weights and the chain's learned values.
let build (features: int, hiddens: Hidden list, outputs: int, _dt: float, seed: int) : Module =
    let mutable width = features
    let layers =
        [ for h in hiddens do
              yield LayerSpec.Linear(width, h.Width, true)
              yield LayerSpec.Spiking(neuronOf h, h.Width, [| h.Width |])
              width <- h.Width
          yield LayerSpec.Linear(width, outputs, true) ]
    let net = NetworkSpec.build Backend.Eager (NetworkSpec.Sequential([| features |], outputs, layers))
    randomize seed net
    use _ = Autograd.noGrad ()
    let spiking = (net :?> Sequential).Layers |> Array.choose (function :? SpikingLayer as s -> Some s | _ -> None)
    for layer, h in Array.zip spiking (List.toArray hiddens) do
        for name, t in layer.NamedParameters() do
            match h.Learned |> List.tryFind (fst >> (=) name) with
            | Some(_, v) -> t.Fill v
            | None -> ()
    net

let private exported (dt: float) (features: int) (net: Module) = NirExport.ofModule dt [| features |] net

let private fileBytes (graph: NirGraph) =
    use dir = new TempDir()
    NirFile.write (dir.File "g.nir") graph
    File.ReadAllBytes(dir.File "g.nir")

[<Tests>]
let tests =
    testSequenced
    <| testList "NIR round trips" [
        lawOn 60 "export then import gives the same outputs as the original chain on random inputs" <| fun () ->
            forAll chains (fun ((features, _, _, dt, seed) as chain) ->
                use net = build chain
                let imported = NirImport.ofGraph dt (exported dt features net)
                use back = NirImport.build Backend.Eager imported
                let x = randomInputs seed 12 features 0.0 2.0
                let expected = forward net [| features |] x
                expectTable "outputs" 0.0 expected (forward back [| features |] x)
                true)

        lawOn 60 "import then export gives the same file, byte for byte" <| fun () ->
            forAll chains (fun ((features, _, _, dt, _) as chain) ->
                use net = build chain
                let graph = exported dt features net
                use back = NirImport.build Backend.Eager (NirImport.ofGraph dt graph)
                let again = exported dt features back
                Expect.equal again graph "the graph"
                Expect.equal (fileBytes again) (fileBytes graph) "the file's bytes"
                true)

        lawOn 60 "a NIR file written and read gives the graph that was written" <| fun () ->
            forAll chains (fun ((features, _, _, dt, _) as chain) ->
                use net = build chain
                let graph = exported dt features net
                use dir = new TempDir()
                NirFile.write (dir.File "g.nir") graph
                Expect.equal (NirFile.read (dir.File "g.nir")) graph "read back"
                true)

        yield!
            lawRowsOn 40 "the dt formula: the exported node integrated with the same dt reproduces the neuron's trace"
                kinds
                (fun kind ->
                    let cases =
                        gen {
                            let! h = hiddenOf kind
                            let! dt = between 0.05 3.0
                            let! seed = Gen.choose (0, 100000)
                            return h, dt, seed
                        }
                    forAll cases (fun (h, dt, seed) ->
                        let spec = NetworkSpec.Sequential([| h.Width |], h.Width, [ LayerSpec.Spiking(neuronOf h, h.Width, [| h.Width |]) ])
                        use net = NetworkSpec.build Backend.Eager spec
                        do
                            use _ = Autograd.noGrad ()
                            for layer in (net :?> Sequential).Layers do
                                for name, t in layer.NamedParameters() do
                                    h.Learned |> List.tryFind (fst >> (=) name) |> Option.iter (fun (_, v) -> t.Fill v)
                        use back = NirImport.build Backend.Eager (NirImport.ofGraph dt (exported dt h.Width net))
                        let x = randomInputs seed 30 h.Width -0.5 2.0
                        expectTable "spikes" 0.0 (forward net [| h.Width |] x) (forward back [| h.Width |] x)
                        true))
    ]
