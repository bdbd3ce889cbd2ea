#!/usr/bin/python3
"""PyTorch reference for `SnnDsl.Bench neurons` (workload A): one multi-step neuron layer, forward and backward,
written as a PyTorch user writes it: a loop over x.unbind(0) with a surrogate-gradient spike function.

    /usr/bin/python3 bench/reference/neuron_loop.py --neuron leaky-lif --T 8 --N 1048576 --threads 1

x [T, N] float32 requires grad; loss = spikes.sum(); loss.backward(). The neurons are SnnDsl's built-ins:
  leaky-lif  H = 0.5 V + X, S = spike(H - 1) (atan(2) surrogate), V = H (1 - S)
  da-lif     H = tanh(b) V + tanh(a) X (a, b learnable, init 1), S = spike(H - 1) (rectangle(1)), V = H (1 - S)
  plif       H = V + (X - V) sigmoid(w) (w learnable, init 0), S = spike(H - 1) (rectangle(1)), V = H (1 - S)
  ar-lif     the authors' XLIF: theta = 1 + tanh(a) tanh(X), H = 0.5 V + X, S = spike(H - theta)
             (rectangle(1)), g = sigmoid(c X), M' = max(M, 0) g + min(M, 0) (1 - g) + (2 S - 1) sigmoid(X),
             V = H - S (theta + sigmoid(M'))  (a init 0, c init 1, learnable)

Allocator: the setting of SnnDsl's shim (mallopt M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB, M_MMAP_MAX 0),
unless --malloc mmap (no M_MMAP_MAX) or --malloc default (glibc's own). Threads: torch.set_num_threads(N) and
OpenBLAS's pool, as the shim does. OMP_WAIT_POLICY is inherited from the driver (PASSIVE, as the binding).

--serve: print "ready <loss>", then answer each "run K" with {"ms": [...], "cpu_ms": [...], "saved_bytes": B}
(B: heap bytes held after the forward pass, beyond its output: what autograd saved for backward).
"""
import argparse
import ctypes
import json
import math
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

    class Spike(torch.autograd.Function):
        """Heaviside forward; rectangle(1) or atan(2) surrogate backward."""

        @staticmethod
        def forward(ctx, x, kind):
            ctx.save_for_backward(x)
            ctx.kind = kind
            return torch.ge(x, 0).to(x.dtype)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            if ctx.kind == "atan":
                alpha = 2.0
                u = x * (math.pi / 2.0 * alpha)
                d = (u * u + 1.0).reciprocal() * (alpha / 2.0)
            else:
                d = torch.lt(x.abs(), 0.5).to(x.dtype)
            return grad * d, None

    spike = Spike.apply
    T, N = args.T, args.N
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    x = torch.randn(T, N, device=dev).requires_grad_()
    a = torch.tensor(1.0 if args.neuron == "da-lif" else 0.0, requires_grad=True, device=dev)
    b = torch.tensor(1.0, requires_grad=True, device=dev)
    c = torch.tensor(1.0, requires_grad=True, device=dev)
    w = torch.tensor(0.0, requires_grad=True, device=dev)
    leaves = [x, a, b, c, w]

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    def in_use():
        return torch.cuda.memory_allocated(dev) if cuda else heap_in_use()

    def forward():
        v = torch.zeros(N, device=dev)
        m = torch.zeros(N, device=dev)
        out = []
        if args.neuron == "da-lif":
            alpha, beta = torch.tanh(a), torch.tanh(b)
        if args.neuron == "plif":
            k = torch.sigmoid(w)
        if args.neuron == "ar-lif":
            ta = torch.tanh(a)
        for xt in x.unbind(0):
            if args.neuron == "leaky-lif":
                h = 0.5 * v + xt
                s = spike(h - 1.0, "atan")
                v = h * (1.0 - s)
            elif args.neuron == "da-lif":
                h = beta * v + alpha * xt
                s = spike(h - 1.0, "rectangle")
                v = h * (1.0 - s)
            elif args.neuron == "plif":
                h = v + (xt - v) * k
                s = spike(h - 1.0, "rectangle")
                v = h * (1.0 - s)
            else:
                theta = 1.0 + ta * torch.tanh(xt)
                h = 0.5 * v + xt
                s = spike(h - theta, "rectangle")
                g = torch.sigmoid(c * xt)
                m = torch.clamp(m, min=0) * g + torch.clamp(m, max=0) * (1.0 - g) + (2.0 * s - 1.0) * torch.sigmoid(xt)
                v = h - s * (theta + torch.sigmoid(m))
            out.append(s)
        return torch.stack(out)

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
