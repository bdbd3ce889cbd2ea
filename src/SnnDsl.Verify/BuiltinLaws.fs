namespace SnnDsl.Verify

open FsCheck
open FsCheck.FSharp
open SnnDsl.Core

/// Laws of particular neurons (docs/neurons.md) over any interpreter's trace: the project's tests check the
/// built-ins with these definitions, and they show how laws of your own are written.
[<RequireQualifiedAccess>]
module BuiltinLaws =
    /// Cases for Theorem 1, dyadic so every sum is exact: decay in {0.25, 0.5, 0.75}, threshold a multiple
    /// of 1/8 in [1/8, 2], inputs multiples of 1/16 in [-3, 4], from rest; `n` has options decay and threshold.
    let theorem1Cases (n: Neuron) : Gen<Case> =
        let settings =
            { Cases.defaults with RandomInitial = false; Input = Values.grid 16 -3.0 4.0 }
            |> Cases.withParam "decay" (Values.oneOf [ 0.25; 0.5; 0.75 ])
            |> Cases.withParam "threshold" (Values.grid 8 0.125 2.0)
        Cases.ofNeuron settings n

    /// theorem-1: the interpreter's spike train equals the closed form (`Theorems.arLifTheorem1`) exactly, column by column.
    let theorem1 (interp: Interpreter) (cases: Gen<Case>) : Law =
        Law.create "theorem-1" cases (fun c ->
            let spikes = (interp.Trace c).Spikes
            let wrong =
                seq { 0 .. c.Columns - 1 }
                |> Seq.tryFind (fun j -> spikes[*, j] <> Theorems.arLifTheorem1 (c.Param("decay", j)) (c.Param("threshold", j)) c.Inputs[*, j])
            match wrong with
            | None -> Verdict.Holds
            | Some j ->
                let expected = Theorems.arLifTheorem1 (c.Param("decay", j)) (c.Param("threshold", j)) c.Inputs[*, j]
                let t = Array.findIndex id (Array.map2 (<>) expected spikes[*, j])
                Verdict.Fails($"{interp.Name} spike at t = {t + 1}, column {j} is {spikes[t, j]}; Theorem 1 gives {expected[t]}", Some(t, j)))

    // The first (t, j) where `ok` fails on the interpreter's trace, as a verdict.
    let private everyCell (interp: Interpreter) (what: string) (c: Case) (ok: Trace -> int -> int -> bool) =
        let tr = interp.Trace c
        seq { for t in 0 .. c.Steps - 1 do for j in 0 .. c.Columns - 1 do if not (ok tr t j) then yield t, j }
        |> Seq.tryHead
        |> function
            | None -> Verdict.Holds
            | Some(t, j) -> Verdict.Fails($"{interp.Name}: {what} fails at t = {t + 1}, column {j}", Some(t, j))

    /// hard-reset: wherever S is 1, V after the step is exactly the effective value of parameter `reset`.
    let hardReset (interp: Interpreter) (cases: Gen<Case>) : Law =
        Law.create "hard-reset" cases (fun c ->
            everyCell interp "V' = reset where S = 1" c (fun tr t j -> tr.Spikes[t, j] <> 1.0 || tr.States["V"].[t, j] = c.Param("reset", j)))

    /// soft-reset: V after the step is exactly H - theta where S is 1, and H elsewhere.
    let softReset (interp: Interpreter) (cases: Gen<Case>) : Law =
        Law.create "soft-reset" cases (fun c ->
            everyCell interp "V' = H - theta * S" c (fun tr t j ->
                let h, th = tr.Values["H"].[t, j], tr.Values["theta"].[t, j]
                tr.States["V"].[t, j] = (if tr.Spikes[t, j] = 1.0 then h - th else h)))
