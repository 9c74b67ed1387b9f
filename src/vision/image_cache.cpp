#include "avtune/vision/image_cache.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include "avtune/vision/image_io.h"

namespace avtune {

namespace {

struct Cache {
  std::mutex mu;
  std::unordered_map<std::string, torch::Tensor> entries;
  size_t bytes = 0;
  size_t limit = [] {
    const char* env = std::getenv("AVTUNE_IMAGE_CACHE_MB");
    return env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20 : size_t{1} << 30;
  }();
};

Cache& cache() {
  static Cache c;
  return c;
}

}  // namespace

torch::Tensor cached_read_image(const std::string& path) {
  auto& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    const auto it = c.entries.find(path);
    if (it != c.entries.end()) return it->second;
  }
  auto img = read_image(path);  // outside the lock: loaders decode in parallel
  const size_t n = static_cast<size_t>(img.numel()) * img.element_size();
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.bytes + n <= c.limit && c.entries.emplace(path, img).second) c.bytes += n;
  return img;
}

void set_image_cache_limit(size_t bytes) {
  std::lock_guard<std::mutex> lock(cache().mu);
  cache().limit = bytes;
}

size_t image_cache_bytes() {
  std::lock_guard<std::mutex> lock(cache().mu);
  return cache().bytes;
}

void clear_image_cache() {
  std::lock_guard<std::mutex> lock(cache().mu);
  cache().entries.clear();
  cache().bytes = 0;
}

}  // namespace avtune
