#pragma once
// The Kaldi fbank computed directly, for the data pipeline: kaldi_fbank's options, errors and
// numbers (within 1e-3 of torchaudio on the whole parity grid), several times faster (docs/audio.md).
//
// Each frame goes through one pass (copy/dither, DC removal, energy, pre-emphasis, window, FFT,
// power, sparse mel, log) straight into its output row, with no per-frame tensor operation. The FFT
// is FFTW3's, in single precision: a library made for small transforms, a Debian package, and its
// execute functions are thread-safe, so every loader thread shares one plan per FFT length. A real
// frame of n samples goes through FFTW's complex DFT of n/2 points (3x faster here than its r2c).
//
// Frames where float rounding decides some mel value (bins some 90 dB under the frame's level: ~2%
// of speech frames, every frame of a pure tone) are recomputed with kaldi_fbank's ATen operations:
// there any two float FFTs disagree by more than the parity tolerance (torchaudio itself is up to
// 8e-3 from the exact values).
#include <torch/torch.h>

#include <cstdint>

#include "avtune/audio/fbank.h"

namespace avtune {

// kaldi_fbank's contract: a 1-D floating waveform, float32 [frames, bins (+1)], the same option
// checks and error messages, dither drawn from `generator` exactly as kaldi_fbank draws it. Every
// option kaldi_fbank accepts is supported; a non-CPU waveform goes to kaldi_fbank.
torch::Tensor fast_fbank(const torch::Tensor& wave, const FbankOptions& opts,
                         c10::optional<at::Generator> generator = c10::nullopt);

// The first min(max_frames, frames) rows of fast_fbank(wave) written to `out` (row stride
// `out_stride` floats, at least the column count), each value v stored as (v - shift) / div: the
// audio input's cut and normalisation without an intermediate tensor. `wave` is n float32 samples.
// Returns the number of rows written. Not for subtract_mean (it needs every frame) or dither.
int64_t fast_fbank_into(const float* wave, int64_t n, const FbankOptions& opts, int64_t max_frames, float* out,
                        int64_t out_stride, float shift = 0.0f, float div = 1.0f);

}  // namespace avtune
