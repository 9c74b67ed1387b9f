#pragma once
// The Kaldi fbank computed directly, for the data pipeline: kaldi_fbank's options, errors and
// numbers (within 1e-3 of torchaudio on the whole parity grid), several times faster (docs/audio.md).
//
// Frames go through in blocks of 8: each frame's copy/dither, DC removal, energy, pre-emphasis and
// window in one pass into its row, then FFTW3's complex DFT of n/2 points (single precision) on its
// (even, odd) sample pairs, with plans made once per length (from FFTW wisdom written in the source,
// else FFTW_ESTIMATE: never timed, so the same bits in every process) and shared across threads;
// then, with the block's 8 frames in the SIMD lanes, the power spectrum, the sparse mel filters (each
// filter touches only its bins) and the log, with no per-frame tensor operation. FFT lengths that
// are not a power of two go one frame at a time.
//
// Frames where float rounding decides some mel value (bins some 90 dB under the frame's level: ~2%
// of speech frames, every frame of a pure tone) are recomputed rounded as kaldi_fbank rounds (ATen's
// mean and FFT, its elementwise operations in the same order):
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

// fast_fbank_into's work on every frame up to a stage, for the benchmark's account of where the time
// goes (`avtune bench fbank`, docs/performance.md): the frames' preparation alone (kPrepare), with
// FFTW's DFTs (kDft), or all of it (kAll, the rows written to a scratch buffer). Returns the frame
// count. Options as for fast_fbank_into.
enum class FbankStage { kPrepare, kDft, kAll };
int64_t fast_fbank_stages(const float* wave, int64_t n, const FbankOptions& opts, FbankStage upto);

}  // namespace avtune
