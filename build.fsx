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
//   shim-check  compile every shim source (g++ -fsyntax-only) against Debian trixie's libtorch 2.6 headers, which it
//           downloads once into build/libtorch-2.6 with a private apt configuration (installs nothing); fused_cuda.cpp
//           only where CUDA's headers are ($CUDA_HOME/include, /usr/local/cuda/include, /usr/include)
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

/// Runs a command in a folder, each line of its output and of its errors to a sink; returns the exit code.
let exec (dir: string) (file: string) (arguments: string) (onOutput: string -> unit) (onError: string -> unit) =
    let psi = ProcessStartInfo(file, arguments, WorkingDirectory = dir, UseShellExecute = false)
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    use p = new Process(StartInfo = psi)
    p.OutputDataReceived.Add(fun e -> if not (isNull e.Data) then onOutput e.Data)
    p.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then onError e.Data)
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p.WaitForExit()
    p.ExitCode

/// Runs a command, streaming its output; returns the exit code.
let runCode (file: string) (arguments: string) (echo: string -> unit) =
    printfn "> %s %s" file arguments
    exec root file arguments echo (eprintfn "%s")

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

/// An apt sources entry (deb822) for one suite and component of Debian's archive.
let debianSources (suite: string) (comp: string) (keyring: string) =
    $"Types: deb\nURIs: http://deb.debian.org/debian\nSuites: {suite}\nComponents: {comp}\nSigned-By: {keyring}\n"

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
            debianSources codename "non-free" "/usr/share/keyrings/debian-archive-keyring.gpg")

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

// ---------------------------------------------------------------- shim-check

/// Debian trixie's libtorch 2.6 headers for shim-check: a private apt configuration (its own sources file,
/// lists, cache and an empty dpkg status) downloads the .debs and `dpkg -x` extracts them into root/; nothing is
/// installed and the system's apt sources are not touched.
let libtorch26Dir = Path.Combine(root, "build", "libtorch-2.6")
let libtorch26Root = Path.Combine(libtorch26Dir, "root")

/// libtorch-dev: torch, ATen and c10 (their cuda/ headers too); libgloo-dev: the Gloo that trixie's libtorch was
/// built with (libgloo0 of trixie), for ProcessGroupGloo.hpp.
let trixiePackages = [ "libtorch-dev"; "libgloo-dev" ]

/// Runs a command in a folder, echoing nothing; returns its exit code and its output (stdout and stderr).
let capture (dir: string) (file: string) (arguments: string) =
    let lines = Collections.Concurrent.ConcurrentQueue<string>()
    let code = exec dir file arguments lines.Enqueue lines.Enqueue
    code, List.ofSeq lines

