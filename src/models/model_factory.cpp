#include "avtune/models/model_factory.h"

#include "avtune/models/classifiers.h"
#include "avtune/util/error.h"

namespace avtune {

ModelKind parse_model_kind(const std::string& s) {
  if (s == "encoder") return ModelKind::Encoder;
  if (s == "audio") return ModelKind::Audio;
  if (s == "visual") return ModelKind::Visual;
  if (s == "av") return ModelKind::AV;
  fail("model", "encoder|audio|visual|av", "'" + s + "'");
}

std::shared_ptr<torch::nn::Module> make_model(const ModelSpec& spec) {
  ResNetConfig audio{spec.depth, 1, spec.width};
  ResNetConfig visual{spec.depth, 3, spec.width};
  switch (spec.kind) {
    case ModelKind::Encoder:
      return ResNetEncoder(ResNetConfig{spec.depth, spec.encoder_in_channels, spec.width}).ptr();
    case ModelKind::Audio: return AudioClassifier(audio, spec.num_classes).ptr();
    case ModelKind::Visual: return VisualClassifier(visual, spec.num_classes).ptr();
    case ModelKind::AV: return AVClassifier(audio, visual, spec.num_classes, parse_fusion_kind(spec.fusion)).ptr();
  }
  fail("model", "a known model kind", "another");
}

}  // namespace avtune
