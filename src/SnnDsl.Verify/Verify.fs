namespace SnnDsl.Verify

open System
open SnnDsl.Core
open SnnDsl.Backends

/// What `Verify.run` checks: how many cases, from which seed, drawn how, and which laws.
type VerifySettings =
    { /// How many cases per law and from which seed.
      Run: RunSettings
      /// How the cases are drawn.
      Cases: CaseSettings
      /// Only the laws with these names (empty: all of them).
      Only: string list
      /// Cases for the compiled fused kernel (one compiler run per neuron, then cached on disk).
      CompiledCases: int }

/// Verifying a neuron: the standard laws and the laws of its file, one result per law.
[<RequireQualifiedAccess>]
module Verify =
    /// 100 cases from seed 1 with the default case settings; 10 for the compiled kernel.
    let defaults = { Run = Law.defaults; Cases = Cases.defaults; Only = []; CompiledCases = 10 }

    // Why the fused kernels cannot run this neuron here, if they cannot (no compiler, or too large).
    let private fusedWhyNot (n: Neuron) =
        match KernelCache.unavailable () with
        | Some why -> Some $"fused kernels cannot be compiled here: {why}"
        | None ->
            let all = Program.lower Program.allParams n
            Fused.whyNotProgram all

    /// The standard laws of a neuron, on cases drawn by `settings` (docs/verify.md lists them).
    let standardLaws (settings: VerifySettings) (n: Neuron) : Law list =
        let n = Neuron.check n
        let cases = Cases.ofNeuron settings.Cases n
        let fusedOk = (fusedWhyNot n).IsNone
        let interps = if fusedOk then Interpreter.tensors else [ Interpreter.eager ]
        [ Laws.interpretersAgree interps Laws.tolerance.Values cases
          Law.all "compiled-kernel-agrees"
              [ Laws.interpretersAgree [ Interpreter.fused ] Laws.tolerance.Values (Cases.allAsTensors cases)
                Laws.gradientsAgree [ Interpreter.fused ] Laws.tolerance.Gradients (Cases.allAsTensors cases) ]
          |> Law.atMost settings.CompiledCases
          Laws.gradientsAgree interps Laws.tolerance.Gradients cases
          Laws.multiStepIsFold interps cases
          Laws.spikesBinary interps cases
          Laws.finite cases
          Laws.reverseEqualsForward Laws.tolerance.Gradients cases
          Laws.sameSeedSameResult interps cases ]

    /// The names of the standard laws, in the order they run.
    let standardNames =
        [ "interpreters-agree"; "compiled-kernel-agrees"; "gradients-agree"; "multi-step-is-fold"; "spikes-binary"
          "finite"; "reverse-equals-forward"; "same-seed-same-result" ]

    /// The laws of a file: the standard ones, one per state domain it declares, and those it writes.
    let laws (settings: VerifySettings) (file: NeuronFile) : Law list =
        standardLaws settings file.Neuron
        @ TextLaws.domains settings.Cases file.Neuron
        @ (file.Laws |> List.map (TextLaws.ofText settings.Cases file.Neuron))

    /// Checks the chosen laws of a file and the `extra` laws (e.g. laws written in F# or C#); `onResult`
    /// sees each result as soon as it is known. An unknown law name is a usage error listing the valid ones.
    let runAll (settings: VerifySettings) (onResult: LawResult -> unit) (file: NeuronFile) (extra: Law list) : LawResult list =
        let all = laws settings file @ extra
        let names = all |> List.map (fun l -> l.Name)
        for name in settings.Only do
            if not (List.contains name names) then
                Fail.usage $"""no law '{name}' for neuron '{file.Neuron.Name}'; laws: {String.Join(", ", names)}"""
        let chosen = if settings.Only.IsEmpty then all else all |> List.filter (fun l -> List.contains l.Name settings.Only)
        let fusedWhy = fusedWhyNot file.Neuron
        [ for law in chosen ->
              let r =
                  match fusedWhy with
                  | Some why when law.Name = "compiled-kernel-agrees" -> { Law = law.Name; Seed = settings.Run.Seed; Outcome = Outcome.NotRun why }
                  | _ -> Law.checkWith settings.Run law
              onResult r
              r ]

    /// Checks the chosen laws of a file; `onResult` sees each result as soon as it is known.
    let runWith (settings: VerifySettings) (onResult: LawResult -> unit) (file: NeuronFile) : LawResult list =
        runAll settings onResult file []

    /// Checks the chosen laws of a file.
    let run (settings: VerifySettings) (file: NeuronFile) : LawResult list = runWith settings ignore file

    /// Checks the standard laws of a neuron.
    let neuron (settings: VerifySettings) (n: Neuron) : LawResult list = run settings { Neuron = n; Laws = [] }
