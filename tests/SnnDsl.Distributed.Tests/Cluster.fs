/// Starting the ranks of a test world as child processes of this test program, over loopback. Every child is
/// killed (with its process tree) when the World is disposed, whatever happened.
module SnnDsl.Distributed.Tests.Cluster

open System
open System.Collections.Generic
open System.Diagnostics
open System.IO
open System.Net
open System.Net.Sockets
open System.Reflection
open System.Threading
open SnnDsl.TestKit

/// A TCP port free on loopback right now.
let freePort () =
    let l = new TcpListener(IPAddress.Loopback, 0)
    l.Start()
    let p = (l.LocalEndpoint :?> IPEndPoint).Port
    l.Stop()
    p

/// How the children meet, as a command-line argument: "tcp:HOST:PORT" or "file:PATH".
type Meeting =
    | Tcp of port: int
    | FileStore of path: string
    member m.Argument =
        match m with
        | Tcp p -> $"tcp:127.0.0.1:{p}"
        | FileStore path -> $"file:{path}"

/// One child process and what it printed.
type Child(rank: int, p: Process) =
    let lines = List<string>()
    let errors = List<string>()
    do
        p.OutputDataReceived.Add(fun e -> if not (isNull e.Data) then lock lines (fun () -> lines.Add e.Data))
        p.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then lock errors (fun () -> errors.Add e.Data))
        p.BeginOutputReadLine()
        p.BeginErrorReadLine()
    member _.Rank = rank
    member _.Process = p
    member _.Lines = lock lines (fun () -> lines.ToArray())
    member _.Errors = lock errors (fun () -> String.Join("\n", errors))
    member c.Describe() =
        let out = String.Join("\n", c.Lines)
        $"rank {rank} (pid {p.Id}, exited: {p.HasExited}):\n--- stdout\n{out}\n--- stderr\n{c.Errors}"

/// The command line that runs this test program again.
let private selfCommand () =
    let dll = Assembly.GetEntryAssembly().Location
    let apphost = Path.Combine(Path.GetDirectoryName dll, Path.GetFileNameWithoutExtension dll)
    if File.Exists apphost then apphost, [] else "dotnet", [ dll ]

/// A test world: children started with `worker scenario rank world meeting dir timeoutMs extra...`. They print
/// STARTED, then wait for Go() before joining, so a slow start does not eat the rendezvous timeout.
type World(scenario: string, ranks: (int * int) list, meeting: Meeting, timeoutMs: int, ?extra: string list) =
    let scratch = new TempDir()
    let dir = scratch.Path
    let children =
        [| for rank, world in ranks do
               let file, prefix = selfCommand ()
               let psi = ProcessStartInfo(file, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
               for a in prefix @ [ "worker"; scenario; string rank; string world; meeting.Argument; dir; string timeoutMs ] @ defaultArg extra [] do
                   psi.ArgumentList.Add a
               psi.Environment["OMP_NUM_THREADS"] <- "1"
               Child(rank, Process.Start psi) |]
    let mutable disposed = false

    /// The folder the ranks write their results into.
    member _.Dir = dir
    member _.Children = children
    /// The i-th child started (the order of `ranks`; child i is rank i in a regular world).
    member _.Child(i: int) = children[i]

    /// Everything every child printed (for failure messages).
    member _.Describe() = String.Join("\n", children |> Array.map (fun c -> c.Describe()))

    /// Waits until a child printed a line starting with prefix; returns it.
    member w.WaitLine(i: int, prefix: string, timeout: TimeSpan) : string =
        let c = w.Child i
        let rank = c.Rank
        let sw = Stopwatch.StartNew()
        let find () = c.Lines |> Array.tryFind (fun (l: string) -> l.StartsWith prefix)
        let rec poll () =
            match find () with
            | Some l -> l
            | None when c.Process.HasExited ->
                c.Process.WaitForExit() // drains the output
                match find () with
                | Some l -> l
                | None -> failwith $"rank {rank} exited (code {c.Process.ExitCode}) before printing {prefix}\n{w.Describe()}"
            | None when sw.Elapsed > timeout -> failwith $"rank {rank} printed no {prefix} within {timeout.TotalSeconds} s\n{w.Describe()}"
            | None ->
                Thread.Sleep 20
                poll ()
        poll ()

    /// Lets the children join (after every one of them has started).
    member w.Go() =
        for i in 0 .. children.Length - 1 do
            w.WaitLine(i, "STARTED", TimeSpan.FromSeconds 120.0) |> ignore
        File.WriteAllText(scratch.File "go", "")

    /// Waits for a child to exit; returns its exit code.
    member w.WaitExit(i: int, timeout: TimeSpan) : int =
        let c = w.Child i
        let rank = c.Rank
        if not (c.Process.WaitForExit(int timeout.TotalMilliseconds)) then
            failwith $"rank {rank} did not exit within {timeout.TotalSeconds} s\n{w.Describe()}"
        c.Process.WaitForExit() // drains the output
        c.Process.ExitCode

    /// Waits for every child and requires exit code 0.
    member w.ExpectSuccess(timeout: TimeSpan) =
        for i in 0 .. children.Length - 1 do
            let code = w.WaitExit(i, timeout)
            if code <> 0 then failwith $"rank {children[i].Rank} exited with code {code}\n{w.Describe()}"

    /// Kills a child (SIGKILL) and waits until it is gone.
    member w.Kill(i: int) =
        let c = w.Child i
        c.Process.Kill(true)
        c.Process.WaitForExit()

    /// True when no child is running.
    member _.AllExited = children |> Array.forall (fun c -> c.Process.HasExited)

    interface IDisposable with
        member _.Dispose() =
            if not disposed then
                disposed <- true
                for c in children do
                    try
                        if not c.Process.HasExited then
                            c.Process.Kill(true)
                            c.Process.WaitForExit(10000) |> ignore
                    with _ -> ()
                    c.Process.Dispose()
                (scratch :> IDisposable).Dispose()

/// A world of n ranks with world size n.
let world (scenario: string) (n: int) (meeting: Meeting) (timeoutMs: int) =
    new World(scenario, [ for r in 0 .. n - 1 -> r, n ], meeting, timeoutMs)

/// A fresh FileStore path (the file does not exist yet).
let fileMeeting () = FileStore(Path.Combine(Path.GetTempPath(), $"snndsl-store-{Guid.NewGuid():N}"))
