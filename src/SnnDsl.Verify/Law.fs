namespace SnnDsl.Verify

open System
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core

/// What a law says about one case.
[<RequireQualifiedAccess>]
type Verdict =
    /// The law holds on the case.
    | Holds
    /// The case does not meet the law's precondition: it counts for nothing.
    | Skip
    /// The law fails: why, and the (step, column) where, both 0-based, when there is one.
    | Fails of reason: string * at: (int * int) option

/// A law: a name, the cases it is checked on, and what it says about each case.
type Law =
    { /// The law's name, as results and `--only` name it.
      Name: string
      /// The generator of the cases it is checked on.
      Cases: Gen<Case>
      /// What the law says about one case.
      Check: Case -> Verdict
      /// At most this many cases, whatever the run asks for (laws that cost a compiler run per case).
      MaxCases: int option }

/// How many cases a check runs and from which seed.
type RunSettings =
    { /// How many cases must pass (cases the precondition skips do not count).
      Cases: int
      /// The seed of the case generator: the same seed draws the same cases (and shrinks them the same way).
      Seed: uint64
      /// At most this many cases are tried per case that counts, when a precondition rejects most of them.
      MaxSkipRatio: int
      /// At most this many checks are spent on shrinking a failing case.
      ShrinkBudget: int }

/// A failing case: the smallest found, the reason, and how it was found.
type Counterexample =
    { /// The smallest failing case found by shrinking.
      Case: Case
      /// Why the law fails on it.
      Reason: string
      /// The (step, column) where it fails, both 0-based, when there is one.
      At: (int * int) option
      /// The case as first drawn, before shrinking.
      Original: Case
      /// 1-based number of the drawn case that failed.
      CaseNumber: int
      /// How many shrinking steps led from the original case to this one.
      Shrinks: int }

/// How a law's check ended.
[<RequireQualifiedAccess>]
type Outcome =
    /// The law held on this many cases.
    | Passed of cases: int
    /// The law failed on a case.
    | Failed of Counterexample
    /// The precondition held too rarely: the cases that passed and those skipped.
    | Exhausted of passed: int * skipped: int
    /// The law could not run here (e.g. no C++ compiler for the fused kernels).
    | NotRun of why: string

/// The result of checking one law.
type LawResult =
    { /// The law's name.
      Law: string
      /// The seed the cases were drawn from (it replays them).
      Seed: uint64
      /// How the check ended.
      Outcome: Outcome }

/// A law's check failed; the message has the counterexample table and the seed that replays it.
type LawFailedException(result: LawResult, message: string) =
    inherit Exception(message)
    /// The result, with the counterexample.
    member _.Result = result

