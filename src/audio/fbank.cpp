#include "avtune/audio/fbank.h"

#include <cfloat>
#include <cmath>

#include "avtune/util/error.h"

namespace avtune {

namespace {

constexpr double kMsToS = 0.001;
constexpr double kPi = 3.14159265358979323846;
// Kaldi floors the spectrum and the energy at numeric_limits<float>::epsilon() before the log.
constexpr double kEpsilon = FLT_EPSILON;

std::string num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

int64_t next_power_of_two(int64_t x) {
  int64_t p = 1;
  while (p < x) p *= 2;
  return p;
}

double mel_scale(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }
torch::Tensor mel_scale(const torch::Tensor& hz) { return (hz / 700.0 + 1.0).log() * 1127.0; }

// Rows are frames [m, window_size]. snip_edges: only frames that fit. Otherwise Kaldi's layout:
// m = round(n / shift) frames, frame i starting at i*shift + shift/2 - size/2, with samples outside
// the signal mirrored about its edges (..., x1, x0 | x0, x1, ... | x[n-1], x[n-2], ...).
torch::Tensor frame_signal(const torch::Tensor& wave, const FrameGeometry& g, bool snip_edges) {
  const int64_t n = wave.size(0);
  if (snip_edges) return wave.unfold(0, g.window_size, g.window_shift);
  const int64_t m = (n + g.window_shift / 2) / g.window_shift;
  const int64_t offset = g.window_shift / 2 - g.window_size / 2;
  auto idx = torch::arange(m, torch::kLong).mul(g.window_shift).add(offset).unsqueeze(1) +
             torch::arange(g.window_size, torch::kLong).unsqueeze(0);
  idx = torch::where(idx < 0, -idx - 1, idx);
  idx = torch::where(idx >= n, 2 * n - 1 - idx, idx);
  return wave.take(idx);
}

// log(max(sum of squares, eps)), floored at log(energy_floor) unless the floor is 0.
torch::Tensor log_energy(const torch::Tensor& frames, double energy_floor) {
  auto e = frames.pow(2).sum(1).clamp_min(kEpsilon).log();
  if (energy_floor == 0.0) return e;
  return e.clamp_min(std::log(energy_floor));
}

}  // namespace

FbankOptions paper_fbank_options(double sample_frequency) {
  FbankOptions o;
  o.htk_compat = true;
  o.window_type = "hanning";
  o.num_mel_bins = 128;
  o.dither = 0.0;
  o.use_energy = false;
  o.frame_length = 25.0;
  o.frame_shift = 10.0;
  o.sample_frequency = sample_frequency;
  return o;
}

FrameGeometry fbank_geometry(const FbankOptions& o) {
  if (!(o.sample_frequency > 0)) fail("fbank", "sample_frequency > 0", num(o.sample_frequency));
  // Same expression and truncation as Kaldi/torchaudio, so frame sizes agree to the sample.
  const double shift = o.sample_frequency * o.frame_shift * kMsToS;
  const double size = o.sample_frequency * o.frame_length * kMsToS;
  if (!(shift >= 1.0) || !std::isfinite(shift))
    fail("fbank", "frame_shift of at least one sample", num(o.frame_shift) + " ms at " + num(o.sample_frequency) + " Hz");
  if (!(size >= 2.0) || !std::isfinite(size))
    fail("fbank", "frame_length of at least two samples", num(o.frame_length) + " ms at " + num(o.sample_frequency) + " Hz");
  FrameGeometry g;
  g.window_shift = static_cast<int64_t>(shift);
  g.window_size = static_cast<int64_t>(size);
  g.padded_window_size = o.round_to_power_of_two ? next_power_of_two(g.window_size) : g.window_size;
  if (g.padded_window_size % 2 != 0)
    fail("fbank", "an even FFT length (set round_to_power_of_two or change frame_length)",
         std::to_string(g.padded_window_size) + " samples");
  if (!(o.preemphasis_coefficient >= 0.0 && o.preemphasis_coefficient <= 1.0))
    fail("fbank", "preemphasis_coefficient in [0, 1]", num(o.preemphasis_coefficient));
  if (o.num_mel_bins <= 3) fail("fbank", "num_mel_bins > 3", std::to_string(o.num_mel_bins));
  // torchaudio would take log() of a negative floor (NaN / math domain error); refuse it up front.
  if (!(o.energy_floor >= 0.0)) fail("fbank", "energy_floor >= 0", num(o.energy_floor));
  if (o.vtln_warp != 1.0)
    fail("fbank", "vtln_warp 1.0 (VTLN warping is not supported)", num(o.vtln_warp));
  kaldi_window(o.window_type, 2);  // validates the name
  kaldi_mel_banks(o.num_mel_bins, g.padded_window_size, o.sample_frequency, o.low_freq, o.high_freq);
  return g;
}

int64_t fbank_num_frames(int64_t num_samples, const FbankOptions& o) {
  const auto g = fbank_geometry(o);
  if (num_samples < o.min_duration * o.sample_frequency) return 0;
  if (o.snip_edges) return num_samples < g.window_size ? 0 : 1 + (num_samples - g.window_size) / g.window_shift;
  return (num_samples + g.window_shift / 2) / g.window_shift;
}

torch::Tensor kaldi_window(const std::string& type, int64_t size, double blackman_coeff) {
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat);
  if (type == "hanning") return torch::hann_window(size, /*periodic=*/false, f32);
  if (type == "hamming") return torch::hamming_window(size, /*periodic=*/false, 0.54, 0.46, f32);
  // Kaldi's own: a Hann window raised to 0.85, zero at both ends.
  if (type == "povey") return torch::hann_window(size, /*periodic=*/false, f32).pow(0.85);
  if (type == "rectangular") return torch::ones({size}, f32);
  if (type == "blackman") {
    // Generalised Blackman with a free constant term, hence not torch::blackman_window.
    const double a = 2 * kPi / static_cast<double>(size - 1);
    auto n = torch::arange(size, f32);
    return torch::rsub(torch::cos(n * a) * 0.5, blackman_coeff) + torch::cos(n * (2 * a)) * (0.5 - blackman_coeff);
  }
  fail("fbank", "window_type hamming, hanning, povey, rectangular or blackman", "'" + type + "'");
}

