#include <gtest/gtest.h>

#include "avtune/io/state_dict.h"
#include "avtune/models/classifiers.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;

namespace {
const ResNetConfig kAudio{18, 1, 0.125}, kVisual{18, 3, 0.125};
}

TEST(Classifiers, ReferenceNames) {
  AVClassifier av(kAudio, kVisual, 7);
  const auto sd = state_dict_of(*av);
  EXPECT_EQ(sd.at("audio_net.conv1.weight").size(1), 1);
  EXPECT_EQ(sd.at("visual_net.conv1.weight").size(1), 3);
  EXPECT_EQ(sd.at("fusion_module.fc_out.weight").sizes(), (std::vector<int64_t>{7, 128}));
  AudioClassifier a(kAudio, 5);
  EXPECT_TRUE(state_dict_of(*a).contains("fc.weight"));
  EXPECT_TRUE(state_dict_of(*a).contains("audio_net.layer4.1.bn2.running_var"));
  VisualClassifier v(kVisual, 5);
  EXPECT_TRUE(state_dict_of(*v).contains("visual_net.layer2.0.downsample.0.weight"));
}

TEST(Classifiers, VisualPoolsOverTimeAndSpaceLikeTheReference) {
  torch::NoGradGuard ng;
  torch::manual_seed(0);
  VisualClassifier v(kVisual, 4);
  v->eval();
  auto clip = torch::randn({2, 3, 4, 48, 40});  // (B, C, T, H, W)
  auto f = v->features(clip);
  // Reference semantics: per-frame feature maps, mean over T, h and w.
  std::vector<torch::Tensor> per_frame;
  for (int t = 0; t < 4; ++t) per_frame.push_back(v->visual_net(clip.select(2, t)));
  auto expected = torch::stack(per_frame, 2).mean({2, 3, 4});
  EXPECT_LE(test::max_abs_diff(f, expected), 1e-5);
  // The same data in (B, T, C, H, W), declared as such, gives the same result.
  auto f2 = v->features(clip.permute({0, 2, 1, 3, 4}).contiguous(), ClipLayout::BTCHW);
  EXPECT_LE(test::max_abs_diff(f, f2), 1e-6);
}

TEST(Classifiers, AVForwardShapesAndConcatHead) {
  torch::NoGradGuard ng;
  AVClassifier av(kAudio, kVisual, 6);
  av->eval();
  auto out = av->forward(torch::randn({3, 1, 64, 32}), torch::randn({3, 3, 2, 32, 32}));
  EXPECT_EQ(out.audio_features.sizes(), (std::vector<int64_t>{3, 64}));
  EXPECT_EQ(out.visual_features.sizes(), (std::vector<int64_t>{3, 64}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 6}));
  auto concat = std::dynamic_pointer_cast<ConcatFusionImpl>(av->fusion_module);
  ASSERT_TRUE(concat);
  auto& fc = concat->fc_out;
  auto manual = torch::linear(torch::cat({out.audio_features, out.visual_features}, 1), fc->weight, fc->bias);
  EXPECT_LE(test::max_abs_diff(out.logits, manual), 1e-6);
  // The per-modality parts add up to the logits (the bias split half and half).
  const auto parts = av->fusion_module->parts(out.audio_features, out.visual_features);
  EXPECT_LE(test::max_abs_diff(parts.at("audio") + parts.at("visual"), out.logits), 1e-5);
}

TEST(Classifiers, FusionHeadsFollowTheirFormulasAndNames) {
  torch::NoGradGuard ng;
  torch::manual_seed(4);
  const auto a = torch::randn({5, 64}), v = torch::randn({5, 64});
  for (const char* name : {"sum", "film", "gated"}) {
    SCOPED_TRACE(name);
    AVClassifier av(kAudio, kVisual, 6, parse_fusion_kind(name));
    const auto sd = av->named_parameters();
    auto logits = av->fusion_module->forward(a, v);
    ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{5, 6}));
    torch::Tensor want;
    if (std::string(name) == "sum") {
      want = torch::linear(a, sd["fusion_module.fc_x.weight"], sd["fusion_module.fc_x.bias"]) +
             torch::linear(v, sd["fusion_module.fc_y.weight"], sd["fusion_module.fc_y.bias"]);
      const auto p = av->fusion_module->parts(a, v);
      EXPECT_LE(test::max_abs_diff(p.at("audio") + p.at("visual"), logits), 1e-5);
    } else if (std::string(name) == "film") {
      const auto gb = torch::linear(a, sd["fusion_module.fc.weight"], sd["fusion_module.fc.bias"]);
      EXPECT_EQ(gb.size(1), 128);
      want = torch::linear(gb.narrow(1, 0, 64) * v + gb.narrow(1, 64, 64), sd["fusion_module.fc_out.weight"],
                           sd["fusion_module.fc_out.bias"]);
      EXPECT_TRUE(av->fusion_module->parts(a, v).empty());
    } else {
      const auto gate = torch::sigmoid(torch::linear(a, sd["fusion_module.fc_x.weight"], sd["fusion_module.fc_x.bias"]));
      want = torch::linear(gate * torch::linear(v, sd["fusion_module.fc_y.weight"], sd["fusion_module.fc_y.bias"]),
                           sd["fusion_module.fc_out.weight"], sd["fusion_module.fc_out.bias"]);
    }
    EXPECT_LE(test::max_abs_diff(logits, want), 1e-5);
  }
  EXPECT_THROW(parse_fusion_kind("attention"), Error);
}

TEST(Classifiers, ShapeErrorsAreClear) {
  AVClassifier av(kAudio, kVisual, 6);
  auto msg = [&](auto fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // (B, T, C, H, W) with T = 4 passed as the default BCTHW: C would be 4.
  auto m1 = msg([&] { av->forward(torch::randn({2, 1, 64, 32}), torch::randn({2, 4, 3, 32, 32})); });
  EXPECT_NE(m1.find("expected clips (B, C=3, T, H, W), got [2, 4, 3, 32, 32]"), std::string::npos) << m1;
  auto m2 = msg([&] { av->forward(torch::randn({3, 1, 64, 32}), torch::randn({2, 3, 3, 32, 32})); });
  EXPECT_NE(m2.find("audio (B=2, 1, T, F)"), std::string::npos) << m2;
}
