namespace SnnDsl.Verify

open FsCheck
open FsCheck.FSharp
open SnnDsl.Core

/// One case a law is checked on: a neuron, its raw parameter values, its initial states and inputs [T, N].
[<StructuralEquality; NoComparison>]
type Case =
    { /// The neuron the case runs.
      Neuron: Neuron
      /// The raw value of every parameter: one value shared by all N columns, or one per column (for
      /// per-channel and per-neuron parameters, the columns being their channels or neurons).
      Params: Map<string, float[]>
      /// The initial value of every state, one per column; empty: the definition's initial values.
      Initial: Map<string, float[]>
      /// Inputs [T, N]: T steps of N independent neurons.
      Inputs: float[,]
      /// The parameters tensor interpreters get as tensors (a trained parameter's path); the others are
      /// written into the definition, where fixed options fold into the program as constants.
      AsTensors: Set<string> }

    /// Steps T.
    member c.Steps = Array2D.length1 c.Inputs
    /// Columns N.
    member c.Columns = Array2D.length2 c.Inputs
    /// The raw value of a parameter in column j (the definition's when the case does not set it).
    member c.Raw(name: string, ?column: int) =
        match c.Params.TryFind name with
        | Some v -> if v.Length = 1 then v[0] else v[defaultArg column 0]
        | None ->
            match c.Neuron.Params |> List.tryFind (fun p -> p.Name = name) with
            | Some p -> p.Init
            | None ->
                let valid = String.concat ", " (Neuron.paramNames c.Neuron)
                Fail.usage $"neuron '{c.Neuron.Name}' has no parameter '{name}'; parameters: {valid}"
    /// The effective value squash(raw) of a parameter in column j: what the rules see.
    member c.Param(name: string, ?column: int) =
        let raw = c.Raw(name, defaultArg column 0)
        let p = c.Neuron.Params |> List.find (fun p -> p.Name = name)
        Squash.apply p.Squash raw

/// Values for generators: ranges, grids of exactly representable numbers, fixed choices.
[<RequireQualifiedAccess>]
module Values =
    /// A multiple of 1/denominator in [lo, hi] (a dyadic grid when denominator is a power of 2: sums and
    /// products of such values are exact, so laws can compare with =).
    let grid (denominator: int) (lo: float) (hi: float) : Gen<float> =
        let a, b = int (ceil (lo * float denominator)), int (floor (hi * float denominator))
        if a > b then Fail.usage $"no multiple of 1/{denominator} lies in [{lo}, {hi}]"
        Gen.choose (a, b) |> Gen.map (fun k -> float k / float denominator + 0.0)

    /// A multiple of 1/16 in [lo, hi].
    let dyadic (lo: float) (hi: float) = grid 16 lo hi

    /// A value on a fine grid (1/1000) in [lo, hi], for laws that must not rely on exact arithmetic.
    let range (lo: float) (hi: float) = grid 1000 lo hi

    /// One of the given values.
    let oneOf (values: float list) : Gen<float> = Gen.elements values

    /// Always this value.
    let constant (v: float) : Gen<float> = Gen.constant v

/// How cases are drawn: sizes, inputs, and the values of named parameters.
type CaseSettings =
    { /// Steps T are drawn from 1..MaxSteps.
      MaxSteps: int
      /// Columns N are drawn from 1..MaxColumns.
      MaxColumns: int
      /// Each input value.
      Input: Gen<float>
      /// Raw values of named parameters; a learnable parameter not named here varies within ±1 of its
      /// initial value (on a grid of 1/16), a fixed option keeps its value.
      Params: Map<string, Gen<float>>
      /// Whether cases may start from random initial states (in [-1, 1]) instead of the definition's.
      RandomInitial: bool }

