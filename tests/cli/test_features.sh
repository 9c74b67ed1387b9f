#!/usr/bin/env bash
# `avtune features` end to end: NumPy reads its .npy, the values match torchaudio's fbank for the same
# options, errors name the file. Usage: test_features.sh path/to/avtune path/to/reference-python
set -u
AVTUNE=$1
PY=$2
. "$(dirname "$0")/check_lib.sh"

# A 1.3 s stereo 16-bit wav: different content per channel and a DC offset.
check make-wav 0 "$PY" -c "
import math, torch, torchaudio
g = torch.Generator().manual_seed(5)
t = torch.arange(20800) / 16000.0
left = 0.3 * torch.sin(2 * math.pi * 330 * t) + 0.05
right = 0.2 * torch.sin(2 * math.pi * 2100 * t) + 0.02 * torch.randn(20800, generator=g)
torchaudio.save('$T/in.wav', torch.stack([left, right]), 16000, encoding='PCM_S', bits_per_sample=16)
"

# compare NPY PYTHON-EXPRESSION: the fbank torchaudio computes (w = torchaudio.load's waveform) vs the file.
compare() {
  check "compare $1" 0 "$PY" -c "
import sys, numpy as np, torch, torchaudio
from torchaudio.compliance import kaldi
w, sr = torchaudio.load('$T/in.wav')
want = ($2).numpy()
got = np.load('$T/$1')
assert got.dtype == np.float32, got.dtype
assert got.shape == want.shape, (got.shape, want.shape)
err = float(np.abs(got - want).max())
print('$1', got.shape, 'max abs error', err)
sys.exit(0 if err <= 1e-3 else 1)
" && cat "$T/out"
}

check help 0 "$AVTUNE" features --help
contains "help shows bins default" "--num-mel-bins INT=23"
contains "help shows window default" "--window-type TEXT=povey"
contains "help shows bool default" "(default true)"
contains "help shows htk default" "put the energy last (default false)"
contains "help shows preemphasis default" "--preemphasis-coefficient FLOAT=0.97"
check top-help 0 "$AVTUNE" --help
contains "listed" "features"

# torchaudio's defaults on the channel mean.
check defaults 0 "$AVTUNE" features "$T/in.wav" --out "$T/defaults.npy"
contains "prints shape" "features [128, 23]"
compare defaults.npy "kaldi.fbank(w.mean(0, keepdim=True))"

# The paper's options on one channel after removing the waveform mean, plus an energy column.
check paper 0 "$AVTUNE" features "$T/in.wav" --out "$T/paper.npy" --channel 1 --subtract-wave-mean true \
  --htk-compat true --window-type hanning --num-mel-bins 128 --use-energy true --dither 0
compare paper.npy "kaldi.fbank(w[1:2] - w[1:2].mean(), htk_compat=True, window_type='hanning', num_mel_bins=128, use_energy=True)"
# A bare boolean option means true: the same features as with the values spelled out.
check paper-bare 0 "$AVTUNE" features "$T/in.wav" --out "$T/paper_bare.npy" --channel 1 --subtract-wave-mean \
  --htk-compat --window-type hanning --num-mel-bins 128 --use-energy --dither 0
compare paper_bare.npy "kaldi.fbank(w[1:2] - w[1:2].mean(), htk_compat=True, window_type='hanning', num_mel_bins=128, use_energy=True)"

# Every other option away from its default.
check others 0 "$AVTUNE" features "$T/in.wav" --out "$T/others.npy" --frame-length 30 --frame-shift 12.5 \
  --snip-edges false --low-freq 60 --high-freq -500 --preemphasis-coefficient 0.5 --remove-dc-offset false \
  --round-to-power-of-two false --raw-energy false --energy-floor 0.5 --use-energy true --window-type blackman \
  --blackman-coeff 0.4 --subtract-mean true --num-mel-bins 40
compare others.npy "kaldi.fbank(w.mean(0, keepdim=True), frame_length=30, frame_shift=12.5, snip_edges=False, low_freq=60, high_freq=-500, preemphasis_coefficient=0.5, remove_dc_offset=False, round_to_power_of_two=False, raw_energy=False, energy_floor=0.5, use_energy=True, window_type='blackman', blackman_coeff=0.4, subtract_mean=True, num_mel_bins=40)"
check linear 0 "$AVTUNE" features "$T/in.wav" --out "$T/linear.npy" --use-log-fbank false --use-power false
check linear-close 0 "$PY" -c "
import numpy as np, torchaudio
from torchaudio.compliance import kaldi
w, sr = torchaudio.load('$T/in.wav')
want = kaldi.fbank(w.mean(0, keepdim=True), use_log_fbank=False, use_power=False).numpy()
got = np.load('$T/linear.npy')
assert got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-4), float(np.abs(got - want).max())
"

# Resampling: the frame count follows the new rate (1.3 s at 8 kHz: 200-sample windows, 80-sample shift).
check resample 0 "$AVTUNE" features "$T/in.wav" --out "$T/r8k.npy" --sample-rate 8000
contains "resample shape" "features [128, 23] float32 at 8000 Hz"
check resample-numpy 0 "$PY" -c "import numpy as np; a = np.load('$T/r8k.npy'); assert a.shape == (128, 23) and np.isfinite(a).all()"

# Errors: one line naming the file or the option, non-zero exit, no output file.
check missing 2 "$AVTUNE" features "$T/nope.wav" --out "$T/x.npy"
printf 'RIFF1234WAVEjunkjunkjunk' > "$T/bad.wav"
check corrupt 1 "$AVTUNE" features "$T/bad.wav" --out "$T/x.npy"
contains "corrupt names file" "bad.wav"
check bad-window 1 "$AVTUNE" features "$T/in.wav" --out "$T/x.npy" --window-type kaiser
contains "bad window says so" "window_type"
check bad-channel 1 "$AVTUNE" features "$T/in.wav" --out "$T/x.npy" --channel 2
contains "bad channel says so" "channel"
check bad-bool 2 "$AVTUNE" features "$T/in.wav" --out "$T/x.npy" --snip-edges maybe
contains "bad bool says so" "--snip-edges"
check too-long-window 1 "$AVTUNE" features "$T/in.wav" --out "$T/x.npy" --frame-length 2000
contains "too short names file" "in.wav"
if [ -e "$T/x.npy" ]; then echo "FAIL errors left $T/x.npy behind"; fails=$((fails+1)); else passes=$((passes+1)); fi

finish features
