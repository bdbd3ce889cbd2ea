namespace SnnDsl.Distributed

open SnnDsl.Torch

/// Sums of a step's or an epoch's metrics on one rank.
type MetricSums =
    { /// Sum of the per-sample losses (a mean loss times the batch size).
      LossSum: float
      /// Correctly classified samples.
      Correct: int64
      /// Samples.
      Count: int64 }

    /// No samples: the identity of (+).
    static member Zero = { LossSum = 0.0; Correct = 0L; Count = 0L }
    /// The sums of two disjoint sets of samples (what an all-reduce of the ranks' sums gives).
    static member (+)(a: MetricSums, b: MetricSums) =
        { LossSum = a.LossSum + b.LossSum; Correct = a.Correct + b.Correct; Count = a.Count + b.Count }
    /// The mean loss (NaN without samples).
    member m.MeanLoss = if m.Count = 0L then nan else m.LossSum / float m.Count
    /// The accuracy (NaN without samples).
    member m.Accuracy = if m.Count = 0L then nan else float m.Correct / float m.Count

/// Metrics over every rank's samples: sums are reduced (one all-reduce in float64), means are taken after.
[<RequireQualifiedAccess>]
module Metrics =
    /// Element-wise sums of every rank's values (float64; integers are exact below 2^53).
    let sum (pg: ProcessGroup) (values: float[]) : float[] =
        if values.Length = 0 then [||]
        else
            use t = Tensor.FromArray(values)
            pg.AllReduce(t, ReduceOp.Sum)
            t.ToArray<float>()

    /// The sums over every rank, the same on every rank.
    let reduce (pg: ProcessGroup) (m: MetricSums) : MetricSums =
        let s = sum pg [| m.LossSum; float m.Correct; float m.Count |]
        { LossSum = s[0]; Correct = int64 (round s[1]); Count = int64 (round s[2]) }
