/// TensorScope ownership: everything created inside is freed at the end except what Keep moves out; scopes
/// nest; tensors made outside any scope live until disposed, or until the finalizer runs.
module SnnDsl.Torch.Tests.ScopeTests

open System
open System.Runtime.CompilerServices
open Xunit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// The live count once every unreachable tensor has been finalised.
let settledLiveTensors () =
    collectGarbage ()
    Torch.liveTensors ()

[<Fact>]
let ``a scope frees every tensor created inside it`` () =
    let start = settledLiveTensors ()
    let inside =
        use scope = new TensorScope()
        let a = Tensor.Ones [| 3 |]
        let b = a + a
        let c = b.Sum()
        Assert.Equal(start + 3L, Torch.liveTensors ())
        Assert.Equal(3, scope.Count)
        [ a; b; c ]
    Assert.Equal(start, Torch.liveTensors ())
    Assert.All(inside, fun t -> Assert.True t.IsDisposed)

[<Fact>]
let ``Keep moves a tensor to the enclosing scope`` () =
    let start = settledLiveTensors ()
    use outer = new TensorScope()
    let kept, dropped =
        use inner = new TensorScope()
        let k = inner.Keep(Tensor.Full([| 2 |], 4.0))
        let d = Tensor.Ones [| 2 |]
        Assert.Equal(1, outer.Count)
        k, d
    Assert.False kept.IsDisposed
    Assert.True dropped.IsDisposed
    assertExact [| 4.0; 4.0 |] (values kept)
    Assert.Equal(start + 1L, Torch.liveTensors ())
    (outer :> IDisposable).Dispose()
    Assert.True kept.IsDisposed
    Assert.Equal(start, Torch.liveTensors ())

[<Fact>]
let ``Keep in the outermost scope hands the tensor to the caller`` () =
    let start = settledLiveTensors ()
    let kept =
        use scope = new TensorScope()
        scope.Keep(Tensor.Ones [| 2 |])
    Assert.False kept.IsDisposed
    Assert.Equal(start + 1L, Torch.liveTensors ())
    kept.Dispose()
    Assert.Equal(start, Torch.liveTensors ())

[<Fact>]
let ``Keep of a tensor the scope does not own changes nothing`` () =
    use outsider = Tensor.Ones [| 2 |]
    do
        use scope = new TensorScope()
        scope.Keep outsider |> ignore
    Assert.False outsider.IsDisposed
    use outer = new TensorScope()
    let t = Tensor.Ones [| 2 |]
    do
        use inner = new TensorScope()
        inner.Keep t |> ignore // owned by outer, not inner
    Assert.False t.IsDisposed

[<Fact>]
let ``nested scopes free their own tensors, innermost first`` () =
    let start = settledLiveTensors ()
    use outer = new TensorScope()
    let a = Tensor.Ones [| 2 |]
    let b, c =
        use middle = new TensorScope()
        let b = Tensor.Ones [| 2 |]
        let c =
            use inner = new TensorScope()
            Assert.Same(inner, TensorScope.CurrentOrNull)
            Tensor.Ones [| 2 |]
        Assert.Same(middle, TensorScope.CurrentOrNull)
        Assert.True c.IsDisposed
        Assert.False b.IsDisposed
        b, c
    Assert.Same(outer, TensorScope.CurrentOrNull)
    Assert.True b.IsDisposed
    Assert.False a.IsDisposed
    Assert.Equal(start + 1L, Torch.liveTensors ())
    (outer :> IDisposable).Dispose()
    Assert.Null TensorScope.CurrentOrNull
    Assert.True a.IsDisposed
    Assert.Equal(start, Torch.liveTensors ())

[<Fact>]
let ``a tensor disposed early is not freed twice by its scope`` () =
    let start = settledLiveTensors ()
    do
        use scope = new TensorScope()
        let t = Tensor.Ones [| 2 |]
        t.Dispose()
        Assert.Equal(start, Torch.liveTensors ())
    Assert.Equal(start, Torch.liveTensors ())

[<Fact>]
let ``tensors created outside any scope live until disposed`` () =
    let start = settledLiveTensors ()
    let t = Tensor.Full([| 3 |], 2.0)
    do
        use scope = new TensorScope()
        (t + t).Sum() |> ignore
    collectGarbage ()
    Assert.False t.IsDisposed
    assertExact [| 2.0; 2.0; 2.0 |] (values t)
    Assert.Equal(start + 1L, Torch.liveTensors ())
    t.Dispose()
    Assert.Equal(start, Torch.liveTensors ())

[<MethodImpl(MethodImplOptions.NoInlining)>]
let abandon (n: int) =
    for _ in 1..n do
        Tensor.Ones [| 16 |] |> ignore

[<Fact>]
let ``an abandoned tensor is freed by its finalizer`` () =
    let start = settledLiveTensors ()
    Assert.Null TensorScope.CurrentOrNull
    abandon 100
    Assert.Equal(start + 100L, Torch.liveTensors ())
    Assert.Equal(start, settledLiveTensors ())

[<Fact>]
let ``a scope belongs to its thread`` () =
    use scope = new TensorScope()
    let other = Threading.Tasks.Task.Factory.StartNew((fun () -> isNull TensorScope.CurrentOrNull), Threading.Tasks.TaskCreationOptions.LongRunning)
    Assert.True other.Result
