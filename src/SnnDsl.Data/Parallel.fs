namespace SnnDsl.Data

open System
open System.Runtime.ExceptionServices
open System.Threading.Tasks

/// Data-parallel helpers that raise the first failure itself, not an AggregateException, so callers see
/// the readers' own messages.
module internal Parallel =
    let private rethrow (e: AggregateException) =
        ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw()

    /// Array.Parallel.map with the first failure rethrown.
    let map (f: 'a -> 'b) (items: 'a[]) : 'b[] =
        try Array.Parallel.map f items
        with :? AggregateException as e ->
            rethrow e
            Unchecked.defaultof<_>

    /// Runs body chunk lo hi for `chunks` contiguous chunks of [0, count), in parallel when chunks > 1.
    let forChunks (chunks: int) (count: int) (body: int -> int -> int -> unit) =
        let w = max 1 (min chunks count)
        if w = 1 then body 0 0 count
        else
            try
                Parallel.For(0, w, fun c -> body c (c * count / w) ((c + 1) * count / w)) |> ignore
            with :? AggregateException as e -> rethrow e
