#include "avtune/audio/audio_transforms.h"

#include <algorithm>

#include "avtune/audio/audio_file.h"
#include "avtune/audio/fast_fbank.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {

// torchaudio's mask_along_axis: width = trunc(U * param), start = trunc(U' * (size - U * param)).
torch::Tensor mask_along(torch::Tensor x, int64_t param, int64_t dim, at::Generator& generator) {
  if (param < 1) return x;
  const int64_t size = x.size(dim);
  auto width = torch::rand({1}, generator) * param;
  auto start = torch::rand({1}, generator) * torch::rsub(width, size);
  const int64_t begin = start.to(torch::kLong).item<int64_t>();
  const int64_t end = std::min(size, begin + width.to(torch::kLong).item<int64_t>());
  if (end > begin) x.narrow(dim, begin, end - begin).zero_();
  return x;
}

// load_fbank_input's fbank -> pad_or_cut -> normalize_fbank in one pass, with their float operations,
// into `out` (target_frames x cols floats, e.g. a batch slot).
void fbank_input_of(const torch::Tensor& wave, const FbankOptions& fo, const AudioInputOptions& opts, float* out) {
  if (opts.target_frames <= 0) fail("audio-input", "target_frames > 0", std::to_string(opts.target_frames));
  if (opts.normalize && !(opts.norm_std > 0))
    fail("audio-input", "a positive normalisation std", std::to_string(opts.norm_std));
  const int64_t cols = fo.num_mel_bins + (fo.use_energy ? 1 : 0);
  const float shift = opts.normalize ? static_cast<float>(opts.norm_mean) : 0.0f;
  const float div = opts.normalize ? static_cast<float>(opts.norm_std * 2.0) : 1.0f;
  const auto w = wave.to(torch::kFloat).contiguous();
  const int64_t rows = fast_fbank_into(w.data_ptr<float>(), w.size(0), fo, opts.target_frames, out, cols, shift, div);
  std::fill(out + rows * cols, out + opts.target_frames * cols, (0.0f - shift) / div);
}

int64_t input_cols(const AudioInputOptions& opts) { return opts.fbank.num_mel_bins + (opts.fbank.use_energy ? 1 : 0); }

// fbank_input_from_wave_into on a waveform this call may modify (its DC is removed in place).
void fbank_input_in_place(torch::Tensor wave, int sample_rate, const AudioInputOptions& opts, float* out,
                          const std::string& name_for_errors) {
  if (sample_rate != opts.target_sample_rate) wave = resample(wave, sample_rate, opts.target_sample_rate);
  // The reference removes the clip's DC before the fbank (on top of the per-frame DC removal).
  wave.sub_(wave.mean());
  FbankOptions fo = opts.fbank;
  fo.sample_frequency = opts.target_sample_rate;
  torch::Tensor fb;
  try {
    // The fast fbank, cut, normalised and written straight into the result (padding normalised as
    // normalize_fbank does it); dither and subtract_mean need the whole output first.
    if (fo.dither == 0.0 && !fo.subtract_mean) return fbank_input_of(wave, fo, opts, out);
    fb = fast_fbank(wave, fo);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (" + name_for_errors + ")");
  }
  fb = pad_or_cut(fb, opts.target_frames);
  if (opts.normalize) fb = normalize_fbank(fb, opts.norm_mean, opts.norm_std);
  fb = fb.to(torch::kFloat).contiguous();
  std::copy(fb.data_ptr<float>(), fb.data_ptr<float>() + fb.numel(), out);
}

}  // namespace

torch::Tensor pad_or_cut(const torch::Tensor& fbank, int64_t target_frames) {
  if (!fbank.defined() || fbank.dim() != 2)
    fail("audio-input", "an fbank shaped [frames, bins]", fbank.defined() ? "shape " + c10::str(fbank.sizes()) : "none");
  if (target_frames <= 0) fail("audio-input", "target_frames > 0", std::to_string(target_frames));
  const int64_t t = fbank.size(0);
  if (t < target_frames) return torch::constant_pad_nd(fbank, {0, 0, 0, target_frames - t}, 0.0);
  return fbank.slice(0, 0, target_frames).clone();
}

torch::Tensor normalize_fbank(const torch::Tensor& x, double mean, double std) {
  if (!(std > 0)) fail("audio-input", "a positive normalisation std", std::to_string(std));
  return (x - mean) / (std * 2.0);
}

torch::Tensor spec_augment(const torch::Tensor& x, int64_t freq_mask_param, int64_t time_mask_param,
                           at::Generator& generator) {
  if (!x.defined() || x.dim() < 2)
    fail("spec-augment", "a spectrogram [..., time, freq]", x.defined() ? "shape " + c10::str(x.sizes()) : "none");
  auto y = x.clone();
  // torchaudio's order: the frequency mask draws first.
  y = mask_along(y, freq_mask_param, y.dim() - 1, generator);
  y = mask_along(y, time_mask_param, y.dim() - 2, generator);
  return y;
}

torch::Tensor load_fbank_input(const std::string& path, const AudioInputOptions& opts) {
  AudioReadOptions ro;
  ro.keep_float_samples = opts.keep_float_samples;
  const AudioClip clip = read_audio(path, ro);
  return fbank_input_from_wave(to_mono(clip, opts.channel), clip.sample_rate, opts, path);
}

torch::Tensor fbank_input_from_wave(torch::Tensor wave, int sample_rate, const AudioInputOptions& opts,
                                    const std::string& name_for_errors) {
  auto out = torch::empty({1, std::max<int64_t>(opts.target_frames, 1), input_cols(opts)}, torch::kFloat);
  fbank_input_from_wave_into(std::move(wave), sample_rate, opts, out.data_ptr<float>(), name_for_errors);
  return out;
}

void load_fbank_input_into(const std::string& path, const AudioInputOptions& opts, float* out) {
  AudioReadOptions ro;
  ro.keep_float_samples = opts.keep_float_samples;
  AudioClip clip = read_audio(path, ro);
  const int rate = clip.sample_rate;
  // The clip is this call's own: its mono samples are used in place, not copied twice (to_mono's
  // copy, then fbank_input_from_wave_into's), ~2% of a training sample (docs/performance.md).
  fbank_input_in_place(to_mono(std::move(clip), opts.channel), rate, opts, out, path);
}

void fbank_input_from_wave_into(torch::Tensor wave, int sample_rate, const AudioInputOptions& opts, float* out,
                                const std::string& name_for_errors) {
  // The caller's tensor is not modified.
  if (sample_rate == opts.target_sample_rate) wave = wave.to(torch::kFloat).clone();
  fbank_input_in_place(std::move(wave), sample_rate, opts, out, name_for_errors);
}

}  // namespace avtune
