/// The autograd API: RequiresGrad, IsLeaf, Grad, accumulation, ZeroGrad, Detach, no-grad scopes, retainGraph.
module SnnDsl.Torch.Tests.AutogradApiTests

open System
open System.Threading.Tasks
open Xunit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

let xs = [| 0.5; -1.25; 2.0 |]

/// A leaf that requires grad.
let leaf () =
    let x = Tensor.FromArray xs
    x.RequiresGrad <- true
    x

[<Fact>]
let ``created tensors are leaves that do not require grad until told`` () =
    use scope = new TensorScope()
    let x = Tensor.FromArray xs
    Assert.False x.RequiresGrad
    Assert.True x.IsLeaf
    x.RequiresGrad <- true
    Assert.True x.RequiresGrad
    Assert.True x.IsLeaf
    let y = x * 2.0
    Assert.True y.RequiresGrad
    Assert.False y.IsLeaf
    let z = Tensor.FromArray xs * 2.0
    Assert.False z.RequiresGrad
    Assert.True z.IsLeaf

[<Fact>]
let ``Grad is None before backward and the derivative after`` () =
    use scope = new TensorScope()
    let x = leaf ()
    Assert.True x.Grad.IsNone
    (x * x).Sum().Backward()
    assertExact (xs |> Array.map (fun v -> 2.0 * v)) (values x.Grad.Value)

[<Fact>]
let ``gradients accumulate over two backward passes`` () =
    use scope = new TensorScope()
    let x = leaf ()
    (x * x).Sum().Backward()
    (x * 3.0).Sum().Backward()
    assertExact (xs |> Array.map (fun v -> 2.0 * v + 3.0)) (values x.Grad.Value)

[<Fact>]
let ``ZeroGrad zeroes the gradient in place, or drops it`` () =
    use scope = new TensorScope()
    let x = leaf ()
    (x * x).Sum().Backward()
    let before = x.Grad.Value
    x.ZeroGrad()
    assertExact [| 0.0; 0.0; 0.0 |] (values x.Grad.Value)
    // in place: a handle taken before sees the zeros too
    assertExact [| 0.0; 0.0; 0.0 |] (values before)
    (x * 5.0).Sum().Backward()
    assertExact [| 5.0; 5.0; 5.0 |] (values x.Grad.Value)
    x.ZeroGrad(setToNone = true)
    Assert.True x.Grad.IsNone
    x.ZeroGrad() // no gradient: nothing to do
    Assert.True x.Grad.IsNone

[<Fact>]
let ``an explicit upstream gradient weights a non-scalar output`` () =
    use scope = new TensorScope()
    let x = leaf ()
    let g = [| 1.0; -2.0; 0.5 |]
    (x * x).Backward(Tensor.FromArray g)
    assertExact (Array.map2 (fun v w -> 2.0 * v * w) xs g) (values x.Grad.Value)

[<Fact>]
let ``Detach shares the storage but leaves the graph`` () =
    use scope = new TensorScope()
    let x = leaf ()
    let d = (x * 1.0).Detach()
    Assert.False d.RequiresGrad
    Assert.True d.IsLeaf
    let dx = x.Detach()
    dx.Fill 7.0
    assertExact [| 7.0; 7.0; 7.0 |] (values x)
    // a function of the detached tensor contributes no gradient
    (x * dx).Sum().Backward()
    assertExact [| 7.0; 7.0; 7.0 |] (values x.Grad.Value)

[<Fact>]
let ``Alias is the same tensor: its gradient is the original's`` () =
    use scope = new TensorScope()
    let x = leaf ()
    let a = x.Alias()
    Assert.True a.RequiresGrad
    (a * a).Sum().Backward()
    assertExact (xs |> Array.map (fun v -> 2.0 * v)) (values x.Grad.Value)
    a.Dispose()
    Assert.False x.IsDisposed

[<Fact>]
let ``noGrad records nothing and restores the previous mode`` () =
    use scope = new TensorScope()
    let x = leaf ()
    Assert.True(Autograd.isEnabled ())
    do
        use _ = Autograd.noGrad ()
        Assert.False(Autograd.isEnabled ())
        let y = x * x
        Assert.False y.RequiresGrad
        Assert.True y.IsLeaf
        do
            use _ = Autograd.enableGrad ()
            Assert.True(Autograd.isEnabled ())
            Assert.True((x * x).RequiresGrad)
        Assert.False(Autograd.isEnabled ())
        do
            use _ = Autograd.noGrad ()
            Assert.False(Autograd.isEnabled ())
        Assert.False(Autograd.isEnabled ())
    Assert.True(Autograd.isEnabled ())
    Assert.True((x * x).RequiresGrad)

[<Fact>]
let ``grad mode is per thread`` () =
    use _ = Autograd.noGrad ()
    Assert.False(Autograd.isEnabled ())
    let other = Task.Factory.StartNew((fun () -> Autograd.isEnabled ()), TaskCreationOptions.LongRunning)
    Assert.True other.Result

[<Fact>]
let ``a graph is freed by backward unless retainGraph is set`` () =
    use scope = new TensorScope()
    let x = leaf ()
    let y = (x.Exp()).Sum()
    y.Backward(retainGraph = true)
    y.Backward()
    assertClose 1e-15 0.0 (xs |> Array.map (fun v -> 2.0 * exp v)) (values x.Grad.Value)
    let e = Assert.Throws<TorchException>(fun () -> y.Backward())
    assertMessageContains "second time" e
