#pragma once
// The Kaldi fbank computed directly, for the data pipeline: same options, numbers (within float
// rounding, see docs/audio.md) and errors as kaldi_fbank, at several times its speed.
//
// Each frame goes through one pass (copy/dither, DC removal, energy, pre-emphasis, window, FFT,
// power, sparse mel, log) straight into the output rows, with no per-frame tensor operation. The FFT
// is FFTW3's (single precision): the library made for small real transforms, already a Debian
// package, and its execute functions are thread-safe, so every loader thread shares one plan per
// FFT length (docs/performance.md has the measurements behind the choices).
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
