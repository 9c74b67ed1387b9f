#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the unit tests (build-asan/, gcc, the
# system's LibTorch uninstrumented), then every unit test under it. Exits non-zero on any test failure
# or sanitizer report. Not in .ci/run: a cold build takes far longer than CI's budget (docs/reliability.md).
# Usage: scripts/sanitize.sh [GTEST_FILTER]
#   env: AVTUNE_JOBS compile jobs (default: nproc); AVTUNE_SAN_SHARDS test processes side by side, each
#   with every Nth test (default: 1; the tests are parallel-safe, as ctest -j runs them in CI)
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
SHARDS=${AVTUNE_SAN_SHARDS:-1}
if [ "$SHARDS" -le 1 ]; then
  $B/tests/avtune_tests --gtest_filter="$FILTER" --gtest_brief=1
else
  # Explicit test lists, not GTEST_TOTAL_SHARDS: tests that re-run this binary as worker processes
  # (the data-parallel ones) would pass the sharding on to them and run nothing there.
  mapfile -t TESTS < <($B/tests/avtune_tests --gtest_filter="$FILTER" --gtest_list_tests |
    awk '/^[^ ]/ {suite = $1} /^  / {print suite $1}')
  pids=()
  for i in $(seq 0 $((SHARDS - 1))); do
    part=""
    for k in "${!TESTS[@]}"; do [ $((k % SHARDS)) -eq "$i" ] && part+="${TESTS[$k]}:"; done
    $B/tests/avtune_tests --gtest_filter="${part%:}" --gtest_brief=1 >$B/sanitize-shard-$i.log 2>&1 &
    pids+=($!)
  done
  bad=0
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      bad=1
      echo "sanitize: shard $i failed ($B/sanitize-shard-$i.log):"
      grep -E -A30 'ERROR: |runtime error|\[  FAILED  \]' $B/sanitize-shard-$i.log | head -60 || true
    fi
    grep -E '^\[(==========|  PASSED  )\]' $B/sanitize-shard-$i.log | sed "s/^/shard $i: /" || true
  done
  [ $bad -eq 0 ] || exit 1
fi
echo "sanitize: unit tests clean in $(( $(date +%s) - t1 )) s (build and run: $(( $(date +%s) - t0 )) s)"
