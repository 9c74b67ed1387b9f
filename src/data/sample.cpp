#include "avtune/data/sample.h"

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"

namespace avtune {

namespace {
torch::Tensor stack_field(std::vector<Sample>& samples, torch::Tensor Sample::*field, const char* what, int64_t dims) {
  const bool present = (samples.front().*field).defined();
  std::vector<torch::Tensor> parts;
  for (auto& s : samples) {
    const auto& t = s.*field;
    if (t.defined() != present)
      fail("collate", std::string(present ? "" : "no ") + what + " in every sample of the batch",
           std::string(t.defined() ? "" : "none ") + "in sample '" + s.name + "'");
    if (!present) continue;
    if (t.dim() != dims) fail("collate", std::string(what) + " of rank " + std::to_string(dims), shape_str(t) + " in sample '" + s.name + "'");
    if (!parts.empty() && t.sizes() != parts.front().sizes())
      fail("collate", std::string(what) + " of shape " + shape_str(parts.front()) + " as the first sample",
           shape_str(t) + " in sample '" + s.name + "'");
    parts.push_back(t);
  }
  return present ? torch::stack(parts) : torch::Tensor();
}
}  // namespace

Batch collate(std::vector<Sample>& samples) {
  if (samples.empty()) fail("collate", "at least one sample", "an empty batch");
  Batch b;
  std::vector<int64_t> labels;
  for (const auto& s : samples) {
    b.names.push_back(s.name);
    b.indices.push_back(s.index);
    labels.push_back(s.label);
  }
  b.labels = torch::tensor(labels, torch::kLong);
  b.audio = stack_field(samples, &Sample::audio, "audio (1, T, F)", 3);
  b.visual = stack_field(samples, &Sample::visual, "visual (3, T, H, W)", 4);
  return b;
}

}  // namespace avtune
