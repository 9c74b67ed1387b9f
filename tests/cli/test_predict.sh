#!/usr/bin/env bash
# Issue 18 end to end: videos made here with ffmpeg (mp4, mkv, flv), preprocessed into two splits
# whose label sets differ, a small audio-visual model trained on them, then `predict` on a video:
# its top-1 is the class `eval` predicts for the same clip, and its probabilities are those of the
# preprocessed clip. Also the rough edges: a BOM in a CSV, bare boolean flags, fbank-stats with the
# train data flags, measured fbank statistics in config.json, plain progress lines off a terminal;
# videos without a sound track kept by preprocess --visual-only for a visual model.
# Usage: test_predict.sh path/to/avtune
set -u
AVTUNE=$1
. "$(dirname "$0")/check_lib.sh"
export AVTUNE_CACHE_DIR="$T/cache"
PY=python3

video() {  # video PATH COLOUR TONE_HZ SECONDS [codec args]
  local p=$1 c=$2 f=$3 s=$4; shift 4
  ffmpeg -nostdin -loglevel error -y -f lavfi -i "color=c=$c:size=64x48:rate=10:duration=$s" \
    -f lavfi -i "sine=frequency=$f:sample_rate=22050:duration=$s" -shortest -pix_fmt yuv420p "$@" "$p"
}
mkdir -p "$T/train" "$T/test"
for k in 1 2 3 4; do
  video "$T/train/red$k.mp4" red $((300 + 20 * k)) 2.$k
  video "$T/train/blue$k.mkv" blue $((1500 + 40 * k)) 2.$k
done
video "$T/test/red_t.mp4" red 330 2.5
video "$T/test/blue_t.flv" blue 1550 2.5 -c:v flv -c:a adpcm_swf
video "$T/test/green_t.mp4" green 800 2.2
printf 'name,label\n' > "$T/train.csv"
for k in 1 2 3 4; do printf 'red%s,red\nblue%s,blue\n' $k $k >> "$T/train.csv"; done
# The test CSV as a spreadsheet exports it: a byte-order mark, CRLF, and a class train lacks.
printf '\xef\xbb\xbfname,label\r\nred_t,red\r\nblue_t,blue\r\ngreen_t,green\r\n' > "$T/test.csv"

check preprocess-train 0 "$AVTUNE" -q preprocess "$T/train" --out "$T/pre" --split train --labels "$T/train.csv" --frame-size 32
check preprocess-test 0 "$AVTUNE" -q preprocess "$T/test" --out "$T/pre" --split test --labels "$T/test.csv" --frame-size 32
contains "preprocess says which classes it appended" "new classes appended to classes.txt: green"
ok "classes.txt keeps train's indices and appends" [ "$(tr '\n' ' ' < "$T/pre/classes.txt")" = "blue red green " ]
ok "the flv clip was processed" [ -f "$T/pre/audio/test/blue_t.wav" ]
# AVE's layout end to end: the videos preprocessed once into the pool `all`, its &-separated lists beside them.
check preprocess-ave 0 "$AVTUNE" -q preprocess "$T/test" --out "$T/ave" --split all --frame-size 32
printf 'Category&VideoID&Quality&StartTime&EndTime\r\nRed&red_t&good&0&2\r\nBlue&blue_t&good&0&2\r\nGreen&green_t&good&0&2\r\n' \
  > "$T/ave/Annotations.txt"
printf 'Red&red_t&good&0&2\r\nBlue&blue_t&good&0&2\r\n' > "$T/ave/trainSet.txt"
printf 'Green&green_t&good&0&2\r\n' > "$T/ave/testSet.txt"
check data-check-ave 0 "$AVTUNE" -q data check "$T/ave" --preset ave --frames 2 --audio-frames 96 --mel-bins 32 --csv "$T/ave.csv"
ok "data check reads AVE's lists (2 + 1 clips)" [ "$(wc -l < "$T/ave.csv")" -eq 4 ]
ok "AVE's classes in order of appearance in testSet.txt" grep -q '^test,green_t,0,Green' "$T/ave.csv"
ok "AVE's training clips labelled by Annotations.txt's order" grep -q '^train,blue_t,2,Blue' "$T/ave.csv"

