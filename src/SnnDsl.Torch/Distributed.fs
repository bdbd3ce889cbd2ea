namespace SnnDsl.Torch

open System
open System.Runtime.InteropServices
open SnnDsl.Core
open SnnDsl.Torch.DistributedNative

/// The c10d backend that carries the collectives: Gloo for CPU tensors, NCCL for CUDA tensors (NCCL only in a
/// shim built against a CUDA libtorch with NCCL).
[<RequireQualifiedAccess>]
type DistributedBackend =
    /// Gloo, for CPU tensors.
    | Gloo
    /// NCCL, for CUDA tensors.
    | Nccl
    member internal b.Code = match b with Gloo -> 0 | Nccl -> 1
    override b.ToString() = match b with Gloo -> "gloo" | Nccl -> "nccl"

/// How the ranks of a world meet.
[<RequireQualifiedAccess>]
type Rendezvous =
    /// A TCP store at host:port: rank 0 hosts it, the others connect (torchrun's MASTER_ADDR:MASTER_PORT).
    | Tcp of host: string * port: int
    /// A store in a file every rank can reach (a shared file system); the file must not exist beforehand.
    | File of path: string
    override r.ToString() =
        match r with
        | Tcp(h, p) -> $"tcp {h}:{p}"
        | File p -> $"file {p}"

/// How an all-reduce combines the ranks' values.
[<RequireQualifiedAccess>]
type ReduceOp =
    /// The elementwise sum over the ranks; the default.
    | Sum
    /// The sum divided by the world size (floating-point tensors only).
    | Average
    /// The elementwise maximum over the ranks.
    | Max
    /// The elementwise minimum over the ranks.
    | Min
    member internal o.Code = match o with Sum -> 0 | Average -> 1 | Max -> 2 | Min -> 3

/// A failed distributed operation: a peer gone, a timeout, a refused connection, a different world size, a rank
/// outside the world. The message names this rank, the operation and what happened.
type DistributedException(rank: int, worldSize: int, operation: string, message: string) =
    inherit SnnException(ErrorKind.Native, message)
    /// The rank of the process that raised it.
    member _.Rank = rank
    /// The world size this process was started with.
    member _.WorldSize = worldSize
    /// The operation that failed ("join", "all_reduce", "broadcast", "barrier", "sync_batch_norm", ...).
    member _.Operation = operation

/// Settings of ProcessGroup.Join.
type ProcessGroupOptions =
    { /// The c10d backend that carries the collectives.
      Backend: DistributedBackend
      /// How the ranks meet.
      Rendezvous: Rendezvous
      /// This process's rank, 0 .. WorldSize - 1.
      Rank: int
      /// How many processes (ranks) the world has; all must give the same value.
      WorldSize: int
      /// Bounds the rendezvous and every collective (a dead or hung peer fails the call after it).
      Timeout: TimeSpan
      /// The address Gloo listens on (None: loopback for a loopback store host, else this machine's hostname;
      /// the environment variable GLOO_SOCKET_IFNAME, when set, names an interface instead).
      BindHost: string option }

    /// Gloo, a timeout of 5 minutes, the default listening address.
    static member Create(rendezvous: Rendezvous, rank: int, worldSize: int) =
        { Backend = DistributedBackend.Gloo; Rendezvous = rendezvous; Rank = rank; WorldSize = worldSize
          Timeout = TimeSpan.FromMinutes 5.0; BindHost = None }

module internal DistributedErrors =
    let check (rank: int) (worldSize: int) (operation: string) (status: int) =
        if status <> 0 then
            let message =
                match Marshal.PtrToStringUTF8(Native.snn_last_error ()) with
                | null | "" -> "unknown error (the shim reported failure without a message)"
                | s -> s
            // The shim's collective errors already start with "rank R of W"; argument errors may not.
            let message = if message.StartsWith "rank " then message else $"rank {rank} of {worldSize}: {operation}: {message}"
            raise (DistributedException(rank, worldSize, operation, message))

/// A collective in flight (from the *Async methods). Its results are in the tensors once Wait returns; a
/// failure is raised by Wait. Dispose releases the handle (a collective not waited for still runs on the other
/// ranks, and a list's results are then not copied back).
[<Sealed>]
type PendingCollective internal (handle: WorkHandle, rank: int, worldSize: int, operation: string) =
    /// Waits for completion (at most the group's timeout) and writes list results back.
    member _.Wait() = DistributedErrors.check rank worldSize operation (snn_work_wait handle)
    /// True once every rank's part arrived (Wait is then immediate).
    member _.IsCompleted =
        let mutable r = 0
        DistributedErrors.check rank worldSize operation (snn_work_is_completed (handle, &r))
        r <> 0
    interface IDisposable with
        member _.Dispose() = handle.Dispose()

