#!/usr/bin/env bash
# The instruction-set check at the quick size (issue 20): the quick study as the machine is and with
# oneDNN capped to AVX2 and OpenBLAS to Haswell (scripts/isa_check.sh), then `avtune report --compare`.
# Numbers may differ between the two; this checks that both studies ran to the end and gave verdict
# tables over the same findings, each verdict one of the rule's. Cost: two quick studies, about 1-2 min
# on 2 cores (the data build is shared).
# Usage: test_isa_quick.sh path/to/avtune
set -u
AVTUNE=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/cli/check_lib.sh"

check make-data 0 "$AVTUNE" --threads 2 -q make-data --quick --out "$T/data"
check isa-check 0 bash "$ROOT/scripts/isa_check.sh" "$AVTUNE" "$T/isa" --quick --data "$T/data"
for s in default avx2; do
  ok "$s study wrote results.json" [ -s "$T/isa/$s/results.json" ]
  ok "$s study wrote its report" [ -s "$T/isa/$s/report.md" ]
done
contains "comparison table" "| finding | $T/isa/default |"
contains "agreement line" "verdicts agree on"
# Eleven findings in both (2 cross-modal directions x 2, joint x 2, Fusion Tuning, and since issue 19 the
# four beats_baseline rows: OGM-GE, OPM, UMT, FusT best on validation), each with a verdict of the rule.
F='cross_modal_hurts\|abri_helps\|joint_\|fust_\|beats_baseline/'
ok "eleven findings compared" [ "$(grep -c "^| \($F\)" "$T/out")" -eq 11 ]
ok "no finding absent from either study" bash -c "! grep -q '| absent |' '$T/out'"
ok "verdicts are the rule's" bash -c "grep '^| \($F\)' '$T/out' | \
  awk -F'|' '{ if (\$3 !~ /^ (held|contradicted|inconclusive|unknown) \$/ || \$5 !~ /^ (held|contradicted|inconclusive|unknown) \$/) bad=1 } END { exit bad }'"
for s in default avx2; do
  ok "$s results.json has findings with intervals and seeds" python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
f = r['findings']
assert len(f) == 11, len(f)
assert sum(x['id'].startswith('beats_baseline/') for x in f) == 4, [x['id'] for x in f]
for x in f:
    assert x['verdict'] in ('held', 'contradicted', 'inconclusive', 'unknown'), x
    assert x['a']['n'] >= 2 and x['b']['n'] >= 2, x
    assert x['method'] == 'welch' and len(x['ci95']) == 2
" "$T/isa/$s/results.json"
done
# The comparison's usage errors.
check compare-one-dir 2 "$AVTUNE" -q report --compare "$T/isa/default"
check compare-missing 1 "$AVTUNE" -q report --compare "$T/isa/default" "$T/nothing"
contains "compare names the missing file" "$T/nothing/results.json"

finish isa_quick
