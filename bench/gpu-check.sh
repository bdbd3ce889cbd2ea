#!/usr/bin/env bash
# The GPU check of the fused kernels (docs/gpu.md): on a host with PyTorch built for CUDA and CUDA's toolkit
# (nvcc, NVRTC), but without .NET, it
#   1. unpacks the .NET runtime and SnnDsl.Bench that bench/gpu-pack.sh put in .dotnet-carry/,
#   2. builds the shim against the libtorch of the host's PyTorch (its CMake config), with NVRTC,
#   3. runs `SnnDsl.Bench gpu-check`: the fused-kernel laws on cuda:0 (eager = oracle, fused = oracle,
#      fused = eager for every built-in, values and gradients, float32 and float64, more elements than
#      one thread block) and workload A (N = 2^20 and 2^24, T = 8 and 32: fused CUDA against eager CUDA,
#      the host's PyTorch running the unbind loop, and the HBM bandwidth of a copy),
# writing bench/results/gpu-check.txt and .json. --cpu rehearses the same steps here, against Debian's
# libtorch, on the CPU. Exit code: 0 when every law passed.
set -euo pipefail
cd "$(dirname "$0")/.."
device=cuda
python=${PYTHON:-python3}
args=()
for a in "$@"; do
  case "$a" in
    --cpu) device=cpu; python=${PYTHON:-/usr/bin/python3}; args+=(--N 65536 --T 8 --iters 2 --rounds 1) ;;
    *) args+=("$a") ;;
  esac
done
out=bench/results
mkdir -p "$out"
say() { echo "gpu-check: $*" >&2; }

# 1. .NET: the carried runtime, else one on PATH (a rehearsal).
if [ -f .dotnet-carry/dotnet-runtime.tar.xz ]; then
  rt=$(mktemp -d)
  tar xJf .dotnet-carry/dotnet-runtime.tar.xz -C "$rt"
  dotnet="$rt/dotnet"
  export DOTNET_ROOT="$rt"
else
  dotnet=$(command -v dotnet) || { say "no .NET runtime: run bench/gpu-pack.sh here first and carry .dotnet-carry"; exit 2; }
fi
if [ -f .dotnet-carry/bench.tar.xz ]; then
  bench=$(mktemp -d)
  tar xJf .dotnet-carry/bench.tar.xz -C "$bench"
else
  bench=bench/SnnDsl.Bench/bin/Release/net10.0
  [ -f "$bench/SnnDsl.Bench.dll" ] || { say "build SnnDsl.Bench first (dotnet build bench/SnnDsl.Bench -c Release)"; exit 2; }
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# 2. The shim, against the host's libtorch (PyTorch's CMake config), or Debian's for --cpu.
build=build/native-$device
if [ "$device" = cuda ]; then
  prefix=$("$python" -c 'import torch; assert torch.cuda.is_available(), "torch sees no GPU"; print(torch.utils.cmake_prefix_path)')
  say "torch $("$python" -c 'import torch; print(torch.__version__, torch.version.cuda)'), CMake prefix $prefix"
  cmake -S src/SnnDsl.Native -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >"$out/gpu-cmake.log" 2>&1 \
    || { tail -30 "$out/gpu-cmake.log"; say "CMake failed (log: $out/gpu-cmake.log)"; exit 3; }
else
  cmake -S src/SnnDsl.Native -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/gpu-cmake.log" 2>&1
fi
cmake --build "$build" -j "$(nproc)" >>"$out/gpu-cmake.log" 2>&1 \
  || { tail -40 "$out/gpu-cmake.log"; say "building the shim failed (log: $out/gpu-cmake.log)"; exit 3; }
export SNNDSL_NATIVE_LIB="$PWD/$build/libsnndsl_native.so"
# libtorch's own libraries, for the shim built against PyTorch's copy.
if [ "$device" = cuda ]; then
  export LD_LIBRARY_PATH="$("$python" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))'):${LD_LIBRARY_PATH:-}"
fi

# 3. The laws and workload A.
set +e
"$dotnet" "$bench/SnnDsl.Bench.dll" gpu-check --device "$device" --python "$python" --json-out "$out/gpu-check-$device.json" "${args[@]}" \
  2>&1 | tee "$out/gpu-check-$device.txt"
code=${PIPESTATUS[0]}
say "exit code $code; output in $out/gpu-check-$device.txt and .json"
exit "$code"
