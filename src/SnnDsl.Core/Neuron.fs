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
      Doc: string
      /// The formula of the initial value over fixed options (`option k = 2 * a`), when it has one: Init
      /// is its value, recomputed when an option it reads changes (Neuron.settle).
      InitFrom: Expr option }

/// The values a state may take: a closed range, of integers only when Integer. `snn verify` draws the
/// state's initial values from it and checks that the dynamics never leave it.
type StateDomain =
    { /// The least value.
      Low: float
      /// The greatest value.
      High: float
      /// Whether only integers are in the domain.
      Integer: bool }

/// A state variable carried from one step to the next.
type StateSpec =
    { /// The name rules refer to (`State name`: the previous step's value).
      Name: string
      /// The value before the first step.
      Init: float
      /// What the state means.
      Doc: string
      /// The formula of the initial value over fixed options (`state u = b * c`), when it has one: Init is
      /// its value, recomputed when an option it reads changes (Neuron.settle).
      InitFrom: Expr option
      /// The values the state may take, when declared (`state r = 0 in 0..2 integer`).
      Domain: StateDomain option }

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
        { Name = name; Learnable = false; Granularity = Granularity.PerLayer; Squash = Squash.None; Init = value; Doc = doc
          InitFrom = None }

    /// A learnable parameter, one per layer, unsquashed; pipe into squashed/per to change that.
    let learnable name init doc : ParamSpec = { option name init doc with Learnable = true }

    /// Sets the squashing function.
    let squashed squash (p: ParamSpec) = { p with Squash = squash }

    /// Sets the granularity.
    let per granularity (p: ParamSpec) = { p with Granularity = granularity }

    /// Derives the initial raw value from fixed options (e.g. `Param "a" * 2.0`); Neuron.settle computes it.
    let initFrom (formula: Expr) (p: ParamSpec) = { p with InitFrom = Some formula }

/// Building state specs.
[<RequireQualifiedAccess>]
module StateSpec =
    /// A state variable with the given initial value.
    let create name init doc : StateSpec = { Name = name; Init = init; Doc = doc; InitFrom = None; Domain = None }

    /// Derives the initial value from fixed options (e.g. `Param "b" * Param "c"`); Neuron.settle computes it.
    let initFrom (formula: Expr) (s: StateSpec) = { s with InitFrom = Some formula }

    /// Declares the values the state takes: [low, high], integers only when `integer`.
    let within (low: float) (high: float) (integer: bool) (s: StateSpec) =
        { s with Domain = Some { Low = low; High = high; Integer = integer } }

