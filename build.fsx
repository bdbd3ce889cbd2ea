// SnnDsl build script: `dotnet fsi build.fsx <target>`.
// Targets (each builds what it needs first):
//   deps    check libtorch, OpenBLAS, cmake, g++, python3-h5py, libnvrtc; installs them with apt-get when root on Debian
//   native  build the C++ shim (src/SnnDsl.Native) with CMake into build/native
//   build   build the whole solution (Release)
//   test    run every test project and print "N passed, N failed": the C# tests with `dotnet test` (xunit), the
//           F# tests as Expecto executables; `test --filter TEXT` selects tests whose name contains TEXT in
//           both, arguments after `--` go to the Expecto runners (e.g. `test -- --summary`)
//   bench   binding vs PyTorch: conv2d+spike (bench/SnnDsl.Bench) and the default model's training step
//           (bench/train-step.fsx); needs Debian's python3-torch
//   demo    the main job: `snn train` on the embedded synthetic dataset (writes runs/demo)
//   pack    the NuGet packages into artifacts/packages/: one per library, the `snn` tool, the templates; registers
//           that folder as the NuGet source snndsl-local (what the notebooks restore from)
//   notebooks  pack, then run every notebook of examples/notebooks/ in the .NET Interactive kernel (dotnet-repl,
//           installed into artifacts/tools) and write the copies with their outputs into docs/notebooks/
// Environment: CMAKE_PREFIX_PATH or Torch_DIR point CMake at another libtorch (e.g. a CUDA build).

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions

let root = __SOURCE_DIRECTORY__
let args = fsi.CommandLineArgs |> Array.skip 1
let target = if args.Length = 0 then "help" else args[0]
let extraArgs = if args.Length > 1 then args[1..] else [||]

let fail (msg: string) =
    eprintfn "build.fsx: %s" msg
    exit 1

/// Runs a command, streaming its output; returns the exit code.
let runCode (file: string) (arguments: string) (echo: string -> unit) =
    printfn "> %s %s" file arguments
    let psi = ProcessStartInfo(file, arguments, WorkingDirectory = root, UseShellExecute = false)
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    use p = new Process(StartInfo = psi)
    p.OutputDataReceived.Add(fun e -> if not (isNull e.Data) then echo e.Data)
    p.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then eprintfn "%s" e.Data)
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p.WaitForExit()
    p.ExitCode

let run file arguments =
    let code = runCode file arguments (printfn "%s")
    if code <> 0 then fail $"'{file} {arguments}' exited with code {code}"

let commandExists (name: string) =
    (Environment.GetEnvironmentVariable "PATH").Split(':')
    |> Array.exists (fun d -> File.Exists(Path.Combine(d, name)))

// ---------------------------------------------------------------- deps

// libgloo-dev: the headers of the Gloo that Debian's libtorch was built with (distributed training, c10d).
// python3-h5py: the independent NIR writer and reader of tests/SnnDsl.Nir.Tests (run as /usr/bin/python3).
let aptPackages = [ "libtorch-dev"; "libgloo-dev"; "libopenblas0-pthread"; "cmake"; "g++"; "python3-h5py" ]

let torchFound () =
    let fromEnv =
        [ "Torch_DIR"; "CMAKE_PREFIX_PATH" ]
        |> List.exists (fun v -> not (String.IsNullOrEmpty(Environment.GetEnvironmentVariable v)))
    fromEnv || File.Exists "/usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake"
    || File.Exists "/usr/lib/aarch64-linux-gnu/cmake/Torch/TorchConfig.cmake"

let openBlasFound () =
    [ "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"; "/usr/lib/aarch64-linux-gnu/libopenblas.so.0" ]
    |> List.exists File.Exists

/// Gloo's headers, for the shim's c10d process groups (only checked for the system libtorch: another libtorch
/// brings its own, or builds the shim without Gloo and says so).
let glooFound () =
    let customTorch =
        [ "Torch_DIR"; "CMAKE_PREFIX_PATH" ]
        |> List.exists (fun v -> not (String.IsNullOrEmpty(Environment.GetEnvironmentVariable v)))
    customTorch || File.Exists "/usr/include/gloo/config.h"

/// NVRTC, which the tests use to compile every generated CUDA kernel to PTX without a GPU (x86-64 Debian:
/// libnvrtc11.2 from the non-free component, NVRTC 11.8).
let nvrtcFound () =
    Runtime.InteropServices.RuntimeInformation.OSArchitecture <> Runtime.InteropServices.Architecture.X64
    || File.Exists "/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2"

