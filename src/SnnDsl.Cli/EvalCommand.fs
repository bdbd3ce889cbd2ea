/// `snn eval`: evaluates a checkpoint on its dataset's test set.
module SnnDsl.Cli.EvalCommand

open SnnDsl.Core
open System
open System.IO
open System.Threading
open Argu
open SnnDsl.Training

/// The arguments of `snn eval`.
[<RequireQualifiedAccess>]
type EvalArgs =
    | [<Mandatory; Unique>] Checkpoint of file: string
    | [<Unique>] Data_Dir of path: string
    | [<Unique>] Limit_Test of n: int
    | [<Unique>] Device of device: string
    | [<Unique>] Backend of ``eager|fused|auto``: string
    | [<Unique>] Threads of n: int

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Checkpoint _ -> "a checkpoint.snnt written by `snn train`"
            | Data_Dir _ -> "read the test set from here instead of the directory the run used"
            | Limit_Test _ -> "use only N test samples [the run's setting]"
            | Device _ -> "cpu | cuda | cuda:N [the run's]"
            | Backend _ -> "neurons' interpreter: eager | fused | auto [auto]"
            | Threads _ -> "libtorch and OpenBLAS threads"

/// Runs the command: prints test loss and accuracy, firing rates, neuron parameters and energy.
let run (args: ParseResults<EvalArgs>) (out: TextWriter) : int =
    let path = args.GetResult EvalArgs.Checkpoint
    if not (File.Exists path) then Fail.data $"checkpoint not found: {path}"
    let flag (name: string) (r: Result<'a, string>) =
        match r with
        | Ok v -> v
        | Error e -> Fail.usage $"{name}: {e}"
    let device = args.TryGetResult EvalArgs.Device |> Option.map (Setting.device >> flag "--device")
    let backend = flag "--backend" (SnnDsl.Backends.Backend.parse (args.GetResult(EvalArgs.Backend, defaultValue = "auto")))
    let overrides (c: TrainConfig) =
        { c with
            DataDir = args.GetResult(EvalArgs.Data_Dir, defaultValue = c.DataDir)
            LimitTest = args.GetResult(EvalArgs.Limit_Test, defaultValue = c.LimitTest)
            LimitTrain = 1
            Device = defaultArg device c.Device
            Backend = backend
            Threads = args.GetResult(EvalArgs.Threads, defaultValue = c.Threads) }
    let e = Trainer.evaluateCheckpoint path overrides ignore CancellationToken.None
    out.WriteLine($"test loss {e.Loss:F4}, test accuracy {e.Accuracy:F4}")
    for name, rate in e.FiringRates do
        let ps = e.NeuronParams |> List.tryFind (fst >> (=) name) |> Option.map snd |> Option.defaultValue []
        let pars = ps |> List.map (fun (p, v) -> $"{p}={v:F4}") |> String.concat " "
        out.WriteLine($"  {name}: firing rate {rate:F4} {pars}")
    out.WriteLine($"energy per sample: {e.Energy.MacsPerSample:N0} MACs, {e.Energy.AcsPerSample:N0} ACs, {e.Energy.MilliJoules:E4} mJ")
    ExitCode.Ok
