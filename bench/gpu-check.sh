#!/usr/bin/env bash
# The GPU check (docs/gpu.md): one prepared script for a GPU host that has PyTorch built for CUDA, nvcc and
# CMake but no .NET (bench/gpu-pack.sh packs the runtime and the assemblies into .dotnet-carry/). Stages, each
# with its own time limit, each going on when an earlier one failed (except that nothing runs without a shim):
#   host     what the host has: nvidia-smi, torch and its CUDA, nvcc, cmake, CPUs, memory
#   unpack   the carried .NET runtime, SnnDsl.Bench and the binding's tests
#   shim     the shim built against the host's libtorch (PyTorch's CMake config) with NVRTC, -j16
#   binding  the binding's own tests (tests/SnnDsl.Torch.Tests) on cuda:0 (SNNDSL_TEST_DEVICE)
#   laws     fused = eager = oracle on cuda:0, every built-in, values and gradients, float32 and float64
#   neurons  workload A: a neuron layer over x [T, N], fused CUDA against eager CUDA and PyTorch's loop
#   train    training steps of the default net (MNIST-shaped) and ResNet-19 (CIFAR-10-shaped): fused,
#            eager and the same network in the host's PyTorch, samples/s
# Everything goes into one folder (--out DIR, default bench/results/gpu-check-<device>): host.txt, one log per
# stage (cut at 16 MB), the stages' JSON, stages.tsv (stage, status, seconds, limit) and summary.txt.
#   bench/gpu-check.sh --out "$OUT"             on the GPU host
#   bench/gpu-check.sh --cpu                    the rehearsal here: every stage on the CPU, Debian's libtorch
#   bench/gpu-check.sh --stages laws,train ...  only these stages (the shim is reused when it is built)
#   bench/gpu-check.sh --limit-percent 50 ...   every stage's time limit scaled
# Exit code: 0 when every stage that ran passed.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
device=cuda
stages=host,unpack,shim,binding,laws,neurons,train
out=
percent=
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) device=cpu ;;
    --out) out=$2; shift ;;
    --stages) stages=$2; shift ;;
    --limit-percent) percent=$2; shift ;;
    *) echo "gpu-check: unknown argument '$1' (--cpu, --out DIR, --stages a,b, --limit-percent N)" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-bench/results/gpu-check-$device}
mkdir -p "$out" && out=$(cd "$out" && pwd)
python=${PYTHON:-python3}
[ "$device" = cpu ] && python=${PYTHON:-/usr/bin/python3}
# Seconds per stage on a 16-core GPU host (570 in all); the rehearsal on a small CPU machine gets three times
# as long; --limit-percent N scales them (100 = as written).
declare -A limit=([host]=30 [unpack]=30 [shim]=180 [binding]=60 [laws]=60 [neurons]=90 [train]=120)
[ -n "$percent" ] || { percent=100; [ "$device" = cpu ] && percent=300; }
jobs=$(nproc); [ "$jobs" -lt 16 ] && [ "$device" = cuda ] && jobs=16
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
say() { echo "gpu-check: $*" >&2; }
started=$(date +%s)
printf 'stage\tstatus\tseconds\tlimit\n' >"$out/stages.tsv"
failed=()

# run NAME COMMAND...: runs one stage under its limit, its output to the terminal and to NAME.log (cut at 16 MB).
run() {
  local name=$1; shift
  case ",$stages," in *",$name,"*) ;; *) return 0 ;; esac
  local lim=$(( (limit[$name] * percent + 99) / 100 )) t0=$(date +%s) code
  say "stage $name (limit ${lim}s) at +$((t0 - started))s"
  timeout --kill-after=10 "$lim" bash -c "$*" 2>&1 | tee "$out/$name.log" | cut -c1-300
  code=${PIPESTATUS[0]}
  local secs=$(($(date +%s) - t0)) status=ok
  if [ "$(stat -c %s "$out/$name.log")" -gt 16000000 ]; then
    truncate -s 16000000 "$out/$name.log"; echo "[cut at 16 MB]" >>"$out/$name.log"
  fi
  if [ "$code" = 124 ] || [ "$code" = 137 ]; then status="timed out"; elif [ "$code" != 0 ]; then status="failed ($code)"; fi
  [ "$status" = ok ] || failed+=("$name")
  printf '%s\t%s\t%d\t%d\n' "$name" "$status" "$secs" "$lim" >>"$out/stages.tsv"
  say "stage $name: $status in ${secs}s"
}

# The .NET pieces: carried tarballs unpacked into build/dotnet-carry, else this machine's builds (a rehearsal).
carry=$repo/build/dotnet-carry
dotnet_cmd() {
  if [ -x "$carry/runtime/dotnet" ]; then echo "$carry/runtime/dotnet"; else command -v dotnet; fi
}
bench_dll() { if [ -f "$carry/bench/SnnDsl.Bench.dll" ]; then echo "$carry/bench/SnnDsl.Bench.dll"; else echo "$repo/bench/SnnDsl.Bench/bin/Release/net10.0/SnnDsl.Bench.dll"; fi; }
tests_dll() { if [ -f "$carry/tests/SnnDsl.Torch.Tests.dll" ]; then echo "$carry/tests/SnnDsl.Torch.Tests.dll"; else echo "$repo/tests/SnnDsl.Torch.Tests/bin/Release/net10.0/SnnDsl.Torch.Tests.dll"; fi; }

