namespace SnnDsl.Core


/// Charge rules (SpikingJelly's neuronal_charge): H_t from V_{t-1} and X_t. Arguments are Exprs,
/// so a decay can be a constant, a Param or any rule.
[<RequireQualifiedAccess>]
module Charge =
    let private v = State "V"

    /// Leaky form: H = beta * V + X.
    let leaky (beta: Expr) = beta * v + Input

    // V - 0 is V exactly, so a zero rest potential is left out of the tree (and of its description).
    let private leak (vRest: Expr) = if vRest = Const 0.0 then Input - v else Input - (v - vRest)

    /// Decay-input form: H = V + (X - (V - vRest)) / tau.
    let decayInput (tau: Expr) (vRest: Expr) = v + leak vRest / tau

    /// Decay-input form written with the rate k = 1/tau (PLIF's σ(w)): H = V + (X - (V - vRest)) * k.
    let decayInputRate (rate: Expr) (vRest: Expr) = v + leak vRest * rate

    /// DA-LIF's dual decay: H = beta * V + alpha * X.
    let dualAdaptive (alpha: Expr) (beta: Expr) = beta * v + alpha * Input

    /// IF, no leak: H = V + X.
    let integrate = v + Input

/// Threshold rules: the value theta_t that H_t is compared with.
[<RequireQualifiedAccess>]
module Threshold =
    /// A fixed threshold (a constant or a Param).
    let constant (vth: Expr) = vth

    /// An adaptive threshold vth + scale * b driven by a state such as ALIF's b.
    let adaptive (vth: Expr) (scale: Expr) (b: Expr) = vth + scale * b

    /// Any rule of the input (and state), e.g. AR-LIF's vth + tanh(a) * tanh(X).
    let inputDependent (rule: Expr) = rule

/// How the membrane is reset after a spike; `detachSpike` stops the gradient through S in the reset path.
type Reset =
    /// V = value * S + H * (1 - S).
    | Hard of value: Expr * detachSpike: bool
    /// V = H - theta * S.
    | Soft of detachSpike: bool
    /// V = H - S * amount (AR-LIF).
    | Adaptive of amount: Expr * detachSpike: bool
    /// V = H.
    | NoReset

/// Reset rules (SpikingJelly's neuronal_reset).
[<RequireQualifiedAccess>]
module Reset =
    /// Hard reset to a value, spike not detached.
    let hard (value: Expr) = Hard(value, false)

    /// Reset by subtracting the threshold, spike not detached.
    let soft = Soft false

    /// Reset by subtracting an amount (which may Ref H, S, theta or later bindings), spike not detached.
    let adaptive (amount: Expr) = Adaptive(amount, false)

    /// No reset at all.
    let none = NoReset

    /// The same reset with the spike detached in the reset path.
    let detached (reset: Reset) =
        match reset with
        | Hard(v, _) -> Hard(v, true)
        | Soft _ -> Soft true
        | Adaptive(a, _) -> Adaptive(a, true)
        | NoReset -> NoReset

    /// The new V as an expression of the bindings H, theta and S.
    let apply (reset: Reset) : Expr =
        let s detach = if detach then Detach(Ref "S") else Ref "S"
        match reset with
        | Hard(value, d) -> value * s d + Ref "H" * (1.0 - s d)
        | Soft d -> Ref "H" - Ref "theta" * s d
        | Adaptive(amount, d) -> Ref "H" - s d * amount
        | NoReset -> Ref "H"

/// Everything a charge / fire / reset neuron is made of.
type Rules =
    { Name: string
      Description: string
      Params: ParamSpec list
      /// Extra states; V (initially 0) is added when absent.
      States: StateSpec list
      /// H, from V_{t-1} and X.
      Charge: Expr
      /// theta; may Ref "H".
      Threshold: Expr
      Surrogate: Surrogate
      Reset: Reset
      /// Bindings after S, in order (e.g. AR-LIF's gate and new memory).
      Extra: (string * Expr) list
      /// Updates of the extra states (V's update comes from Reset).
      Updates: (string * Expr) list }

/// Composition of rules into neurons.
[<AutoOpen>]
module Compose =
    type Neuron with
        /// Builds and validates H = charge, theta = threshold, S = Θ(H - theta), extras, V = reset, updates.
        static member compose(rules: Rules) : Neuron =
            let bind (name, e) : Binding = { Name = name; Expr = e }
            let states =
                if rules.States |> List.exists (fun s -> s.Name = "V") then rules.States
                else StateSpec.create "V" 0.0 "membrane potential after reset" :: rules.States
            Neuron.check
                { Name = rules.Name
                  Description = rules.Description
                  Params = rules.Params
                  States = states
                  Bindings =
                    [ bind ("H", rules.Charge)
                      bind ("theta", rules.Threshold)
                      bind ("S", Spike(rules.Surrogate, Ref "H" - Ref "theta")) ]
                    @ List.map bind rules.Extra
                  Updates = bind ("V", Reset.apply rules.Reset) :: List.map bind rules.Updates
                  Output = "S" }

/// Composition as a plain function, for callers that cannot see F# type extensions (the C# facade).
[<RequireQualifiedAccess>]
module Rules =
    /// The same as `Neuron.compose`.
    let compose (rules: Rules) : Neuron = Neuron.compose rules
