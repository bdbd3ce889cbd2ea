/// Failures surface as clear .NET exceptions: libtorch errors as TorchException naming shapes, dtypes or the
/// device; every kind of C++ exception is fenced; misuse of the binding gives ArgumentException and friends.
module SnnDsl.Torch.Tests.ErrorTests

open System
open Xunit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

let throwsTorch (operation: string) (f: unit -> 'a) =
    let e = Assert.Throws<TorchException>(fun () -> f () |> ignore)
    Assert.Equal(operation, e.Operation)
    Assert.StartsWith(operation + ": ", e.Message)
    Assert.Contains(e.NativeMessage, e.Message)
    e

[<Fact>]
let ``matmul of 2x3 by 2x3 names both shapes`` () =
    use scope = new TensorScope()
    let a = Tensor.Ones [| 2; 3 |]
    let e = throwsTorch "matmul" (fun () -> Tensor.Matmul(a, a))
    assertMessageContains "2x3 and 2x3" e
    // no C++ backtrace in the message
    Assert.DoesNotContain("frame #", e.Message)
    Assert.DoesNotContain("Exception raised from", e.Message)

[<Fact>]
let ``a dtype mismatch names both dtypes`` () =
    use scope = new TensorScope()
    let e = throwsTorch "matmul" (fun () -> Tensor.Matmul(Tensor.Ones([| 2; 3 |], DType.Float32), Tensor.Ones([| 3; 2 |], DType.Float64)))
    assertMessageContains "float" e
    assertMessageContains "double" e
    let e = throwsTorch "cross_entropy" (fun () -> Nn.CrossEntropy(Tensor.Zeros [| 2; 3 |], Tensor.Zeros [| 2 |]))
    assertMessageContains "int64" e
    assertMessageContains "float" e

[<Fact>]
let ``a CUDA request without CUDA names CUDA`` () =
    use scope = new TensorScope()
    // Without CUDA any CUDA device is refused; with CUDA, a device index past the visible ones is.
    let index = if Torch.cudaAvailable () then Torch.cudaDeviceCount () else 0
    let device = Device.Cuda index
    let e = throwsTorch "zeros" (fun () -> Tensor.Zeros([| 2 |], device = device))
    assertMessageContains $"cuda:{index}" e
    assertMessageContains "CUDA" e
    assertMessageContains "CUDA" (throwsTorch "to" (fun () -> Tensor.Ones([| 2 |]).To(device)))
    assertMessageContains "CUDA" (throwsTorch "from_data" (fun () -> Tensor.FromArray([| 1.0f |], device = device)))
    if not (Torch.cudaAvailable ()) then Assert.Equal(0, Torch.cudaDeviceCount ())

[<Fact>]
let ``using a disposed tensor raises ObjectDisposedException saying so`` () =
    let t = Tensor.Ones [| 2 |]
    t.Dispose()
    Assert.True t.IsDisposed
    for use' in [ (fun () -> t.Shape |> ignore); (fun () -> (t + t) |> ignore); (fun () -> t.ToArray<float32>() |> ignore) ] do
        let e = Assert.Throws<ObjectDisposedException>(fun () -> use' ())
        assertMessageContains "disposed" e
    Assert.Equal("Tensor(disposed)", t.ToString())
    t.Dispose() // disposing twice is harmless

[<Fact>]
let ``a tensor disposed by its scope raises ObjectDisposedException naming the scope`` () =
    let t =
        use scope = new TensorScope()
        Tensor.Ones [| 2 |]
    let e = Assert.Throws<ObjectDisposedException>(fun () -> t.Sum() |> ignore)
    assertMessageContains "TensorScope" e
    use other = Tensor.Ones [| 2 |]
    Assert.Throws<ObjectDisposedException>(fun () -> (other + t) |> ignore) |> ignore
    Assert.Throws<ObjectDisposedException>(fun () -> Tensor.Cat [ other; t ] |> ignore) |> ignore
    Assert.Throws<ObjectDisposedException>(fun () -> Nn.Linear(other, other, t) |> ignore) |> ignore

[<Fact>]
let ``every kind of C++ exception becomes a TorchException and the process carries on`` () =
    let expected = [ 0, "std::runtime_error"; 1, "c10::Error"; 2, "not derived from std::exception"; 3, "not derived from std::exception" ]
    for kind, fragment in expected do
        let e = throwsTorch "debug_throw" (fun () -> Torch.debugThrow kind)
        assertMessageContains fragment e
    use t = Tensor.Ones [| 3 |]
    Assert.Equal(3.0, t.Sum().ToScalar())

[<Fact>]
let ``bad dims and shapes raise TorchException with libtorch's explanation`` () =
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

[<Fact>]
let ``conv2d of an input that is not 4-d names the expected rank and the shape`` () =
    use scope = new TensorScope()
    let w = Tensor.Ones [| 1; 1; 3; 3 |]
    let e = throwsTorch "conv2d" (fun () -> Nn.Conv2d(Tensor.Ones [| 1; 5; 5 |], w))
    assertMessageContains "4-d" e
    assertMessageContains "[1, 5, 5]" e

[<Fact>]
let ``ToScalar of a tensor with several elements says it needs exactly one`` () =
    use scope = new TensorScope()
    let e = throwsTorch "item" (fun () -> Tensor.Ones([| 2; 2 |]).ToScalar())
    assertMessageContains "exactly one element" e
    assertMessageContains "4" e

[<Fact>]
let ``CopyTo into a buffer of the wrong size or element type is refused`` () =
    use scope = new TensorScope()
    let t = Tensor.Ones [| 2; 3 |]
    let e = Assert.Throws<ArgumentException>(fun () -> t.CopyTo(Span<float32>(Array.zeroCreate 5)))
    assertMessageContains "6" e
    let e = Assert.Throws<InvalidOperationException>(fun () -> t.CopyTo(Span<float>(Array.zeroCreate 6)))
    assertMessageContains "float32" e
    Assert.Throws<InvalidOperationException>(fun () -> t.ToArray<int>() |> ignore) |> ignore
    // bfloat16 has no .NET element type: converting first is the way out
    Assert.Throws<InvalidOperationException>(fun () -> t.To(DType.BFloat16).ToArray<Half>() |> ignore) |> ignore

[<Fact>]
let ``FromArray with a shape that does not match the data is refused`` () =
    let e = Assert.Throws<ArgumentException>(fun () -> Tensor.FromArray([| 1.0; 2.0; 3.0 |], [| 2; 2 |]) |> ignore)
    assertMessageContains "[2,2]" e
    assertMessageContains "3" e
    Assert.Throws<ArgumentNullException>(fun () -> Tensor.FromArray(null: float[]) |> ignore) |> ignore
    Assert.Throws<ArgumentNullException>(fun () -> Tensor.Zeros(null) |> ignore) |> ignore

[<Fact>]
let ``joining nothing is refused`` () =
    Assert.Throws<ArgumentException>(fun () -> Tensor.Cat [] |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> Tensor.Stack [] |> ignore) |> ignore

[<Fact>]
let ``backward of something that needs no gradient, or of a non-scalar without a gradient, is refused`` () =
    use scope = new TensorScope()
    assertMessageContains "does not require grad" (throwsTorch "backward" (fun () -> Tensor.Ones([| 2 |]).Sum().Backward()))
    let x = Tensor.Ones [| 2 |]
    x.RequiresGrad <- true
    assertMessageContains "scalar" (throwsTorch "backward" (fun () -> (x * 2.0).Backward()))

/// The shim keeps its last error per thread: two threads failing at the same time each read their own.
/// (Exceptions thrown by the hook, not by libtorch ops: a libtorch c10::Error records a C++ backtrace, which
/// costs tens of milliseconds.)
[<Fact>]
let ``errors are reported on the thread that caused them`` () =
    let worker (kind: int) (fragment: string) () =
        for _ in 1..2000 do
            let e = Assert.Throws<TorchException>(fun () -> Torch.debugThrow kind)
            assertMessageContains fragment e
    let a = Threading.Tasks.Task.Run(fun () -> worker 0 "std::runtime_error" ())
    let b = Threading.Tasks.Task.Run(fun () -> worker 2 "not derived from std::exception" ())
    Threading.Tasks.Task.WaitAll(a, b)

[<Fact>]
let ``requires_grad is refused on integer tensors and on non-leaves`` () =
    use scope = new TensorScope()
    let i = Tensor.FromArray [| 1L; 2L |]
    assertMessageContains "floating point" (throwsTorch "requires_grad" (fun () -> i.RequiresGrad <- true))
    let x = Tensor.Ones [| 2 |]
    x.RequiresGrad <- true
    assertMessageContains "leaf" (throwsTorch "requires_grad" (fun () -> (x * 2.0).RequiresGrad <- false))

[<Fact>]
let ``failing calls create no tensor handles`` () =
    use scope = new TensorScope()
    let t = Tensor.Ones [| 2; 3 |]
    let live = Torch.liveTensors ()
    for _ in 1..20 do
        Assert.Throws<TorchException>(fun () -> t.Slice(0, 0, 1, 0) |> ignore) |> ignore
        Assert.Throws<TorchException>(fun () -> t.Split 0 |> ignore) |> ignore
        Assert.Throws<TorchException>(fun () -> Nn.Dropout(t, 2.0, true) |> ignore) |> ignore
        Assert.Throws<TorchException>(fun () -> Torch.debugThrow 3) |> ignore
    Assert.Equal(live, Torch.liveTensors ())
    Assert.Equal(1, scope.Count)
