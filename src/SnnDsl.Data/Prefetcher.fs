namespace SnnDsl.Data

open System
open System.Threading
open System.Threading.Channels
open System.Threading.Tasks

/// Produces items 0 .. count-1 in order on a dedicated background thread, at most capacity items ahead
/// of the consumer (a bounded channel). The consumer calls Next; an exception of the producer surfaces
/// there, after the items produced before it, as a DataLoaderException carrying its message. Cancelling
/// the token or disposing stops the producer and waits for its thread to finish.
[<Sealed>]
type internal Prefetcher<'T>(count: int, produce: int -> 'T, capacity: int, token: CancellationToken) =
    let cts = CancellationTokenSource.CreateLinkedTokenSource token
    let channel =
        Channel.CreateBounded<'T>(
            BoundedChannelOptions(max 1 capacity, SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait))
    let mutable error: exn = null
    let mutable disposed = false

    let run () =
        let ct = cts.Token
        try
            try
                for i in 0 .. count - 1 do
                    ct.ThrowIfCancellationRequested()
                    let item = produce i
                    while not (channel.Writer.TryWrite item) do
                        if not (channel.Writer.WaitToWriteAsync(ct).AsTask().GetAwaiter().GetResult()) then
                            raise (OperationCanceledException ct)
            with
            | :? OperationCanceledException when ct.IsCancellationRequested -> ()
            | e -> Volatile.Write(&error, e)
        finally
            channel.Writer.TryComplete() |> ignore

    let worker = Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)

    /// The next item, waiting for the producer if needed; None after the last one.
    member _.Next() : 'T option =
        let reader = channel.Reader
        let mutable result = None
        let mutable fin = false
        while not fin do
            match reader.TryRead() with
            | true, item ->
                result <- Some item
                fin <- true
            | _ ->
                if not (reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult()) then
                    fin <- true
                    match Volatile.Read(&error) with
                    | null -> token.ThrowIfCancellationRequested()
                    | e -> raise (DataLoaderException($"the data loader's background worker failed: {e.Message}", e))
        result

    interface IDisposable with
        member _.Dispose() =
            if not disposed then
                disposed <- true
                cts.Cancel()
                try worker.Wait() with _ -> ()
                cts.Dispose()
