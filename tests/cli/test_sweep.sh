#!/usr/bin/env bash
# avtune sweep (docs/fusion_tuning.md, "Searching τ, η, ρ") at quick sizes: a two-setting grid runs, writes
# its table, figures, sweep.json and a best.json the library reads back; a second invocation trains
# nothing, and one whose run was lost trains that run alone; bad flags exit 2 naming the flag. ~1 min.
# Usage: test_sweep.sh path/to/avtune
set -u
AVTUNE=$1
. "$(dirname "$0")/check_lib.sh"

GRID="rule=symmetric;mean=off;tau=0.5;eta=3;rho=0.2,0.6"
check sweep-quick 0 "$AVTUNE" --threads 2 sweep --quick --grid "$GRID" --test-seeds 2 --data "$T/data" --out "$T/sw" \
  || { finish cli_sweep; exit 1; }
contains "progress with ETA" "ETA"
contains "names the choice" "chosen on val:"
for f in sweep.json best.json sweep.md sweep.svg; do ok "writes $f" test -s "$T/sw/$f"; done
ok "sweep.png is a PNG" is_png "$T/sw/sweep.png"
ok "table lists the baseline and both settings" [ "$(grep -c '^| [0-9]' "$T/sw/sweep.md")" -eq 3 ]
ok "table marks the choice" grep -q "(chosen)" "$T/sw/sweep.md"
ok "sweep.json: 3 rows, val per seed, test over 2 seeds, best.json = the chosen rule" python3 -c "
import json, sys
s = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert len(s['settings']) == 3 and s['settings'][0]['key'] == 'baseline'
assert all(len(r['val_top1']) == 1 for r in s['settings'])
assert len(s['test']['best']['test_top1']) == 2 and len(s['test']['baseline']['test_top1']) == 2
assert b == s['best']['rule'] and b['rule'] == 'symmetric' and b['rho_audio'] in (0.2, 0.6)
" "$T/sw/sweep.json" "$T/sw/best.json"
ok "search runs evaluated on val" grep -q '"eval_split": "val"' "$T/sw/search/baseline-seed0/config.json"
ok "test evaluation cached in the run" test -s "$T/sw/search/baseline-seed1/eval-test.json"

# The chosen rule as one more arm of the study (reproduce --fust-setting, docs/reproduce.md).
check plan-with-setting 0 "$AVTUNE" reproduce --quick --plan --fust-setting "$T/sw/best.json" --out "$T/plan-study"
ok "the plan has the setting's arm with best.json's rule" python3 -c "
import json, sys
out = open(sys.argv[1]).read(); plan = json.loads(out[out.index('{'):])
b = json.load(open(sys.argv[2]))
arms = [a for a in plan['fust_arms'] if a['key'].startswith('setting-')]
assert len(arms) == 1, arms
a = arms[0]
assert a['masked'] and a['rule']['rule'] == b['rule'] and a['rule']['rho_audio'] == b['rho_audio'], a
" "$T/out" "$T/sw/best.json"

check sweep-again 0 "$AVTUNE" --threads 2 sweep --quick --grid "$GRID" --test-seeds 2 --data "$T/data" --out "$T/sw"
contains "second invocation trains nothing" "(0 runs trained now)"

# A sweep killed before a run finished: the run's folder is gone; the next invocation trains that run
# alone and gives the same figures (CPU runs are bit-exact given their thread count).
cp "$T/sw/sweep.json" "$T/first.json"
rm -rf "$T/sw/search/baseline-seed1" "$T/sw/sweep.json"
check sweep-resumed 0 "$AVTUNE" --threads 2 sweep --quick --grid "$GRID" --test-seeds 2 --data "$T/data" --out "$T/sw"
contains "trains only the missing run" "(1 runs trained now)"
ok "same figures as before" python3 -c "
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a['settings'] == b['settings'] and a['test'] == b['test'] and a['best'] == b['best']
" "$T/first.json" "$T/sw/sweep.json"

check bad-grid 2 "$AVTUNE" sweep --quick --grid "tau=x" --data "$T/data" --out "$T/bad"
contains "names --grid" "--grid"
check grid-and-random 2 "$AVTUNE" sweep --quick --grid "tau=0.5" --random 3 --data "$T/data" --out "$T/bad"
contains "names --random" "--random"
check zero-test-seeds 2 "$AVTUNE" sweep --quick --test-seeds 0 --data "$T/data" --out "$T/bad"
contains "names --test-seeds" "--test-seeds"
check seed-without-random 2 "$AVTUNE" sweep --quick --seed 3 --data "$T/data" --out "$T/bad"
ok "a refused command trains nothing" test ! -e "$T/bad"

finish cli_sweep
