#!/usr/bin/env bash
# kill -9 at seeded random points of `train` and `reproduce --quick`, then the same command again
# (`train --resume` when a last.pth exists), until it finishes: the outputs must equal an
# uninterrupted run's (weights byte for byte, metrics but their wall-clock fields), with no temp
# file left behind (issue 17, docs/reliability.md). A checkpoint's recorded config may differ only in
# "resume". Cost: ~15 s for train, ~3x one quick study (~2 min on 2 idle cores).
# Usage: test_kill9.sh path/to/avtune path/to/reference-python [SEED]
set -u
AVTUNE=$1
PY=$2
RANDOM=${3:-17}  # seeds bash's generator: the same kill points every time
. "$(dirname "$0")/check_lib.sh"

A="$AVTUNE --threads 2 -q"
check make-data 0 $A make-data --quick --out "$T/data"

now_ms() { date +%s%3N; }
# kill_at MS CMD...: runs CMD, kill -9 after MS ms unless it ended first; rc 137 when killed.
kill_at() {
  local ms=$1; shift
  "$@" >"$T/out" 2>&1 &
  local pid=$! end=$(( $(now_ms) + ms ))
  while [ "$(now_ms)" -lt $end ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null  # 137 when killed (bash still reports "Killed" on stderr)
}
# JSON lines/documents with wall-clock and this-process fields removed, for comparing runs.
normalise_json() { strip_timings "$1"; }
same_json() { cmp -s <(normalise_json "$1") <(normalise_json "$2"); }
# same_pth A B...: pairs of .pth files hold equal entries (tensors bit for bit); of the recorded run
# config only "resume" may differ. Prints the differing entries.
same_pth() {
  "$PY" - "$@" <<'PYEOF'
import json, sys, torch
def diff(a, b, at):
    if torch.is_tensor(a) or torch.is_tensor(b):
        same = torch.is_tensor(a) and torch.is_tensor(b) and a.dtype == b.dtype and torch.equal(a, b)
        return [] if same else [at]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [at + " (keys)"]
        return [d for k in a for d in diff(a[k], b[k], at + "/" + str(k))]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, at + "/" + str(i))]
    return [] if a == b else [at]
bad = 0
args = sys.argv[1:]
for ref, out in zip(args[::2], args[1::2]):
    a, b = torch.load(ref), torch.load(out)
    for ck in (a, b):
        if isinstance(ck, dict) and isinstance(ck.get("config"), str):
            ck["config"] = {k: v for k, v in json.loads(ck["config"]).items() if k != "resume"}
    for d in diff(a, b, out):
        print("  differs:", d)
        bad = 1
sys.exit(bad)
PYEOF
}
# same_tree REF OUT: every weights file and metrics.jsonl of REF is in OUT and equal; no temp files.
same_tree() {
  local ref=$1 out=$2 bad=0 f pths=()
  while IFS= read -r f; do
    [ -e "$out/$f" ] || { echo "  missing: $f"; bad=1; continue; }
    case "$f" in
      *.pth) cmp -s "$ref/$f" "$out/$f" || pths+=("$ref/$f" "$out/$f") ;;
      *.safetensors) cmp -s "$ref/$f" "$out/$f" || { echo "  differs: $f"; bad=1; } ;;
      *.jsonl|*results.json) same_json "$ref/$f" "$out/$f" || { echo "  differs: $f"; diff <(normalise_json "$ref/$f") <(normalise_json "$out/$f") | head -4; bad=1; } ;;
    esac
  done < <(cd "$ref" && find . -type f \( -name '*.pth' -o -name '*.safetensors' -o -name '*.jsonl' -o -name results.json \) | sort)
  [ ${#pths[@]} -eq 0 ] || same_pth "${pths[@]}" || bad=1
  if [ -n "$(find "$out" -name '*.tmp.*')" ]; then echo "  temp files left:"; find "$out" -name '*.tmp.*' | head -3; bad=1; fi
  return $bad
}

# --- train: 6 short epochs, killed 5 times at random points of an uninterrupted run's span.
TRAIN=(train --modality audio --data "$T/data/av-fashion" --width 0.125 --audio-frames 96 --mel-bins 32
       --batch-size 32 --epochs 6 --workers 1 --seed 3 --out "$T/run")
t0=$(now_ms)
check train-uninterrupted 0 $A "${TRAIN[@]}"
span=$(( $(now_ms) - t0 ))
mv "$T/run" "$T/run-ref"
kills=0
for round in 1 2 3 4 5 6; do
  resume=(); [ -f "$T/run/last.pth" ] && resume=(--resume)
  if [ $round -le 5 ]; then
    kill_at $(( RANDOM % (span * 4 / 5) )) $A "${TRAIN[@]}" "${resume[@]}"; rc=$?
    [ $rc -eq 137 ] && kills=$((kills+1))
    [ $rc -eq 0 ] && break  # finished before its kill time
    [ $rc -eq 137 ] || { echo "FAIL train round $round: exit $rc, expected 137 or 0"; show_out; fails=$((fails+1)); break; }
  else
    check train-after-kills 0 $A "${TRAIN[@]}" "${resume[@]}"
  fi
done
echo "train: killed $kills times in a ${span} ms span"
ok "train killed at least once" [ $kills -ge 1 ]
ok "train after kill -9: same weights and metrics as uninterrupted" same_tree "$T/run-ref" "$T/run"

# --- reproduce --quick: killed 3 times; reruns (no flag) reuse the finished runs. One run at a time:
# runs side by side share LibTorch's global CPU generator, so the RNG state their checkpoints record
# depends on thread timing (their weights do not).
STUDY=(reproduce --quick --seeds 1 --workers 1 --parallel 1 --data "$T/data" --out "$T/study")
t0=$(now_ms)
check reproduce-uninterrupted 0 $A "${STUDY[@]}"
span=$(( $(now_ms) - t0 ))
mv "$T/study" "$T/study-ref"
kills=0
for round in 1 2 3; do
  kill_at $(( RANDOM % (span * 4 / 5) )) $A "${STUDY[@]}"; rc=$?
  [ $rc -eq 137 ] && kills=$((kills+1))
  [ $rc -eq 0 ] && break
  [ $rc -eq 137 ] || { echo "FAIL reproduce round $round: exit $rc, expected 137 or 0"; show_out; fails=$((fails+1)); break; }
done
check reproduce-after-kills 0 $A "${STUDY[@]}"
echo "reproduce: killed $kills times in a ${span} ms span"
ok "reproduce killed at least once" [ $kills -ge 1 ]
ok "reproduce after kill -9: same runs and results as uninterrupted" same_tree "$T/study-ref" "$T/study"

finish kill9
