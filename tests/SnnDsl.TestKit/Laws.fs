/// FsCheck laws as Expecto tests: one configuration (300 cases unless a law says fewer), one replay switch.
/// A law's test is named by the law it states. To replay a failure, copy the numbers that Expecto prints
/// after "Focus on error" (seed, gamma, size) into SNNDSL_REPLAY and run that test alone, e.g.
/// `SNNDSL_REPLAY="1234,5678,37" dotnet run --project tests/X -c Release -- --filter-test-case "law name"`.
[<AutoOpen>]
module SnnDsl.TestKit.Laws

open System
open System.Text.RegularExpressions
open Expecto
open FsCheck
open FsCheck.FSharp

/// The cases a law is checked on unless it names fewer (costly laws) or more.
[<Literal>]
let DefaultCases = 300

/// The replay (seed, gamma, size) parsed from SNNDSL_REPLAY ("seed,gamma[,size]", any separators), if set.
let replay: (uint64 * uint64 * int option) option =
    match Environment.GetEnvironmentVariable "SNNDSL_REPLAY" with
    | null | "" -> None
    | text ->
        match [ for m in Regex.Matches(text, @"\d+") -> m.Value ] with
        | [ seed; gamma ] -> Some(UInt64.Parse seed, UInt64.Parse gamma, None)
        | [ seed; gamma; size ] -> Some(UInt64.Parse seed, UInt64.Parse gamma, Some(int size))
        | _ -> failwith $"SNNDSL_REPLAY must be \"seed,gamma[,size]\", got \"{text}\""

/// The Expecto.FsCheck configuration of a law checked on `cases` values (with SNNDSL_REPLAY applied).
let lawConfig (cases: int) = { FsCheckConfig.defaultConfig with maxTest = cases; replay = replay }

/// The FsCheck configuration of `check`: `cases` values, a failure throws with the shrunk case and seed.
let private checkConfig (cases: int) =
    let c = Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true)
    match replay with
    | Some(seed, gamma, size) -> c.WithReplay(Some { Rnd = Rnd(seed, gamma); Size = size })
    | None -> c

/// The property that `body` holds for every value of `gen` (body returns a bool or asserts and returns unit).
let forAll (gen: Gen<'a>) (body: 'a -> 'p) : Property = Prop.forAll (Arb.fromGen gen) body

/// A law as an Expecto test named by the law, checked on `cases` generated values; `property ()` runs once
/// when the test runs and may set up what the law needs (generators) before it returns `forAll gen body`.
let lawOn (cases: int) (name: string) (property: unit -> Property) : Test =
    testPropertyWithConfig (lawConfig cases) name (lazy (property ()))

/// A law as an Expecto test named by the law, checked on 300 generated values.
let law (name: string) (property: unit -> Property) : Test = lawOn DefaultCases name property

/// Checks inside a test that `body` holds for `cases` values of `gen`; a failure throws with the shrunk
/// case and its replay seed (for tests that check one law per item of a list).
let checkOn (cases: int) (gen: Gen<'a>) (body: 'a -> 'p) : unit = Check.One(checkConfig cases, forAll gen body)

/// `checkOn` with 300 cases.
let check (gen: Gen<'a>) (body: 'a -> 'p) : unit = checkOn DefaultCases gen body

/// One law per row, named "name (row)", each checked on `cases` values.
let lawRowsOn (cases: int) (name: string) (rows: 'a list) (property: 'a -> Property) : Test list =
    rows |> List.map (fun row -> lawOn cases $"{name} ({row})" (fun () -> property row))

/// One law per row, named "name (row)", each checked on 300 values.
let lawRows (name: string) (rows: 'a list) (property: 'a -> Property) : Test list =
    lawRowsOn DefaultCases name rows property
