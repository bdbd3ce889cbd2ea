namespace SnnDsl.Core

/// One step of one neuron: the spike, the new state and every binding's value.
type Step<'a> =
    { /// The output (the spike) of the step.
      Spike: 'a
      /// Each state's new value.
      State: Map<string, 'a>
      /// Each binding's value.
      Values: Map<string, 'a> }

/// A run of N independent neurons over T steps; every array is [T, N].
type Trace =
    { /// The output (the spike) of each neuron at each step.
      Spikes: float[,]
      /// Each state's value at the end of each step.
      States: Map<string, float[,]>
      /// Each binding's value at each step.
      Values: Map<string, float[,]> }

/// Derivatives of the total spike count of a run (surrogate for Θ).
type Gradients =
    { /// The total spike count itself (the sum of all spikes).
      SpikeCount: float
      /// d(sum of all spikes) / d(raw parameter), each parameter shared by all N neurons.
      Params: Map<string, float>
      /// d(sum of all spikes) / d(x[t, n]), [T, N].
      Inputs: float[,] }

/// Derivatives of an objective J = (sum of all spikes) + StateWeight * (sum of every state's final value),
/// with respect to everything a run starts from.
type RunGradients =
    { /// The value of J.
      Objective: float
      /// dJ/d(raw value) of each parameter, one per value given (a shared value sums over the columns).
      Params: Map<string, float[]>
      /// dJ/d(initial value) of each state, one per column.
      Initial: Map<string, float[]>
      /// dJ/d(x[t, n]), [T, N].
      Inputs: float[,] }

/// The scalar interpreter of step programs: the test oracle every other backend is compared with.
/// It takes RAW parameter values (every parameter is a runtime parameter here) and squashes them itself.
/// `run` takes one scalar per parameter shared by all N neurons; `runWith` takes per-column values (the
/// columns as channels or neurons) and initial states. Inputs must be finite (docs/dsl.md, "Non-finite
/// values"): a NaN or infinite input is a data error naming it, not a run of silent zero spikes.
[<RequireQualifiedAccess>]
module Oracle =
    /// Every register of one step, in any arithmetic; `source` gives the value of each source.
    let registers (a: Arith<'a>) (nodes: Node[]) (source: Source -> 'a) : 'a[] =
        let r = Array.zeroCreate nodes.Length
        for i in 0 .. nodes.Length - 1 do
            r[i] <-
                match nodes[i] with
                | Node.Src(Source.Const c) -> a.Const c
                | Node.Src s -> source s
                | Node.Op(prim, args) -> a.Apply prim (args |> List.map (fun j -> r[j]) |> Array.ofList)
        r

    let private forwardSource (pars: 'a[]) (state: 'a[]) (x: 'a) (s: Source) : 'a =
        match s with
        | Source.Input -> x
        | Source.State i -> state[i]
        | Source.Param i -> pars[i]
        | s -> Fail.internalError $"a forward program has no source {s}"

    /// One step of a program: every register, given raw parameters and the previous states in program order.
    let stepRegisters (a: Arith<'a>) (p: StepProgram) (pars: 'a[]) (state: 'a[]) (x: 'a) : 'a[] =
        registers a p.Nodes (forwardSource pars state x)

    /// The initial value of every state.
    let initialState (n: Neuron) : Map<string, float> =
        n.States |> List.map (fun s -> s.Name, s.Init) |> Map.ofList

    /// Fails with a data error naming the first input that is not a finite number.
    let checkFinite (inputs: float[,]) =
        if isNull inputs then nullArg "inputs"
        for t in 0 .. Array2D.length1 inputs - 1 do
            for j in 0 .. Array2D.length2 inputs - 1 do
                if not (System.Double.IsFinite inputs[t, j]) then
                    Fail.data $"inputs must be finite numbers; x[{t}, {j}] (step {t + 1}, neuron {j}) is {inputs[t, j]}"

    // Validates the neuron, lowers it with every parameter at run time and orders the raw values.
    let private prepare (n: Neuron) (raw: Map<string, float>) =
        let p = Program.lower Program.allParams n
        match Neuron.resolveParams n raw with
        | Ok full -> p, p.Params |> List.map (fun q -> full[q.Name]) |> Array.ofList
        | Error msg -> invalidArg "raw" msg

    // Per-column raw values (one shared, or N) and initial states (N each) in program order; an unknown name,
    // a wrong count or a non-finite value is a usage error that names it.
    let private prepareColumns (n: Neuron) (raw: Map<string, float[]>) (initial: Map<string, float[]>) (N: int) =
        let p = Program.lower Program.allParams n
        for KeyValue(k, _) in raw do
            if not (p.Params |> List.exists (fun q -> q.Name = k)) then
                let valid = p.Params |> List.map (fun q -> q.Name) |> String.concat ", "
                Fail.usage $"neuron '{n.Name}' has no parameter '{k}'; parameters: {valid}"
        for KeyValue(k, _) in initial do
            if not (p.States |> List.exists (fun s -> s.Name = k)) then
                let valid = p.States |> List.map (fun s -> s.Name) |> String.concat ", "
                Fail.usage $"neuron '{n.Name}' has no state '{k}'; states: {valid}"
        let pars =
            p.Params
            |> List.map (fun q ->
                match raw.TryFind q.Name with
                | None -> [| q.Init |]
                | Some v when v.Length = 1 || v.Length = N ->
                    if v |> Array.exists (System.Double.IsFinite >> not) then Fail.usage $"parameter '{q.Name}' has a value that is not finite"
                    v
                | Some v -> Fail.usage $"parameter '{q.Name}' has {v.Length} values; give 1 (shared) or {N} (one per column)")
            |> Array.ofList
        let init =
            p.States
            |> List.map (fun s ->
                match initial.TryFind s.Name with
                | None -> Array.create N s.Init
                | Some v when v.Length = N ->
                    if v |> Array.exists (System.Double.IsFinite >> not) then Fail.usage $"the initial value of state '{s.Name}' is not finite"
                    v
                | Some v -> Fail.usage $"state '{s.Name}' has {v.Length} initial values; give {N} (one per column)")
            |> Array.ofList
        p, pars, init

    let private stepOf (p: StepProgram) (r: 'a[]) : Step<'a> =
        { Spike = r[p.Output]
          State = List.map2 (fun (s: StateSpec) i -> s.Name, r[i]) p.States p.Next |> Map.ofList
          Values = p.Bindings |> List.map (fun (name, i) -> name, r[i]) |> Map.ofList }

    /// One step of one neuron from RAW parameters (missing ones take their defaults).
    let step (n: Neuron) (raw: Map<string, float>) (state: Map<string, float>) (x: float) : Step<float> =
        let p, pars = prepare n raw
        let s = p.States |> List.map (fun st -> state[st.Name]) |> Array.ofList
        stepOf p (stepRegisters Scalar.arith p pars s x)

    // One neuron over its inputs from the given initial states: every step's registers.
    let private simulateFrom (a: Arith<'a>) (p: StepProgram) (pars: 'a[]) (init: 'a[]) (xs: 'a[]) : 'a[][] =
        xs
        |> Array.mapFold
            (fun state x ->
                let r = stepRegisters a p pars state x
                r, p.Next |> List.map (fun i -> r[i]) |> Array.ofList)
            init
        |> fst

    // One neuron over its inputs from the initial state: every step's registers.
    let private simulate (a: Arith<'a>) (p: StepProgram) (pars: 'a[]) (xs: 'a[]) : 'a[][] =
        simulateFrom a p pars (p.States |> List.map (fun s -> a.Const s.Init) |> Array.ofList) xs

    let private traceOf (p: StepProgram) (columns: float[][][]) (T: int) (N: int) : Trace =
        let table (register: int) = Array2D.init T N (fun t j -> columns[j].[t].[register])
        { Spikes = table p.Output
          States = List.map2 (fun (s: StateSpec) i -> s.Name, table i) p.States p.Next |> Map.ofList
          Values = p.Bindings |> List.map (fun (name, i) -> name, table i) |> Map.ofList }

    /// Runs N independent neurons over inputs [T, N] from the initial state.
    let run (n: Neuron) (raw: Map<string, float>) (inputs: float[,]) : Trace =
        checkFinite inputs
        let p, pars = prepare n raw
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        traceOf p (Array.init N (fun j -> simulate Scalar.arith p pars inputs[*, j])) T N

    /// Runs N independent neurons over inputs [T, N]: each parameter's raw value is one value shared by
    /// every column or one per column (a per-channel or per-neuron parameter, the columns being its
    /// channels or neurons); `initial` gives some states' initial values, one per column (the others start
    /// from the definition's). Missing parameters take their defaults.
    let runWith (n: Neuron) (raw: Map<string, float[]>) (initial: Map<string, float[]>) (inputs: float[,]) : Trace =
        checkFinite inputs
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        let p, pars, init = prepareColumns n raw initial N
        let at (v: float[]) j = if v.Length = 1 then v[0] else v[j]
        let columns =
            Array.init N (fun j -> simulateFrom Scalar.arith p (pars |> Array.map (fun v -> at v j)) (init |> Array.map (fun v -> v[j])) inputs[*, j])
        traceOf p columns T N

    /// dJ (see RunGradients) by forward mode, one pass of dual numbers per direction: each raw parameter
    /// value given (or its default), each state's initial value per column, each input.
    let gradientsWith (stateWeight: float) (n: Neuron) (raw: Map<string, float[]>) (initial: Map<string, float[]>) (inputs: float[,]) : RunGradients =
        checkFinite inputs
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        let p, pars, init = prepareColumns n raw initial N
        let at (v: float[]) j = if v.Length = 1 then v[0] else v[j]
        // dJ of column j along one direction, given the tangent of each parameter, initial state and input.
        let column j (parTangent: int -> float) (initTangent: int -> float) (inputTangent: int -> float) =
            let ps = pars |> Array.mapi (fun k v -> { Value = at v j; Tangent = parTangent k })
            let s0 = init |> Array.mapi (fun k v -> { Value = v[j]; Tangent = initTangent k })
            let xs = Array.init T (fun t -> { Value = inputs[t, j]; Tangent = inputTangent t })
            let regs = simulateFrom Dual.arith p ps s0 xs
            let spikes = regs |> Array.sumBy (fun r -> r[p.Output].Tangent)
            let finals = if T = 0 || stateWeight = 0.0 then 0.0 else p.Next |> List.sumBy (fun i -> regs[T - 1].[i].Tangent)
            spikes + stateWeight * finals
        let zero (_: int) = 0.0
        let one k = fun i -> if i = k then 1.0 else 0.0
        let objective =
            let trace = runWith n raw initial inputs
            let finals = if T = 0 then 0.0 else trace.States |> Seq.sumBy (fun kv -> Seq.sum (seq { for j in 0 .. N - 1 -> kv.Value[T - 1, j] }))
            Seq.sum (Seq.cast<float> trace.Spikes) + stateWeight * finals
        { Objective = objective
          Params =
            p.Params
            |> List.mapi (fun k q ->
                q.Name,
                if pars[k].Length = 1 then [| Seq.sum (seq { for j in 0 .. N - 1 -> column j (one k) zero zero }) |]
                else Array.init N (fun j -> column j (one k) zero zero))
            |> Map.ofList
          Initial = p.States |> List.mapi (fun k s -> s.Name, Array.init N (fun j -> column j zero (one k) zero)) |> Map.ofList
          Inputs = Array2D.init T N (fun t j -> column j zero zero (one t)) }

    /// The same derivatives by the derived backward program, in reverse over time (one pass per column):
    /// the reference the fused kernels' backward is generated from.
    let reverseGradientsWith (stateWeight: float) (n: Neuron) (raw: Map<string, float[]>) (initial: Map<string, float[]>) (inputs: float[,]) : RunGradients =
        checkFinite inputs
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        let p, pars, init = prepareColumns n raw initial N
        let back = Adjoint.derive p
        let at (v: float[]) j = if v.Length = 1 then v[0] else v[j]
        let gx = Array2D.zeroCreate T N
        let gp = pars |> Array.map (fun v -> Array.zeroCreate v.Length)
        let g0 = p.States |> List.map (fun _ -> Array.zeroCreate N) |> Array.ofList
        let mutable objective = 0.0
        for j in 0 .. N - 1 do
            let pj = pars |> Array.map (fun v -> at v j)
            let states = Array.zeroCreate (T + 1)
            states[0] <- init |> Array.map (fun v -> v[j])
            for t in 0 .. T - 1 do
                let r = stepRegisters Scalar.arith p pj states[t] inputs[t, j]
                objective <- objective + r[p.Output]
                states[t + 1] <- p.Next |> List.map (fun i -> r[i]) |> Array.ofList
            if T > 0 then objective <- objective + stateWeight * Array.sum states[T]
            // dJ/d(final state) = stateWeight; each step hands the adjoint of its previous states to the one before.
            let mutable gNext = Array.create p.States.Length (if T > 0 then stateWeight else 0.0)
            for t in T - 1 .. -1 .. 0 do
                let source (s: Source) =
                    match s with
                    | Source.GradOutput -> 1.0
                    | Source.GradNext i -> gNext[i]
                    | s -> forwardSource pj states[t] inputs[t, j] s
                let r = registers Scalar.arith back.Nodes source
                gx[t, j] <- r[back.GradInput]
                back.GradParam
                |> List.iteri (fun k i ->
                    let slot = if gp[k].Length = 1 then 0 else j
                    gp[k].[slot] <- gp[k].[slot] + r[i])
                gNext <- back.GradState |> List.map (fun i -> r[i]) |> Array.ofList
            gNext |> Array.iteri (fun k g -> g0[k].[j] <- g)
        { Objective = objective
          Params = p.Params |> List.mapi (fun k q -> q.Name, gp[k]) |> Map.ofList
          Initial = p.States |> List.mapi (fun k s -> s.Name, g0[k]) |> Map.ofList
          Inputs = gx }

    /// d(sum of all spikes)/d(each raw parameter) and d/d(each input), one forward-mode pass per direction.
    let gradients (n: Neuron) (raw: Map<string, float>) (inputs: float[,]) : Gradients =
        checkFinite inputs
        let p, pars = prepare n raw
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        let constPars = pars |> Array.map Dual.constant
        // Sum of the spikes' tangents of neuron j along one direction.
        let total ps (xs: Dual[]) = simulate Dual.arith p ps xs |> Array.sumBy (fun r -> r[p.Output].Tangent)
        let constInputs j = Array.init T (fun t -> Dual.constant inputs[t, j])
        let paramGrad (k: int) =
            let seeded = pars |> Array.mapi (fun i v -> if i = k then Dual.variable v else Dual.constant v)
            Seq.sum (seq { for j in 0 .. N - 1 -> total seeded (constInputs j) })
        let inputGrad t j =
            let xs = constInputs j
            xs[t] <- Dual.variable inputs[t, j]
            total constPars xs
        let trace = run n raw inputs
        { SpikeCount = Seq.sum (Seq.cast<float> trace.Spikes)
          Params = p.Params |> List.mapi (fun k q -> q.Name, paramGrad k) |> Map.ofList
          Inputs = Array2D.init T N inputGrad }
