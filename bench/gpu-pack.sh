#!/usr/bin/env bash
# Packs what bench/gpu-check.sh needs on a GPU host that has PyTorch and CUDA but no .NET: the .NET runtime
# (from this machine's SDK) and the Release build of SnnDsl.Bench with its assemblies, into .dotnet-carry/
# (ignored by git; about 30 MB). Then run, on the GPU host, in the repository root:
#   bench/gpu-check.sh            (with .dotnet-carry carried along; see docs/gpu.md)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ -d "$dotnet_root/shared/Microsoft.NETCore.App" ] || { echo "gpu-pack: no .NET runtime under $dotnet_root" >&2; exit 1; }
bench=bench/SnnDsl.Bench/bin/Release/net10.0
if [ ! -f "$bench/SnnDsl.Bench.dll" ]; then
  dotnet build bench/SnnDsl.Bench -c Release -nologo -v:q
fi
mkdir -p .dotnet-carry
tar cJf .dotnet-carry/dotnet-runtime.tar.xz -C "$dotnet_root" dotnet host shared/Microsoft.NETCore.App LICENSE.txt
# The shim is rebuilt there against the host's libtorch: leave this machine's out.
tar cJf .dotnet-carry/bench.tar.xz --exclude=libsnndsl_native.so -C "$bench" .
ls -la .dotnet-carry
