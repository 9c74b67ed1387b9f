#pragma once
// The paper's audio input (the reference's preprocessing; docs/audio.md): fbank -> fixed length -> normalisation, plus SpecAugment masks.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "avtune/audio/fbank.h"
#include "avtune/audio/paper_input.h"

namespace avtune {

// [T, F] -> [target_frames, F]: zero rows appended at the end, or the first target_frames kept.
torch::Tensor pad_or_cut(const torch::Tensor& fbank, int64_t target_frames);

// (x - mean) / (2 * std), as the reference loader does (the factor 2 is the reference's).
torch::Tensor normalize_fbank(const torch::Tensor& x, double mean = kKineticsSoundsFbankMean,
                              double std = kKineticsSoundsFbankStd);

// torchaudio's FrequencyMasking(freq_mask_param) then TimeMasking(time_mask_param) on x [..., T, F]
// (time is dim -2, frequency dim -1). Each mask has a width drawn uniformly from [0, param) and a
// start uniformly from [0, size - width), and is set to 0; the same mask covers every leading
// index. A param below 1 leaves that axis alone. Draws come from `generator` in torchaudio's order,
// so a generator seeded like torch.manual_seed gives torchaudio's masks. Returns a new tensor.
torch::Tensor spec_augment(const torch::Tensor& x, int64_t freq_mask_param, int64_t time_mask_param,
                           at::Generator& generator);

struct AudioInputOptions {
  int target_sample_rate = 16000;   // resampled (libsoxr) when the file differs
  int channel = -1;                 // -1: mean of the channels
  bool keep_float_samples = false;  // float files: stored values, not torchaudio's clipped ones (audio_file.h)
  FbankOptions fbank = paper_fbank_options();  // sample_frequency is set to target_sample_rate
  int64_t target_frames = kPaperAudioFrames;
  bool normalize = true;
  double norm_mean = kKineticsSoundsFbankMean;
  double norm_std = kKineticsSoundsFbankStd;
};

// read -> mono -> resample -> subtract the waveform's mean -> fbank -> pad_or_cut -> normalize_fbank,
// the fbank by fast_fbank (kaldi_fbank's numbers within float rounding) written straight into the
// result, cut and normalised. Returns (1, target_frames, num_mel_bins) float32.
torch::Tensor load_fbank_input(const std::string& path, const AudioInputOptions& opts = {});
// The same from a mono waveform (n) at `sample_rate` already in memory (a decoded video's track).
torch::Tensor fbank_input_from_wave(torch::Tensor wave, int sample_rate, const AudioInputOptions& opts = {},
                                    const std::string& name_for_errors = "");
// Both written into `out` (target_frames x (num_mel_bins [+1 energy]) floats, e.g. a batch slot)
// instead of a new tensor: the same numbers.
void load_fbank_input_into(const std::string& path, const AudioInputOptions& opts, float* out);
void fbank_input_from_wave_into(torch::Tensor wave, int sample_rate, const AudioInputOptions& opts, float* out,
                                const std::string& name_for_errors = "");

}  // namespace avtune
