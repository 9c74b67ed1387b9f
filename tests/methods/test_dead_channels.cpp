#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avtune/methods/dead_channels.h"
#include "avtune/io/weights_file.h"
#include "../test_support.h"

using namespace avtune;

namespace {

TEST(DeadChannels, PlantedRatiosComeBackOut) {
  torch::manual_seed(0);
  ResNetEncoder e(ResNetConfig{18, 3, 0.25});  // stem 16 channels, layer2 32
  {
    torch::NoGradGuard ng;
    e->bn1->weight.slice(0, 0, 4).zero_();          // 4/16 dead at any threshold
    e->bn1->bias.slice(0, 0, 4).zero_();
    auto* b = e->layer2[0]->as<BasicBlock>();
    b->bn1->weight.slice(0, 0, 8).fill_(1e-6);      // 8/32 below 2e-5 but not below 1e-10
    b->bn1->bias.slice(0, 0, 8).fill_(-1e-6);
    b->bn2->weight.slice(0, 0, 2).fill_(1e-6);      // gamma small but beta large: not abnormal
    b->bn2->bias.slice(0, 0, 2).fill_(0.5);
  }
  auto d = diagnose_parameters(state_dict_of(*e), DiagnoseOptions{}, "planted");
  ASSERT_EQ(d.layers.size(), 20u);
  EXPECT_EQ(d.layers[0].name, "bn1");
  EXPECT_DOUBLE_EQ(d.layers[0].abnormal_ratio[0], 0.25);
  EXPECT_DOUBLE_EQ(d.layers[0].abnormal_ratio[1], 0.25);
  const BnLayerDiagnosis* l2 = nullptr;
  for (auto& L : d.layers)
    if (L.name == "layer2.0.bn1") l2 = &L;
  ASSERT_NE(l2, nullptr);
  EXPECT_DOUBLE_EQ(l2->abnormal_ratio[0], 0.0);
  EXPECT_DOUBLE_EQ(l2->abnormal_ratio[1], 0.25);
  EXPECT_DOUBLE_EQ(l2->relative_ratio, 0.25);
  for (auto& L : d.layers) {
    if (L.name == "layer2.0.bn2") {
      EXPECT_DOUBLE_EQ(L.abnormal_ratio[1], 0.0);
    }
  }
  const double total = (4.0 + 8.0) / static_cast<double>([&] {
    int64_t c = 0;
    for (auto& L : d.layers) c += L.channels;
    return c;
  }());
  EXPECT_NEAR(d.total_abnormal_ratio[1], total, 1e-12);
  EXPECT_NE(diagnosis_table(d).find("layer2.0.bn1"), std::string::npos);
  auto j = nlohmann::json::parse(diagnosis_json(d));
  EXPECT_EQ(j["layers"][0]["channels"], 16);
  EXPECT_NE(diagnosis_csv(d).find("planted,bn1,16,0.25,0.25"), std::string::npos) << diagnosis_csv(d);
}

TEST(DeadChannels, ActivationViewFindsChannelsThatNeverFire) {
  torch::manual_seed(1);
  ResNetEncoder e(ResNetConfig{18, 3, 0.25});
  {
    torch::NoGradGuard ng;
    e->bn1->weight.slice(0, 0, 5).zero_();
    e->bn1->bias.slice(0, 0, 5).fill_(-0.1);  // BN output -0.1 everywhere: zero after ReLU
  }
  auto d = diagnose_parameters(state_dict_of(*e), DiagnoseOptions{}, "x");
  int calls = 0;
  diagnose_activations(*e, [&]() -> std::optional<torch::Tensor> {
    if (calls++ == 3) return std::nullopt;
    return torch::randn({8, 3, 32, 32});
  }, d, 20);
  EXPECT_EQ(d.layers[0].samples, 20);
  EXPECT_EQ(d.layers[0].dead_channels, 5);
  EXPECT_GE(d.layers[0].mean_dead_fraction, 5.0 / 16);
  EXPECT_LT(d.layers[0].mean_dead_fraction, 0.6);
  EXPECT_TRUE(e->is_training());  // the mode it had before the diagnosis
}

TEST(DeadChannels, TorchvisionCheckpointAndConfigInference) {
  auto sd = load_weights(test::fixture("resnet34_state.pth"));
  auto d = diagnose_parameters(sd, DiagnoseOptions{}, "resnet34");
  EXPECT_EQ(d.layers.size(), 1u + 2 * 16 + 3);
  for (auto& L : d.layers) EXPECT_EQ(L.abnormal_ratio[1], 0.0) << L.name;  // fixture gammas are in [0.5, 1.5]
  auto cfg = infer_resnet_config(sd, "resnet34");
  EXPECT_EQ(cfg.depth, 34);
  EXPECT_EQ(cfg.in_channels, 3);
  EXPECT_DOUBLE_EQ(cfg.width, 1.0);
}

}  // namespace
