#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang-14, ASan+UBSan, into build-fuzz/) and runs each for
# SECONDS (default 600: the release check; .ci/run runs 20 through scripts/test.sh). First replays
# fuzz/regressions/<target>/*, inputs that once crashed. Exits 1 on any finding (crash, sanitizer
# report, leak, a non-avtune exception, an input slower than 10 s or one using more than 2 GB); the
# input is kept in build-fuzz/findings/<target>/. See docs/reliability.md.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]       env: AVTUNE_FUZZ_JOBS=N targets side by side (1)
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
shift || true
ALL=(pickle pth safetensors npy clip_list config audio image video)
[ $# -gt 0 ] && TARGETS=("$@") || TARGETS=("${ALL[@]}")
B=build-fuzz
CXX_FUZZ=${AVTUNE_FUZZ_CXX:-clang++-14}
command -v "$CXX_FUZZ" >/dev/null || { echo "fuzz: expected $CXX_FUZZ (Debian clang-14 and libclang-rt-14-dev)" >&2; exit 1; }

t0=$(date +%s)
if [ ! -f $B/build.ninja ]; then
  CXX=$CXX_FUZZ cmake -S fuzz -B $B -G Ninja >/dev/null || { echo "fuzz: configuring $B failed" >&2; exit 1; }
fi
ninja -C $B >$B.log 2>&1 || { tail -30 $B.log; echo "fuzz: building the targets failed (log: $B.log)" >&2; exit 1; }
rm -f $B.log
echo "fuzz: targets built in $(( $(date +%s) - t0 )) s"

# -rss_limit_mb also caps any one allocation (malloc_limit_mb defaults to it): a small file must not
# make avtune allocate gigabytes. The baseline (LibTorch under ASan) is ~330 MB.
# AVTUNE_FUZZ_SEED: libFuzzer's -seed (0 = a random one); CI fixes it so its short runs repeat.
OPTS=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -seed="${AVTUNE_FUZZ_SEED:-0}")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {  # run_one TARGET: replay the regressions, then fuzz; one summary line
  local t=$1 log=$B/logs/$1.log
  mkdir -p $B/corpus/$t $B/findings/$t $B/logs
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    if ! $B/fuzz_$t "${OPTS[@]}" fuzz/regressions/$t/* >$log.regressions 2>&1; then
      echo "FAIL $t: a regression input fails again (log: $log.regressions)"
      return 1
    fi
  fi
  $B/fuzz_$t "${OPTS[@]}" -max_total_time="$SECONDS_EACH" -artifact_prefix=$B/findings/$t/ \
    $B/corpus/$t fuzz/corpus/$t >$log 2>&1
  local rc=$?
  local execs eps cov ft
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' $log)
  eps=$(awk '/stat::average_exec_per_sec/ {print $2}' $log)
  cov=$(grep -o 'cov: [0-9]*' $log | tail -1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' $log | tail -1 | awk '{print $2}')
  if [ $rc -ne 0 ] || compgen -G "$B/findings/$t/*" >/dev/null; then
    echo "FAIL $t: exit $rc, finding in $B/findings/$t/ (log: $log)"
    grep -m3 -E 'ERROR: |SUMMARY|avtune-fuzz:|runtime error' $log | sed 's/^/  | /'
    return 1
  fi
  printf 'ok   %-12s %6ss %10s runs %8s exec/s  cov %6s  ft %6s\n' "$t" "$SECONDS_EACH" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}"
}

jobs=${AVTUNE_FUZZ_JOBS:-1}
fails=0
if [ "$jobs" -le 1 ]; then
  for t in "${TARGETS[@]}"; do run_one "$t" || fails=$((fails+1)); done
else
  pids=()
  for t in "${TARGETS[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    ( run_one "$t" > $B/logs/$t.summary 2>&1 ) &
  done
  wait
  for t in "${TARGETS[@]}"; do cat $B/logs/$t.summary; grep -q '^FAIL' $B/logs/$t.summary && fails=$((fails+1)); done
fi
echo "fuzz: ${#TARGETS[@]} targets, $fails with findings, $(( $(date +%s) - t0 )) s in all"
[ $fails -eq 0 ]
