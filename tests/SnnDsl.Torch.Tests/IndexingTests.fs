/// Sub-tensors: narrow, Slice (with steps and Python-style bounds), Select, IndexSelect, t[i], t[a..b] and
/// t[a..b, c..d], against index arithmetic on .NET arrays.
module SnnDsl.Torch.Tests.IndexingTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

let genNdDim =
    gen {
        let! shape = genShape 1 4 5
        let! seed = genSeed
        let! dim = Gen.choose (0, shape.Length - 1)
        return Nd.random (Random seed) shape, dim
    }

/// Elements start, start + step, ... below stop along dim.
let stridedRef (a: Nd) dim start count step =
    Nd.init (Array.updateAt dim count a.Shape) (fun c -> Nd.get a (Array.updateAt dim (start + c[dim] * step) c))

[<Tests>]
let tests =
    testSequenced <| testList "Indexing" [
        law "narrow takes length elements from start along dim" <| fun () ->
            let gen =
                gen {
                    let! a, dim = genNdDim
                    let n = a.Shape[dim]
                    let! start = Gen.choose (0, n)
                    let! length = Gen.choose (0, n - start)
                    return a, dim, start, length
                }
            forAll gen (fun (a, dim, start, length) ->
                use scope = new TensorScope()
                let r = stridedRef a dim start length 1
                assertTensor 0.0 r.Shape r.Data (Nd.toTensor(a).Narrow(dim, start, length)))

        lawOn 400 "slice follows Python's rules: negative bounds count from the end, bounds are clamped" <| fun () ->
            let gen =
                gen {
                    let! a, dim = genNdDim
                    let n = a.Shape[dim]
                    let! start = Gen.choose (-n - 2, n + 2)
                    let! stop = Gen.choose (-n - 2, n + 2)
                    let! step = Gen.choose (1, 3)
                    return a, dim, start, stop, step
                }
            forAll gen (fun (a, dim, start, stop, step) ->
                use scope = new TensorScope()
                let n = a.Shape[dim]
                let clampIndex i = if i < 0 then max 0 (i + n) else min i n
                let s, e = clampIndex start, clampIndex stop
                let count = if e <= s then 0 else (e - s + step - 1) / step
                let r = stridedRef a dim s count step
                assertTensor 0.0 r.Shape r.Data (Nd.toTensor(a).Slice(dim, start, stop, step)))

        law "select removes dim at index, negative indices counting from the end" <| fun () ->
            let gen =
                gen {
                    let! a, dim = genNdDim
                    let n = a.Shape[dim]
                    let! i = Gen.choose (-n, n - 1)
                    return a, dim, i
                }
            forAll gen (fun (a, dim, i) ->
                use scope = new TensorScope()
                let i' = if i < 0 then i + a.Shape[dim] else i
                let r = Nd.init (Array.removeAt dim a.Shape) (fun c -> Nd.get a (Array.insertAt dim i' c))
                let t = Nd.toTensor a
                assertTensor 0.0 r.Shape r.Data (t.Select(dim, i))
                if dim = 0 then assertTensor 0.0 r.Shape r.Data t[i])

        law "index_select gathers the listed indices (repeats allowed) along dim" <| fun () ->
            let gen =
                gen {
                    let! a, dim = genNdDim
                    let! k = Gen.choose (0, 7)
                    let! index = Gen.arrayOfLength k (Gen.choose (0, a.Shape[dim] - 1))
                    return a, dim, index
                }
            forAll gen (fun (a, dim, index) ->
                use scope = new TensorScope()
                let r = Nd.init (Array.updateAt dim index.Length a.Shape) (fun c -> Nd.get a (Array.updateAt dim index[c[dim]] c))
                let t = Nd.toTensor a
                assertTensor 0.0 r.Shape r.Data (t.IndexSelect(dim, Tensor.FromArray(Array.map int64 index)))
                assertTensor 0.0 r.Shape r.Data (t.IndexSelect(dim, Tensor.FromArray index)))

        law "t[a..b] slices the first dim with an inclusive end" <| fun () ->
            let gen =
                gen {
                    let! a, _ = genNdDim
                    let n = a.Shape[0]
                    let! s = Gen.choose (0, n - 1)
                    let! e = Gen.choose (s, n - 1)
                    return a, s, e
                }
            forAll gen (fun (a, s, e) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                let n = a.Shape[0]
                let check (r: Nd) (actual: Tensor) = assertTensor 0.0 r.Shape r.Data actual
                check (stridedRef a 0 s (e - s + 1) 1) t[s..e]
                check (stridedRef a 0 s (n - s) 1) t[s..]
                check (stridedRef a 0 0 (e + 1) 1) t[..e])

        law "t[a..b, c..d] slices the first two dims with inclusive ends" <| fun () ->
            let gen =
                gen {
                    let! shape = genShape 2 4 5
                    let! seed = genSeed
                    let! s0 = Gen.choose (0, shape[0] - 1)
                    let! e0 = Gen.choose (s0, shape[0] - 1)
                    let! s1 = Gen.choose (0, shape[1] - 1)
                    let! e1 = Gen.choose (s1, shape[1] - 1)
                    return Nd.random (Random seed) shape, s0, e0, s1, e1
                }
            forAll gen (fun (a, s0, e0, s1, e1) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                let r = stridedRef (stridedRef a 0 s0 (e0 - s0 + 1) 1) 1 s1 (e1 - s1 + 1) 1
                assertTensor 0.0 r.Shape r.Data t[s0..e0, s1..e1]
                let all1 = stridedRef a 1 s1 (e1 - s1 + 1) 1
                assertTensor 0.0 all1.Shape all1.Data t[*, s1..e1])
    ]
