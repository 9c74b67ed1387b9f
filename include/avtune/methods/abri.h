#pragma once
// ABRi's learned mixing weights after training: per BN layer, how much of the pre-trained BN the
// model kept (alpha) versus its fresh twin (1 - alpha).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "avtune/io/state_dict.h"
#include "avtune/models/resnet.h"

namespace avtune {

struct AbriAlpha {
  std::string param;  // state_dict name of the mixing weight, e.g. "audio_net.layer1.0.fusion_weight1"
  std::string bn;     // the BN it mixes, torchvision's name, e.g. "audio_net.layer1.0.bn1"
  int64_t count = 0;  // 1 (batch mode) or channels (channel mode)
  double mean = 0, min = 0, max = 0;
};

// Every ABRi mixing weight of `m` in state_dict order (empty without ABRi).
std::vector<AbriAlpha> abri_alphas(torch::nn::Module& m);
// The ABRi mode of weights (an encoder's or a whole model's, avtune or reference names): None without
// mixing weights, Batch when each holds one value, else Channel. What eval, probe and diagnose build to
// load an ABRi checkpoint as it is.
AbriMode abri_mode_of(const StateDict& sd);
// "bn,param,count,mean,min,max" rows.
std::string abri_alpha_csv(const std::vector<AbriAlpha>& alphas);
// An aligned text table for the terminal.
std::string abri_alpha_table(const std::vector<AbriAlpha>& alphas);

}  // namespace avtune
