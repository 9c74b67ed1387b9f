#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the unit tests (build-asan/, gcc, the
# system's LibTorch uninstrumented), then every unit test under it. Exits non-zero on any test failure
# or sanitizer report. Not in .ci/run: a cold build takes far longer than CI's budget (docs/reliability.md).
# Usage: scripts/sanitize.sh [GTEST_FILTER]      env: AVTUNE_JOBS (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build-asan
FILTER=${1:-*}
t0=$(date +%s)
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g1"
if [ ! -f $B/build.ninja ]; then
  # No benchmarks, no CLI of its own: the unit tests only. NDEBUG stays off so assertions run too.
  cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="$SAN" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DAVTUNE_BUILD_BENCH=OFF >/dev/null
fi
ninja -C $B -j "${AVTUNE_JOBS:-$(nproc)}" avtune_tests
t1=$(date +%s)
echo "sanitize: built in $((t1 - t0)) s"

# The reference fixtures (Python, uninstrumented) the parity tests read.
ctest --test-dir $B -R 'reference_fixtures' --output-on-failure >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_init_order=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
$B/tests/avtune_tests --gtest_filter="$FILTER" --gtest_brief=1
echo "sanitize: unit tests clean in $(( $(date +%s) - t1 )) s (build and run: $(( $(date +%s) - t0 )) s)"
