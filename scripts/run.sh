#!/usr/bin/env bash
# Sets up a machine, builds avtune and runs the main job: `avtune reproduce`, the paper's whole study
# on the embedded default data (built from Debian packages on first use), ending in a report.
# Extra arguments go to reproduce (e.g. --quick, --seeds 5, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
# The default --out only when the caller gives none (CLI11 refuses --out twice).
out=(--out "${AVTUNE_OUT:-runs/main}")
for a in "$@"; do case "$a" in --out | --out=*) out=() ;; esac; done
./build/avtune reproduce "${out[@]}" "$@"
