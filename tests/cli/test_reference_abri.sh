#!/usr/bin/env bash
# The reference code's checkpoints and rules from the CLI (issue 16): an ABRi checkpoint in the
# reference's layout (made by tests/reference/make_fidelity_fixtures.py with the reference's module
# names) is described, converted both ways, trained from, evaluated, probed and diagnosed; Fusion
# Tuning's mean mode follows the reference.
# Usage: test_reference_abri.sh path/to/avtune path/to/reference-python
set -u
AVTUNE=$1
PY=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/check_lib.sh"

check fixtures 0 "$PY" "$HERE/../reference/make_fidelity_fixtures.py" "$T/fx" || { finish cli_reference_abri; exit 1; }
REF=$T/fx/abri/ref_audio_batch.pth
check make-data 0 "$AVTUNE" -q make-data --quick --out "$T/md" --workers 2
D=$T/md/av-fashion
SMALL="--width 0.125 --audio-frames 64 --mel-bins 32 --batch-size 8 --epochs 1 --workers 1 --eval-split test"

keys() { "$AVTUNE" ckpt info "$1" | awk 'f { print $1 } /^key / { f = 1 }' | grep -v '^parameters:'; }

# ckpt info names the layout; convert renames both ways and back to the same names and tensors.
check info 0 "$AVTUNE" ckpt info "$REF"
contains "info says reference ABRi layout" "layout: reference ABRi layout (downsample.conv/bn"
contains "info lists the stored names" "audio_net.layer2.0.downsample.conv.weight"
check to-avtune 0 "$AVTUNE" ckpt convert "$REF" "$T/ours.safetensors" --layout avtune
check info-ours 0 "$AVTUNE" ckpt info "$T/ours.safetensors"
contains "converted to avtune's layout" "layout: avtune ABRi layout"
contains "avtune's downsample names" "audio_net.layer2.0.downsample.0.weight"
check to-reference 0 "$AVTUNE" ckpt convert "$T/ours.safetensors" "$T/back.pth" --layout reference
contains "converted back" "reference ABRi layout"
ok "round trip keeps every name in order" diff <(keys "$REF") <(keys "$T/back.pth")
check torch-reads-back 0 "$PY" -c "
import sys, torch
a, b = torch.load(sys.argv[1]), torch.load(sys.argv[2])
assert list(a.keys()) == list(b.keys()), 'keys differ'
assert all(torch.equal(a[k], b[k]) for k in a), 'values differ'
" "$REF" "$T/back.pth"
check convert-as-stored 0 "$AVTUNE" ckpt convert "$REF" "$T/same.pth"
ok "convert keeps the names by default" diff <(keys "$REF") <(keys "$T/same.pth")

# train --init: with --abri the twins and alpha continue; without it the originals load.
check train-abri 0 "$AVTUNE" --threads 2 train --modality audio --data "$D" --init "$REF" --abri batch $SMALL --out "$T/run-abri"
contains "twins and alpha from the checkpoint" "audio encoder: ABRi batch mode, twins and alpha from the checkpoint"
# 240: every key of the ABRi encoder (20 convs, 20 BNs and their twins with 5 tensors each, 20 alphas).
contains "every encoder key loaded, nothing missing" "ref_audio_batch.pth: 240 loaded"
check train-plain 0 "$AVTUNE" --threads 2 train --modality audio --data "$D" --init "$REF" $SMALL --out "$T/run-plain"
contains "twins unused without --abri" "unexpected"
check train-av 0 "$AVTUNE" --threads 2 train --modality av --data "$D" --audio-init "$REF" --abri batch $SMALL \
  --image-size 32 --out "$T/run-av"
contains "audio twins from the checkpoint" "audio encoder: ABRi batch mode, twins and alpha from the checkpoint"
contains "visual twins fresh" "visual encoder: ABRi batch mode, alpha 0.5"
check train-wrong-mode 1 "$AVTUNE" --threads 2 train --modality audio --data "$D" --init "$REF" --abri channel $SMALL --out "$T/run-x"
contains "wrong mode names the right one" "use --abri batch"

# eval: the reference file as it is equals the converted one; the twins are used (not dropped).
check eval-ref 0 "$AVTUNE" --threads 2 eval "$REF" --modality audio --data "$D" --width 0.125 --audio-frames 64 \
  --mel-bins 32 --json "$T/e-ref.json"
check eval-ours 0 "$AVTUNE" --threads 2 eval "$T/ours.safetensors" --modality audio --data "$D" --width 0.125 \
  --audio-frames 64 --mel-bins 32 --json "$T/e-ours.json"
check eval-same 0 "$PY" -c "
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a['top1'] == b['top1'] and a['loss'] == b['loss'], (a, b)
" "$T/e-ref.json" "$T/e-ours.json"

# probe: the frozen ABRi encoder as trained (twins and alpha loaded).
check probe 0 "$AVTUNE" --threads 2 probe "$REF" --modality audio --data "$D" $SMALL --out "$T/probe"
contains "probe loads the twins" "twins and alpha from the checkpoint"

# diagnose: parameters and activations of the ABRi encoder, BN layers under avtune's names.
check diagnose 0 "$AVTUNE" -q --threads 2 diagnose "$REF" --select audio_net. --data "$D" --modality audio --samples 8 \
  --audio-frames 64 --mel-bins 32 --workers 1 --csv "$T/diag.csv"
contains "diagnose lists the downsample BN" "layer2.0.downsample.1"
ok "diagnose measured every BN layer (twins skipped)" awk -F, 'NR > 1 && $NF ~ /^[0-9]+$/ { n++ } END { exit !(n == 20) }' "$T/diag.csv"

# Fusion Tuning's mean mode (reference rule): typical confidences have a negative raw mean -> no mask.
"$PY" - "$T/fx/masks.json" "$T/conf.csv" <<'PYEOF'
import json, sys
case = json.load(open(sys.argv[1]))["cases"][0]
with open(sys.argv[2], "w") as f:
    f.write("name,label,audio,visual\n")
    for i, (a, v) in enumerate(case["confidences"]):
        f.write("clip_%d,0,%r,%r\n" % (i, a, v))
PYEOF
check fust-mean 0 "$AVTUNE" fust masks --confidences "$T/conf.csv" --rule reference --mean --out "$T/mean.csv"
contains "mean mode masks nothing" "audio masked in 0 "
check fust-mean-clamped 0 "$AVTUNE" fust masks --confidences "$T/conf.csv" --rule reference --mean-of-clamped --out "$T/mc.csv"
contains "the clamped mean masks every sample" "audio masked in 200 "

finish cli_reference_abri
