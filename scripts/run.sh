#!/usr/bin/env bash
# Sets up a machine, builds avtune and runs the main job on the embedded default.
# Until `avtune reproduce` exists this is a real smoke run of what is built: a joint audio-visual
# model written as a checkpoint, inspected, converted, and its training step benchmarked against
# the same model in PyTorch at the paper's input shapes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
out=${AVTUNE_OUT:-runs/smoke}
mkdir -p "$out"
./build/avtune ckpt init "$out/av_resnet18.pth" --model av --depth 18 --classes 31
./build/avtune ckpt info "$out/av_resnet18.pth" | head -12
./build/avtune ckpt convert "$out/av_resnet18.pth" "$out/audio_encoder.safetensors" --select audio_net.
./build/avtune bench model --reference --steps 3
