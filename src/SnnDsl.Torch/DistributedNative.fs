/// P/Invoke declarations of the shim's distributed section (snndsl.h, "distributed (libtorch's c10d)").
/// Internal: the public API is ProcessGroup (Distributed.fs).
module internal SnnDsl.Torch.DistributedNative

open System
open System.Runtime.InteropServices
open SnnDsl.Torch.Native

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_free(nativeint pg)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_work_free(nativeint work)

/// Owned process-group handle: shuts the backend down exactly once.
[<Sealed>]
type ProcessGroupHandle(raw: nativeint) as this =
    inherit SafeHandle(IntPtr.Zero, true)
    do this.SetHandle raw
    override this.IsInvalid = this.handle = IntPtr.Zero
    override this.ReleaseHandle() = snn_pg_free this.handle = 0

/// Owned handle of a collective in flight.
[<Sealed>]
type WorkHandle(raw: nativeint) as this =
    inherit SafeHandle(IntPtr.Zero, true)
    do this.SetHandle raw
    override this.IsInvalid = this.handle = IntPtr.Zero
    override this.ReleaseHandle() = snn_work_free this.handle = 0

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_dist_backend_available(int backend, int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_create_tcp(int backend, [<MarshalAs(UnmanagedType.LPUTF8Str)>] string host, int port, int rank,
                             int worldSize, int64 timeoutMs, [<MarshalAs(UnmanagedType.LPUTF8Str)>] string bindHost,
                             nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_create_file(int backend, [<MarshalAs(UnmanagedType.LPUTF8Str)>] string path, int rank, int worldSize,
                              int64 timeoutMs, [<MarshalAs(UnmanagedType.LPUTF8Str)>] string bindHost, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_all_reduce(SafeHandle pg, nativeint[] ts, int n, int op, nativeint& work)
[<DllImport(Lib, EntryPoint = "snn_pg_all_reduce", CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_all_reduce_wait(SafeHandle pg, nativeint[] ts, int n, int op, nativeint work)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_broadcast(SafeHandle pg, nativeint[] ts, int n, int root, nativeint& work)
[<DllImport(Lib, EntryPoint = "snn_pg_broadcast", CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_broadcast_wait(SafeHandle pg, nativeint[] ts, int n, int root, nativeint work)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_barrier(SafeHandle pg, nativeint& work)
[<DllImport(Lib, EntryPoint = "snn_pg_barrier", CallingConvention = CallingConvention.Cdecl)>]
extern int snn_pg_barrier_wait(SafeHandle pg, nativeint work)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_work_wait(SafeHandle work)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_work_is_completed(SafeHandle work, int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_sync_batch_norm(SafeHandle pg, H x, int64 channelDim, nativeint weight, nativeint bias,
                               nativeint runningMean, nativeint runningVar, double momentum, double eps, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_set_grad(H t, nativeint grad)
