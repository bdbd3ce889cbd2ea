/// Comparisons (bool results), logical and/or, Where and Clamp, against .NET comparisons with broadcasting.
module SnnDsl.Torch.Tests.ComparisonTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// Elements drawn from a handful of values, so equal pairs are common.
let smallValues (r: Random) n = Array.init n (fun _ -> float (r.Next 4) * 0.5)

let genPair =
    gen {
        let! out, shapes = genBroadcast 2
        let! seed = genSeed
        let r = Random seed
        return out, { Shape = shapes[0]; Data = smallValues r (Nd.size shapes[0]) }, { Shape = shapes[1]; Data = smallValues r (Nd.size shapes[1]) }
    }

let comparisons: (string * (Tensor -> Tensor -> Tensor) * (Tensor -> float -> Tensor) * (float -> float -> bool)) list =
    [ "eq", (fun a b -> a.Eq b), (fun a s -> a.Eq s), (=)
      "ne", (fun a b -> a.Ne b), (fun a s -> a.Ne s), (<>)
      "lt", (fun a b -> a.Lt b), (fun a s -> a.Lt s), (<)
      "le", (fun a b -> a.Le b), (fun a s -> a.Le s), (<=)
      "gt", (fun a b -> a.Gt b), (fun a s -> a.Gt s), (>)
      "ge", (fun a b -> a.Ge b), (fun a s -> a.Ge s), (>=) ]

