namespace SnnDsl.Nn

open System

/// Learning-rate schedules as pure functions of progress, so a resumed run gets the same rates.
[<RequireQualifiedAccess>]
type Schedule =
    /// The base rate throughout.
    | Constant
    /// Cosine annealing from the base rate to minLr over the whole run.
    | Cosine of minLr: float
    /// Multiplies by gamma every stepEpochs epochs.
    | Step of stepEpochs: int * gamma: float

/// Evaluating a schedule.
[<RequireQualifiedAccess>]
module Schedule =
    /// The rate at a fractional epoch (0 <= epoch < total), with an optional linear warm-up over the first
    /// warmupEpochs.
    let rate (schedule: Schedule) (baseLr: float) (warmupEpochs: float) (totalEpochs: int) (epoch: float) =
        let warm = if warmupEpochs > 0.0 && epoch < warmupEpochs then (epoch + 1e-9) / warmupEpochs else 1.0
        let scheduled =
            match schedule with
            | Schedule.Constant -> baseLr
            | Schedule.Cosine minLr ->
                let progress = if totalEpochs <= 0 then 0.0 else min 1.0 (epoch / float totalEpochs)
                minLr + 0.5 * (baseLr - minLr) * (1.0 + cos (Math.PI * progress))
            | Schedule.Step(every, gamma) -> baseLr * Math.Pow(gamma, floor (epoch / float (max 1 every)))
        scheduled * min 1.0 warm
