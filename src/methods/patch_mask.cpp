#include "avtune/methods/patch_mask.h"

#include <memory>
#include <numeric>
#include <vector>

#include "avtune/util/error.h"

namespace avtune {

int64_t mask_patches(torch::Tensor& x, PatchGrid grid, double ratio, std::mt19937_64& rng) {
  if (x.dim() < 2) fail("patch-mask", "a tensor with at least 2 dimensions", std::to_string(x.dim()) + "-D");
  if (!(ratio >= 0 && ratio < 1)) fail("patch-mask", "a mask ratio in [0, 1)", std::to_string(ratio));
  const int64_t n = grid.count();
  const auto k = static_cast<int64_t>(ratio * static_cast<double>(n));  // round down, as the reference
  if (k == 0) return 0;
  const int64_t H = x.size(-2), W = x.size(-1);
  // Partial Fisher-Yates with plain modulo: the same draws on every platform (std distributions differ).
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  using namespace torch::indexing;
  for (int64_t i = 0; i < k; ++i) {
    const auto j = i + static_cast<int64_t>(rng() % static_cast<uint64_t>(n - i));
    std::swap(idx[static_cast<size_t>(i)], idx[static_cast<size_t>(j)]);
    const int64_t p = idx[static_cast<size_t>(i)], r = p / grid.cols, c = p % grid.cols;
    const int64_t r0 = r * H / grid.rows, r1 = (r + 1) * H / grid.rows;
    const int64_t c0 = c * W / grid.cols, c1 = (c + 1) * W / grid.cols;
    x.index_put_({"...", Slice(r0, r1), Slice(c0, c1)}, 0);
  }
  return k;
}

SampleTransform fusion_mask_transform(std::map<std::string, MaskRatio> ratios, std::string source) {
  auto table = std::make_shared<const std::map<std::string, MaskRatio>>(std::move(ratios));
  return [table, source](Sample& s, std::mt19937_64& rng) {
    const auto it = table->find(s.name);
    if (it == table->end()) fail("fust", "a mask ratio for training sample '" + s.name + "'", "none", {source});
    if (s.audio.defined() && it->second.audio > 0) {
      s.audio = s.audio.clone();  // never write into a tensor a data set may cache
      mask_patches(s.audio, kAudioPatchGrid, it->second.audio, rng);
    }
    if (s.visual.defined() && it->second.visual > 0) {
      s.visual = s.visual.clone();
      for (int64_t t = 0; t < s.visual.size(1); ++t) {
        auto frame = s.visual.select(1, t);  // (3, H, W), a view: masking writes into the clip
        mask_patches(frame, kVisualPatchGrid, it->second.visual, rng);
      }
    }
  };
}

}  // namespace avtune
