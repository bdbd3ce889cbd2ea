/// Tolerant comparisons of numbers, arrays and [T, N] tables, with the first difference in the failure.
[<AutoOpen>]
module SnnDsl.TestKit.Tolerance

open System
open Expecto

/// |a - b| <= tol, treating equal infinities as equal.
let near (tol: float) (a: float) (b: float) = a = b || abs (a - b) <= tol

/// |actual - expected| <= atol + rtol * |expected|; NaN matches NaN and infinities must be equal.
let closeTo (rtol: float) (atol: float) (expected: float) (actual: float) =
    expected = actual || (Double.IsNaN expected && Double.IsNaN actual)
    || abs (expected - actual) <= atol + rtol * abs expected

/// Element-wise `closeTo rtol atol`, failing on a length mismatch or with the first element that differs.
let expectClose (rtol: float) (atol: float) (expected: float[]) (actual: float[]) =
    if expected.Length <> actual.Length then failtest $"expected {expected.Length} elements, got {actual.Length}"
    for i in 0 .. expected.Length - 1 do
        let e, a = expected[i], actual[i]
        if not (closeTo rtol atol e a) then
            failtest $"element {i} of {expected.Length}: expected {e:R}, got {a:R} (|diff| = {abs (e - a):E3}, rtol {rtol}, atol {atol})"

/// `expectClose` of one number.
let expectNear (rtol: float) (atol: float) (expected: float) (actual: float) =
    expectClose rtol atol [| expected |] [| actual |]

/// Exact equality of float arrays (NaN matches NaN), with the first difference in the failure.
let expectExact (expected: float[]) (actual: float[]) = expectClose 0.0 0.0 expected actual

/// Every element of a [T, N] table.
let cells (a: float[,]) = Seq.cast<float> a

/// Fails with the first [T, N] cell where the tables differ by more than tol * max(1, |expected|)
/// (tol 0: exact equality); `what` names the table.
let expectTable (what: string) (tol: float) (expected: float[,]) (actual: float[,]) =
    if Array2D.length1 expected <> Array2D.length1 actual || Array2D.length2 expected <> Array2D.length2 actual then
        failtest $"{what}: shape [{Array2D.length1 actual}, {Array2D.length2 actual}], expected [{Array2D.length1 expected}, {Array2D.length2 expected}]"
    for t in 0 .. Array2D.length1 expected - 1 do
        for j in 0 .. Array2D.length2 expected - 1 do
            let e, a = expected[t, j], actual[t, j]
            let ok = if tol = 0.0 then e = a else near (tol * max 1.0 (abs e)) e a
            if not ok then failtest $"{what} at t = {t + 1}, neuron {j}: expected %.17g{e}, got %.17g{a}"
