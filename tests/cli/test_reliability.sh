#!/usr/bin/env bash
# Hostile inputs, bad flags, a full disk and a second writer through the CLI (issue 17): each ends in
# a clean error (exit 1, or 2 for a usage error) naming the file or flag, never a signal, and leaves
# no partial final file.
# Usage: test_reliability.sh path/to/avtune path/to/python3
set -u
AVTUNE=$1
PY=$2
. "$(dirname "$0")/check_lib.sh"
no_file() {  # no_file NAME PATH: nothing (final or temp) written at PATH*
  if compgen -G "$2*" >/dev/null; then echo "FAIL $1: left $(ls -d "$2"*)"; fails=$((fails+1)); else passes=$((passes+1)); fi
}

# Flags: values no setting can mean are usage errors naming the flag.
TRAIN=(train --modality audio --data "$T/nodata")
check lr-inf 2 "$AVTUNE" "${TRAIN[@]}" --lr inf
contains "lr-inf names the flag" "--lr"
check lr-negative 2 "$AVTUNE" "${TRAIN[@]}" --lr -0.1
check width-nan 2 "$AVTUNE" "${TRAIN[@]}" --width nan
contains "width-nan names the flag" "--width"
check seed-negative 2 "$AVTUNE" "${TRAIN[@]}" --seed -1
contains "seed names the flag" "--seed"
check threads-negative 2 "$AVTUNE" --threads -3 ckpt info "$T/x.pth"
contains "threads names the flag" "--threads"
check bn-threshold-negative 2 "$AVTUNE" "${TRAIN[@]}" --bn-reset-threshold -1
check momentum-above-one 2 "$AVTUNE" "${TRAIN[@]}" --momentum 1.5
check diagnose-threshold-negative 2 "$AVTUNE" diagnose "$T/x.pth" --threshold -0.1
check classes-zero 2 "$AVTUNE" ckpt init "$T/c0.pth" --classes 0
contains "classes names the flag" "--classes"
no_file "classes-zero writes nothing" "$T/c0.pth"
check clip-min-above-max 2 "$AVTUNE" make-data --out "$T/md-x" --clip-min 5 --clip-max 1
contains "clip range names the flags" "--clip-min"
printf 'RIFF' > "$T/x.wav"
check dither-nan 2 "$AVTUNE" features "$T/x.wav" "$T/x.npy" --dither nan
contains "dither names the flag" "--dither"

# A config value of 100k nested arrays: a short error naming the key, not a stack overflow.
$PY -c "import sys; open(sys.argv[1],'w').write('{\"lr\": ' + '['*100000 + ']'*100000 + '}')" "$T/deep.json"
check config-deep 1 "$AVTUNE" "${TRAIN[@]}" --config "$T/deep.json"
contains "config-deep names the key" "'lr'"
ok "config-deep error is short" [ "$(wc -c < "$T/out")" -lt 1000 ]

# Hostile weight files: a pickle nesting 100k lists, safetensors shapes nesting 100k arrays.
$PY -c "import sys; open(sys.argv[1],'wb').write(b'\x80\x02' + b'('*100000 + b'l'*100000 + b'.')" "$T/deep.pth"
check pth-deep 1 "$AVTUNE" ckpt info "$T/deep.pth"
contains "pth-deep names the file" "deep.pth"
$PY - "$T/deep.safetensors" <<'PYEOF'
import json, struct, sys
h = '{"a":{"dtype":"F32","shape":' + '[' * 100000 + ']' * 100000 + ',"data_offsets":[0,4]}}'
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h.encode() + b'\0' * 4)
PYEOF
check safetensors-deep 1 "$AVTUNE" ckpt info "$T/deep.safetensors"
contains "safetensors-deep names the file" "deep.safetensors"
ok "safetensors-deep error is short" [ "$(wc -c < "$T/out")" -lt 1000 ]

# A full disk: files limited to 64 KiB (SIGXFSZ ignored, so writes fail with EFBIG as on a full
# disk). LibTorch's own .pth writer aborts there; avtune reports it and removes its temp file.
mkdir -p "$T/full"
full_disk() { (ulimit -f 64; trap '' XFSZ; exec "$@"); }
check full-disk-init 1 full_disk "$AVTUNE" ckpt init "$T/full/enc.pth" --model encoder
contains "full-disk names the file" "enc.pth"
no_file "full-disk-init leaves nothing" "$T/full/enc.pth"
check init-small 0 "$AVTUNE" ckpt init "$T/enc.safetensors" --model encoder --width 0.5
check full-disk-convert 1 full_disk "$AVTUNE" ckpt convert "$T/enc.safetensors" "$T/full/conv.pth"
no_file "full-disk-convert leaves nothing" "$T/full/conv.pth"
check full-disk-safetensors 1 full_disk "$AVTUNE" ckpt init "$T/full/enc.safetensors" --model encoder
no_file "full-disk-safetensors leaves nothing" "$T/full/enc.safetensors"

