/// The fused kernels against the eager interpreter on inputs that span many chunks (so per-layer parameter
/// adjoints are summed across chunks and threads), in float32 and float64; views; threads; bad inputs.
module SnnDsl.Backends.Tests.FusedLawTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Torch
open SnnDsl.Backends
open SnnDsl.Backends.Tests.Tensors

/// The built-ins, and variants whose learnable parameters are per channel or per neuron.
let variants: Neuron list =
    let regranulate (g: Granularity) (suffix: string) (n: Neuron) =
        { n with
            Name = n.Name + suffix
            Params = n.Params |> List.map (fun p -> if p.Learnable then ParamSpec.per g p else p) }
    let learnable = Builtins.all |> List.filter (fun n -> n.Params |> List.exists (fun p -> p.Learnable))
    Builtins.all
    @ (learnable |> List.map (regranulate Granularity.PerChannel "-per-channel"))
    @ [ regranulate Granularity.PerNeuron "-per-neuron" Builtins.daLif ]

/// Steps, batch, channels and the rest of a step's shape: 2 * 3 * 500 = 3000 elements, two chunks of the
/// shim's 2048 (the last one partial, and not a multiple of the vector width).
let private site = [| 3; 500 |]
let private batch = 2

/// A case: a neuron, T, a seed for the tensors, and whether the run starts from given states.
type Case = { Neuron: Neuron; T: int; Seed: int; GivenState: bool }

let cases: Gen<Case> =
    gen {
        let! n = Gen.elements variants
        let! t = Gen.choose (1, 6)
        let! seed = Gen.choose (0, 1_000_000)
        let! given = Gen.elements [ true; false ]
        return { Neuron = n; T = t; Seed = seed; GivenState = given }
    }

let private paramShape (p: ParamSpec) =
    match p.Granularity with
    | Granularity.PerLayer -> [||]
    | Granularity.PerChannel -> [| site[0] |]
    | Granularity.PerNeuron -> site

/// The tensors of a case in float64 (the same values, rounded to float32, are given to float32 runs).
type Inputs =
    { X: Tensor
      Raw: Map<string, Tensor>
      State: NeuronState option
      /// Weights of the loss on the spikes [T, N, ...] and on each final state [N, ...].
      SpikeWeights: Tensor
      StateWeights: Map<string, Tensor> }

let private inputsOf (c: Case) : Inputs =
    Torch.manualSeed (uint64 c.Seed)
    let shape = Array.append [| c.T; batch |] site
    let f32 (t: Tensor) = t.To(DType.Float32).To(DType.Float64) // values exact in both dtypes
    let x = f32 (Tensor.Randn(shape, DType.Float64) * 1.5)
    let raw =
        c.Neuron.Params
        |> List.filter (fun p -> p.Learnable)
        |> List.map (fun p -> p.Name, f32 (Tensor.Randn(paramShape p, DType.Float64) * 0.5 + p.Init))
        |> Map.ofList
    let stepShape = shape[1..]
    let state =
        if c.GivenState then
            Some(c.Neuron.States |> List.map (fun s -> s.Name, TValue.Tensor(f32 (Tensor.Randn(stepShape, DType.Float64) * 0.5))) |> Map.ofList)
        else None
    { X = x
      Raw = raw
      State = state
      SpikeWeights = f32 (Tensor.Randn(shape, DType.Float64))
      StateWeights = c.Neuron.States |> List.map (fun s -> s.Name, f32 (Tensor.Randn(stepShape, DType.Float64))) |> Map.ofList }

/// The elements (of one step) where the float64 eager run comes within `margin` of a threshold at some step:
/// there the two runs may rightly disagree on the spike, so the comparison leaves them out.
let private nearTies (p: StepProgram) (inp: Inputs) (margin: float) : bool[] =
    let tr = Interpreters.eager.Trace(p, inp.Raw, inp.State, inp.X)
    let value name = tr.Values |> List.find (fst >> (=) name) |> snd
    let gap = elements ((value "H" - value "theta").Abs())
    let T = inp.X.Shape[0]
    let E = gap.Length / T
    Array.init E (fun e -> Seq.exists (fun t -> gap[t * E + e] < margin) (seq { 0 .. T - 1 }))

