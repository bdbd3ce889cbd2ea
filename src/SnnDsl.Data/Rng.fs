namespace SnnDsl.Data

open System

/// A small deterministic generator (SplitMix64). Every random choice of the data layer comes from one of
/// these, seeded by a pure function of (seed, epoch, position), so results never depend on threads,
/// timing or the .NET version.
[<Sealed>]
type Rng(seed: uint64) =
    let mutable state = seed

    /// The SplitMix64 finaliser: a bijective avalanche of 64 bits.
    static member Mix(z: uint64) =
        let z = (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
        let z = (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
        z ^^^ (z >>> 31)

    /// A seed derived from a base seed and a path of integers (e.g. epoch, sample position).
    static member Derive(seed: int64, [<ParamArray>] path: int64[]) =
        let mutable h = Rng.Mix(uint64 seed + 0x9E3779B97F4A7C15UL)
        for p in path do
            h <- Rng.Mix(h ^^^ Rng.Mix(uint64 p + 0x632BE59BD9B4E019UL))
        h

    /// A generator seeded from (seed, path...).
    static member Create(seed: int64, [<ParamArray>] path: int64[]) = Rng(Rng.Derive(seed, path))

    /// The next 64 random bits.
    member _.NextUInt64() =
        state <- state + 0x9E3779B97F4A7C15UL
        Rng.Mix state

    /// A uniform integer in [0, n) (n > 0).
    member r.NextInt(n: int) =
        if n <= 0 then invalidArg "n" $"the range must be positive, got {n}"
        int (((r.NextUInt64() >>> 32) * uint64 n) >>> 32)

    /// A uniform integer in [lo, hi] inclusive.
    member r.NextInt(lo: int, hi: int) = lo + r.NextInt(hi - lo + 1)

    /// A uniform float in [0, 1).
    member r.NextDouble() = float (r.NextUInt64() >>> 11) * (1.0 / 9007199254740992.0)

    /// A uniform float in [lo, hi).
    member r.Uniform(lo: float, hi: float) = lo + (hi - lo) * r.NextDouble()

    /// A standard normal sample (Box-Muller).
    member r.NextGaussian() =
        let u1 = 1.0 - r.NextDouble()
        let u2 = r.NextDouble()
        sqrt (-2.0 * log u1) * cos (2.0 * Math.PI * u2)

    /// True with probability p.
    member r.Chance(p: float) = r.NextDouble() < p

    /// Shuffles the array in place (Fisher-Yates).
    member r.Shuffle(a: 'T[]) =
        for i in a.Length - 1 .. -1 .. 1 do
            let j = r.NextInt(i + 1)
            let t = a[i]
            a[i] <- a[j]
            a[j] <- t
