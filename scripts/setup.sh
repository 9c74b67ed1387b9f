#!/usr/bin/env bash
# Installs every Debian package avtune needs to build, test and run.
# Idempotent and non-interactive; runs as root or through sudo.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # LibTorch (CPU, Debian) and a fast BLAS so it does not use the reference BLAS
  libtorch-dev libopenblas0-pthread libopenblas-dev
  # c10d's Gloo backend: its headers (the library comes with libtorch)
  libgloo-dev
  # audio, image, video
  libsndfile1-dev libsoxr-dev libavformat-dev libavcodec-dev libavutil-dev
  libswscale-dev libswresample-dev libjpeg62-turbo-dev libpng-dev ffmpeg
  # the data pipeline's fbank: FFTW3's single-precision FFT (docs/audio.md)
  libfftw3-dev
  # CLI, config, formatting
  libcli11-dev nlohmann-json3-dev libfmt-dev
  # figures: cairo (anti-aliased PNG, SVG, PDF) with a real font
  libcairo2-dev fonts-dejavu-core
  # embedded default data
  libespeak-ng-dev espeak-ng-data espeak-ng dataset-fashion-mnist zlib1g-dev
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # tests and benchmarks (python3-torch* serve as the parity reference)
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-torch python3-torchvision python3-torchaudio python3-pil
  # the study report must open in a browser with every figure shown (checked headless)
  chromium
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: expected root or sudo to install packages" >&2; exit 1; }
  SUDO="sudo"
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PKGS[@]} packages present"
fi

# Debian's libblas.so.3 alternative decides which BLAS LibTorch links at run time.
if command -v update-alternatives >/dev/null; then
  for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
    cur=$(update-alternatives --query "$alt" 2>/dev/null | awk '/^Value:/{print $2}')
    best=$(update-alternatives --list "$alt" 2>/dev/null | grep -m1 openblas-pthread || true)
    if [ -n "$best" ] && [ "$cur" != "$best" ]; then
      $SUDO update-alternatives --set "$alt" "$best"
    fi
  done
fi
