#!/usr/bin/env bash
# Packs what bench/gpu-check.sh needs on a GPU host that has PyTorch and CUDA but no .NET, into .dotnet-carry/
# (ignored by git): the .NET runtime (from this machine's SDK), the Release builds of SnnDsl.Bench and of the
# binding's tests (tests/SnnDsl.Torch.Tests) with their assemblies. The shim is left out: gpu-check.sh builds
# it there against the host's libtorch. Prints the carried size (the device tool carries at most 64 MiB).
#   bench/gpu-pack.sh       then, on the GPU host, in the repository root: bench/gpu-check.sh --out DIR
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ -d "$dotnet_root/shared/Microsoft.NETCore.App" ] || { echo "gpu-pack: no .NET runtime under $dotnet_root" >&2; exit 1; }
bench=bench/SnnDsl.Bench/bin/Release/net10.0
tests=tests/SnnDsl.Torch.Tests/bin/Release/net10.0
for p in bench/SnnDsl.Bench tests/SnnDsl.Torch.Tests; do
  dotnet build "$p" -c Release -nologo -v:q -p:SkipNativeBuild=true >/dev/null
done
rm -rf .dotnet-carry && mkdir -p .dotnet-carry
# Only the newest runtime the SDK has (the one these builds roll forward to).
runtime=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -1)
tar cJf .dotnet-carry/dotnet-runtime.tar.xz -C "$dotnet_root" dotnet host "shared/Microsoft.NETCore.App/$runtime" LICENSE.txt
tar cJf .dotnet-carry/bench.tar.xz --exclude=libsnndsl_native.so --exclude='*.pdb' --exclude='*.xml' -C "$bench" .
tar cJf .dotnet-carry/torch-tests.tar.xz --exclude=libsnndsl_native.so --exclude='*.xml' -C "$tests" .
ls -la .dotnet-carry
echo "gpu-pack: .dotnet-carry holds $(du -sb .dotnet-carry | cut -f1) bytes; the working tree beside it $(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1) bytes"
