#include "avtune/methods/linear_probe.h"

#include "avtune/util/error.h"

namespace avtune {

namespace {
bool is_head(const std::string& name) { return name.rfind("fc.", 0) == 0; }
}  // namespace

FrozenEncoderAdapter::FrozenEncoderAdapter(std::unique_ptr<ModelAdapter> inner) : inner_(std::move(inner)) {
  bool head = false;
  for (auto& p : inner_->module().named_parameters(/*recurse=*/true)) {
    // No gradients for the encoder: backward stops at the head, which is what makes probing cheap.
    if (!is_head(p.key())) p.value().set_requires_grad(false);
    else head = true;
  }
  if (!head) fail("probe", "a classifier with a linear head 'fc'", inner_->kind() + " model without one");
}

std::vector<NamedParameter> FrozenEncoderAdapter::parameters_to_train() {
  std::vector<NamedParameter> out;
  for (auto& np : inner_->parameters_to_train())
    if (is_head(np.first)) out.push_back(np);
  return out;
}

void FrozenEncoderAdapter::set_training(bool on) {
  inner_->set_training(on);
  for (auto& child : inner_->module().named_children())
    if (child.key() != "fc") child.value()->eval();
}

}  // namespace avtune