# A small av model; the run measures the training split's fbank statistics (no --fbank-mean given).
check train 0 "$AVTUNE" --threads 2 -q train --modality av --data "$T/pre" --width 0.125 --image-size 32 --frames 2 \
  --audio-frames 96 --mel-bins 32 --epochs 4 --batch-size 4 --lr 0.05 --workers 1 --seed 3 --out "$T/run"
ok "config.json names the classes" $PY -c "import json,sys; m=json.load(open(sys.argv[1]))['model']; sys.exit(m['class_names'] != ['blue','red','green'])" "$T/run/config.json"
ok "config.json records measured fbank statistics" $PY -c "import json,sys; d=json.load(open(sys.argv[1]))['data']; sys.exit(not (d['fbank_stats']=='measured' and abs(d['fbank_mean']+4.503877)>1e-3))" "$T/run/config.json"

# predict on a video, on the same clip preprocessed, and with a broken file among them.
check predict-video 0 "$AVTUNE" --threads 2 -q predict "$T/run/last.pth" "$T/test/red_t.mp4" --json "$T/p.json" --csv "$T/p.csv" --frame-size 32
contains "predict prints the input" "red_t.mp4"
contains "predict prints the audio part of a joint model" "audio part"
ok "predict CSV has rows" [ "$(grep -c 'red_t.mp4' "$T/p.csv")" -ge 3 ]
TOP=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['predictions'][0]['top'][0]['index'])" "$T/p.json")
ok "predict JSON has per-modality top-k" $PY -c "import json,sys; p=json.load(open(sys.argv[1]))['predictions'][0]; sys.exit(not (p['audio'] and p['visual']))" "$T/p.json"
# The class names travel in the checkpoint: a copy away from its run directory names them too.
mkdir -p "$T/alone" && cp "$T/run/last.pth" "$T/alone/model.pth"
check predict-checkpoint-alone 0 "$AVTUNE" --threads 2 -q predict "$T/alone/model.pth" "$T/test/red_t.mp4" --json "$T/pa.json" --frame-size 32
ok "the checkpoint names the classes" $PY -c "import json,sys; t=json.load(open(sys.argv[1]))['predictions'][0]['top'][0]; sys.exit(t['class'] != ['blue','red','green'][t['index']] or t['index'] != int(sys.argv[2]))" "$T/pa.json" "$TOP"
check predict-clip 0 "$AVTUNE" --threads 2 -q predict "$T/run/last.pth" "$T/pre/visual/test/red_t" --json "$T/pc.json"
check predict-run-dir 0 "$AVTUNE" --threads 2 -q predict "$T/run" "$T/pre/visual/test/red_t"
contains "a run directory reads its best.pth" "red_t"
ok "a video and its preprocessed clip get the same probabilities" $PY - "$T/p.json" "$T/pc.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["predictions"][0]["top"]
b = json.load(open(sys.argv[2]))["predictions"][0]["top"]
sys.exit(not ([x["index"] for x in a] == [x["index"] for x in b] and all(abs(x["prob"] - y["prob"]) < 1e-5 for x, y in zip(a, b))))
EOF

# eval on a one-clip split labelled with predict's top-1: 100% top-1; labelled otherwise: 0%.
OTHER=$(( (TOP + 1) % 3 ))
printf 'visual/test/red_t %s\n' "$TOP" > "$T/pre/agree_1fps_path.txt"
printf 'visual/test/red_t %s\n' "$OTHER" > "$T/pre/disagree_1fps_path.txt"
for s in agree disagree; do
  check "eval-$s" 0 "$AVTUNE" --threads 2 -q eval "$T/run/last.pth" --split $s --audio-dir "$T/pre/audio/test" \
    --visual-dir "$T/pre/visual/test" --json "$T/e-$s.json"
