// Parity with torchvision: same keys, same forward in eval and train mode on the same weights.
#include <gtest/gtest.h>

#include <set>

#include "avtune/io/pth.h"
#include "avtune/io/state_dict.h"
#include "avtune/io/weights_file.h"
#include "avtune/models/resnet.h"
#include "../test_support.h"

using namespace avtune;

namespace {

StateDict without_fc(const StateDict& sd) {
  StateDict out;
  for (const auto& [k, t] : sd.entries())
    if (k.rfind("fc.", 0) != 0) out.set(k, t);
  return out;
}

class ResNetParity : public ::testing::TestWithParam<int> {};

TEST_P(ResNetParity, KeysShapesAndForwardMatchTorchvision) {
  const int depth = GetParam();
  torch::NoGradGuard ng;
  const auto file = load_weights(test::fixture("resnet" + std::to_string(depth) + "_state.pth"));
  const auto io = find_state_dict(load_pth(test::fixture("resnet" + std::to_string(depth) + "_io.pth")), "io");
  ResNetEncoder enc(ResNetConfig{depth, 3, 1.0});

  // Key sets equal (torchvision's minus its fc), with equal shapes.
  const auto ours = state_dict_of(*enc);
  const auto theirs = without_fc(file);
  std::set<std::string> a, b;
  for (auto& k : ours.keys()) a.insert(k);
  for (auto& k : theirs.keys()) b.insert(k);
  EXPECT_EQ(a, b);
  EXPECT_EQ(ours.keys(), theirs.keys()) << "state_dict order differs from PyTorch's";
  for (const auto& [k, t] : ours.entries()) EXPECT_EQ(t.sizes(), theirs.at(k).sizes()) << k;

  auto rep = load_state_dict(*enc, theirs);  // strict
  EXPECT_TRUE(rep.clean()) << rep.summary();
  EXPECT_EQ(rep.loaded.size(), theirs.size());

  const auto x = io.at("input");
  enc->eval();
  const auto feat = enc->forward(x);
  EXPECT_LE(test::max_abs_diff(feat, io.at("feat_eval")), 1e-4);
  // Full torchvision forward: global average pool and the checkpoint's fc.
  const auto logits = torch::linear(feat.mean({2, 3}), file.at("fc.weight"), file.at("fc.bias"));
  EXPECT_LE(test::max_abs_diff(logits, io.at("logits_eval")), 1e-4);

  enc->train();
  const auto feat_train = enc->forward(x);
  EXPECT_LE(test::max_abs_diff(feat_train, io.at("feat_train")), 1e-4);
  EXPECT_LE(test::max_abs_diff(enc->bn1->running_mean, io.at("bn1_running_mean_after")), 1e-5);
  EXPECT_LE(test::max_abs_diff(enc->bn1->running_var, io.at("bn1_running_var_after")), 1e-5);
  auto l4 = enc->layer4[1]->as<BasicBlock>();
  ASSERT_NE(l4, nullptr);
  EXPECT_LE(test::max_abs_diff(l4->bn2->running_var, io.at("layer4_1_bn2_running_var_after")), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Depths, ResNetParity, ::testing::Values(18, 34));

TEST(ResNet, NamesFollowTorchvision) {
  ResNetEncoder enc(ResNetConfig{18, 1, 1.0});
  const auto sd = state_dict_of(*enc);
  for (const char* k : {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                        "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.1.bn2.bias",
                        "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var",
                        "layer4.1.bn2.weight"})
    EXPECT_TRUE(sd.contains(k)) << k;
  EXPECT_FALSE(sd.contains("layer1.0.downsample.0.weight"));
  EXPECT_FALSE(sd.contains("fc.weight"));
  EXPECT_EQ(sd.at("conv1.weight").sizes(), (std::vector<int64_t>{64, 1, 7, 7}));
  EXPECT_EQ(sd.at("bn1.num_batches_tracked").scalar_type(), torch::kLong);
}

TEST(ResNet, Resnet34HasItsBlockCounts) {
  ResNetEncoder enc(ResNetConfig{34, 3, 1.0});
  EXPECT_EQ(enc->layer1->size(), 3u);
  EXPECT_EQ(enc->layer2->size(), 4u);
  EXPECT_EQ(enc->layer3->size(), 6u);
  EXPECT_EQ(enc->layer4->size(), 3u);
}

TEST(ResNet, WidthMultiplierScalesEveryStage) {
  ResNetEncoder enc(ResNetConfig{18, 1, 0.25});
  EXPECT_EQ(enc->out_channels(), 128);
  const auto sd = state_dict_of(*enc);
  EXPECT_EQ(sd.at("conv1.weight").size(0), 16);
  EXPECT_EQ(sd.at("layer3.0.conv1.weight").size(0), 64);
  auto y = enc->forward(torch::randn({2, 1, 64, 32}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 128, 2, 1}));
}

TEST(ResNet, WrongInputShapeIsAClearError) {
  ResNetEncoder enc(ResNetConfig{18, 1, 0.25});
  try {
    enc->forward(torch::randn({2, 3, 32, 32}));
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("expected input (B, 1, H, W), got shape [2,3,32,32]"), std::string::npos) << e.what();
  }
}

