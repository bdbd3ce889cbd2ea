/// `snn train --nproc N`: starts N ranks of a data-parallel run on this machine (as torchrun does) and
/// supervises them: one rank's failure, or Ctrl+C, stops them all; the exit code and message are the first
/// failing rank's.
module SnnDsl.Cli.Launcher

open System
open System.Diagnostics
open System.IO
open System.Net
open System.Net.Sockets
open System.Threading
open SnnDsl.Core

/// A free TCP port on the loopback interface for rank 0's store.
let private freePort () =
    let l = new TcpListener(IPAddress.Loopback, 0)
    l.Start()
    let port = (l.LocalEndpoint :?> IPEndPoint).Port
    l.Stop()
    port

/// How to start this program again: the apphost, or `dotnet snn.dll`.
let private self () : string * string list =
    let host = Environment.ProcessPath
    if Path.GetFileNameWithoutExtension(host: string) = "dotnet" then
        host, [ Reflection.Assembly.GetEntryAssembly().Location ]
    else host, []

/// The arguments without `--nproc N` and `--threads N` (the launcher gives each rank its share).
let private rankless (argv: string list) =
    let rec go (xs: string list) =
        match xs with
        | ("--nproc" | "--threads") :: _ :: rest -> go rest
        | x :: rest when x.StartsWith "--nproc=" || x.StartsWith "--threads=" -> go rest
        | x :: rest -> x :: go rest
        | [] -> []
    go argv

/// One started rank: its process, and the last lines it wrote to stderr (for the failure message).
type private Rank =
    { Index: int
      Process: Process
      Errors: Collections.Concurrent.ConcurrentQueue<string> }

/// Runs `snn train` as N ranks. `argv` is the whole `train ...` command line; `threads` the threads of the
/// whole run (0: every core), shared among the ranks. Rank 0's output goes to `out`; every rank's errors go
/// to `err`, prefixed with the rank.
let run (nproc: int) (threads: int) (argv: string list) (out: TextWriter) (err: TextWriter) : int =
    if nproc < 1 then Fail.usage $"--nproc must be at least 1, got {nproc}"
    for flag in [ "--world-size"; "--rank"; "--master" ] do
        if argv |> List.exists (fun a -> a = flag || a.StartsWith(flag + "=")) then Fail.usage $"--nproc starts the ranks itself: give --nproc or {flag}, not both"
    let perRank = max 1 ((if threads > 0 then threads else Environment.ProcessorCount) / nproc)
    let port = freePort ()
    let file, prefix = self ()
    let gate = obj ()
    let start (rank: int) =
        let psi = ProcessStartInfo(file, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
        for a in prefix @ rankless argv @ [ "--world-size"; string nproc; "--rank"; string rank; "--master"; $"127.0.0.1:{port}"; "--threads"; string perRank ] do
            psi.ArgumentList.Add a
        let p = new Process(StartInfo = psi)
        let errors = Collections.Concurrent.ConcurrentQueue<string>()
        p.OutputDataReceived.Add(fun e ->
            if rank = 0 && not (isNull e.Data) then lock gate (fun () -> out.WriteLine e.Data))
        p.ErrorDataReceived.Add(fun e ->
            if not (isNull e.Data) then
                errors.Enqueue e.Data
                if errors.Count > 20 then errors.TryDequeue() |> ignore
                lock gate (fun () -> err.WriteLine($"[rank {rank}] {e.Data}")))
        if not (p.Start()) then Fail.native $"could not start rank {rank} ({file})"
        p.BeginOutputReadLine()
        p.BeginErrorReadLine()
        { Index = rank; Process = p; Errors = errors }
    let ranks = ResizeArray<Rank>()
    let stopAll () =
        for r in ranks do
            try
                if not r.Process.HasExited then r.Process.Kill(entireProcessTree = true)
            with _ -> ()
        for r in ranks do
            try r.Process.WaitForExit 10000 |> ignore with _ -> ()
    // Ctrl+C reaches the ranks too (same terminal); the launcher waits for them to save and stop.
    let onCancel = ConsoleCancelEventHandler(fun _ e -> e.Cancel <- true)
    Console.CancelKeyPress.AddHandler onCancel
    try
        try
            for r in 0 .. nproc - 1 do
                ranks.Add(start r)
            let mutable result = None
            while result.IsNone do
                match ranks |> Seq.tryFind (fun r -> r.Process.HasExited && r.Process.ExitCode <> 0) with
                | Some failed ->
                    failed.Process.WaitForExit() // drain its output
                    result <- Some failed
                | None when ranks |> Seq.forall (fun r -> r.Process.HasExited) -> result <- Some ranks[0]
                | None -> Thread.Sleep 50
            let first = result.Value
            if first.Process.ExitCode = 0 then
                for r in ranks do
                    r.Process.WaitForExit()
                ExitCode.Ok
            else
                stopAll ()
                let code = first.Process.ExitCode
                let last = first.Errors |> Seq.tryLast |> Option.defaultValue "(no message)"
                let how = if code > 128 then $"was killed (signal {code - 128})" else $"exited with code {code}"
                err.WriteLine($"snn: rank {first.Index} of {nproc} {how}: {last}; the other ranks were stopped; continue from the last checkpoint with --resume")
                // A rank killed by a signal is not a usage or data problem of the run.
                if code = ExitCode.UsageError || code = ExitCode.DataError then code else ExitCode.InternalError
        with _ ->
            stopAll ()
            reraise ()
    finally
        Console.CancelKeyPress.RemoveHandler onCancel
        for r in ranks do
            r.Process.Dispose()