/// Adds Debian's non-free component (for libnvrtc) when no apt source has it.
let ensureNonFree () =
    let sources =
        [ yield! (if Directory.Exists "/etc/apt/sources.list.d" then Directory.GetFiles "/etc/apt/sources.list.d" else [||])
          if File.Exists "/etc/apt/sources.list" then yield "/etc/apt/sources.list" ]
        |> List.filter (fun f -> f.EndsWith ".list" || f.EndsWith ".sources")
    let hasNonFree = sources |> List.exists (fun f -> Text.RegularExpressions.Regex.IsMatch(File.ReadAllText f, @"\bnon-free\b"))
    if not hasNonFree then
        let codename =
            File.ReadAllLines "/etc/os-release"
            |> Array.tryPick (fun l -> if l.StartsWith "VERSION_CODENAME=" then Some(l.Substring(17).Trim('"')) else None)
            |> Option.defaultValue "bookworm"
        printfn "deps: adding Debian's non-free component (%s) for libnvrtc" codename
        File.WriteAllText("/etc/apt/sources.list.d/snndsl-nonfree.sources",
            $"Types: deb\nURIs: http://deb.debian.org/debian\nSuites: {codename}\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")

let missingDeps () =
    [ if not (torchFound ()) then "libtorch-dev"
      if not (nvrtcFound ()) then "libnvrtc11.2"
      if not (glooFound ()) then "libgloo-dev"
      if not (openBlasFound ()) then "libopenblas0-pthread"
      if not (commandExists "cmake") then "cmake"
      if not (commandExists "g++") then "g++"
      if not (Directory.Exists "/usr/lib/python3/dist-packages/h5py") then "python3-h5py" ]

let deps () =
    match missingDeps () with
    | [] -> printfn "deps: libtorch, OpenBLAS, cmake, g++ and NVRTC found"
    | missing ->
        let isRoot = Environment.UserName = "root"
        let isDebian = File.Exists "/etc/debian_version"
        let packages = aptPackages @ (if List.contains "libnvrtc11.2" missing then [ "libnvrtc11.2" ] else [])
        let install = "apt-get install -y " + String.Join(" ", packages)
        if isRoot && isDebian then
            printfn "deps: installing %s" (String.Join(", ", missing))
            if List.contains "libnvrtc11.2" missing then ensureNonFree ()
            run "apt-get" "update -q"
            runCode "apt-get" ("install -y -q " + String.Join(" ", packages)) ignore
            |> fun c -> if c <> 0 then fail $"apt-get install failed with code {c}"
            match missingDeps () with
            | [] -> ()
            | still -> fail $"still missing after apt-get: {still}"
        else
            let nonFree = if List.contains "libnvrtc11.2" missing then " (libnvrtc11.2 is in Debian's non-free component)" else ""
            fail $"missing {missing}{nonFree}; install them with:\n  sudo apt-get update && sudo {install}"

// ---------------------------------------------------------------- native, build

let native () =
    deps ()
    let extra =
        match Environment.GetEnvironmentVariable "Torch_DIR" with
        | null | "" -> ""
        | d -> $" -DTorch_DIR=\"{d}\""
    run "cmake" ($"-S src/SnnDsl.Native -B build/native -DCMAKE_BUILD_TYPE=Release" + extra)
    run "cmake" "--build build/native -j 2"

let build () =
    native ()
    run "dotnet" "build SnnDsl.sln -c Release -p:SkipNativeBuild=true -nologo -v:q"

// ---------------------------------------------------------------- pack

/// Where `pack` writes the packages (.nupkg and .snupkg); emptied first, so it holds one version only.
let packagesDir = Path.Combine(root, "artifacts", "packages")

/// The packages of every packable project of the solution (the libraries under src/, the `snn` tool, the
/// templates), from the Release build.
let pack () =
    build ()
    if Directory.Exists packagesDir then Directory.Delete(packagesDir, true)
    run "dotnet" $"pack SnnDsl.sln -c Release --no-build -nologo -v:q -p:SkipNativeBuild=true \"-p:PackageOutputPath={packagesDir}/\""
    let written = Directory.GetFiles(packagesDir, "*.nupkg") |> Array.map Path.GetFileName |> Array.sort
    for p in written do printfn "  %s" p
    printfn "pack: %d packages in %s" written.Length packagesDir
    // Notebooks say only `#r "nuget: SnnDsl.Interactive, <version>"`: the feed is a NuGet source of the
    // user's (named snndsl-local), and a package of this version that NuGet cached from an earlier pack is
    // removed, so the kernel restores the one just built.
    let cache =
        match Environment.GetEnvironmentVariable "NUGET_PACKAGES" with
        | null | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
        | p -> p
    let version = (File.ReadAllText(Path.Combine(root, "Directory.Build.props")) |> fun t -> t.Substring(t.IndexOf "<Version>" + 9)).Split('<')[0]
    for file in written do
        let id = file.Substring(0, file.Length - version.Length - ".nupkg".Length - 1)
        let cached = Path.Combine(cache, id.ToLowerInvariant(), version)
        if Directory.Exists cached then Directory.Delete(cached, true)
    let sources = Text.StringBuilder()
    runCode "dotnet" "nuget list source" (sources.AppendLine >> ignore) |> ignore
    let listed = sources.ToString()
    if listed.Contains "snndsl-local" && listed.Contains packagesDir then ()
    elif listed.Contains "snndsl-local" then run "dotnet" $"nuget update source snndsl-local --source \"{packagesDir}\""
    else run "dotnet" $"nuget add source \"{packagesDir}\" --name snndsl-local"
    printfn "pack: NuGet source snndsl-local is %s; notebooks restore SnnDsl %s from it" packagesDir version

