/// Learning-rate schedules as functions of the (fractional) epoch.
module SnnDsl.Nn.Tests.ScheduleTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Nn
open SnnDsl.Nn.Tests.Helpers

let private rate s warm epoch = Schedule.rate s 0.1 warm 6 epoch

[<Tests>]
let tests =
    testSequenced <| testList "Schedule" [
        testCase "cosine starts at the base rate, ends at the minimum and is halfway at the midpoint" <| fun () ->
            let s = Schedule.Cosine 0.002
            expectNear 1e-12 1e-12 0.1 (rate s 0.0 0.0)
            expectNear 1e-12 1e-12 0.002 (rate s 0.0 6.0)
            expectNear 1e-12 1e-12 ((0.1 + 0.002) / 2.0) (rate s 0.0 3.0)
            expectNear 1e-12 1e-12 (0.002 + 0.5 * 0.098 * (1.0 + cos (Math.PI * 1.5 / 6.0))) (rate s 0.0 1.5)
            // Past the end it stays at the minimum.
            expectNear 1e-12 1e-12 0.002 (rate s 0.0 7.0)

        testCase "cosine is non-increasing over the run" <| fun () ->
            let rates = [ for e in 0 .. 60 -> rate (Schedule.Cosine 0.0) 0.0 (float e / 10.0) ]
            Expect.isTrue (List.pairwise rates |> List.forall (fun (a, b) -> b <= a)) "List.pairwise rates |> List.forall (fun (a, b) -> b <= a)"

        testCase "step multiplies by gamma every stepEpochs epochs" <| fun () ->
            let s = Schedule.Step(2, 0.1)
            expectNear 1e-12 1e-12 0.1 (rate s 0.0 0.0)
            expectNear 1e-12 1e-12 0.1 (rate s 0.0 1.99)
            expectNear 1e-12 1e-12 0.01 (rate s 0.0 2.0)
            expectNear 1e-12 1e-12 0.01 (rate s 0.0 3.5)
            expectNear 1e-12 1e-12 0.001 (rate s 0.0 4.5)

        testCase "constant is the base rate" <| fun () ->
            for e in [ 0.0; 2.5; 5.99 ] do
                Expect.equal (rate Schedule.Constant 0.0 e) 0.1 "rate Schedule.Constant 0.0 e"

        testCase "warm-up scales linearly up to the scheduled rate over the warm-up epochs" <| fun () ->
            let s = Schedule.Cosine 0.0
            let cosine e = 0.5 * 0.1 * (1.0 + cos (Math.PI * e / 6.0))
            expectNear 1e-6 1e-6 (cosine 0.5 * 0.25) (rate s 2.0 0.5)
            expectNear 1e-6 1e-6 (cosine 1.0 * 0.5) (rate s 2.0 1.0)
            expectNear 1e-6 1e-6 (0.1 * 0.75) (rate Schedule.Constant 2.0 1.5)
            expectNear 1e-12 1e-12 (cosine 2.0) (rate s 2.0 2.0)
            expectNear 1e-12 1e-12 (cosine 4.0) (rate s 2.0 4.0)
            Expect.isTrue (rate s 2.0 0.0 < 1e-9) "rate s 2.0 0.0 < 1e-9"
    ]