TEST(ResNet, UnsupportedDepthIsAClearError) {
  EXPECT_THROW(ResNetEncoder(ResNetConfig{50, 3, 1.0}), std::exception);
}

TEST(ResNet, InitialisationIsDeterministicForASeed) {
  torch::manual_seed(5);
  ResNetEncoder a(ResNetConfig{18, 3, 0.25});
  torch::manual_seed(5);
  ResNetEncoder b(ResNetConfig{18, 3, 0.25});
  const auto sa = state_dict_of(*a), sb = state_dict_of(*b);
  for (const auto& [k, t] : sa.entries()) EXPECT_TRUE(torch::equal(t, sb.at(k))) << k;
  // He-normal fan_out: std = sqrt(2 / (out * k * k)) for conv1 (16 * 49).
  const double sd = sa.at("conv1.weight").std().item<double>();
  EXPECT_NEAR(sd, std::sqrt(2.0 / (16 * 49)), 0.02);
}

}  // namespace

TEST(ResNet, ChannelsLastMatchesTorchvisionAndKeepsNames) {
  const auto file = without_fc(load_weights(test::fixture("resnet18_state.pth")));
  const auto io = find_state_dict(load_pth(test::fixture("resnet18_io.pth")), "io");
  ResNetEncoder nchw(ResNetConfig{18, 3, 1.0}), nhwc(ResNetConfig{18, 3, 1.0});
  ASSERT_TRUE(load_state_dict(*nchw, file).clean());
  ASSERT_TRUE(load_state_dict(*nhwc, file).clean());
  nhwc->set_channels_last(true);
  EXPECT_TRUE(nhwc->channels_last());
  EXPECT_TRUE(nhwc->layer2[0]->as<BasicBlock>()->conv1->weight.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_FALSE(nhwc->conv1->weight.is_contiguous());  // really stored NHWC, not just flagged
  // Names and shapes are the state_dict's, whatever the layout; values are equal.
  const auto sd = state_dict_of(*nhwc);
  EXPECT_EQ(sd.keys(), state_dict_of(*nchw).keys());
  for (const auto& [k, t] : sd.entries()) EXPECT_TRUE(torch::equal(t, file.at(k))) << k;

  const auto x = io.at("input");
  {
    torch::NoGradGuard ng;
    nhwc->eval();
    const auto feat = nhwc->forward(x);
    EXPECT_TRUE(feat.is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_LE(test::max_abs_diff(feat, io.at("feat_eval")), 1e-4);
  }
  // Training: same outputs, running statistics and gradients as NCHW, up to summation order.
  nchw->train();
  nhwc->train();
  auto ya = nchw->forward(x), yb = nhwc->forward(x);
  EXPECT_LE(test::max_abs_diff(yb, io.at("feat_train")), 1e-4);
  (ya * ya).mean().backward();
  (yb * yb).mean().backward();
  EXPECT_LE(test::max_abs_diff(nhwc->bn1->running_var, io.at("bn1_running_var_after")), 1e-5);
  const auto ga = nchw->layer1[0]->as<BasicBlock>()->conv1->weight.grad();
  const auto gb = nhwc->layer1[0]->as<BasicBlock>()->conv1->weight.grad();
  ASSERT_TRUE(gb.defined());
  EXPECT_LE(test::max_abs_diff(ga, gb), 1e-4 * (1 + ga.abs().max().item<double>()));

  nhwc->set_channels_last(false);
  EXPECT_TRUE(nhwc->conv1->weight.is_contiguous());
}
