#pragma once
// Kaldi-compatible log-mel filterbank with the semantics of torchaudio.compliance.kaldi.fbank
// (torchaudio 0.13): same option names, same defaults, same numbers (see docs/audio.md).
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace avtune {

// torchaudio's keyword arguments in the same spelling and with the same defaults. `channel` is not
// here: pick or mix channels first (avtune::to_mono).
struct FbankOptions {
  double blackman_coeff = 0.42;
  double dither = 0.0;                // > 0 adds Gaussian noise: the output is random (see kaldi_fbank)
  double energy_floor = 1.0;          // floor on the energy column (absolute); 0 = none
  double frame_length = 25.0;         // ms
  double frame_shift = 10.0;          // ms
  double high_freq = 0.0;             // Hz; <= 0 means Nyquist + high_freq
  bool htk_compat = false;            // with use_energy: energy as the last column instead of the first
  double low_freq = 20.0;             // Hz
  double min_duration = 0.0;          // s; shorter signals give no frames
  int64_t num_mel_bins = 23;
  double preemphasis_coefficient = 0.97;
  bool raw_energy = true;             // energy before pre-emphasis and windowing
  bool remove_dc_offset = true;       // subtract each frame's mean
  bool round_to_power_of_two = true;  // zero-pad each frame to a power of two for the FFT
  double sample_frequency = 16000.0;  // Hz
  bool snip_edges = true;             // false: frames centred on multiples of the shift, edges reflected
  bool subtract_mean = false;         // subtract each output column's mean (CMS)
  bool use_energy = false;            // add a log-energy column
  bool use_log_fbank = true;
  bool use_power = true;              // power spectrum (else magnitude)
  double vtln_high = -500.0;
  double vtln_low = 100.0;
  double vtln_warp = 1.0;             // only 1.0 (no VTLN) is supported
  std::string window_type = "povey";  // hamming|hanning|povey|rectangular|blackman
};

// The options of the paper's audio input (the reference's preprocessing; docs/audio.md): HTK order, Hanning window, 128 bins, no dither, no
// energy column, 25 ms / 10 ms; everything else at torchaudio's defaults.
FbankOptions paper_fbank_options(double sample_frequency = 16000.0);

// Frame sizes in samples, as Kaldi derives them (truncating ms * rate).
struct FrameGeometry {
  int64_t window_size = 0;         // samples per frame
  int64_t window_shift = 0;        // samples between frame starts
  int64_t padded_window_size = 0;  // FFT length
};
// Validates every option that does not depend on the signal; throws avtune::Error naming the option.
FrameGeometry fbank_geometry(const FbankOptions& opts);
// Frames kaldi_fbank produces for `num_samples` samples (0 when shorter than min_duration).
int64_t fbank_num_frames(int64_t num_samples, const FbankOptions& opts);

// Log-mel (or linear) filterbank energies of a 1-D waveform (float samples at their natural scale:
// torchaudio.load's [-1, 1] or Kaldi's int16 range, the features follow). Returns float32
// [frames, num_mel_bins (+1 with use_energy)]. Throws avtune::Error for bad options or a signal
// shorter than one window (as torchaudio does). With dither > 0 the noise comes from `generator`
// (the global LibTorch generator when none is given), so results are random unless it is seeded.
torch::Tensor kaldi_fbank(const torch::Tensor& wave, const FbankOptions& opts,
                          c10::optional<at::Generator> generator = c10::nullopt);

// Building blocks, exposed for tests and for other features.
// Window of `size` samples (hamming|hanning|povey|rectangular|blackman), float32.
torch::Tensor kaldi_window(const std::string& window_type, int64_t size, double blackman_coeff = 0.42);
// Triangular mel filters [num_bins, padded_window_size / 2 + 1] (the Nyquist column is zero), float32.
torch::Tensor kaldi_mel_banks(int64_t num_bins, int64_t padded_window_size, double sample_frequency,
                              double low_freq, double high_freq);

}  // namespace avtune
