#pragma once
// Builds the models avtune knows by name, for the CLI and the experiment drivers.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "avtune/models/resnet.h"

namespace avtune {

enum class ModelKind { Encoder, Audio, Visual, AV };
ModelKind parse_model_kind(const std::string& s);  // encoder|audio|visual|av

struct ModelSpec {
  ModelKind kind = ModelKind::AV;
  int depth = 18;
  double width = 1.0;
  int64_t num_classes = 10;
  int encoder_in_channels = 3;  // for kind Encoder only; audio uses 1, visual 3
  std::string fusion = "concat";  // kind AV: concat|sum|film|gated
};

std::shared_ptr<torch::nn::Module> make_model(const ModelSpec& spec);

}  // namespace avtune
