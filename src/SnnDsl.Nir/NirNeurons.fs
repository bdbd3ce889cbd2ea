namespace SnnDsl.Nir

open SnnDsl.Core

/// NIR's continuous-time neurons as DSL neurons, integrated by forward Euler with a step `dt` (an option
/// parameter; the others are learnable, one value per neuron, named as in NIR). Each step charges first,
/// spikes when the charged membrane reaches v_threshold (H >= v_threshold) and then resets to v_reset;
/// states start at 0. docs/nir.md has the equations.
[<RequireQualifiedAccess>]
module NirNeurons =
    let private per name doc = ParamSpec.learnable name 0.0 doc |> ParamSpec.per Granularity.PerNeuron
    let private dt (step: float) = ParamSpec.option "dt" step "Euler time step dt"
    let private p = Param

    let private firing name description pars charge extra updates states =
        Neuron.compose
            { Name = name; Description = description; Params = pars; States = states
              Charge = charge; Threshold = Threshold.constant (p "v_threshold"); Surrogate = Surrogate.rectangle
              Reset = Reset.hard (p "v_reset"); Extra = extra; Updates = updates }

    // A neuron without a spike: its output is the membrane itself.
    let private integrator name description pars (charge: Expr) =
        Neuron.check
            { Name = name; Description = description; Params = pars
              States = [ StateSpec.create "V" 0.0 "membrane potential" ]
              Bindings = [ { Name = "H"; Expr = charge } ]
              Updates = [ { Name = "V"; Expr = Ref "H" } ]
              Output = "H" }

    let private leak (tau: string) (input: Expr) = p "dt" / p tau * ((p "v_leak" - V) + p "r" * input)

    /// NIR LIF: H = V + dt/tau ((v_leak - V) + r X), spike at v_threshold, hard reset to v_reset.
    let lif (step: float) =
        firing "nir-lif" "NIR LIF by forward Euler: H = V + dt/tau ((v_leak - V) + r X), hard reset to v_reset"
            [ per "tau" "membrane time constant"; per "r" "resistance"; per "v_leak" "leak potential"
              per "v_threshold" "firing threshold"; per "v_reset" "reset potential"; dt step ]
            (V + leak "tau" X) [] [] []

    /// NIR IF: H = V + dt r X, spike at v_threshold, hard reset to v_reset.
    let integrateAndFire (step: float) =
        firing "nir-if" "NIR IF by forward Euler: H = V + dt r X, hard reset to v_reset"
            [ per "r" "resistance"; per "v_threshold" "firing threshold"; per "v_reset" "reset potential"; dt step ]
            (V + p "dt" * p "r" * X) [] [] []

    /// NIR CubaLIF: I_t = I + dt/tau_syn (w_in X - I), then H = V + dt/tau_mem ((v_leak - V) + r I_t),
    /// spike at v_threshold, hard reset to v_reset.
    let cubaLif (step: float) =
        let current, iT = bind "I_t" (State "I" + p "dt" / p "tau_syn" * (p "w_in" * X - State "I"))
        firing "nir-cubalif" "NIR CubaLIF by forward Euler: I_t = I + dt/tau_syn (w_in X - I), H = V + dt/tau_mem ((v_leak - V) + r I_t), hard reset to v_reset"
            [ per "tau_syn" "synaptic time constant"; per "tau_mem" "membrane time constant"; per "r" "resistance"
              per "v_leak" "leak potential"; per "v_threshold" "firing threshold"; per "v_reset" "reset potential"
              per "w_in" "input weight"; dt step ]
            (V + leak "tau_mem" iT) [ current ] [ update "I" iT ] [ StateSpec.create "I" 0.0 "synaptic current" ]

    /// NIR LI: V = V + dt/tau ((v_leak - V) + r X); the output is V (no spike).
    let leakyIntegrator (step: float) =
        integrator "nir-li" "NIR LI by forward Euler: V = V + dt/tau ((v_leak - V) + r X), output V"
            [ per "tau" "membrane time constant"; per "r" "resistance"; per "v_leak" "leak potential"; dt step ]
            (V + leak "tau" X)

    /// NIR I: V = V + dt r X; the output is V.
    let integrator' (step: float) =
        integrator "nir-i" "NIR I by forward Euler: V = V + dt r X, output V"
            [ per "r" "resistance"; dt step ] (V + p "dt" * p "r" * X)

    /// The names of the neurons above.
    let names = [ "nir-lif"; "nir-if"; "nir-cubalif"; "nir-li"; "nir-i" ]
