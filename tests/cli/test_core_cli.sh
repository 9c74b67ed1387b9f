#!/usr/bin/env bash
# The CLI of a core-only build: what it has works, what it lacks exits 2 naming the component.
# Usage: test_core_cli.sh AVTUNE
source "$(dirname "$0")/check_lib.sh"
AV=$1

check "ckpt init runs in a core build" 0 "$AV" -q ckpt init "$T/a.pth" --model audio --width 0.25
ok "ckpt init wrote the file" test -s "$T/a.pth"
check "ckpt info reads it back" 0 "$AV" -q ckpt info "$T/a.pth"
for sub in train eval diagnose fust probe features preprocess fbank-stats bench predict; do
  check "$sub is not in a core build" 2 "$AV" "$sub" --data x
  contains "$sub names the media component" "needs the media component"
  contains "$sub names the option" "AVTUNE_WITH_MEDIA"
done
check "make-data is not in a core build" 2 "$AV" make-data
contains "make-data names the embedded component" "needs the embedded component"
check "reproduce is not in a core build" 2 "$AV" reproduce --quick
contains "reproduce names the study component" "needs the study component"
finish core_cli
