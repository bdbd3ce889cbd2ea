namespace SnnDsl.Core

/// How many copies of a parameter a layer holds.
[<RequireQualifiedAccess>]
type Granularity =
    /// One value shared by the whole layer.
    | PerLayer
    /// One value per channel (dim 2 of [T, N, C, ...]).
    | PerChannel
    /// One value per neuron: the layer's whole per-sample shape.
    | PerNeuron

/// Maps a parameter's raw (trained) value to the effective value the rules see.
[<RequireQualifiedAccess>]
type Squash =
    /// The effective value is the raw value.
    | None
    /// tanh(raw), in (-1, 1).
    | Tanh
    /// 1 / (1 + e^-raw), in (0, 1).
    | Sigmoid

/// A neuron parameter; `Param name` in a rule means squash(raw).
type ParamSpec =
    { /// The name rules refer to (`Param name`) and layers register it under ("<layer>.<name>").
      Name: string
      /// False for fixed options (e.g. LIF's tau), which a CLI may still override.
      Learnable: bool
      /// How many copies a layer holds.
      Granularity: Granularity
      /// How the raw value maps to the value the rules see.
      Squash: Squash
      /// The initial RAW value.
      Init: float
      /// What the parameter means, shown by `snn neurons` and Describe.
      Doc: string }

/// A state variable carried from one step to the next.
type StateSpec =
    { /// The name rules refer to (`State name`: the previous step's value).
      Name: string
      /// The value before the first step.
      Init: float
      /// What the state means.
      Doc: string }

/// A named value: an intermediate of the step, or the new value of a state.
type Binding =
    { /// The name later rules refer to (`Ref name`), or the state it updates.
      Name: string
      /// The value.
      Expr: Expr }

/// A neuron as data: its parameters, its state and the step program that maps (X_t, state_{t-1}) to
/// (S_t, state_t). Bindings are evaluated in order and may Ref earlier ones; updates see every binding,
/// and `State s` always means the previous step's value.
type Neuron =
    { /// The neuron's name (e.g. "da-lif"), as `--neuron` and the generated C# layers name it.
      Name: string
      /// One line on what it is.
      Description: string
      /// Its parameters: learnable ones and fixed options.
      Params: ParamSpec list
      /// The state carried between steps (V, and any extra state).
      States: StateSpec list
      /// The step's intermediate values in order (H, theta, S, extras).
      Bindings: Binding list
      /// The new value of each state, computed from the bindings and the previous states.
      Updates: Binding list
      /// The binding that is the neuron's output (its spike).
      Output: string }

/// A neuron definition that breaks the rules of the step program.
exception InvalidNeuron of
    /// The name of the invalid neuron.
    neuron: string *
    /// Every problem found, one message each.
    problems: string list with
    override this.Message =
        $"neuron '{this.neuron}' is invalid:\n  " + String.concat "\n  " this.problems

/// Squashing functions.
[<RequireQualifiedAccess>]
module Squash =
    /// The effective value of a raw parameter.
    let apply (squash: Squash) (raw: float) =
        match squash with
        | Squash.None -> raw
        | Squash.Tanh -> tanh raw
        | Squash.Sigmoid -> 1.0 / (1.0 + exp -raw)

    /// The expression op that performs the squash, if any.
    let toUnary (squash: Squash) =
        match squash with
        | Squash.None -> Option.None
        | Squash.Tanh -> Some UnaryOp.Tanh
        | Squash.Sigmoid -> Some UnaryOp.Sigmoid

/// Building parameter specs.
[<RequireQualifiedAccess>]
module ParamSpec =
    /// A fixed option, one per layer, unsquashed.
    let option name value doc : ParamSpec =
        { Name = name; Learnable = false; Granularity = Granularity.PerLayer; Squash = Squash.None; Init = value; Doc = doc }

    /// A learnable parameter, one per layer, unsquashed; pipe into squashed/per to change that.
    let learnable name init doc : ParamSpec = { option name init doc with Learnable = true }

    /// Sets the squashing function.
    let squashed squash (p: ParamSpec) = { p with Squash = squash }

    /// Sets the granularity.
    let per granularity (p: ParamSpec) = { p with Granularity = granularity }

/// Building state specs.
[<RequireQualifiedAccess>]
module StateSpec =
    /// A state variable with the given initial value.
    let create name init doc : StateSpec = { Name = name; Init = init; Doc = doc }

