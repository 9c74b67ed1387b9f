#include "avtune/vision/image_cache.h"

#include "avtune/util/memo_cache.h"
#include "avtune/vision/image_io.h"

namespace avtune {

namespace {
MemoCache<torch::Tensor>& cache() {
  static MemoCache<torch::Tensor> c("AVTUNE_IMAGE_CACHE_MB", size_t{1} << 30);
  return c;
}

std::string hwc_key(const std::string& path, const ImageDecodeOptions& opts) {
  return path + "\n" + std::to_string(opts.min_height) + "x" + std::to_string(opts.min_width) + " hwc";
}
}  // namespace

torch::Tensor cached_read_image(const std::string& path) {
  return cache().get(
      path, [&] { return read_image(path); },
      [](const torch::Tensor& t) { return static_cast<size_t>(t.numel()) * t.element_size(); });
}

torch::Tensor find_cached_image_hwc(const std::string& path, const ImageDecodeOptions& opts) {
  torch::Tensor t;
  cache().find(hwc_key(path, opts), &t);
  return t;
}

bool image_cache_keeps_more() { return cache().keeps_more(); }

torch::Tensor cached_read_image_hwc(const std::string& path, const ImageDecodeOptions& opts) {
  const std::string key = hwc_key(path, opts);
  return cache().get(
      key, [&] { return read_image_hwc(path, opts); },
      [](const torch::Tensor& t) { return static_cast<size_t>(t.numel()) * t.element_size(); });
}

void set_image_cache_limit(size_t bytes) { cache().set_limit(bytes); }
size_t image_cache_bytes() { return cache().bytes(); }
void clear_image_cache() { cache().clear(); }

}  // namespace avtune
