#include "avtune/models/memory_format.h"

#include "avtune/models/resnet.h"

namespace avtune {

int set_channels_last(torch::nn::Module& model, bool on) {
  int n = 0;
  for (auto& m : model.modules(/*include_self=*/true))
    if (auto* enc = m->as<ResNetEncoderImpl>()) {
      enc->set_channels_last(on);
      ++n;
    }
  return n;
}

}  // namespace avtune
