#include "avtune/audio/fbank_cache.h"

#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>

namespace avtune {

namespace {

struct Cache {
  std::mutex mu;
  std::unordered_map<std::string, torch::Tensor> entries;
  size_t bytes = 0;
  size_t limit = [] {
    const char* env = std::getenv("AVTUNE_FBANK_CACHE_MB");
    return env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20 : size_t{1} << 30;
  }();
};

Cache& cache() {
  static Cache c;
  return c;
}

// Every option that changes the output.
std::string signature(const AudioInputOptions& o) {
  const auto& f = o.fbank;
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", o.target_sample_rate,
                     o.channel, o.target_frames, o.normalize, o.norm_mean, o.norm_std, f.blackman_coeff, f.energy_floor,
                     f.frame_length, f.frame_shift, f.high_freq, f.htk_compat, f.low_freq, f.min_duration, f.num_mel_bins,
                     f.preemphasis_coefficient, f.raw_energy, f.remove_dc_offset, f.round_to_power_of_two,
                     f.sample_frequency, f.snip_edges, f.subtract_mean, f.use_energy, f.use_log_fbank, f.use_power,
                     f.vtln_high, f.vtln_low, f.window_type);
}

}  // namespace

torch::Tensor cached_fbank_input(const std::string& path, const AudioInputOptions& opts) {
  auto& c = cache();
  if (opts.fbank.dither > 0 || opts.fbank.vtln_warp != 1.0) return load_fbank_input(path, opts);
  const std::string key = path + '\n' + signature(opts);
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.limit == 0) return load_fbank_input(path, opts);
    const auto it = c.entries.find(key);
    if (it != c.entries.end()) return it->second;
  }
  auto t = load_fbank_input(path, opts);  // outside the lock: loaders run in parallel
  const size_t n = static_cast<size_t>(t.numel()) * t.element_size();
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.bytes + n <= c.limit && c.entries.emplace(key, t).second) c.bytes += n;
  return t;
}

void set_fbank_cache_limit(size_t bytes) {
  std::lock_guard<std::mutex> lock(cache().mu);
  cache().limit = bytes;
}

size_t fbank_cache_bytes() {
  std::lock_guard<std::mutex> lock(cache().mu);
  return cache().bytes;
}

void clear_fbank_cache() {
  std::lock_guard<std::mutex> lock(cache().mu);
  cache().entries.clear();
  cache().bytes = 0;
}

}  // namespace avtune
