#!/usr/bin/env bash
# Sets up a machine, builds avtune and runs the main job on the embedded default.
# Until `avtune reproduce` (the whole study) exists, this runs the study's first steps for real:
# build the embedded data from Debian packages, pre-train a small visual encoder on fashion-source
# with the weight decay that kills channels, diagnose its dead channels, fine-tune it cross-modally
# on av-fashion audio with and without ABRi-ready weights, and benchmark the paper-shape training step.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
A=./build/avtune
data=${AVTUNE_DATA:-data/embedded}
out=${AVTUNE_OUT:-runs/main}
mkdir -p "$out"
[ -f "$data/README.md" ] || $A make-data --out "$data"
$A train --modality visual --data "$data/fashion-source" --format image-folder --eval-split test --image-size 32 \
  --width 0.25 --epochs 3 --lr 0.1 --weight-decay 5e-3 --schedule constant --batch-size 128 --out "$out/visual-source"
$A diagnose "$out/visual-source/last.pth" --select visual_net. --json "$out/diagnosis.json" --csv "$out/diagnosis.csv"
$A train --modality audio --data "$data/av-fashion" --audio-frames 200 --mel-bins 64 --width 0.25 --epochs 4 \
  --init "$out/visual-source/last.pth:conv1=sum" --out "$out/audio-from-visual"
$A bench model --reference --steps 3