/// One run with gradients: spikes, final states and the gradients of x, every raw parameter and every
/// given initial state, all as float64 arrays. Elements in `skip` get no weight in the loss.
type Run =
    { Spikes: float[]
      Final: Map<string, float[]>
      GradX: float[]
      GradRaw: Map<string, float[]>
      GradState: Map<string, float[]> }

let private runWith (interp: ITensorInterpreter) (dtype: DType) (p: StepProgram) (inp: Inputs) (skip: bool[]) : Run =
    use scope = new TensorScope()
    let cast (t: Tensor) =
        let c = t.To(dtype).Detach()
        c.RequiresGrad <- true
        c
    let x = cast inp.X
    let raw = inp.Raw |> Map.map (fun _ t -> cast t)
    let state = inp.State |> Option.map (Map.map (fun _ v -> match v with TValue.Tensor t -> TValue.Tensor(cast t) | n -> n))
    let keep = Tensor.FromArray(skip |> Array.map (fun s -> if s then 0.0 else 1.0)).To(dtype)
    let stepShape = x.Shape[1..]
    let mask = keep.Reshape(stepShape)
    let spikes, final = interp.Run(p, raw, state, x)
    let mutable loss = (spikes * (inp.SpikeWeights.To(dtype) * mask)).Sum()
    for KeyValue(name, w) in inp.StateWeights do
        loss <- loss + (Eager.materialize mask final[name] * (w.To(dtype) * mask)).Sum()
    loss.Backward()
    let grad (t: Tensor) = match t.Grad with Some g -> elements g | None -> Array.zeroCreate (int t.NumElements)
    { Spikes = elements spikes
      Final = final |> Map.map (fun _ v -> valueAt mask v)
      GradX = grad x
      GradRaw = raw |> Map.map (fun _ t -> grad t)
      GradState =
        match state with
        | Some s -> s |> Map.map (fun _ v -> match v with TValue.Tensor t -> grad t | _ -> [||])
        | None -> Map.empty }

let private expectClose (what: string) (tol: float) (expected: float[]) (actual: float[]) (skip: int -> bool) =
    if expected.Length <> actual.Length then failwith $"{what}: {actual.Length} values, expected {expected.Length}"
    for i in 0 .. expected.Length - 1 do
        if not (skip i) then
            let e, a = expected[i], actual[i]
            if not (near (tol * max 1.0 (abs e)) e a) then failwith $"{what}[{i}]: eager %.10g{e}, fused %.10g{a}"

/// Compares a fused run with the eager run of the same dtype.
let agreeOn (interp: ITensorInterpreter) (dtype: DType) (margin: float) (tol: float) (reductionTol: float) (c: Case) =
    use scope = new TensorScope()
    let inp = inputsOf c
    let p = programFor c.Neuron inp.Raw
    let skip = nearTies p inp margin
    let E = skip.Length
    let eager = runWith Interpreters.eager dtype p inp skip
    let fused = runWith interp dtype p inp skip
    let perStep i = skip[i % E]
    expectClose "spikes" 0.0 eager.Spikes fused.Spikes perStep
    for KeyValue(name, v) in eager.Final do expectClose $"final {name}" tol v fused.Final[name] perStep
    expectClose "d/dx" tol eager.GradX fused.GradX perStep
    for KeyValue(name, g) in eager.GradState do expectClose $"d/d(initial {name})" tol g fused.GradState[name] perStep
    for KeyValue(name, g) in eager.GradRaw do expectClose $"d/d{name}" reductionTol g fused.GradRaw[name] (fun _ -> false)

let private leaky = Neuron.withSurrogate Surrogate.atan Builtins.leakyLif

let private spikesOf (x: Tensor) =
    let p = Program.lower Program.learnable leaky
    elements (fst (Interpreters.fused.Run(p, Map.empty, None, x)))

let private fusedError (f: unit -> unit) =
    let e = Expect.raisesAny<Exception> (fun () -> f ())
    e.Message

