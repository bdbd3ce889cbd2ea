namespace SnnDsl.Core

open System.Collections.Generic

/// Where a register's value comes from when no operation computes it.
[<RequireQualifiedAccess>]
type Source =
    /// The input current X_t.
    | Input
    /// State i's value from the previous step.
    | State of index: int
    /// The raw value of runtime parameter i.
    | Param of index: int
    /// A constant value.
    | Const of value: float
    /// Backward programs: the adjoint of this step's output.
    | GradOutput
    /// Backward programs: the adjoint of state i's new value (carried from the next step).
    | GradNext of index: int

/// One register of a program: a source, or an operation of earlier registers.
[<RequireQualifiedAccess>]
type Node =
    /// The value of a source.
    | Src of Source
    /// An operation applied to earlier registers, given by their indices.
    | Op of Prim * args: int list

/// How far a register's value varies: the same everywhere, per channel, per neuron (the same across the
/// batch and over time), or per element and step. A register that is not Element is time-invariant, so
/// interpreters compute it once per run instead of once per step.
[<RequireQualifiedAccess>]
type Variation =
    /// One value for the whole layer (constants, per-layer parameters).
    | Uniform
    /// One value per channel (per-channel parameters).
    | Channel
    /// One value per neuron, the same across the batch and over time (per-neuron parameters).
    | Neuron
    /// A value per element and step: the input, the states and what depends on them.
    | Element

/// A neuron lowered once: a typed, constant-folded SSA program without common subexpressions, over
/// registers that hold the input, the previous states, the runtime parameters' raw values and constants.
/// Registers are in dependency order (every argument precedes its use). Parameters that are not runtime
/// parameters are folded in as constants. The oracle, the eager tensor backend and the kernel generators all
/// start from it.
type StepProgram =
    { /// The name of the neuron it was lowered from.
      Neuron: string
      /// The parameters whose raw values are given when the program runs, in this order.
      Params: ParamSpec list
      /// The neuron's state variables; `Source.State i` is the previous value of the i-th.
      States: StateSpec list
      /// The registers, in dependency order.
      Nodes: Node[]
      /// How far each register's value varies, one per node.
      Variation: Variation[]
      /// The register of the output (the spike).
      Output: int
      /// The register of each state's new value, in the order of States.
      Next: int list
      /// Every binding's register, in definition order (for traces).
      Bindings: (string * int) list }

/// The derived backward of one step: the forward registers (recomputed from the saved state), then the
/// adjoints. Given the adjoint of the output (GradOutput) and of each new state (GradNext i), it yields the
/// adjoint of the input, of each previous state and of each runtime parameter's raw value at this step.
type BackwardProgram =
    { /// The step program this is the backward of.
      Forward: StepProgram
      /// The forward nodes first (same registers), then the adjoint nodes.
      Nodes: Node[]
      /// How far each register's value varies, one per node.
      Variation: Variation[]
      /// The register of the adjoint of this step's input X_t.
      GradInput: int
      /// Per state, the adjoint of its previous value (carried to the step before).
      GradState: int list
      /// Per runtime parameter, this step's contribution to the adjoint of its raw value.
      GradParam: int list }

