/// Reshaping ops (reshape, view, flatten, squeeze, unsqueeze, permute, transpose, expand) against index
/// arithmetic on row-major .NET arrays.
module SnnDsl.Torch.Tests.ShapeTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// A random array of a random shape (sizes 1..maxSize, so size-1 dims are common when maxSize is small).
let genNd minRank maxRank maxSize =
    gen {
        let! shape = genShape minRank maxRank maxSize
        let! seed = genSeed
        return Nd.random (Random seed) shape
    }

/// out[c] = a[c'] with c'[perm[i]] = c[i].
let permuteRef (a: Nd) (perm: int[]) =
    let shape = perm |> Array.map (fun p -> a.Shape[p])
    Nd.init shape (fun c ->
        let src = Array.zeroCreate a.Shape.Length
        for i in 0 .. perm.Length - 1 do
            src[perm[i]] <- c[i]
        Nd.get a src)

let genPermuted =
    gen {
        let! a = genNd 1 5 4
        let! perm = Gen.shuffle [| 0 .. a.Shape.Length - 1 |]
        return a, perm
    }

/// A shape with the same number of elements: the dims shuffled, neighbours merged at random, size-1 dims
/// inserted, and sometimes one size given as -1.
let genReshape =
    gen {
        let! a = genNd 0 4 4
        let! order = Gen.shuffle a.Shape
        let! merges = Gen.arrayOfLength order.Length (Gen.elements [ false; true ])
        let merged = ResizeArray<int>()
        for i in 0 .. order.Length - 1 do
            if merges[i] && merged.Count > 0 then merged[merged.Count - 1] <- merged[merged.Count - 1] * order[i]
            else merged.Add order[i]
        let! ones = Gen.choose (0, 2)
        let! target = Gen.shuffle (Array.append (merged.ToArray()) (Array.create ones 1))
        let! inferred = Gen.choose (-1, target.Length - 1)
        return a, target, inferred
    }

