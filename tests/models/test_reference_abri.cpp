// Reference-layout ABRi checkpoints (tests/reference/make_fidelity_fixtures.py builds them with the
// reference's module names): detected, renamed both ways, and loaded as they are into avtune's encoder,
// with ABRi (twins and alpha continue: same outputs as the reference model) and without it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "avtune/io/reference_layout.h"
#include "avtune/io/weights_file.h"
#include "avtune/methods/abri.h"
#include "avtune/models/encoder_init.h"
#include "avtune/models/resnet.h"
#include "../test_support.h"

using namespace avtune;

namespace {

std::string abri_fixture(const std::string& name) { return test::fixture("fidelity/abri/" + name); }

StateDict raw(const std::string& path) {
  WeightsSource s;
  s.path = path;
  s.avtune_names = false;
  return load_weights(s);
}

ResNetConfig small() {
  ResNetConfig c;
  c.in_channels = 1;
  c.width = 0.125;
  return c;
}

torch::Tensor features(ResNetEncoder& enc, const torch::Tensor& x) {
  enc->eval();
  torch::NoGradGuard ng;
  return enc->forward(x);
}

}  // namespace

TEST(ReferenceAbri, LayoutIsDetectedAndRenamedBothWays) {
  const auto path = abri_fixture("ref_audio_batch.pth");
  ASSERT_TRUE(std::filesystem::exists(path));
  const StateDict ref = raw(path);
  EXPECT_EQ(detect_layout(ref), WeightsLayout::ReferenceAbri);
  EXPECT_EQ(layout_name(detect_layout(ref)).rfind("reference ABRi layout", 0), 0u);
  const StateDict ours = from_reference_layout(ref);
  EXPECT_EQ(detect_layout(ours), WeightsLayout::TorchvisionAbri);
  EXPECT_TRUE(ours.contains("audio_net.layer2.0.downsample.0.weight"));
  EXPECT_TRUE(ours.contains("audio_net.layer2.0.downsample.1.running_var"));
  EXPECT_TRUE(ours.contains("audio_net.layer2.0.downsample.bn_addition.weight"));
  EXPECT_TRUE(ours.contains("audio_net.layer2.0.downsample.fusion_weight"));
  EXPECT_EQ(to_reference_layout(ours).keys(), ref.keys());
  EXPECT_EQ(from_reference_layout(ours).keys(), ours.keys());  // idempotent
  // load_weights gives avtune's names by default.
  EXPECT_EQ(load_weights(path).keys(), ours.keys());

  // avtune's ABRi encoder, renamed, has exactly the reference's names (encoder part of the classifier).
  ResNetEncoder enc(small());
  enc->enable_abri({AbriMode::Batch, 0.5});
  const StateDict mine = to_reference_layout(state_dict_of(*enc));
  std::vector<std::string> want;
  for (const auto& k : ref.keys())
    if (k.rfind("audio_net.", 0) == 0) want.push_back(k.substr(10));
  auto got = mine.keys();
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(abri_mode_of(ref), AbriMode::Batch);
  EXPECT_EQ(abri_mode_of(raw(abri_fixture("ref_encoder_channel.pth"))), AbriMode::Channel);
  EXPECT_EQ(abri_mode_of(state_dict_of(*ResNetEncoder(small()))), AbriMode::None);
}

TEST(ReferenceAbri, LoadsIntoAnAbriEncoderAndContinuesItsMix) {
  const auto io = load_weights(abri_fixture("io.pth"));
  ASSERT_FALSE(io.empty());
  EncoderInit init = parse_encoder_init(abri_fixture("ref_audio_batch.pth"));
  ResNetEncoder enc(small());
  enc->enable_abri({AbriMode::Batch, 0.5});
  const auto rep = init_encoder(*enc, 1, init, "audio_net.");
  EXPECT_TRUE(rep.missing.empty()) << rep.summary();
  EXPECT_TRUE(rep.unexpected.empty()) << rep.summary();  // fc. is outside the selected prefix
  EXPECT_LE(test::max_abs_diff(features(enc, io.at("input")), io.at("features_batch")), 1e-4);
  EXPECT_NE(enc->fusion_weight.item<float>(), 0.5f);  // alpha from the checkpoint, not the default

  // Channel mode, a bare encoder.
  ResNetEncoder ch(small());
  ch->enable_abri({AbriMode::Channel, 0.5});
  const auto rep2 = init_encoder(*ch, 1, parse_encoder_init(abri_fixture("ref_encoder_channel.pth")), "");
  EXPECT_TRUE(rep2.clean()) << rep2.summary();
  EXPECT_LE(test::max_abs_diff(features(ch, io.at("input")), io.at("features_channel")), 1e-4);

  // The wrong ABRi mode is a clear error naming the mode to use.
  ResNetEncoder wrong(small());
  wrong->enable_abri({AbriMode::Batch, 0.5});
  const auto e = test::error_of([&] { init_encoder(*wrong, 1, parse_encoder_init(abri_fixture("ref_encoder_channel.pth")), ""); });
  EXPECT_NE(e.find("init: expected ABRi mixing weights of one value a layer (--abri batch)"), std::string::npos) << e;
  EXPECT_NE(e.find("use --abri channel"), std::string::npos) << e;
}

TEST(ReferenceAbri, LoadsIntoAPlainEncoderAndAbriStartsFreshFromPlainWeights) {
  const StateDict ref = raw(abri_fixture("ref_audio_batch.pth"));
  ASSERT_FALSE(ref.empty());
  // No ABRi: the originals load (the downsample branch included), the twins are reported unexpected.
  ResNetEncoder plain(small());
  const auto rep = init_encoder(*plain, 1, parse_encoder_init(abri_fixture("ref_audio_batch.pth")), "audio_net.");
  EXPECT_TRUE(rep.missing.empty()) << rep.summary();
  EXPECT_FALSE(rep.unexpected.empty());
  for (const auto& k : rep.unexpected) EXPECT_TRUE(is_abri_twin_key(k)) << k;
  EXPECT_TRUE(torch::equal(plain->layer2[0]->as<BasicBlock>()->ds_bn->running_var,
                           ref.at("audio_net.layer2.0.downsample.bn.running_var")));
  EXPECT_TRUE(torch::equal(plain->layer3[0]->as<BasicBlock>()->ds_conv->weight,
                           ref.at("audio_net.layer3.0.downsample.conv.weight")));

  // ABRi from weights without twins: the originals load, the twins stay fresh, alpha at its start.
  test::TempDir d;
  const auto plain_file = d.file("plain.pth");
  save_weights(plain_file, state_dict_of(*plain));
  ResNetEncoder abri(small());
  abri->enable_abri({AbriMode::Channel, 0.7});
  const auto rep2 = init_encoder(*abri, 1, parse_encoder_init(plain_file), "");
  EXPECT_TRUE(rep2.clean()) << rep2.summary();
  EXPECT_TRUE(torch::all(abri->fusion_weight == 0.7f).item<bool>());
  EXPECT_TRUE(torch::all(abri->bn1_addition->weight == 1.0f).item<bool>());
  EXPECT_TRUE(torch::equal(abri->bn1->weight, ref.at("audio_net.bn1.weight")));
}
