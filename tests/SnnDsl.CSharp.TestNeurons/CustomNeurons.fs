namespace SnnDsl.CSharp.TestNeurons

open SnnDsl.Core
open SnnDsl.Core.Notation
open SnnDsl.Torch

/// Neurons a user might define in F#; the C# generator must give each public one a layer.
module CustomNeurons =
    /// Leaky LIF with a learnable threshold kept in (0, 2) (docs/dsl.md section 4); soft reset.
    let lifVth =
        Neuron.compose
            { Name = "lif-vth"
              Description = "leaky LIF with a learnable, positive threshold; soft reset"
              Params =
                [ ParamSpec.option "decay" 0.5 "leak factor"
                  ParamSpec.learnable "vth" 0.0 "threshold / 2, squashed" |> ParamSpec.squashed Squash.Sigmoid ]
              States = []
              Charge = Charge.leaky (Param "decay")
              Threshold = Threshold.constant (2.0 * Param "vth")
              Surrogate = Surrogate.atan
              Reset = Reset.soft
              Extra = []
              Updates = [] }

    /// A quadratic integrate-and-fire neuron written directly as a step program (no combinators).
    let quadratic =
        Neuron.check
            { Name = "qif"
              Description = "quadratic integrate-and-fire: H = V + k * V * V + X, hard reset to 0"
              Params = [ ParamSpec.option "k" 0.1 "quadratic gain"; ParamSpec.option "threshold" 1.0 "firing threshold" ]
              States = [ StateSpec.create "V" 0.0 "membrane potential" ]
              Bindings =
                [ { Name = "H"; Expr = V + Param "k" * V * V + X }
                  { Name = "S"; Expr = spike Surrogate.rectangle (Ref "H" - Param "threshold") } ]
              Updates = [ { Name = "V"; Expr = Ref "H" * (1.0 - Ref "S") } ]
              Output = "S" }

    /// Not public: the generator must not see it.
    let internal hidden = Builtins.lif

/// A module whose neuron reuses a built-in's name: its generated member must not clash with `Lif`.
module Variants =
    /// LIF with a time constant of 4.
    let lif =
        match Neuron.withParam "tau" 4.0 Builtins.lif with
        | Ok n -> { n with Description = "LIF with tau = 4" }
        | Error e -> failwith e
