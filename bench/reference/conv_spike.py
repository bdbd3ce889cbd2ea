#!/usr/bin/python3
"""PyTorch eager reference for bench/SnnDsl.Bench: the same workloads, shapes and settings.

Run it with Debian's /usr/bin/python3 (python3-torch, the same libtorch 1.13 as the F# binding):

    /usr/bin/python3 bench/reference/conv_spike.py --workload conv-spike --threads 1 --iters 20 --warmup 3

Workloads (one training step each; every step zeroes the gradient it produced):
  conv-spike  y = conv2d(x [32,64,32,32], w [64,64,3,3], padding=1); s = spike(y - 1, rectangle 1.0);
              loss = s.sum(); loss.backward()                       (w requires grad, x does not)
  lif         x [T,32,64,32,32] requires grad; for x_t in x.unbind(0): v = 0.5*v + x_t;
              s = spike(v - 1); v = v * (1 - s); loss += s.sum(); loss.backward()
  tiny-ops    x [1] requires grad; 500 times y = x * 2 + 1 (1000 recorded ops): the per-call overhead

Allocator: like the binding's Runtime.fs, glibc malloc is tuned at start (mallopt M_MMAP_THRESHOLD = 32 MiB,
M_TRIM_THRESHOLD = 1 GiB, M_MMAP_MAX = 0) unless --malloc default is given or SNNDSL_MALLOC=default is set;
--malloc mmap (or SNNDSL_MALLOC=mmap) leaves M_MMAP_MAX alone, so blocks of 32 MiB and more are mmapped
(the binding's setting before the fused kernels landed); nommap is the same as tuned.
Threads: torch.set_num_threads(N) and, like the binding's snn_set_num_threads, OpenBLAS's own pool
(openblas_set_num_threads), which torch 1.13 does not reach by itself.

--serve: after setup and warm-up, print "ready <loss of the first step>", then answer each line "run K" with
{"ms": [K step wall times], "cpu_ms": [their process CPU times], "faults": minor page faults during them}
until "quit" (the protocol the F# driver uses to interleave both sides).
"""
import argparse
import ctypes
import json
import os
import resource
import statistics
import sys
import time

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 1024 * 1024 * 1024


def tune_malloc(mode):
    """Applies the binding's mallopt values (before torch allocates anything); returns the mode used."""
    if mode == "default":
        return "default"
    libc = ctypes.CDLL("libc.so.6")
    if libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1:
        sys.exit("conv_spike.py: mallopt(M_MMAP_THRESHOLD) failed")
    if libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1:
        sys.exit("conv_spike.py: mallopt(M_TRIM_THRESHOLD) failed")
    if mode in ("tuned", "nommap") and libc.mallopt(M_MMAP_MAX, 0) != 1:
        sys.exit("conv_spike.py: mallopt(M_MMAP_MAX) failed")
    return mode


class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]


