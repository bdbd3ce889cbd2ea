namespace SnnDsl.Core

/// One step of one neuron: the spike, the new state and every binding's value.
type Step<'a> =
    { Spike: 'a
      State: Map<string, 'a>
      Values: Map<string, 'a> }

/// A run of N independent neurons over T steps; every array is [T, N].
type Trace =
    { Spikes: float[,]
      /// Each state's value at the end of each step.
      States: Map<string, float[,]>
      /// Each binding's value at each step.
      Values: Map<string, float[,]> }

/// Derivatives of the total spike count of a run (surrogate for Θ).
type Gradients =
    { SpikeCount: float
      /// d(sum of all spikes) / d(raw parameter), each parameter shared by all N neurons.
      Params: Map<string, float>
      /// d(sum of all spikes) / d(x[t, n]), [T, N].
      Inputs: float[,] }

/// The scalar interpreter of step programs: the test oracle every other backend is compared with.
/// It takes RAW parameter values (every parameter is a runtime parameter here) and squashes them itself;
/// each parameter is one scalar shared by all neurons of the run (per-channel and per-neuron parameters
/// start equal, so this is their initial state).
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

    // Validates the neuron, lowers it with every parameter at run time and orders the raw values.
    let private prepare (n: Neuron) (raw: Map<string, float>) =
        let p = Program.lower Program.allParams n
        match Neuron.resolveParams n raw with
        | Ok full -> p, p.Params |> List.map (fun q -> full[q.Name]) |> Array.ofList
        | Error msg -> invalidArg "raw" msg

    let private stepOf (p: StepProgram) (r: 'a[]) : Step<'a> =
        { Spike = r[p.Output]
          State = List.map2 (fun (s: StateSpec) i -> s.Name, r[i]) p.States p.Next |> Map.ofList
          Values = p.Bindings |> List.map (fun (name, i) -> name, r[i]) |> Map.ofList }

    /// One step of one neuron from RAW parameters (missing ones take their defaults).
    let step (n: Neuron) (raw: Map<string, float>) (state: Map<string, float>) (x: float) : Step<float> =
        let p, pars = prepare n raw
        let s = p.States |> List.map (fun st -> state[st.Name]) |> Array.ofList
        stepOf p (stepRegisters Scalar.arith p pars s x)

    // One neuron over its inputs from the initial state: every step's registers.
    let private simulate (a: Arith<'a>) (p: StepProgram) (pars: 'a[]) (xs: 'a[]) : 'a[][] =
        let init = p.States |> List.map (fun s -> a.Const s.Init) |> Array.ofList
        xs
        |> Array.mapFold
            (fun state x ->
                let r = stepRegisters a p pars state x
                r, p.Next |> List.map (fun i -> r[i]) |> Array.ofList)
            init
        |> fst

    /// Runs N independent neurons over inputs [T, N] from the initial state.
    let run (n: Neuron) (raw: Map<string, float>) (inputs: float[,]) : Trace =
        let p, pars = prepare n raw
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        let columns = Array.init N (fun j -> simulate Scalar.arith p pars inputs[*, j])
        let table (register: int) = Array2D.init T N (fun t j -> columns[j].[t].[register])
        { Spikes = table p.Output
          States = List.map2 (fun (s: StateSpec) i -> s.Name, table i) p.States p.Next |> Map.ofList
          Values = p.Bindings |> List.map (fun (name, i) -> name, table i) |> Map.ofList }

    /// d(sum of all spikes)/d(each raw parameter) and d/d(each input), one forward-mode pass per direction.
    let gradients (n: Neuron) (raw: Map<string, float>) (inputs: float[,]) : Gradients =
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

    /// The same derivatives by the derived backward program, in reverse over time (one pass per neuron):
    /// the reference that the fused kernels' backward is generated from, checked here against forward mode.
    let reverseGradients (n: Neuron) (raw: Map<string, float>) (inputs: float[,]) : Gradients =
        let p, pars = prepare n raw
        let back = Adjoint.derive p
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        let gx = Array2D.zeroCreate T N
        let gp = Array.zeroCreate p.Params.Length
        let mutable count = 0.0
        for j in 0 .. N - 1 do
            // Forward: the state before each step.
            let states = Array.zeroCreate (T + 1)
            states[0] <- p.States |> List.map (fun s -> s.Init) |> Array.ofList
            for t in 0 .. T - 1 do
                let r = stepRegisters Scalar.arith p pars states[t] inputs[t, j]
                count <- count + r[p.Output]
                states[t + 1] <- p.Next |> List.map (fun i -> r[i]) |> Array.ofList
            // Backward: d(count)/dS_t = 1; the adjoint of the new states flows to the step before.
            let mutable gNext = Array.zeroCreate p.States.Length
            for t in T - 1 .. -1 .. 0 do
                let source (s: Source) =
                    match s with
                    | Source.GradOutput -> 1.0
                    | Source.GradNext i -> gNext[i]
                    | s -> forwardSource pars states[t] inputs[t, j] s
                let r = registers Scalar.arith back.Nodes source
                gx[t, j] <- r[back.GradInput]
                back.GradParam |> List.iteri (fun k i -> gp[k] <- gp[k] + r[i])
                gNext <- back.GradState |> List.map (fun i -> r[i]) |> Array.ofList
        { SpikeCount = count
          Params = p.Params |> List.mapi (fun k q -> q.Name, gp[k]) |> Map.ofList
          Inputs = gx }
