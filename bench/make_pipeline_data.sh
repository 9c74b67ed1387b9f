#!/usr/bin/env bash
# Kinetics-Sounds-shaped clips for `avtune bench pipeline --data ROOT`: per clip 10 s of 16 kHz mono
# speech (espeak-ng) and ten JPEG frames at 1 fps (ffmpeg's testsrc2 pattern, hue shifted per clip;
# 640x360 unless SIZE says otherwise), in the ks layout (audio/train, visual/train,
# train_1fps_path.txt). Deterministic.
# usage: bench/make_pipeline_data.sh ROOT [CLIPS=128] [SIZE=640x360]
# 128 clips: the loader's epochs (one pass over the clips) then hold 16 batches of 8; with 32, each
# epoch's drain and refill idled a worker often enough to cost ~0.1 of the 1 -> 2 worker scaling
# (docs/performance.md).
set -euo pipefail
root=${1:?usage: make_pipeline_data.sh ROOT [CLIPS] [SIZE]}
clips=${2:-128}
size=${3:-640x360}
mkdir -p "$root/audio/train" "$root/visual/train"
text="The input pipeline reads a short sound file, turns it into a picture of its frequencies over time,
and hands that picture to the network together with three frames of the video. When the network trains
on a fast accelerator, every step waits for these pictures, so the work of making them decides how fast
training can go. This recording exists to measure that work: a few sentences, spoken at an ordinary
pace, with the pauses and the changes of pitch that real speech has. Nothing in it matters but its sound."
espeak-ng -v en-us -s 165 -w "$root/speech.wav" "$text"
: > "$root/train_1fps_path.txt"
for ((i = 0; i < clips; i++)); do
  name=$(printf 'clip%04d' "$i")
  # 10 s of the (looped) speech from a different start per clip, resampled to 16 kHz
  ffmpeg -loglevel error -y -stream_loop -1 -i "$root/speech.wav" -ss $((i * 3 % 25)) -t 10 -ar 16000 -ac 1 \
    -c:a pcm_s16le "$root/audio/train/$name.wav"
  mkdir -p "$root/visual/train/$name"
  ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=$size:rate=1,hue=h=$((i * 37 % 360))" -t 10 -q:v 3 \
    "$root/visual/train/$name/frame_%05d.jpg"
  echo "$root/visual/train/$name 10 $((i % 8))" >> "$root/train_1fps_path.txt"
done
echo "wrote $clips clips to $root"
