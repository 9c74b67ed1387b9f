#!/usr/bin/env bash
# Sets up a machine (Debian packages), builds avtune and runs every test, then builds and tests the
# core alone (media, embedded data and study switched off). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "${AVTUNE_TEST_JOBS:-2}" --timeout 900)
bash scripts/test_core.sh
# Every parser's libFuzzer target for a short fixed time; any finding fails (docs/reliability.md).
AVTUNE_FUZZ_SEED=${AVTUNE_FUZZ_SEED:-1} bash scripts/fuzz.sh "${AVTUNE_FUZZ_SECONDS:-20}"
