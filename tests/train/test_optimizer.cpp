#include <gtest/gtest.h>

#include <algorithm>

#include "avtune/models/classifiers.h"
#include "avtune/train/optimizer.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {

bool has(const std::vector<NamedParameter>& v, const std::string& name) {
  return std::any_of(v.begin(), v.end(), [&](const NamedParameter& p) { return p.first == name; });
}

// A head with ABRi-style mixing weights next to a classifier.
struct MixHeadImpl : torch::nn::Module {
  MixHeadImpl() {
    net = register_module("net", AudioClassifier(ResNetConfig{18, 1, 0.0625}, 3));
    fusion_weight = register_parameter("fusion_weight", torch::full({1}, 0.5));
    alpha = register_parameter("alpha", torch::full({1, 4, 1, 1}, 0.5));
  }
  AudioClassifier net{nullptr};
  torch::Tensor fusion_weight, alpha;
};
TORCH_MODULE(MixHead);

void set_grads(const std::vector<NamedParameter>& ps, float v) {
  for (const auto& [n, p] : ps) p.mutable_grad() = torch::full_like(p, v);
}

}  // namespace

TEST(Optim, BatchNormBiasesAndMixingWeightsSkipWeightDecay) {
  MixHead m;
  const auto params = trainable_parameters(*m);
  const auto g = split_weight_decay(*m, params, /*decay_exclude=*/true);
  // ResNet-18: 20 convs + fc.weight decay; 20 BNs x (weight, bias) + fc.bias + fusion_weight + alpha do not.
  EXPECT_EQ(g.decay.size(), 21u);
  EXPECT_EQ(g.no_decay.size(), 43u);
  EXPECT_EQ(g.decay.size() + g.no_decay.size(), params.size());
  for (const char* n : {"net.audio_net.bn1.weight", "net.audio_net.bn1.bias", "net.audio_net.layer2.0.downsample.1.weight",
                        "net.audio_net.layer4.1.bn2.weight", "net.fc.bias", "fusion_weight", "alpha"})
    EXPECT_TRUE(has(g.no_decay, n)) << n;
  for (const char* n : {"net.audio_net.conv1.weight", "net.audio_net.layer2.0.downsample.0.weight", "net.fc.weight"})
    EXPECT_TRUE(has(g.decay, n)) << n;
  const auto all = split_weight_decay(*m, params, /*decay_exclude=*/false);
  EXPECT_EQ(all.decay.size(), params.size());
  EXPECT_TRUE(all.no_decay.empty());
}

TEST(Optim, OnlyTheDecayGroupDecays) {
  MixHead m;
  OptimizerConfig c;
  c.kind = "sgd";
  c.lr = 1.0;
  c.momentum = 0;
  c.weight_decay = 0.1;
  TrainOptimizer opt(*m, trainable_parameters(*m), c);
  auto before_conv = m->net->audio_net->conv1->weight.clone();
  auto before_bn = m->net->audio_net->bn1->weight.clone();
  auto before_alpha = m->alpha.clone();
  set_grads(trainable_parameters(*m), 0.0f);  // zero gradients: only weight decay moves a parameter
  opt.step();
  EXPECT_TRUE(torch::allclose(m->net->audio_net->conv1->weight, before_conv * 0.9));
  EXPECT_TRUE(torch::equal(m->net->audio_net->bn1->weight, before_bn));
  EXPECT_TRUE(torch::equal(m->alpha, before_alpha));
}

TEST(Optim, ClipsTheGlobalGradientNorm) {
  auto lin = torch::nn::Linear(torch::nn::LinearOptions(2, 1).bias(false));
  torch::NoGradGuard ng;
  lin->weight.fill_(0);
  OptimizerConfig c;
  c.lr = 1.0;
  c.momentum = 0;
  c.weight_decay = 0;
  c.grad_clip = 1.0;
  TrainOptimizer opt(*lin, trainable_parameters(*lin), c);
  lin->weight.mutable_grad() = torch::tensor({{3.0f, 4.0f}});
  EXPECT_NEAR(opt.step(), 5.0, 1e-6);  // the norm before clipping
  // Clipped to norm 1: the step is -(0.6, 0.8).
  EXPECT_NEAR(lin->weight[0][0].item<double>(), -0.6, 1e-5);
  EXPECT_NEAR(lin->weight[0][1].item<double>(), -0.8, 1e-5);
}

