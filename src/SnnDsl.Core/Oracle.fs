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

/// Derivatives of the total spike count of a run (forward mode, surrogate for Θ).
type Gradients =
    { SpikeCount: float
      /// d(sum of all spikes) / d(raw parameter), each parameter shared by all N neurons.
      Params: Map<string, float>
      /// d(sum of all spikes) / d(x[t, n]), [T, N].
      Inputs: float[,] }

/// The scalar interpreter of a Neuron: the test oracle every other backend is compared with.
/// It takes RAW parameter values and squashes them itself; each parameter is one scalar shared by all
/// neurons of the run (per-channel and per-neuron parameters start equal, so this is their initial state).
[<RequireQualifiedAccess>]
module Oracle =
    let rec private eval (a: Arith<'a>) (pars: Map<string, 'a>) (state: Map<string, 'a>) (env: Map<string, 'a>) (x: 'a) e =
        let go = eval a pars state env x
        match e with
        | Input -> x
        | State s -> state[s]
        | Param p -> pars[p]
        | Const c -> a.Const c
        | Ref r -> env[r]
        | Unary(op, u) -> a.Unary op (go u)
        | Binary(op, l, r) -> a.Binary op (go l) (go r)
        | Spike(s, u) -> a.Spike s (go u)
        | Detach u -> a.Detach(go u)

    /// One step in any arithmetic, given EFFECTIVE parameters; the neuron must be valid.
    let stepWith (a: Arith<'a>) (n: Neuron) (effective: Map<string, 'a>) (state: Map<string, 'a>) (x: 'a) : Step<'a> =
        let env =
            n.Bindings |> List.fold (fun env b -> Map.add b.Name (eval a effective state env x b.Expr) env) Map.empty
        let next = n.Updates |> List.map (fun u -> u.Name, eval a effective state env x u.Expr) |> Map.ofList
        { Spike = env[n.Output]; State = next; Values = env }

    /// Effective parameters squash(raw) in any arithmetic.
    let effectiveWith (a: Arith<'a>) (n: Neuron) (raw: Map<string, 'a>) : Map<string, 'a> =
        n.Params
        |> List.map (fun p ->
            p.Name,
            match Squash.toUnary p.Squash with
            | Some op -> a.Unary op raw[p.Name]
            | None -> raw[p.Name])
        |> Map.ofList

    /// The initial value of every state.
    let initialState (n: Neuron) : Map<string, float> =
        n.States |> List.map (fun s -> s.Name, s.Init) |> Map.ofList

    // Validates the neuron and completes the raw parameters with the defaults.
    let private prepare (n: Neuron) (raw: Map<string, float>) =
        let n = Neuron.check n
        match Neuron.resolveParams n raw with
        | Ok full -> n, full
        | Error msg -> invalidArg "raw" msg

    /// One step of one neuron from RAW parameters (missing ones take their defaults).
    let step (n: Neuron) (raw: Map<string, float>) (state: Map<string, float>) (x: float) : Step<float> =
        let n, full = prepare n raw
        stepWith Scalar.arith n (effectiveWith Scalar.arith n full) state x

    // One neuron over its inputs, from the initial state.
    let private simulate (a: Arith<'a>) (n: Neuron) (effective: Map<string, 'a>) (xs: 'a[]) : Step<'a>[] =
        let init = initialState n |> Map.map (fun _ v -> a.Const v)
        xs
        |> Array.mapFold (fun state x -> let s = stepWith a n effective state x in s, s.State) init
        |> fst

    /// Runs N independent neurons over inputs [T, N] from the initial state.
    let run (n: Neuron) (raw: Map<string, float>) (inputs: float[,]) : Trace =
        let n, full = prepare n raw
        let effective = effectiveWith Scalar.arith n full
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        let columns = Array.init N (fun j -> simulate Scalar.arith n effective inputs[*, j])
        let table (pick: Step<float> -> float) = Array2D.init T N (fun t j -> pick columns[j].[t])
        { Spikes = table (fun s -> s.Spike)
          States = n.States |> List.map (fun s -> s.Name, table (fun st -> st.State[s.Name])) |> Map.ofList
          Values = n.Bindings |> List.map (fun b -> b.Name, table (fun st -> st.Values[b.Name])) |> Map.ofList }

    /// d(sum of all spikes)/d(each raw parameter) and d/d(each input), one forward-mode pass per direction.
    let gradients (n: Neuron) (raw: Map<string, float>) (inputs: float[,]) : Gradients =
        let n, full = prepare n raw
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        let constEffective = effectiveWith Dual.arith n (full |> Map.map (fun _ v -> Dual.constant v))
        // Sum of the spikes' tangents of neuron j along one direction.
        let total effective (xs: Dual[]) = simulate Dual.arith n effective xs |> Array.sumBy (fun s -> s.Spike.Tangent)
        let constInputs j = Array.init T (fun t -> Dual.constant inputs[t, j])
        let paramGrad (name: string) =
            let seeded = full |> Map.map (fun k v -> if k = name then Dual.variable v else Dual.constant v)
            let effective = effectiveWith Dual.arith n seeded
            Seq.sum (seq { for j in 0 .. N - 1 -> total effective (constInputs j) })
        let inputGrad t j =
            let xs = constInputs j
            xs[t] <- Dual.variable inputs[t, j]
            total constEffective xs
        let trace = run n full inputs
        { SpikeCount = Seq.sum (Seq.cast<float> trace.Spikes)
          Params = Neuron.paramNames n |> List.map (fun p -> p, paramGrad p) |> Map.ofList
          Inputs = Array2D.init T N inputGrad }
