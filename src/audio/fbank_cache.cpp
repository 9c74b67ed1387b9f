#include "avtune/audio/fbank_cache.h"

#include <fmt/format.h>


#include "avtune/util/memo_cache.h"

namespace avtune {

namespace {

MemoCache<torch::Tensor>& cache() {
  static MemoCache<torch::Tensor> c("AVTUNE_FBANK_CACHE_MB", size_t{1} << 30);
  return c;
}

// Every option that changes the output.
std::string signature(const AudioInputOptions& o) {
  const auto& f = o.fbank;
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", o.target_sample_rate,
                     o.channel, o.keep_float_samples, o.target_frames, o.normalize, o.norm_mean, o.norm_std, f.blackman_coeff, f.energy_floor,
                     f.frame_length, f.frame_shift, f.high_freq, f.htk_compat, f.low_freq, f.min_duration, f.num_mel_bins,
                     f.preemphasis_coefficient, f.raw_energy, f.remove_dc_offset, f.round_to_power_of_two,
                     f.sample_frequency, f.snip_edges, f.subtract_mean, f.use_energy, f.use_log_fbank, f.use_power,
                     f.vtln_high, f.vtln_low, f.window_type);
}

}  // namespace

torch::Tensor cached_fbank_input(const std::string& path, const AudioInputOptions& opts) {
  if (opts.fbank.dither > 0 || opts.fbank.vtln_warp != 1.0) return load_fbank_input(path, opts);
  return cache().get(
      path + '\n' + signature(opts), [&] { return load_fbank_input(path, opts); },
      [](const torch::Tensor& t) { return static_cast<size_t>(t.numel()) * t.element_size(); });
}

void cached_fbank_input_into(const std::string& path, const AudioInputOptions& opts, float* out) {
  torch::Tensor t;
  const bool cacheable = opts.fbank.dither <= 0 && opts.fbank.vtln_warp == 1.0;
  if (cacheable && !cache().find(path + '\n' + signature(opts), &t) && cache().keeps_more()) t = cached_fbank_input(path, opts);
  if (!t.defined()) return load_fbank_input_into(path, opts, out);
  t = t.contiguous();
  std::copy(t.data_ptr<float>(), t.data_ptr<float>() + t.numel(), out);
}

void set_fbank_cache_limit(size_t bytes) { cache().set_limit(bytes); }
size_t fbank_cache_bytes() { return cache().bytes(); }
void clear_fbank_cache() { cache().clear(); }

}  // namespace avtune
