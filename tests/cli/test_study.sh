#!/usr/bin/env bash
# End-to-end checks of the study commands on the quick embedded data: train with ABRi / BN resets,
# eval of an ABRi run, Fusion Tuning's three steps, linear probing, `reproduce --plan`, and
# `reproduce --quick` with a report whose every figure exists as a valid PNG plus an SVG, re-rendered
# by `avtune report` from results.json alone.
# Usage: test_study.sh path/to/avtune
set -u
AVTUNE=$1
. "$(dirname "$0")/check_lib.sh"

A="$AVTUNE --threads 2 -q"
D="$T/data"
check make-data 0 $A make-data --quick --out "$D"
AV="$D/av-fashion"
SMALL="--width 0.125 --audio-frames 96 --mel-bins 32 --image-size 32 --batch-size 32 --epochs 1 --workers 1"

# Normalisation statistics of a data set's audio.
check fbank-stats 0 $A fbank-stats --data "$AV" --audio-frames 96 --mel-bins 32 --json "$T/stats.json"
contains "fbank-stats prints flags" "--fbank-mean"
ok "fbank-stats json" grep -q '"std"' "$T/stats.json"
check fbank-stats-missing 1 $A fbank-stats --data "$T/nothing"

# A visual source model, then cross-modal audio training with ABRi: alpha table printed and saved.
check pretrain 0 $A train --modality visual --data "$D/fashion-source" --format image-folder --image-size 32 \
  --width 0.125 --epochs 1 --batch-size 64 --out "$T/src"
check abri-train 0 $A train --modality audio --data "$AV" $SMALL --init "$T/src/last.pth:conv1=sum" --abri channel \
  --abri-alpha 0.8 --out "$T/abri"
contains "abri alpha table" "ABRi mixing weights"
contains "abri alpha per bn" "audio_net.layer2.0.downsample.1"
ok "abri_alpha.csv has 20 BN rows" [ "$(wc -l < "$T/abri/abri_alpha.csv")" -eq 21 ]
ok "abri_alpha.png" is_png "$T/abri/abri_alpha.png"
ok "curve.png" is_png "$T/abri/curve.png"
check abri-eval 0 $A eval "$T/abri/last.pth"
contains "eval of an abri run" "top1"
check bn-reset 0 $A train --modality audio --data "$AV" $SMALL --init "$T/src/last.pth:conv1=mean" --bn-reset all --out "$T/reset"
check diagnose-plot 0 $A diagnose "$T/reset/last.pth" --select audio_net. --compare "$T/abri/last.pth" --plot "$T/diag.png"
ok "diagnose --plot png" is_png "$T/diag.png"
check bad-bn-reset 2 $A train --modality audio --data "$AV" $SMALL --bn-reset sometimes --out "$T/x"

# Fusion Tuning: stage 1 (confidences), masks (three rules), stage 2 with masks, and probes.
check stage1 0 $A fust stage1 --data "$AV" $SMALL --visual-init "$T/src/last.pth" --out "$T/fust"
ok "confidences.csv: header + one row per training clip" \
  [ "$(wc -l < "$T/fust/confidences.csv")" -eq "$(( $(wc -l < "$AV/train_1fps_path.txt") + 1 ))" ]
check masks-ref 0 $A fust masks --stage1 "$T/fust" --rule reference
contains "reference never masks visual" "visual masked in 0"
check masks-sym 0 $A fust masks --stage1 "$T/fust" --rule symmetric --tau 0.0 --rho-audio 0.6 --rho-visual 0.6
ok "symmetric ratios written" [ -s "$T/fust/ratios-symmetric.csv" ]
ok "summary json" [ -s "$T/fust/ratios-symmetric.json" ]
ok "confidence scatter png" is_png "$T/fust/ratios-symmetric.png"
check masks-mean 0 $A fust masks --stage1 "$T/fust" --mean --out "$T/fust/mean.csv"
check masks-bad-rho 1 $A fust masks --stage1 "$T/fust" --rho-audio 1.5
check masks-neither 1 $A fust masks
# Stage 2 takes stage 1's data set and architecture unless told otherwise.
check stage2 0 $A fust stage2 --stage1 "$T/fust" --masks "$T/fust/ratios-symmetric.csv" --epochs 1 --batch-size 32 --workers 1 --out "$T/s2"
grep -q '"mask_file"' "$T/s2/config.json" && passes=$((passes+1)) || { echo "FAIL stage2 config lacks mask_file"; fails=$((fails+1)); }
check probe-audio 0 $A probe "$T/s2/last.pth" --modality audio --epochs 1 --batch-size 32 --workers 1 --out "$T/probe-a"
contains "probe reports accuracy" "best eval top-1"
check probe-visual 0 $A probe "$T/s2/last.pth" --modality visual --epochs 1 --batch-size 32 --workers 1 --out "$T/probe-v"
for f in sum film gated; do
  check "av-fusion-$f" 0 $A train --modality av --data "$AV" $SMALL --fusion $f --out "$T/fusion-$f"
  check "eval-fusion-$f" 0 $A eval "$T/fusion-$f/last.pth"
