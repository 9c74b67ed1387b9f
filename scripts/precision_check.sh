#!/usr/bin/env bash
# bf16 against fp32 on the embedded data (issue 15: "bf16 training reaches fp32 accuracy within 1 point,
# 3 seeds"). Trains the same visual run at fp32 and at bf16 for each seed, then prints each seed's test
# top-1 after the last epoch, the means, the paired difference bf16 - fp32 with its 95% paired t interval
# (a seed's two runs share initial weights and batch order, so the seed is the pair) and whether
# |mean difference| <= 1 point. Exit 0 when it is, 1 when not or a run failed, 2 on a usage error.
#
#   scripts/precision_check.sh [AVTUNE [OUT]]     # defaults: build/avtune, runs/precision-check
#   SEEDS="1 2 3" EPOCHS=10 DATA=data/embedded PARALLEL=1 scripts/precision_check.sh
#
# The run: ResNet-18 at width 0.25 on fashion-source (12,000 training and 2,000 test images at 32 px),
# batch 32, SGD lr 0.05 with a cosine schedule, weight decay 1e-4 (not on BN): a run whose accuracy
# settles, unlike the study's strongly decayed pre-training (docs/reproduce.md). One LibTorch thread a
# run: on a loaded machine two OpenMP threads per run were 40x slower on these small layers (measured,
# docs/precision.md); PARALLEL runs side by side instead. Finished runs are read back, not retrained.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
av=${1:-$root/build/avtune}
out=${2:-runs/precision-check}
seeds=${SEEDS:-1 2 3}
epochs=${EPOCHS:-10}
data=${DATA:-data/embedded}
parallel=${PARALLEL:-1}
[ $# -le 2 ] || { echo "usage: scripts/precision_check.sh [AVTUNE [OUT]] (settings via SEEDS, EPOCHS, DATA, PARALLEL)" >&2; exit 2; }
[ -x "$av" ] || { echo "precision_check: expected an avtune binary at $av, got none (build it first)" >&2; exit 2; }
[[ "$epochs" =~ ^[1-9][0-9]*$ ]] || { echo "precision_check: EPOCHS: expected a positive integer, got '$epochs'" >&2; exit 2; }
[[ "$parallel" =~ ^[1-9][0-9]*$ ]] || { echo "precision_check: PARALLEL: expected a positive integer, got '$parallel'" >&2; exit 2; }
for s in $seeds; do [[ "$s" =~ ^[0-9]+$ ]] || { echo "precision_check: SEEDS: expected integers, got '$s'" >&2; exit 2; }; done

if [ ! -f "$data/README.md" ]; then
  echo "precision_check: making the embedded data in $data"
  "$av" --threads 2 -q make-data --out "$data"
fi
mkdir -p "$out"

# Number of epochs in a run's metrics.jsonl (0 when absent): a complete run is reused.
epochs_done() { if [ -f "$1/metrics.jsonl" ]; then grep -c '"epoch"' "$1/metrics.jsonl" || true; else echo 0; fi; }
train() {  # $1 precision, $2 seed
  local dir=$out/$1-seed$2
  [ "$(epochs_done "$dir")" = "$epochs" ] && return 0
  rm -rf "$dir"
  "$av" --threads 1 -q train --modality visual --data "$data/fashion-source" --format image-folder \
    --image-size 32 --width 0.25 --epochs "$epochs" --batch-size 32 --lr 0.05 --schedule cosine \
    --weight-decay 1e-4 --seed "$2" --precision "$1" --out "$dir" >"$out/$1-seed$2.log" 2>&1 ||
    { echo "precision_check: run $dir failed: see $out/$1-seed$2.log" >&2; return 1; }
}
pids=()
failed=0
for s in $seeds; do
  for p in fp32 bf16; do
    train "$p" "$s" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$parallel" ]; then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
  done
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || exit 1

python3 - "$out" "$seeds" <<'PY'
import json, math, statistics, sys
out, seeds = sys.argv[1], [int(s) for s in sys.argv[2].split()]
# Two-sided 95% quantiles of Student's t for df = 1..30 (standard table values); df > 30 uses 1.96.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042]
def last(p, s):
    rows = [json.loads(l) for l in open(f"{out}/{p}-seed{s}/metrics.jsonl") if l.strip()]
    secs = statistics.median(r["seconds"] for r in rows)
    return 100 * rows[-1]["eval"]["top1"], secs, rows[-1].get("samples_per_second", float("nan"))
res = {p: [last(p, s) for s in seeds] for p in ("fp32", "bf16")}
print(f"{'seed':>6} {'fp32 top-1':>11} {'bf16 top-1':>11} {'bf16-fp32':>10} {'fp32 s/ep':>10} {'bf16 s/ep':>10}")
for i, s in enumerate(seeds):
    f, b = res["fp32"][i], res["bf16"][i]
    print(f"{s:>6} {f[0]:>11.2f} {b[0]:>11.2f} {b[0] - f[0]:>+10.2f} {f[1]:>10.2f} {b[1]:>10.2f}")
acc = {p: [r[0] for r in res[p]] for p in res}
d = [b - f for f, b in zip(acc["fp32"], acc["bf16"])]
n = len(d)
def sd(x): return statistics.stdev(x) if len(x) > 1 else float("nan")
print(f"{'mean':>6} {statistics.mean(acc['fp32']):>11.2f} {statistics.mean(acc['bf16']):>11.2f} "
      f"{statistics.mean(d):>+10.2f}   (std over seeds: fp32 {sd(acc['fp32']):.2f}, bf16 {sd(acc['bf16']):.2f}, "
      f"difference {sd(d):.2f})")
mean = statistics.mean(d)
if n > 1:
    h = (T975[n - 2] if n - 1 <= len(T975) else 1.96) * statistics.stdev(d) / math.sqrt(n)
    print(f"paired difference bf16 - fp32: {mean:+.2f} points, 95% paired t interval [{mean - h:+.2f}, {mean + h:+.2f}] "
          f"(df {n - 1}, n {n} seeds)")
else:
    print(f"paired difference bf16 - fp32: {mean:+.2f} points (one seed: no interval)")
ok = abs(mean) <= 1.0
print(f"|mean difference| <= 1 point: {'yes' if ok else 'no'}")
sys.exit(0 if ok else 1)
PY
