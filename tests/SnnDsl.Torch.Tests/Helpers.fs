/// Shared test helpers: reading tensors back into .NET arrays, generators of shapes and data, and a
/// row-major n-d array (Nd) whose index arithmetic is the reference for every shape and NN op.
module SnnDsl.Torch.Tests.Helpers

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch

// ------------------------------------------------------------------ generators

/// A seed for System.Random, so a case prints as a small record and its data is reproducible.
let genSeed = Gen.choose (0, Int32.MaxValue)

/// A shape of rank in [minRank, maxRank] with every size in [1, maxSize].
let genShape minRank maxRank maxSize =
    gen {
        let! rank = Gen.choose (minRank, maxRank)
        return! Gen.arrayOfLength rank (Gen.choose (1, maxSize))
    }

// ------------------------------------------------------------------ random data

/// n uniform samples from [lo, hi).
let uniform (r: Random) (n: int) (lo: float) (hi: float) = Array.init n (fun _ -> lo + (hi - lo) * r.NextDouble())

/// n samples with |x| in [margin, margin + spread): away from the kink at zero of relu, abs and sign.
let awayFromZero (r: Random) (n: int) (margin: float) (spread: float) =
    Array.init n (fun _ -> (if r.Next 2 = 0 then -1.0 else 1.0) * (margin + spread * r.NextDouble()))

/// n distinct values spaced at least `gap` apart, in random order (no ties for max, argmax, max pooling).
let distinct (r: Random) (n: int) (gap: float) =
    let v = Array.init n (fun i -> float i * gap + 0.25 * gap * r.NextDouble() - 0.5 * float n * gap)
    Array.sortInPlaceBy (fun _ -> r.Next()) v
    v

/// A full collection that also runs the finalizers of unreachable tensors.
let collectGarbage () =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()

// ------------------------------------------------------------------ reading tensors

/// .NET's own (correctly rounded) conversion of a double to IEEE half precision.
let toHalf (x: float) : Half = Half.op_Explicit x

/// The elements (row-major) converted to float64 by libtorch, then copied out.
let values (t: Tensor) : float[] =
    use d = t.To(DType.Float64)
    d.ToArray<float>()

let shapeText (s: int[]) = "[" + String.Join(", ", s) + "]"

let assertShape (expected: int[]) (t: Tensor) =
    let actual = t.Shape
    if actual <> expected then failtest ($"expected shape {shapeText expected}, got {shapeText actual}")

/// Asserts the tensor's shape and its values (to rtol) against a reference.
let assertTensor (rtol: float) (expectedShape: int[]) (expected: float[]) (t: Tensor) =
    assertShape expectedShape t
    expectClose rtol rtol expected (values t)

let assertMessageContains (fragment: string) (e: exn) =
    if not (e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase)) then
        failtest ($"expected the message to mention '{fragment}', got: {e.Message}")

// ------------------------------------------------------------------ reference n-d arrays

/// A row-major n-d array of floats: the reference that libtorch's results are compared with.
type Nd = { Shape: int[]; Data: float[] }

module Nd =
    let size (shape: int[]) = Array.fold (*) 1 shape

    /// Row-major strides: the last dim is contiguous.
    let strides (shape: int[]) =
        let s = Array.create shape.Length 1
        for i in shape.Length - 2 .. -1 .. 0 do
            s[i] <- s[i + 1] * shape[i + 1]
        s

    let unravel (shape: int[]) (index: int) =
        let st = strides shape
        Array.init shape.Length (fun d -> (index / st[d]) % shape[d])

    let ravel (shape: int[]) (coords: int[]) =
        let st = strides shape
        let mutable i = 0
        for d in 0 .. shape.Length - 1 do
            i <- i + coords[d] * st[d]
        i

    let init (shape: int[]) (f: int[] -> float) =
        { Shape = shape; Data = Array.init (size shape) (fun i -> f (unravel shape i)) }

    let get (a: Nd) (coords: int[]) = a.Data[ravel a.Shape coords]

    let random (r: Random) (shape: int[]) = { Shape = shape; Data = uniform r (size shape) -1.0 1.0 }

    let ofTensor (t: Tensor) = { Shape = t.Shape; Data = values t }

    /// A float64 tensor holding the same elements.
    let toTensor (a: Nd) = Tensor.FromArray(a.Data, a.Shape)

// ------------------------------------------------------------------ broadcasting

/// An output shape and k operand shapes that broadcast to it: each operand takes a suffix of the output's
/// dims and replaces some of them by 1.
let genBroadcast (k: int) =
    gen {
        let! out = genShape 0 4 4
        let operand =
            gen {
                let! rank = Gen.choose (0, out.Length)
                let suffix = out[out.Length - rank ..]
                let! ones = Gen.arrayOfLength rank (Gen.elements [ false; false; true ])
                return Array.map2 (fun s one -> if one then 1 else s) suffix ones
            }
        let! shapes = Gen.arrayOfLength k operand
        // the output shape is what the operands broadcast to (a dim nobody spans collapses to 1)
        let rank = shapes |> Array.map Array.length |> Array.fold max 0
        let result =
            Array.init rank (fun i ->
                shapes
                |> Array.map (fun s -> let j = i - (rank - s.Length) in if j >= 0 then s[j] else 1)
                |> Array.max)
        return result, shapes
    }

/// The element of a that broadcasting maps to output coordinates c.
let broadcastGet (a: Nd) (c: int[]) =
    let lead = c.Length - a.Shape.Length
    Nd.get a (Array.init a.Shape.Length (fun i -> if a.Shape[i] = 1 then 0 else c[lead + i]))
