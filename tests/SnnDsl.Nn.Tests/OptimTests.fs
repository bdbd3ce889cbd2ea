/// Optimisers against hand-written updates with PyTorch's definitions (torch.optim.SGD, Adam, AdamW),
/// gradient clipping (torch.nn.utils.clip_grad_norm_) and exact resumption from a saved state.
module SnnDsl.Nn.Tests.OptimTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Nn.Tests.Helpers

let private shapes = [| [| 2; 3 |]; [| 4 |] |]
let private initial = shapes |> Array.mapi (fun i s -> gaussian (50 + i) (numel s))
/// The constant part of step k's gradient for parameter i; the loss sum(c * p) + 0.5 sum(p^2) adds p.
let private coeff (k: int) (i: int) = gaussian (100 * k + i) (numel shapes[i]) |> Array.map (fun v -> 0.7 * v)

/// One backward of that loss into the parameters' gradients.
let private backward (ps: Tensor[]) (k: int) =
    use _ = new TensorScope()
    let loss =
        ps
        |> Array.mapi (fun i p -> (p * tensor shapes[i] (coeff k i)).Sum() + 0.5 * (p * p).Sum())
        |> Array.reduce (+)
    loss.Backward()

let private leaves () =
    shapes |> Array.mapi (fun i s -> let t = TensorScope.Forget(tensor s initial[i]) in t.RequiresGrad <- true; t)

/// Runs the optimiser for steps k = first .. first + count - 1.
let private run (opt: Optimizer) (ps: Tensor[]) (first: int) (count: int) =
    for k in first .. first + count - 1 do
        opt.ZeroGrad()
        backward ps k
        opt.Step()

/// Per-parameter hand state: momentum buffer, or Adam's moments.
type private Hand = { mutable Buf: float[] option; mutable M: float[]; mutable V: float[] }

let private axpy (a: float) (x: float[]) (y: float[]) = Array.map2 (fun xi yi -> a * xi + yi) x y

/// torch.optim semantics, one step t (1-based) of one parameter.
let private handStep (kind: OptimizerKind) (lr: float) (wd: float) (t: int) (st: Hand) (p: float[]) (g: float[]) =
    match kind with
    | OptimizerKind.Sgd(momentum, nesterov) ->
        let d = axpy wd p g
        if momentum = 0.0 then axpy -lr d p
        else
            let buf = match st.Buf with None -> d | Some b -> axpy momentum b d
            st.Buf <- Some buf
            let step = if nesterov then axpy momentum buf d else buf
            axpy -lr step p
    | OptimizerKind.Adam(b1, b2, eps)
    | OptimizerKind.AdamW(b1, b2, eps) ->
        let decoupled = match kind with OptimizerKind.AdamW _ -> true | _ -> false
        let p = if decoupled then Array.map (fun v -> v * (1.0 - lr * wd)) p else p
        let d = if decoupled then g else axpy wd p g
        st.M <- Array.map2 (fun m di -> b1 * m + (1.0 - b1) * di) st.M d
        st.V <- Array.map2 (fun v di -> b2 * v + (1.0 - b2) * di * di) st.V d
        let bc1, bc2 = 1.0 - b1 ** float t, 1.0 - b2 ** float t
        Array.init p.Length (fun j -> p[j] - lr * (st.M[j] / bc1) / (sqrt (st.V[j] / bc2) + eps))

let private handRun kind lr wd count =
    let states = shapes |> Array.map (fun s -> { Buf = None; M = Array.zeroCreate (numel s); V = Array.zeroCreate (numel s) })
    let mutable ps = Array.copy initial
    for k in 0 .. count - 1 do
        ps <- ps |> Array.mapi (fun i p -> handStep kind lr wd (k + 1) states[i] p (Array.map2 (+) (coeff k i) p))
    ps

let private check kind lr wd count =
    let ps = leaves ()
    try
        use opt = new Optimizer(kind, List.ofArray ps, lr, weightDecay = wd)
        run opt ps 0 count
        let expected = handRun kind lr wd count
        for i in 0 .. ps.Length - 1 do
            expectClose 2e-5 2e-5 expected[i] (values ps[i])
        Expect.equal opt.Steps (int64 count) "opt.Steps"
    finally
        for p in ps do p.Dispose()

let private kinds =
    [ "sgd", OptimizerKind.Sgd(0.0, false)
      "momentum", OptimizerKind.Sgd(0.9, false)
      "nesterov", OptimizerKind.Sgd(0.9, true)
      "adam", OptimizerKind.Adam(0.9, 0.999, 1e-8)
      "adamw", OptimizerKind.AdamW(0.9, 0.999, 1e-8) ]