/// Queries over state domains.
[<RequireQualifiedAccess>]
module StateDomain =
    /// Whether a value lies in the domain.
    let contains (d: StateDomain) (v: float) = v >= d.Low && v <= d.High && (not d.Integer || v = System.Math.Round v)

    /// The domain as the text form writes it, e.g. `0..2 integer`.
    let text (d: StateDomain) =
        let n (v: float) = v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)
        $"{n d.Low}..{n d.High}" + (if d.Integer then " integer" else "")

    /// Why a domain is empty or malformed, if it is.
    let problem (d: StateDomain) =
        if not (System.Double.IsFinite d.Low && System.Double.IsFinite d.High) then Some "its bounds must be finite"
        elif d.Low > d.High then Some $"{text d} is an empty range"
        elif d.Integer && floor d.High < ceil d.Low then Some $"{text d} holds no integer"
        else None

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

    /// Computes every initial value that has a formula (options in dependency order, then states) from the
    /// options' current values; a neuron whose formulas are invalid or cyclic is returned as it is (validate
    /// reports it).
    let settle (n: Neuron) : Neuron =
        let byName = n.Params |> List.map (fun p -> p.Name, p) |> Map.ofList
        let values = System.Collections.Generic.Dictionary<string, float>()
        let rec value (visiting: Set<string>) (name: string) : float option =
            match values.TryGetValue name with
            | true, v -> Some v
            | _ ->
                match byName.TryFind name with
                | None -> None
                | Some _ when visiting.Contains name -> None
                | Some p ->
                    let raw =
                        match p.InitFrom with
                        | None -> Some p.Init
                        | Some f -> evalFormula (value (visiting.Add name)) f
                    raw |> Option.map (fun r ->
                        let v = Squash.apply p.Squash r
                        values[name] <- v
                        v)
        and evalFormula (lookup: string -> float option) (f: Expr) : float option =
            let rec go e =
                match e with
                | Const c -> Some c
                | Param q -> lookup q
                | Unary(op, a) -> go a |> Option.map (fun a -> Ops.eval (Prim.Unary op) [| a |])
                | Binary(op, a, b) -> Option.map2 (fun a b -> Ops.eval (Prim.Binary op) [| a; b |]) (go a) (go b)
                | Compare(c, a, b) -> Option.map2 (fun a b -> Ops.eval (Prim.Compare c) [| a; b |]) (go a) (go b)
                | Where(c, a, b) ->
                    match go c, go a, go b with
                    | Some c, Some a, Some b -> Some(if c <> 0.0 then a else b)
                    | _ -> None
                | Detach a -> go a
                | Input | State _ | Ref _ | Spike _ -> None
            go f
        let raw (p: ParamSpec) =
            match p.InitFrom with
            | Some f -> evalFormula (value (Set.singleton p.Name)) f |> Option.defaultValue p.Init
            | None -> p.Init
        let pars = n.Params |> List.map (fun p -> { p with Init = raw p })
        let states =
            n.States |> List.map (fun s ->
                match s.InitFrom with
                | Some f -> { s with Init = evalFormula (value Set.empty) f |> Option.defaultValue s.Init }
                | None -> s)
        { n with Params = pars; States = states }

    // The formulas of initial values: over fixed options and constants only, without cycles.
    let private initProblems (n: Neuron) =
        let options = n.Params |> List.filter (fun p -> not p.Learnable) |> List.map (fun p -> p.Name)
        let learnables = n.Params |> List.filter (fun p -> p.Learnable) |> List.map (fun p -> p.Name)
        let formulas =
            [ for p in n.Params do match p.InitFrom with Some f -> yield $"parameter '{p.Name}'", f | None -> ()
              for s in n.States do match s.InitFrom with Some f -> yield $"state '{s.Name}'", f | None -> () ]
        let optionsOnly (f: Expr) =
            Expr.fold (fun ok e -> ok && (match e with Input | State _ | Ref _ | Spike _ -> false | _ -> true)) true f
        [ for what, f in formulas do
              if not (optionsOnly f) then
                  yield $"the initial value of {what} may use only numbers, options and operations (not X, states, bindings or spike)"
              for p in Expr.paramNames f do
                  if List.contains p learnables then
                      yield $"the initial value of {what} uses the learnable parameter '{p}'; an initial value may use only fixed options (a learnable value changes in training, its initial state would not follow)"
                  elif not (List.contains p options) then
                      yield $"the initial value of {what} refers to unknown option '{p}' (options: {listOrNone options})"
          // Cycles among the options' formulas (states' formulas read options only).
          let deps = n.Params |> List.choose (fun p -> p.InitFrom |> Option.map (fun f -> p.Name, Expr.paramNames f)) |> Map.ofList
          let rec cycle (path: string list) (name: string) =
              if List.contains name path then Some(List.rev (name :: path))
              else
                  match deps.TryFind name with
                  | Some ds -> ds |> Seq.tryPick (cycle (name :: path))
                  | None -> None
          let cycles = deps |> Map.toList |> List.choose (fun (name, _) -> cycle [] name) |> List.distinctBy Set.ofList
          for c in cycles do
              yield "the initial values of options form a cycle: " + String.concat " -> " c ]

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
                  match s.Domain with
                  | Some d ->
                      match StateDomain.problem d with
                      | Some why -> yield $"state '{s.Name}' has the domain {StateDomain.text d}: {why}"
                      | None ->
                          if not (StateDomain.contains d s.Init) then
                              yield $"state '{s.Name}' starts at {s.Init}, outside its domain {StateDomain.text d}"
                  | None -> ()
              yield! initProblems n
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
        if problems.IsEmpty then Ok(settle n) else Error problems

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

    /// Sets a parameter's initial raw value (e.g. from `--param NAME=VALUE`); a formula it had is replaced,
    /// and the initial values derived from it follow.
    let withParam (name: string) (raw: float) (n: Neuron) : Result<Neuron, string> =
        if List.contains name (paramNames n) then
            Ok(settle { n with Params = n.Params |> List.map (fun p -> if p.Name = name then { p with Init = raw; InitFrom = None } else p) })
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
