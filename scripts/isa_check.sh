#!/usr/bin/env bash
# Do the study's verdicts hinge on the processor's instruction set? (issue 20; docs/reproduce.md,
# "Instruction sets"). Runs `avtune reproduce` twice into OUT/default and OUT/avx2 — as the machine
# is, and with oneDNN capped to AVX2 (ONEDNN_MAX_CPU_ISA) and OpenBLAS to its Haswell kernels
# (OPENBLAS_CORETYPE) — then prints both studies' verdicts side by side (`avtune report --compare`).
# Finished runs in either folder are reused, so an interrupted check resumes.
#   scripts/isa_check.sh build/avtune /tmp/isa --quick            # about a minute
#   scripts/isa_check.sh build/avtune /tmp/isa --data /tmp/default-data   # default size: 2 x 15-20 min
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 AVTUNE OUT [reproduce flags...]" >&2; exit 2; fi
AVTUNE=$1 OUT=$2
shift 2
THREADS=${AVTUNE_ISA_THREADS:-2}
"$AVTUNE" --threads "$THREADS" -q reproduce --out "$OUT/default" "$@"
ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell "$AVTUNE" --threads "$THREADS" -q reproduce --out "$OUT/avx2" "$@"
"$AVTUNE" -q report --compare "$OUT/default" "$OUT/avx2"
