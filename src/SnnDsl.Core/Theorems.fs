namespace SnnDsl.Core

/// Closed forms that the seed papers prove for the built-ins, written once: the laws of SnnDsl.Verify and
/// the tests compare interpreters' traces with them.
[<RequireQualifiedAccess>]
module Theorems =
    /// AR-LIF's Theorem 1 (docs/science.md): the spikes of a soft-reset leaky neuron (H = λ V + X, V = H − θ S)
    /// from its input and output histories alone, S_t = Θ(Σ_{k≤t} λ^(t−k) X_k − θ Σ_{k<t} λ^(t−k) S_k − θ).
    /// With dyadic λ, θ and inputs every sum is exact, so an interpreter must agree bit for bit.
    let arLifTheorem1 (lambda: float) (theta: float) (xs: float[]) : float[] =
        let spikes = Array.zeroCreate xs.Length
        for t in 0 .. xs.Length - 1 do
            let drive = Seq.sum (seq { for k in 0 .. t -> pown lambda (t - k) * xs[k] })
            let resets = Seq.sum (seq { for k in 0 .. t - 1 -> pown lambda (t - k) * spikes[k] })
            spikes[t] <- if drive - theta * resets - theta >= 0.0 then 1.0 else 0.0
        spikes
