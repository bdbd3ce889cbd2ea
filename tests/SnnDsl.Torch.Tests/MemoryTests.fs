/// A long training-style loop inside per-step scopes keeps the live-tensor count and the process memory flat.
module SnnDsl.Torch.Tests.MemoryTests

open System
open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Torch.Tests.Helpers

/// Resident set size of this process in bytes (VmRSS of /proc/self/status), after a full collection.
let residentBytes () =
    collectGarbage ()
    let line = File.ReadAllLines "/proc/self/status" |> Array.find (fun l -> l.StartsWith "VmRSS:")
    // "VmRSS:    123456 kB"
    let kb = line.Substring(6).Trim().Split(' ')[0] |> int64
    kb * 1024L

/// One step: x [4,2,8,8] -> conv2d 2->4 3x3 pad 1 -> spike (the rectangle surrogate's derivative) -> sum ->
/// backward, then zero the grad.
let step (weight: Tensor) =
    use scope = new TensorScope()
    let x = Tensor.Randn [| 4; 2; 8; 8 |]
    let h = Nn.Conv2d(x, weight, padding = 1)
    let derivative = (use _ = Autograd.noGrad () in h.Abs().Lt(0.5).To(h.DType))
    let y = Nn.Spike(h, derivative)
    y.Sum().Backward()
    weight.ZeroGrad()

[<Tests>]
let tests =
    testSequenced <| testList "Memory" [
        testCase "5,000 forward and backward steps leak no tensors and under 50 MB of memory" <| fun () ->
            use weight = Tensor.Randn [| 4; 2; 3; 3 |]
            weight.RequiresGrad <- true
            for _ in 1..200 do
                step weight
            let liveBefore = ScopeTests.settledLiveTensors ()
            let rssBefore = residentBytes ()
            for _ in 1..5000 do
                step weight
            let liveAfter = ScopeTests.settledLiveTensors ()
            let rssAfter = residentBytes ()
            Expect.equal liveAfter liveBefore "liveAfter"
            let growthMb = float (rssAfter - rssBefore) / 1048576.0
            Expect.isTrue (growthMb < 50.0) ($"RSS grew by {growthMb:F1} MB over 5,000 steps")
            // the loop did train something: the gradient exists and was zeroed by the last step
            expectExact (Array.zeroCreate 72) (values weight.Grad.Value)

        testCase "RSS is read from /proc in bytes" <| fun () ->
            let rss = residentBytes ()
            // a .NET process with libtorch loaded holds at least 20 MB and (here) less than 64 GB
            Expect.inRange rss (20L * 1048576L) (64L * 1024L * 1048576L) "rss"
    ]
