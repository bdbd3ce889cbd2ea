namespace SnnDsl.Verify

open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Backends

/// One way of running a neuron on a case, as the laws see it: the oracle (scalars), or a tensor interpreter
/// (float64 tensors [T, 1, N]: the N columns are channels, so per-channel and per-neuron parameters get one
/// value per column).
type Interpreter =
    { /// The name counterexamples and verdicts give it (e.g. "oracle", "eager").
      Name: string
      /// None when this interpreter can run the case; else why not (laws then leave it to the others).
      WhyNot: Case -> string option
      /// Every binding and every state after every step, [T, N] each.
      Trace: Case -> Trace
      /// The case run one step at a time, each step from the state the previous one returned: the spikes
      /// and the states after each step (no bindings).
      Stepwise: Case -> Trace
      /// dJ/d(parameters given as tensors, initial states when the case gives them, inputs), where
      /// J = sum of spikes + stateWeight * sum of final states (Oracle.RunGradients).
      Gradients: float -> Case -> RunGradients }

/// The interpreters the laws compare.
[<RequireQualifiedAccess>]
module Interpreter =
    let private row (x: float[,]) (t: int) = Array2D.init 1 (Array2D.length2 x) (fun _ j -> x[t, j])

    let private stack (T: int) (N: int) (rows: float[][]) = Array2D.init T N (fun t j -> rows[t].[j])

    /// The scalar oracle (SnnDsl.Core.Oracle): the reference every other interpreter is compared with.
    let oracle: Interpreter =
        { Name = "oracle"
          WhyNot = fun _ -> None
          Trace = fun c -> Oracle.runWith c.Neuron c.Params c.Initial c.Inputs
          Stepwise =
            fun c ->
                let T, N = c.Steps, c.Columns
                let spikes = Array.zeroCreate T
                let states = c.Neuron.States |> List.map (fun s -> s.Name, Array.zeroCreate T) |> Map.ofList
                let mutable initial = c.Initial
                for t in 0 .. T - 1 do
                    let tr = Oracle.runWith c.Neuron c.Params initial (row c.Inputs t)
                    spikes[t] <- tr.Spikes[0, *]
                    for KeyValue(k, v) in tr.States do
                        states[k].[t] <- v[0, *]
                    initial <- tr.States |> Map.map (fun _ v -> v[0, *])
                { Spikes = stack T N spikes; States = states |> Map.map (fun _ r -> stack T N r); Values = Map.empty }
          Gradients = fun w c -> Oracle.gradientsWith w c.Neuron c.Params c.Initial c.Inputs }

    let private elements (t: Tensor) : float[] = (if t.DType = DType.Float64 then t else t.To(DType.Float64)).Detach().ToArray<float>()

    let private table (T: int) (N: int) (t: Tensor) : float[,] =
        let flat = elements t
        Array2D.init T N (fun i j -> flat[i * N + j])

    // The definition with the non-tensor parameters written in, the program, and the tensors of a case.
    let private setup (c: Case) =
        let N = c.Columns
        let tensorNames = c.AsTensors + (c.Params |> Map.filter (fun _ v -> v.Length > 1) |> Map.keys |> Set.ofSeq)
        let defined =
            c.Params
            |> Map.fold (fun n k v -> if tensorNames.Contains k then n else Neuron.withParam k v[0] n |> Fail.orUsage) c.Neuron
        let p = Program.lower (fun q -> q.Learnable || tensorNames.Contains q.Name) defined
        let raw =
            [ for q in defined.Params do
                  if tensorNames.Contains q.Name then
                      let v = c.Params.TryFind q.Name |> Option.defaultValue [| q.Init |]
                      let t =
                          match q.Granularity with
                          | Granularity.PerLayer ->
                              if v.Length > 1 then Fail.usage $"parameter '{q.Name}' is per layer but the case gives {v.Length} values"
                              Tensor.Scalar(v[0], DType.Float64)
                          | _ -> Tensor.FromArray(if v.Length = 1 then Array.create N v[0] else v)
                      yield q.Name, t ]
            |> Map.ofList
        let x = Tensor.FromArray(Array.init (c.Steps * N) (fun i -> c.Inputs[i / N, i % N]), [| c.Steps; 1; N |])
        let state =
            if c.Initial.IsEmpty then None
            else
                Some(
                    c.Neuron.States
                    |> List.map (fun s ->
                        let v = c.Initial.TryFind s.Name |> Option.defaultValue (Array.create N s.Init)
                        s.Name, TValue.Tensor(Tensor.FromArray(v, [| 1; N |])))
                    |> Map.ofList)
        p, raw, x, state

    /// A tensor interpreter of SnnDsl.Backends on float64 tensors; `prepare` adjusts each case first.
    let tensor (name: string) (prepare: Case -> Case) (interp: ITensorInterpreter) : Interpreter =
        { Name = name
          WhyNot =
            fun c ->
                use scope = new TensorScope()
                let p, _, x, _ = setup (prepare c)
                interp.WhyNot(p, x)
          Trace =
            fun c ->
                let c = prepare c
                use scope = new TensorScope()
                let p, raw, x, state = setup c
                let tr = interp.Trace(p, raw, state, x)
                let tab = table c.Steps c.Columns
                { Spikes = tab tr.Spikes
                  States = tr.States |> List.map (fun (k, t) -> k, tab t) |> Map.ofList
                  Values = tr.Values |> List.map (fun (k, t) -> k, tab t) |> Map.ofList }
          Stepwise =
            fun c ->
                let c = prepare c
                use scope = new TensorScope()
                let p, raw, x, state = setup c
                let like = x.Select(0, 0)
                let T, N = c.Steps, c.Columns
                let spikes = Array.zeroCreate T
                let states = c.Neuron.States |> List.map (fun s -> s.Name, Array.zeroCreate T) |> Map.ofList
                let mutable s = state
                for t in 0 .. T - 1 do
                    let out, next = interp.Run(p, raw, s, x.Narrow(0, t, 1))
                    spikes[t] <- elements out
                    for KeyValue(k, v) in next do
                        states[k].[t] <- elements (Eager.materialize like v)
                    s <- Some next
                { Spikes = stack T N spikes; States = states |> Map.map (fun _ r -> stack T N r); Values = Map.empty }
          Gradients =
            fun w c ->
                let c = prepare c
                use scope = new TensorScope()
                let p, raw, x, state = setup c
                x.RequiresGrad <- true
                for KeyValue(_, t) in raw do t.RequiresGrad <- true
                state |> Option.iter (Map.iter (fun _ v -> match v with TValue.Tensor t -> t.RequiresGrad <- true | _ -> ()))
                let spikes, final = interp.Run(p, raw, state, x)
                let like = x.Select(0, 0)
                let mutable total = spikes.Sum()
                if w <> 0.0 then
                    for KeyValue(_, v) in final do
                        total <- total + (Eager.materialize like v).Sum() * w
                let objective = total.ToScalar()
                // A run that depends on nothing requiring grad has no graph: every gradient is 0.
                if total.RequiresGrad then total.Backward()
                let grad (t: Tensor) = match t.Grad with Some g -> elements g | None -> Array.zeroCreate (int t.NumElements)
                let T, N = c.Steps, c.Columns
                let gx = grad x
                { Objective = objective
                  Params =
                    raw
                    |> Map.map (fun k t ->
                        let g = grad t
                        match c.Params.TryFind k with
                        | Some v when v.Length = 1 -> [| Array.sum g |]
                        | None -> [| Array.sum g |]
                        | _ -> g)
                  Initial =
                    match state with
                    | None -> Map.empty
                    | Some s -> s |> Map.map (fun _ v -> match v with TValue.Tensor t -> grad t | TValue.Number _ -> Array.zeroCreate N)
                  Inputs = Array2D.init T N (fun t j -> gx[t * N + j]) } }

    /// The eager interpreter (one libtorch call per operation and step, libtorch's autograd).
    let eager = tensor "eager" id Interpreters.eager

    /// Fused kernels through the one interpreting kernel (no compiler run per neuron).
    let fusedInterpreted = tensor "fused-interpreted" id Interpreters.fusedInterpreted

    /// A fused kernel compiled for the neuron (every parameter a tensor, so one compiler run per neuron).
    let fused =
        tensor "fused" (fun c -> { c with AsTensors = c.Neuron.Params |> List.map (fun p -> p.Name) |> Set.ofList }) Interpreters.fused

    /// The tensor interpreters every case can afford: eager and fused-interpreted.
    let tensors = [ eager; fusedInterpreted ]
