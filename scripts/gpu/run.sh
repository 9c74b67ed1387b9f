#!/usr/bin/env bash
# GPU machine (a CUDA PyTorch, no network): builds avtune against that PyTorch's LibTorch, runs the
# CUDA tests (ctest -L cuda), `avtune reproduce --quick` on the GPU and the benchmarks of issue 15
# (paper shapes, B=64, fp32 and bf16 beside PyTorch's same model; end to end from files with loader
# workers, and the loader alone), within about 10 minutes. Logs go to one folder: $OUT, else ./gpu-out.
#
# The media/embedded/study components need libraries such a machine lacks: scripts/gpu/prepare.sh
# (CPU side) packs them into .gpu-deps/avtune-gpu-deps.tar.xz. Without that file the core alone is
# built and tested, and the steps that need the rest are skipped with the reason in summary.txt.
#   scripts/gpu/run.sh                       # PYTHON=python3, JOBS=nproc, BUDGET_S=570 by default
# Steps in the order of what matters most when the budget runs short: build, CUDA tests, the model
# step beside PyTorch, end to end from files and the loader alone, then the quick study.
#
# Dry run on the CPU side (AVTUNE_GPU_DRYRUN=1): the same steps on --device cpu at tiny sizes (B=2 model
# step, a few batches end to end, the study's --plan instead of the quick study), so that the build against
# the prepared libraries and every command line are checked where no GPU is. BUILD_WRAP prefixes the
# build commands (e.g. "flock /tmp/avtune-build.lock nice -n 10" on a shared machine); TORCH_PREFIX
# replaces PyTorch's cmake_prefix_path (Debian's python3-torch has none: /usr/lib/x86_64-linux-gnu/cmake).
#   AVTUNE_GPU_DRYRUN=1 PYTHON=/usr/bin/python3 TORCH_PREFIX=/usr/lib/x86_64-linux-gnu/cmake \
#     BUILD_DIR=build-gpu-dryrun OUT=/tmp/gpu-dryrun-out scripts/gpu/run.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$root/gpu-out}
py=${PYTHON:-python3}
jobs=${JOBS:-$(nproc)}
budget=${BUDGET_S:-570}
build=${BUILD_DIR:-/tmp/avtune-gpu-build}
dry=${AVTUNE_GPU_DRYRUN:-0}
read -r -a wrap <<<"${BUILD_WRAP:-}"
if [ "$dry" = 1 ]; then
  dev=cpu model_b=2 model_w=0 model_s=1 e2e_b=4 e2e_w=2 e2e_s=2 e2e_n=16 pipe_n=16
else
  dev=cuda model_b=64 model_w=3 model_s=10 e2e_b=64 e2e_w=14 e2e_s=8 e2e_n=768 pipe_n=512
fi
start=$(date +%s)
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }
left() { echo $((budget - ($(date +%s) - start))); }
# Runs a step with what is left of the budget (at most $1 s), its output into $out/$2.
step() {
  local cap=$1 log=$2
  shift 2
  local t=$(left)
  [ "$t" -gt "$cap" ] && t=$cap
  if [ "$t" -lt 20 ]; then say "skipped (time budget spent): $*"; return 124; fi
  local s=$(date +%s)
  timeout "$t" "$@" >>"$out/$log" 2>&1
  local rc=$?
  say "$(printf '%-60.60s rc %3d  %4ds' "$*" "$rc" $(($(date +%s) - s)))"
  return $rc
}

say "avtune GPU run: $(date -u +%FT%TZ)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$summary"
else
  say "gpu: no nvidia-smi"
