#include <gtest/gtest.h>

#include "avtune/io/state_dict.h"
#include "avtune/models/resnet.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;

namespace {

const ResNetConfig kSmall{18, 3, 0.125};

TEST(StateDict, StrictLoadReportsEveryProblem) {
  ResNetEncoder enc(kSmall);
  auto sd = state_dict_of(*enc);
  StateDict bad;
  for (const auto& [k, t] : sd.entries()) bad.set(k, t.clone());
  bad.erase("layer1.0.conv1.weight");
  bad.set("fc.weight", torch::zeros({3, 3}));
  bad.set("bn1.weight", torch::zeros({99}));
  try {
    load_state_dict(*enc, bad);
    FAIL() << "strict load accepted a bad state dict";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("1 missing (layer1.0.conv1.weight)"), std::string::npos) << m;
    EXPECT_NE(m.find("1 unexpected (fc.weight)"), std::string::npos) << m;
    EXPECT_NE(m.find("bn1.weight: model [8] vs file [99]"), std::string::npos) << m;
  }
}

TEST(StateDict, NonStrictLoadsWhatFits) {
  torch::manual_seed(1);
  ResNetEncoder src(kSmall);
  torch::manual_seed(2);
  ResNetEncoder dst(kSmall);
  auto sd = state_dict_of(*src);
  sd.erase("conv1.weight");
  sd.set("extra", torch::zeros({1}));
  LoadOptions opts;
  opts.strict = false;
  auto rep = load_state_dict(*dst, sd, opts);
  EXPECT_EQ(rep.missing, std::vector<std::string>{"conv1.weight"});
  EXPECT_EQ(rep.unexpected, std::vector<std::string>{"extra"});
  EXPECT_TRUE(torch::equal(dst->layer1[0]->as<BasicBlock>()->conv1->weight, src->layer1[0]->as<BasicBlock>()->conv1->weight));
  EXPECT_FALSE(torch::equal(dst->conv1->weight, src->conv1->weight));
}

TEST(StateDict, OldCheckpointsWithoutBatchCountersLoadStrictly) {
  ResNetEncoder enc(kSmall);
  StateDict sd;
  const auto full = state_dict_of(*enc);
  for (const auto& [k, t] : full.entries())
    if (k.find("num_batches_tracked") == std::string::npos) sd.set(k, t.clone());
  EXPECT_TRUE(load_state_dict(*enc, sd).clean());
}

TEST(StateDict, HalfPrecisionWeightsLoadIntoFloatModel) {
  ResNetEncoder enc(kSmall);
  StateDict sd;
  const auto full = state_dict_of(*enc);
  for (const auto& [k, t] : full.entries())
    sd.set(k, t.is_floating_point() ? torch::full_like(t, 0.5).to(torch::kHalf) : t.clone());
  load_state_dict(*enc, sd);
  EXPECT_EQ(enc->conv1->weight.scalar_type(), torch::kFloat);
  EXPECT_EQ(enc->conv1->weight.min().item<float>(), 0.5f);
}

TEST(StateDict, KeySurgery) {
  StateDict sd;
  sd.set("module.a", torch::zeros({1}));
  sd.set("module.b.c", torch::zeros({1}));
  EXPECT_EQ(strip_common_wrappers(sd).keys(), (std::vector<std::string>{"a", "b.c"}));
  sd.set("other", torch::zeros({1}));
  EXPECT_EQ(strip_common_wrappers(sd).keys(), (std::vector<std::string>{"module.a", "module.b.c", "other"}));
  EXPECT_EQ(select_prefix(sd, "module.b.").keys(), (std::vector<std::string>{"c"}));
  EXPECT_EQ(add_prefix(select_prefix(sd, "module."), "audio_net.").keys(),
            (std::vector<std::string>{"audio_net.a", "audio_net.b.c"}));
  StateDict abri;
  abri.set("layer1.0.bn1_addition.weight", torch::zeros({1}));
  abri.set("layer1.0.fusion_weight1", torch::zeros({1}));
  auto renamed = rename_keys(abri, {{"bn1_addition", "bn1_twin"}, {"fusion_weight1", "bn1_alpha"}});
  EXPECT_EQ(renamed.keys(), (std::vector<std::string>{"layer1.0.bn1_twin.weight", "layer1.0.bn1_alpha"}));
}

TEST(StateDict, CrossModalConv1Adaptation) {
  auto w = torch::randn({4, 3, 7, 7});
  auto sum = adapt_conv_weight(w, 1, ConvAdapt::Sum);
  EXPECT_EQ(sum.sizes(), (std::vector<int64_t>{4, 1, 7, 7}));
  EXPECT_LE(test::max_abs_diff(sum.squeeze(1), w.sum(1)), 1e-6);
  auto mean = adapt_conv_weight(w, 1, ConvAdapt::Mean);
  EXPECT_LE(test::max_abs_diff(mean * 3, sum), 1e-5);
  auto g = torch::randn({4, 1, 7, 7});
  auto rep = adapt_conv_weight(g, 3, ConvAdapt::Replicate);
  EXPECT_EQ(rep.sizes(), (std::vector<int64_t>{4, 3, 7, 7}));
  for (int c = 0; c < 3; ++c) EXPECT_LE(test::max_abs_diff(rep.select(1, c), g.select(1, 0) / 3), 1e-7);
  // A grey image through the replicated filter gives the original response.
  auto x = torch::randn({1, 1, 16, 16});
  auto y1 = torch::conv2d(x, g);
  auto y3 = torch::conv2d(x.expand({1, 3, 16, 16}), rep);
  EXPECT_LE(test::max_abs_diff(y1, y3), 1e-4);  // float32 sums in another order
  EXPECT_THROW(adapt_conv_weight(g, 3, ConvAdapt::Sum), Error);
  EXPECT_THROW(parse_conv_adapt("avg"), Error);

  StateDict sd;
  sd.set("conv1.weight", w);
  adapt_first_conv(sd, "conv1.weight", 1, ConvAdapt::Sum);
  ResNetEncoder audio(ResNetConfig{18, 1, 0.0625});
  EXPECT_EQ(sd.at("conv1.weight").size(1), audio->conv1->weight.size(1));
}

}  // namespace
