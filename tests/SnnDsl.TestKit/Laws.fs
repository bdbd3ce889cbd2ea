/// FsCheck laws as Expecto tests, on the library's terms: `Law.DefaultCases` cases unless a law names
/// another count, and one seed per run, a uint64 as `snn verify --seed` takes. Every law of a run draws its
/// cases from that seed (FsCheck's `Rnd seed`, as `Law.checkWith` does), so the same seed draws and shrinks
/// the same cases, whether the law runs in the whole suite or alone. The seed is fresh per run unless
/// SNNDSL_SEED sets it; a failure ends with "replay with seed S: SNNDSL_SEED=S dotnet run --project ...
/// --filter-test-case "law name"", the command that replays it. A law's test is named by the law it states.
[<AutoOpen>]
module SnnDsl.TestKit.Laws

open System
open System.Reflection
open System.Text.RegularExpressions
open Expecto
open FsCheck
open FsCheck.FSharp
open SnnDsl.Verify

/// The cases a law is checked on unless it names another count: the library's (and `snn verify`'s) default.
[<Literal>]
let DefaultCases = Law.DefaultCases

/// The seed every law of this run draws its cases from: SNNDSL_SEED when set (to replay a failure), else a
/// fresh one per run.
let lawSeed: uint64 =
    match Environment.GetEnvironmentVariable "SNNDSL_SEED" with
    | null | "" -> uint64 (Random.Shared.NextInt64 Int64.MaxValue)
    | text ->
        match UInt64.TryParse(text.Trim()) with
        | true, s -> s
        | _ -> failwith $"SNNDSL_SEED must be a seed as `snn verify --seed` takes (a number from 0 to {UInt64.MaxValue}), got \"{text}\""

/// The line a failure ends with: the seed, and the command that runs the test again from it.
let replayLine (test: string option) =
    let project = Assembly.GetEntryAssembly() |> Option.ofObj |> Option.map (fun a -> a.GetName().Name) |> Option.defaultValue "<project>"
    let filter = match test with Some name -> $" --filter-test-case \"{name}\"" | None -> " --filter-test-case \"<this test>\""
    $"replay with seed {lawSeed}: SNNDSL_SEED={lawSeed} dotnet run --project tests/{project} -c Release --no-build --{filter}"

/// The library's run settings for a law of SnnDsl.Verify checked in a test: `cases` cases from this run's seed.
let lawSettings (cases: int) : RunSettings = { Law.defaults with Cases = cases; Seed = lawSeed }

/// Checks a law of SnnDsl.Verify on `cases` cases from this run's seed; a failure shows the shrunk
/// counterexample table and the replay line.
let verifyOn (cases: int) (law: Law) : unit =
    try Law.test (lawSettings cases) law
    with :? LawFailedException as e -> failtest (e.Message + "\n" + replayLine None)

// Expecto.FsCheck ends a failure with its own replay ("Original seed: (seed, gamma)" and "Focus on error:",
// an FsCheck Rnd); the replay line takes their place.
let private withReplayLine (name: string) (message: string) =
    let own = [ "Original seed:"; "Focus on error:" ] |> List.map message.IndexOf |> List.filter (fun i -> i >= 0)
    (if own.IsEmpty then message + "\n" else message.Substring(0, List.min own)) + replayLine (Some name)

// FsCheck's own failure text names its Rnd ("(seed,gamma)", "Last step was invoked ... seed of", "Replay
// directly at failing step with"): dropped for the replay line, which says the same in `snn verify`'s terms.
let private withoutFsCheckSeeds (message: string) =
    let m = Regex.Replace(message, @"^(Last step was invoked with size of|Replay directly at failing step with) .*\r?\n", "", RegexOptions.Multiline)
    Regex.Replace(m, @"(\(\d+ shrinks?\)) \(\d+,\d+\)", "$1")

/// The FsCheck configuration of `checkOn`: `cases` values from this run's seed, a failure throws.
let private checkConfig (cases: int) =
    Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true).WithReplay(Some { Rnd = Rnd lawSeed; Size = None })

/// The property that `body` holds for every value of `gen` (body returns a bool or asserts and returns unit).
let forAll (gen: Gen<'a>) (body: 'a -> 'p) : Property = Prop.forAll (Arb.fromGen gen) body

/// A law as an Expecto test named by the law, checked on `cases` generated values; `property ()` runs once
/// when the test runs and may set up what the law needs (generators) before it returns `forAll gen body`.
let lawOn (cases: int) (name: string) (property: unit -> Property) : Test =
    let config = { FsCheckConfig.defaultConfig with maxTest = cases; replay = Some(lawSeed, (Rnd lawSeed).Gamma, None) }
    match testPropertyWithConfig config name (lazy (property ())) with
    | TestLabel(label, TestCase(AsyncFsCheck(testConfig, stressConfig, run), focus), labelFocus) ->
        let replayable config =
            async {
                try
                    return! run config
                with
                | :? FailedException as e -> return raise (FailedException(withReplayLine name e.Message))
                | :? AssertException as e -> return raise (AssertException(withReplayLine name e.Message))
            }
        TestLabel(label, TestCase(AsyncFsCheck(testConfig, stressConfig, replayable), focus), labelFocus)
    | other -> other

/// A law as an Expecto test named by the law, checked on `DefaultCases` generated values.
let law (name: string) (property: unit -> Property) : Test = lawOn DefaultCases name property

/// Checks inside a test that `body` holds for `cases` values of `gen` drawn from this run's seed; a failure
/// shows the shrunk case and the replay line (for tests that check one law per item of a list).
let checkOn (cases: int) (gen: Gen<'a>) (body: 'a -> 'p) : unit =
    try Check.One(checkConfig cases, forAll gen body)
    with e -> failtest (withoutFsCheckSeeds e.Message + "\n" + replayLine None)

/// `checkOn` with `DefaultCases` cases.
let check (gen: Gen<'a>) (body: 'a -> 'p) : unit = checkOn DefaultCases gen body

/// One law per row, named "name (row)", each checked on `cases` values.
let lawRowsOn (cases: int) (name: string) (rows: 'a list) (property: 'a -> Property) : Test list =
    rows |> List.map (fun row -> lawOn cases $"{name} ({row})" (fun () -> property row))

/// One law per row, named "name (row)", each checked on `DefaultCases` values.
let lawRows (name: string) (rows: 'a list) (property: 'a -> Property) : Test list =
    lawRowsOn DefaultCases name rows property
