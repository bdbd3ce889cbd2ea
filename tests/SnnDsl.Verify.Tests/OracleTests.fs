/// The oracle with per-column parameter values and initial states, and its rule for non-finite inputs.
module SnnDsl.Verify.Tests.OracleTests

open Expecto
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests.Generators
open SnnDsl.TestKit

let private columnCase =
    gen {
        let! n = neuron everything
        let! x = inputs 10 4 3.0
        let N = Array2D.length2 x
        let! raw =
            n.Params
            |> List.map (fun p -> Gen.arrayOfLength N (floatIn -1.5 1.5) |> Gen.map (fun v -> p.Name, v))
            |> Gen.sequenceToList
        let! init = n.States |> List.map (fun s -> Gen.arrayOfLength N (floatIn -1.0 1.0) |> Gen.map (fun v -> s.Name, v)) |> Gen.sequenceToList
        return n, Map.ofList raw, Map.ofList init, x
    }

let private dataError (f: unit -> unit) =
    try
        f ()
        failtest "no error"
    with :? SnnException as e -> e

[<Tests>]
let tests =
    testList "oracle" [
        lawOn 200 "a run with one value per column equals each column run alone from its own values and initial states" <| fun () ->
            forAll columnCase (fun (n, raw, init, x) ->
                let whole = Oracle.runWith n raw init x
                Seq.forall
                    (fun j ->
                        let one = Oracle.runWith n (raw |> Map.map (fun _ v -> [| v[j] |])) (init |> Map.map (fun _ v -> [| v[j] |])) x[*, j .. j]
                        one.Spikes[*, 0] = whole.Spikes[*, j]
                        && one.States |> Map.forall (fun k v -> v[*, 0] = whole.States[k].[*, j]))
                    (seq { 0 .. Array2D.length2 x - 1 }))

        lawOn 200 "runWith with shared values equals run with the same raw values" <| fun () ->
            forAll (Gen.zip (neuron everything) (inputs 10 4 3.0) |> Gen.bind (fun (n, x) -> rawParams n |> Gen.map (fun r -> n, r, x)))
                (fun (n, raw, x) ->
                    let a = Oracle.run n raw x
                    let b = Oracle.runWith n (raw |> Map.map (fun _ v -> [| v |])) Map.empty x
                    a.Spikes = b.Spikes && a.States = b.States && a.Values = b.Values)

        test "a NaN or infinite input is a data error naming the cell, not silent zero spikes" {
            for bad in [ nan; infinity; -infinity ] do
                let e = dataError (fun () -> Oracle.run Builtins.lif Map.empty (array2D [ [ 0.5; 1.0 ]; [ 1.0; bad ] ]) |> ignore)
                Expect.equal e.Kind ErrorKind.Data "a data error"
                Expect.stringContains e.Message "x[1, 1] (step 2, neuron 1)" "names the cell"
        }

        test "a wrong number of per-column values names the parameter and what is valid" {
            let e = dataError (fun () -> Oracle.runWith Builtins.daLif (Map [ "alpha", [| 1.0; 2.0 |] ]) Map.empty (Array2D.zeroCreate 2 3) |> ignore)
            Expect.equal e.Kind ErrorKind.Usage "a usage error"
            Expect.stringContains e.Message "parameter 'alpha' has 2 values; give 1 (shared) or 3 (one per column)" "names it"
        }
    ]
