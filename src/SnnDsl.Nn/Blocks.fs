namespace SnnDsl.Nn

open SnnDsl.Torch

/// Makes a spiking layer for a given number of channels (features); models take one so that any DSL
/// neuron can drive them.
type SpikingFactory = int -> Module

/// Adds the outputs of a main path and a shortcut.
type Residual(main: Module, shortcut: Module option) as this =
    inherit Module()
    do this.RegisterModule("main", main) |> ignore
    do shortcut |> Option.iter (fun s -> this.RegisterModule("shortcut", s) |> ignore)
    override this.Forward(x) =
        this.CheckNotDisposed()
        let y = main.Forward x
        match shortcut with
        | Some s -> y + s.Forward x
        | None -> y + x
    override _.Describe() = "Residual"

/// Building blocks of the model zoo.
module Blocks =
    /// conv3x3 + BN + spike.
    let convBnSpike (spiking: SpikingFactory) (cin: int) (cout: int) (stride: int) : Module =
        new Sequential([ new Conv2d(cin, cout, 3, stride = stride, padding = 1); new BatchNorm(cout); spiking cout ])

    /// A 1x1 conv + BN projection shortcut when the shape changes.
    let private projection (cin: int) (cout: int) (stride: int) =
        if stride <> 1 || cin <> cout then
            Some(new Sequential([ new Conv2d(cin, cout, 1, stride = stride, padding = 0); new BatchNorm(cout) ]) :> Module)
        else None

    /// The tdBN/TET BasicBlock: spike(BN(conv(spike(BN(conv x)))) + shortcut x).
    let basicBlock (spiking: SpikingFactory) (cin: int) (cout: int) (stride: int) : Module =
        let main =
            new Sequential(
                [ new Conv2d(cin, cout, 3, stride = stride, padding = 1); new BatchNorm(cout); spiking cout
                  new Conv2d(cout, cout, 3, padding = 1); new BatchNorm(cout) ]
            )
        new Sequential([ new Residual(main, projection cin cout stride); spiking cout ])

    /// The pre-activation block (AR-LIF's ResNet-18): conv(spike(BN(conv(spike(BN x))))) + shortcut x.
    let preActBlock (spiking: SpikingFactory) (cin: int) (cout: int) (stride: int) : Module =
        let main =
            new Sequential(
                [ new BatchNorm(cin); spiking cin; new Conv2d(cin, cout, 3, stride = stride, padding = 1)
                  new BatchNorm(cout); spiking cout; new Conv2d(cout, cout, 3, padding = 1) ]
            )
        let shortcut =
            if stride <> 1 || cin <> cout then Some(new Conv2d(cin, cout, 1, stride = stride, padding = 0) :> Module)
            else None
        new Residual(main, shortcut)