/// Drawing and shrinking cases.
[<RequireQualifiedAccess>]
module Cases =
    /// T up to 16, N up to 4, inputs on a grid of 1/16 in [-3, 3], learnables within ±1 of their
    /// initial values, options as defined, random initial states half of the time (from the state's
    /// domain when it declares one, else in [-1, 1]).
    let defaults =
        { MaxSteps = 16; MaxColumns = 4; Input = Values.dyadic -3.0 3.0; Params = Map.empty; RandomInitial = true }

    /// The same settings with inputs drawn from this generator.
    let withInputs (input: Gen<float>) (s: CaseSettings) = { s with Input = input }

    /// The same settings with this parameter's raw value drawn from `values`.
    let withParam (name: string) (values: Gen<float>) (s: CaseSettings) = { s with Params = Map.add name values s.Params }

    let private perColumn (p: ParamSpec) = p.Granularity <> Granularity.PerLayer

    /// The random initial values of a state: its domain when it declares one (integers, or a grid of 1/16),
    /// else a grid of 1/16 in [-1, 1].
    let initialValues (s: StateSpec) : Gen<float> =
        match s.Domain with
        | Some d when d.Integer -> Gen.choose (int (ceil d.Low), int (floor d.High)) |> Gen.map float
        | Some d -> Values.dyadic d.Low d.High
        | None -> Values.dyadic -1.0 1.0

    /// Cases of the neurons drawn from `neurons` (any neuron, e.g. a random one from a generator).
    let ofNeurons (settings: CaseSettings) (neurons: Gen<Neuron>) : Gen<Case> =
        gen {
            let! n = neurons
            let! t = Gen.choose (1, max 1 settings.MaxSteps)
            let! cols = Gen.choose (1, max 1 settings.MaxColumns)
            let! xs = Gen.arrayOfLength (t * cols) settings.Input
            let! pars =
                n.Params
                |> List.map (fun p ->
                    let value =
                        match settings.Params.TryFind p.Name with
                        | Some g -> g
                        | None when p.Learnable -> Values.dyadic (p.Init - 1.0) (p.Init + 1.0)
                        | None -> Gen.constant p.Init
                    gen {
                        let! split = if perColumn p then Gen.elements [ true; false ] else Gen.constant false
                        let! values = if split then Gen.arrayOfLength cols value else Gen.arrayOfLength 1 value
                        let! tensor = if split || p.Learnable then Gen.constant true else Gen.elements [ true; false ]
                        return p.Name, values, tensor
                    })
                |> Gen.sequenceToList
            let! random = if settings.RandomInitial then Gen.elements [ true; false ] else Gen.constant false
            let! initial =
                if random then
                    n.States
                    |> List.map (fun s -> Gen.arrayOfLength cols (initialValues s) |> Gen.map (fun v -> s.Name, v))
                    |> Gen.sequenceToList
                    |> Gen.map Map.ofList
                else Gen.constant Map.empty
            return
                { Neuron = n
                  Params = pars |> List.map (fun (k, v, _) -> k, v) |> Map.ofList
                  Initial = initial
                  Inputs = Array2D.init t cols (fun i j -> xs[i * cols + j])
                  AsTensors = pars |> List.filter (fun (_, _, tensor) -> tensor) |> List.map (fun (k, _, _) -> k) |> Set.ofList }
        }

    /// Cases of one neuron.
    let ofNeuron (settings: CaseSettings) (n: Neuron) : Gen<Case> = ofNeurons settings (Gen.constant (Neuron.check n))

    /// The same cases with every parameter given to tensor interpreters as a tensor (one program per
    /// neuron: what a compiled kernel needs to stay within a bounded number of compiler runs).
    let allAsTensors (cases: Gen<Case>) : Gen<Case> =
        cases |> Gen.map (fun c -> { c with AsTensors = c.Neuron.Params |> List.map (fun p -> p.Name) |> Set.ofList })

    let private sliceColumns (keep: int[]) (c: Case) =
        let cols = keep.Length
        { c with
            Inputs = Array2D.init c.Steps cols (fun t j -> c.Inputs[t, keep[j]])
            Params = c.Params |> Map.map (fun _ v -> if v.Length = 1 then v else keep |> Array.map (fun j -> v[j]))
            Initial = c.Initial |> Map.map (fun _ v -> keep |> Array.map (fun j -> v[j])) }

    let private simpler (v: float) =
        [ 0.0; truncate (v / 2.0); truncate v; round v; round (v * 2.0) / 2.0; round (v * 4.0) / 4.0 ] |> List.distinct |> List.filter (fun s -> s <> v && abs s <= abs v)

    /// Smaller and simpler cases, most drastic first: fewer steps, fewer columns, the definition's initial
    /// states, shared instead of per-column parameters, learnable parameters at their initial values, and
    /// rounder inputs and values. Fixed options keep their values (a counterexample shows the neuron as
    /// defined).
    let shrink (c: Case) : Case seq =
        let learnable name = c.Neuron.Params |> List.exists (fun p -> p.Name = name && p.Learnable)
        seq {
            let T, N = c.Steps, c.Columns
            for t in List.distinct [ 1; T / 2; T - 1 ] do
                if t >= 1 && t < T then yield { c with Inputs = Array2D.init t N (fun i j -> c.Inputs[i, j]) }
            if T > 1 then yield { c with Inputs = Array2D.init (T - 1) N (fun i j -> c.Inputs[i + 1, j]) }
            if N > 1 then
                for j in 0 .. N - 1 do
                    yield sliceColumns [| j |] c
                for j in 0 .. N - 1 do
                    yield sliceColumns (Array.init (N - 1) (fun k -> if k < j then k else k + 1)) c
            if not c.Initial.IsEmpty then yield { c with Initial = Map.empty }
            for KeyValue(name, v) in c.Params |> Map.filter (fun k _ -> learnable k) do
                if v.Length > 1 then yield { c with Params = Map.add name [| v[0] |] c.Params }
                let p = c.Neuron.Params |> List.find (fun p -> p.Name = name)
                if v.Length = 1 && v[0] <> p.Init then yield { c with Params = Map.add name [| p.Init |] c.Params }
            if c.Inputs |> Seq.cast<float> |> Seq.exists ((<>) 0.0) then
                yield { c with Inputs = Array2D.zeroCreate T N }
            for t in 0 .. T - 1 do
                for j in 0 .. N - 1 do
                    for s in simpler c.Inputs[t, j] do
                        let x = Array2D.copy c.Inputs
                        x[t, j] <- s
                        yield { c with Inputs = x }
            for KeyValue(name, v) in c.Initial do
                let inDomain =
                    match c.Neuron.States |> List.tryFind (fun s -> s.Name = name) |> Option.bind (fun s -> s.Domain) with
                    | Some d -> StateDomain.contains d
                    | None -> fun _ -> true
                for k in 0 .. v.Length - 1 do
                    for s in simpler v[k] |> List.filter inDomain do
                        yield { c with Initial = Map.add name (Array.updateAt k s v) c.Initial }
            for KeyValue(name, v) in c.Params |> Map.filter (fun k _ -> learnable k) do
                for k in 0 .. v.Length - 1 do
                    for s in simpler v[k] do
                        yield { c with Params = Map.add name (Array.updateAt k s v) c.Params }
        }
