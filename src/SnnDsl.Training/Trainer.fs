namespace SnnDsl.Training

open System
open System.Diagnostics
open System.IO
open System.Threading
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Data

/// What a training run reports while it works (the CLI draws progress bars from these).
type TrainEvent =
    /// The run begins (or resumes at `position`) with this session.
    | Started of session: Session * position: RunPosition
    /// Training batch `index` (1-based) of `batches` in `epoch` is done: its loss, its accuracy (0..1) and the
    /// epoch's training speed so far.
    | BatchDone of epoch: int * index: int * batches: int * loss: float * accuracy: float * samplesPerSecond: float
    /// The first training batch of this process's run is done: each spiking layer's firing rate over it (by
    /// name), so a dead or saturated network shows before the first epoch ends (`Firing.warnings`).
    | FirstBatchFiring of rates: (string * float) list
    /// The test set of `epoch` is being evaluated, in `batches` batches.
    | Evaluating of epoch: int * batches: int
    /// Test batch `index` (0-based) of `epoch` is done.
    | EvalBatchDone of epoch: int * index: int
    /// An epoch ended, trained and evaluated: its metrics (as metrics.jsonl gets them).
    | EpochDone of EpochMetrics
    /// A checkpoint was written (atomically) to `path`.
    | CheckpointWritten of path: string

/// Test-set results.
type Evaluation =
    { /// The mean test loss per sample.
      Loss: float
      /// The fraction of test samples classified correctly (0..1).
      Accuracy: float
      /// Each spiking layer's mean firing rate (spikes per neuron per time step), by the layer's name.
      FiringRates: (string * float) list
      /// Each spiking layer's effective neuron parameters (name, values per channel), by the layer's name.
      NeuronParams: (string * (string * ChannelValues) list) list
      /// The synaptic operations per sample and the energy estimate they give.
      Energy: Energy }

