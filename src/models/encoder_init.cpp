#include "avtune/models/encoder_init.h"

#include <algorithm>

#include "avtune/io/reference_layout.h"
#include "avtune/io/weights_file.h"
#include "avtune/util/error.h"

namespace avtune {

EncoderInit parse_encoder_init(const std::string& spec) {
  EncoderInit init;
  if (spec.empty() || spec == "random") return init;
  init.random = false;
  init.path = spec;
  const std::string tag = ":conv1=";
  if (auto pos = spec.rfind(tag); pos != std::string::npos) {
    init.path = spec.substr(0, pos);
    init.conv1_adapt = spec.substr(pos + tag.size());
    parse_conv_adapt(init.conv1_adapt);  // validates
  }
  if (init.path.empty()) fail("init", "random or PATH[:conv1=sum|mean|replicate]", "'" + spec + "'");
  return init;
}

std::string to_string(const EncoderInit& init) {
  if (init.random) return "random";
  return init.conv1_adapt.empty() ? init.path : init.path + ":conv1=" + init.conv1_adapt;
}

LoadReport init_encoder(torch::nn::Module& encoder, int64_t in_channels, const EncoderInit& init,
                        const std::string& prefer_prefix) {
  if (init.random) return {};
  StateDict sd = load_weights(init.path);
  auto has_prefix = [&](const std::string& p) {
    for (const auto& k : sd.keys())
      if (k.rfind(p, 0) == 0) return true;
    return false;
  };
  // Same-modality encoder first, then the other one (cross-modal initialisation), else bare keys.
  std::string used;
  for (const auto& p : {prefer_prefix, std::string("audio_net."), std::string("visual_net.")})
    if (!p.empty() && used.empty() && has_prefix(p)) used = p;
  if (!used.empty()) sd = select_prefix(sd, used);
  if (!sd.contains("conv1.weight"))
    fail("init", "encoder weights (conv1.weight, bare or under audio_net./visual_net.)",
         "a file without them (" + std::to_string(sd.size()) + " tensors)", {init.path});
  const auto have = sd.at("conv1.weight").size(1);
  const std::string mode = !init.conv1_adapt.empty() ? init.conv1_adapt : (in_channels < have ? "sum" : "replicate");
  try {
    adapt_first_conv(sd, "conv1.weight", in_channels, parse_conv_adapt(mode));
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (" + init.path + ")");
  }
  // ABRi (the paper's ABRi): an encoder with twins takes them and alpha from a file that has them (a
  // reference or avtune ABRi checkpoint continues its mix); from a file without any it keeps its fresh
  // twins. An encoder without twins ignores a file's twins (reported as unexpected).
  const bool file_twins = has_abri_twins(sd);
  for (const auto& [k, t] : state_dict_of(encoder).entries()) {
    if (k.find("fusion_weight") == std::string::npos || !sd.contains(k)) continue;
    if (sd.at(k).numel() != t.numel())
      fail("init", std::string("ABRi mixing weights of ") + (t.numel() == 1 ? "one value a layer (--abri batch)" : "one value a channel (--abri channel)"),
           "'" + k + "' with " + std::to_string(sd.at(k).numel()) + " values (use --abri " +
               (sd.at(k).numel() == 1 ? "batch" : "channel") + ")",
           {init.path});
  }
  LoadOptions lo;
  lo.strict = false;
  LoadReport rep = load_state_dict(encoder, sd, lo);
  if (!file_twins)
    rep.missing.erase(std::remove_if(rep.missing.begin(), rep.missing.end(), is_abri_twin_key), rep.missing.end());
  if (!rep.missing.empty() || !rep.mismatched.empty())
    fail("init", "every encoder key with the encoder's shape (same depth and width?)", rep.summary(), {init.path});
  return rep;
}

}  // namespace avtune