[<Tests>]
let tests =
    testSequenced <| testList "Optim" [
        testCase "one step of every optimiser matches its PyTorch update" <| fun () ->
            for _, kind in kinds do
                check kind 0.1 0.0 1

        testCase "five steps of every optimiser match the hand updates, without and with weight decay" <| fun () ->
            for _, kind in kinds do
                check kind 0.05 0.0 5
                check kind 0.05 0.01 5

        testCase "Adam's L2 penalty and AdamW's decoupled decay give different parameters" <| fun () ->
            let a = handRun (OptimizerKind.Adam(0.9, 0.999, 1e-8)) 0.05 0.1 3
            let w = handRun (OptimizerKind.AdamW(0.9, 0.999, 1e-8)) 0.05 0.1 3
            Expect.isTrue (abs (a[0][0] - w[0][0]) > 1e-5) "the hand references should tell the two apart"
            check (OptimizerKind.Adam(0.9, 0.999, 1e-8)) 0.05 0.1 3
            check (OptimizerKind.AdamW(0.9, 0.999, 1e-8)) 0.05 0.1 3

        testCase "parameters without a gradient are left alone" <| fun () ->
            let ps = leaves ()
            use opt = new Optimizer(OptimizerKind.Sgd(0.9, false), List.ofArray ps, 0.1)
            do
                use _ = new TensorScope()
                (ps[0] * 2.0).Sum().Backward()
            opt.Step()
            expectClose 1e-7 1e-7 (initial[0] |> Array.map (fun v -> v - 0.2)) (values ps[0])
            Expect.equal (values ps[1] : float[]) (initial[1] |> Array.map (float32 >> float)) "values ps[1]"
            for p in ps do p.Dispose()

        testCase "Adam counts steps per parameter, as PyTorch does, when a parameter gets its first gradient late" <| fun () ->
            // Step 1 reaches only parameter 0; steps 2 and 3 reach both. PyTorch keeps a step count per
            // parameter, so parameter 1's first update uses the bias corrections of t = 1.
            for kind in [ OptimizerKind.Adam(0.9, 0.999, 1e-8); OptimizerKind.AdamW(0.9, 0.999, 1e-8) ] do
                let ps = leaves ()
                use opt = new Optimizer(kind, List.ofArray ps, 0.05, weightDecay = 0.01)
                let states = shapes |> Array.map (fun s -> { Buf = None; M = Array.zeroCreate (numel s); V = Array.zeroCreate (numel s) })
                let counts = Array.zeroCreate 2
                let expected = Array.copy initial
                for k in 0 .. 2 do
                    let reached = if k = 0 then [ 0 ] else [ 0; 1 ]
                    opt.ZeroGrad()
                    do
                        use _ = new TensorScope()
                        let loss = reached |> List.map (fun i -> (ps[i] * tensor shapes[i] (coeff k i)).Sum() + 0.5 * (ps[i] * ps[i]).Sum()) |> List.reduce (+)
                        loss.Backward()
                    opt.Step()
                    for i in reached do
                        counts[i] <- counts[i] + 1
                        expected[i] <- handStep kind 0.05 0.01 counts[i] states[i] expected[i] (Array.map2 (+) (coeff k i) expected[i])
                for i in 0 .. 1 do
                    expectClose 2e-5 2e-5 expected[i] (values ps[i])
                for p in ps do p.Dispose()

        testCase "ClipGradNorm scales the gradients to the maximum global norm and returns the norm before" <| fun () ->
            let ps = leaves ()
            use opt = new Optimizer(OptimizerKind.Sgd(0.0, false), List.ofArray ps, 0.1)
            let grads = Array.init 2 (fun i -> Array.map2 (+) (coeff 0 i) (initial[i] |> Array.map (float32 >> float)))
            let total = grads |> Array.sumBy (Array.sumBy (fun g -> g * g)) |> sqrt
            backward ps 0
            let norm = opt.ClipGradNorm(total / 2.0)
            expectNear 1e-5 1e-5 total norm
            let scale = (total / 2.0) / (total + 1e-6)
            for i in 0 .. 1 do
                expectClose 1e-5 1e-5 (grads[i] |> Array.map ((*) scale)) (values ps[i].Grad.Value)
            // Below the maximum nothing changes.
            opt.ZeroGrad()
            backward ps 0
            expectNear 1e-5 1e-5 total (opt.ClipGradNorm(total * 2.0))
            for i in 0 .. 1 do
                expectClose 1e-5 1e-5 grads[i] (values ps[i].Grad.Value)
            for p in ps do p.Dispose()

        testCase "State then LoadState into a fresh optimiser continues bit for bit" <| fun () ->
            for name, kind in kinds do
                let a = leaves ()
                use optA = new Optimizer(kind, List.ofArray a, 0.05, weightDecay = 0.01)
                run optA a 0 3
                let b = leaves ()
                do
                    use _ = Autograd.noGrad ()
                    for i in 0 .. 1 do b[i].CopyFrom a[i]
                use optB = new Optimizer(kind, List.ofArray b, 0.05, weightDecay = 0.01)
                do
                    use _ = new TensorScope()
                    optB.LoadState(optA.State())
                Expect.equal optB.Steps optA.Steps "optB.Steps"
                run optA a 3 3
                run optB b 3 3
                for i in 0 .. 1 do
                    Expect.isTrue (raw32 a[i] = raw32 b[i]) ($"{name}: parameter {i} differs after resuming from the saved state")
                // Without the state the continuation differs (so the state is what made them equal).
                if name <> "sgd" then
                    let c = leaves ()
                    do
                        // Rewind c to where a was after 3 steps by replaying with a fresh optimiser.
                        use optC0 = new Optimizer(kind, List.ofArray c, 0.05, weightDecay = 0.01)
                        run optC0 c 0 3
                    use optC = new Optimizer(kind, List.ofArray c, 0.05, weightDecay = 0.01)
                    run optC c 3 3
                    Expect.isFalse (raw32 a[0] = raw32 c[0]) ($"{name}: a fresh optimiser continued identically; the state test proves nothing")
                    for p in c do p.Dispose()
                for p in Array.append a b do p.Dispose()

        testCase "a state without per-parameter step counts (older checkpoints) resumes Adam from the global count" <| fun () ->
            let kind = OptimizerKind.Adam(0.9, 0.999, 1e-8)
            let a = leaves ()
            use optA = new Optimizer(kind, List.ofArray a, 0.05)
            run optA a 0 3
            let b = leaves ()
            do
                use _ = Autograd.noGrad ()
                for i in 0 .. 1 do b[i].CopyFrom a[i]
            use optB = new Optimizer(kind, List.ofArray b, 0.05)
            do
                use _ = new TensorScope()
                let state = optA.State()
                Expect.contains (state |> List.map fst) "step.1" "state |> List.map fst"
                optB.LoadState(state |> List.filter (fun (n, _) -> not (n.StartsWith "step.")))
            run optA a 3 2
            run optB b 3 2
            for i in 0 .. 1 do
                Expect.isTrue (raw32 a[i] = raw32 b[i]) ($"parameter {i} differs")
            for p in Array.append a b do p.Dispose()

        testCase "LoadState rejects entries it does not know" <| fun () ->
            let ps = leaves ()
            use opt = new Optimizer(OptimizerKind.Adam(0.9, 0.999, 1e-8), List.ofArray ps, 0.1)
            use _ = new TensorScope()
            let m1 = throwsMessage<ArgumentException> (fun () -> opt.LoadState([ "first.7", Tensor.Zeros([| 4 |]) ]))
            Expect.stringContains m1 "parameter 7 of 2" "m1"
            let m2 = throwsMessage<ArgumentException> (fun () -> opt.LoadState([ "velocity", Tensor.Zeros([| 4 |]) ]))
            Expect.stringContains m2 "unknown optimizer state entry 'velocity'" "m2"
            for p in ps do p.Dispose()

        testCase "an optimiser rejects a non-positive learning rate and a negative weight decay" <| fun () ->
            Expect.stringContains (throwsMessage<ArgumentException> (fun () -> new Optimizer(OptimizerKind.Sgd(0.0, false), [], 0.0) |> ignore)) "learning rate must be positive" "throwsMessage<ArgumentException> (fun () -> new Optimizer(OptimizerKind.Sgd(0.0, false)..."
            Expect.stringContains (throwsMessage<ArgumentException> (fun () -> new Optimizer(OptimizerKind.Sgd(0.0, false), [], 0.1, weightDecay = -1.0) |> ignore)) "weight decay must be >= 0" "throwsMessage<ArgumentException> (fun () -> new Optimizer(OptimizerKind.Sgd(0.0, false)..."

        lawOn 40 "SGD and Adam follow torch.optim for any hyperparameters" <| fun () ->
            let cases =
                gen {
                    let! lr = Gen.elements [ 0.001; 0.01; 0.05; 0.2 ]
                    let! wd = Gen.elements [ 0.0; 1e-4; 0.05 ]
                    let! momentum = Gen.elements [ 0.0; 0.5; 0.9; 0.99 ]
                    let! nesterov = Gen.elements [ true; false ]
                    let! b1 = Gen.elements [ 0.0; 0.5; 0.9 ]
                    let! b2 = Gen.elements [ 0.9; 0.99; 0.999 ]
                    let! adam = Gen.choose (0, 2)
                    let! steps = Gen.choose (1, 4)
                    let kind =
                        match adam with
                        | 0 -> OptimizerKind.Sgd(momentum, nesterov && momentum > 0.0)
                        | 1 -> OptimizerKind.Adam(b1, b2, 1e-8)
                        | _ -> OptimizerKind.AdamW(b1, b2, 1e-8)
                    return kind, lr, wd, steps
                }
            forAll cases (fun (kind, lr, wd, steps) -> check kind lr wd steps)
    ]
