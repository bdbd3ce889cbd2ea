/// Process-wide controls: seeding, thread count, version, live-tensor count.
module SnnDsl.Torch.Tests.RuntimeTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

[<System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getenv")>]
extern nativeint private nativeGetenv(string name)

[<Tests>]
let tests =
    testSequenced <| testList "Runtime" [
        testCase "manualSeed makes rand, randn and dropout reproducible" <| fun () ->
            use scope = new TensorScope()
            let draw () =
                Array.concat [ values (Tensor.Rand [| 100 |]); values (Tensor.Randn([| 100 |], DType.Float64)); values (Nn.Dropout(Tensor.Ones [| 100 |], 0.5, true)) ]
            Torch.manualSeed 42UL
            let a = draw ()
            Torch.manualSeed 42UL
            let b = draw ()
            Torch.manualSeed 43UL
            let c = draw ()
            expectExact a b
            Expect.notEqual (c : float[]) a "c"
            // without reseeding the generator moves on
            Expect.notEqual (draw () : float[]) b "draw ()"

        testCase "setThreads changes threads" <| fun () ->
            let original = Torch.threads ()
            try
                for n in [ 1; 2; 3; 1 ] do
                    Torch.setThreads n
                    Expect.equal (Torch.threads ()) n "Torch.threads ()"
                let e = Expect.raises<TorchException> (fun () -> Torch.setThreads 0)
                assertMessageContains "at least 1" e
            finally
                Torch.setThreads original
            Expect.equal (Torch.threads ()) original "Torch.threads ()"

        testCase "version names the libtorch the shim was built against" <| fun () ->
            Expect.isMatch (Torch.version ()) (@"^libtorch \d+\.\d+\.\d+$") "Torch.version ()"

        testCase "the live count follows creation and disposal" <| fun () ->
            let start = Torch.liveTensors ()
            let t = Tensor.Ones [| 2 |]
            let g = [ t.Alias(); t.Detach(); t.Clone() ]
            Expect.equal (Torch.liveTensors ()) (start + 4L) "Torch.liveTensors ()"
            for x in g do x.Dispose()
            t.Dispose()
            Expect.equal (Torch.liveTensors ()) start "Torch.liveTensors ()"

        testCase "loading the shim asks libgomp for passive waiting unless the user chose a policy" <| fun () ->
            use scope = new TensorScope()
            Tensor.Zeros [| 1 |] |> ignore // the shim (and libgomp) are loaded by now
            let native = System.Runtime.InteropServices.Marshal.PtrToStringAnsi(nativeGetenv "OMP_WAIT_POLICY")
            match Environment.GetEnvironmentVariable "OMP_WAIT_POLICY" with
            | null | "" -> Expect.equal native "PASSIVE" "native"
            | chosen -> Expect.equal native chosen "native"
    ]