done
ok "eval's prediction for the clip is predict's top-1" $PY -c "import json,sys; sys.exit(not (json.load(open(sys.argv[1]))['top1']==1.0 and json.load(open(sys.argv[2]))['top1']==0.0))" "$T/e-agree.json" "$T/e-disagree.json"

# A folder and a list, a broken file among them: the others are predicted, exit 1, the failure named once.
head -c 3000 "$T/test/red_t.mp4" > "$T/test/cut.mp4"
printf 'path\ntest/red_t.mp4\npre/visual/test/blue_t\n' > "$T/list.txt"
check predict-partial 1 "$AVTUNE" --threads 2 predict "$T/run/best.pth" "$T/test" "$T/list.txt" --batch-size 2 --top-k 2
contains "predict names the broken file" "cut.mp4"
contains "predict still predicts the rest" "blue_t.flv"
contains "predict says how many failed" "1 of 6 clip(s) failed"
ok "the error line is not glued to the last progress line" grep -q '^avtune: 1 of 6 clip(s) failed' "$T/out"
ok "a folder and a list are predicted with progress lines" grep -q '^predict 6/6 done in' "$T/out"
# Videos are decoded in memory: nothing is written to the temporary folder.
mkdir -p "$T/tmp-empty"
check predict-in-memory 0 env TMPDIR="$T/tmp-empty" "$AVTUNE" --threads 2 -q predict "$T/run/last.pth" "$T/test/blue_t.flv" --frame-size 32
ok "predict writes no temporary files" [ -z "$(ls -A "$T/tmp-empty")" ]
ok "progress off a terminal has no carriage returns or escape codes" bash -c "! grep -q \$'\\r\\|\\x1b' '$T/out'"
ok "FFmpeg's messages are avtune warnings naming the file" bash -c "! grep -v '^avtune: warning: FFmpeg: .*cut.mp4' '$T/out' | grep -q 'moov atom'"
check predict-missing 1 "$AVTUNE" -q predict "$T/run/last.pth" "$T/nothing.mp4"
contains "predict names a missing input" "nothing.mp4"
"$AVTUNE" -q ckpt init "$T/plain.pth" --model av --width 0.125 --classes 3 >/dev/null 2>&1
check predict-plain-weights 1 "$AVTUNE" -q predict "$T/plain.pth" "$T/test/red_t.mp4"
contains "predict says it needs a run checkpoint" "run checkpoint"
check predict-usage 2 "$AVTUNE" predict

# diagnose finds a run checkpoint's encoders itself and takes its data options from the run's config.
check diagnose-run 0 "$AVTUNE" --threads 2 -q diagnose "$T/run/last.pth" --data "$T/pre" --split test --samples 2 --workers 1 \
  --csv "$T/diag.csv"
contains "diagnose names the audio encoder" "audio encoder"
contains "diagnose names the visual encoder" "visual encoder"
ok "diagnose CSV has an encoder column" grep -q '^visual_net\.,' "$T/diag.csv"
# The run's data options (input sizes, measured normalisation) are diagnose's defaults: giving them
# explicitly changes nothing, giving other ones does.
read -r FM FS <<<"$($PY -c "import json,sys; d=json.load(open(sys.argv[1]))['data']; print(repr(d['fbank_mean']), repr(d['fbank_std']))" "$T/run/config.json")"
DIAG=(--threads 2 -q diagnose "$T/run/last.pth" --data "$T/pre" --split test --samples 2 --workers 1 --threshold 1e-10)
check diagnose-implicit 0 "$AVTUNE" "${DIAG[@]}" --json "$T/di.json"
check diagnose-explicit 0 "$AVTUNE" "${DIAG[@]}" --json "$T/de.json" --frames 2 --image-size 32 --audio-frames 96 --mel-bins 32 \
  --fbank-mean="$FM" --fbank-std="$FS"
