#!/usr/bin/python3
"""PyTorch reference for `SnnDsl.Bench neurons` (workload A): one multi-step neuron layer, forward and backward,
written as a PyTorch user writes it: a loop over x.unbind(0) with a surrogate-gradient spike function.

    /usr/bin/python3 bench/reference/neuron_loop.py --neuron leaky-lif --T 8 --N 1048576 --threads 1

x [T, N] float32 requires grad; loss = spikes.sum(); loss.backward(). The neurons are SnnDsl's built-ins, written
once in neurons.py beside this file (their equations are there); leaky-lif runs here with the atan(2) surrogate, the
others with rectangle(1), as `SnnDsl.Bench neurons` configures them.

Allocator: the setting of SnnDsl's shim (mallopt M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB, M_MMAP_MAX 0),
unless --malloc mmap (no M_MMAP_MAX) or --malloc default (glibc's own). Threads: torch.set_num_threads(N) and
OpenBLAS's pool, as the shim does. OMP_WAIT_POLICY is inherited from the driver (PASSIVE, as the binding).

--serve: print "ready <loss>", then answer each "run K" with {"ms": [...], "cpu_ms": [...], "saved_bytes": B}
(B: heap bytes held after the forward pass, beyond its output: what autograd saved for backward).
"""
import argparse
import ctypes
import json
import os
import sys
import time

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4


class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]


def tune_malloc(mode):
    if mode == "default":
        return
    libc = ctypes.CDLL("libc.so.6")
    ok = libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1
    if mode == "tuned":
        ok = ok and libc.mallopt(M_MMAP_MAX, 0) == 1
    if not ok:
        sys.exit("neuron_loop.py: mallopt failed")


def heap_in_use():
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = Mallinfo2
    m = libc.mallinfo2()
    return m.uordblks + m.hblkhd


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--neuron", choices=["leaky-lif", "da-lif", "plif", "ar-lif"], default="leaky-lif")
    p.add_argument("--T", type=int, default=8)
    p.add_argument("--N", type=int, default=1 << 20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--malloc", choices=["tuned", "mmap", "default"], default="tuned")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--serve", action="store_true")
    args = p.parse_args(argv)
    tune_malloc(args.malloc)
    try:
        import torch
    except ImportError as e:
        sys.exit(f"neuron_loop.py: {sys.executable} cannot import torch ({e}); install Debian's python3-torch")
    torch.set_num_threads(args.threads)
    try:
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(args.threads)
    except (OSError, AttributeError):
        pass
    torch.manual_seed(0)

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import neurons

    T, N = args.T, args.N
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    x = torch.randn(T, N, device=dev).requires_grad_()
    params = {k: torch.tensor(v, requires_grad=True, device=dev) for k, v in neurons.initial_params(args.neuron).items()}
    leaves = [x] + list(params.values())
    surrogate = "atan" if args.neuron == "leaky-lif" else "rectangle"

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    def in_use():
        return torch.cuda.memory_allocated(dev) if cuda else heap_in_use()

    def forward():
        return neurons.run(args.neuron, x, params, surrogate)

    def step():
        for t in leaves:
            t.grad = None
        s = forward()
        loss = s.sum()
        loss.backward()
        sync()
        return loss

    def saved_bytes():
        for t in leaves:
            t.grad = None
        before = in_use()
        s = forward()
        held = in_use() - before - s.numel() * s.element_size()
        s.sum().backward()
        return held

    def run(k):
        wall, cpu = [], []
        for _ in range(k):
            c0 = time.process_time()
            t0 = time.perf_counter()
            step()
            wall.append((time.perf_counter() - t0) * 1000.0)
            cpu.append((time.process_time() - c0) * 1000.0)
        return wall, cpu

    loss = step().item()
    run(args.warmup)
    if args.serve:
        print(f"ready {loss!r}", flush=True)
        for line in sys.stdin:
            parts = line.split()
            if not parts or parts[0] == "quit":
                break
            if parts[0] == "run":
                wall, cpu = run(int(parts[1]))
                print(json.dumps({"ms": wall, "cpu_ms": cpu, "saved_bytes": saved_bytes()}), flush=True)
        return 0
    wall, cpu = run(args.iters)
    wall.sort()
    print(f"pytorch {torch.__version__} {args.neuron} T={T} N={N} threads={args.threads}: median "
          f"{wall[len(wall) // 2]:.2f} ms, saved for backward {saved_bytes() / (T * N * 4):.2f} x T*N floats, loss {loss!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
