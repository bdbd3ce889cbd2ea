namespace SnnDsl.Torch

open System
open SnnDsl.Torch.Native

/// Gradient-mode control (thread-local, as in libtorch).
[<RequireQualifiedAccess>]
module Autograd =
    /// Whether operations on this thread are recorded for backward.
    let isEnabled () =
        Runtime.ensure ()
        let mutable r = 0
        Errors.check "is_grad_enabled" (snn_is_grad_enabled &r)
        r <> 0

    let private setEnabled (enabled: bool) =
        Runtime.ensure ()
        let mutable previous = 0
        Errors.check "set_grad_enabled" (snn_set_grad_enabled ((if enabled then 1 else 0), &previous))
        previous <> 0

    /// `use _ = Autograd.noGrad ()`: nothing is recorded until the scope ends (then the previous mode returns).
    let noGrad () : IDisposable =
        let previous = setEnabled false
        { new IDisposable with
            member _.Dispose() = setEnabled previous |> ignore }

    /// `use _ = Autograd.enableGrad ()`: recording on, e.g. inside an outer noGrad scope.
    let enableGrad () : IDisposable =
        let previous = setEnabled true
        { new IDisposable with
            member _.Dispose() = setEnabled previous |> ignore }
