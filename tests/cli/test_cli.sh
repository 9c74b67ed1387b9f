#!/usr/bin/env bash
# End-to-end checks of the avtune CLI: help, exit codes, clear errors, and files PyTorch can read.
# Usage: test_cli.sh path/to/avtune path/to/reference-python
set -u
AVTUNE=$1
PY=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/check_lib.sh"

check help 0 "$AVTUNE" --help
for c in ckpt bench make-data preprocess diagnose train fust probe eval predict reproduce; do contains "help lists $c" "$c"; done
check ckpt-help 0 "$AVTUNE" ckpt init --help
contains "ckpt init help shows defaults" "--depth INT=18"
check no-subcommand 2 "$AVTUNE"
check unknown-subcommand 2 "$AVTUNE" frobnicate
check predict-needs-args 2 "$AVTUNE" predict

# A fresh encoder written by avtune loads strictly into torchvision.
check init-encoder 0 "$AVTUNE" --threads 2 ckpt init "$T/enc.pth" --model encoder --depth 18
check torch-loads-encoder 0 "$PY" "$HERE/../reference/check_torch_load.py" weights "$T/enc.pth" encoder 18
contains "torchvision strict keys" "load into torchvision resnet18"
check init-enc34 0 "$AVTUNE" ckpt init "$T/enc34.safetensors" --model encoder --depth 34
check convert-34 0 "$AVTUNE" ckpt convert "$T/enc34.safetensors" "$T/enc34.pth"
check torch-loads-34 0 "$PY" "$HERE/../reference/check_torch_load.py" weights "$T/enc34.pth" encoder 34

# info on a joint model, select a sub-encoder and adapt conv1 from 1 to 3 channels.
check init-av 0 "$AVTUNE" ckpt init "$T/av.pth" --model av --width 0.25 --classes 5
check info-av 0 "$AVTUNE" ckpt info "$T/av.pth"
contains "info shows key" "audio_net.conv1.weight"
contains "info shows shape" "[5, 256]"
contains "info shows count" "parameters:"
check convert-select 0 "$AVTUNE" ckpt convert "$T/av.pth" "$T/audio3.safetensors" --select audio_net. --conv1-in 3 --conv1-adapt replicate
check info-converted 0 "$AVTUNE" ckpt info "$T/audio3.safetensors"
contains "conv1 now 3 channels" "[16, 3, 7, 7]"

# Errors: one clear line naming the file, non-zero exit, nothing written.
printf 'not a checkpoint' > "$T/bad.pth"
check bad-file 1 "$AVTUNE" ckpt info "$T/bad.pth"
contains "bad file named" "bad.pth"
contains "bad file says expected" "expected"
check missing-file 2 "$AVTUNE" ckpt info "$T/nope.pth"
check bad-adapt 1 "$AVTUNE" ckpt convert "$T/av.pth" "$T/x.pth" --select audio_net. --conv1-in 3 --conv1-adapt sum
if [ -e "$T/x.pth" ]; then echo "FAIL bad-adapt left $T/x.pth behind"; fails=$((fails+1)); else passes=$((passes+1)); fi
check bad-device 1 "$AVTUNE" --device cuda:0 bench model --steps 1 --width 0.125 --image-size 32 --audio-frames 64 --mel-bins 32
contains "cuda missing explained" "CUDA"

# Diagnosis of a fresh encoder: a table per BN layer, JSON and CSV written; planted dead channels counted.
check diagnose 0 "$AVTUNE" diagnose "$T/av.pth" --select audio_net. --json "$T/d.json" --csv "$T/d.csv"
contains "diagnose table" "layer4.1.bn2"
[ -s "$T/d.json" ] && [ "$(wc -l < "$T/d.csv")" -eq 21 ] && passes=$((passes+1)) || { echo "FAIL diagnose outputs"; fails=$((fails+1)); }
check diagnose-bad 1 "$AVTUNE" diagnose "$T/bad.pth"
contains "diagnose bad names file" "bad.pth"

# Preprocess: one good video, one without audio -> the good one done, exit 1 naming the bad one.
mkdir -p "$T/videos"
ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=64x48:rate=10:duration=2.2 -f lavfi -i sine=duration=2.2 -shortest "$T/videos/ok.mp4"
ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=64x48:rate=10:duration=2 "$T/videos/mute.mp4"
printf 'ok,yes\nmute,no\n' > "$T/labels.csv"
check preprocess-partial 1 "$AVTUNE" -q preprocess "$T/videos" --out "$T/pre" --labels "$T/labels.csv"
contains "preprocess names the bad video" "mute.mp4"
[ -f "$T/pre/audio/train/ok.wav" ] && [ -f "$T/pre/visual/train/ok/frame_00002.jpg" ] && passes=$((passes+1)) || { echo "FAIL preprocess outputs"; fails=$((fails+1)); }

