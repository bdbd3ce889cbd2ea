namespace SnnDsl.Backends

open System
open System.Collections.Concurrent
open System.Diagnostics
open System.IO
open SnnDsl.Core

/// Generated kernel sources compiled by the system's C++ compiler (the one the shim's build already needs)
/// into shared objects, cached on disk by a hash of source, compiler and flags, so each program compiles
/// once per machine. SNNDSL_CXX (or CXX) names the compiler, SNNDSL_CXXFLAGS adds flags (e.g.
/// -mno-avx512f), SNNDSL_KERNEL_CACHE names the folder.
[<RequireQualifiedAccess>]
module KernelCache =
    /// The flags every kernel is compiled with: optimised for this machine's vector units; a * b + c may
    /// become one fused multiply-add (one rounding instead of two: within the laws' tolerances).
    let baseFlags = [ "-std=c++17"; "-O2"; "-march=native"; "-fPIC"; "-shared"; "-ffp-contract=fast"; "-fno-math-errno"; "-w" ]

    /// The flags of the next compile: the base flags, then SNNDSL_CXXFLAGS.
    let flags () =
        match Environment.GetEnvironmentVariable "SNNDSL_CXXFLAGS" with
        | null | "" -> baseFlags
        | extra -> baseFlags @ (extra.Split(' ', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray)

    let private onPath (name: string) =
        (Environment.GetEnvironmentVariable "PATH" |> Option.ofObj |> Option.defaultValue "").Split(':')
        |> Array.map (fun d -> Path.Combine(d, name))
        |> Array.tryFind File.Exists

    let private run (file: string) (args: string list) (timeoutMs: int) =
        let psi = ProcessStartInfo(file, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
        for a in args do psi.ArgumentList.Add a
        use p = Process.Start psi
        let out = p.StandardOutput.ReadToEndAsync()
        let err = p.StandardError.ReadToEndAsync()
        if not (p.WaitForExit timeoutMs) then
            (try p.Kill true with _ -> ())
            -1, "", $"timed out after {timeoutMs / 1000} s"
        else p.ExitCode, out.Result, err.Result

    /// The compiler and its version line, or why there is none.
    let compiler: Lazy<Result<string * string, string>> =
        lazy
            (let named =
                [ "SNNDSL_CXX"; "CXX" ] |> List.tryPick (fun v -> Environment.GetEnvironmentVariable v |> Option.ofObj |> Option.filter ((<>) ""))
             let candidate =
                 match named with
                 | Some c when c.Contains '/' -> if File.Exists c then Some c else None
                 | Some c -> onPath c
                 | None -> [ "c++"; "g++"; "clang++" ] |> List.tryPick onPath
             match candidate with
             | None ->
                 match named with
                 | Some c -> Error $"the C++ compiler '{c}' (from SNNDSL_CXX or CXX) was not found"
                 | None -> Error "no C++ compiler (c++, g++ or clang++) is on PATH"
             | Some cxx ->
                 try
                     match run cxx [ "--version" ] 30000 with
                     | 0, out, _ -> Ok(cxx, (out.Split('\n')[0]).Trim())
                     | code, _, err -> Error $"the C++ compiler '{cxx}' does not run (--version exited {code}: {err.Trim()})"
                 with e -> Error $"the C++ compiler '{cxx}' does not run: {e.Message}")

    /// Why kernels cannot be compiled here, if they cannot.
    let unavailable () =
        match compiler.Force() with
        | Ok _ -> None
        | Error why -> Some why

    /// The cache folder.
    let folder () =
        match Environment.GetEnvironmentVariable "SNNDSL_KERNEL_CACHE" with
        | null | "" ->
            let baseDir =
                match Environment.GetEnvironmentVariable "XDG_CACHE_HOME" with
                | null | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".cache")
                | d -> d
            Path.Combine(baseDir, "snndsl", "kernels")
        | d -> d

    // -march=native makes a kernel specific to this kind of processor: the key includes it.
    let private machine =
        lazy
            (try
                File.ReadLines "/proc/cpuinfo"
                |> Seq.filter (fun l -> l.StartsWith "model name" || l.StartsWith "flags")
                |> Seq.truncate 2
                |> String.concat "\n"
             with _ -> Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString())

    let private compiled = ConcurrentDictionary<string, Lazy<string>>()

    let private safe (name: string) =
        String(name |> Seq.map (fun c -> if Char.IsLetterOrDigit c || c = '-' then c else '_') |> Array.ofSeq)

    let private build (name: string) (source: string) (flags: string list) (key: string) =
        let cxx, _ =
            match compiler.Force() with
            | Ok c -> c
            | Error why -> Fail.native $"cannot compile the fused kernel of '{name}': {why}"
        let dir = folder ()
        Directory.CreateDirectory dir |> ignore
        let final = Path.Combine(dir, $"{safe name}-{key[..15]}.so")
        if not (File.Exists final) then
            // Compile to private names, then rename: a concurrent process sees the old state or the whole file.
            let tmp = Path.Combine(dir, $".{safe name}-{key[..15]}-{Environment.ProcessId}-{Guid.NewGuid():N}")
            File.WriteAllText(tmp + ".cpp", source)
            try
                match run cxx (flags @ [ "-o"; tmp + ".so"; tmp + ".cpp" ]) 600000 with
                | 0, _, _ ->
                    File.Move(tmp + ".so", final, true)
                    File.Move(tmp + ".cpp", Path.ChangeExtension(final, ".cpp"), true)
                | code, _, err ->
                    let tail = err.Split('\n') |> Array.truncate 30 |> String.concat "\n"
                    Fail.native $"compiling the fused kernel of '{name}' with {cxx} failed (exit {code}); source kept at {tmp}.cpp:\n{tail}"
            finally
                if File.Exists(tmp + ".so") then File.Delete(tmp + ".so")
        final

    /// The path of the shared object built from `source` (compiled now, or found in the cache).
    let get (name: string) (source: string) : string =
        let identity =
            match compiler.Force() with
            | Ok(cxx, version) -> cxx + "\n" + version
            | Error why -> why
        let flags = flags ()
        let key = Codegen.hash (source + "\n" + identity + "\n" + String.concat " " flags + "\n" + machine.Force())
        let entry = compiled.GetOrAdd(key, fun k -> lazy (build name source flags k))
        try entry.Force()
        with _ ->
            // A failed build is not remembered: the next call tries again (and fails again with its reason).
            compiled.TryRemove(key) |> ignore
            reraise ()
