/// The autograd API: RequiresGrad, IsLeaf, Grad, accumulation, ZeroGrad, Detach, no-grad scopes, retainGraph.
module SnnDsl.Torch.Tests.AutogradApiTests

open System
open System.Threading.Tasks
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

let xs = [| 0.5; -1.25; 2.0 |]

/// A leaf that requires grad.
let leaf () =
    let x = Tensor.FromArray xs
    x.RequiresGrad <- true
    x

[<Tests>]
let tests =
    testSequenced <| testList "AutogradApi" [
        testCase "created tensors are leaves that do not require grad until told" <| fun () ->
            use scope = new TensorScope()
            let x = Tensor.FromArray xs
            Expect.isFalse x.RequiresGrad "x.RequiresGrad"
            Expect.isTrue x.IsLeaf "x.IsLeaf"
            x.RequiresGrad <- true
            Expect.isTrue x.RequiresGrad "x.RequiresGrad"
            Expect.isTrue x.IsLeaf "x.IsLeaf"
            let y = x * 2.0
            Expect.isTrue y.RequiresGrad "y.RequiresGrad"
            Expect.isFalse y.IsLeaf "y.IsLeaf"
            let z = Tensor.FromArray xs * 2.0
            Expect.isFalse z.RequiresGrad "z.RequiresGrad"
            Expect.isTrue z.IsLeaf "z.IsLeaf"

        testCase "Grad is None before backward and the derivative after" <| fun () ->
            use scope = new TensorScope()
            let x = leaf ()
            Expect.isTrue x.Grad.IsNone "x.Grad.IsNone"
            (x * x).Sum().Backward()
            expectExact (xs |> Array.map (fun v -> 2.0 * v)) (values x.Grad.Value)

        testCase "gradients accumulate over two backward passes" <| fun () ->
            use scope = new TensorScope()
            let x = leaf ()
            (x * x).Sum().Backward()
            (x * 3.0).Sum().Backward()
            expectExact (xs |> Array.map (fun v -> 2.0 * v + 3.0)) (values x.Grad.Value)

        testCase "ZeroGrad zeroes the gradient in place, or drops it" <| fun () ->
            use scope = new TensorScope()
            let x = leaf ()
            (x * x).Sum().Backward()
            let before = x.Grad.Value
            x.ZeroGrad()
            expectExact [| 0.0; 0.0; 0.0 |] (values x.Grad.Value)
            // in place: a handle taken before sees the zeros too
            expectExact [| 0.0; 0.0; 0.0 |] (values before)
            (x * 5.0).Sum().Backward()
            expectExact [| 5.0; 5.0; 5.0 |] (values x.Grad.Value)
            x.ZeroGrad(setToNone = true)
            Expect.isTrue x.Grad.IsNone "x.Grad.IsNone"
            x.ZeroGrad() // no gradient: nothing to do
            Expect.isTrue x.Grad.IsNone "x.Grad.IsNone"

        testCase "an explicit upstream gradient weights a non-scalar output" <| fun () ->
            use scope = new TensorScope()
            let x = leaf ()
            let g = [| 1.0; -2.0; 0.5 |]
            (x * x).Backward(Tensor.FromArray g)
            expectExact (Array.map2 (fun v w -> 2.0 * v * w) xs g) (values x.Grad.Value)

        testCase "Detach shares the storage but leaves the graph" <| fun () ->
            use scope = new TensorScope()
            let x = leaf ()
            let d = (x * 1.0).Detach()
            Expect.isFalse d.RequiresGrad "d.RequiresGrad"
            Expect.isTrue d.IsLeaf "d.IsLeaf"
            let dx = x.Detach()
            dx.Fill 7.0
            expectExact [| 7.0; 7.0; 7.0 |] (values x)
            // a function of the detached tensor contributes no gradient
            (x * dx).Sum().Backward()
            expectExact [| 7.0; 7.0; 7.0 |] (values x.Grad.Value)

        testCase "Alias is the same tensor: its gradient is the original's" <| fun () ->
            use scope = new TensorScope()
            let x = leaf ()
            let a = x.Alias()
            Expect.isTrue a.RequiresGrad "a.RequiresGrad"
            (a * a).Sum().Backward()
            expectExact (xs |> Array.map (fun v -> 2.0 * v)) (values x.Grad.Value)
            a.Dispose()
            Expect.isFalse x.IsDisposed "x.IsDisposed"

        testCase "noGrad records nothing and restores the previous mode" <| fun () ->
            use scope = new TensorScope()
            let x = leaf ()
            Expect.isTrue (Autograd.isEnabled ()) "Autograd.isEnabled ()"
            do
                use _ = Autograd.noGrad ()
                Expect.isFalse (Autograd.isEnabled ()) "Autograd.isEnabled ()"
                let y = x * x
                Expect.isFalse y.RequiresGrad "y.RequiresGrad"
                Expect.isTrue y.IsLeaf "y.IsLeaf"
                do
                    use _ = Autograd.enableGrad ()
                    Expect.isTrue (Autograd.isEnabled ()) "Autograd.isEnabled ()"
                    Expect.isTrue ((x * x).RequiresGrad) "(x * x).RequiresGrad"
                Expect.isFalse (Autograd.isEnabled ()) "Autograd.isEnabled ()"
                do
                    use _ = Autograd.noGrad ()
                    Expect.isFalse (Autograd.isEnabled ()) "Autograd.isEnabled ()"
                Expect.isFalse (Autograd.isEnabled ()) "Autograd.isEnabled ()"
            Expect.isTrue (Autograd.isEnabled ()) "Autograd.isEnabled ()"
            Expect.isTrue ((x * x).RequiresGrad) "(x * x).RequiresGrad"

        testCase "grad mode is per thread" <| fun () ->
            use _ = Autograd.noGrad ()
            Expect.isFalse (Autograd.isEnabled ()) "Autograd.isEnabled ()"
            let other = Task.Factory.StartNew((fun () -> Autograd.isEnabled ()), TaskCreationOptions.LongRunning)
            Expect.isTrue other.Result "other.Result"

        testCase "a graph is freed by backward unless retainGraph is set" <| fun () ->
            use scope = new TensorScope()
            let x = leaf ()
            let y = (x.Exp()).Sum()
            y.Backward(retainGraph = true)
            y.Backward()
            expectClose 1e-15 0.0 (xs |> Array.map (fun v -> 2.0 * exp v)) (values x.Grad.Value)
            let e = Expect.raises<TorchException> (fun () -> y.Backward())
            assertMessageContains "second time" e
    ]
