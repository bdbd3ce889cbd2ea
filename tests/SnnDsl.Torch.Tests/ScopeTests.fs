/// TensorScope ownership: everything created inside is freed at the end except what Keep moves out; scopes
/// nest; tensors made outside any scope live until disposed, or until the finalizer runs.
module SnnDsl.Torch.Tests.ScopeTests

open System
open System.Runtime.CompilerServices
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// The live count once every unreachable tensor has been finalised.
let settledLiveTensors () =
    collectGarbage ()
    Torch.liveTensors ()

[<MethodImpl(MethodImplOptions.NoInlining)>]
let abandon (n: int) =
    for _ in 1..n do
        Tensor.Ones [| 16 |] |> ignore

[<Tests>]
let tests =
    testSequenced <| testList "Scope" [
        testCase "a scope frees every tensor created inside it" <| fun () ->
            let start = settledLiveTensors ()
            let inside =
                use scope = new TensorScope()
                let a = Tensor.Ones [| 3 |]
                let b = a + a
                let c = b.Sum()
                Expect.equal (Torch.liveTensors ()) (start + 3L) "Torch.liveTensors ()"
                Expect.equal scope.Count 3 "scope.Count"
                [ a; b; c ]
            Expect.equal (Torch.liveTensors ()) start "Torch.liveTensors ()"
            for t in inside do Expect.isTrue t.IsDisposed "t.IsDisposed"

        testCase "Keep moves a tensor to the enclosing scope" <| fun () ->
            let start = settledLiveTensors ()
            use outer = new TensorScope()
            let kept, dropped =
                use inner = new TensorScope()
                let k = inner.Keep(Tensor.Full([| 2 |], 4.0))
                let d = Tensor.Ones [| 2 |]
                Expect.equal outer.Count 1 "outer.Count"
                k, d
            Expect.isFalse kept.IsDisposed "kept.IsDisposed"
            Expect.isTrue dropped.IsDisposed "dropped.IsDisposed"
            expectExact [| 4.0; 4.0 |] (values kept)
            Expect.equal (Torch.liveTensors ()) (start + 1L) "Torch.liveTensors ()"
            (outer :> IDisposable).Dispose()
            Expect.isTrue kept.IsDisposed "kept.IsDisposed"
            Expect.equal (Torch.liveTensors ()) start "Torch.liveTensors ()"

        testCase "Keep in the outermost scope hands the tensor to the caller" <| fun () ->
            let start = settledLiveTensors ()
            let kept =
                use scope = new TensorScope()
                scope.Keep(Tensor.Ones [| 2 |])
            Expect.isFalse kept.IsDisposed "kept.IsDisposed"
            Expect.equal (Torch.liveTensors ()) (start + 1L) "Torch.liveTensors ()"
            kept.Dispose()
            Expect.equal (Torch.liveTensors ()) start "Torch.liveTensors ()"

        testCase "Keep of a tensor the scope does not own changes nothing" <| fun () ->
            use outsider = Tensor.Ones [| 2 |]
            do
                use scope = new TensorScope()
                scope.Keep outsider |> ignore
            Expect.isFalse outsider.IsDisposed "outsider.IsDisposed"
            use outer = new TensorScope()
            let t = Tensor.Ones [| 2 |]
            do
                use inner = new TensorScope()
                inner.Keep t |> ignore // owned by outer, not inner
            Expect.isFalse t.IsDisposed "t.IsDisposed"

        testCase "nested scopes free their own tensors, innermost first" <| fun () ->
            let start = settledLiveTensors ()
            use outer = new TensorScope()
            let a = Tensor.Ones [| 2 |]
            let b, c =
                use middle = new TensorScope()
                let b = Tensor.Ones [| 2 |]
                let c =
                    use inner = new TensorScope()
                    Expect.same TensorScope.CurrentOrNull inner "TensorScope.CurrentOrNull"
                    Tensor.Ones [| 2 |]
                Expect.same TensorScope.CurrentOrNull middle "TensorScope.CurrentOrNull"
                Expect.isTrue c.IsDisposed "c.IsDisposed"
                Expect.isFalse b.IsDisposed "b.IsDisposed"
                b, c
            Expect.same TensorScope.CurrentOrNull outer "TensorScope.CurrentOrNull"
            Expect.isTrue b.IsDisposed "b.IsDisposed"
            Expect.isFalse a.IsDisposed "a.IsDisposed"
            Expect.equal (Torch.liveTensors ()) (start + 1L) "Torch.liveTensors ()"
            (outer :> IDisposable).Dispose()
            Expect.isNull TensorScope.CurrentOrNull "TensorScope.CurrentOrNull"
            Expect.isTrue a.IsDisposed "a.IsDisposed"
            Expect.equal (Torch.liveTensors ()) start "Torch.liveTensors ()"

        testCase "a tensor disposed early is not freed twice by its scope" <| fun () ->
            let start = settledLiveTensors ()
            do
                use scope = new TensorScope()
                let t = Tensor.Ones [| 2 |]
                t.Dispose()
                Expect.equal (Torch.liveTensors ()) start "Torch.liveTensors ()"
            Expect.equal (Torch.liveTensors ()) start "Torch.liveTensors ()"

        testCase "tensors created outside any scope live until disposed" <| fun () ->
            let start = settledLiveTensors ()
            let t = Tensor.Full([| 3 |], 2.0)
            do
                use scope = new TensorScope()
                (t + t).Sum() |> ignore
            collectGarbage ()
            Expect.isFalse t.IsDisposed "t.IsDisposed"
            expectExact [| 2.0; 2.0; 2.0 |] (values t)
            Expect.equal (Torch.liveTensors ()) (start + 1L) "Torch.liveTensors ()"
            t.Dispose()
            Expect.equal (Torch.liveTensors ()) start "Torch.liveTensors ()"

        testCase "an abandoned tensor is freed by its finalizer" <| fun () ->
            let start = settledLiveTensors ()
            Expect.isNull TensorScope.CurrentOrNull "TensorScope.CurrentOrNull"
            abandon 100
            Expect.equal (Torch.liveTensors ()) (start + 100L) "Torch.liveTensors ()"
            Expect.equal (settledLiveTensors ()) start "settledLiveTensors ()"

        testCase "a scope belongs to its thread" <| fun () ->
            use scope = new TensorScope()
            let other = Threading.Tasks.Task.Factory.StartNew((fun () -> isNull TensorScope.CurrentOrNull), Threading.Tasks.TaskCreationOptions.LongRunning)
            Expect.isTrue other.Result "other.Result"
    ]
