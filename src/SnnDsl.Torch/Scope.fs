namespace SnnDsl.Torch

open System
open System.Collections.Generic

/// Something a TensorScope can own and release (tensors).
[<AbstractClass; AllowNullLiteral>]
type ScopedResource() =
    /// The scope that releases this resource, or null when the caller owns it.
    [<DefaultValue>]
    val mutable internal Owner: TensorScope
    /// Releases the native memory now.
    abstract Release: unit -> unit

/// A lexical memory scope: `use scope = new TensorScope()` frees every tensor created inside it (on this
/// thread) when it ends, except those passed to Keep. Scopes nest; a kept tensor moves to the enclosing
/// scope, or to the caller when there is none.
and [<Sealed; AllowNullLiteral>] TensorScope() as this =
    let parent = TensorScope.CurrentOrNull
    let owned = List<ScopedResource>()
    let mutable disposed = false
    do TensorScope.CurrentOrNull <- this

    [<ThreadStatic; DefaultValue>]
    static val mutable private current: TensorScope

    /// The innermost open scope on this thread, or null.
    static member CurrentOrNull
        with get () = TensorScope.current
        and private set (v: TensorScope) = TensorScope.current <- v

    /// Registers a new resource with the innermost scope of this thread, if any.
    static member internal Register(r: ScopedResource) =
        let s = TensorScope.current
        if not (isNull s) then
            r.Owner <- s
            s.Add r

    member internal _.Add(r: ScopedResource) = owned.Add r

    /// Takes r out of whatever scope owns it: the caller now owns it and must Dispose it (model parameters,
    /// optimiser state and other long-lived tensors created while a scope is open).
    static member Forget<'R when 'R :> ScopedResource>(r: 'R) : 'R =
        r.Owner <- null
        r

    /// `use _ = TensorScope.Suspend ()`: until disposed, new tensors on this thread belong to no scope.
    static member Suspend() : IDisposable =
        let saved = TensorScope.current
        TensorScope.current <- null
        { new IDisposable with
            member _.Dispose() = TensorScope.current <- saved }

    /// How many resources this scope currently owns.
    member _.Count = owned.Count

    /// Exempts t from this scope: it moves to the enclosing scope (or to the caller, who must Dispose it).
    member this.Keep<'R when 'R :> ScopedResource>(r: 'R) : 'R =
        if Object.ReferenceEquals(r.Owner, this) then
            r.Owner <- parent
            if not (isNull parent) then parent.Add r
        r

    interface IDisposable with
        member this.Dispose() =
            if not disposed then
                disposed <- true
                for r in owned do
                    if Object.ReferenceEquals(r.Owner, this) then r.Release()
                owned.Clear()
                if Object.ReferenceEquals(TensorScope.current, this) then TensorScope.current <- parent
