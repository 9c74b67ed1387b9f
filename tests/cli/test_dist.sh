#!/usr/bin/env bash
# Data-parallel training from the CLI (docs/distributed.md): `train --nproc 2`, the same under Debian's
# torchrun when it is installed, a failing worker naming its rank, and `bench dist`.
# Usage: test_dist.sh path/to/avtune
set -u
AVTUNE=$1
. "$(dirname "$0")/check_lib.sh"

check make-data 0 "$AVTUNE" -q make-data --quick --out "$T/md" --workers 2 || { finish cli_dist; exit 1; }
D=$T/md/av-fashion
SMALL="--width 0.125 --audio-frames 64 --mel-bins 32 --batch-size 8 --epochs 1 --workers 1"

check train-nproc 0 "$AVTUNE" train --nproc 2 --modality audio --data "$D" $SMALL --out "$T/a"
contains "rank 0's progress is prefixed" "[rank 0]"
ok "one run written" [ -f "$T/a/last.pth" ] && [ "$(wc -l < "$T/a/metrics.jsonl")" -eq 1 ]
ok "config records two processes" grep -q '"world_size": 2' "$T/a/config.json"
check nproc-under-launcher 2 env RANK=0 WORLD_SIZE=2 "$AVTUNE" train --nproc 2 --modality audio --data "$D" --out "$T/b"
# Every worker fails on the missing data: exit 1 naming a rank and its error.
check nproc-failing 1 "$AVTUNE" -q train --nproc 2 --modality audio --data "$T/nope" $SMALL --out "$T/c"
contains "names the failed rank" "launch: rank"
contains "carries the worker's error" "nope"

# Debian's torchrun 1.13 spells its flags with underscores; under Python 3.11 its default stream
# settings crash in to_map, which --redirects 1 --tee 1 avoid (docs/distributed.md).
if command -v torchrun >/dev/null; then
  check torchrun 0 torchrun --standalone --no_python --nproc_per_node 2 --redirects 1 --tee 1 \
    "$AVTUNE" train --modality audio --data "$D" $SMALL --out "$T/t"
  ok "torchrun run written" [ -f "$T/t/last.pth" ] && grep -q '"world_size": 2' "$T/t/config.json"
fi

check bench-dist 0 "$AVTUNE" bench dist --nproc 2 --width 0.125 --batch 2 --audio-frames 64 --mel-bins 32 --image-size 32 \
  --warmup 1 --steps 2
contains "bench dist prints the efficiency" "efficiency"
ok "bench dist has a row for 2 processes" grep -qE '^2 +[0-9.]+ +[0-9.]+ +[0-9]+%' "$T/out"

finish cli_dist