/// Builds programs: folds constants, applies exact identities and shares common subexpressions.
type internal ProgramBuilder(variationOf: Source -> Variation) =
    let nodes = ResizeArray<Node>()
    let variation = ResizeArray<Variation>()
    let index = Dictionary<Node, int>(HashIdentity.Structural)

    let add (node: Node) (v: Variation) =
        match index.TryGetValue node with
        | true, i -> i
        | _ ->
            nodes.Add node
            variation.Add v
            index[node] <- nodes.Count - 1
            nodes.Count - 1

    let constOf (i: int) =
        match nodes[i] with
        | Node.Src(Source.Const c) -> Some c
        | _ -> None

    member _.Nodes = nodes.ToArray()
    member _.Variation = variation.ToArray()
    member _.Node(i: int) = nodes[i]

    /// Adds a node as it is (used to copy a program into a builder that extends it).
    member _.Raw(node: Node, v: Variation) = add node v

    /// A source register.
    member _.Source(s: Source) =
        match s with
        | Source.Const c -> add (Node.Src(Source.Const(if c = 0.0 then 0.0 else c))) Variation.Uniform // one zero, not -0 too
        | _ -> add (Node.Src s) (variationOf s)

    /// A constant register.
    member b.Const(c: float) = b.Source(Source.Const c)

    /// An operation on registers, folded when its arguments allow.
    member b.Op(prim: Prim, args: int list) : int =
        let consts = args |> List.map constOf
        if consts |> List.forall Option.isSome then
            b.Const(Ops.eval prim (consts |> List.map Option.get |> Array.ofList))
        else
            let isConst v i = constOf i = Some v
            // Identities exact for finite values (inputs are finite where they enter; the eager backend folds the same).
            match prim, args with
            | Prim.Binary BinaryOp.Add, [ a; z ] when isConst 0.0 z -> a
            | Prim.Binary BinaryOp.Add, [ z; a ] when isConst 0.0 z -> a
            | Prim.Binary BinaryOp.Sub, [ a; z ] when isConst 0.0 z -> a
            | Prim.Binary BinaryOp.Mul, [ a; o ] when isConst 1.0 o -> a
            | Prim.Binary BinaryOp.Mul, [ o; a ] when isConst 1.0 o -> a
            | Prim.Binary BinaryOp.Mul, [ _; z ] when isConst 0.0 z -> z
            | Prim.Binary BinaryOp.Mul, [ z; _ ] when isConst 0.0 z -> z
            | Prim.Binary BinaryOp.Div, [ a; o ] when isConst 1.0 o -> a
            | Prim.Select, [ c; a; z ] ->
                match constOf c with
                | Some cv -> if cv <> 0.0 then a else z
                | None -> if a = z then a else b.Shared(prim, args)
            // A small integer power as products (exact for x^0, x^1, x^2 and 1/x; x^3 and x^4 round once
            // more than a correctly rounded pow): no pow call in the kernels, and no log in the derivative.
            | Prim.Binary BinaryOp.Pow, [ x; e ] when (match constOf e with Some k -> k = round k && abs k <= 4.0 | None -> false) ->
                let k = int (Option.get (constOf e))
                let mul a c = b.Op(Prim.Binary BinaryOp.Mul, [ a; c ])
                let positive = List.replicate (abs k) x |> List.fold (fun acc r -> match acc with None -> Some r | Some a -> Some(mul a r)) None
                match positive with
                | None -> b.Const 1.0
                | Some p when k > 0 -> p
                | Some p -> b.Op(Prim.Binary BinaryOp.Div, [ b.Const 1.0; p ])
            | _ -> b.Shared(prim, args)

    // Commutative operands in a canonical order, so a + b and b + a share one register.
    member private _.Shared(prim: Prim, args: int list) =
        let args =
            match prim, args with
            | (Prim.Binary BinaryOp.Add | Prim.Binary BinaryOp.Mul), [ a; b ] when a > b -> [ b; a ]
            | _ -> args
        let v = args |> List.map (fun a -> variation[a]) |> List.max
        add (Node.Op(prim, args)) v

/// Lowering neurons to step programs, and queries over programs.
[<RequireQualifiedAccess>]
module Program =
    /// Keeps the learnable parameters as runtime inputs and folds the fixed options in (as a layer runs them).
    let learnable (p: ParamSpec) = p.Learnable

    /// Keeps every parameter as a runtime input (the oracle, which takes every raw value).
    let allParams (_: ParamSpec) = true

    /// How a source varies, given the runtime parameters.
    let internal sourceVariation (pars: ParamSpec list) (s: Source) =
        match s with
        | Source.Param i ->
            match pars[i].Granularity with
            | Granularity.PerLayer -> Variation.Uniform
            | Granularity.PerChannel -> Variation.Channel
            | Granularity.PerNeuron -> Variation.Neuron
        | Source.Const _ -> Variation.Uniform
        | Source.Input | Source.State _ | Source.GradOutput | Source.GradNext _ -> Variation.Element

    /// Lowers a valid neuron (InvalidNeuron otherwise) to its step program; `isRuntime` says which
    /// parameters stay runtime inputs (e.g. `Program.learnable`), the others fold in as constants.
    let lower (isRuntime: ParamSpec -> bool) (n: Neuron) : StepProgram =
        let n = Neuron.check n
        let runtimeParams = n.Params |> List.filter isRuntime |> Array.ofList
        let b = ProgramBuilder(sourceVariation (List.ofArray runtimeParams))
        let input = b.Source Source.Input
        let states = n.States |> List.mapi (fun i s -> s.Name, b.Source(Source.State i)) |> Map.ofList
        let pars =
            n.Params
            |> List.map (fun p ->
                match Array.tryFindIndex (fun (q: ParamSpec) -> q.Name = p.Name) runtimeParams with
                | Some i ->
                    let raw = b.Source(Source.Param i)
                    p.Name, (match Squash.toUnary p.Squash with Some op -> b.Op(Prim.Unary op, [ raw ]) | None -> raw)
                | None -> p.Name, b.Const(Squash.apply p.Squash p.Init))
            |> Map.ofList
        let rec go (env: Map<string, int>) (e: Expr) : int =
            match e with
            | Input -> input
            | State s -> states[s]
            | Param p -> pars[p]
            | Const c -> b.Const c
            | Ref r -> env[r]
            | Unary(op, a) -> b.Op(Prim.Unary op, [ go env a ])
            | Binary(op, l, r) -> b.Op(Prim.Binary op, [ go env l; go env r ])
            | Spike(s, a) -> b.Op(Prim.Fire s, [ go env a ])
            | Detach a -> b.Op(Prim.Detach, [ go env a ])
            | Compare(c, l, r) -> b.Op(Prim.Compare c, [ go env l; go env r ])
            | Where(c, x, y) -> b.Op(Prim.Select, [ go env c; go env x; go env y ])
        let env = n.Bindings |> List.fold (fun env bd -> Map.add bd.Name (go env bd.Expr) env) Map.empty
        let next = n.States |> List.map (fun s -> go env (n.Updates |> List.find (fun u -> u.Name = s.Name)).Expr)
        { Neuron = n.Name
          Params = List.ofArray runtimeParams
          States = n.States
          Nodes = b.Nodes
          Variation = b.Variation
          Output = env[n.Output]
          Next = next
          Bindings = n.Bindings |> List.map (fun bd -> bd.Name, env[bd.Name]) }

    /// The register of a source in a program's nodes, if the program has it.
    let tryFindSource (nodes: Node[]) (s: Source) =
        nodes |> Array.tryFindIndex (fun n -> n = Node.Src s)

    /// Which registers the given roots need (their transitive arguments, the roots included).
    let live (nodes: Node[]) (roots: int seq) : bool[] =
        let needed = Array.zeroCreate nodes.Length
        for r in roots do needed[r] <- true
        for i in nodes.Length - 1 .. -1 .. 0 do
            if needed[i] then
                match nodes[i] with
                | Node.Op(_, args) -> for a in args do needed[a] <- true
                | Node.Src _ -> ()
        needed

