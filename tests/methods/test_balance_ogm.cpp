#include <gtest/gtest.h>

#include <cmath>

#include "avtune/methods/balance.h"
#include "avtune/methods/balance_ogm.h"
#include "avtune/train/trainer.h"
#include "avtune/util/error.h"
#include "balance_fixture.h"

using namespace avtune;

namespace {

using test::kTinyAudio;
using test::kTinyVisual;
Batch tiny_batch(int64_t B = 8) { return test::tiny_balance_batch(B); }

// name -> copy of the gradient, for every parameter of the model.
std::map<std::string, torch::Tensor> grads_of(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (auto& p : m.named_parameters())
    if (p.value().grad().defined()) out[p.key()] = p.value().grad().clone();
  return out;
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

}  // namespace

TEST(BalanceOgm, KnownRatiosGiveTheKnownCoefficients) {
  // rho = s_v / s_a = 2 > 1: visual damped by 1 - tanh(0.1 * 2) = 1 - 0.197375320224904.
  auto c = ogm_coefficients(10, 20, 0.1);
  EXPECT_DOUBLE_EQ(c.ratio, 2.0);
  EXPECT_NEAR(c.visual, 0.802624679775096, 1e-12);
  EXPECT_EQ(c.audio, 1.0);
  // rho = 1/3: audio damped by 1 - tanh(0.1 * 3) = 1 - 0.291312612451591.
  c = ogm_coefficients(30, 10, 0.1);
  EXPECT_NEAR(c.audio, 0.708687387548409, 1e-12);
  EXPECT_EQ(c.visual, 1.0);
  // A tie takes the reference's else branch: audio damped by 1 - tanh(alpha).
  c = ogm_coefficients(5, 5, 0.8);
  EXPECT_NEAR(c.audio, 1 - 0.664036770267849, 1e-12);
  EXPECT_EQ(c.visual, 1.0);
  // Centered variant: 1 - tanh(0.1 * (2 - 1)).
  c = ogm_coefficients(10, 20, 0.1, /*centered=*/true);
  EXPECT_NEAR(c.visual, 0.900332005375044, 1e-12);
  // Only audio scores 0: rho = inf, the visual gradient vanishes (tanh -> 1, clipped at 0).
  c = ogm_coefficients(0, 3, 0.1);
  EXPECT_EQ(c.visual, 0.0);
  EXPECT_EQ(c.audio, 1.0);
  // No evidence: nothing modulated.
  c = ogm_coefficients(0, 0, 0.1);
  EXPECT_EQ(c.audio, 1.0);
  EXPECT_EQ(c.visual, 1.0);
  // alpha 0: no modulation at all.
  c = ogm_coefficients(1, 9, 0.0);
  EXPECT_EQ(c.visual, 1.0);
}

TEST(BalanceOgm, TrueClassScoreSumsTheLabelsSoftmax) {
  // Row 0: softmax (1/2, 1/2), label 0 -> 0.5; row 1: logits (ln 3, 0) -> 3/4 for label 0.
  auto logits = torch::tensor({0.0, 0.0, std::log(3.0), 0.0}, torch::kDouble).view({2, 2});
  EXPECT_NEAR(true_class_score(logits, torch::tensor({0, 0}, torch::kLong)), 1.25, 1e-12);
  EXPECT_NEAR(true_class_score(logits, torch::tensor({1, 1}, torch::kLong)), 0.75, 1e-12);
}

TEST(BalanceOgm, NoiseHasMeanZeroAndTheGradientsStd) {
  torch::manual_seed(3);
  const auto g0 = torch::randn({400, 500}) * 2.5 + 0.7;  // std 2.5
  const double sd = g0.std().item<double>();
  auto g = g0.clone();
  ogm_modulate_gradient(g, 0.4, /*noise=*/false);
  EXPECT_TRUE(torch::allclose(g, g0 * 0.4));
  g = g0.clone();
  ogm_modulate_gradient(g, 0.4, /*noise=*/true, balance_step_generator(1, 7));
  const auto noise = g - g0 * 0.4;
  // 200000 draws: the mean's standard error is 2.5 / 447 = 0.0056, the std's 0.004.
  EXPECT_NEAR(noise.mean().item<double>(), 0.0, 0.03);
  EXPECT_NEAR(noise.std().item<double>() / sd, 1.0, 0.01);
  // The noise is the std of the gradient before scaling (released code), not 0.4 times it.
  EXPECT_GT(noise.std().item<double>(), 2 * 0.4 * sd);
  // Same (seed, step): the same noise; another step: other noise.
  auto h = g0.clone();
  ogm_modulate_gradient(h, 0.4, true, balance_step_generator(1, 7));
  EXPECT_TRUE(torch::equal(g, h));
  h = g0.clone();
  ogm_modulate_gradient(h, 0.4, true, balance_step_generator(1, 8));
  EXPECT_FALSE(torch::equal(g, h));
}

TEST(BalanceOgm, HookScalesTheDominantEncodersConvGradients) {
  torch::manual_seed(0);
  AVClassifier net(kTinyAudio, kTinyVisual, 4);
  AVAdapter adapter(net);
  adapter.set_training(true);
  const Batch batch = tiny_batch();
  const ModelOutput out = adapter.forward(batch);
  ASSERT_EQ(out.features.count("audio"), 1u);
  torch::nn::functional::cross_entropy(out.logits, batch.labels).backward();
  const auto before = grads_of(*net);

  // The coefficients the hook must apply, from the parts of the same forward.
  auto parts = net->fusion_module->parts(out.features.at("audio").detach(), out.features.at("visual").detach());
  const double alpha = 2.0;  // large, so the damped side is clearly below 1
  const auto c = ogm_coefficients(true_class_score(parts.at("audio"), batch.labels),
                                  true_class_score(parts.at("visual"), batch.labels), alpha);
  ASSERT_TRUE(c.audio < 1 || c.visual < 1);

  OgmSettings s;
  s.alpha = alpha;
  s.noise = false;
  OgmHook hook(net, s);
  hook.begin_epoch(0);
  hook.after_backward(StepView{0, 0, &batch, &out});
  const auto after = grads_of(*net);
  int scaled = 0;
  for (const auto& [name, g] : before) {
    SCOPED_TRACE(name);
    const auto& h = after.at(name);
    double k = 1;
    if (g.dim() == 4 && starts_with(name, "audio_net.")) k = c.audio;
    if (g.dim() == 4 && starts_with(name, "visual_net.")) k = c.visual;
    EXPECT_TRUE(torch::allclose(h, g * k, 1e-6, 1e-12));
    scaled += k < 1;
  }
  EXPECT_EQ(scaled, 20);  // ResNet-18's 20 convolutions (downsample ones included) of the damped encoder

  const auto j = hook.end_epoch();
  EXPECT_EQ(j["method"], "ogm");
  EXPECT_EQ(j["steps"], 1);
  EXPECT_NEAR(j["coeff_audio"].get<double>(), c.audio, 1e-12);
  EXPECT_NEAR(j["coeff_visual"].get<double>(), c.visual, 1e-12);
}

TEST(BalanceOgm, GeAddsNoiseToBothEncodersAndOnlyInsideTheEpochRange) {
  torch::manual_seed(1);
  AVClassifier net(kTinyAudio, kTinyVisual, 4);
  AVAdapter adapter(net);
  adapter.set_training(true);
  const Batch batch = tiny_batch();
  const ModelOutput out = adapter.forward(batch);
  torch::nn::functional::cross_entropy(out.logits, batch.labels).backward();
  const auto before = grads_of(*net);
  OgmSettings s;
  s.start = 2;
  s.end = 3;
  OgmHook hook(net, s);
  hook.begin_epoch(1);  // before the range: untouched
  hook.after_backward(StepView{1, 0, &batch, &out});
  for (const auto& [name, g] : grads_of(*net)) EXPECT_TRUE(torch::equal(g, before.at(name))) << name;
  EXPECT_EQ(hook.end_epoch()["modulated"], false);
  hook.begin_epoch(3);  // inside: every conv gradient of both encoders gets noise, the rest stays
  hook.after_backward(StepView{3, 0, &batch, &out});
  for (const auto& [name, g] : grads_of(*net)) {
    const bool conv = g.dim() == 4 && (starts_with(name, "audio_net.") || starts_with(name, "visual_net."));
    EXPECT_EQ(torch::equal(g, before.at(name)), !conv) << name;
  }
}

TEST(BalanceOgm, MakeBalanceChecksTheRun) {
  TrainConfig cfg;
  cfg.balance = "ogm-ge";
  auto av = std::make_shared<AVClassifierImpl>(kTinyAudio, kTinyVisual, 4);
  auto b = make_balance(cfg, av, std::make_unique<AVAdapter>(AVClassifier(av)));
  EXPECT_NE(b.hook, nullptr);
  EXPECT_EQ(b.adapter->kind(), "av");
  cfg.balance = "none";
  b = make_balance(cfg, av, std::make_unique<AVAdapter>(AVClassifier(av)));
  EXPECT_EQ(b.hook, nullptr);
  cfg.balance = "greedy";
  EXPECT_THROW(make_balance(cfg, av, std::make_unique<AVAdapter>(AVClassifier(av))), Error);
  cfg.balance = "ogm";
  auto audio = std::make_shared<AudioClassifierImpl>(kTinyAudio, 4);
  EXPECT_THROW(make_balance(cfg, audio, std::make_unique<AudioAdapter>(AudioClassifier(audio))), Error);
  auto film = std::make_shared<AVClassifierImpl>(kTinyAudio, kTinyVisual, 4, FusionKind::FiLM);
  EXPECT_THROW(make_balance(cfg, film, std::make_unique<AVAdapter>(AVClassifier(film))), Error);
}
