namespace SnnDsl.Nn

open System
open System.Collections.Generic
open SnnDsl.Torch

/// A network component. Activations flow time-first, [T, N, ...]: stateless layers run on all T steps at
/// once by merging T into the batch; spiking layers loop over time. Parameters (trainable leaves) and
/// buffers (e.g. BatchNorm running statistics) are registered by name and owned by the module, outside any
/// TensorScope; Dispose releases them.
[<AbstractClass>]
type Module() =
    let parameters = List<string * Tensor>()
    let buffers = List<string * Tensor>()
    let children = List<string * Module>()
    let mutable training = true
    let mutable disposed = false

    [<ThreadStatic; DefaultValue>]
    static val mutable private constructionDevice: Device option

    /// The device on which layers constructed on this thread place their tensors: the one `CreateOn` set,
    /// else the binding's default device (Torch.setDefaultDevice; the CPU unless moved).
    static member ConstructionDevice = defaultArg Module.constructionDevice (Torch.defaultDevice ())

    /// `use _ = Module.CreateOn device`: layers built until disposal put their parameters on device.
    static member CreateOn(device: Device) : IDisposable =
        let saved = Module.constructionDevice
        Module.constructionDevice <- Some device
        { new IDisposable with
            member _.Dispose() = Module.constructionDevice <- saved }

    /// Computes the output for an input [T, N, ...]. Every layer first checks that it was not disposed and,
    /// when it has parameters, that the input has their dtype (CheckInput).
    abstract Forward: Tensor -> Tensor

    /// A short description for summaries, e.g. "Conv2d(1->32, k=3)".
    abstract Describe: unit -> string
    default this.Describe() = this.GetType().Name

    /// Called when the mode changes (layers with mode-dependent state override it).
    abstract OnModeChanged: bool -> unit
    default _.OnModeChanged _ = ()

    /// Releases tensors a layer holds besides its parameters and buffers (e.g. firing statistics);
    /// called by Dispose.
    abstract OnDispose: unit -> unit
    default _.OnDispose() = ()

    /// True once Dispose has run: the parameters and buffers are freed and Forward raises.
    member _.IsDisposed = disposed

    /// Raises ObjectDisposedException naming this module once it was disposed (instead of an error about a
    /// freed tensor).
    member this.CheckNotDisposed() =
        if disposed then
            let name = this.Describe()
            raise (ObjectDisposedException(name, $"{name} was disposed: its parameters and buffers are freed; build the model again (or load a checkpoint into a new one)"))

    /// The checks of a layer with parameters before it computes: not disposed, and an input of the dtype of
    /// `parameter` (libtorch would fail with a bare "expected scalar type ..."); a usage error names both.
    member this.CheckInput(x: Tensor, parameter: Tensor) =
        this.CheckNotDisposed()
        if isNull x then nullArg "x"
        let inputType, modelType = x.DType, parameter.DType
        if inputType <> modelType then
            SnnDsl.Core.Fail.usage
                $"{this.Describe()}: the input is {inputType} but the model's parameters are {modelType}; convert the input to {modelType} first"

    /// Registers a trainable tensor (made a leaf that requires grad).
    member _.RegisterParameter(name: string, t: Tensor) =
        TensorScope.Forget t |> ignore
        t.RequiresGrad <- true
        parameters.Add((name, t))
        t

    /// Registers a non-trainable state tensor saved with the model.
    member _.RegisterBuffer(name: string, t: Tensor) =
        TensorScope.Forget t |> ignore
        buffers.Add((name, t))
        t

    /// Registers a sub-module under a name.
    member _.RegisterModule<'M when 'M :> Module>(name: string, m: 'M) =
        children.Add((name, m :> Module))
        m

    /// Direct sub-modules with their names.
    member _.Children = children :> IReadOnlyList<_>

    /// Every parameter of this module and its descendants, named by path ("0.weight", "block1.conv.weight").
    member this.NamedParameters() : (string * Tensor) list =
        [ yield! parameters
          for name, c in children do
              for n, t in c.NamedParameters() do
                  yield (name + "." + n, t) ]

    /// Every buffer of this module and its descendants, named by path.
    member this.NamedBuffers() : (string * Tensor) list =
        [ yield! buffers
          for name, c in children do
              for n, t in c.NamedBuffers() do
                  yield (name + "." + n, t) ]

    /// Every module of the tree (this one first), named by path ("" for the root).
    member this.NamedModules() : (string * Module) list =
        [ yield ("", this)
          for name, c in children do
              for n, m in c.NamedModules() do
                  yield ((if n = "" then name else name + "." + n), m) ]

    /// The trainable tensors.
    member this.Parameters() = this.NamedParameters() |> List.map snd

    /// Total number of trainable scalars.
    member this.ParameterCount() = this.Parameters() |> List.sumBy (fun p -> p.NumElements)

    /// True in training mode (batch statistics, dropout active).
    member _.IsTraining = training

    /// Switches this module and its descendants to training (true) or evaluation (false) mode.
    member this.Train(mode: bool) =
        training <- mode
        this.OnModeChanged mode
        for _, c in children do
            c.Train mode

    /// Evaluation mode.
    member this.Eval() = this.Train false

    /// Zeroes (drops) every parameter's gradient.
    member this.ZeroGrad() =
        for p in this.Parameters() do
            p.ZeroGrad(setToNone = true)

    /// Releases the native memory of every parameter and buffer of the tree (and what OnDispose frees).
    /// Later calls do nothing.
    member this.Dispose() =
        if not disposed then
            disposed <- true
            this.OnDispose()
            for _, t in parameters do t.Dispose()
            for _, t in buffers do t.Dispose()
            for _, c in children do c.Dispose()

    interface IDisposable with
        member this.Dispose() = this.Dispose()

/// Helpers for the time-first layout.
module Time =
    /// True when x [T, N, ...] holds the same data at every step because dim 0 was broadcast by Expand
    /// (direct encoding of a static image). Read from the strides: no pass over the data.
    let private constantOver (shape: int[]) (x: Tensor) = shape.Length >= 2 && shape[0] > 1 && x.Strides[0] = 0L

    /// True when x [T, N, ...] holds the same data at every step because dim 0 was broadcast by Expand
    /// (read from the strides: no pass over the data).
    let isConstant (x: Tensor) = constantOver x.Shape x

    /// Applies a stateless function to every time step at once: [T, N, ...] -> merge -> f -> [T, N, ...].
    /// An input constant in time (see isConstant) is computed for one step and broadcast back, so the first
    /// conv and BN of a directly encoded network cost 1/T (SpikingJelly does this by hand). Outputs are the
    /// same; for BatchNorm the batch statistics are too, except that the running variance's unbiased
    /// correction uses N*H*W instead of T*N*H*W samples (a relative difference below 1/(N*H*W)).
    let merged (f: Tensor -> Tensor) (x: Tensor) =
        let shape = x.Shape
        if shape.Length < 2 then invalidArg "x" $"expected an input [T, N, ...], got shape {SnnDsl.Core.Shape.text shape}"
        if constantOver shape x then
            let y = f (x.Select(0, 0))
            y.Unsqueeze(0).Expand(Array.append [| shape[0] |] y.Shape)
        else
            let y = f (x.Flatten(0, 1))
            let ys = y.Shape
            y.Reshape(Array.append [| shape[0]; shape[1] |] ys[1..])
