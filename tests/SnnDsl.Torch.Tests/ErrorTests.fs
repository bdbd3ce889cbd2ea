/// Failures surface as clear .NET exceptions: libtorch errors as TorchException naming shapes, dtypes or the
/// device; every kind of C++ exception is fenced; misuse of the binding gives ArgumentException and friends.
module SnnDsl.Torch.Tests.ErrorTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

let throwsTorch (operation: string) (f: unit -> 'a) =
    let e = Expect.raises<TorchException> (fun () -> f () |> ignore)
    Expect.equal e.Operation operation "e.Operation"
    Expect.stringStarts e.Message (operation + ": ") "e.Message"
    Expect.stringContains e.Message e.NativeMessage "e.Message"
    e

[<Tests>]
let tests =
    testSequenced <| testList "Error" [
        testCase "matmul of 2x3 by 2x3 names both shapes" <| fun () ->
            use scope = new TensorScope()
            let a = Tensor.Ones [| 2; 3 |]
            let e = throwsTorch "matmul" (fun () -> Tensor.Matmul(a, a))
            assertMessageContains "2x3 and 2x3" e
            // no C++ backtrace in the message
            Expect.stringLacks e.Message "frame #" "e.Message"
            Expect.stringLacks e.Message "Exception raised from" "e.Message"

        testCase "a dtype mismatch names both dtypes" <| fun () ->
            use scope = new TensorScope()
            let e = throwsTorch "matmul" (fun () -> Tensor.Matmul(Tensor.Ones([| 2; 3 |], DType.Float32), Tensor.Ones([| 3; 2 |], DType.Float64)))
            assertMessageContains "float" e
            assertMessageContains "double" e
            let e = throwsTorch "cross_entropy" (fun () -> Nn.CrossEntropy(Tensor.Zeros [| 2; 3 |], Tensor.Zeros [| 2 |]))
            assertMessageContains "int64" e
            assertMessageContains "float" e

        testCase "a CUDA request without CUDA names CUDA" <| fun () ->
            use scope = new TensorScope()
            // Without CUDA any CUDA device is refused; with CUDA, a device index past the visible ones is.
            let index = if Torch.cudaAvailable () then Torch.cudaDeviceCount () else 0
            let device = Device.Cuda index
            let e = throwsTorch "zeros" (fun () -> Tensor.Zeros([| 2 |], device = device))
            assertMessageContains $"cuda:{index}" e
            assertMessageContains "CUDA" e
            assertMessageContains "CUDA" (throwsTorch "to" (fun () -> Tensor.Ones([| 2 |]).To(device)))
            assertMessageContains "CUDA" (throwsTorch "from_data" (fun () -> Tensor.FromArray([| 1.0f |], device = device)))
            if not (Torch.cudaAvailable ()) then Expect.equal (Torch.cudaDeviceCount ()) 0 "Torch.cudaDeviceCount ()"

        testCase "using a disposed tensor raises ObjectDisposedException saying so" <| fun () ->
            let t = Tensor.Ones [| 2 |]
            t.Dispose()
            Expect.isTrue t.IsDisposed "t.IsDisposed"
            for use' in [ (fun () -> t.Shape |> ignore); (fun () -> (t + t) |> ignore); (fun () -> t.ToArray<float32>() |> ignore) ] do
                let e = Expect.raises<ObjectDisposedException> (fun () -> use' ())
                assertMessageContains "disposed" e
            Expect.equal (t.ToString()) "Tensor(disposed)" "t.ToString()"
            t.Dispose() // disposing twice is harmless

        testCase "a tensor disposed by its scope raises ObjectDisposedException naming the scope" <| fun () ->
            let t =
                use scope = new TensorScope()
                Tensor.Ones [| 2 |]
            let e = Expect.raises<ObjectDisposedException> (fun () -> t.Sum() |> ignore)
            assertMessageContains "TensorScope" e
            use other = Tensor.Ones [| 2 |]
            Expect.raises<ObjectDisposedException> (fun () -> (other + t) |> ignore) |> ignore
            Expect.raises<ObjectDisposedException> (fun () -> Tensor.Cat [ other; t ] |> ignore) |> ignore
            Expect.raises<ObjectDisposedException> (fun () -> Nn.Linear(other, other, t) |> ignore) |> ignore

        testCase "every kind of C++ exception becomes a TorchException and the process carries on" <| fun () ->
            let expected = [ 0, "std::runtime_error"; 1, "c10::Error"; 2, "not derived from std::exception"; 3, "not derived from std::exception" ]
            for kind, fragment in expected do
                let e = throwsTorch "debug_throw" (fun () -> Torch.debugThrow kind)
                assertMessageContains fragment e
            use t = Tensor.Ones [| 3 |]
            Expect.equal (t.Sum().ToScalar()) 3.0 "t.Sum().ToScalar()"

        testCase "bad dims and shapes raise TorchException with libtorch's explanation" <| fun () ->
            use scope = new TensorScope()
            assertMessageContains "negative dimension" (throwsTorch "zeros" (fun () -> Tensor.Zeros [| -1; 2 |]))
            let t = Tensor.Ones [| 2; 3 |]
            assertMessageContains "out of range" (throwsTorch "sum" (fun () -> t.Sum(5)))
            assertMessageContains "out of range" (throwsTorch "transpose" (fun () -> t.Transpose(0, -3)))
            assertMessageContains "invalid" (throwsTorch "reshape" (fun () -> t.Reshape(4, 2)))
            assertMessageContains "view" (throwsTorch "view" (fun () -> t.Transpose(0, 1).View(6)))
            assertMessageContains "step must be positive" (throwsTorch "slice" (fun () -> t.Slice(0, 0, 2, 0)))
            assertMessageContains "split size must be positive" (throwsTorch "split" (fun () -> t.Split 0))
            assertMessageContains "chunk count must be positive" (throwsTorch "chunk" (fun () -> t.Chunk 0))
            assertMessageContains "at least one of min and max" (throwsTorch "clamp" (fun () -> t.Clamp()))

        testCase "conv2d of an input that is not 4-d names the expected rank and the shape" <| fun () ->
            use scope = new TensorScope()
            let w = Tensor.Ones [| 1; 1; 3; 3 |]
            let e = throwsTorch "conv2d" (fun () -> Nn.Conv2d(Tensor.Ones [| 1; 5; 5 |], w))
            assertMessageContains "4-d" e
            assertMessageContains "[1, 5, 5]" e

        testCase "ToScalar of a tensor with several elements says it needs exactly one" <| fun () ->
            use scope = new TensorScope()
            let e = throwsTorch "item" (fun () -> Tensor.Ones([| 2; 2 |]).ToScalar())
            assertMessageContains "exactly one element" e
            assertMessageContains "4" e

        testCase "CopyTo into a buffer of the wrong size or element type is refused" <| fun () ->
            use scope = new TensorScope()
            let t = Tensor.Ones [| 2; 3 |]
            let e = Expect.raises<ArgumentException> (fun () -> t.CopyTo(Span<float32>(Array.zeroCreate 5)))
            assertMessageContains "6" e
            let e = Expect.raises<InvalidOperationException> (fun () -> t.CopyTo(Span<float>(Array.zeroCreate 6)))
            assertMessageContains "float32" e
            Expect.raises<InvalidOperationException> (fun () -> t.ToArray<int>() |> ignore) |> ignore
            // bfloat16 has no .NET element type: converting first is the way out
            Expect.raises<InvalidOperationException> (fun () -> t.To(DType.BFloat16).ToArray<Half>() |> ignore) |> ignore

        testCase "FromArray with a shape that does not match the data is refused" <| fun () ->
            let e = Expect.raises<ArgumentException> (fun () -> Tensor.FromArray([| 1.0; 2.0; 3.0 |], [| 2; 2 |]) |> ignore)
            assertMessageContains "[2, 2]" e
            assertMessageContains "3" e
            Expect.raises<ArgumentNullException> (fun () -> Tensor.FromArray(null: float[]) |> ignore) |> ignore
            Expect.raises<ArgumentNullException> (fun () -> Tensor.Zeros(null) |> ignore) |> ignore

        testCase "joining nothing is refused" <| fun () ->
            Expect.raises<ArgumentException> (fun () -> Tensor.Cat [] |> ignore) |> ignore
            Expect.raises<ArgumentException> (fun () -> Tensor.Stack [] |> ignore) |> ignore

        testCase "backward of something that needs no gradient, or of a non-scalar without a gradient, is refused" <| fun () ->
            use scope = new TensorScope()
            assertMessageContains "does not require grad" (throwsTorch "backward" (fun () -> Tensor.Ones([| 2 |]).Sum().Backward()))
            let x = Tensor.Ones [| 2 |]
            x.RequiresGrad <- true
            assertMessageContains "scalar" (throwsTorch "backward" (fun () -> (x * 2.0).Backward()))

        // The shim keeps its last error per thread: two threads failing at the same time each read their own.
        // (Exceptions thrown by the hook, not by libtorch ops: a libtorch c10::Error records a C++ backtrace, which
        // costs tens of milliseconds.)
        testCase "errors are reported on the thread that caused them" <| fun () ->
            let worker (kind: int) (fragment: string) () =
                for _ in 1..2000 do
                    let e = Expect.raises<TorchException> (fun () -> Torch.debugThrow kind)
                    assertMessageContains fragment e
            let a = Threading.Tasks.Task.Run(fun () -> worker 0 "std::runtime_error" ())
            let b = Threading.Tasks.Task.Run(fun () -> worker 2 "not derived from std::exception" ())
            Threading.Tasks.Task.WaitAll(a, b)

        testCase "requires_grad is refused on integer tensors and on non-leaves" <| fun () ->
            use scope = new TensorScope()
            let i = Tensor.FromArray [| 1L; 2L |]
            assertMessageContains "floating point" (throwsTorch "requires_grad" (fun () -> i.RequiresGrad <- true))
            let x = Tensor.Ones [| 2 |]
            x.RequiresGrad <- true
            assertMessageContains "leaf" (throwsTorch "requires_grad" (fun () -> (x * 2.0).RequiresGrad <- false))

        testCase "failing calls create no tensor handles" <| fun () ->
            use scope = new TensorScope()
            let t = Tensor.Ones [| 2; 3 |]
            let live = Torch.liveTensors ()
            for _ in 1..20 do
                Expect.raises<TorchException> (fun () -> t.Slice(0, 0, 1, 0) |> ignore) |> ignore
                Expect.raises<TorchException> (fun () -> t.Split 0 |> ignore) |> ignore
                Expect.raises<TorchException> (fun () -> Nn.Dropout(t, 2.0, true) |> ignore) |> ignore
                Expect.raises<TorchException> (fun () -> Torch.debugThrow 3) |> ignore
            Expect.equal (Torch.liveTensors ()) live "Torch.liveTensors ()"
            Expect.equal scope.Count 1 "scope.Count"
    ]