# make-data: the same seed gives byte-identical files in fresh processes, whatever the thread count.
check make-data-a 0 "$AVTUNE" -q make-data --quick --out "$T/md-a" --workers 2
check make-data-b 0 "$AVTUNE" -q make-data --quick --out "$T/md-b" --workers 1
if diff -r -q "$T/md-a" "$T/md-b" >/dev/null; then passes=$((passes+1)); else echo "FAIL make-data not byte-identical"; diff -r -q "$T/md-a" "$T/md-b" | head -5; fails=$((fails+1)); fi

# The paper's cross-modal diagnosis: a visual (3-channel) source encoder measured on audio.
check init-visual 0 "$AVTUNE" ckpt init "$T/vis.pth" --model encoder --width 0.125 --in-channels 3
check diagnose-cross 0 "$AVTUNE" -q diagnose "$T/vis.pth" --data "$T/md-a/av-fashion" --modality audio --samples 8 \
  --audio-frames 64 --mel-bins 32 --workers 1 --csv "$T/cross.csv"
contains "diagnose-cross lists layers" "layer4.1.bn2"
ok "diagnose-cross measured every layer" awk -F, 'NR > 1 && $NF ~ /^[0-9]+$/ { n++ } END { exit !(n == 20) }' "$T/cross.csv"

# eval/probe tell a run checkpoint from plain weights explicitly: a broken checkpoint or one whose
# config has an unknown key fails naming the file (and the key), not with a key/shape message.
"$PY" - "$T/run-bad-config.pth" <<'PYEOF'
import sys, torch
torch.save({"format": "avtune-checkpoint/1", "model": {"w": torch.zeros(2)}, "optimizer": {}, "scheduler": "{}",
            "epoch": 1, "step": 1, "rng": {}, "config": '{"learning_rat": 0.1}'}, sys.argv[1])
PYEOF
check eval-bad-config 1 "$AVTUNE" -q eval "$T/run-bad-config.pth" --data "$T/md-a/av-fashion"
contains "eval names the unknown key" "learning_rat"
contains "eval names the checkpoint" "run-bad-config.pth"
check probe-bad-config 1 "$AVTUNE" -q probe "$T/run-bad-config.pth" --modality audio --data "$T/md-a/av-fashion"
contains "probe names the unknown key" "learning_rat"
head -c 2000 "$T/vis.pth" > "$T/truncated.pth"
check eval-truncated 1 "$AVTUNE" -q eval "$T/truncated.pth" --data "$T/md-a/av-fashion"
contains "eval truncated names file" "truncated.pth"

# A tiny real benchmark run end to end.
check bench-small 0 "$AVTUNE" --threads 2 bench model --depth 18 --width 0.125 --batch 2 --audio-frames 64 --mel-bins 32 --image-size 32 --steps 2
contains "bench prints samples/s" "samples/s"
# Both benchmarks side by side with the PyTorch reference (tiny shapes, width 1.0 as torchvision has it).
check bench-reference 0 "$AVTUNE" --threads 2 bench model --batch 2 --audio-frames 64 --mel-bins 32 --image-size 32 --steps 1 --reference
contains "bench model prints the PyTorch row" "pytorch"
contains "bench model prints the ratio" "speed-up avtune/pytorch"
check bench-train-reference 0 "$AVTUNE" --threads 2 bench train --data "$T/md-a/av-fashion" --batch 2 --audio-frames 64 \
  --mel-bins 32 --image-size 32 --warmup 1 --steps 2 --workers 1 --nchw --reference
contains "bench train prints the ratio" "speed-up avtune/pytorch"
check bench-fbank-reference 0 "$AVTUNE" bench fbank --clips 1 --repeats 1 --reference
contains "bench fbank prints torchaudio and the ratio" "torchaudio/avtune"
contains "bench fbank prints the resampled input" "22k_to_16k"
check bench-pipeline-reference 0 "$AVTUNE" bench pipeline --data "$T/md-a/av-fashion" --samples 4 --repeats 1 \
  --workers 2 --batch 2 --reference
contains "bench pipeline prints the ratio" "speed-up avtune/python"
contains "bench pipeline prints the loader's scaling" "vs 1 worker"

finish cli
