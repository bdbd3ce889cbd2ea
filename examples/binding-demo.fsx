// A tour of the libtorch binding: a tiny spiking conv net trained by BPTT with a surrogate gradient,
// written directly against SnnDsl.Torch (the neuron DSL and training stack build on the same calls).
// Run after building: dotnet fsi examples/binding-demo.fsx
#r "../src/SnnDsl.Torch/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Torch/bin/Release/net10.0/SnnDsl.Torch.dll"

open SnnDsl.Core
open SnnDsl.Torch

Torch.manualSeed 7UL
printfn "%s, %d thread(s), CUDA available: %b" (Torch.version ()) (Torch.threads ()) (Torch.cudaAvailable ())

// Synthetic task: 8x8 images whose bright half (left or right) is the class.
let makeBatch n =
    use scope = new TensorScope()
    let labels = Tensor.Rand([| n |]).Gt(0.5).To(DType.Int64)
    let cols = Tensor.Arange(0.0, 8.0).Reshape(1, 1, 1, 8)
    let right = cols.Ge(4.0).To(DType.Float32)
    let side = labels.To(DType.Float32).Reshape(n, 1, 1, 1)
    let mask = side * right + (1.0 - side) * (1.0 - right)
    let images = mask.Expand(n, 1, 8, 8) + Tensor.Randn([| n; 1; 8; 8 |]) * 0.3
    scope.Keep images, scope.Keep labels

let param (shape: int[]) (scale: float) =
    let p = Tensor.Randn(shape) * scale
    p.RequiresGrad <- true
    p

let convW, convB = param [| 4; 1; 3; 3 |] 0.5, param [| 4 |] 0.1
let fcW, fcB = param [| 2; 64 |] 0.2, param [| 2 |] 0.1
let parameters = [ convW; convB; fcW; fcB ]
let T, beta, threshold = 4, 0.5, 1.0

/// Direct encoding: the same image at each of T steps; a leaky integrate-and-fire layer with hard reset.
let forward (images: Tensor) =
    let current = Nn.Conv2d(images, convW, convB, padding = 1)
    let mutable v = Tensor.ZerosLike current
    let outputs =
        [ for _ in 1..T do
              let h = v * beta + current
              // The spike op takes the surrogate's dΘ/dx at x as a tensor (outside the graph): here the
              // rectangle of width 1, 1(|x| < 1/2); SnnDsl.Backends' Eager.spike derives any surrogate's.
              let x = h - threshold
              let derivative = (use _ = Autograd.noGrad () in x.Abs().Lt(0.5).To(x.DType))
              let s = Nn.Spike(x, derivative)
              v <- h * (1.0 - s)
              let pooled = Nn.AvgPool2d(s, 2).Flatten(1)
              Nn.Linear(pooled, fcW, fcB) ]
    Tensor.Stack(outputs).Mean(0)

let images, labels = makeBatch 256
for step in 1..40 do
    use scope = new TensorScope()
    let logits = forward images
    let loss = Nn.CrossEntropy(logits, labels)
    for p in parameters do p.ZeroGrad()
    loss.Backward()
    use _ = Autograd.noGrad ()
    for p in parameters do p.AddInPlace(p.Grad.Value, -0.5)
    if step % 10 = 0 then
        let acc = logits.Argmax(1).Eq(labels).To(DType.Float32).Mean().ToScalar()
        printfn "step %2d  loss %.4f  train accuracy %.3f  live tensors %d" step (loss.ToScalar()) acc (Torch.liveTensors ())
