/// The `snn nir` commands: export of a checkpoint's network, running an exported graph, a network trained by
/// `snn train` exported, read back by the independent reader and run the same after import, a missing file.
module SnnDsl.Cli.Tests.NirCommandTests

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

/// Runs `snn` in-process: the exit code and everything it printed.
let private cli (args: string list) =
    let o = SnnDsl.Cli.Tests.Cli.snn args
    o.Code, o.Out + o.Err

[<Tests>]
let tests =
    testSequenced
    <| testList "NIR commands" [
        testCase "snn nir export writes a checkpoint's network and snn nir run runs it with the network's outputs" <| fun () ->
            use dir = new TempDir()
            // Checkpoints store [C, H, W] inputs: three features as [3, 1, 1], flattened.
            let spec = NetworkSpec.Sequential([| 3; 1; 1 |], 2, [ LayerSpec.Flatten; LayerSpec.Linear(3, 4, true); LayerSpec.Spiking(Builtins.lif, 4, [| 4 |]); LayerSpec.Linear(4, 2, true) ])
            use net = NetworkSpec.build Backend.Eager spec
            randomize 3 net
            Checkpoint.saveModel (dir.File "net.snnt") spec net
            let code, text = cli [ "nir"; "export"; "--checkpoint"; dir.File "net.snnt"; "--out"; dir.File "net.nir"; "--dt"; "0.5" ]
            Expect.equal code 0 text
            let x = randomInputs 9 10 3 0.0 2.0
            let rows = [ for t in 0..9 -> System.String.Join(",", [ for j in 0..2 -> x[t, j].ToString("R", System.Globalization.CultureInfo.InvariantCulture) ]) ]
            File.WriteAllLines(dir.File "x.csv", rows)
            let code, text = cli [ "nir"; "run"; dir.File "net.nir"; "--input"; dir.File "x.csv"; "--out"; dir.File "y.csv"; "--dt"; "0.5"; "--backend"; "eager" ]
            Expect.equal code 0 text
            let expected = forward net [| 3; 1; 1 |] x
            Expect.isGreaterThan (cells expected |> Seq.map abs |> Seq.sum) 0.0 "the outputs are not all 0"
            expectTable "outputs" 1e-5 expected (readCsv (dir.File "y.csv"))

        testCase "a network trained by snn train exports, reads back as a NIRGraph (independent reader) and runs the same after import" <| fun () ->
            use dir = new TempDir()
            let code, text =
                cli [ "train"; "--epochs"; "1"; "--limit-train"; "64"; "--limit-test"; "16"; "--timesteps"; "2"; "--batch-size"; "32"
                      "--out"; dir.File "run"; "--no-report"; "--backend"; "eager" ]
            Expect.equal code 0 text
            let checkpoint = Path.Combine(dir.File "run", "checkpoint.snnt")
            let code, text = cli [ "nir"; "export"; "--checkpoint"; checkpoint; "--out"; dir.File "trained.nir" ]
            Expect.equal code 0 text
            let out = independent [ "check"; dir.File "trained.nir" ]
            Expect.stringContains out "edges input->0 0->1" "a graph with edges"
            Expect.stringContains out "1 LIF" "the trained DA-LIF as LIF"
            let spec, net = Checkpoint.loadNetwork checkpoint Device.Cpu Backend.Eager
            use _ = net
            let shape, _ = NetworkSpec.io spec
            use back = NirImport.build Backend.Eager (NirImport.ofGraph 1.0 (NirFile.read (dir.File "trained.nir")))
            let x = randomInputs 2 3 (Array.fold (*) 1 shape) 0.0 1.0
            expectTable "outputs" 1e-4 (forward net shape x) (forward back shape x)

        testCase "snn nir run on a missing file exits with the data error code, naming the file" <| fun () ->
            use dir = new TempDir()
            File.WriteAllText(dir.File "x.csv", "1,2\n")
            let code, text = cli [ "nir"; "run"; dir.File "none.nir"; "--input"; dir.File "x.csv"; "--out"; dir.File "y.csv" ]
            Expect.equal code 1 text
            Expect.stringContains text "none.nir" "names the file"
    ]