check diagnose-other 0 "$AVTUNE" "${DIAG[@]}" --json "$T/do.json" --audio-frames 64 --mel-bins 16 --fbank-mean=3 --fbank-std=0.5
ok "diagnose takes the run's data options" cmp -s "$T/di.json" "$T/de.json"
ok "other data options give another activation view" bash -c "! cmp -s '$T/di.json' '$T/do.json'"

# data check: the preprocessed set passes; without one wav it fails naming the file.
check data-check 0 "$AVTUNE" -q data check "$T/pre" --frames 2 --audio-frames 96 --mel-bins 32 --csv "$T/check.csv"
contains "data check says no errors" "data check: no errors"
ok "data check CSV has a row per clip" [ "$(wc -l < "$T/check.csv")" -eq 12 ]
mv "$T/pre/audio/test/green_t.wav" "$T/green_t.wav"
check data-check-broken 1 "$AVTUNE" -q data check "$T/pre" --frames 2 --audio-frames 96 --mel-bins 32
contains "data check names the missing file" "green_t.wav"
check train-missing-file 1 "$AVTUNE" -q train --modality audio --data "$T/pre" --epochs 1 --out "$T/run-missing"
contains "train fails at start naming the missing file" "green_t.wav"
mv "$T/green_t.wav" "$T/pre/audio/test/green_t.wav"

# Videos without a sound track (half of UCF-101): listed as failed with the flag to use, kept by
# --visual-only (frames only), then a visual model trains and predicts on them without any wav.
mkdir -p "$T/mute"
for v in red1:red blue1:blue red2:red; do
  ffmpeg -nostdin -loglevel error -y -f lavfi -i "color=c=${v#*:}:size=64x48:rate=10:duration=2.2" -an -pix_fmt yuv420p "$T/mute/${v%:*}.mp4"
done
video "$T/mute/blue2.mp4" blue 1500 2.2
printf 'name,label\nred1,red\nblue1,blue\nred2,red\nblue2,blue\n' > "$T/mute.csv"
check preprocess-no-sound 1 "$AVTUNE" -q preprocess "$T/mute" --out "$T/mpre" --labels "$T/mute.csv" --frame-size 32
contains "preprocess names a video without sound and the flag" "red1.mp4: preprocess: expected an audio stream, got none (--visual-only"
ok "the video with sound was processed" [ -f "$T/mpre/audio/train/blue2.wav" ]
check preprocess-visual-only 0 "$AVTUNE" -q preprocess "$T/mute" --out "$T/mpre" --labels "$T/mute.csv" --frame-size 32 --visual-only
contains "--visual-only keeps the videos without sound" "3 clip(s) processed, 1 already done, 0 failed"
ok "--visual-only writes frames, no wav" bash -c '[ -d "$1/visual/train/red1" ] && [ ! -e "$1/audio/train/red1.wav" ]' _ "$T/mpre"
ok "the list names every clip" [ "$(wc -l < "$T/mpre/train_1fps_path.txt")" -eq 4 ]
check data-check-visual 0 "$AVTUNE" -q data check "$T/mpre" --modality visual --frames 2 --split train
contains "data check of the visual modality misses no audio" "data check: no errors"
check data-check-visual-av 1 "$AVTUNE" -q data check "$T/mpre" --modality av --frames 2 --split train
contains "data check of the av modality names a missing wav" "red1.wav"
check train-av-no-sound 1 "$AVTUNE" -q train --modality av --data "$T/mpre" --eval-split none --epochs 1 --out "$T/run-mav"
contains "an av run names the missing wav" "red1.wav"
# The same silent videos in UCF-101's layout (.avi, its shipped lists): the ucf101 preset trains and
# evaluates the visual modality on them.
mkdir -p "$T/ucf/ucfTrainTestlist" "$T/ucfin"
for v in red1:Red_g01 blue1:Blue_g01 red2:Red_g02; do
  ffmpeg -nostdin -loglevel error -y -i "$T/mute/${v%:*}.mp4" -c:v mpeg4 "$T/ucfin/v_${v#*:}_c01.avi"
