module SnnDsl.Data.Tests.SyntheticTests

open Xunit
open SnnDsl.Data

let private samples (d: Dataset) = Array.init d.Count d.Sample

[<Fact>]
let ``the synthetic set is a pure function of its seed`` () =
    let a = Synthetic.train 200 7L
    let b = Synthetic.train 200 7L
    Assert.Equal<float32[][]>(samples a, samples b)
    Assert.Equal<int[]>(a.Labels, b.Labels)
    Assert.NotEqual<float32[][]>(samples a, samples (Synthetic.train 200 8L))
    // Sample i does not depend on how many samples were asked for.
    Assert.Equal<float32[]>(a.Sample 42, (Synthetic.train 50 7L).Sample 42)

[<Fact>]
let ``train and test splits come from different seeds and are class-balanced`` () =
    let tr = Synthetic.train 100 1L
    let te = Synthetic.test 100 1L
    Assert.NotEqual<float32[]>(tr.Sample 0, te.Sample 0)
    Assert.Equal<int[]>(Array.create 10 10, tr.ClassCounts)
    Assert.Equal<int[]>([| 1; 28; 28 |], tr.SampleShape)
    Assert.All(samples tr |> Array.concat, fun v -> Assert.InRange(v, 0.0f, 1.0f))

[<Fact>]
let ``the synthetic classes are learnable but not trivial for a nearest-centroid rule`` () =
    let tr = Synthetic.train 600 Synthetic.DefaultSeed
    let te = Synthetic.test 200 Synthetic.DefaultSeed
    let centroids = Array.init 10 (fun _ -> Array.zeroCreate<float32> 784)
    for i in 0 .. tr.Count - 1 do
        let s = tr.Sample i
        let c = centroids[tr.Label i]
        for k in 0..783 do c[k] <- c[k] + s[k] / 60.0f
    let nearest (s: float32[]) =
        [ 0..9 ] |> List.minBy (fun c -> Array.fold2 (fun acc (x: float32) y -> acc + (x - y) * (x - y)) 0.0f s centroids[c])
    let correct = [ 0 .. te.Count - 1 ] |> List.filter (fun i -> nearest (te.Sample i) = te.Label i) |> List.length
    let accuracy = float correct / float te.Count
    Assert.InRange(accuracy, 0.35, 0.95) // chance is 0.1