/// Downloads and extracts trixiePackages, unless a run already did (packages.txt lists the .debs extracted).
let fetchLibtorch26 () =
    let watch = Stopwatch.StartNew()
    let stamp = Path.Combine(libtorch26Dir, "packages.txt")
    let versionH = Path.Combine(libtorch26Root, "usr", "include", "torch", "csrc", "api", "include", "torch", "version.h")
    if File.Exists stamp && File.Exists versionH then
        let debs = String.Join(", ", File.ReadAllLines stamp)
        printfn "shim-check: trixie's headers already in build/libtorch-2.6/root (%s)" debs
    else
        for tool in [ "apt-get"; "dpkg" ] do
            if not (commandExists tool) then fail $"shim-check needs {tool} (Debian) to download trixie's libtorch-dev"
        // Debian's archive keyring (debian-archive-keyring, 2023.3 and later) holds trixie's keys too.
        let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
        if not (File.Exists keyring) then fail $"shim-check: {keyring} is missing (apt-get install debian-archive-keyring)"
        let apt = Path.Combine(libtorch26Dir, "apt")
        let debs = Path.Combine(libtorch26Dir, "debs")
        for d in [ Path.Combine(apt, "lists", "partial"); Path.Combine(apt, "cache", "archives", "partial"); debs ] do
            Directory.CreateDirectory d |> ignore
        let sources = Path.Combine(apt, "trixie.sources")
        File.WriteAllText(sources, debianSources "trixie" "main" keyring)
        let status = Path.Combine(apt, "status")
        File.WriteAllText(status, "")
        // Only this sources file, no pinning, no DEP-11 metadata or translations; as root, no download as _apt
        // (it cannot write into build/).
        let options =
            [ $"Dir::Etc::SourceList={sources}"; "Dir::Etc::SourceParts=/dev/null"; "Dir::Etc::Preferences=/dev/null"
              "Dir::Etc::PreferencesParts=/dev/null"; $"Dir::State::Lists={apt}/lists"; $"Dir::Cache={apt}/cache"
              $"Dir::State::status={status}"; "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
              "Acquire::Languages=none"; "APT::Sandbox::User=root" ]
            |> List.map (fun o -> "-o " + quote o)
            |> fun os -> String.Join(" ", os)
        let why = "(it needs deb.debian.org and write access to build/libtorch-2.6; run as root where apt refuses a user)"
        let updated = runCode "apt-get" $"-q {options} update" (printfn "%s")
        if updated <> 0 then fail $"shim-check: apt-get update of trixie's lists failed with code {updated} {why}"
        for f in Directory.GetFiles(debs, "*.deb") do File.Delete f
        let arguments = $"-q {options} download " + String.Join(" ", trixiePackages)
        printfn "> apt-get %s" arguments
        let downloaded, output = capture debs "apt-get" arguments
        for l in output do printfn "%s" l
        if downloaded <> 0 then fail $"shim-check: apt-get download failed with code {downloaded} {why}"
        let files = Directory.GetFiles(debs, "*.deb") |> Array.sort
        if Directory.Exists libtorch26Root then Directory.Delete(libtorch26Root, true)
        for deb in files do run "dpkg" $"-x {quote deb} {quote libtorch26Root}"
        if not (File.Exists versionH) then fail $"shim-check: no torch/version.h in the .debs extracted from {debs}"
        File.WriteAllLines(stamp, files |> Array.map Path.GetFileName)
        let size = files |> Array.sumBy (fun f -> FileInfo(f).Length)
        printfn "shim-check: %d packages downloaded (%.1f MB), extracted into build/libtorch-2.6/root in %.1f s"
            files.Length (float size / 1e6) watch.Elapsed.TotalSeconds

/// The CUDA headers fused_cuda.cpp includes, itself and through ATen/cuda/CUDAContext.h.
let cudaHeaders =
    [ "cuda.h"; "nvrtc.h"; "cuda_runtime_api.h"; "cublas_v2.h"; "cublasLt.h"; "cusparse.h"; "cusolverDn.h" ]

/// The folder with CUDA's headers ($CUDA_HOME/include, $CUDA_PATH/include, /usr/local/cuda/include, or
/// /usr/include as from Debian's nvidia-cuda-dev), or why there is none.
let cudaInclude () =
    let candidates =
        [ for v in [ "CUDA_HOME"; "CUDA_PATH" ] do
              match Environment.GetEnvironmentVariable v with
              | null | "" -> ()
              | d -> Path.Combine(d, "include")
          "/usr/local/cuda/include"
          "/usr/include" ]
    match candidates |> List.tryFind (fun d -> File.Exists(Path.Combine(d, "cuda.h"))) with
    | None -> Error("no cuda.h in " + String.Join(", ", candidates) + " (Debian: nvidia-cuda-dev, libcu++-dev; or CUDA_HOME)")
    | Some dir ->
        let found h = File.Exists(Path.Combine(dir, h)) || File.Exists(Path.Combine("/usr/include", h))
        match cudaHeaders |> List.filter (found >> not) with
        | [] -> Ok dir
        | missing -> Error(dir + " has cuda.h but not " + String.Join(", ", missing))