fi
say "mode: $([ "$dry" = 1 ] && echo "dry run on the CPU (tiny sizes)" || echo "GPU") in $build"
prefix=${TORCH_PREFIX:-$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')} || { say "no PyTorch in $py"; exit 1; }
say "torch: $("$py" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())')"

# The prepared Debian libraries: unpacked aside (never over /), found through the prefix path and
# pkg-config's sysroot; the data files the embedded data reads at fixed paths are copied where it looks.
deps=$root/.gpu-deps/avtune-gpu-deps.tar.xz
full=0
cmake_extra=()
if [ -f "$deps" ]; then
  d=/tmp/avtune-deps
  stamp=$(stat -c '%s %Y' "$deps")  # a second call (same tarball) reuses the unpacked folder
  if [ "$(cat "$d/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$d" && mkdir -p "$d" && tar -C "$d" -xJf "$deps" && echo "$stamp" >"$d/stamp"
  fi
  d=$d/root
  ma=x86_64-linux-gnu
  export PKG_CONFIG_SYSROOT_DIR=$d
  export PKG_CONFIG_LIBDIR=$d/usr/lib/$ma/pkgconfig:$d/usr/share/pkgconfig
  libs=$d/usr/lib/$ma:$d/lib/$ma:$d/usr/lib/$ma/pulseaudio  # libpulse's private library lives in a subfolder
  export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  [ -d /usr/share/datasets/fashion-mnist ] || { mkdir -p /usr/share/datasets && cp -r "$d/usr/share/datasets/fashion-mnist" /usr/share/datasets/; }
  [ -d /usr/lib/$ma/espeak-ng-data ] || cp -r "$d/usr/lib/$ma/espeak-ng-data" /usr/lib/$ma/
  mkdir -p /usr/share/fonts/truetype && [ -d /usr/share/fonts/truetype/dejavu ] || cp -r "$d/usr/share/fonts/truetype/dejavu" /usr/share/fonts/truetype/
  cmake_extra=(-DCMAKE_PREFIX_PATH="$prefix;$d/usr" -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$libs")
  full=1
  say "deps: $(wc -l <"$root/.gpu-deps/packages.txt" 2>/dev/null || echo '?') Debian packages from $deps"
else
  cmake_extra=(-DCMAKE_PREFIX_PATH="$prefix" -DAVTUNE_WITH_MEDIA=OFF -DAVTUNE_WITH_EMBEDDED=OFF -DAVTUNE_WITH_STUDY=OFF)
  say "deps: none ($deps missing: run scripts/gpu/prepare.sh on the CPU side); building the core only"
fi

step 300 build.log "${wrap[@]}" cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAVTUNE_BUILD_BENCH=OFF \
  -DAVTUNE_REFERENCE_PYTHON="$(command -v "$py")" "${cmake_extra[@]}" || { say "configure failed: see build.log"; exit 1; }
step 330 build.log "${wrap[@]}" cmake --build "$build" -j "$jobs" --target avtune avtune_tests || { say "build failed: see build.log"; exit 1; }
av=$build/avtune
[ -x "$av" ] || av=$(find "$build" -maxdepth 3 -name avtune -type f -perm -u+x | head -1)
[ -x "$av" ] || { say "build: no avtune binary under $build"; exit 1; }

# The CUDA tests: skipped (not passed) where no GPU is seen.
step 240 ctest.log ctest --test-dir "$build" -L cuda --output-on-failure -V
{ grep -E "Test +#[0-9]+:|tests passed|tests failed" "$out/ctest.log"; grep -m1 -A1 "Skipped$" "$out/ctest.log" | tail -1; } |
  sed 's/^/  /' | tee -a "$summary"

# The model step at the paper's shapes, B=64: fp32 and bf16, each beside PyTorch's same model.
export AVTUNE_BENCH_SCRIPTS=$root/bench
step 150 bench.log "$av" --device $dev bench model --batch $model_b --precision bf16 --warmup $model_w --steps $model_s \
  --nchw --reference --python "$py"
step 120 bench.log "$av" --device $dev bench model --batch $model_b --precision bf16 --warmup $model_w --steps $model_s
grep -E "^(impl|avtune|pytorch|speed-up|shapes)" "$out/bench.log" | grep -v "thread(s)$" | sed 's/^/  /' | tee -a "$summary"

if [ "$full" = 1 ]; then
  # End to end from files: av-fashion at 224 px, B=64, loader threads; then the loader alone.
  e2e=/tmp/avtune-e2e
  rm -rf "$e2e"
  step 120 e2e.log "$av" make-data --out "$e2e" --av-train $e2e_n --av-val 8 --av-test 8 --source-train 100 \
    --source-test 20 --word-train 1 --word-test 1 --image-size 224
  step 120 e2e.log "$av" --device $dev bench train --data "$e2e/av-fashion" --batch $e2e_b --workers $e2e_w --warmup 2 \
    --steps $e2e_s --precision bf16 --audio-frames 1024 --mel-bins 128
  step 90 e2e.log "$av" bench pipeline --data "$e2e/av-fashion" --workers $e2e_w --samples $pipe_n --repeats 1 --batch $e2e_b
  grep -E "^(impl|avtune|pytorch|end to end|loader|training sample|  *[0-9]+ )" "$out/e2e.log" | grep -v "thread(s)$" |
    sed 's/^/  /' | tee -a "$summary"
  # The quick study last: it takes what is left (its runs are cached, so a second call resumes it).
  if [ "$dry" = 1 ]; then
    step 60 reproduce.log "$av" reproduce --quick --plan
  else
    step 240 reproduce.log "$av" --device cuda reproduce --quick --out /tmp/avtune-quick-study
    cp /tmp/avtune-quick-study/report.md "$out/report.md" 2>/dev/null
  fi
  [ "$dry" = 1 ] || grep -iE "verdict|trained|minutes|runs" "$out/reproduce.log" | tail -5 | sed 's/^/  /' | tee -a "$summary"
else
  say "skipped: reproduce --quick and the end-to-end benchmark (they need the media/embedded/study components)"
fi
say "done in $(($(date +%s) - start)) s; logs in $out"