[<Tests>]
let tests =
    testSequenced <| testList "FusedLaw" [
        yield! lawRowsOn 120 "fused float64 equals eager float64 across many chunks: spikes, final states, and gradients of x, parameters of every granularity and initial states" [ "fused"; "fused-interpreted"; "fused-saving" ] <| fun (interp: string) ->
            forAll cases (agreeOn (interpreter interp) DType.Float64 1e-9 1e-10 1e-10)

        yield! lawRowsOn 120 "fused float32 equals eager float32 across many chunks: spikes away from threshold ties, values and gradients within 1e-5" [ "fused"; "fused-interpreted"; "fused-saving" ] <| fun (interp: string) ->
            // Per-layer parameter adjoints sum 3000 * T terms: float32 sums carry ~1e-7 per term, so 1e-4 there.
            forAll cases (agreeOn (interpreter interp) DType.Float32 1e-3 1e-5 1e-4)

        // The kernels of a machine without AVX-512 (native vectors of 32 or 16 bytes): the same laws.
        yield! lawRowsOn 25 "kernels built for narrower vector units equal eager float32 and float64" [ "-mno-avx512f"; "-mno-avx" ] <| fun (flags: string) ->
            forAll (Gen.zip cases (Gen.elements [ DType.Float32; DType.Float64 ])) (fun (c, dtype) ->
                let previous = Environment.GetEnvironmentVariable "SNNDSL_CXXFLAGS"
                Environment.SetEnvironmentVariable("SNNDSL_CXXFLAGS", flags)
                try
                    if dtype = DType.Float32 then agreeOn Interpreters.fused dtype 1e-3 1e-5 1e-4 c
                    else agreeOn Interpreters.fused dtype 1e-9 1e-10 1e-10 c
                finally
                    Environment.SetEnvironmentVariable("SNNDSL_CXXFLAGS", previous))

        testCase "the many-chunk cases exercise spikes, ties left out sparingly and nonzero parameter gradients" <| fun () ->
            let sample = Gen.sample 30 cases |> List.ofSeq
            let spiking, tiesLeftOut =
                sample
                |> List.map (fun c ->
                    use scope = new TensorScope()
                    let inp = inputsOf c
                    let p = programFor c.Neuron inp.Raw
                    let spikes, _ = Interpreters.eager.Run(p, inp.Raw, inp.State, inp.X)
                    let rate = spikes.Mean().ToScalar()
                    let skipped = nearTies p inp 1e-3 |> Array.filter id |> Array.length
                    rate, float skipped / 3000.0)
                |> List.unzip
            Expect.isTrue (List.average spiking > 0.05 && List.average spiking < 0.95) ($"mean firing {List.average spiking}")
            Expect.isTrue (List.average tiesLeftOut < 0.05) ($"ties left out {List.average tiesLeftOut}")

        yield! lawRowsOn 60 "fused multi-step from a given state equals the fold of fused single steps, bit for bit" [ "fused"; "fused-interpreted" ] <| fun (interp: string) ->
            forAll cases (fun c ->
                use scope = new TensorScope()
                let run = interpreter interp
                let inp = inputsOf c
                let x = inp.X.To(DType.Float32)
                let raw = inp.Raw |> Map.map (fun _ t -> t.To(DType.Float32))
                let state = inp.State |> Option.map (Map.map (fun _ v -> match v with TValue.Tensor t -> TValue.Tensor(t.To(DType.Float32)) | n -> n))
                let p = programFor c.Neuron raw
                let whole, final = run.Run(p, raw, state, x)
                let steps, foldFinal =
                    Array.mapFold (fun s t -> let o, n = run.Run(p, raw, s, x.Narrow(0, t, 1)) in o, Some n) state [| 0 .. c.T - 1 |]
                if elements whole <> elements (Tensor.Cat steps) then failwith "spikes differ"
                let like = x.Select(0, 0)
                for KeyValue(name, v) in final do
                    if valueAt like v <> valueAt like foldFinal.Value[name] then failwith $"final {name} differs")

        testCase "fused results with 1 and 2 threads agree: outputs and per-layer adjoints bit for bit, reductions to 1e-6" <| fun () ->
            let previous = Torch.threads ()
            try
                checkOn 30 cases (fun c ->
                    use scope = new TensorScope()
                    let inp = inputsOf c
                    let p = programFor c.Neuron inp.Raw
                    let skip = Array.zeroCreate 3000
                    Torch.setThreads 1
                    let one = runWith Interpreters.fused DType.Float32 p inp skip
                    Torch.setThreads 2
                    let two = runWith Interpreters.fused DType.Float32 p inp skip
                    if one.Spikes <> two.Spikes then failwith "spikes differ"
                    if one.Final <> two.Final then failwith "final states differ"
                    if one.GradX <> two.GradX then failwith "d/dx differs"
                    if one.GradState <> two.GradState then failwith "initial-state gradients differ"
                    for q in p.Params do
                        let a, b = one.GradRaw[q.Name], two.GradRaw[q.Name]
                        if q.Granularity = Granularity.PerLayer then
                            if a <> b then failwith $"d/d{q.Name} differs: {a[0]} and {b[0]}"
                        else expectClose $"d/d{q.Name}" 1e-6 a b (fun _ -> false))
            finally
                Torch.setThreads previous

        testCase "an input constant in time (stride 0 on dim 0) is read in place and gives the spikes of its copy" <| fun () ->
            use scope = new TensorScope()
            let image = Tensor.Randn([| 4; 3; 50 |]) * 2.0
            let x = image.Unsqueeze(0).Expand(5, 4, 3, 50)
            let expected = spikesOf (x.Contiguous())
            let before = FusedKernel.ViewCopies
            let got = spikesOf x
            Expect.equal FusedKernel.ViewCopies before "FusedKernel.ViewCopies"
            Expect.equal (got : float[]) expected "got"

        testCase "a time slice of a longer input and the gradient of a sum are read in place" <| fun () ->
            use scope = new TensorScope()
            let long = Tensor.Randn([| 9; 4; 300 |]) * 2.0
            let x = long.Narrow(0, 2, 5)
            x.RequiresGrad <- false
            let expected = spikesOf (x.Contiguous())
            let leaf = x.Detach()
            leaf.RequiresGrad <- true
            let before = FusedKernel.ViewCopies
            let got = spikesOf x
            let p = Program.lower Program.learnable leaky
            let s, _ = Interpreters.fused.Run(p, Map.empty, None, leaf)
            s.Sum().Backward() // the gradient of a sum is one value expanded over [T, N, ...]
            Expect.equal FusedKernel.ViewCopies before "FusedKernel.ViewCopies"
            Expect.equal (got : float[]) expected "got"
            Expect.isTrue leaf.Grad.IsSome "leaf.Grad.IsSome"

        testCase "a view whose step is not contiguous is copied once and gives the same spikes" <| fun () ->
            use scope = new TensorScope()
            let x = (Tensor.Randn([| 5; 40; 6 |]) * 2.0).Transpose(1, 2)
            let expected = spikesOf (x.Contiguous())
            let before = FusedKernel.ViewCopies
            let got = spikesOf x
            Expect.equal FusedKernel.ViewCopies (before + 1L) "FusedKernel.ViewCopies"
            Expect.equal (got : float[]) expected "got"

        testCase "bad inputs to fused kernels give errors that name the problem" <| fun () ->
            use scope = new TensorScope()
            let p = Program.lower Program.learnable Builtins.daLif
            let good = Tensor.Randn([| 3; 2; 4 |])
            let alpha = Tensor.Scalar(1.0)
            let rank1 = fusedError (fun () -> Interpreters.fused.Run(p, Map [ "alpha", alpha ], None, Tensor.Randn([| 5 |])) |> ignore)
            Expect.stringContains rank1 "expected an input [T, N, ...]" "rank1"
            let mixed = fusedError (fun () -> Interpreters.fused.Run(p, Map [ "alpha", Tensor.Scalar(1.0, DType.Float64) ], None, good) |> ignore)
            Expect.stringContains mixed "mixed dtypes" "mixed"
            let count = fusedError (fun () -> Interpreters.fused.Run(p, Map [ "alpha", Tensor.Zeros([| 3 |]) ], None, good) |> ignore)
            Expect.stringContains count "has 3 values, expected 1" "count"
            let perChannel = Program.lower Program.learnable (variants |> List.find (fun n -> n.Name = "da-lif-per-channel"))
            let rank2 = fusedError (fun () -> Interpreters.fused.Run(perChannel, Map [ "alpha", Tensor.Zeros([| 3 |]) ], None, Tensor.Randn([| 3; 2 |])) |> ignore)
            Expect.stringContains rank2 "per channel, which needs inputs [T, N, C, ...]" "rank2"
            let state = fusedError (fun () -> Interpreters.fused.Run(p, Map.empty, Some(Map [ "V", TValue.Tensor(Tensor.Zeros([| 5 |])) ]), good) |> ignore)
            Expect.stringContains state "initial state 0 has 5 values, expected 8" "state"

        testCase "auto runs float16 inputs on the eager backend with a one-line notice, fused refuses them by name" <| fun () ->
            use scope = new TensorScope()
            let lines = Collections.Concurrent.ConcurrentQueue<string>()
            let previous = Notice.redirect lines.Enqueue
            try
                let neuron = { Builtins.leakyLif with Name = "leaky-lif-float16-test" }
                let x = Tensor.Randn([| 3; 2; 4 |]).To(DType.Float16)
                let spikes, _ = NeuronRunner(neuron, Backend.Auto).Run(Map.empty, None, x)
                Expect.equal spikes.DType DType.Float16 "spikes.DType"
                Expect.exists lines (fun l -> l.Contains "leaky-lif-float16-test" && l.Contains "eager" && l.Contains "float32 and float64") "lines"
                let e = Expect.raisesAny<SnnException> (fun () -> NeuronRunner(neuron, Backend.Fused).Run(Map.empty, None, x) |> ignore)
                Expect.equal e.Kind ErrorKind.Usage "e.Kind"
                Expect.stringContains e.Message "float32 and float64" "e.Message"
            finally
                Notice.redirect previous |> ignore

        testCase "the float32 kernels' σ is within 1.2e-7 of float64 σ for every x, and within 3 + 1.25 |x| ulp where σ is a normal float (the documented bounds)" <| fun () ->
            use scope = new TensorScope()
            let n =
                NeuronText.parseNeuron "sigmoid.neuron"
                    "neuron sigmoid-of-x \"records sigmoid(X)\"\nstate V = 0 \"potential\"\nG = sigmoid(X)\nS = spike(G - 2)\nV <- G\n"
            let p = Program.lower Program.learnable n
            // Every float32 from -104 to 104 at a spacing of 2^-10, and the far ends.
            let xs = Array.append [| for i in -106496 .. 106496 -> float32 i / 1024.0f |] [| -1e30f; 1e30f; -infinityf; infinityf |]
            let x = Tensor.FromArray(xs |> Array.map float).To(DType.Float32).Reshape([| 1; xs.Length |])
            let tr = Fused.trace FusedMode.Compiled p Map.empty None x
            let g = tr.Values |> List.find (fst >> (=) "G") |> snd |> elements
            let mutable worstAbs, worstUlp, worstAt = 0.0, 0.0, 0.0f
            for i in 0 .. xs.Length - 1 do
                let exact = Ops.sigmoid (float xs[i])
                let err = abs (g[i] - exact)
                worstAbs <- max worstAbs err
                if exact > Math.Pow(2.0, -126.0) then
                    let ulp = float (MathF.BitIncrement(float32 exact) - float32 exact)
                    let r = err / ulp / (3.0 + 1.25 * abs (float xs[i]))
                    if r > worstUlp then
                        worstUlp <- r
                        worstAt <- xs[i]
            Expect.isLessThanOrEqual worstAbs 1.2e-7 $"largest absolute error %.3g{worstAbs}"
            Expect.isLessThanOrEqual worstUlp 1.0 $"largest error in ulp, over 3 + 1.25 |x|: %.3g{worstUlp} at x = {worstAt}"
            let nan = Fused.trace FusedMode.Compiled p Map.empty None (Tensor.FromArray([| nan |]).To(DType.Float32).Reshape([| 1; 1 |]))
            let g0 = elements (nan.Values |> List.find (fst >> (=) "G") |> snd)
            Expect.isTrue (Double.IsNaN g0[0]) "σ(NaN) is NaN"
    ]