/// Every shim source compiled with `g++ -fsyntax-only` against trixie's libtorch 2.6 headers, as CMakeLists.txt
/// compiles it (C++17, its warnings, -fopenmp, torch_cpu's definitions, USE_C10D_GLOO), in parallel.
let shimCheck () =
    let watch = Stopwatch.StartNew()
    if not (commandExists "g++") then fail "shim-check needs g++"
    fetchLibtorch26 ()
    let cmakeText name =
        Directory.GetFiles(Path.Combine(libtorch26Root, "usr", "lib"), name, SearchOption.AllDirectories)
        |> Array.tryHead
        |> Option.map File.ReadAllText
        |> Option.defaultWith (fun () -> fail $"shim-check: no {name} in build/libtorch-2.6/root/usr/lib")
    let definitions =
        let pattern = "set_target_properties\\(torch_cpu PROPERTIES\\s+INTERFACE_COMPILE_DEFINITIONS \"([^\"]*)\""
        let m = Regex.Match(cmakeText "Caffe2Targets.cmake", pattern)
        if not m.Success then fail "shim-check: no compile definitions of torch_cpu in Caffe2Targets.cmake"
        m.Groups[1].Value.Split(';', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
    let cxxFlags =
        let m = Regex.Match(cmakeText "TorchConfig.cmake", "set\\(TORCH_CXX_FLAGS \"([^\"]*)\"\\)")
        if m.Success then m.Groups[1].Value else ""
    let inc = Path.Combine(libtorch26Root, "usr", "include")
    let api = Path.Combine(inc, "torch", "csrc", "api", "include")
    // The shim's folders, then trixie's headers as system headers: searched before /usr/include (libtorch 1.13).
    let preprocessor =
        String.Join(" ",
            [ "-std=c++17"; cxxFlags ] @ (definitions |> List.map (fun d -> "-D" + d))
            @ [ "-Isrc/SnnDsl.Native/include"; "-Isrc/SnnDsl.Native/src"
                "-isystem " + quote inc; "-isystem " + quote api ])
    let probe = Path.Combine(libtorch26Dir, "probe.cpp")
    File.WriteAllText(probe,
        "#include <torch/version.h>\nsnndsl_torch_version TORCH_VERSION_MAJOR TORCH_VERSION_MINOR TORCH_VERSION_PATCH\n")
    let version =
        match capture root "g++" $"-E -P {preprocessor} {quote probe}" with
        | 0, output ->
            output |> List.tryPick (fun l ->
                let m = Regex.Match(l, @"^snndsl_torch_version (\d+) (\d+) (\d+)")
                let g (i: int) = m.Groups[i].Value
                if m.Success then Some(int (g 1), $"{g 1}.{g 2}.{g 3}") else None)
        | _, output -> fail ("shim-check: the torch/version.h probe failed:\n" + String.Join("\n", output))
    let version =
        match version with
        | Some(major, v) when major >= 2 -> v
        | Some(_, v) -> fail $"shim-check: the compiler sees libtorch {v}, not trixie's 2.x: check the include paths"
        | None -> fail "shim-check: the torch/version.h probe printed no version"
    printfn "shim-check: the compiler sees libtorch %s (torch/version.h)" version
    let sources = Directory.GetFiles(Path.Combine(root, "src", "SnnDsl.Native", "src"), "*.cpp") |> Array.sort
    let cuda = cudaInclude ()
    // c10/cuda/impl/cuda_cmake_macros.h comes only with a CUDA libtorch (libtorch-cuda-dev); it defines
    // C10_CUDA_BUILD_SHARED_LIBS, which matters on Windows only.
    let cudaFlag =
        "-DC10_CUDA_NO_CMAKE_CONFIGURE_FILE"
        + match cuda with
          | Ok "/usr/include" | Error _ -> ""
          | Ok dir -> " -isystem " + quote dir
    // nccl.h: where CMakeLists.txt looks (beside libtorch, CUDA, $NCCL_ROOT/include), for distributed.cpp with NCCL.
    let nccl =
        match cuda with
        | Error _ -> None
        | Ok dir ->
            [ dir; "/usr/include"
              match Environment.GetEnvironmentVariable "NCCL_ROOT" with
              | null | "" -> ()
              | r -> Path.Combine(r, "include") ]
            |> List.tryFind (fun d -> File.Exists(Path.Combine(d, "nccl.h")))
    // (label, source, flags beyond the common ones): fused_nocuda.cpp always, fused_cuda.cpp with CUDA's headers.
    let units =
        [ for s in sources do
              let name = Path.GetFileName s
              let source = Path.GetRelativePath(root, s)
              match name with
              | "fused_cuda.cpp" -> if cuda.IsOk then yield name, source, cudaFlag
              | "distributed.cpp" ->
                  yield name, source, (if List.contains "USE_C10D_GLOO" definitions then "" else "-DUSE_C10D_GLOO")
                  match nccl with
                  | Some d ->
                      let ncclFlag = if d = "/usr/include" then "" else "-isystem " + quote d
                      yield name + " +NCCL", source, $"-DUSE_C10D_GLOO -DUSE_C10D_NCCL {cudaFlag} {ncclFlag}"
                  | None -> ()
              | _ -> yield name, source, "" ]
    match cuda with
    | Error why -> printfn "shim-check: fused_cuda.cpp (and distributed.cpp with NCCL) skipped, they need CUDA's headers: %s" why
    | Ok dir when nccl.IsNone -> printfn "shim-check: CUDA headers in %s; distributed.cpp with NCCL skipped: no nccl.h" dir
    | Ok dir -> printfn "shim-check: CUDA headers in %s, nccl.h found" dir
    let depsDir = Path.Combine(libtorch26Dir, "deps")
    Directory.CreateDirectory depsDir |> ignore
    let jobs = Environment.ProcessorCount
    printfn "shim-check: %d sources, -j %d" units.Length jobs
    let console = obj ()
    let compile (i: int) (label: string, source: string, extra: string) =
        async {
            let depFile = Path.Combine(depsDir, $"{i}.d")
            if File.Exists depFile then File.Delete depFile
            let sw = Stopwatch.StartNew()
            let flags = $"-fsyntax-only -Wall -Wextra -Wno-unused-parameter -fopenmp {preprocessor} {extra}"
            let code, output = capture root "g++" $"{flags} -MD -MF {quote depFile} {source}"
            // A header of the system's libtorch 1.13 or its Gloo (/usr/include) means an include path is wrong.
            let leaked =
                if File.Exists depFile then
                    File.ReadAllText(depFile).Split([| ' '; '\n'; '\\' |], StringSplitOptions.RemoveEmptyEntries)
                    |> Array.filter (fun p -> Regex.IsMatch(p, "^/usr/include/(torch|ATen|c10|caffe2|gloo)/"))
                    |> Array.distinct
                else [||]
            let errors = output |> List.filter (fun l -> l.Contains ": error:" || l.Contains ": fatal error:")
            let warnings = output |> List.filter (fun l -> l.Contains ": warning:")
            let ok = code = 0 && leaked.Length = 0
            lock console (fun () ->
                let notes = if warnings.IsEmpty then "" else $", {warnings.Length} warnings"
                printfn "  %-7s %s (%.1f s%s)" (if ok then "ok" else "FAILED") label sw.Elapsed.TotalSeconds notes
                for l in List.truncate 5 (if errors.IsEmpty && code <> 0 then output else errors) do printfn "      %s" l
                for p in Array.truncate 5 leaked do printfn "      reads the system's %s" p
                for l in List.truncate 3 warnings do printfn "      %s" l)
            return label, ok
        }
    let results = Async.Parallel(units |> List.mapi compile, jobs) |> Async.RunSynchronously
    let failed = results |> Array.filter (snd >> not) |> Array.map fst
    printfn "shim-check: %d of %d compile against libtorch %s (%.1f s)"
        (results.Length - failed.Length) results.Length version watch.Elapsed.TotalSeconds
    if failed.Length > 0 then
        eprintfn "shim-check: failed: %s" (String.Join(", ", failed))
        exit 1

match target with
| "deps" -> deps ()
| "native" -> native ()
| "build" -> build ()
| "test" -> test ()
| "bench" -> bench ()
| "demo" -> demo ()
| "pack" -> pack ()
| "notebooks" -> notebooks ()
| "shim-check" -> shimCheck ()
| _ ->
    printfn "usage: dotnet fsi build.fsx deps|native|build|test|bench|demo|pack|notebooks|shim-check [args...]"
    if target <> "help" then exit 2
