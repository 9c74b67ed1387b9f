#!/usr/bin/env bash
# Builds avtune with only its core (LibTorch; media, embedded data and study switched off), as a GPU
# machine without the media libraries would, and runs the core's tests (docs/architecture.md, "Targets").
set -euo pipefail
cd "$(dirname "$0")/.."
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f build-core/CMakeCache.txt ]; then
  cmake -S . -B build-core "${gen[@]}" -DAVTUNE_WITH_MEDIA=OFF -DAVTUNE_WITH_EMBEDDED=OFF -DAVTUNE_WITH_STUDY=OFF \
    -DAVTUNE_BUILD_BENCH=OFF "$@"
fi
cmake --build build-core -j "${AVTUNE_JOBS:-$(nproc)}"
cd build-core
ctest --output-on-failure -j "${AVTUNE_TEST_JOBS:-2}" --timeout 900