TEST(Optim, ConfigErrorsAreClear) {
  auto lin = torch::nn::Linear(2, 2);
  OptimizerConfig c;
  c.kind = "rmsprop";
  EXPECT_THROW(TrainOptimizer(*lin, trainable_parameters(*lin), c), Error);
  c.kind = "sgd";
  c.nesterov = true;
  c.momentum = 0;
  EXPECT_THROW(TrainOptimizer(*lin, trainable_parameters(*lin), c), Error);
}

// The flattened state, restored into a fresh optimizer, continues exactly like the original.
class OptimStateRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(OptimStateRoundTrip, ResumesBitExactly) {
  torch::manual_seed(0);
  AudioClassifier a(ResNetConfig{18, 1, 0.0625}, 3), b(ResNetConfig{18, 1, 0.0625}, 3);
  OptimizerConfig c;
  c.kind = GetParam();
  c.lr = 0.01;
  c.nesterov = true;
  c.weight_decay = 1e-3;
  TrainOptimizer oa(*a, trainable_parameters(*a), c);
  auto grads = [&](int k, AudioClassifier& m) {
    for (const auto& [n, p] : trainable_parameters(*m)) {
      torch::manual_seed(k);
      p.mutable_grad() = torch::randn_like(p);
    }
  };
  for (int k = 0; k < 3; ++k) {
    grads(k, a);
    oa.step();
  }
  const StateDict sd = oa.state_dict();
  if (c.kind == "sgd") {
    EXPECT_TRUE(sd.contains("fc.weight.momentum_buffer"));
    EXPECT_TRUE(sd.contains("audio_net.bn1.weight.momentum_buffer"));
  } else {
    EXPECT_TRUE(sd.contains("fc.weight.exp_avg"));
    EXPECT_TRUE(sd.contains("fc.weight.exp_avg_sq"));
    EXPECT_EQ(sd.at("fc.weight.step").item<int64_t>(), 3);
  }
  // b: same weights, fresh optimizer with the state loaded.
  {
    torch::NoGradGuard ng;
    const auto sa = state_dict_of(*a);  // a named copy: entries() of a temporary would dangle
    auto sb = state_dict_of(*b);
    for (const auto& [k, t] : sa.entries()) sb.at(k).copy_(t);
  }
  TrainOptimizer ob(*b, trainable_parameters(*b), c);
  ob.load_state_dict(sd);
  for (int k = 3; k < 5; ++k) {
    grads(k, a);
    oa.step();
    grads(k, b);
    ob.step();
  }
  const auto fa = state_dict_of(*a), fb = state_dict_of(*b);
  for (const auto& [k, t] : fa.entries()) EXPECT_TRUE(torch::equal(t, fb.at(k))) << k;
}

INSTANTIATE_TEST_SUITE_P(Optim, OptimStateRoundTrip, ::testing::Values("sgd", "adam", "adamw"));

TEST(Optim, RejectsAnotherOptimizersOrModelsState) {
  auto lin = torch::nn::Linear(2, 2);
  OptimizerConfig sgd, adam;
  adam.kind = "adam";
  TrainOptimizer o(*lin, trainable_parameters(*lin), adam);
  StateDict s;
  s.set("weight.momentum_buffer", torch::zeros({2, 2}));
  EXPECT_THROW(o.load_state_dict(s), Error);
  StateDict other;
  other.set("conv9.weight.exp_avg", torch::zeros({2, 2}));
  EXPECT_THROW(o.load_state_dict(other), Error);
  TrainOptimizer os(*lin, trainable_parameters(*lin), sgd);
  StateDict shape;
  shape.set("weight.momentum_buffer", torch::zeros({3}));
  EXPECT_THROW(os.load_state_dict(shape), Error);
}
