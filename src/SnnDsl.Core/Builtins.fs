namespace SnnDsl.Core


/// The neurons of docs/science.md ("Neurons"), each written with the combinators, and a registry of them by name.
/// Every built-in uses the rectangle(1) surrogate, so comparisons differ only in the neuron;
/// `Neuron.withSurrogate` swaps it.
[<RequireQualifiedAccess>]
module Builtins =
    let private surrogate = Surrogate.rectangle
    let private threshold = ParamSpec.option "threshold" 1.0 "firing threshold V_th"
    let private reset = ParamSpec.option "reset" 0.0 "hard-reset value V_reset"
    let private restReset = ParamSpec.option "reset" 0.0 "hard-reset value V_reset, also the rest potential of the leak"
    let private tau = ParamSpec.option "tau" 2.0 "membrane time constant"
    let private decay = ParamSpec.option "decay" 0.5 "leak factor beta = 1 - 1/tau"

    let private rules name description pars charge reset : Rules =
        { Name = name; Description = description; Params = pars; States = []
          Charge = charge; Threshold = Threshold.constant (Param "threshold")
          Surrogate = surrogate; Reset = reset; Extra = []; Updates = [] }

    /// IF: H = V + X, hard reset.
    let integrateAndFire =
        Neuron.compose (rules "if" "integrate-and-fire, no leak, hard reset" [ threshold; reset ]
                            Charge.integrate (Reset.hard (Param "reset")))

    /// LIF, decay-input form leaking towards V_reset (as SpikingJelly's LIFNode), hard reset.
    let lif =
        Neuron.compose (rules "lif" "LIF, decay-input charge H = V + (X - (V - V_reset)) / tau, hard reset"
                            [ tau; threshold; restReset ]
                            (Charge.decayInput (Param "tau") (Param "reset")) (Reset.hard (Param "reset")))

    /// LIF, decay-input form leaking towards 0, soft reset (subtract the threshold).
    let lifSoft =
        Neuron.compose (rules "lif-soft" "LIF, decay-input charge H = V + (X - V) / tau, soft reset"
                            [ tau; threshold ] (Charge.decayInput (Param "tau") (Const 0.0)) Reset.soft)

    /// LIF, leaky form H = decay * V + X, hard reset.
    let leakyLif =
        Neuron.compose (rules "leaky-lif" "LIF, leaky charge H = decay * V + X, hard reset"
                            [ decay; threshold; reset ] (Charge.leaky (Param "decay")) (Reset.hard (Param "reset")))

    /// LIF, leaky form H = decay * V + X, soft reset (the neuron of AR-LIF's Theorem 1).
    let leakyLifSoft =
        Neuron.compose (rules "leaky-lif-soft" "LIF, leaky charge H = decay * V + X, soft reset"
                            [ decay; threshold ] (Charge.leaky (Param "decay")) Reset.soft)

    /// PLIF with initial time constant tau0: learnable per-layer w, 1/tau = σ(w), w0 = -ln(tau0 - 1).
    let plifWith (tau0: float) =
        let w0 = -(log (tau0 - 1.0)) + 0.0 // + 0.0 turns -0 into 0
        let w =
            ParamSpec.learnable "w" w0 $"1/tau = sigmoid(w); initial tau {tau0}"
            |> ParamSpec.squashed Squash.Sigmoid
        Neuron.compose (rules "plif" "parametric LIF (Fang et al. 2021): decay-input charge with learnable 1/tau = sigmoid(w), hard reset"
                            [ w; threshold; restReset ]
                            (Charge.decayInputRate (Param "w") (Param "reset")) (Reset.hard (Param "reset")))

    /// PLIF with tau0 = 2 (w0 = 0).
    let plif = plifWith 2.0

    /// ALIF / LSNN: theta_t = threshold + scale * b_t with b_t = rho * b_{t-1} + (1 - rho) * S_{t-1}.
    /// State b holds b_t for the coming step: it is updated from this step's S after the spike, so
    /// b_1 = 0 and the threshold never reacts to the spike of its own step. Soft reset subtracts theta_t.
    let alif =
        Neuron.compose
            { rules "alif" "adaptive-threshold LIF (Bellec et al. 2018): decay-input charge, theta = threshold + scale * b, soft reset"
                  [ tau; threshold
                    ParamSpec.option "rho" 0.9 "decay of the adaptation b"
                    ParamSpec.option "scale" 1.8 "threshold increase per unit of b" ]
                  (Charge.decayInput (Param "tau") (Const 0.0)) Reset.soft with
                States = [ StateSpec.create "b" 0.0 "threshold adaptation b_t (from spikes up to t-1)" ]
                Threshold = Threshold.adaptive (Param "threshold") (Param "scale") (State "b")
                Updates = [ "b", Param "rho" * State "b" + (1.0 - Param "rho") * Ref "S" ] }

    /// DA-LIF with a chosen squashing and initial raw value for alpha and beta.
    let daLifWith (squash: Squash) (init: float) =
        let decayParam name doc = ParamSpec.learnable name init doc |> ParamSpec.squashed squash
        Neuron.compose (rules "da-lif" "dual adaptive LIF (DA-LIF, Eq. 9): H = beta * V + alpha * X, learnable per layer, hard reset"
                            [ decayParam "alpha" "spatial decay, scales the input"
                              decayParam "beta" "temporal decay, scales the membrane"
                              threshold; reset ]
                            (Charge.dualAdaptive (Param "alpha") (Param "beta")) (Reset.hard (Param "reset")))

    /// DA-LIF as in the paper: alpha = tanh(raw), beta = tanh(raw), raw initialised at 1.0.
    let daLif = daLifWith Squash.Tanh 1.0

    /// AR-LIF (the authors' XLIF): input-dependent threshold, memory M, adaptive soft reset whose spike
    /// is not detached.
    let arLif =
        let x = Input
        Neuron.compose
            { rules "ar-lif" "adaptive reset LIF (AR-LIF): theta = threshold + tanh(a) * tanh(X), memory M, V = H - S * (theta + sigmoid(M))"
                  [ ParamSpec.learnable "a" 0.0 "threshold sensitivity to the input, used as tanh(a)"
                    ParamSpec.learnable "c" 1.0 "memory gate g = sigmoid(c * X), unconstrained"
                    decay; threshold ]
                  (Charge.leaky (Param "decay")) (Reset.adaptive (Ref "theta" + Expr.sigmoid (Ref "M_t"))) with
                States = [ StateSpec.create "M" 0.0 "reset memory" ]
                Threshold = Threshold.inputDependent (Param "threshold" + tanh (Param "a") * tanh x)
                Extra =
                  [ "g", Expr.sigmoid (Param "c" * x)
                    "M_t",
                    Expr.max (State "M") (Const 0.0) * Ref "g"
                    + Expr.min (State "M") (Const 0.0) * (1.0 - Ref "g")
                    + (2.0 * Ref "S" - 1.0) * Expr.sigmoid x ]
                Updates = [ "M", Ref "M_t" ] }

    /// Every built-in, in the order a listing shows them.
    let all = [ integrateAndFire; lif; lifSoft; leakyLif; leakyLifSoft; plif; alif; daLif; arLif ]

    /// The built-in names.
    let names = all |> List.map (fun n -> n.Name)

    /// The built-in with this name (case-insensitive); an unknown name is an error listing the valid ones.
    let find (name: string) : Result<Neuron, string> =
        match all |> List.tryFind (fun n -> n.Name.Equals(name.Trim(), System.StringComparison.OrdinalIgnoreCase)) with
        | Some n -> Ok n
        | None -> Error($"unknown neuron '{name}'; valid neurons: " + String.concat ", " names)