done
# A broken ratios file: the error names the file and the line.
head -3 "$T/fust/ratios-symmetric.csv" > "$T/bad.csv"; echo "oops,1,0.5" >> "$T/bad.csv"
check stage2-bad-masks 1 $A train --modality av --data "$AV" $SMALL --mask-file "$T/bad.csv" --out "$T/s2bad"
contains "bad mask file named with line" "bad.csv:4"
check stage2-no-stage1 1 $A fust stage2 --stage1 "$T/nothing" $SMALL --out "$T/s2x"
contains "stage2 explains stage1" "fust stage1"

# The study's plan: JSON with every hyper-parameter and seed, printed without data or training.
check reproduce-plan 0 $A reproduce --quick --seeds 2 --plan --data "$T/no-data" --out "$T/no-study"
"$AVTUNE" -q reproduce --quick --seeds 2 --plan > "$T/plan.json" 2>/dev/null
ok "reproduce --plan prints valid JSON" python3 -c "import json,sys; p=json.load(open(sys.argv[1])); \
assert p['quick'] and p['seeds'] == 2 and p['cross_seeds'] == 2 and p['seed_bases']['joint'] == 200" "$T/plan.json"
ok "reproduce --plan trains nothing" test ! -e "$T/no-study" -a ! -e "$T/no-data"

# The whole study, quick: report.md/html and results.json; every figure the report names is a PNG.
check reproduce-quick 0 $AVTUNE --threads 2 -q reproduce --quick --seeds 1 --data "$D" --out "$T/study"
contains "reproduce names the report" "report.html"
ok "report.md" [ -s "$T/study/report.md" ]
ok "results.json" [ -s "$T/study/results.json" ]
ok "the first run trained" grep -q '"runs_trained_now": [1-9]' "$T/study/results.json"
ok "cross-modal seeds default to --seeds with --quick" grep -q '"cross_seeds": 1' "$T/study/results.json"
figs=$(grep -o 'figures/[A-Za-z0-9_.-]*\.png' "$T/study/report.md" "$T/study/report.html" | sed 's/.*figures/figures/' | sort -u)
ok "the report names figures" [ -n "$figs" ]
for f in $figs; do ok "figure $f is a PNG" is_png "$T/study/$f"; done
ok "html embeds figures" grep -q 'data:image/png;base64,' "$T/study/report.html"
# Headless Chromium (installed by scripts/setup.sh) opens the report; the page's own script counts the
# figures that decoded. Offline: the report needs nothing but itself.
nfig=$(grep -o '<img ' "$T/study/report.html" | wc -l)
check chromium-opens-report 0 timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --user-data-dir="$T/chromium" --virtual-time-budget=5000 --dump-dom "file://$T/study/report.html"
contains "chromium shows every figure ($nfig)" "data-figures=\"$nfig/$nfig\""
# A second run reuses every finished stage: no training run starts.
check reproduce-cached 0 $AVTUNE --threads 2 reproduce --quick --seeds 1 --data "$D" --out "$T/study"
if grep -q "avtune reproduce: training " "$T/out"; then echo "FAIL reproduce re-ran a finished stage"; fails=$((fails+1)); else passes=$((passes+1)); fi
ok "the second run trained nothing" grep -q '"runs_trained_now": 0' "$T/study/results.json"
# Figures as SVG beside the PNGs (the default --figure-format).
ok "svg figures" test -s "$T/study/figures/joint.svg" -a -s "$T/study/figures/confidence_scatter.svg"
ok "svg is SVG" grep -q '<svg' "$T/study/figures/joint.svg"
# `avtune report` re-renders a finished study from results.json: deleted files come back, nothing trains.
rm -f "$T/study/report.md" "$T/study/figures/joint.png" "$T/study/figures/joint.svg"
touch "$T/marker"; sleep 1
check report-rerender 0 $A report "$T/study"
contains "report names report.html" "report.html"
ok "report.md re-rendered" [ -s "$T/study/report.md" ]
ok "figure re-rendered" is_png "$T/study/figures/joint.png"
ok "svg re-rendered" [ -s "$T/study/figures/joint.svg" ]
ok "report trained nothing" [ -z "$(find "$T/study" -newer "$T/marker" -type f ! -path '*/figures/*' ! -name 'report.*')" ]
check report-pdf 0 $A report "$T/study" --figure-format pdf
ok "pdf figures" [ "$(head -c 4 "$T/study/figures/joint.pdf")" = "%PDF" ]
check report-missing 1 $A report "$T/nothing"
contains "report names the missing file" "$T/nothing/results.json"
mkdir -p "$T/not-a-study"; echo '{"epochs": 3}' > "$T/not-a-study/results.json"
check report-not-a-study 1 $A report "$T/not-a-study"
contains "report says what it wanted" "results of a study"
check report-no-dir 2 $A report
check report-bad-format 2 $A report "$T/study" --figure-format gif
check report-two-dirs 2 $A report "$T/study" "$T/s2"

finish study