/// Building, running and reporting laws.
[<RequireQualifiedAccess>]
module Law =
    /// Cases per law unless told (also `snn verify`'s and the C# facade's default).
    [<Literal>]
    let DefaultCases = 100

    /// The seed of the cases unless told.
    [<Literal>]
    let DefaultSeed = 1UL

    /// 100 cases from seed 1.
    let defaults = { Cases = DefaultCases; Seed = DefaultSeed; MaxSkipRatio = 20; ShrinkBudget = 2000 }

    /// A law from a check that returns a verdict.
    let create (name: string) (cases: Gen<Case>) (check: Case -> Verdict) : Law =
        { Name = name; Cases = cases; Check = check; MaxCases = None }

    /// The same law on at most `n` cases per run.
    let atMost (n: int) (law: Law) : Law = { law with MaxCases = Some n }

    /// A law over the oracle's trace of each case: `holds case trace` must be true.
    let onTrace (name: string) (cases: Gen<Case>) (holds: Case -> Trace -> bool) : Law =
        create name cases (fun c ->
            let tr = Oracle.runWith c.Neuron c.Params c.Initial c.Inputs
            if holds c tr then Verdict.Holds else Verdict.Fails($"{name} does not hold", None))

    /// A law over every step of the oracle's trace: `holds case trace t j` for each step t and column j
    /// (0-based); the first (t, j) where it fails is marked in the counterexample.
    let everyStep (name: string) (cases: Gen<Case>) (holds: Case -> Trace -> int -> int -> bool) : Law =
        create name cases (fun c ->
            let tr = Oracle.runWith c.Neuron c.Params c.Initial c.Inputs
            let failing = seq { for t in 0 .. c.Steps - 1 do for j in 0 .. c.Columns - 1 do if not (holds c tr t j) then yield t, j } |> Seq.tryHead
            match failing with
            | None -> Verdict.Holds
            | Some(t, j) -> Verdict.Fails($"{name} does not hold at t = {t + 1}" + (if c.Columns > 1 then $", column {j}" else ""), Some(t, j)))

    /// The same law, checked only on cases where `precondition` holds (e.g. "a positive threshold").
    let requires (precondition: Case -> bool) (law: Law) : Law =
        { law with Check = fun c -> if precondition c then law.Check c else Verdict.Skip }

    /// The same law on other cases.
    let withCases (cases: Gen<Case>) (law: Law) : Law = { law with Cases = cases }

    /// One law that holds where every one of `laws` holds (checked in order on the first law's cases; the
    /// first failure is the verdict).
    let all (name: string) (laws: Law list) : Law =
        match laws with
        | [] -> invalidArg "laws" "Law.all needs at least one law"
        | first :: _ ->
            create name first.Cases (fun c ->
                laws |> List.tryPick (fun l -> match l.Check c with Verdict.Holds -> None | v -> Some v) |> Option.defaultValue Verdict.Holds)

    /// The same law under another name.
    let named (name: string) (law: Law) : Law = { law with Name = name }

    // A check that throws fails with its message (a law must not crash on a case).
    let private verdict (law: Law) (c: Case) =
        try law.Check c
        with e -> Verdict.Fails($"{e.GetType().Name}: {e.Message}", None)

    let private shrink (law: Law) (budget: int) (c: Case) (reason: string) (at: (int * int) option) =
        let mutable current, why, where, shrinks, spent = c, reason, at, 0, 0
        let mutable progress = true
        while progress && spent < budget do
            progress <- false
            use candidates = (Cases.shrink current).GetEnumerator()
            while not progress && spent < budget && candidates.MoveNext() do
                spent <- spent + 1
                match verdict law candidates.Current with
                | Verdict.Fails(r, a) ->
                    current <- candidates.Current
                    why <- r
                    where <- a
                    shrinks <- shrinks + 1
                    progress <- true
                | _ -> ()
        current, why, where, shrinks

    /// Checks a law on `settings.Cases` cases drawn from `settings.Seed`; a failing case is shrunk.
    let checkWith (settings: RunSettings) (law: Law) : LawResult =
        let settings = match law.MaxCases with Some m -> { settings with Cases = min m settings.Cases } | None -> settings
        let tries = max settings.Cases (settings.Cases * settings.MaxSkipRatio)
        let cases = Gen.sampleWithSeed (Rnd settings.Seed) 50 tries law.Cases
        let mutable passed, skipped, i, failure = 0, 0, 0, None
        while failure.IsNone && passed < settings.Cases && i < cases.Length do
            let c = cases[i]
            i <- i + 1
            match verdict law c with
            | Verdict.Holds -> passed <- passed + 1
            | Verdict.Skip -> skipped <- skipped + 1
            | Verdict.Fails(reason, at) ->
                let small, why, where, shrinks = shrink law settings.ShrinkBudget c reason at
                failure <- Some { Case = small; Reason = why; At = where; Original = c; CaseNumber = i; Shrinks = shrinks }
        let outcome =
            match failure with
            | Some f -> Outcome.Failed f
            | None when passed < settings.Cases -> Outcome.Exhausted(passed, skipped)
            | None -> Outcome.Passed passed
        { Law = law.Name; Seed = settings.Seed; Outcome = outcome }

    /// Checks a law on `cases` cases from seed 1.
    let check (cases: int) (law: Law) : LawResult = checkWith { defaults with Cases = cases } law

    /// The result as a one-line verdict, with the counterexample table below it when the law fails.
    let describe (r: LawResult) : string =
        match r.Outcome with
        | Outcome.Passed n -> $"pass  {r.Law} ({n} cases)"
        | Outcome.NotRun why -> $"skip  {r.Law}: {why}"
        | Outcome.Exhausted(passed, skipped) ->
            $"FAIL  {r.Law}: its precondition held in only {passed} of {passed + skipped} cases; widen the cases or the precondition"
        | Outcome.Failed f ->
            let indent (s: string) = "      " + s.Replace("\n", "\n      ")
            String.concat "\n"
                [ $"FAIL  {r.Law}: {f.Reason}"
                  $"      counterexample (case {f.CaseNumber} of seed {r.Seed}, shrunk {f.Shrinks} times):"
                  indent (Table.render f.Case f.At)
                  $"      replay with seed {r.Seed}" ]

    /// True when the law held (or could not run here).
    let passed (r: LawResult) =
        match r.Outcome with
        | Outcome.Passed _ | Outcome.NotRun _ -> true
        | _ -> false

    /// Checks a law and raises LawFailedException, whose message is the counterexample table, when it
    /// fails: a plain test (`fun () -> Law.test settings law`).
    let test (settings: RunSettings) (law: Law) : unit =
        let r = checkWith settings law
        if not (passed r) then raise (LawFailedException(r, describe r))

    /// The law as an FsCheck property (FsCheck draws and shrinks the cases, e.g. under Expecto.FsCheck).
    let toProperty (law: Law) : Property =
        let arb = Arb.fromGenShrink (law.Cases, Cases.shrink)
        Prop.forAll arb (fun c ->
            match verdict law c with
            | Verdict.Holds -> Prop.ofTestable true
            | Verdict.Skip -> Prop.filter false true
            | Verdict.Fails(reason, at) -> Prop.label (reason + "\n" + Table.render c at) false)