host() {
  echo "date: $(date -u +%FT%TZ); host $(hostname); $(nproc) CPUs; $(free -g | awk '/Mem:/ {print $2}') GiB memory; $(df -h . | awk 'NR == 2 {print $4}') disk free"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap,clocks.max.sm --format=csv
  else echo "nvidia-smi: not found"; fi
  "$python" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version(), "GPUs", torch.cuda.device_count())' 2>&1 | tail -1
  if command -v nvcc >/dev/null; then echo "nvcc: $(nvcc --version | grep -m1 release)"; else echo "nvcc: not found"; fi
  for c in cmake ninja g++; do
    if command -v "$c" >/dev/null; then echo "$c: $("$c" --version | head -1)"; else echo "$c: not found"; fi
  done
}

unpack() {
  [ -d "$repo/.dotnet-carry" ] || { echo "no .dotnet-carry: using this machine's .NET and builds ($(command -v dotnet || echo none))"; command -v dotnet >/dev/null; return; }
  rm -rf "$carry" && mkdir -p "$carry/runtime" "$carry/bench" "$carry/tests"
  tar xJf "$repo/.dotnet-carry/dotnet-runtime.tar.xz" -C "$carry/runtime"
  tar xJf "$repo/.dotnet-carry/bench.tar.xz" -C "$carry/bench"
  tar xJf "$repo/.dotnet-carry/torch-tests.tar.xz" -C "$carry/tests"
  DOTNET_ROOT="$carry/runtime" "$carry/runtime/dotnet" --list-runtimes
}

build=$repo/build/native-$device
shim() {
  local prefix=
  if [ "$device" = cuda ]; then
    prefix=$("$python" -c 'import torch; assert torch.cuda.is_available(), "torch sees no GPU"; print(torch.utils.cmake_prefix_path)') || return 3
    echo "CMake prefix $prefix"
  fi
  # Ninja when the host has it, unless this folder was configured with another generator.
  local gen=
  if command -v ninja >/dev/null && { [ ! -f "$build/CMakeCache.txt" ] || grep -q "CMAKE_GENERATOR:INTERNAL=Ninja" "$build/CMakeCache.txt"; }; then
    gen="-G Ninja"
  fi
  cmake -S src/SnnDsl.Native -B "$build" $gen -DCMAKE_BUILD_TYPE=Release ${prefix:+-DCMAKE_PREFIX_PATH="$prefix"} || return 3
  cmake --build "$build" -j "$jobs" || return 3
  ls -la "$build/libsnndsl_native.so"
}

env_for_dotnet() {
  [ -x "$carry/runtime/dotnet" ] && export DOTNET_ROOT="$carry/runtime"
  export SNNDSL_NATIVE_LIB="$build/libsnndsl_native.so"
  if [ "$device" = cuda ]; then
    LD_LIBRARY_PATH="$("$python" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))'):${LD_LIBRARY_PATH:-}"
    export LD_LIBRARY_PATH
  fi
}

dev=$device; [ "$device" = cuda ] && dev=cuda:0
if [ "$device" = cuda ]; then
  neuron_sizes="--N 1048576,16777216 --T 8,32 --iters 5 --rounds 3"
  train_sizes="--batch 64 --T 4 --iters 10"
else
  neuron_sizes="--N 65536 --T 8 --iters 2 --rounds 1"
  train_sizes="--batch 4 --T 2 --iters 2 --neurons leaky-lif,da-lif"
fi
export -f host unpack shim env_for_dotnet dotnet_cmd bench_dll tests_dll
export device python build carry repo jobs

run host 'host | tee "'"$out"'/host.txt"'
run unpack 'unpack'
run shim 'shim'
if [ ! -f "$build/libsnndsl_native.so" ]; then
  say "no shim at $build: the .NET stages cannot run"
else
  env_for_dotnet
  run binding 'SNNDSL_TEST_DEVICE='"$dev"' "$(dotnet_cmd)" "$(tests_dll)" --no-spinner --colours 0'
  run laws '"$(dotnet_cmd)" "$(bench_dll)" gpu-check --laws-only --device '"$dev"' --python "$python"'
  run neurons '"$(dotnet_cmd)" "$(bench_dll)" neurons --device '"$dev"' --threads 1 --neurons leaky-lif,da-lif,ar-lif '"$neuron_sizes"' --python "$python" --json-out "'"$out"'/neurons.json"'
  run train '"$(dotnet_cmd)" "$(bench_dll)" train-check --device '"$dev"' '"$train_sizes"' --python "$python" --json-out "'"$out"'/train.json"'
fi

total=$(($(date +%s) - started))
{
  echo "gpu-check on $device: ${total}s in all; stages:"
  column -t -s $'\t' "$out/stages.tsv"
  [ ${#failed[@]} -eq 0 ] && echo "every stage passed" || echo "failed: ${failed[*]}"
} | tee "$out/summary.txt"
[ ${#failed[@]} -eq 0 ]
