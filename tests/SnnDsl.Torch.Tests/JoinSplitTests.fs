/// Joining and splitting (cat, stack, split, chunk, unbind) against index arithmetic on .NET arrays.
module SnnDsl.Torch.Tests.JoinSplitTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// The slice [start, start + length) of a along dim.
let narrowRef (a: Nd) (dim: int) (start: int) (length: int) =
    let shape = Array.updateAt dim length a.Shape
    Nd.init shape (fun c -> Nd.get a (Array.updateAt dim (c[dim] + start) c))

let genPiece shape =
    Gen.map (fun seed -> Nd.random (Random seed) shape) genSeed

let genSplitCase =
    gen {
        let! shape = genShape 1 3 7
        let! dim = Gen.choose (0, shape.Length - 1)
        let! a = genPiece shape
        let! k = Gen.choose (1, 8)
        return a, dim, k
    }

let assertPieces (expected: Nd list) (actual: Tensor[]) =
    Expect.equal actual.Length expected.Length "actual.Length"
    List.iteri (fun i (e: Nd) -> assertTensor 0.0 e.Shape e.Data actual[i]) expected

[<Tests>]
let tests =
    testSequenced <| testList "JoinSplit" [
        law "cat places each piece at its offset along dim" <| fun () ->
            let gen =
                gen {
                    let! shape = genShape 1 4 3
                    let rank = shape.Length
                    let! dim = Gen.choose (0, rank - 1)
                    let! sizes = Gen.choose (1, 4) |> Gen.bind (fun k -> Gen.arrayOfLength k (Gen.choose (0, 3)))
                    let! pieces = sizes |> Array.map (fun s -> genPiece (Array.updateAt dim s shape)) |> Gen.sequenceToArray
                    let! negative = Gen.elements [ false; true ]
                    return pieces, dim, (if negative then dim - rank else dim)
                }
            forAll gen (fun (pieces, dim, request) ->
                use scope = new TensorScope()
                let offsets = pieces |> Array.scan (fun acc p -> acc + p.Shape[dim]) 0
                let shape = Array.updateAt dim offsets[pieces.Length] pieces[0].Shape
                let r =
                    Nd.init shape (fun c ->
                        let p = [ 0 .. pieces.Length - 1 ] |> List.find (fun i -> c[dim] >= offsets[i] && c[dim] < offsets[i + 1])
                        Nd.get pieces[p] (Array.updateAt dim (c[dim] - offsets[p]) c))
                assertTensor 0.0 r.Shape r.Data (Tensor.Cat(pieces |> Array.map Nd.toTensor, request)))

        law "stack puts piece k at index k of a new dim" <| fun () ->
            let gen =
                gen {
                    let! shape = genShape 0 3 3
                    let! dim = Gen.choose (0, shape.Length)
                    let! k = Gen.choose (1, 4)
                    let! pieces = Gen.arrayOfLength k (genPiece shape)
                    return pieces, dim
                }
            forAll gen (fun (pieces, dim) ->
                use scope = new TensorScope()
                let shape = Array.insertAt dim pieces.Length pieces[0].Shape
                let r = Nd.init shape (fun c -> Nd.get pieces[c[dim]] (Array.removeAt dim c))
                assertTensor 0.0 r.Shape r.Data (Tensor.Stack(pieces |> Array.map Nd.toTensor, dim)))

        law "split cuts pieces of the given size, the last one shorter" <| fun () ->
            forAll genSplitCase (fun (a, dim, size) ->
                use scope = new TensorScope()
                let n = a.Shape[dim]
                let expected = [ for s in 0..size .. n - 1 -> narrowRef a dim s (min size (n - s)) ]
                assertPieces expected (Nd.toTensor(a).Split(size, dim)))

        law "chunk cuts pieces of ceil(n / chunks) elements, so it may return fewer than asked" <| fun () ->
            forAll genSplitCase (fun (a, dim, chunks) ->
                use scope = new TensorScope()
                let n = a.Shape[dim]
                let size = (n + chunks - 1) / chunks
                let expected = [ for s in 0..size .. n - 1 -> narrowRef a dim s (min size (n - s)) ]
                assertPieces expected (Nd.toTensor(a).Chunk(chunks, dim)))

        law "unbind returns every slice along dim without that dim" <| fun () ->
            forAll genSplitCase (fun (a, dim, _) ->
                use scope = new TensorScope()
                let n = a.Shape[dim]
                let expected =
                    [ for i in 0 .. n - 1 ->
                          Nd.init (Array.removeAt dim a.Shape) (fun c -> Nd.get a (Array.insertAt dim i c)) ]
                assertPieces expected (Nd.toTensor(a).Unbind dim))

        // The binding reads multi-output results through a 64-slot buffer and retries with a larger one.
        testCase "split, chunk and unbind return more than 64 pieces" <| fun () ->
            use scope = new TensorScope()
            let live = Torch.liveTensors ()
            let xs = Array.init 150 float
            let t = Tensor.FromArray xs
            for pieces in [ t.Split 1; t.Chunk 150; t.Unbind() ] do
                Expect.equal pieces.Length 150 "pieces.Length"
                for i in 0..149 do
                    Expect.equal (pieces[i].Reshape(-1).ToArray<float>()[0]) (xs[i]) "pieces[i].Reshape(-1).ToArray<float>()[0]"
            let twos = t.Split 2
            Expect.equal twos.Length 75 "twos.Length"
            Expect.equal (twos[74].ToArray<float>() : float[]) ([| 148.0; 149.0 |]) "twos[74].ToArray<float>()"
            // 1 source, 3 x 150 pieces, 75 halves, 450 reshapes: nothing from the first, too small buffer leaked
            Expect.equal (Torch.liveTensors ()) (live + 1L + 450L + 75L + 450L) "Torch.liveTensors ()"
    ]
