/// Assertions that Expecto's Expect lacks: the exception a function raises, ranges, absent substrings and
/// rounded equality. Opened after Expecto, `Expect.x` finds these beside Expecto's own.
module SnnDsl.TestKit.Expect

open System
open Expecto

/// The exception of exactly type 'E that f raises; fails if f returns or raises another type.
let raises<'E when 'E :> exn> (f: unit -> unit) : 'E =
    let thrown =
        try
            f ()
            None
        with e ->
            Some e
    match thrown with
    | Some(:? 'E as e) when e.GetType() = typeof<'E> -> e
    | Some e -> failtest $"expected {typeof<'E>.Name}, got {e.GetType().Name}: {e.Message}"
    | None -> failtest $"expected {typeof<'E>.Name}, but nothing was raised"

/// The exception of type 'E or a subtype that f raises; fails if f returns or raises another type.
let raisesAny<'E when 'E :> exn> (f: unit -> unit) : 'E =
    let thrown =
        try
            f ()
            None
        with e ->
            Some e
    match thrown with
    | Some(:? 'E as e) -> e
    | Some e -> failtest $"expected {typeof<'E>.Name} or a subtype, got {e.GetType().Name}: {e.Message}"
    | None -> failtest $"expected {typeof<'E>.Name}, but nothing was raised"

/// lo <= actual <= hi.
let inRange (actual: 'a) (lo: 'a) (hi: 'a) (message: string) =
    if actual < lo || actual > hi then failtest $"{message}: {actual} is not in [{lo}, {hi}]"

/// subject does not contain substring.
let stringLacks (subject: string) (substring: string) (message: string) =
    if subject.Contains substring then failtest $"{message}: did not expect \"{substring}\" in:\n{subject}"

/// sequence does not contain element.
let lacks (sequence: seq<'a>) (element: 'a) (message: string) =
    if Seq.contains element sequence then failtest $"{message}: did not expect %A{element} in %A{List.ofSeq sequence}"

/// actual and expected (float or float32) are equal once rounded, as float64, to `digits` decimal places.
let inline equalRounded (digits: int) (actual: ^a) (expected: ^a) (message: string) =
    let a, e = Math.Round(float actual, digits), Math.Round(float expected, digits)
    if a <> e then failtest $"{message}: expected {e}, got {a} (rounded to {digits} digits)"

/// The same object (reference equality).
let same (actual: obj) (expected: obj) (message: string) =
    if not (obj.ReferenceEquals(actual, expected)) then failtest $"{message}: expected the same object as {expected}, got {actual}"

/// The exact type of an exception (xunit's IsType).
let isType<'T> (actual: obj) (message: string) =
    if isNull actual || actual.GetType() <> typeof<'T> then
        failtest $"{message}: expected a {typeof<'T>.Name}, got {if isNull actual then null else actual.GetType().Name}"
