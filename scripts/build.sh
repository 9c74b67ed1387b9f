#!/usr/bin/env bash
# Configures and builds avtune into ./build (Release, Ninja, ccache when present).
# Extra CMake arguments pass through, e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch for another LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${gen[@]}" "$@"
elif [ $# -gt 0 ] || { [ ! -f build/build.ninja ] && [ ! -f build/Makefile ]; }; then
  cmake -S . -B build "$@"  # new arguments, or an earlier configure that failed
fi
jobs=${AVTUNE_JOBS:-$(nproc)}
cmake --build build -j "$jobs"
