namespace SnnDsl.Verify

open System
open FsCheck
open SnnDsl.Core

/// How close two interpreters must come: relative to max(1, |expected|).
type Tolerance =
    { /// States and bindings (spikes must be equal).
      Values: float
      /// The objective J and its gradients (inputs, parameters, initial states).
      Gradients: float }

/// The standard laws, for any neuron: each is one definition, parameterised by the interpreters it
/// compares, the tolerances and the cases, so `snn verify`, the C# facade and the project's own tests
/// check the same thing.
[<RequireQualifiedAccess>]
module Laws =
    /// float64 everywhere: values within 1e-12, gradients within 1e-9 (relative).
    let tolerance = { Values = 1e-12; Gradients = 1e-9 }

    let private same (a: float) (b: float) = a = b || (Double.IsNaN a && Double.IsNaN b)

    let private close (tol: float) (e: float) (a: float) =
        same e a || abs (e - a) <= tol * max 1.0 (abs e)

    let private where (c: Case) t j = (if c.Columns > 1 then $"t = {t + 1}, column {j}" else $"t = {t + 1}")

    let private number (v: float) = v.ToString("R", Globalization.CultureInfo.InvariantCulture)

    // The first cell where two [T, N] tables differ beyond `ok`, as a verdict.
    let private tables (c: Case) (what: string) (names: string * string) (ok: float -> float -> bool) (e: float[,]) (a: float[,]) =
        let first =
            seq { for t in 0 .. Array2D.length1 e - 1 do for j in 0 .. Array2D.length2 e - 1 do if not (ok e[t, j] a[t, j]) then yield t, j }
            |> Seq.tryHead
        match first with
        | None -> None
        | Some(t, j) ->
            let en, an = names
            Some(Verdict.Fails($"{what} at {where c t j}: {en} {number e[t, j]}, {an} {number a[t, j]}", Some(t, j)))

    let private firstFailure (checks: (unit -> Verdict option) seq) =
        checks |> Seq.tryPick (fun f -> f ()) |> Option.defaultValue Verdict.Holds

    /// Compares a trace with the expected one: spikes exactly, states and bindings within `tol`.
    let compareTraces (c: Case) (tol: float) (names: string * string) (expected: Trace) (actual: Trace) : Verdict =
        firstFailure
            [ yield fun () -> tables c "spikes" names same expected.Spikes actual.Spikes
              for KeyValue(k, v) in expected.States do
                  yield fun () ->
                      match actual.States.TryFind k with
                      | Some a -> tables c $"state {k}" names (close tol) v a
                      | None -> Some(Verdict.Fails($"state {k} is missing from the {snd names} run", None))
              for KeyValue(k, v) in expected.Values do
                  match actual.Values.TryFind k with
                  | Some a -> yield fun () -> tables c $"binding {k}" names (close tol) v a
                  | None -> () ]

    // The interpreters that can run this case.
    let private able (interps: Interpreter list) (c: Case) = interps |> List.filter (fun i -> (i.WhyNot c).IsNone)

    /// interpreters-agree: each interpreter's trace equals the oracle's: spikes exactly, every state and
    /// binding at every step within `tol`.
    let interpretersAgree (interps: Interpreter list) (tol: float) (cases: Gen<Case>) : Law =
        Law.create "interpreters-agree" cases (fun c ->
            let oracle = Interpreter.oracle.Trace c
            firstFailure [ for i in able interps c -> fun () -> match compareTraces c tol ("oracle", i.Name) oracle (i.Trace c) with Verdict.Holds -> None | v -> Some v ])

    let private arrays (what: string) (names: string * string) (tol: float) (e: float[]) (a: float[]) =
        if e.Length <> a.Length then Some(Verdict.Fails($"{what}: {fst names} has {e.Length} values, {snd names} {a.Length}", None))
        else
            match Array.tryFindIndex id (Array.map2 (fun x y -> not (close tol x y)) e a) with
            | None -> None
            | Some k ->
                let at = if e.Length > 1 then $"[{k}]" else ""
                Some(Verdict.Fails($"{what}{at}: {fst names} {number e[k]}, {snd names} {number a[k]}", None))

    /// Compares gradients: the objective, dJ/d(inputs), dJ/d(each parameter the actual run has) and
    /// dJ/d(each initial state the actual run has), within `tol`.
    let compareGradients (c: Case) (tol: float) (names: string * string) (e: RunGradients) (a: RunGradients) : Verdict =
        firstFailure
            [ yield fun () -> arrays "J (spikes + final states)" names tol [| e.Objective |] [| a.Objective |]
              yield fun () -> tables c "dJ/dX" names (close tol) e.Inputs a.Inputs
              for KeyValue(k, g) in a.Params do
                  yield fun () -> arrays $"dJ/d{k}" names tol (e.Params.TryFind k |> Option.defaultValue [||]) g
              for KeyValue(k, g) in a.Initial do
                  yield fun () -> arrays $"dJ/d(initial {k})" names tol (e.Initial.TryFind k |> Option.defaultValue [||]) g ]

    /// gradients-agree: each interpreter's reverse mode (autograd, or a fused kernel's derived backward)
    /// equals the oracle's forward mode (dual numbers) for J = sum of spikes + sum of final states, with
    /// respect to the inputs, the parameters given as tensors and the initial states.
    let gradientsAgree (interps: Interpreter list) (tol: float) (cases: Gen<Case>) : Law =
        Law.create "gradients-agree" cases (fun c ->
            let expected = Interpreter.oracle.Gradients 1.0 c
            firstFailure
                [ for i in able interps c ->
                      fun () -> match compareGradients c tol ("forward mode", i.Name) expected (i.Gradients 1.0 c) with Verdict.Holds -> None | v -> Some v ])

    /// reverse-equals-forward: the oracle's derived backward program, run in reverse over time, gives the
    /// same gradients as forward mode with dual numbers.
    let reverseEqualsForward (tol: float) (cases: Gen<Case>) : Law =
        Law.create "reverse-equals-forward" cases (fun c ->
            let forward = Oracle.gradientsWith 1.0 c.Neuron c.Params c.Initial c.Inputs
            let reverse = Oracle.reverseGradientsWith 1.0 c.Neuron c.Params c.Initial c.Inputs
            compareGradients c tol ("forward mode", "reverse mode") forward reverse)

    /// multi-step-is-fold: running T steps at once equals T single steps, each from the state the last one
    /// returned: spikes and states bit for bit.
    let multiStepIsFold (interps: Interpreter list) (cases: Gen<Case>) : Law =
        Law.create "multi-step-is-fold" cases (fun c ->
            firstFailure
                [ for i in able interps c ->
                      fun () ->
                          let whole = i.Trace c
                          match compareTraces c 0.0 ($"{i.Name} multi-step", "single steps") { whole with Values = Map.empty } (i.Stepwise c) with
                          | Verdict.Holds -> None
                          | v -> Some v ])

    /// spikes-binary: every spike is exactly 0 or 1.
    let spikesBinary (interps: Interpreter list) (cases: Gen<Case>) : Law =
        Law.create "spikes-binary" cases (fun c ->
            firstFailure
                [ for i in Interpreter.oracle :: able interps c ->
                      fun () ->
                          let s = (i.Trace c).Spikes
                          seq { for t in 0 .. c.Steps - 1 do for j in 0 .. c.Columns - 1 do if s[t, j] <> 0.0 && s[t, j] <> 1.0 then yield t, j }
                          |> Seq.tryHead
                          |> Option.map (fun (t, j) -> Verdict.Fails($"{i.Name} spike at {where c t j} is {number s[t, j]}", Some(t, j))) ])

    /// finite: for finite inputs, every state and binding stays finite (NaN or infinity nowhere).
    let finite (cases: Gen<Case>) : Law =
        Law.create "finite" cases (fun c ->
            let tr = Interpreter.oracle.Trace c
            let named = [ for KeyValue(k, v) in tr.Values -> k, v ] @ [ for KeyValue(k, v) in tr.States -> k + "'", v ]
            firstFailure
                [ for k, v in named ->
                      fun () ->
                          seq { for t in 0 .. c.Steps - 1 do for j in 0 .. c.Columns - 1 do if not (Double.IsFinite v[t, j]) then yield t, j }
                          |> Seq.tryHead
                          |> Option.map (fun (t, j) -> Verdict.Fails($"{k} at {where c t j} is {number v[t, j]} for finite inputs", Some(t, j))) ])

    /// same-seed-same-result: running a case twice gives the same trace and gradients, bit for bit.
    let sameSeedSameResult (interps: Interpreter list) (cases: Gen<Case>) : Law =
        Law.create "same-seed-same-result" cases (fun c ->
            firstFailure
                [ for i in Interpreter.oracle :: able interps c ->
                      fun () ->
                          match compareTraces c 0.0 ($"{i.Name} first run", "second run") (i.Trace c) (i.Trace c) with
                          | Verdict.Holds ->
                              match compareGradients c 0.0 ($"{i.Name} first run", "second run") (i.Gradients 1.0 c) (i.Gradients 1.0 c) with
                              | Verdict.Holds -> None
                              | v -> Some v
                          | v -> Some v ])
