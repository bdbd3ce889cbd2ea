#!/usr/bin/env bash
# ptxas over the generated CUDA kernels, without a GPU: NVRTC compiles the CUDA source of every built-in and
# every examples/*.neuron to PTX as the shim does (`SnnDsl.Bench ptx`), then ptxas -v assembles it for sm_90
# and reports each kernel's registers, spills, stack and shared memory. The table goes to stdout and to
# OUT/ptxas.md (docs/gpu.md records one). ptxas comes from PATH, else from Debian's nvidia-cuda-toolkit
# (non-free), of which only /usr/bin/ptxas is unpacked into build/cuda-tools: nothing is installed.
#   bench/cuda-lint.sh [OUT=build/cuda-lint] [SM=sm_90]
# Exit code: 0 when every kernel compiled and assembled (spills are reported, not refused).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/cuda-lint}
sm=${2:-sm_90}
arch=compute_${sm#sm_}
say() { echo "cuda-lint: $*" >&2; }

ptxas=$(command -v ptxas || true)
if [ -z "$ptxas" ]; then
  tools=build/cuda-tools
  ptxas=$tools/usr/bin/ptxas
  if [ ! -x "$ptxas" ]; then
    mkdir -p "$tools"
    say "fetching ptxas from Debian's nvidia-cuda-toolkit (84 MB download, only ptxas is unpacked)"
    (cd "$tools" && apt-get download -q -o APT::Sandbox::User=root nvidia-cuda-toolkit >/dev/null) \
      || { say "apt-get download nvidia-cuda-toolkit failed: it is in Debian's non-free component (\`dotnet fsi build.fsx deps\` adds it)"; exit 2; }
    deb=$(ls "$tools"/nvidia-cuda-toolkit_*.deb | head -1)
    dpkg-deb --fsys-tarfile "$deb" | tar x -C "$tools" ./usr/bin/ptxas
    rm -f "$deb"
  fi
fi
say "$("$ptxas" --version | tail -1)"

bench=bench/SnnDsl.Bench/bin/Release/net10.0/SnnDsl.Bench.dll
[ -f "$bench" ] || dotnet build bench/SnnDsl.Bench -c Release -nologo -v:q -p:SkipNativeBuild=true
rm -rf "$out" && mkdir -p "$out"
dotnet "$bench" ptx --out "$out" --arch "$arch" >"$out/ptx.log" 2>&1 || { cat "$out/ptx.log"; say "NVRTC failed"; exit 1; }

# One row per neuron: registers of the four kernels, then spill bytes (stores/loads), stack and shared memory
# over all four (the largest of each).
table=$out/ptxas.md
{
  echo "| neuron | forward f32 | backward f32 | forward f64 | backward f64 | spill stores / loads (bytes) | stack (bytes) | shared (bytes) |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$table"
status=0
for ptx in "$out"/*."$arch".ptx; do
  name=$(basename "$ptx" ."$arch".ptx)
  if ! "$ptxas" -v --gpu-name "$sm" "$ptx" -o /dev/null >"$out/$name.ptxas.txt" 2>&1; then
    say "ptxas failed on $name:"; cat "$out/$name.ptxas.txt" >&2; status=1; continue
  fi
  awk -v name="$name" '
    /Compiling entry function/ { match($0, /snn_[a-z]+_f[0-9]+/); f = substr($0, RSTART, RLENGTH) }
    /bytes stack frame/ { stack = $1 > stack ? $1 : stack; st = $5 > st ? $5 : st; ld = $9 > ld ? $9 : ld }
    /Used [0-9]+ registers/ {
      match($0, /Used [0-9]+ registers/); regs[f] = substr($0, RSTART + 5, RLENGTH - 15)
      if (match($0, /[0-9]+ bytes smem/)) { s = substr($0, RSTART, RLENGTH) + 0; smem = s > smem ? s : smem }
    }
    END {
      printf "| %s | %s | %s | %s | %s | %d / %d | %d | %d |\n", name, regs["snn_forward_f32"], regs["snn_backward_f32"],
        regs["snn_forward_f64"], regs["snn_backward_f64"], st, ld, stack, smem
    }' "$out/$name.ptxas.txt" >>"$table"
done
cat "$table"
spilling=$(awk -F'|' 'NR > 2 && $7 !~ / 0 \/ 0 / { print $2 }' "$table" | tr -d ' ' | paste -sd, -)
say "$(($(wc -l <"$table") - 2)) kernels assembled for $sm; ${spilling:+spilling: $spilling}${spilling:-no spills}"
exit $status
