#include <gtest/gtest.h>

#include "avtune/io/state_dict.h"
#include "avtune/io/weights_file.h"
#include "avtune/methods/abri.h"
#include "avtune/models/classifiers.h"
#include "avtune/methods/linear_probe.h"
#include "avtune/run/training_run.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
using nlohmann::json;

namespace {

// A "pre-trained" visual classifier with some BN channels planted dead, saved as a weights file.
std::string saved_visual(const test::TempDir& d) {
  torch::manual_seed(11);
  VisualClassifier v(ResNetConfig{18, 3, 0.125}, 5);
  torch::NoGradGuard ng;
  v->visual_net->bn1->weight.slice(0, 0, 3).zero_();
  v->visual_net->bn1->bias.slice(0, 0, 3).zero_();
  v->visual_net->bn1->running_mean.fill_(0.25);
  const auto p = d.file("visual.safetensors");
  save_weights(p, state_dict_of(*v));
  return p;
}

json audio_model(const std::string& init) {
  return resolved_model({{"modality", "audio"}, {"width", 0.125}, {"init", init}});
}

}  // namespace

TEST(TrainingRun, CrossModalInitAdaptsConv1AndAbriAddsFreshTwinsAfterLoading) {
  test::TempDir d;
  const auto path = saved_visual(d);
  const auto src = load_weights(path);
  json m = audio_model(path + ":conv1=sum");
  m["abri"] = "batch";
  m["abri_alpha"] = 0.7;
  std::string log;
  auto net = build_run_model(m, Modality::Audio, 4, /*fresh=*/true, &log);
  auto audio = std::dynamic_pointer_cast<AudioClassifierImpl>(net);
  ASSERT_TRUE(audio);
  EXPECT_TRUE(torch::allclose(audio->audio_net->conv1->weight, src.at("visual_net.conv1.weight").sum(1, true)));
  EXPECT_TRUE(torch::equal(audio->audio_net->bn1->running_mean, src.at("visual_net.bn1.running_mean")));
  ASSERT_TRUE(audio->audio_net->bn1_addition);
  EXPECT_TRUE(torch::equal(audio->audio_net->bn1_addition->running_mean, torch::zeros_like(audio->audio_net->bn1->running_mean)));
  const auto alphas = abri_alphas(*net);
  ASSERT_EQ(alphas.size(), 20u);  // stem + 8 blocks x 2 + 3 downsample branches
  EXPECT_EQ(alphas.front().bn, "audio_net.bn1");
  EXPECT_EQ(alphas[1].bn, "audio_net.layer1.0.bn1");
  bool saw_ds = false;
  for (const auto& a : alphas) {
    EXPECT_EQ(a.count, 1);
    EXPECT_NEAR(a.mean, 0.7, 1e-7);  // stored as float32
    saw_ds |= a.bn == "audio_net.layer2.0.downsample.1";
  }
  EXPECT_TRUE(saw_ds);
  EXPECT_NE(log.find("ABRi batch mode"), std::string::npos) << log;

  // The saved run rebuilds without re-initialising and loads strictly (what eval and resume do).
  auto again = build_run_model(m, Modality::Audio, 4, /*fresh=*/false);
  EXPECT_NO_THROW(load_state_dict(*again, state_dict_of(*net)));
}

TEST(TrainingRun, BnResetBaselinesActOnTheLoadedEncoder) {
  test::TempDir d;
  const auto path = saved_visual(d);
  json m = audio_model(path);
  m["bn_reset"] = "abnormal";
  m["bn_reset_threshold"] = 1e-6;
  std::string log;
  auto a = std::dynamic_pointer_cast<AudioClassifierImpl>(build_run_model(m, Modality::Audio, 4, true, &log));
  EXPECT_NE(log.find("reset 3 abnormal BN channels"), std::string::npos) << log;
  EXPECT_TRUE(torch::equal(a->audio_net->bn1->weight.slice(0, 0, 3), torch::ones({3})));
  EXPECT_TRUE(torch::allclose(a->audio_net->bn1->running_mean, torch::full_like(a->audio_net->bn1->running_mean, 0.25)))
      << "abnormal reset keeps the statistics";
  m["bn_reset"] = "all";
  a = std::dynamic_pointer_cast<AudioClassifierImpl>(build_run_model(m, Modality::Audio, 4, true, &log));
  EXPECT_TRUE(torch::equal(a->audio_net->bn1->running_mean, torch::zeros_like(a->audio_net->bn1->running_mean)));
  EXPECT_TRUE(torch::equal(a->audio_net->layer4->named_parameters()["0.bn2.weight"], torch::ones({64})));
  m["bn_reset"] = "sometimes";
  EXPECT_THROW(build_run_model(m, Modality::Audio, 4, true), Error);
}

TEST(TrainingRun, LinearProbeTrainsOnlyTheHeadAndKeepsBnStatistics) {
  torch::manual_seed(2);
  json m = audio_model("random");
  m["freeze_encoder"] = true;
  auto net = build_run_model(m, Modality::Audio, 3, true);
  auto adapter = run_adapter(net, m);
  EXPECT_EQ(adapter->kind(), "audio-probe");
  const auto trained = adapter->parameters_to_train();
  ASSERT_EQ(trained.size(), 2u);
  EXPECT_EQ(trained[0].first, "fc.weight");
  StateDict before;  // copies: state_dict_of shares the module's storage
  for (const auto& [k, t] : state_dict_of(*net).entries()) before.set(k, t.clone());
  adapter->set_training(true);
  Batch b;
  b.names = {"a", "b", "c", "d"};
  b.labels = torch::tensor({0, 1, 2, 1}, torch::kLong);
  b.audio = torch::randn({4, 1, 64, 32}) * 3 + 1;
  torch::optim::SGD opt(std::vector<torch::Tensor>{trained[0].second, trained[1].second}, 0.5);
  for (int i = 0; i < 3; ++i) {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(adapter->forward(b).logits, b.labels);
    loss.backward();
    opt.step();
  }
  const StateDict after = state_dict_of(*net);
  int changed_head = 0;
  for (const auto& [k, t] : before.entries()) {
    const bool same = torch::equal(t, after.at(k));
    if (k.rfind("fc.", 0) == 0) changed_head += !same;
    else EXPECT_TRUE(same) << k << " moved in a linear probe";
  }
  EXPECT_EQ(changed_head, 2);

  json av = resolved_model({{"modality", "av"}, {"width", 0.125}, {"freeze_encoder", true}});
  EXPECT_THROW(run_adapter(build_run_model(av, Modality::AV, 3, true), av), Error);
}