done
ffmpeg -nostdin -loglevel error -y -i "$T/mute/blue2.mp4" -c:v mpeg4 -c:a pcm_s16le "$T/ucfin/v_Blue_g02_c01.avi"
printf '1 Blue\r\n2 Red\r\n' > "$T/ucf/ucfTrainTestlist/classInd.txt"
printf 'Red/v_Red_g01_c01.avi 2\r\nBlue/v_Blue_g01_c01.avi 1\r\n' > "$T/ucf/ucfTrainTestlist/trainlist01.txt"
printf 'Red/v_Red_g02_c01.avi\r\nBlue/v_Blue_g02_c01.avi\r\n' > "$T/ucf/ucfTrainTestlist/testlist01.txt"
check preprocess-ucf-visual-only 0 "$AVTUNE" -q preprocess "$T/ucfin" --out "$T/ucf" --split all --visual-only --frame-size 32
check data-check-ucf-visual 0 "$AVTUNE" -q data check "$T/ucf" --preset ucf101 --modality visual --frames 2
contains "the ucf101 preset's visual-only set checks clean" "data check: no errors"
check train-ucf-visual-only 0 "$AVTUNE" --threads 2 -q train --preset ucf101 --data "$T/ucf" --modality visual --width 0.125 \
  --image-size 32 --frames 2 --epochs 1 --batch-size 2 --workers 1 --seed 3 --out "$T/run-vis"
contains "the visual run evaluated UCF-101's test list" "best eval top-1"
check predict-no-sound 0 "$AVTUNE" --threads 2 -q predict "$T/run-vis/last.pth" "$T/ucfin/v_Red_g01_c01.avi" --frame-size 32
contains "a visual model predicts a video without sound" "v_Red_g01_c01.avi"

# Rough edges: bare boolean flags, fbank-stats with the data flags train takes.
check features-bare-bool 0 "$AVTUNE" -q features "$T/pre/audio/test/red_t.wav" --out "$T/f.npy" --use-energy --htk-compat
check features-bool-value 0 "$AVTUNE" -q features "$T/pre/audio/test/red_t.wav" --out "$T/f.npy" --htk-compat false
check fbank-stats-data-flags 0 "$AVTUNE" -q fbank-stats --data "$T/pre" --audio-dir "$T/pre/audio/train" --train-split train \
  --audio-frames 96 --mel-bins 32
contains "fbank-stats prints flags" "--fbank-mean"
# Usage errors exit 2 (CLI11's own codes were 105, 109, ...), whatever the subcommand.
check unknown-flag 2 "$AVTUNE" fbank-stats --data "$T/pre" --nope
contains "an unknown flag is named" "--nope"
check flag-twice 2 "$AVTUNE" preprocess "$T/test" --out "$T/a" --out "$T/b"
check bad-preset 2 "$AVTUNE" train --data "$T/pre" --preset kinetics --out "$T/x"
# scripts/run.sh --out DIR: the caller's --out replaces the default one (CLI11 refuses two). The script
# runs in a copy whose setup, build and avtune are stubs that record their arguments.
mkdir -p "$T/repo/scripts" "$T/repo/build"
cp "$(dirname "$0")/../../scripts/run.sh" "$T/repo/scripts/"
printf '#!/bin/sh\n' > "$T/repo/scripts/setup.sh"; cp "$T/repo/scripts/setup.sh" "$T/repo/scripts/build.sh"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" > "%s"\n' "$T/args" > "$T/repo/build/avtune"; chmod +x "$T/repo/build/avtune"
check run-sh-out 0 bash "$T/repo/scripts/run.sh" --quick --out "$T/mine"
ok "run.sh passes one --out, the caller's" bash -c '[ "$(grep -c -- "^--out\$" "$1")" -eq 1 ] && grep -qx -- "$2" "$1"' _ "$T/args" "$T/mine"
check run-sh-default 0 env AVTUNE_OUT="$T/default" bash "$T/repo/scripts/run.sh" --quick
ok "run.sh without --out uses the default" grep -qx -- "$T/default" "$T/args"

finish predict