[<Tests>]
let tests =
    testSequenced <| testList "Shape" [
        law "permute moves element c to position perm^-1(c)" <| fun () ->
            forAll genPermuted (fun (a, perm) ->
                use scope = new TensorScope()
                let r = permuteRef a perm
                assertTensor 0.0 r.Shape r.Data (Nd.toTensor(a).Permute perm))

        lawOn 100 "a permuted tensor is made contiguous and cloned without changing its values" <| fun () ->
            forAll genPermuted (fun (a, perm) ->
                use scope = new TensorScope()
                let r = permuteRef a perm
                let p = Nd.toTensor(a).Permute perm
                assertTensor 0.0 r.Shape r.Data (p.Contiguous())
                assertTensor 0.0 r.Shape r.Data (p.Clone())
                // reshape of a non-contiguous tensor copies in logical (row-major) order
                assertTensor 0.0 [| r.Data.Length |] r.Data (p.Reshape(-1)))

        law "transpose swaps two dims" <| fun () ->
            let gen =
                gen {
                    let! a = genNd 1 4 4
                    let rank = a.Shape.Length
                    let! d0 = Gen.choose (-rank, rank - 1)
                    let! d1 = Gen.choose (-rank, rank - 1)
                    return a, d0, d1
                }
            forAll gen (fun (a, d0, d1) ->
                use scope = new TensorScope()
                let rank = a.Shape.Length
                let perm = [| 0 .. rank - 1 |]
                let p0, p1 = (d0 + rank) % rank, (d1 + rank) % rank
                perm[p0] <- p1
                perm[p1] <- p0
                let r = permuteRef a perm
                assertTensor 0.0 r.Shape r.Data (Nd.toTensor(a).Transpose(d0, d1)))

        law "reshape and view keep the row-major element order" <| fun () ->
            forAll genReshape (fun (a, target, inferred) ->
                use scope = new TensorScope()
                let request = Array.copy target
                if inferred >= 0 then request[inferred] <- -1
                let t = Nd.toTensor a
                assertTensor 0.0 target a.Data (t.Reshape request)
                assertTensor 0.0 target a.Data (t.View request))

        law "flatten merges dims start..end" <| fun () ->
            let gen =
                gen {
                    let! a = genNd 1 5 3
                    let rank = a.Shape.Length
                    let! s = Gen.choose (0, rank - 1)
                    let! e = Gen.choose (s, rank - 1)
                    let! negativeEnd = Gen.elements [ false; true ]
                    return a, s, (if negativeEnd then e - rank else e)
                }
            forAll gen (fun (a, s, e) ->
                use scope = new TensorScope()
                let rank = a.Shape.Length
                let e' = (e + rank) % rank
                let shape = Array.concat [ a.Shape[.. s - 1]; [| Nd.size a.Shape[s..e'] |]; a.Shape[e' + 1 ..] ]
                assertTensor 0.0 shape a.Data (Nd.toTensor(a).Flatten(s, e))
                assertTensor 0.0 [| a.Data.Length |] a.Data (Nd.toTensor(a).Flatten()))

        law "squeeze removes size-1 dims (all, or the one given) and keeps the data" <| fun () ->
            let gen =
                gen {
                    let! a = genNd 0 5 2
                    let! d = Gen.choose (0, max 0 (a.Shape.Length - 1))
                    return a, d
                }
            forAll gen (fun (a, d) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                assertTensor 0.0 (a.Shape |> Array.filter (fun s -> s <> 1)) a.Data (t.Squeeze())
                if a.Shape.Length > 0 then
                    let expected = if a.Shape[d] = 1 then Array.removeAt d a.Shape else a.Shape
                    assertTensor 0.0 expected a.Data (t.Squeeze d))

        law "unsqueeze inserts a size-1 dim, negative positions counting from the end" <| fun () ->
            let gen =
                gen {
                    let! a = genNd 0 4 3
                    let rank = a.Shape.Length
                    let! d = Gen.choose (-rank - 1, rank)
                    return a, d
                }
            forAll gen (fun (a, d) ->
                use scope = new TensorScope()
                let pos = if d < 0 then d + a.Shape.Length + 1 else d
                assertTensor 0.0 (Array.insertAt pos 1 a.Shape) a.Data (Nd.toTensor(a).Unsqueeze d))

        law "expand repeats size-1 dims and adds leading dims" <| fun () ->
            let gen =
                gen {
                    let! a = genNd 0 3 2
                    let! lead = Gen.arrayOfLength 2 (Gen.choose (1, 3)) |> Gen.bind (fun l -> Gen.map (fun k -> l[.. k - 1]) (Gen.choose (0, 2)))
                    let! sizes = Gen.arrayOfLength a.Shape.Length (Gen.choose (1, 3))
                    let! keep = Gen.arrayOfLength a.Shape.Length (Gen.elements [ false; true ])
                    let target = Array.init a.Shape.Length (fun i -> if a.Shape[i] = 1 then sizes[i] else a.Shape[i])
                    let request = Array.init a.Shape.Length (fun i -> if keep[i] && target[i] = a.Shape[i] then -1 else target[i])
                    return a, Array.append lead target, Array.append lead request
                }
            forAll gen (fun (a, target, request) ->
                use scope = new TensorScope()
                let lead = target.Length - a.Shape.Length
                let r = Nd.init target (fun c -> Nd.get a (Array.init a.Shape.Length (fun i -> if a.Shape[i] = 1 then 0 else c[lead + i])))
                assertTensor 0.0 r.Shape r.Data (Nd.toTensor(a).Expand request))

        testCase "Strides are row-major for a contiguous tensor and 0 on a dimension broadcast by Expand" <| fun () ->
            use scope = new TensorScope()
            let a = Tensor.Zeros([| 2; 3; 4 |])
            Expect.equal (a.Strides : int64[]) ([| 12L; 4L; 1L |]) "a.Strides"
            let e = Tensor.Zeros([| 3; 4 |]).Unsqueeze(0).Expand(5, 3, 4)
            Expect.equal (e.Strides : int64[]) ([| 0L; 4L; 1L |]) "e.Strides"
            Expect.equal (Tensor.Zeros([| 2; 3 |]).Transpose(0, 1).Strides : int64[]) ([| 1L; 3L |]) "Tensor.Zeros([| 2; 3 |]).Transpose(0, 1).Strides"
    ]