[<Tests>]
let tests =
    testSequenced <| testList "Comparison" [
        law "comparisons broadcast and give the bool of the .NET comparison" <| fun () ->
            forAll genPair (fun (out, a, b) ->
                use scope = new TensorScope()
                let ta, tb = Nd.toTensor a, Nd.toTensor b
                let s = if b.Data.Length > 0 then b.Data[0] else 0.5
                for name, op, opScalar, reference in comparisons do
                    let t = op ta tb
                    Expect.isTrue (t.DType = DType.Bool) name
                    assertShape out t
                    let expected = Nd.init out (fun c -> if reference (broadcastGet a c) (broadcastGet b c) then 1.0 else 0.0)
                    Expect.isTrue (Array.map (fun v -> v = 1.0) expected.Data = t.ToArray<bool>()) ($"{name} (tensor)")
                    let ts = opScalar ta s
                    Expect.isTrue (Array.map (fun x -> reference x s) a.Data = ts.ToArray<bool>()) ($"{name} (scalar)"))

        lawOn 200 "logical and / or broadcast over bool tensors" <| fun () ->
            forAll genPair (fun (out, a, b) ->
                use scope = new TensorScope()
                let ba, bb = (Nd.toTensor a).Gt 0.5, (Nd.toTensor b).Gt 0.5
                let truth (x: Nd) c = broadcastGet x c > 0.5
                let expect f = (Nd.init out (fun c -> if f (truth a c) (truth b c) then 1.0 else 0.0)).Data |> Array.map ((=) 1.0)
                Expect.equal (ba.LogicalAnd(bb).ToArray<bool>() : bool[]) (expect (&&)) "ba.LogicalAnd(bb).ToArray<bool>()"
                Expect.equal (ba.LogicalOr(bb).ToArray<bool>() : bool[]) (expect (||)) "ba.LogicalOr(bb).ToArray<bool>()")

        law "where picks a where the condition holds, else b, broadcasting all three" <| fun () ->
            let gen =
                gen {
                    let! out, shapes = genBroadcast 3
                    let! seed = genSeed
                    let r = Random seed
                    return out, shapes |> Array.map (fun s -> Nd.random r s)
                }
            forAll gen (fun (out, nds) ->
                use scope = new TensorScope()
                let cond, a, b = nds[0], nds[1], nds[2]
                let expected = Nd.init out (fun c -> if broadcastGet cond c > 0.0 then broadcastGet a c else broadcastGet b c)
                let t = Tensor.Where((Nd.toTensor cond).Gt 0.0, Nd.toTensor a, Nd.toTensor b)
                assertTensor 0.0 out expected.Data t)

        law "clamp is min(max(x, lo), hi), with either bound optional" <| fun () ->
            let gen =
                gen {
                    let! shape = genShape 0 3 5
                    let! seed = genSeed
                    let r = Random seed
                    let lo, hi = r.NextDouble() * 2.0 - 1.0, r.NextDouble() * 2.0 - 1.0
                    return Nd.random r shape, lo, hi
                }
            forAll gen (fun (a, lo, hi) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                assertTensor 0.0 a.Shape (a.Data |> Array.map (fun x -> max x lo)) (t.Clamp(min = lo))
                assertTensor 0.0 a.Shape (a.Data |> Array.map (fun x -> min x hi)) (t.Clamp(max = hi))
                // lo > hi is allowed: everything becomes hi
                assertTensor 0.0 a.Shape (a.Data |> Array.map (fun x -> min (max x lo) hi)) (t.Clamp(lo, hi)))

        // The bounds are floating-point scalars, so an integer tensor is promoted to the default float dtype, as
        // torch.clamp(int_tensor, -1.0, 4.0) does since libtorch 1.13.
        testCase "clamp of an integer tensor by float bounds promotes to float32" <| fun () ->
            use scope = new TensorScope()
            let t = Tensor.FromArray([| -5L; 0L; 3L; 9L |]).Clamp(-1.0, 4.0)
            Expect.equal t.DType DType.Float32 "t.DType"
            Expect.equal (t.ToArray<float32>() : float32[]) ([| -1.0f; 0.0f; 3.0f; 4.0f |]) "t.ToArray<float32>()"

        // A float scalar keeps its value against an integer tensor (as a Python scalar does in torch): x < 2.5 holds
        // for x = 2, and no integer equals 2.5.
        testCase "an integer tensor is compared with a fractional scalar's exact value" <| fun () ->
            use scope = new TensorScope()
            let xs = [| -3L .. 3L |]
            let t = Tensor.FromArray xs
            for s in [ 2.5; -2.5; 0.5; 2.0 ] do
                let v = float
                Expect.equal (t.Eq(s).ToArray<bool>() : bool[]) (xs |> Array.map (fun x -> v x = s)) "t.Eq(s).ToArray<bool>()"
                Expect.equal (t.Ne(s).ToArray<bool>() : bool[]) (xs |> Array.map (fun x -> v x <> s)) "t.Ne(s).ToArray<bool>()"
                Expect.equal (t.Lt(s).ToArray<bool>() : bool[]) (xs |> Array.map (fun x -> v x < s)) "t.Lt(s).ToArray<bool>()"
                Expect.equal (t.Le(s).ToArray<bool>() : bool[]) (xs |> Array.map (fun x -> v x <= s)) "t.Le(s).ToArray<bool>()"
                Expect.equal (t.Gt(s).ToArray<bool>() : bool[]) (xs |> Array.map (fun x -> v x > s)) "t.Gt(s).ToArray<bool>()"
                Expect.equal (t.Ge(s).ToArray<bool>() : bool[]) (xs |> Array.map (fun x -> v x >= s)) "t.Ge(s).ToArray<bool>()"
        lawOn 100 "comparison masks equal the bool comparison converted to the dtype, against tensors, scalars and in place" <| fun () ->
            forAll genSeed (fun seed ->
                use scope = new TensorScope()
                let r = Random seed
                let a = Tensor.FromArray(smallValues r 12, [| 3; 4 |])
                let b = Tensor.FromArray(smallValues r 4, [| 4 |])
                let s = float (r.Next 4) * 0.5
                let cases (b: Tensor) =
                    [ (fun (x: Tensor) -> x.LtMask b), (fun (x: Tensor) -> x.Lt b), (fun (x: Tensor) -> x.LtMask s), (fun (x: Tensor) -> x.Lt s), (fun (x: Tensor) -> x.LtMaskInPlace s)
                      (fun x -> x.LeMask b), (fun x -> x.Le b), (fun x -> x.LeMask s), (fun x -> x.Le s), (fun x -> x.LeMaskInPlace s)
                      (fun x -> x.GtMask b), (fun x -> x.Gt b), (fun x -> x.GtMask s), (fun x -> x.Gt s), (fun x -> x.GtMaskInPlace s)
                      (fun x -> x.GeMask b), (fun x -> x.Ge b), (fun x -> x.GeMask s), (fun x -> x.Ge s), (fun x -> x.GeMaskInPlace s) ]
                for dt in [ DType.Float64; DType.Float32 ] do
                    let x = a.To(dt)
                    for mask, cmp, maskS, cmpS, inPlace in cases (b.To(dt)) do
                        let m = mask x
                        Expect.equal m.DType dt "the mask has the operands' dtype"
                        Expect.equal (values m) (values (cmp x)) "against a tensor"
                        Expect.equal (values (maskS x)) (values (cmpS x)) "against a scalar"
                        let c = x.Clone()
                        inPlace c
                        Expect.equal (values c) (values (cmpS x)) "in place"
                true)

        testCase "comparison masks refuse integer tensors, naming the dtype" <| fun () ->
            use scope = new TensorScope()
            let i = Tensor.FromArray [| 1L; 2L |]
            assertMessageContains "floating-point" (Expect.raises<TorchException> (fun () -> i.GtMask i |> ignore))
            assertMessageContains "floating-point" (Expect.raises<TorchException> (fun () -> i.GtMaskInPlace 1.0))
    ]
