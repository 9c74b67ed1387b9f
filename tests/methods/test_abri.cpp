// ABRi checked against its definition, and the BN-reset baselines.
#include <gtest/gtest.h>

#include "avtune/io/state_dict.h"
#include "avtune/methods/bn_reset.h"
#include "avtune/models/resnet.h"
#include "../test_support.h"

using namespace avtune;

namespace {

const ResNetConfig kCfg{18, 3, 0.125};

// A "pre-trained" encoder: non-trivial BN parameters and statistics.
ResNetEncoder pretrained(uint64_t seed) {
  torch::manual_seed(seed);
  ResNetEncoder e(kCfg);
  torch::NoGradGuard ng;
  for (auto& m : e->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->weight.uniform_(0.2, 1.5);
      bn->bias.uniform_(-0.5, 0.5);
      bn->running_mean.uniform_(-0.3, 0.3);
      bn->running_var.uniform_(0.5, 2.0);
    }
  return e;
}

ResNetEncoder copy_of(const ResNetEncoder& src) {
  ResNetEncoder e(kCfg);
  load_state_dict(*e, state_dict_of(*src));
  return e;
}

void set_alpha(ResNetEncoder& e, double a) {
  torch::NoGradGuard ng;
  for (auto& p : e->named_parameters())
    if (p.key().find("fusion_weight") != std::string::npos) p.value().fill_(a);
}

TEST(Abri, NamesFollowTheReference) {
  auto e = pretrained(1);
  e->enable_abri({AbriMode::Channel, 0.5});
  const auto sd = state_dict_of(*e);
  for (const char* k : {"bn1_addition.weight", "fusion_weight", "layer1.0.bn1_addition.running_var", "layer1.0.fusion_weight1",
                        "layer1.0.fusion_weight2", "layer2.0.downsample.bn_addition.weight", "layer2.0.downsample.fusion_weight"})
    EXPECT_TRUE(sd.contains(k)) << k;
  EXPECT_EQ(sd.at("layer2.0.fusion_weight1").sizes(), (std::vector<int64_t>{1, 16, 1, 1}));
  auto b = pretrained(1);
  b->enable_abri({AbriMode::Batch, 0.3});
  EXPECT_EQ(state_dict_of(*b).at("fusion_weight").sizes(), (std::vector<int64_t>{1}));
  EXPECT_FLOAT_EQ(state_dict_of(*b).at("layer3.1.fusion_weight2").item<float>(), 0.3f);
  EXPECT_THROW(b->enable_abri({AbriMode::Batch, 0.3}), std::exception);
}

TEST(Abri, AlphaOneIsThePretrainedNetworkAlphaZeroTheResetOne) {
  torch::NoGradGuard ng;
  auto base = pretrained(2);
  auto x = torch::randn({4, 3, 48, 48});
  for (bool train : {false, true}) {
    auto plain = copy_of(base);
    auto abri = copy_of(base);
    abri->enable_abri({AbriMode::Channel, 0.5});
    auto reset = copy_of(base);
    reset_all_bn(*reset);
    plain->train(train);
    abri->train(train);
    reset->train(train);
    set_alpha(abri, 1.0);
    EXPECT_LE(test::max_abs_diff(abri->forward(x), plain->forward(x)), 1e-5) << "train=" << train;
    set_alpha(abri, 0.0);
    EXPECT_LE(test::max_abs_diff(abri->forward(x), reset->forward(x)), 1e-5) << "train=" << train;
    // In between: not equal to either.
    set_alpha(abri, 0.5);
    EXPECT_GT(test::max_abs_diff(abri->forward(x), plain->forward(x)), 1e-3);
  }
}

TEST(Abri, GradientsReachAlphaAndBothNorms) {
  auto e = pretrained(3);
  e->enable_abri({AbriMode::Batch, 0.5});
  e->train();
  e->forward(torch::randn({4, 3, 40, 40})).pow(2).mean().backward();
  for (const char* k : {"fusion_weight", "layer2.0.fusion_weight1", "layer4.1.fusion_weight2", "layer3.0.downsample.fusion_weight",
                        "bn1.weight", "bn1_addition.weight", "layer4.1.bn2_addition.bias", "layer2.0.downsample.bn_addition.weight"}) {
    torch::Tensor p;
    for (auto& kv : e->named_parameters())
      if (kv.key() == k) p = kv.value();
    ASSERT_TRUE(p.defined()) << k;
    ASSERT_TRUE(p.grad().defined()) << k;
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0) << k;
  }
}

TEST(Abri, PlainCheckpointsFillTheOriginalsAndReferenceNamesLoad) {
  auto base = pretrained(4);
  auto abri = ResNetEncoder(kCfg);
  abri->enable_abri({AbriMode::Batch, 0.5});
  LoadOptions non_strict;
  non_strict.strict = false;
  auto rep = load_state_dict(*abri, state_dict_of(*base), non_strict);
  EXPECT_TRUE(rep.unexpected.empty());
  for (const auto& k : rep.missing) EXPECT_TRUE(k.find("_addition") != std::string::npos || k.find("fusion_weight") != std::string::npos) << k;
  EXPECT_TRUE(torch::equal(abri->layer1[0]->as<BasicBlock>()->bn1->weight, base->layer1[0]->as<BasicBlock>()->bn1->weight));
  EXPECT_TRUE(torch::all(abri->layer1[0]->as<BasicBlock>()->bn1_addition->weight == 1).item<bool>());
  // The reference names its downsample branch conv/bn/bn_addition/fusion_weight.
  StateDict ref;
  const auto ours = state_dict_of(*abri);
  for (const auto& [k, t] : ours.entries()) {
    std::string rk = k;
    for (auto [from, to] : {std::pair<std::string, std::string>{"downsample.0.", "downsample.conv."}, {"downsample.1.", "downsample.bn."}})
      if (auto p = rk.find(from); p != std::string::npos) rk.replace(p, from.size(), to);
    ref.set(rk, t.clone());
  }
  auto again = ResNetEncoder(kCfg);
  again->enable_abri({AbriMode::Batch, 0.5});
  EXPECT_TRUE(load_state_dict(*again, rename_keys(ref, {{"downsample.conv.", "downsample.0."}, {"downsample.bn.", "downsample.1."}})).clean());
}

TEST(BnReset, AbnormalChannelsOnly) {
  auto e = pretrained(5);
  {
    torch::NoGradGuard ng;
    e->bn1->weight.slice(0, 0, 3).fill_(1e-8);
    e->bn1->bias.slice(0, 0, 3).fill_(0.25);
  }
  const auto mean_before = e->bn1->running_mean.clone();
  EXPECT_EQ(reset_abnormal_bn(*e, 1e-6), 3);
  EXPECT_TRUE(torch::all(e->bn1->weight.slice(0, 0, 3) == 1).item<bool>());
  EXPECT_TRUE(torch::all(e->bn1->bias.slice(0, 0, 3) == 0).item<bool>());
  EXPECT_TRUE(torch::equal(e->bn1->running_mean, mean_before));
  EXPECT_EQ(reset_all_bn(*e), 1 + 2 * 8 + 3);  // stem, 2 per block x 8 blocks, 3 downsamples
  EXPECT_TRUE(torch::all(e->layer4[1]->as<BasicBlock>()->bn2->running_var == 1).item<bool>());
}

}  // namespace
