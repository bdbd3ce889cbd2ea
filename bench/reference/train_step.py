"""PyTorch eager reference for bench/train-step.fsx: the default SnnDsl model's training step.
conv3x3(1->32)+BN+neuron, avgpool 2, conv3x3(32->64)+BN+neuron, avgpool 2, linear(3136->10), mean over T, CE, SGD;
T = 4, batch 32. The neuron is the one SnnDsl runs (neurons.py: leaky-lif, da-lif, plif or ar-lif, rectangle
surrogate, learnable parameters per layer). Usage: THREADS ITERS [NEURON]; prints the median ms per step."""
import ctypes
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neurons  # noqa: E402

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 30
neuron = sys.argv[3] if len(sys.argv) > 3 else "leaky-lif"
if neuron not in neurons.NAMES:
    sys.exit(f"train_step.py: unknown neuron '{neuron}'; known: {', '.join(neurons.NAMES)}")
# The same allocator setting as the SnnDsl shim (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB, M_MMAP_MAX 0).
libc = ctypes.CDLL("libc.so.6"); libc.mallopt(-3, 32*1024*1024); libc.mallopt(-1, 1024*1024*1024); libc.mallopt(-4, 0)
torch.set_num_threads(threads); torch.manual_seed(0)
try:
    ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(threads)
except OSError:
    pass


class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(1, 32, 3, padding=1, bias=False); s.b1 = nn.BatchNorm2d(32)
        s.c2 = nn.Conv2d(32, 64, 3, padding=1, bias=False); s.b2 = nn.BatchNorm2d(64)
        s.fc = nn.Linear(3136, 10); s.l1 = neurons.Layer(neuron); s.l2 = neurons.Layer(neuron)

    def forward(s, x):
        T, N = x.shape[:2]
        m = lambda f, t: (lambda y: y.view(T, N, *y.shape[1:]))(f(t.flatten(0, 1)))
        x = s.l1(m(lambda t: s.b1(s.c1(t)), x)); x = m(lambda t: F.avg_pool2d(t, 2), x)
        x = s.l2(m(lambda t: s.b2(s.c2(t)), x)); x = m(lambda t: F.avg_pool2d(t, 2), x)
        return s.fc(x.flatten(2))


net = Net(); opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
x = torch.rand(32, 1, 28, 28); y = torch.randint(0, 10, (32,))


def step():
    xt = x.unsqueeze(0).expand(4, 32, 1, 28, 28)
    loss = F.cross_entropy(net(xt).mean(0), y)
    opt.zero_grad(); loss.backward(); opt.step()


for _ in range(5): step()
ts = []
for _ in range(iters):
    t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
ts.sort(); print("%.3f" % (1000 * ts[len(ts)//2]))
