#include "avtune/data/dataset.h"

#include <algorithm>

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"

namespace avtune {

std::vector<int64_t> class_counts(const Dataset& ds) {
  std::vector<int64_t> counts(ds.class_names().size(), 0);
  for (size_t i = 0; i < ds.size(); ++i) {
    const int64_t l = ds.label_of(i);
    if (l < 0 || l >= static_cast<int64_t>(counts.size()))
      fail("dataset", "labels in [0, " + std::to_string(counts.size()) + ")", std::to_string(l) + " for '" + ds.name_of(i) + "'");
    ++counts[static_cast<size_t>(l)];
  }
  return counts;
}

void copy_to_slot(const torch::Tensor& t, const std::vector<int64_t>& shape, float* out, const std::string& what,
                  const std::string& sample) {
  if (!t.defined() || t.scalar_type() != torch::kFloat || t.sizes() != torch::IntArrayRef(shape))
    fail("dataset", what + " of the data set's fixed shape",
         (t.defined() ? shape_str(t) : std::string("none")) + " in sample '" + sample + "'");
  const auto c = t.contiguous();
  std::copy(c.data_ptr<float>(), c.data_ptr<float>() + c.numel(), out);
}

Sample Dataset::get_into(size_t index, std::mt19937_64& rng, float* audio, float* visual) const {
  Sample s = get(index, rng);
  if (const auto shapes = fixed_shapes()) {
    if (audio) copy_to_slot(s.audio, shapes->audio, audio, "audio", s.name);
    if (visual) copy_to_slot(s.visual, shapes->visual, visual, "visual", s.name);
  }
  s.audio = s.visual = torch::Tensor();
  return s;
}

}  // namespace avtune
