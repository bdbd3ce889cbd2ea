/// The acceptance test: NIR files written by an independent writer (h5py, in nir.write's layout) run through
/// the importer with the outputs that NIR's equations give (computed by the same independent script).
module SnnDsl.Nir.Tests.IndependentWriterTests

open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Backends
open SnnDsl.Nir
open SnnDsl.Nir.Tests.Helpers

let private written =
    lazy
        (let dir = new TempDir()
         independent [ "write"; dir.Path ] |> ignore
         dir)

let private runCase (backend: Backend) (name: string) =
    let dir = written.Force()
    let x = readCsv (dir.File $"{name}.x.csv")
    let expected = readCsv (dir.File $"{name}.expected.csv")
    let actual = NirRun.runFile backend 0.5 (dir.File $"{name}.nir") x
    expected, actual

[<Tests>]
let tests =
    testSequenced
    <| testList "NIR files from an independent writer" [
        testCase "an h5py-written chain of Affine, LIF, Linear, CubaLIF, Affine and IF gives the spikes of NIR's equations (eager)" <| fun () ->
            let expected, actual = runCase Backend.Eager "spiking"
            Expect.isGreaterThan (cells expected |> Seq.sum) 10.0 "the reference fires"
            expectTable "output spikes" 0.0 expected actual

        testCase "an h5py-written chain gives the same spikes on the fused kernels" <| fun () ->
            let expected, actual = runCase Backend.Auto "spiking"
            expectTable "output spikes" 0.0 expected actual

        testCase "an h5py-written chain of Affine, LI and I gives the membrane of NIR's equations" <| fun () ->
            let expected, actual = runCase Backend.Eager "continuous"
            expectTable "output" 1e-4 expected actual

        testCase "the h5py file reads as the graph it holds: node names, types and edges" <| fun () ->
            let g = NirFile.read ((written.Force()).File "spiking.nir")
            let types = g.Nodes |> List.map (fun (n, node) -> n, NirNode.typeName node) |> Map.ofList
            Expect.equal types["cuba"] "CubaLIF" "CubaLIF node"
            Expect.equal types["fc2"] "Linear" "Linear node"
            Expect.equal g.Edges.Length 7 "edges"
            Expect.equal (NirImport.chain g |> List.map fst) [ "input"; "fc1"; "lif"; "fc2"; "cuba"; "fc3"; "if"; "output" ] "chain order"
    ]