torch::Tensor kaldi_mel_banks(int64_t num_bins, int64_t padded, double sample_frequency, double low_freq,
                              double high_freq) {
  if (num_bins <= 3) fail("fbank", "num_mel_bins > 3", std::to_string(num_bins));
  if (padded <= 0 || padded % 2 != 0) fail("fbank", "an even FFT length", std::to_string(padded));
  const double nyquist = 0.5 * sample_frequency;
  if (high_freq <= 0.0) high_freq += nyquist;
  if (!(low_freq >= 0.0 && low_freq < nyquist && high_freq > 0.0 && high_freq <= nyquist && low_freq < high_freq))
    fail("fbank", "0 <= low_freq < high_freq <= Nyquist (" + num(nyquist) + " Hz; high_freq <= 0 counts from Nyquist)",
         "low_freq " + num(low_freq) + ", high_freq " + num(high_freq));

  // Centres equally spaced in mel between low_freq and high_freq; num_bins + 1 gaps because the
  // outer triangles reach the ends. Float32 throughout, as torchaudio computes them.
  const double mel_low = mel_scale(low_freq);
  const double mel_delta = (mel_scale(high_freq) - mel_low) / static_cast<double>(num_bins + 1);
  auto bin = torch::arange(num_bins, torch::kLong).unsqueeze(1);
  auto left = bin * mel_delta + mel_low;
  auto centre = (bin + 1.0) * mel_delta + mel_low;
  auto right = (bin + 2.0) * mel_delta + mel_low;
  const double fft_bin_width = sample_frequency / static_cast<double>(padded);
  auto mel = mel_scale(torch::arange(padded / 2, torch::kFloat) * fft_bin_width).unsqueeze(0);
  auto up = (mel - left) / (centre - left);
  auto down = (right - mel) / (right - centre);
  auto banks = torch::min(up, down).clamp_min(0.0);
  // The FFT's Nyquist bin gets no weight (Kaldi's banks span padded/2 bins only).
  return torch::constant_pad_nd(banks, {0, 1}, 0.0);
}

torch::Tensor kaldi_fbank(const torch::Tensor& wave_in, const FbankOptions& o, c10::optional<at::Generator> generator) {
  const FrameGeometry g = fbank_geometry(o);
  const int64_t out_cols = o.num_mel_bins + (o.use_energy ? 1 : 0);
  if (!wave_in.defined() || wave_in.dim() != 1)
    fail("fbank", "a 1-D waveform (mix or pick a channel first)",
         wave_in.defined() ? "shape " + c10::str(wave_in.sizes()) : "an undefined tensor");
  if (!wave_in.is_floating_point()) fail("fbank", "floating-point samples", c10::toString(wave_in.scalar_type()));
  auto wave = wave_in.to(torch::kFloat).contiguous();
  const int64_t n = wave.size(0);
  if (g.window_size > n)
    fail("fbank", "a waveform at least one window long (" + std::to_string(g.window_size) + " samples)",
         std::to_string(n) + " samples");
  const auto f32 = wave.options();
  if (n < o.min_duration * o.sample_frequency) return torch::empty({0, out_cols}, f32);

  auto frames = frame_signal(wave, g, o.snip_edges);
  if (frames.size(0) == 0) return torch::empty({0, out_cols}, f32);
  if (o.dither != 0.0) frames = frames + torch::randn(frames.sizes(), generator, f32) * o.dither;
  if (o.remove_dc_offset) frames = frames - frames.mean(1, /*keepdim=*/true);
  torch::Tensor energy;
  if (o.raw_energy) energy = log_energy(frames, o.energy_floor);
  if (o.preemphasis_coefficient != 0.0) {
    // x[j] -= c * x[j-1], with x[-1] taken as x[0].
    auto previous = torch::cat({frames.slice(1, 0, 1), frames.slice(1, 0, -1)}, 1);
    frames = frames - previous * o.preemphasis_coefficient;
  }
  frames = frames * kaldi_window(o.window_type, g.window_size, o.blackman_coeff).to(wave.device()).unsqueeze(0);
  if (g.padded_window_size != g.window_size)
    frames = torch::constant_pad_nd(frames, {0, g.padded_window_size - g.window_size}, 0.0);
  if (!o.raw_energy) energy = log_energy(frames, o.energy_floor);

  auto spectrum = torch::fft::rfft(frames).abs();
  if (o.use_power) spectrum = spectrum.pow(2.0);
  auto banks = kaldi_mel_banks(o.num_mel_bins, g.padded_window_size, o.sample_frequency, o.low_freq, o.high_freq);
  auto mel = torch::mm(spectrum, banks.to(wave.device()).t());
  if (o.use_log_fbank) mel = mel.clamp_min(kEpsilon).log();
  if (o.use_energy) {
    auto e = energy.unsqueeze(1);
    mel = o.htk_compat ? torch::cat({mel, e}, 1) : torch::cat({e, mel}, 1);
  }
  if (o.subtract_mean) mel = mel - mel.mean(0, /*keepdim=*/true);
  return mel;
}

}  // namespace avtune