def heap_line():
    """glibc's heap statistics (MiB), as SnnDsl.Bench --trace-heap prints them."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = Mallinfo2
    m = libc.mallinfo2()
    mib = 1024 * 1024
    return (f"heap {m.arena / mib:.0f} MiB, mmapped {m.hblkhd / mib:.0f}, in use {m.uordblks / mib:.0f}, "
            f"free {m.fordblks / mib:.0f}, top {m.keepcost / mib:.0f}")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", choices=["conv-spike", "lif", "tiny-ops"], default="conv-spike")
    p.add_argument("--T", type=int, default=4, help="time steps of the lif workload")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--malloc", choices=["tuned", "mmap", "default", "nommap"], default=None,
                   help="allocator setting (default: tuned unless SNNDSL_MALLOC is default or mmap); tuned: "
                        "the binding's thresholds and M_MMAP_MAX=0; mmap: the thresholds only")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--serve", action="store_true", help="answer 'run K' lines on stdin (driver protocol)")
    p.add_argument("--trace-heap", action="store_true",
                   help="print time, faults and glibc heap statistics after each of --iters steps (no warm-up)")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    mode = args.malloc or (os.environ.get("SNNDSL_MALLOC") if os.environ.get("SNNDSL_MALLOC") in ("default", "mmap") else "tuned")
    mode = tune_malloc(mode)

    try:
        import torch
    except ImportError as e:
        sys.exit(f"conv_spike.py: {sys.executable} cannot import torch ({e}); install Debian's python3-torch "
                 "and run this script with /usr/bin/python3")
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    try:
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(args.threads)
    except (OSError, AttributeError):
        pass  # no OpenBLAS in this process: nothing else to tune
    torch.manual_seed(0)

    class Spike(torch.autograd.Function):
        """Heaviside forward, rectangle surrogate backward: the ops of src/SnnDsl.Native/src/spike.cpp."""

        @staticmethod
        def forward(ctx, x, width):
            ctx.save_for_backward(x)
            ctx.width = width
            return torch.ge(x, 0).to(x.dtype)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            a = ctx.width
            return grad * torch.lt(x.abs(), a / 2.0).to(x.dtype).mul_(1.0 / a), None

    spike = Spike.apply

    if args.workload == "conv-spike":
        x = torch.randn(32, 64, 32, 32)
        w = (torch.randn(64, 64, 3, 3) * (1.0 / 24.0)).requires_grad_()

        def step():
            y = F.conv2d(x, w, padding=1)
            s = spike(y - 1.0, 1.0)
            loss = s.sum()
            loss.backward()
            w.grad.zero_()
            return loss
    elif args.workload == "tiny-ops":
        x = torch.ones(1).requires_grad_()

        def step():
            y = x
            for _ in range(500):
                y = x * 2.0 + 1.0
            return y.sum()
    else:
        x = torch.rand(args.T, 32, 64, 32, 32).requires_grad_()

        def step():
            xs = x.unbind(0)
            v = torch.zeros(32, 64, 32, 32)
            loss = torch.zeros(())
            for xt in xs:
                v = 0.5 * v + xt
                s = spike(v - 1.0, 1.0)
                v = v * (1.0 - s)
                loss = loss + s.sum()
            loss.backward()
            x.grad.zero_()
            return loss

    def run(k):
        """Wall and process CPU times (ms) of k steps."""
        wall, cpu = [], []
        for _ in range(k):
            c0 = time.process_time()
            t0 = time.perf_counter()
            step()
            wall.append((time.perf_counter() - t0) * 1000.0)
            cpu.append((time.process_time() - c0) * 1000.0)
        return wall, cpu

    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    if args.trace_heap:
        print(f"pytorch {args.workload} T={args.T} threads={args.threads} malloc={mode}")
        for i in range(args.iters):
            f0 = faults()
            (wall,), (cpu,) = run(1)
            print(f"step {i:2d}: {wall:6.1f} ms, cpu {cpu:6.1f} ms, {faults() - f0:6d} faults, {heap_line()}")
        return 0

    loss = step().item()  # one untimed step whose loss the driver compares with the binding's
    run(args.warmup)

    if args.serve:
        print(f"ready {loss!r}", flush=True)
        for line in sys.stdin:
            parts = line.split()
            if not parts or parts[0] == "quit":
                break
            if parts[0] == "run":
                f0 = faults()
                wall, cpu = run(int(parts[1]))
                print(json.dumps({"ms": wall, "cpu_ms": cpu, "faults": faults() - f0}), flush=True)
        return 0

    f0 = faults()
    times, cpu = run(args.iters)
    per_step_faults = (faults() - f0) / args.iters
    med = statistics.median(times)
    if args.json:
        print(json.dumps({"side": "pytorch", "workload": args.workload, "T": args.T, "threads": args.threads,
                          "malloc": mode, "iters": args.iters, "warmup": args.warmup, "median_ms": med,
                          "median_cpu_ms": statistics.median(cpu), "minor_faults_per_step": per_step_faults,
                          "loss": loss, "times_ms": times, "cpu_ms": cpu, "torch": torch.__version__}))
    else:
        label = f"lif T={args.T}" if args.workload == "lif" else args.workload
        print(f"pytorch {torch.__version__} {label} threads={args.threads} malloc={mode}: "
              f"median {med:.2f} ms/step (cpu {statistics.median(cpu):.2f}) over {args.iters} steps "
              f"(min {min(times):.2f}, max {max(times):.2f}), {per_step_faults:.0f} minor faults/step, loss {loss!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
