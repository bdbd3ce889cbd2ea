/// Creation ops: zeros, ones, full, scalar, arange, rand, randn, empty.
module SnnDsl.Torch.Tests.CreationTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

let allDTypes =
    [ DType.Float32; DType.Float64; DType.Float16; DType.BFloat16; DType.Int64; DType.Int32; DType.UInt8; DType.Bool ]

/// A value every dtype represents exactly (bool holds only 0 and 1).
let representable (dt: DType) = if dt = DType.Bool then 1.0 else 5.0

let genCase = Gen.zip (genShape 0 4 4) (Gen.elements allDTypes)

let moments (xs: float[]) =
    let n = float xs.Length
    let mean = Array.sum xs / n
    let var = (xs |> Array.sumBy (fun x -> (x - mean) ** 2.0)) / (n - 1.0)
    mean, var

[<Tests>]
let tests =
    testSequenced <| testList "Creation" [
        lawOn 200 "zeros, ones and full have the requested shape and dtype and hold only their value" <| fun () ->
            forAll genCase (fun (shape, dt) ->
                use scope = new TensorScope()
                let n = Nd.size shape
                for t, v in
                    [ Tensor.Zeros(shape, dt), 0.0
                      Tensor.Ones(shape, dt), 1.0
                      Tensor.Full(shape, representable dt, dt), representable dt ] do
                    Expect.equal t.DType dt "t.DType"
                    Expect.equal t.Device (Torch.defaultDevice ()) "t.Device"
                    Expect.equal t.Dim shape.Length "t.Dim"
                    Expect.equal t.NumElements (int64 n) "t.NumElements"
                    assertTensor 0.0 shape (Array.create n v) t)

        testCase "creation defaults to float32 on the default device (the cpu unless SNNDSL_TEST_DEVICE moved it)" <| fun () ->
            use scope = new TensorScope()
            let made =
                [ Tensor.Zeros [| 2 |]; Tensor.Ones [| 2 |]; Tensor.Rand [| 2 |]; Tensor.Randn [| 2 |]; Tensor.Empty [| 2 |]
                  Tensor.Full([| 2 |], 1.0); Tensor.Arange(0.0, 2.0); Tensor.FromArray [| 1.0f; 2.0f |] ]
            for t in made do
                Expect.equal t.DType DType.Float32 "t.DType"
                Expect.equal t.Device (Torch.defaultDevice ()) "t.Device"
                assertShape [| 2 |] t
            Expect.equal (Tensor.Zeros([| 2 |], device = Device.Cpu).Device) Device.Cpu "an explicit device wins"

        testCase "a default device that libtorch cannot see is refused naming it, and the default stays" <| fun () ->
            let before = Torch.defaultDevice ()
            let missing = Device.Cuda(Torch.cudaDeviceCount ())
            let e = Expect.throwsC (fun () -> Torch.setDefaultDevice missing) id
            assertMessageContains (string missing) e
            assertMessageContains "CUDA device" e
            Expect.equal (Torch.defaultDevice ()) before "Torch.defaultDevice ()"

        testCase "full converts its value to the dtype" <| fun () ->
            use scope = new TensorScope()
            assertTensor 0.0 [| 3 |] (Array.create 3 (float (float32 0.1))) (Tensor.Full([| 3 |], 0.1, DType.Float32))
            assertTensor 0.0 [| 3 |] (Array.create 3 (float (toHalf 0.1))) (Tensor.Full([| 3 |], 0.1, DType.Float16))
            assertTensor 0.0 [| 2 |] [| -3.0; -3.0 |] (Tensor.Full([| 2 |], -3.0, DType.Int32))

        testCase "scalar is a 0-d tensor of one element" <| fun () ->
            use scope = new TensorScope()
            let s = Tensor.Scalar(2.5, DType.Float64)
            Expect.equal s.Dim 0 "s.Dim"
            assertShape [||] s
            Expect.equal s.NumElements 1L "s.NumElements"
            Expect.equal (s.ToScalar()) 2.5 "s.ToScalar()"
            Expect.equal (s.ToArray<float>() : float[]) ([| 2.5 |]) "s.ToArray<float>()"

        testCase "empty has the requested shape and dtype" <| fun () ->
            use scope = new TensorScope()
            let t = Tensor.Empty([| 3; 0; 2 |], DType.Int64)
            assertShape [| 3; 0; 2 |] t
            Expect.equal t.NumElements 0L "t.NumElements"
            Expect.equal t.DType DType.Int64 "t.DType"
            Expect.equal (Tensor.Empty([| 3; 4 |], DType.Float64).NumElements) 12L "Tensor.Empty([| 3; 4 |], DType.Float64).NumElements"

        // arange's elements are start + i * step for i < ceil((stop - start) / step). Start, stop and step are
        // multiples of 1/4, so float64 holds every element exactly and the count is not at a rounding edge.
        law "arange holds start + i * step below stop" <| fun () ->
            let gen =
                gen {
                    let! start = Gen.choose (-40, 40)
                    let! len = Gen.choose (0, 60)
                    let! step = Gen.choose (1, 12)
                    let! negative = Gen.elements [ false; true ]
                    let step = if negative then -step else step
                    return float start / 4.0, float (start + (if negative then -len else len)) / 4.0, float step / 4.0
                }
            forAll gen (fun (start, stop, step) ->
                use scope = new TensorScope()
                let count = int (ceil ((stop - start) / step)) |> max 0
                let expected = Array.init count (fun i -> start + float i * step)
                assertTensor 0.0 [| count |] expected (Tensor.Arange(start, stop, step, DType.Float64)))

        testCase "arange defaults to a step of one and float32, and takes integer dtypes" <| fun () ->
            use scope = new TensorScope()
            let t = Tensor.Arange(2.0, 7.0)
            Expect.equal t.DType DType.Float32 "t.DType"
            assertTensor 0.0 [| 5 |] [| 2.0; 3.0; 4.0; 5.0; 6.0 |] t
            let i = Tensor.Arange(0.0, 10.0, 3.0, DType.Int64)
            Expect.equal i.DType DType.Int64 "i.DType"
            Expect.equal (i.ToArray<int64>() : int64[]) ([| 0L; 3L; 6L; 9L |]) "i.ToArray<int64>()"

        // 200,000 samples: the standard error of the mean is about 0.0007 for U(0,1) and 0.0022 for N(0,1), so the
        // bounds below are more than six standard errors wide and a wrong distribution fails them.
        testCase "rand lies in [0, 1) with the mean and variance of U(0, 1)" <| fun () ->
            use scope = new TensorScope()
            for dt in [ DType.Float32; DType.Float64 ] do
                let t = Tensor.Rand([| 400; 500 |], dt)
                Expect.equal t.DType dt "t.DType"
                assertShape [| 400; 500 |] t
                let xs = values t
                for x in xs do Expect.isTrue (x >= 0.0 && x < 1.0) ($"{x} is outside [0, 1)")
                let mean, var = moments xs
                Expect.inRange mean (0.5 - 0.005) (0.5 + 0.005) "mean"
                Expect.inRange var (1.0 / 12.0 - 0.002) (1.0 / 12.0 + 0.002) "var"
                // Every tenth of the interval gets about a tenth of the samples.
                let counts = Array.countBy (fun x -> int (x * 10.0)) xs |> Map.ofArray
                for b in 0..9 do
                    Expect.inRange (float counts[b] / float xs.Length) 0.095 0.105 "float counts[b] / float xs.Length"

        testCase "randn has the mean, variance and one-sigma mass of N(0, 1)" <| fun () ->
            use scope = new TensorScope()
            for dt in [ DType.Float32; DType.Float64 ] do
                let t = Tensor.Randn([| 200_000 |], dt)
                Expect.equal t.DType dt "t.DType"
                let xs = values t
                let mean, var = moments xs
                Expect.inRange mean -0.015 0.015 "mean"
                Expect.inRange var 0.98 1.02 "var"
                let within1 = (xs |> Array.filter (fun x -> abs x < 1.0) |> Array.length |> float) / float xs.Length
                Expect.inRange within1 (0.6827 - 0.006) (0.6827 + 0.006) "within1"
                let skew = (xs |> Array.sumBy (fun x -> (x - mean) ** 3.0)) / float xs.Length
                Expect.inRange skew -0.04 0.04 "skew"
    ]
