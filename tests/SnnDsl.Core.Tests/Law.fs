/// Running FsCheck properties from plain xunit facts (FsCheck.Xunit is not available).
module SnnDsl.Core.Tests.Law

open FsCheck
open FsCheck.FSharp

/// At least 300 cases, and a failing case throws so xunit reports it.
let config = Config.QuickThrowOnFailure.WithMaxTest(300)

/// Checks that `law` holds for every value of `gen`.
let check (gen: Gen<'a>) (law: 'a -> bool) =
    Check.One(config, Prop.forAll (Arb.fromGen gen) law)

/// Checks a law stated with assertions (it holds when it does not throw).
let checkAsserts (gen: Gen<'a>) (law: 'a -> unit) =
    Check.One(config, Prop.forAll (Arb.fromGen gen) law)

/// Checks a law stated with assertions on `cases` values of `gen` (for laws that are costly per case).
let checkAssertsOn (cases: int) (gen: Gen<'a>) (law: 'a -> unit) =
    Check.One(config.WithMaxTest(cases), Prop.forAll (Arb.fromGen gen) law)

/// |a - b| <= tol, treating equal infinities as equal.
let near (tol: float) (a: float) (b: float) = a = b || abs (a - b) <= tol

/// Every element of a [T, N] array.
let cells (a: float[,]) = Seq.cast<float> a
