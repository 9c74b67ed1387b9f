#include "avtune/audio/audio_transforms.h"

#include "avtune/audio/audio_file.h"
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
  const AudioClip clip = read_audio(path);
  auto wave = to_mono(clip, opts.channel);
  if (clip.sample_rate != opts.target_sample_rate) wave = resample(wave, clip.sample_rate, opts.target_sample_rate);
  // The reference removes the clip's DC before the fbank (on top of the per-frame DC removal).
  wave = wave - wave.mean();
  FbankOptions fo = opts.fbank;
  fo.sample_frequency = opts.target_sample_rate;
  torch::Tensor fb;
  try {
    fb = kaldi_fbank(wave, fo);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (" + path + ")");
  }
  fb = pad_or_cut(fb, opts.target_frames);
  if (opts.normalize) fb = normalize_fbank(fb, opts.norm_mean, opts.norm_std);
  return fb.unsqueeze(0);
}

}  // namespace avtune