// ---------------------------------------------------------------- notebooks

/// The rendered notebooks: each of examples/notebooks/ run in the kernel from the packages just packed, its
/// outputs kept, written to docs/notebooks/ (readers see results without running anything).
let notebooks () =
    pack ()
    let tools = Path.Combine(root, "artifacts", "tools")
    let repl = Path.Combine(tools, "dotnet-repl")
    if not (File.Exists repl) then run "dotnet" $"tool install dotnet-repl --version 0.3.259 --tool-path \"{tools}\""
    let outDir = Path.Combine(root, "docs", "notebooks")
    Directory.CreateDirectory outDir |> ignore
    let data = Path.GetFullPath(Path.Combine(root, "..", "shared", "data"))
    if Directory.Exists data then Environment.SetEnvironmentVariable("SNNDSL_DATA", data)
    // What the notebooks write (the quick start's loss chart) goes to a temporary folder, not beside the repository.
    Environment.SetEnvironmentVariable("SNNDSL_OUT", Directory.CreateTempSubdirectory("snndsl-notebooks").FullName)
    for nb in Directory.GetFiles(Path.Combine(root, "examples", "notebooks"), "*.ipynb") |> Array.sort do
        let kernel = if File.ReadAllText(nb).Contains "\"defaultKernelName\": \"csharp\"" then "csharp" else "fsharp"
        let target = Path.Combine(outDir, Path.GetFileName nb)
        let code = runCode repl $"--run \"{nb}\" --exit-after-run --default-kernel {kernel} --output-format ipynb --output-path \"{target}\"" ignore
        if code <> 0 then fail $"{Path.GetFileName nb} failed in the kernel (exit {code}); its outputs are in {target}"
        printfn "notebooks: %s" (Path.GetRelativePath(root, target))

// ---------------------------------------------------------------- test

/// How a test project runs: the C# tests on xunit through `dotnet test`, the F# tests as Expecto executables.
type TestKind =
    | Xunit
    | Expecto

/// Test projects under tests/: xunit ones reference the test SDK, Expecto ones are executables that reference
/// Expecto. Support libraries (the F# test kit, the F# neurons the C# generator tests scan) are built, not run.
let testProjects () =
    Directory.GetFiles(Path.Combine(root, "tests"), "*.*proj", SearchOption.AllDirectories)
    |> Array.filter (fun p -> p.EndsWith ".fsproj" || p.EndsWith ".csproj")
    |> Array.sort
    |> Array.choose (fun p ->
        let text = File.ReadAllText p
        if text.Contains "Microsoft.NET.Test.Sdk" then Some(p, Xunit)
        elif text.Contains "<OutputType>Exe</OutputType>" && text.Contains "<PackageReference Include=\"Expecto\"" then
            Some(p, Expecto)
        else None)

/// The arguments after `test`: those before a `--` go to `dotnet test` (xunit); `--filter EXPR` also selects
/// Expecto tests, translated to `--filter-test-case TEXT` when EXPR is TEXT, `FullyQualifiedName~TEXT`,
/// `Name~TEXT` or `DisplayName~TEXT` (a test name substring); those after a `--` go to the Expecto runners.
let testArgs () =
    let split = Array.tryFindIndex ((=) "--") extraArgs
    let forXunit, forExpecto =
        match split with
        | Some i -> extraArgs[.. i - 1], extraArgs[i + 1 ..]
        | None -> extraArgs, [||]
    let translated =
        [ for i in 0 .. forXunit.Length - 1 do
              let expr =
                  if forXunit[i] = "--filter" && i + 1 < forXunit.Length then Some forXunit[i + 1]
                  elif forXunit[i].StartsWith "--filter=" then Some(forXunit[i].Substring "--filter=".Length)
                  else None
              match expr with
              | Some e ->
                  let m = Regex.Match(e, @"^(?:(?:FullyQualifiedName|Name|DisplayName)~)?([^=~!&|()]+)$")
                  if not m.Success then
                      fail $"--filter {e}: only a name substring (TEXT or Name~TEXT) selects tests in both xunit and Expecto"
                  yield "--filter-test-case"
                  yield m.Groups[1].Value
              | None -> () ]
    forXunit, Array.append (Array.ofList translated) forExpecto

