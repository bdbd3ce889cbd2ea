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
    { /// The neuron's name (e.g. "da-lif").
      Name: string
      /// One line on what it is.
      Description: string
      /// Its parameters: learnable ones and fixed options.
      Params: ParamSpec list
      /// Extra states; V (initially 0) is added when absent.
      States: StateSpec list
      /// H, from V_{t-1} and X.
      Charge: Expr
      /// theta; may Ref "H".
      Threshold: Expr
      /// The surrogate derivative of the spike S = Θ(H - theta).
      Surrogate: Surrogate
      /// How V is reset after a spike (V's update).
      Reset: Reset
      /// Further bindings, in order (e.g. AR-LIF's gate and new memory). Those the charge or the threshold
      /// read (directly or through one another) are computed before H, such as a synaptic current
      /// I_t = a * I + X that H = b * V + I_t reads; the others after S.
      Extra: (string * Expr) list
      /// Updates of the extra states (V's update comes from Reset).
      Updates: (string * Expr) list }

/// Composition of rules into neurons.
[<AutoOpen>]
module Compose =
    type Neuron with
        /// Builds and validates H = charge, theta = threshold, S = Θ(H - theta), extras, V = reset, updates.
        /// Extras that the charge or the threshold read come first, so a value such as a synaptic current is
        /// written once and computed once per step.
        static member compose(rules: Rules) : Neuron =
            let bind (name, e) : Binding = { Name = name; Expr = e }
            let extraNames = rules.Extra |> List.map fst |> Set.ofList
            // The extras read by the charge and threshold, and those they read in turn.
            let rec closure (found: Set<string>) (frontier: Expr list) =
                let refs = frontier |> List.map Expr.refNames |> Set.unionMany |> Set.intersect extraNames
                let fresh = refs - found
                if fresh.IsEmpty then found
                else closure (found + fresh) (rules.Extra |> List.filter (fun (n, _) -> fresh.Contains n) |> List.map snd)
            let early = closure Set.empty [ rules.Charge; rules.Threshold ]
            let before, after = rules.Extra |> List.partition (fun (n, _) -> early.Contains n)
            let states =
                if rules.States |> List.exists (fun s -> s.Name = "V") then rules.States
                else StateSpec.create "V" 0.0 "membrane potential after reset" :: rules.States
            Neuron.check
                { Name = rules.Name
                  Description = rules.Description
                  Params = rules.Params
                  States = states
                  Bindings =
                    List.map bind before
                    @ [ bind ("H", rules.Charge)
                        bind ("theta", rules.Threshold)
                        bind ("S", Spike(rules.Surrogate, Ref "H" - Ref "theta")) ]
                    @ List.map bind after
                  Updates = bind ("V", Reset.apply rules.Reset) :: List.map bind rules.Updates
                  Output = "S" }

/// Everything a neuron definition needs besides the types of SnnDsl.Core, opened with it: X, V, the
/// functions of the expression language and `bind` / `update` for named values. (`SnnDsl.Core.Notation`
/// adds min and max over expressions, shadowing the generic ones.)
[<AutoOpen>]
module Vocabulary =
    /// The input current X_t.
    let X = Input
    /// The membrane potential of the previous step, V_{t-1}.
    let V = State "V"
    /// The logistic σ(e).
    let sigmoid e = Expr.sigmoid e
    /// max(e, 0).
    let relu e = Expr.relu e
    /// Θ(e) forward with the given surrogate derivative backward.
    let spike surrogate e = Expr.spike surrogate e
    /// Stops the gradient through e.
    let detach e = Expr.detach e
    /// A named value for `Rules.Extra` and the Ref that reads it: `let current, I_t = bind "I_t" (a * State "I" + X)`.
    let bind (name: string) (e: Expr) : (string * Expr) * Expr = (name, e), Ref name
    /// A state's new value for `Rules.Updates`: `update "I" I_t` (the same as ("I", I_t), without a bare tuple in a list).
    let update (state: string) (e: Expr) : string * Expr = state, e

/// Composition as a plain function, for callers that cannot see F# type extensions (the C# facade).
[<RequireQualifiedAccess>]
module Rules =
    /// The same as `Neuron.compose`.
    let compose (rules: Rules) : Neuron = Neuron.compose rules