/// Validation and queries over neurons.
[<RequireQualifiedAccess>]
module Neuron =
    let private listOrNone (names: string seq) =
        let l = List.ofSeq names
        if l.IsEmpty then "none" else String.concat ", " l

    let private badName (name: string) =
        name = "" || name = "X" || name |> Seq.exists System.Char.IsWhiteSpace

    // Checks one expression against the names visible where it is used.
    let private checkExpr (where: string) (refsVisible: string list) (states: string list) (pars: string list) e =
        [ for r in Expr.refNames e do
              if not (List.contains r refsVisible) then
                  yield $"{where} refers to unknown binding '{r}' (visible bindings: {listOrNone refsVisible})"
          for s in Expr.stateNames e do
              if not (List.contains s states) then
                  yield $"{where} refers to unknown state '{s}' (states: {listOrNone states})"
          for p in Expr.paramNames e do
              if not (List.contains p pars) then
                  yield $"{where} refers to unknown parameter '{p}' (parameters: {listOrNone pars})"
          let nonFinite = Expr.fold (fun acc n -> acc || (match n with Const c -> not (System.Double.IsFinite c) | _ -> false)) false e
          if nonFinite then yield $"{where} has a constant that is not finite" ]

    /// All problems of a definition, or the neuron itself when there are none.
    let validate (n: Neuron) : Result<Neuron, string list> =
        let pars = n.Params |> List.map (fun p -> p.Name)
        let states = n.States |> List.map (fun s -> s.Name)
        let bindings = n.Bindings |> List.map (fun b -> b.Name)
        let all = pars @ states @ bindings
        let problems =
            [ for name in all do
                  if badName name then yield $"'{name}' is not a valid name (empty, 'X' or containing spaces)"
              for name, count in List.countBy id all do
                  if count > 1 then yield $"name '{name}' is defined {count} times (parameters, states and bindings share one namespace)"
              if not (List.contains "V" states) then
                  yield $"state 'V' (the membrane potential) is missing (states: {listOrNone states})"
              for p in n.Params do
                  if not (System.Double.IsFinite p.Init) then yield $"parameter '{p.Name}' has a non-finite initial value"
              for s in n.States do
                  if not (System.Double.IsFinite s.Init) then yield $"state '{s.Name}' has a non-finite initial value"
              for i, b in List.indexed n.Bindings do
                  yield! checkExpr $"binding '{b.Name}'" (List.take i bindings) states pars b.Expr
              for u in n.Updates do
                  if not (List.contains u.Name states) then
                      yield $"update of '{u.Name}' is not a declared state (states: {listOrNone states})"
                  yield! checkExpr $"update of '{u.Name}'" bindings states pars u.Expr
              let updated = n.Updates |> List.map (fun u -> u.Name)
              for s in states do
                  match List.filter ((=) s) updated |> List.length with
                  | 0 -> yield $"state '{s}' has no update"
                  | 1 -> ()
                  | k -> yield $"state '{s}' is updated {k} times"
              if not (List.contains n.Output bindings) then
                  yield $"output '{n.Output}' is not a binding (bindings: {listOrNone bindings})" ]
        if problems.IsEmpty then Ok n else Error problems

    /// The neuron if valid; otherwise raises InvalidNeuron listing every problem.
    let check (n: Neuron) : Neuron =
        match validate n with
        | Ok n -> n
        | Error problems -> raise (InvalidNeuron(n.Name, problems))

    /// The parameter names, in declaration order.
    let paramNames (n: Neuron) = n.Params |> List.map (fun p -> p.Name)

    /// The initial raw value of every parameter.
    let defaults (n: Neuron) : Map<string, float> =
        n.Params |> List.map (fun p -> p.Name, p.Init) |> Map.ofList

    /// The default raw values overridden by `raw`; an unknown name is an error listing the valid ones.
    let resolveParams (n: Neuron) (raw: Map<string, float>) : Result<Map<string, float>, string> =
        let valid = paramNames n
        match raw |> Map.toList |> List.tryFind (fun (k, _) -> not (List.contains k valid)) with
        | Some(k, _) -> Error $"neuron '{n.Name}' has no parameter '{k}'; parameters: {listOrNone valid}"
        | Option.None -> Ok(Map.fold (fun acc k v -> Map.add k v acc) (defaults n) raw)

    /// Sets a parameter's initial raw value (e.g. from `--param NAME=VALUE`).
    let withParam (name: string) (raw: float) (n: Neuron) : Result<Neuron, string> =
        if List.contains name (paramNames n) then
            Ok { n with Params = n.Params |> List.map (fun p -> if p.Name = name then { p with Init = raw } else p) }
        else
            Error $"neuron '{n.Name}' has no parameter '{name}'; parameters: {listOrNone (paramNames n)}"

    /// Uses the given surrogate for every Spike in the neuron.
    let withSurrogate (surrogate: Surrogate) (n: Neuron) : Neuron =
        let swap (b: Binding) = { b with Expr = Expr.withSurrogate surrogate b.Expr }
        { n with Bindings = List.map swap n.Bindings; Updates = List.map swap n.Updates }

    /// Applies command-line overrides: raw values written "NAME=VALUE" and, when given, a surrogate
    /// "name[:param]". The first problem is an error that names it and what is valid.
    let configure (assignments: string seq) (surrogate: string option) (n: Neuron) : Result<Neuron, string> =
        let assign (n: Neuron) (text: string) =
            match text.IndexOf '=' with
            | i when i > 0 ->
                let name, value = text[.. i - 1].Trim(), text[i + 1 ..].Trim()
                match System.Double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture) with
                | true, v when System.Double.IsFinite v -> withParam name v n
                | _ -> Error $"parameter assignment {text}: '{value}' is not a finite number"
            | _ -> Error $"a parameter assignment is NAME=VALUE (e.g. decay=0.25), got '{text}'"
        let withAssignments = Seq.fold (fun acc text -> Result.bind (fun n -> assign n text) acc) (Ok n) assignments
        match surrogate with
        | None -> withAssignments
        | Some text ->
            withAssignments
            |> Result.bind (fun n ->
                match Surrogate.parse text with
                | Ok s -> Ok(withSurrogate s n)
                | Error e -> Error $"{e} (write NAME or NAME:PARAM, e.g. sigmoid:4)")