/// Reverse-mode differentiation of a step program, symbolic, from the adjoint rules of `Ops`.
[<RequireQualifiedAccess>]
module Adjoint =
    /// The backward of one step: adjoints propagate through the registers in reverse order; a Detach or a
    /// mask passes nothing, a spike passes its surrogate, min and max pass a tie to the left operand.
    let derive (p: StepProgram) : BackwardProgram =
        let b = ProgramBuilder(Program.sourceVariation p.Params)
        for i in 0 .. p.Nodes.Length - 1 do
            if b.Raw(p.Nodes[i], p.Variation[i]) <> i then
                Fail.internalError $"program of '{p.Neuron}' is not in canonical form (register {i} repeats an earlier one)"
        let adjoint = Dictionary<int, int>()
        let accumulate (r: int) (g: int) =
            match adjoint.TryGetValue r with
            | true, a -> adjoint[r] <- b.Op(Prim.Binary BinaryOp.Add, [ a; g ])
            | _ -> adjoint[r] <- g
        // A rule as registers, for one operation with result y, arguments args and adjoint g.
        let rec emit (rule: Rule) (g: int) (y: int) (args: int list) : int =
            match rule with
            | Rule.G -> g
            | Rule.Y -> y
            | Rule.A i -> args[i]
            | Rule.K c -> b.Const c
            | Rule.App(prim, rs) -> b.Op(prim, rs |> List.map (fun r -> emit r g y args))
        accumulate p.Output (b.Source Source.GradOutput)
        p.Next |> List.iteri (fun i r -> accumulate r (b.Source(Source.GradNext i)))
        for r in p.Nodes.Length - 1 .. -1 .. 0 do
            match adjoint.TryGetValue r, p.Nodes[r] with
            | (true, g), Node.Op(prim, args) ->
                // A constant argument needs no adjoint (pow's exponent would otherwise cost a log).
                List.zip args (Ops.info prim).Adjoint
                |> List.iter (fun (a, rule) ->
                    match p.Nodes[a], rule with
                    | Node.Src(Source.Const _), _ -> ()
                    | _, Some rule -> accumulate a (emit rule g r args)
                    | _, None -> ())
            | _ -> ()
        let gradOf (s: Source) =
            match Program.tryFindSource p.Nodes s with
            | Some r when adjoint.ContainsKey r -> adjoint[r]
            | _ -> b.Const 0.0
        // The adjoint registers first: a missing one is a new constant 0, which must be in the nodes.
        let gradInput = gradOf Source.Input
        let gradState = p.States |> List.mapi (fun i _ -> gradOf (Source.State i))
        let gradParam = p.Params |> List.mapi (fun i _ -> gradOf (Source.Param i))
        { Forward = p
          Nodes = b.Nodes
          Variation = b.Variation
          GradInput = gradInput
          GradState = gradState
          GradParam = gradParam }
