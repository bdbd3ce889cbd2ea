/// Reductions (sum, mean, max, min, argmax, norm), over everything or over dims, with and without keepDim.
module SnnDsl.Torch.Tests.ReductionTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// Folds the elements of a over `dims`: the result has those dims removed (or kept with size 1).
let reduceRef (a: Nd) (dims: int[]) (keepDim: bool) (f: float[] -> float) =
    let rank = a.Shape.Length
    let reduced = Array.init rank (fun d -> Array.contains d dims)
    let keptShape = Array.init rank (fun d -> if reduced[d] then 1 else a.Shape[d])
    let groups = Array.init (Nd.size keptShape) (fun _ -> ResizeArray<float>())
    for i in 0 .. a.Data.Length - 1 do
        let c = Nd.unravel a.Shape i
        let k = Array.init rank (fun d -> if reduced[d] then 0 else c[d])
        groups[Nd.ravel keptShape k].Add a.Data[i]
    let shape = if keepDim then keptShape else [| for d in 0 .. rank - 1 do if not reduced[d] then a.Shape[d] |]
    { Shape = shape; Data = groups |> Array.map (fun g -> f (g.ToArray())) }

/// A random array, a non-empty set of its dims (some written as negative), and keepDim.
let genReduction =
    gen {
        let! shape = genShape 1 4 4
        let! seed = genSeed
        let rank = shape.Length
        let! picks = Gen.arrayOfLength rank (Gen.elements [ false; true ]) |> Gen.where (Array.exists id)
        let! negative = Gen.arrayOfLength rank (Gen.elements [ false; true ])
        let dims = [| for d in 0 .. rank - 1 do if picks[d] then d |]
        let request = dims |> Array.map (fun d -> if negative[d] then d - rank else d)
        let! keepDim = Gen.elements [ false; true ]
        return { Shape = shape; Data = distinct (Random seed) (Nd.size shape) 0.1 }, dims, request, keepDim
    }

[<Tests>]
let tests =
    testSequenced <| testList "Reduction" [
        lawOn 200 "sum and mean of everything are 0-d" <| fun () ->
            forAll (Gen.map2 (fun s seed -> Nd.random (Random seed) s) (genShape 0 4 5) genSeed) (fun a ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                assertTensor 1e-13 [||] [| Array.sum a.Data |] (t.Sum())
                assertTensor 1e-13 [||] [| Array.average a.Data |] (t.Mean())
                assertTensor 0.0 [||] [| Array.max a.Data |] (t.Max())
                assertTensor 0.0 [||] [| Array.min a.Data |] (t.Min()))

        law "sum and mean over dims equal the sum and average of the reduced elements, with and without keepDim" <| fun () ->
            forAll genReduction (fun (a, dims, request, keepDim) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                let s = reduceRef a dims keepDim Array.sum
                assertTensor 1e-13 s.Shape s.Data (t.Sum(request, keepDim))
                let m = reduceRef a dims keepDim Array.average
                assertTensor 1e-13 m.Shape m.Data (t.Mean(request, keepDim))
                if dims.Length = 1 then
                    assertTensor 1e-13 s.Shape s.Data (t.Sum(request[0], keepDim))
                    assertTensor 1e-13 m.Shape m.Data (t.Mean(request[0], keepDim)))

        law "max over a dim gives the largest values and their indices; argmax agrees" <| fun () ->
            forAll genReduction (fun (a, dims, request, keepDim) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                let d, rd = dims[0], request[0]
                let v = reduceRef a [| d |] keepDim Array.max
                let i = reduceRef a [| d |] keepDim (fun xs -> float (Array.findIndex ((=) (Array.max xs)) xs))
                let values', indices = t.Max(rd, keepDim)
                assertTensor 0.0 v.Shape v.Data values'
                Expect.equal indices.DType DType.Int64 "indices.DType"
                assertTensor 0.0 i.Shape i.Data indices
                assertTensor 0.0 i.Shape i.Data (t.Argmax(rd, keepDim)))

        lawOn 200 "argmax without a dim indexes the flattened tensor" <| fun () ->
            forAll genReduction (fun (a, _, _, _) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                let expected = Array.findIndex ((=) (Array.max a.Data)) a.Data
                let r = t.Argmax()
                assertShape [||] r
                Expect.equal (r.ToScalar()) (float expected) "r.ToScalar()")

        lawOn 200 "norm is the p-norm of all elements" <| fun () ->
            forAll (Gen.map2 (fun s seed -> Nd.random (Random seed) s) (genShape 1 3 5) genSeed) (fun a ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                for p in [ 1.0; 2.0; 3.0 ] do
                    let expected = (a.Data |> Array.sumBy (fun x -> abs x ** p)) ** (1.0 / p)
                    assertTensor 1e-13 [||] [| expected |] (t.Norm p)
                assertTensor 1e-13 [||] [| sqrt (a.Data |> Array.sumBy (fun x -> x * x)) |] (t.Norm()))

        testCase "integer sums are exact int64" <| fun () ->
            use scope = new TensorScope()
            let xs = Array.init 1000 (fun i -> i * 1_000_003 % 2_000_000 - 1_000_000)
            let s = Tensor.FromArray(xs).Sum()
            Expect.equal s.DType DType.Int64 "s.DType"
            Expect.equal (s.ToArray<int64>() : int64[]) ([| xs |> Array.sumBy int64 |]) "s.ToArray<int64>()"
    ]
