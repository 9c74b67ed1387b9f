#!/usr/bin/env bash
# Modality balancing from the CLI (docs/balancing.md): train --modality av --balance ogm-ge|opm|umt on the
# quick embedded data runs, records its settings and writes per-epoch summaries and per-modality accuracy.
# Usage: test_balance.sh path/to/avtune
set -u
AVTUNE=$1
. "$(dirname "$0")/check_lib.sh"

check make-data 0 "$AVTUNE" -q make-data --quick --out "$T/md" --workers 2 || { finish cli_balance; exit 1; }
D=$T/md/av-fashion
SMALL="--width 0.125 --audio-frames 64 --mel-bins 32 --image-size 32 --batch-size 16 --epochs 2 --workers 1"

check train-ogm-ge 0 "$AVTUNE" --threads 2 -q train --modality av --data "$D" $SMALL --balance ogm-ge --balance-alpha 0.5 \
  --out "$T/ogm"
ok "config records the method" grep -q '"balance": "ogm-ge"' "$T/ogm/config.json"
ok "config records alpha" grep -q '"balance_alpha": 0.5' "$T/ogm/config.json"
ok "two epochs logged" [ "$(wc -l < "$T/ogm/metrics.jsonl")" -eq 2 ]
ok "every epoch has the ogm-ge summary" [ "$(grep -c '"method":"ogm-ge"' "$T/ogm/metrics.jsonl")" -eq 2 ]
ok "every epoch has per-modality eval accuracy" [ "$(grep -c '"audio_top1"' "$T/ogm/metrics.jsonl")" -eq 2 ]
ok "curve has per-modality columns" grep -q "eval_audio_top1,eval_visual_top1" "$T/ogm/curve.csv"

check train-opm 0 "$AVTUNE" --threads 2 -q train --modality av --data "$D" $SMALL --balance opm --opm-p-exe 1 --out "$T/opm"
ok "every epoch has the opm summary" [ "$(grep -c '"method":"opm"' "$T/opm/metrics.jsonl")" -eq 2 ]

# UMT: teachers are uni-modal runs (as fust stage 1 trains them).
check umt-audio-teacher 0 "$AVTUNE" --threads 2 -q train --modality audio --data "$D" $SMALL --out "$T/ta"
check umt-visual-teacher 0 "$AVTUNE" --threads 2 -q train --modality visual --data "$D" $SMALL --out "$T/tv"
check train-umt 0 "$AVTUNE" --threads 2 train --modality av --data "$D" $SMALL --balance umt \
  --umt-audio-teacher "$T/ta/last.pth" --umt-visual-teacher "$T/tv/last.pth" --umt-weight 0.5 --out "$T/umt"
contains "a run reports its fbank statistics (the work the refusals below come before)" "fbank statistics"
ok "every epoch has the umt summary" [ "$(grep -c '"method":"umt"' "$T/umt/metrics.jsonl")" -eq 2 ]
ok "config records the teacher" grep -q '"umt_audio_teacher": ".*ta/last.pth"' "$T/umt/config.json"
# A wrong teacher flag fails before any expensive work: no fbank statistics measured or read
# (the runs above printed them), usage errors exit 2 naming the flag.
before_work() { ok "$1: refused before the fbank statistics" bash -c "! grep -q 'fbank statistics' '$T/out'"; }
check umt-teacher-of-the-other-modality 1 "$AVTUNE" --threads 2 train --modality av --data "$D" $SMALL --balance umt \
  --umt-audio-teacher "$T/tv/last.pth" --out "$T/u2"
contains "names the flag" "--umt-audio-teacher: an audio encoder"
before_work other-modality
check umt-missing-teacher 2 "$AVTUNE" --threads 2 train --modality av --data "$D" $SMALL --balance umt \
  --umt-visual-teacher "$T/none.pth" --out "$T/u4"
contains "names the flag" "--umt-visual-teacher: expected an existing weight file"
before_work missing-teacher
check umt-without-teacher 2 "$AVTUNE" --threads 2 train --modality av --data "$D" $SMALL --balance umt --out "$T/u5"
contains "names the flags" "--umt-audio-teacher PATH and/or --umt-visual-teacher PATH"
before_work without-teacher
check teacher-without-umt 2 "$AVTUNE" --threads 2 train --modality av --data "$D" $SMALL --balance ogm \
  --umt-audio-teacher "$T/ta/last.pth" --out "$T/u6"
contains "names the flag" "--umt-audio-teacher: expected a teacher only with --balance umt"
before_work teacher-without-umt
check umt-negative-weight 2 "$AVTUNE" train --modality av --data "$D" --balance umt --umt-weight -1 --out "$T/u3"

check audio-model-refused 2 "$AVTUNE" --threads 2 train --modality audio --data "$D" $SMALL --balance ogm --out "$T/x"
contains "names the need" "an audio-visual model (--modality av)"
before_work audio-model
check film-refused 1 "$AVTUNE" --threads 2 -q train --modality av --fusion film --data "$D" $SMALL --balance ogm-ge --out "$T/y"
contains "names the head" "concat or sum fusion head"
check unknown-method 2 "$AVTUNE" train --modality av --data "$D" --balance greedy --out "$T/z"

finish cli_balance
