"""SnnDsl's benchmarked built-in neurons in PyTorch, written as a PyTorch user writes them: a loop over
x.unbind(0) with a surrogate-gradient spike function. The one definition that both references use
(neuron_loop.py for workload A, train_step.py for the training step), so both run the neuron SnnDsl runs:

  leaky-lif  H = 0.5 V + X, S = spike(H - 1), V = H (1 - S)
  da-lif     H = tanh(b) V + tanh(a) X (a, b learnable, init 1), S = spike(H - 1), V = H (1 - S)
  plif       H = V + (X - V) sigmoid(w) (w learnable, init 0), S = spike(H - 1), V = H (1 - S)
  ar-lif     the authors' XLIF: theta = 1 + tanh(a) tanh(X), H = 0.5 V + X, S = spike(H - theta),
             g = sigmoid(c X), M' = max(M, 0) g + min(M, 0) (1 - g) + (2 S - 1) sigmoid(X),
             V = H - S (theta + sigmoid(M'))  (a init 0, c init 1, learnable)

Parameters are per layer (scalars), as SnnDsl's built-ins declare them (src/SnnDsl.Core/Builtins.fs); states
start at 0. Surrogates: rectangle(1) (SnnDsl's default) or atan(2).
"""
import math

import torch

NAMES = ["leaky-lif", "da-lif", "plif", "ar-lif"]


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


def initial_params(name):
    """The learnable parameters of a neuron and their initial values."""
    return {"leaky-lif": {}, "da-lif": {"a": 1.0, "b": 1.0}, "plif": {"w": 0.0},
            "ar-lif": {"a": 0.0, "c": 1.0}}[name]


def run(name, x, p, surrogate="rectangle"):
    """The spikes [T, ...] of neuron `name` over x [T, ...] from zero states; p maps its parameters to tensors."""
    v = torch.zeros_like(x[0])
    m = torch.zeros_like(x[0])
    out = []
    if name == "da-lif":
        alpha, beta = torch.tanh(p["a"]), torch.tanh(p["b"])
    if name == "plif":
        k = torch.sigmoid(p["w"])
    if name == "ar-lif":
        ta = torch.tanh(p["a"])
    for xt in x.unbind(0):
        if name == "leaky-lif":
            h = 0.5 * v + xt
            s = Spike.apply(h - 1.0, surrogate)
            v = h * (1.0 - s)
        elif name == "da-lif":
            h = beta * v + alpha * xt
            s = Spike.apply(h - 1.0, surrogate)
            v = h * (1.0 - s)
        elif name == "plif":
            h = v + (xt - v) * k
            s = Spike.apply(h - 1.0, surrogate)
            v = h * (1.0 - s)
        elif name == "ar-lif":
            theta = 1.0 + ta * torch.tanh(xt)
            h = 0.5 * v + xt
            s = Spike.apply(h - theta, surrogate)
            g = torch.sigmoid(p["c"] * xt)
            m = torch.clamp(m, min=0) * g + torch.clamp(m, max=0) * (1.0 - g) + (2.0 * s - 1.0) * torch.sigmoid(xt)
            v = h - s * (theta + torch.sigmoid(m))
        else:
            raise ValueError(f"unknown neuron '{name}'; known: {', '.join(NAMES)}")
        out.append(s)
    return torch.stack(out)


class Layer(torch.nn.Module):
    """A multi-step spiking layer over [T, N, ...] with the neuron's learnable per-layer parameters."""

    def __init__(self, name, surrogate="rectangle"):
        super().__init__()
        if name not in NAMES:
            raise ValueError(f"unknown neuron '{name}'; known: {', '.join(NAMES)}")
        self.neuron, self.surrogate = name, surrogate
        self.p = torch.nn.ParameterDict({k: torch.nn.Parameter(torch.tensor(v)) for k, v in initial_params(name).items()})

    def forward(self, x):
        return run(self.neuron, x, self.p, self.surrogate)