/// This process's membership in a world of ranks (libtorch's c10d ProcessGroupGloo / ProcessGroupNCCL).
/// Every rank must issue the same collectives in the same order with tensors of the same shapes and dtypes.
/// Dispose shuts the backend down. One thread at a time.
[<Sealed>]
type ProcessGroup private (handle: ProcessGroupHandle, options: ProcessGroupOptions) =
    let rank = options.Rank
    let size = options.WorldSize
    let check op status = DistributedErrors.check rank size op status

    static let handles (ts: Tensor seq) =
        if isNull (box ts) then nullArg "tensors"
        let arr = Seq.toArray ts
        if arr.Length = 0 then invalidArg "tensors" "expected at least one tensor, got none"
        arr, arr |> Array.map (fun t -> t.Raw)

    /// True when this shim has the backend.
    static member IsAvailable(backend: DistributedBackend) =
        Runtime.ensure ()
        let mutable r = 0
        Errors.check "dist_backend_available" (snn_dist_backend_available (backend.Code, &r))
        r <> 0

    /// Joins the world: meets the other ranks through the rendezvous, checks that every rank has the same world
    /// size and a distinct rank, and connects the backend. Fails (DistributedException) within the timeout.
    static member Join(options: ProcessGroupOptions) : ProcessGroup =
        Runtime.ensure ()
        let ms = int64 options.Timeout.TotalMilliseconds
        let bind = Option.toObj options.BindHost
        let mutable p = 0n
        let status =
            match options.Rendezvous with
            | Rendezvous.Tcp(host, port) ->
                snn_pg_create_tcp (options.Backend.Code, host, port, options.Rank, options.WorldSize, ms, bind, &p)
            | Rendezvous.File path ->
                snn_pg_create_file (options.Backend.Code, path, options.Rank, options.WorldSize, ms, bind, &p)
        DistributedErrors.check options.Rank options.WorldSize "join" status
        new ProcessGroup(new ProcessGroupHandle(p), options)

    /// This process's rank.
    member _.Rank = rank
    /// Number of ranks.
    member _.WorldSize = size
    /// The c10d backend the group communicates through (Gloo on the CPU, NCCL on CUDA).
    member _.Backend = options.Backend
    /// The options the group was created with (rank, world size, rendezvous, timeout).
    member _.Options = options

    member internal _.Handle: SafeHandle =
        if handle.IsClosed then raise (ObjectDisposedException("ProcessGroup", $"rank {rank}'s process group was disposed"))
        handle :> SafeHandle

    /// Combines the tensors' values across the ranks in place (a list travels as one buffer per dtype).
    member pg.AllReduce(tensors: Tensor seq, ?op: ReduceOp) =
        let keep, hs = handles tensors
        check "all_reduce" (snn_pg_all_reduce_wait (pg.Handle, hs, hs.Length, (defaultArg op ReduceOp.Sum).Code, 0n))
        GC.KeepAlive keep

    /// Combines one tensor's values across the ranks in place.
    member pg.AllReduce(tensor: Tensor, ?op: ReduceOp) = pg.AllReduce([ tensor ], ?op = op)

    /// Starts an all-reduce; the values are in place after Wait.
    member pg.AllReduceAsync(tensors: Tensor seq, ?op: ReduceOp) : PendingCollective =
        let keep, hs = handles tensors
        let mutable w = 0n
        check "all_reduce" (snn_pg_all_reduce (pg.Handle, hs, hs.Length, (defaultArg op ReduceOp.Sum).Code, &w))
        GC.KeepAlive keep
        new PendingCollective(new WorkHandle(w), rank, size, "all_reduce")

    /// Overwrites the tensors with root's values (root: rank 0 unless told).
    member pg.Broadcast(tensors: Tensor seq, ?root: int) =
        let keep, hs = handles tensors
        check "broadcast" (snn_pg_broadcast_wait (pg.Handle, hs, hs.Length, defaultArg root 0, 0n))
        GC.KeepAlive keep

    /// Overwrites one tensor with root's value.
    member pg.Broadcast(tensor: Tensor, ?root: int) = pg.Broadcast([ tensor ], ?root = root)

    /// Starts a broadcast; the values are in place after Wait.
    member pg.BroadcastAsync(tensors: Tensor seq, ?root: int) : PendingCollective =
        let keep, hs = handles tensors
        let mutable w = 0n
        check "broadcast" (snn_pg_broadcast (pg.Handle, hs, hs.Length, defaultArg root 0, &w))
        GC.KeepAlive keep
        new PendingCollective(new WorkHandle(w), rank, size, "broadcast")

    /// Returns once every rank has reached the barrier.
    member pg.Barrier() = check "barrier" (snn_pg_barrier_wait (pg.Handle, 0n))

    /// Starts a barrier.
    member pg.BarrierAsync() : PendingCollective =
        let mutable w = 0n
        check "barrier" (snn_pg_barrier (pg.Handle, &w))
        new PendingCollective(new WorkHandle(w), rank, size, "barrier")

    /// Training-mode batch normalisation of x with per-channel statistics (channel dim channelDim, every other
    /// dim reduced) over the batches of all ranks; updates the running statistics in place with the global
    /// batch. Differentiable: its backward all-reduces too, so every rank must run backward through it.
    member pg.SyncBatchNorm
        (x: Tensor, channelDim: int, weight: Tensor option, bias: Tensor option, runningMean: Tensor option,
         runningVar: Tensor option, momentum: float, eps: float) : Tensor =
        let raw (t: Tensor option) = match t with Some t -> t.Raw | None -> 0n
        let r =
            Tensor.Call(
                "sync_batch_norm",
                OutFn(fun p ->
                    let status =
                        snn_sync_batch_norm (
                            pg.Handle, x.H, int64 channelDim, raw weight, raw bias, raw runningMean, raw runningVar,
                            momentum, eps, &p
                        )
                    if status <> 0 then check "sync_batch_norm" status
                    0)
            )
        GC.KeepAlive((weight, bias, runningMean, runningVar))
        r

    /// Shuts the backend down (queued collectives finish or time out first).
    member _.Dispose() = handle.Dispose()

    interface IDisposable with
        member _.Dispose() = handle.Dispose()

/// Gradient access that data-parallel training needs beyond Tensor.Grad.
[<AutoOpen>]
module DistributedTensorExtensions =
    type Tensor with
        /// Sets (same shape, dtype and device) or drops (None) this tensor's gradient.
        member t.SetGrad(grad: Tensor option) =
            let g = match grad with Some g -> g.Raw | None -> 0n
            Errors.check "set_grad" (snn_tensor_set_grad (t.H, g))
            GC.KeepAlive grad
