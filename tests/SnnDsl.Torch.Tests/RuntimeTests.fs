/// Process-wide controls: seeding, thread count, version, live-tensor count.
module SnnDsl.Torch.Tests.RuntimeTests

open System
open Xunit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

[<Fact>]
let ``manualSeed makes rand, randn and dropout reproducible`` () =
    use scope = new TensorScope()
    let draw () =
        Array.concat [ values (Tensor.Rand [| 100 |]); values (Tensor.Randn([| 100 |], DType.Float64)); values (Nn.Dropout(Tensor.Ones [| 100 |], 0.5, true)) ]
    Torch.manualSeed 42UL
    let a = draw ()
    Torch.manualSeed 42UL
    let b = draw ()
    Torch.manualSeed 43UL
    let c = draw ()
    assertExact a b
    Assert.NotEqual<float>(a, c)
    // without reseeding the generator moves on
    Assert.NotEqual<float>(b, draw ())

[<Fact>]
let ``setThreads changes threads`` () =
    let original = Torch.threads ()
    try
        for n in [ 1; 2; 3; 1 ] do
            Torch.setThreads n
            Assert.Equal(n, Torch.threads ())
        let e = Assert.Throws<TorchException>(fun () -> Torch.setThreads 0)
        assertMessageContains "at least 1" e
    finally
        Torch.setThreads original
    Assert.Equal(original, Torch.threads ())

[<Fact>]
let ``version names the libtorch the shim was built against`` () =
    Assert.Matches(@"^libtorch \d+\.\d+\.\d+$", Torch.version ())

[<Fact>]
let ``the live count follows creation and disposal`` () =
    let start = Torch.liveTensors ()
    let t = Tensor.Ones [| 2 |]
    let g = [ t.Alias(); t.Detach(); t.Clone() ]
    Assert.Equal(start + 4L, Torch.liveTensors ())
    for x in g do x.Dispose()
    t.Dispose()
    Assert.Equal(start, Torch.liveTensors ())

[<System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getenv")>]
extern nativeint private nativeGetenv(string name)

[<Fact>]
let ``loading the shim asks libgomp for passive waiting unless the user chose a policy`` () =
    use scope = new TensorScope()
    Tensor.Zeros [| 1 |] |> ignore // the shim (and libgomp) are loaded by now
    let native = System.Runtime.InteropServices.Marshal.PtrToStringAnsi(nativeGetenv "OMP_WAIT_POLICY")
    match Environment.GetEnvironmentVariable "OMP_WAIT_POLICY" with
    | null | "" -> Assert.Equal("PASSIVE", native)
    | chosen -> Assert.Equal(chosen, native)