/// Quotes an argument for a command line.
let quote (a: string) = if a = "" || a.IndexOfAny [| ' '; '"'; '\'' |] >= 0 then "\"" + a.Replace("\"", "\\\"") + "\"" else a

let test () =
    build ()
    let xunitSummary = Regex(@"(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)")
    let expectoSummary =
        Regex(@"EXPECTO! [\d,]+ tests run in .*?([\d,]+) passed, ([\d,]+) ignored, ([\d,]+) failed, ([\d,]+) errored")
    let number (g: Group) = int (g.Value.Replace(",", ""))
    let forXunit, forExpecto = testArgs ()
    let filtered = extraArgs.Length > 0
    let mutable passed, failed, skipped, broken = 0, 0, 0, []
    for proj, kind in testProjects () do
        let name = Path.GetFileNameWithoutExtension proj
        let mutable counted = false
        let echo (line: string) =
            printfn "%s" line
            let x = xunitSummary.Match line
            let e = expectoSummary.Match line
            if kind = Xunit && x.Success then
                counted <- true
                failed <- failed + number x.Groups[2]
                passed <- passed + number x.Groups[3]
                skipped <- skipped + number x.Groups[4]
            elif kind = Expecto && e.Success then
                counted <- true
                passed <- passed + number e.Groups[1]
                skipped <- skipped + number e.Groups[2]
                failed <- failed + number e.Groups[3] + number e.Groups[4]
        let code =
            match kind with
            | Xunit ->
                let filter = String.Join("", forXunit |> Array.map (fun a -> " " + quote a))
                runCode "dotnet" $"test \"{proj}\" -c Release --no-build -nologo{filter}" echo
            | Expecto ->
                let args = String.Join("", forExpecto |> Array.map (fun a -> " " + quote a))
                runCode "dotnet" $"run --project \"{proj}\" -c Release --no-build -- --no-spinner --colours 0{args}" echo
        // A test project that printed no summary ran nothing: broken whatever its exit code. (Only `dotnet test`
        // with a filter that matches none of its tests rightly prints none; Expecto always prints one.)
        if not counted && (code <> 0 || not filtered || kind = Expecto) then broken <- name :: broken
    if not broken.IsEmpty then
        eprintfn "test projects that failed to run: %s" (String.Join(", ", List.rev broken))
        failed <- failed + broken.Length
    printfn ""
    if skipped > 0 then printfn "%d passed, %d failed, %d skipped" passed failed skipped
    else printfn "%d passed, %d failed" passed failed
    if failed > 0 || passed = 0 then exit 1

// ---------------------------------------------------------------- bench, demo

let bench () =
    build ()
    let benchProj = Path.Combine(root, "bench", "SnnDsl.Bench", "SnnDsl.Bench.fsproj")
    if not (File.Exists benchProj) then fail "bench/SnnDsl.Bench is missing"
    let benchArgs = if extraArgs.Length > 0 then String.Join(" ", extraArgs) else "conv-spike"
    run "dotnet" ($"run -c Release --no-build --project \"{benchProj}\" -- " + benchArgs)
    if extraArgs.Length = 0 then run "dotnet" "fsi bench/train-step.fsx"

/// The main job: `snn train` with its defaults (small conv net, DA-LIF, embedded synthetic data) into
/// runs/demo (replaced on each run); extra arguments go to `snn train`.
let demo () =
    build ()
    let out = Path.Combine(root, "runs", "demo")
    if Directory.Exists out then Directory.Delete(out, true)
    let snn = Path.Combine(root, "src", "SnnDsl.Cli", "bin", "Release", "net10.0", "snn.dll")
    run "dotnet" ($"\"{snn}\" train --out \"{out}\" " + String.Join(" ", extraArgs))

match target with
| "deps" -> deps ()
| "native" -> native ()
| "build" -> build ()
| "test" -> test ()
| "bench" -> bench ()
| "demo" -> demo ()
| "pack" -> pack ()
| "notebooks" -> notebooks ()
| _ ->
    printfn "usage: dotnet fsi build.fsx deps|native|build|test|bench|demo|pack|notebooks [args...]"
    if target <> "help" then exit 2
