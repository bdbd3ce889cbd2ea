/// Order statistics of step times.
module SnnDsl.Bench.Stats

/// The q-quantile (0..1) by linear interpolation between order statistics.
let quantile (q: float) (xs: float seq) =
    let a = Seq.toArray xs |> Array.sort
    if a.Length = 0 then nan
    else
        let pos = q * float (a.Length - 1)
        let lo = int (floor pos)
        let hi = min (a.Length - 1) (lo + 1)
        a[lo] + (pos - float lo) * (a[hi] - a[lo])

let median xs = quantile 0.5 xs
