#!/usr/bin/env bash
# `avtune reproduce` on several worker processes (docs/reproduce.md, "On several processes"): the quick
# study with --seeds 1 on one worker, then on `--nproc 2`, then as two Slurm tasks (SLURM_PROCID and
# SLURM_NTASKS set by hand) one of which is killed -9 mid-run. The numbers of results.json (all but
# wall-clock and this-process fields) must equal the single worker's, every run must be trained by
# one worker only, and the killed worker's run must be taken over. Cost: three quick studies, about
# 2 min on 2 cores.
# Usage: test_study_workers.sh path/to/avtune
set -u
AVTUNE=$1
. "$(dirname "$0")/check_lib.sh"

STUDY=(reproduce --quick --seeds 1 --data "$T/data")
# results.json without wall-clock fields and those that say how this study was run; the study
# folder's own path written as STUDY.
numbers() { strip_timings --how-run --study "$1" "$1/results.json"; }
same_numbers() {
  if cmp -s <(numbers "$1") <(numbers "$2"); then return 0; fi
  diff <(numbers "$1") <(numbers "$2") | head -8 || true
  return 1
}
# trained_once LOG: every "training DIR" line names a different run directory.
trained_once() {
  local dup
  dup=$(grep -o 'avtune reproduce: training [^ ]*' "$1" | sort | uniq -d)
  [ -z "$dup" ] || { echo "  trained twice: $dup"; return 1; }
}

check make-data 0 "$AVTUNE" --threads 2 -q make-data --quick --out "$T/data" || { finish study_workers; exit 1; }

# --- one worker, 2 threads (two runs side by side, one thread each): the reference numbers.
check one-worker 0 "$AVTUNE" --threads 2 -q "${STUDY[@]}" --out "$T/one"

# --- --nproc 2 (one thread each): same numbers, each run trained once, both workers trained.
check nproc-2 0 "$AVTUNE" --threads 2 "${STUDY[@]}" --nproc 2 --out "$T/two"
cp "$T/out" "$T/two.log"
contains "workers' output is prefixed" "[rank 1] "
contains "the launcher names the split" "2 workers, 1 thread(s) each"
ok "nproc 2: same numbers as one worker" same_numbers "$T/one" "$T/two"
ok "nproc 2: worker 0 wrote the report" [ -s "$T/two/report.md" ] && [ -s "$T/two/report.html" ]
ok "nproc 2: each run trained by one worker" trained_once "$T/two.log"
ok "nproc 2: both workers trained runs" bash -c "grep -q '^\[rank 0\] avtune reproduce: training ' '$T/two.log' && \
  grep -q '^\[rank 1\] avtune reproduce: training ' '$T/two.log'"
ok "nproc 2: every run of the study trained" [ "$(grep -c 'avtune reproduce: training ' "$T/two.log")" -eq \
  "$(find "$T/one" -name last.pth | wc -l)" ]

# --- two Slurm tasks by hand; task 1 is stopped as it starts a run (a quick run lasts about a second),
# then killed -9 once task 0 waits on it: task 0 takes the run over.
slurm() { exec env SLURM_NTASKS=2 SLURM_PROCID=$1 SLURM_LOCALID=$1 "$AVTUNE" --threads 1 "${STUDY[@]}" --out "$T/slurm"; }
slurm 0 >"$T/s0.log" 2>&1 &
p0=$!
slurm 1 >"$T/s1.log" 2>&1 &
p1=$!
victim=
for _ in $(seq 1200); do  # up to 60 s for task 1's first run
  victim=$(grep -o 'avtune reproduce: training [^ ]*' "$T/s1.log" | head -1 | cut -d' ' -f4)
  [ -n "$victim" ] && break
  sleep 0.05
done
kill -STOP $p1 2>/dev/null
for _ in $(seq 100); do grep -q "waits on" "$T/s0.log" && break; sleep 0.1; done
kill -9 $p1 2>/dev/null
wait $p1 2>/dev/null
wait $p0
rc0=$?
ok "slurm: task 1 trained a run before its kill" [ -n "$victim" ]
ok "slurm: task 0 finished after task 1's kill" [ $rc0 -eq 0 ]
[ $rc0 -eq 0 ] || tail -5 "$T/s0.log"
ok "slurm: same numbers as one worker" same_numbers "$T/one" "$T/slurm"
ok "slurm: task 0 took the killed run over" grep -q "avtune reproduce: training $victim (worker 0" "$T/s0.log"
grep -q "avtune reproduce: training $victim (worker 0" "$T/s0.log" ||
  { echo "  killed in $victim"; grep -a "avtune reproduce: \(training\|worker\)" "$T/s0.log" "$T/s1.log" | tail -8; }
ok "slurm: runs are single-process (no rendezvous)" bash -c "! grep -q 'processes (slurm' '$T/s0.log'"

# --- a failing worker: the launcher stops the other and exits 1 naming it and its error.
: > "$T/notadir"
check failing-worker 1 "$AVTUNE" -q reproduce --quick --seeds 1 --data "$T/notadir/x" --nproc 2 --out "$T/f"
contains "names the failed worker" "of 2 failed (exit code 1)"
contains "carries the worker's error" "notadir"

# --- usage and environment errors.
check nproc-under-slurm 1 env SLURM_NTASKS=2 SLURM_PROCID=0 "$AVTUNE" -q "${STUDY[@]}" --nproc 2 --out "$T/x"
contains "names the launcher" "no --nproc/--gpus under a launcher (slurm"
check fresh-under-slurm 1 env SLURM_NTASKS=2 SLURM_PROCID=1 "$AVTUNE" -q "${STUDY[@]}" --fresh --out "$T/x"
contains "fresh needs one worker" "--fresh on a single worker"
check gpus-and-nproc 2 "$AVTUNE" -q "${STUDY[@]}" --gpus 0 --nproc 2 --out "$T/x"
if ! command -v nvidia-smi >/dev/null; then
  check gpus-without-cuda 1 "$AVTUNE" -q "${STUDY[@]}" --gpus 0,1 --out "$T/x"
  contains "gpus names CUDA" "expected CUDA for --gpus 0,1"
  ok "gpus without CUDA trains nothing" [ ! -e "$T/x/pretrain" ]
fi

finish study_workers
