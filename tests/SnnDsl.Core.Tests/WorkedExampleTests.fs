/// Hand-computed traces (an independent python3 calculation of the equations of docs/science.md, pasted as literals).
module SnnDsl.Core.Tests.WorkedExampleTests

open Expecto
open SnnDsl.TestKit
open SnnDsl.Core

let private xs = array2D [ [ 0.9 ]; [ 1.6 ]; [ -0.4 ]; [ 2.2 ]; [ 0.3 ] ]

let private expectColumn (name: string) (expected: float[]) (actual: float[,]) =
    for t in 0 .. expected.Length - 1 do
        let a = actual[t, 0]
        Expect.isTrue (abs (a - expected[t]) <= 1e-12) ($"{name} at step {t + 1}: expected {expected[t]}, got {a}")

// Rows are steps; columns H, theta, S, M, V.
let private checkArLif (raw: Map<string, float>) (rows: float[][]) =
    let trace = Oracle.run Builtins.arLif raw xs
    let col i = rows |> Array.map (fun r -> r[i])
    expectColumn "H" (col 0) trace.Values["H"]
    expectColumn "theta" (col 1) trace.Values["theta"]
    expectColumn "S" (col 2) trace.Spikes
    expectColumn "M" (col 3) trace.States["M"]
    expectColumn "V" (col 4) trace.States["V"]

[<Tests>]
let tests =
    testList "WorkedExample" [
        testCase "AR-LIF with a = 0 and c = 1 follows the hand-computed trace" <| fun () ->
            checkArLif Map.empty
                [| [| 0.9; 1.0; 0.0; -0.7109495026250039; 0.9 |]
                   [| 2.0500000000000003; 1.0; 1.0; 0.7125919395947431; 0.37902636945309753 |]
                   [| -0.21048681527345126; 1.0; 0.0; -0.11534040122377537; -0.21048681527345126 |]
                   [| 2.0947565923632747; 1.0; 1.0; 0.8887442494429825; 0.3861256305905558 |]
                   [| 0.4930628152952779; 1.0; 0.0; -0.06391003335974332; 0.4930628152952779 |] |]

        testCase "AR-LIF with a = 0.5 and c = -0.7 follows the hand-computed trace" <| fun () ->
            checkArLif (Map [ "a", 0.5; "c", -0.7 ])
                [| [| 0.9; 1.3310135355277726; 0.0; -0.7109495026250039; 0.9 |]
                   [| 2.0500000000000003; 1.425918852298261; 1.0; 0.2959704821896797; 0.05062397424859855 |]
                   [| -0.37468801287570075; 0.8244190656587247; 0.0; -0.23274346935894308; -0.37468801287570075 |]
                   [| 2.01265599356215; 1.4509076414661184; 1.0; 0.7085934738376977; -0.10834194239191453 |]
                   [| 0.24582902880404273; 1.1346205563401162; 0.0; -0.25721082324726946; 0.24582902880404273 |] |]

        testCase "DA-LIF with alpha = beta = tanh 1 follows the hand-computed trace" <| fun () ->
            let trace = Oracle.run Builtins.daLif Map.empty xs
            expectColumn "H" [| 0.6854347403601884; 1.7405737420766; -0.30463766238230594; 1.4434968797482934; 0.22847824678672946 |] trace.Values["H"]
            expectColumn "theta" [| 1.0; 1.0; 1.0; 1.0; 1.0 |] trace.Values["theta"]
            expectColumn "S" [| 0.0; 1.0; 0.0; 1.0; 0.0 |] trace.Spikes
            expectColumn "V" [| 0.6854347403601884; 0.0; -0.30463766238230594; 0.0; 0.22847824678672946 |] trace.States["V"]

        testCase "a single step returns the spike, the new state and every intermediate" <| fun () ->
            let s = Oracle.step Builtins.daLif Map.empty (Oracle.initialState Builtins.daLif) 0.9
            Expect.equal s.Spike 0.0 "s.Spike"
            Expect.equalRounded 12 (s.State["V"]) 0.6854347403601884 "s.State[\"V\"]"
            Expect.equal (s.Values |> Map.keys |> List.ofSeq : string list) ([ "H"; "S"; "theta" ]) "s.Values |> Map.keys |> List.ofSeq"
    ]
