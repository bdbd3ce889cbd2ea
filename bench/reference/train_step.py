"""PyTorch eager reference for SnnDsl's training step (bench/train-step.fsx; GPU checks): SnnDsl's network
(src/SnnDsl.Nn/Models.fs, Blocks.fs) on inputs [T, N, C, H, W], non-spiking layers over the merged T*N batch,
mean over T, CE, SGD (lr 0.1, momentum 0.9); 5 warm-up steps, then ITERS timed ones.
  small-conv: conv3x3(C->32)+BN+neuron, avgpool 2, conv3x3(32->64)+BN+neuron, avgpool 2, linear(64*H/4*W/4->classes)
  resnet19:   conv3x3(C->128)+BN+neuron; BasicBlocks 3x128, 3x256 (stride 2), 2x512 (stride 2); global avgpool;
              linear(512->256)+neuron; linear(256->classes)   (convs without bias, BN affine, linears with bias)
The neuron is the one SnnDsl runs (neurons.py: leaky-lif, da-lif, plif or ar-lif, rectangle surrogate, learnable
parameters per layer). Usage: [THREADS [ITERS [NEURON]]] [--device cpu|cuda] [--model small-conv|resnet19]
[--batch 32] [--T 4] [--input C,H,W] [--classes 10] [--json]; defaults 1 30 leaky-lif, small-conv 1x28x28.
Prints the median ms per step, or with --json one object with it, samples/s and the trainable parameter count."""
import argparse
import ctypes
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neurons  # noqa: E402


def fail(msg):
    sys.exit(f"train_step.py: {msg}")


ap = argparse.ArgumentParser(prog="train_step.py", description="PyTorch reference of SnnDsl's training step.")
ap.add_argument("threads", nargs="?", type=int, default=1, help="intra-op CPU threads (default 1)")
ap.add_argument("iters", nargs="?", type=int, default=30, help="timed steps (default 30)")
ap.add_argument("neuron", nargs="?", default="leaky-lif", help=f"one of {', '.join(neurons.NAMES)}")
ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
ap.add_argument("--model", choices=["small-conv", "resnet19"], default="small-conv")
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--T", type=int, default=4)
ap.add_argument("--input", default=None, help="C,H,W (default 1,28,28 for small-conv, 3,32,32 for resnet19)")
ap.add_argument("--classes", type=int, default=10)
ap.add_argument("--json", action="store_true", help="print one JSON object instead of the bare median ms")
args = ap.parse_intermixed_args()

threads, iters, neuron = args.threads, args.iters, args.neuron
if neuron not in neurons.NAMES:
    fail(f"unknown neuron '{neuron}'; known: {', '.join(neurons.NAMES)}")
try:
    C, H, W = (int(v) for v in (args.input or ("1,28,28" if args.model == "small-conv" else "3,32,32")).split(","))
except ValueError:
    fail(f"--input wants C,H,W (three integers), got '{args.input}'")
T, batch, classes = args.T, args.batch, args.classes
if min(threads, iters, T, batch, classes, C, H, W) < 1:
    fail("THREADS, ITERS, --T, --batch, --classes and --input must be positive")
if args.model == "small-conv" and (H < 4 or W < 4):
    fail(f"small-conv needs inputs of at least 4x4 pixels, got {H}x{W}")
if args.device == "cuda" and not torch.cuda.is_available():
    fail(f"--device cuda, but CUDA is not available to this PyTorch ({torch.__version__}, CUDA build: {torch.version.cuda})")
dev = torch.device(args.device)

# The same allocator setting as the SnnDsl shim (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB, M_MMAP_MAX 0).
libc = ctypes.CDLL("libc.so.6"); libc.mallopt(-3, 32*1024*1024); libc.mallopt(-1, 1024*1024*1024); libc.mallopt(-4, 0)
torch.set_num_threads(threads); torch.manual_seed(0)
if dev.type == "cpu":
    try:
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(threads)
    except OSError:
        pass


class Merged(nn.Module):
    """Applies a layer to [T, N, ...] with T merged into the batch, as SnnDsl's non-spiking layers do."""

    def __init__(s, f):
        super().__init__()
        s.f = f

    def forward(s, x):
        y = s.f(x.flatten(0, 1))
        return y.reshape(x.shape[0], x.shape[1], *y.shape[1:])


class Flatten(nn.Module):
    """[T, N, ...] -> [T, N, features] (SnnDsl's Flatten)."""

    def forward(s, x):
        return x.flatten(2)


def spiking():
    return neurons.Layer(neuron)


def conv_bn(cin, cout, k, stride):
    return [Merged(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)), Merged(nn.BatchNorm2d(cout))]


class Residual(nn.Module):
    """main(x) + shortcut(x) (the identity when there is no shortcut)."""

    def __init__(s, main, shortcut):
        super().__init__()
        s.main, s.shortcut = main, shortcut

    def forward(s, x):
        return s.main(x) + (x if s.shortcut is None else s.shortcut(x))


def basic_block(cin, cout, stride):
    """The tdBN/TET BasicBlock: spike(BN(conv(spike(BN(conv x)))) + shortcut x)."""
    main = nn.Sequential(*conv_bn(cin, cout, 3, stride), spiking(), *conv_bn(cout, cout, 3, 1))
    shortcut = nn.Sequential(*conv_bn(cin, cout, 1, stride)) if stride != 1 or cin != cout else None
    return nn.Sequential(Residual(main, shortcut), spiking())


def small_conv():
    return nn.Sequential(*conv_bn(C, 32, 3, 1), spiking(), Merged(nn.AvgPool2d(2)),
                         *conv_bn(32, 64, 3, 1), spiking(), Merged(nn.AvgPool2d(2)),
                         Flatten(), nn.Linear(64 * (H // 4) * (W // 4), classes))


def resnet19():
    layers = [*conv_bn(C, 128, 3, 1), spiking()]
    cin = 128
    for cout, blocks, stride in [(128, 3, 1), (256, 3, 2), (512, 2, 2)]:
        for i in range(blocks):
            layers.append(basic_block(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers += [Merged(nn.AdaptiveAvgPool2d(1)), Flatten(), nn.Linear(512, 256), spiking(), nn.Linear(256, classes)]
    return nn.Sequential(*layers)


net = (small_conv if args.model == "small-conv" else resnet19)().to(dev)
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
x = torch.rand(batch, C, H, W).to(dev); y = torch.randint(0, classes, (batch,)).to(dev)
sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)


def step():
    xt = x.unsqueeze(0).expand(T, batch, C, H, W)
    loss = F.cross_entropy(net(xt).mean(0), y)
    opt.zero_grad(); loss.backward(); opt.step()


for _ in range(5): step()
ts = []
for _ in range(iters):
    sync(); t0 = time.perf_counter(); step(); sync(); ts.append(time.perf_counter() - t0)
ts.sort(); median = ts[len(ts)//2]
if args.json:
    print(json.dumps({"model": args.model, "neuron": neuron, "device": args.device, "T": T, "batch": batch,
                      "ms_per_step": round(1000 * median, 3), "samples_per_s": round(batch / median, 2),
                      "parameters": sum(p.numel() for p in net.parameters() if p.requires_grad), "steps": iters}))
else:
    print("%.3f" % (1000 * median))
