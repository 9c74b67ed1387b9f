#pragma once
// ABRi's learned mixing weights after training: per BN layer, how much of the pre-trained BN the
// model kept (alpha) versus its fresh twin (1 - alpha).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace avtune {

struct AbriAlpha {
  std::string param;  // state_dict name of the mixing weight, e.g. "audio_net.layer1.0.fusion_weight1"
  std::string bn;     // the BN it mixes, torchvision's name, e.g. "audio_net.layer1.0.bn1"
  int64_t count = 0;  // 1 (batch mode) or channels (channel mode)
  double mean = 0, min = 0, max = 0;
};

// Every ABRi mixing weight of `m` in state_dict order (empty without ABRi).
std::vector<AbriAlpha> abri_alphas(torch::nn::Module& m);
// "bn,param,count,mean,min,max" rows.
std::string abri_alpha_csv(const std::vector<AbriAlpha>& alphas);
// An aligned text table for the terminal.
std::string abri_alpha_table(const std::vector<AbriAlpha>& alphas);

}  // namespace avtune
