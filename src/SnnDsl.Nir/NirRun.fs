namespace SnnDsl.Nir

open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Backends

/// Running an imported NIR graph on one input sequence (what `snn nir run` does).
[<RequireQualifiedAccess>]
module NirRun =
    /// The outputs [T, outputs] of `net` for inputs [T, inputs] (one row per time step, one column per
    /// element of the per-sample input shape, row-major); the state starts at 0 at step 1.
    let run (net: Module) (imported: NirImported) (inputs: float[,]) : float[,] =
        let steps, columns = Array2D.length1 inputs, Array2D.length2 inputs
        let expected = NirArray.count imported.InputShape
        if columns <> expected then
            Fail.data $"the input has {columns} columns; the NIR graph's input has shape [{Text.join imported.InputShape}] = {expected} elements"
        use _ = Autograd.noGrad ()
        use scope = new TensorScope()
        net.Eval()
        let flat = Array.init (steps * columns) (fun i -> float32 inputs[i / columns, i % columns])
        let x = Tensor.FromArray(flat, Array.append [| steps; 1 |] imported.InputShape)
        let y = net.Forward x
        let out = NirArray.count imported.OutputShape
        let values = y.Reshape(steps, out).To(DType.Float64, Device.Cpu).Contiguous().ToArray<float>()
        Array2D.init steps out (fun t j -> values[t * out + j])

    /// Reads a NIR file and runs it (`dt`: the Euler step) on the fused or eager backend.
    let runFile (backend: Backend) (dt: float) (path: string) (inputs: float[,]) : float[,] =
        let net, imported = NirImport.load backend dt path
        use _ = net
        run net imported inputs
