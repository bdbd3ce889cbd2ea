namespace SnnDsl.Backends

open System
open SnnDsl.Core
open SnnDsl.Torch

// The seam first: what every tensor interpreter of step programs implements and the values it passes
// around. Eager.fs and Fused.fs implement it; Backend.fs chooses between them.

/// A value during tensor evaluation: a plain number (constants, untouched initial states) or a tensor.
/// Keeping numbers as numbers lets `beta * V + X` use libtorch's tensor-scalar kernels and skips work on
/// the first step, where every state is still its initial constant.
[<RequireQualifiedAccess>]
type TValue =
    /// A plain number, the same for every element.
    | Number of float
    /// A tensor of values.
    | Tensor of Tensor

/// The state of a layer of neurons between calls, one value per state variable. Explicit: a new batch
/// starts from the initial state, nothing needs resetting by hand.
type NeuronState = Map<string, TValue>

/// A run recorded step by step, every value [T, N, ...]: the spikes, each binding and each state's new value.
type TensorTrace =
    { /// The spikes (the output) of every step.
      Spikes: Tensor
      /// Each binding's value at every step, by name.
      Values: (string * Tensor) list
      /// Each state's new value at every step, by name.
      States: (string * Tensor) list }

/// Which tensor interpreter runs a neuron: the eager one, the fused kernels, or fused where they apply
/// (else eager, with a one-line notice saying why).
[<RequireQualifiedAccess>]
type Backend =
    /// The eager interpreter: one libtorch call per operation and step.
    | Eager
    /// The fused kernels; a neuron or input they cannot run is a usage error.
    | Fused
    /// The fused kernels where they apply, else eager.
    | Auto

/// Backend names, parsed once at the edges (CLI, C#).
[<RequireQualifiedAccess>]
module Backend =
    /// The valid names.
    let names = [ "eager"; "fused"; "auto" ]

    /// The name as written on the command line.
    let name (b: Backend) =
        match b with
        | Backend.Eager -> "eager"
        | Backend.Fused -> "fused"
        | Backend.Auto -> "auto"

    /// Parses eager, fused or auto.
    let parse (text: string) : Result<Backend, string> =
        match text.Trim().ToLowerInvariant() with
        | "eager" -> Ok Backend.Eager
        | "fused" -> Ok Backend.Fused
        | "auto" -> Ok Backend.Auto
        | other ->
            let valid = String.concat ", " names
            Error $"unknown backend '{other}'; valid backends: {valid}"

/// The one seam between neurons and tensors: every tensor interpreter of step programs implements it.
type ITensorInterpreter =
    /// "eager", "fused" or "fused-interpreted".
    abstract Name: string
    /// None when this interpreter runs the program on this input; else why not.
    abstract WhyNot: program: StepProgram * x: Tensor -> string option
    /// Runs x [T, N, ...] from a state (None: the initial state): the spikes [T, N, ...] and the final state.
    abstract Run: program: StepProgram * raw: Map<string, Tensor> * state: NeuronState option * x: Tensor -> Tensor * NeuronState
    /// Runs x [T, N, ...] from a state (None: the initial state), recording every binding and new state.
    abstract Trace: program: StepProgram * raw: Map<string, Tensor> * state: NeuronState option * x: Tensor -> TensorTrace