# Training: a second writer into the same --out is refused naming the holder; --skip-bad with every
# clip bad fails without a checkpoint.
check make-data 0 "$AVTUNE" -q make-data --quick --out "$T/md" --workers 2
D="$T/md/av-fashion"
SMALL=(--width 0.125 --image-size 32 --frames 1 --audio-frames 64 --mel-bins 32 --epochs 1 --batch-size 4 --workers 1
       --eval-split none)
mkdir -p "$T/run"
# Another process holds the run's lock (flock(1), as avtune's DirLock does) and writes its pid there.
flock "$T/run/.avtune-lock" sh -c 'echo $$ > "$1"; exec sleep 60' sh "$T/run/.avtune-lock" & LOCKER=$!
for _ in $(seq 50); do [ -s "$T/run/.avtune-lock" ] && break; sleep 0.1; done
HOLDER=$(cat "$T/run/.avtune-lock")
check second-writer 1 "$AVTUNE" --threads 2 -q train --modality audio --data "$D" "${SMALL[@]}" --out "$T/run"
contains "second writer names the holder" "process $HOLDER"
no_file "second writer writes no checkpoint" "$T/run/last.pth"
kill "$HOLDER" 2>/dev/null; wait "$LOCKER" 2>/dev/null
check first-writer 0 "$AVTUNE" --threads 2 -q train --modality audio --data "$D" "${SMALL[@]}" --out "$T/run"
ok "metrics written" [ -s "$T/run/metrics.jsonl" ]

cp -r "$D" "$T/allbad"
for f in "$T"/allbad/audio/train/*; do printf 'RIFF....WAVE' > "$f"; done
check skip-bad-all-bad 1 "$AVTUNE" --threads 2 -q train --modality audio --data "$T/allbad" "${SMALL[@]}" --skip-bad true \
  --fbank-mean -4.5 --fbank-std 4.5 \
  --out "$T/run-bad"
contains "skip-bad says no sample loaded" "at least one training sample"
no_file "skip-bad-all-bad writes no checkpoint" "$T/run-bad/last.pth"

# preprocess, make-data and fust stage 1 refuse a second writer too, before writing anything.
hold_lock() {  # hold_lock DIR: another process holds DIR's run lock; sets LOCKER and HOLDER
  mkdir -p "$1"
  flock "$1/.avtune-lock" sh -c 'echo $$ > "$1"; exec sleep 60' sh "$1/.avtune-lock" & LOCKER=$!
  for _ in $(seq 50); do [ -s "$1/.avtune-lock" ] && break; sleep 0.1; done
  HOLDER=$(cat "$1/.avtune-lock")
}
release_lock() { kill "$HOLDER" 2>/dev/null; wait "$LOCKER" 2>/dev/null; }
mkdir -p "$T/videos"
ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=32x32:rate=10:duration=1 -f lavfi -i sine=duration=1 \
  -pix_fmt yuv420p -shortest "$T/videos/a.mkv"
hold_lock "$T/pp"
check preprocess-second-writer 1 "$AVTUNE" -q preprocess "$T/videos" --out "$T/pp"
contains "preprocess second writer names the holder" "process $HOLDER"
no_file "preprocess second writer writes nothing" "$T/pp/audio"
release_lock
hold_lock "$T/md2"
check make-data-second-writer 1 "$AVTUNE" -q make-data --quick --out "$T/md2" --workers 2
contains "make-data second writer names the holder" "process $HOLDER"
no_file "make-data second writer writes nothing" "$T/md2/av-fashion"
release_lock
hold_lock "$T/fs"
check fust-stage1-second-writer 1 "$AVTUNE" --threads 2 -q fust stage1 --data "$D" "${SMALL[@]}" --out "$T/fs"
contains "fust stage1 second writer names the holder" "process $HOLDER"
no_file "fust stage1 second writer writes nothing" "$T/fs/audio"
release_lock

# A .pth whose zip records were recompressed (deflate, as zip tools do; torch.save stores them):
# read as the stored one, tensors included.
check init-stored 0 "$AVTUNE" ckpt init "$T/stored.pth" --model encoder --width 0.25
$PY - "$T/stored.pth" "$T/deflated.pth" <<'PYEOF'
import sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
with zipfile.ZipFile(sys.argv[2], "w", compression=zipfile.ZIP_DEFLATED) as out:
    for info in src.infolist():
        out.writestr(info.filename, src.read(info.filename))
assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zipfile.ZipFile(sys.argv[2]).infolist())
PYEOF
check convert-stored 0 "$AVTUNE" ckpt convert "$T/stored.pth" "$T/stored.safetensors"
check convert-deflated 0 "$AVTUNE" ckpt convert "$T/deflated.pth" "$T/deflated.safetensors"
ok "deflated .pth reads as the stored one" cmp -s "$T/stored.safetensors" "$T/deflated.safetensors"

finish test_reliability
