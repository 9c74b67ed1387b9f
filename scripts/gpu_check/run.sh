#!/usr/bin/env bash
# On a machine with a CUDA PyTorch: builds the GPU check against that PyTorch's LibTorch and runs it,
# then the PyTorch reference step on the same GPU (bench/reference_av_step.py --device cuda).
set -euo pipefail
cd "$(dirname "$0")"
py=${PYTHON:-python3}
prefix=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')
cmake -S . -B /tmp/avtune-gpu-check -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build /tmp/avtune-gpu-check
/tmp/avtune-gpu-check/avtune_gpu_check
"$py" ../../bench/reference_av_step.py --device cuda --steps 20 --warmup 2