/// The one training loop: fresh runs, resumed runs and evaluation, for the CLI, scripts and the C# facade.
[<RequireQualifiedAccess>]
module Trainer =
    /// The spiking layers in forward order, named for metrics and reports after what feeds them:
    /// "spike<k> (after conv<i>)" or "(after fc<i>)" for the i-th convolution or linear layer of the main path
    /// (shortcut projections are not counted), "(after block<b>)" for the sum of the b-th residual block, and
    /// "(after input)" when nothing precedes the layer.
    let spikingLayers (model: Module) =
        let mutable convs = 0
        let mutable fcs = 0
        let mutable blocks = 0
        let mutable feeder = "input"
        let mutable openBlock: (string * int) option = None
        let found = ResizeArray<string * SpikingLayer>()
        for path, m in model.NamedModules() do
            match openBlock with
            | Some(blockPath, b) when blockPath <> "" && not (path.StartsWith(blockPath + ".")) ->
                feeder <- $"block{b}"
                openBlock <- None
            | _ -> ()
            let shortcut = path.Split('.') |> Array.contains "shortcut"
            match m with
            | :? Residual ->
                blocks <- blocks + 1
                openBlock <- Some(path, blocks)
            | :? Conv2d when not shortcut ->
                convs <- convs + 1
                feeder <- $"conv{convs}"
            | :? Linear when not shortcut ->
                fcs <- fcs + 1
                feeder <- $"fc{fcs}"
            | :? SpikingLayer as s -> found.Add((feeder, s))
            | _ -> ()
        found
        |> List.ofSeq
        |> List.mapi (fun i (feeder, s) -> $"spike{i + 1} (after {feeder})", s)

    /// The libtorch generator's seed for one batch: a pure function of (seed, epoch, batch), so dropout
    /// and any other randomness of a resumed run repeat the uninterrupted run's.
    let batchSeed (seed: int64) (epoch: int) (index: int) =
        let mutable h = uint64 seed * 0x9E3779B97F4A7C15UL
        h <- (h ^^^ uint64 epoch) * 0xBF58476D1CE4E5B9UL
        h <- (h ^^^ uint64 index) * 0x94D049BB133111EBUL
        h ^^^ (h >>> 31)

    /// Starts (clearing the counts) or stops counting the spikes of the layers.
    let private recordFiring (layers: (string * SpikingLayer) list) (on: bool) =
        for _, l in layers do
            if on then l.ResetFiring()
            l.RecordFiring <- on

    /// Evaluates on the test loader: loss, accuracy, firing rate of every spiking layer, neuron parameters
    /// and energy per sample.
    let evaluate (session: Session) (epoch: int) (observe: TrainEvent -> unit) (ct: CancellationToken) : Evaluation =
        let model = session.Model
        let layers = spikingLayers model
        model.Eval()
        recordFiring layers true
        Energy.startCounting model true
        let mutable lossSum, correct, seen = 0.0, 0L, 0L
        try
            use _ = Autograd.noGrad ()
            observe (Evaluating(epoch, session.Test.BatchesPerEpoch))
            for batch in session.Test.Batches(0, cancellationToken = ct, device = session.Device) do
                use scope = new TensorScope()
                use batch = batch
                // The loader may already hold prefetched batches: stop here, not when it runs dry.
                ct.ThrowIfCancellationRequested()
                // The test set's random encodings (rate) are a function of the seed and the batch alone, so
                // every evaluation of the same weights gives the same result (snn eval of a checkpoint that of
                // its epoch); the training batches use epochs >= 0.
                Torch.manualSeed (batchSeed session.Config.Seed -1 batch.Index)
                let outputs = model.Forward(Session.encode session batch.X)
                use loss = Loss.compute session.Loss outputs batch.Y
                lossSum <- lossSum + loss.ToScalar() * float batch.Count
                correct <- correct + Loss.correct outputs batch.Y
                seen <- seen + int64 batch.Count
                observe (EvalBatchDone(epoch, batch.Index))
            let rates = layers |> List.map (fun (_, l) -> l.FiringRate)
            let energy = Energy.measureWith (Encoding.isSpiking session.Config.Encoding) model
            // A data-parallel run evaluates each sample on one rank: the sums (and the per-sample means,
            // weighted by each rank's samples) are reduced over the ranks, the same on every rank.
            let lossSum, correct, seen, rates, energy =
                match session.Group with
                | None -> lossSum, correct, seen, rates, energy
                | Some g ->
                    let w = float seen
                    let local = Array.ofList ([ lossSum; float correct; w; energy.MacsPerSample * w; energy.AcsPerSample * w; energy.MilliJoules * w ] @ (rates |> List.map (fun r -> r * w)))
                    let s = SnnDsl.Distributed.Metrics.sum g local
                    let n = max 1.0 s[2]
                    s[0], int64 (round s[1]), int64 (round s[2]), (s[6..] |> Array.map (fun r -> r / n) |> List.ofArray),
                    { MacsPerSample = s[3] / n; AcsPerSample = s[4] / n; MilliJoules = s[5] / n }
            { Loss = (if seen = 0L then nan else lossSum / float seen)
              Accuracy = (if seen = 0L then nan else float correct / float seen)
              FiringRates = List.zip (List.map fst layers) rates
              NeuronParams = layers |> List.map (fun (n, l) -> n, l.EffectiveParameterValues() |> List.map (fun (p, v) -> p, ChannelValues.Of v))
              Energy = energy }
        finally
            Energy.startCounting model false
            for _, l in layers do
                l.RecordFiring <- false
            model.Train true

    /// Trains for the configured epochs from `start` (a fresh run or a restored checkpoint), writing
    /// metrics.jsonl and checkpoints into the output directory when the configuration has one. Returns
    /// the metrics of the epochs run.
    let train (session: Session) (start: RunPosition) (observe: TrainEvent -> unit) (ct: CancellationToken) =
        let config = session.Config
        let model = session.Model
        // In a data-parallel run only rank 0 writes files.
        let out = if session.Writes then config.OutDir else None
        out |> Option.iter (Directory.CreateDirectory >> ignore)
        // Every rank starts from rank 0's parameters (after any checkpoint was restored) and applies the
        // gradients averaged over the ranks, so the replicas stay identical.
        let averager =
            session.Group
            |> Option.map (fun g ->
                SnnDsl.Distributed.Replicas.broadcastFromRank0 g model
                SnnDsl.Distributed.GradientAverager(g, model.Parameters()))
        let batches = session.Train.BatchesPerEpoch
        if batches = 0 then SnnDsl.Core.Fail.usage "the training set has no batches (check the training-sample limit and the batch size)"
        let layers = spikingLayers model
        for _, l in layers do
            l.RecordFiring <- false
        model.Train true
        observe (Started(session, start))
        let mutable position = start
        let results = ResizeArray<EpochMetrics>()
        // Every checkpoint holds the configuration and the neurons' text, so a resume or `snn eval` needs
        // nothing else. The training batches since the last checkpoint go to batches.jsonl just before it.
        let batchRecords = ResizeArray<BatchMetrics>()
        let save () =
            match out with
            | Some dir ->
                Metrics.appendBatches dir batchRecords
                let path = Path.Combine(dir, Checkpoint.fileName)
                Checkpoint.save path config position session.Spec model session.Optimizer
                observe (CheckpointWritten path)
            | None -> ()
            batchRecords.Clear()
        for epoch in start.Epoch .. config.Epochs - 1 do
            let clock = Stopwatch.StartNew()
            let firstBatch = if epoch = start.Epoch then start.NextBatch else 0
            if epoch <> start.Epoch then
                position <- { position with Epoch = epoch; NextBatch = 0; LossSum = 0.0; Correct = 0L; Seen = 0L; Seconds = 0.0 }
            let baseSeconds = position.Seconds
            for batch in session.Train.Batches(epoch, startBatch = firstBatch, cancellationToken = ct, device = session.Device) do
                use scope = new TensorScope()
                use batch = batch
                // The loader hands out up to Prefetch batches it assembled before the token was cancelled;
                // training them would run past the last checkpoint the caller saw.
                ct.ThrowIfCancellationRequested()
                Torch.manualSeed (batchSeed config.Seed epoch batch.Index)
                let lr =
                    Schedule.rate config.Schedule config.LearningRate config.WarmupEpochs config.Epochs
                        (float epoch + float batch.Index / float batches)
                session.Optimizer.LearningRate <- lr
                // The first batch this process trains counts its spikes (a dead network shows at once).
                let countFiring = position.GlobalStep = start.GlobalStep
                if countFiring then recordFiring layers true
                let outputs = model.Forward(Session.encode session batch.X)
                if countFiring then
                    recordFiring layers false
                    observe (FirstBatchFiring(layers |> List.map (fun (name, l) -> name, l.FiringRate)))
                let loss = Loss.compute session.Loss outputs batch.Y
                session.Optimizer.ZeroGrad()
                loss.Backward()
                averager |> Option.iter (fun a -> a.Average())
                if config.ClipGradNorm > 0.0 then session.Optimizer.ClipGradNorm config.ClipGradNorm |> ignore
                session.Optimizer.Step()
                // The batch's loss, accuracy and size over every rank: all ranks log, check and sum the same.
                let lossValue, hits, count =
                    let l, h, c = loss.ToScalar(), Loss.correct outputs batch.Y, batch.Count
                    match session.Group with
                    | None -> l, h, c
                    | Some g ->
                        let s = SnnDsl.Distributed.Metrics.sum g [| l * float c; float h; float c |]
                        s[0] / s[2], int64 (round s[1]), int (round s[2])
                if not (Double.IsFinite lossValue) then
                    SnnDsl.Core.Fail.data $"the training loss became {lossValue} at epoch {epoch + 1}, batch {batch.Index + 1}; lower the learning rate or clip the gradient norm (the last checkpoint is kept)"
                position <-
                    { position with
                        NextBatch = batch.Index + 1
                        GlobalStep = position.GlobalStep + 1L
                        LossSum = position.LossSum + lossValue * float count
                        Correct = position.Correct + hits
                        Seen = position.Seen + int64 count
                        Seconds = baseSeconds + clock.Elapsed.TotalSeconds }
                let rate = float (position.Seen) / max 1e-9 (position.Seconds)
                batchRecords.Add(
                    { Epoch = epoch + 1; Batch = batch.Index + 1; Step = position.GlobalStep; Loss = lossValue
                      Accuracy = float hits / float count; LearningRate = lr } : BatchMetrics)
                observe (BatchDone(epoch + 1, batch.Index + 1, batches, lossValue, float hits / float count, rate))
                if config.CheckpointEvery > 0 && (batch.Index + 1) % config.CheckpointEvery = 0 && batch.Index + 1 < batches then
                    save ()
            let trainSeconds = position.Seconds
            // With BatchNorm local to each rank, the running statistics follow each rank's batches: every rank
            // evaluates (and rank 0 saves) rank 0's, as DDP's broadcast_buffers does.
            session.Group
            |> Option.iter (fun g ->
                match model.NamedBuffers() |> List.map snd with
                | [] -> ()
                | buffers -> g.Broadcast(buffers, 0))
            let evaluation = evaluate session (epoch + 1) observe ct
            let metrics : EpochMetrics =
                { Epoch = epoch + 1
                  TrainLoss = position.LossSum / float (max 1L position.Seen)
                  TrainAccuracy = float position.Correct / float (max 1L position.Seen)
                  TestLoss = evaluation.Loss
                  TestAccuracy = evaluation.Accuracy
                  Seconds = trainSeconds
                  LearningRate = session.Optimizer.LearningRate
                  FiringRates = evaluation.FiringRates
                  NeuronParams = evaluation.NeuronParams
                  Energy = evaluation.Energy }
            out |> Option.iter (fun dir -> Metrics.append dir metrics)
            position <- { position with Epoch = epoch + 1; NextBatch = 0; LossSum = 0.0; Correct = 0L; Seen = 0L; Seconds = 0.0 }
            save ()
            results.Add metrics
            observe (EpochDone metrics)
        results |> List.ofSeq

    /// The position of a run that has not started.
    let fresh = { Epoch = 0; NextBatch = 0; GlobalStep = 0L; LossSum = 0.0; Correct = 0L; Seen = 0L; Seconds = 0.0 }

    /// Prepares the run directory of a session that starts at `start` (the one policy of the CLI, scripts and
    /// the C# facade): created if missing; a fresh start drops an earlier metrics.jsonl, a resumed one keeps
    /// only the epochs before its position (the rest are trained again). Only the writing rank touches it.
    let prepareOutput (session: Session) (start: RunPosition) =
        if session.Writes then
            session.Config.OutDir
            |> Option.iter (fun dir ->
                Directory.CreateDirectory dir |> ignore
                if start.Epoch = 0 && start.NextBatch = 0 then File.Delete(Path.Combine(dir, Metrics.fileName))
                else Metrics.truncate dir (start.Epoch + 1))

    /// Restores a session's model and optimiser from a checkpoint (strictly: see Checkpoint.restore) and
    /// returns where the run stood, for `train` to continue exactly as if it had never stopped; when the
    /// session writes into a run directory, its metrics are cut back to the checkpoint's epochs.
    let restore (session: Session) (checkpoint: CheckpointEntries) : RunPosition =
        let _, position = Checkpoint.headerOf checkpoint
        Checkpoint.restoreFrom checkpoint session.Model (Some session.Optimizer)
        prepareOutput session position
        position

    let private runDir (config: TrainConfig) =
        match config.OutDir with
        | Some dir -> dir
        | None -> SnnDsl.Core.Fail.usage "a run that resumes from its directory needs an output directory"

    /// A session built from a checkpoint's configuration (through `adjust`) and architecture, its model
    /// restored, and its optimiser too with `withOptimizer` (then the run's metrics are cut back as in
    /// `restore`); the checkpoint is read once and its tensors are freed before this returns.
    let private sessionOf (path: string) (adjust: TrainConfig -> TrainConfig) (withOptimizer: bool) : Session * RunPosition =
        use checkpoint = Checkpoint.read path
        let saved, position = Checkpoint.headerOf checkpoint
        let session = Session.createWith (Checkpoint.specOf checkpoint) (adjust saved)
        try
            if withOptimizer then session, restore session checkpoint
            else
                Checkpoint.restoreFrom checkpoint session.Model None
                session, position
        with _ ->
            (session :> IDisposable).Dispose()
            reraise ()

    let private noLock = { new IDisposable with member _.Dispose() = () }

    /// Whether a process of this configuration writes the run directory (rank 0 of a data-parallel run).
    let private writes (config: TrainConfig) = config.World |> Option.forall (fun w -> w.Rank = 0)

    let private resumeIn (locks: bool) (dir: string) (adjust: TrainConfig -> TrainConfig) (observe: TrainEvent -> unit) (ct: CancellationToken) =
        let checkpointPath = Path.Combine(dir, Checkpoint.fileName)
        if not (File.Exists checkpointPath) then
            SnnDsl.Core.Fail.usage $"cannot resume: no checkpoint at {checkpointPath}"
        use _ = if locks then RunLock.acquire dir else noLock
        let session, position = sessionOf checkpointPath (fun saved -> adjust { saved with OutDir = Some dir }) true
        use session = session
        train session position observe ct

    /// Continues the run in `dir` from its checkpoint, with the configuration saved there (epochs raised
    /// to `epochs` when that is more).
    let resume (dir: string) (epochs: int) (observe: TrainEvent -> unit) (ct: CancellationToken) =
        resumeIn true dir (fun c -> { c with Epochs = max c.Epochs epochs }) observe ct

    /// Starts a new run (refusing to overwrite a run directory that already has a checkpoint; with no
    /// output directory the run writes nothing) or, with `resume`, continues the one in config.OutDir with
    /// the configuration saved there: only more epochs, and a data-parallel launch (world and threads),
    /// are taken from `config` (a run resumes with the same world size exactly, with another one not).
    let run (config: TrainConfig) (resume': bool) (observe: TrainEvent -> unit) (ct: CancellationToken) =
        if resume' then
            let launch (c: TrainConfig) =
                { c with
                    Epochs = max c.Epochs config.Epochs
                    World = config.World
                    Threads = (if config.World.IsSome then config.Threads else c.Threads) }
            resumeIn (writes config) (runDir config) launch observe ct
        else
            match config.OutDir with
            | Some dir ->
                if File.Exists(Path.Combine(dir, Checkpoint.fileName)) then
                    SnnDsl.Core.Fail.usage $"{dir} already holds a run (checkpoint.snnt): resume it or choose another output directory"
                use session = Session.create config
                // Taken once the configuration and the data are known good (a bad one creates no directory).
                use _ = if session.Writes then RunLock.acquire dir else noLock
                if File.Exists(Path.Combine(dir, Checkpoint.fileName)) then
                    SnnDsl.Core.Fail.usage $"{dir} already holds a run (checkpoint.snnt): resume it or choose another output directory"
                prepareOutput session fresh
                train session fresh observe ct
            | None ->
                use session = Session.create config
                train session fresh observe ct

    /// Rebuilds the model of a checkpoint and evaluates it on its test set.
    let evaluateCheckpoint (path: string) (overrides: TrainConfig -> TrainConfig) (observe: TrainEvent -> unit) (ct: CancellationToken) =
        let session, _ = sessionOf path (fun saved -> overrides { saved with OutDir = None }) false
        use session = session
        evaluate session 0 observe ct
