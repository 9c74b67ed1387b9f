#include <gtest/gtest.h>

#include <cmath>

#include "avtune/methods/balance.h"
#include "avtune/methods/balance_ogm.h"
#include "avtune/methods/balance_opm.h"
#include "avtune/util/error.h"
#include "balance_fixture.h"

using namespace avtune;

namespace {

using test::kTinyAudio;
using test::kTinyVisual;
Batch tiny_batch(int64_t B = 8) { return test::tiny_balance_batch(B); }

}  // namespace

TEST(BalanceOpm, DropProbabilitiesFromKnownScores) {
  // Audio twice as confident: r_a = tanh(20 / (10 + 1e-5) - 1), q_a = 0.5 (1 + 0.1 r_a); visual 0.
  auto q = opm_drop_probabilities(20, 10, 0.5, 0.1);
  EXPECT_NEAR(q.audio, 0.5380796658003322, 1e-12);
  EXPECT_EQ(q.visual, 0.0);
  q = opm_drop_probabilities(10, 20, 0.5, 0.1);
  EXPECT_EQ(q.audio, 0.0);
  EXPECT_NEAR(q.visual, 0.5380796658003322, 1e-12);
  // Equal scores: 20 / (20 + 1e-5) < 1, so nobody drops.
  q = opm_drop_probabilities(20, 20, 0.5, 0.1);
  EXPECT_EQ(q.audio, 0.0);
  EXPECT_EQ(q.visual, 0.0);
  // Clipped at 1: 0.9 (1 + 1 * tanh(99 - ...)) > 1.
  q = opm_drop_probabilities(100, 1, 0.9, 1.0);
  EXPECT_EQ(q.audio, 1.0);
}

TEST(BalanceOpm, ThetaAndTheDroppedFeatures) {
  EXPECT_DOUBLE_EQ(opm_theta(512, 512, {0.5, 0}), 0.25);
  EXPECT_DOUBLE_EQ(opm_theta(256, 768, {0, 0.8}), 0.6);
  const auto f = torch::ones({4, 3});
  const auto keep = torch::tensor({1.0f, 0.0f, 1.0f, 0.0f});
  const auto d = opm_drop_features(f, keep, 0.25);
  const float kept = static_cast<float>(1 / (0.75 + 1e-5));
  EXPECT_TRUE(torch::allclose(d, torch::tensor({kept, kept, kept, 0.0f, 0.0f, 0.0f, kept, kept, kept, 0.0f, 0.0f, 0.0f}).view({4, 3})));
}

TEST(BalanceOpm, TrainingForwardDropsTheDominantModalitysFeatures) {
  torch::manual_seed(0);
  AVClassifier net(kTinyAudio, kTinyVisual, 4);
  const Batch batch = tiny_batch();
  OpmSettings s;
  s.q_base = 1;  // always drop the dominant modality when a step drops
  s.p_exe = 1;
  OpmAdapter opm(net, s);
  opm.set_training(true);
  opm.begin_epoch(0);
  const ModelOutput out = opm.forward(batch);
  const auto& fa = out.features.at("audio");
  const auto& fv = out.features.at("visual");
  torch::NoGradGuard ng;
  auto parts = net->fusion_module->parts(fa, fv);
  const double sa = true_class_score(parts.at("audio"), batch.labels), sv = true_class_score(parts.at("visual"), batch.labels);
  ASSERT_NE(sa, sv);
  const auto q = opm_drop_probabilities(sa, sv, 1, s.alpha);
  const double theta = opm_theta(fa.size(1), fv.size(1), q);
  const double scale = 1 / (1 - theta + 1e-5);
  // q = 1 for the dominant one: all its features are zero, the other's rescaled.
  const auto expect = sa > sv ? net->fusion_module->forward(torch::zeros_like(fa), fv * scale)
                              : net->fusion_module->forward(fa * scale, torch::zeros_like(fv));
  EXPECT_TRUE(torch::allclose(out.logits, expect, 1e-5, 1e-6));
  const auto j = opm.end_epoch();
  EXPECT_EQ(j["drop_steps"], 1);
  EXPECT_EQ(j[sa > sv ? "dropped_audio" : "dropped_visual"], 8);
  EXPECT_EQ(j[sa > sv ? "dropped_visual" : "dropped_audio"], 0);

  // Evaluation and epochs outside the range: the plain model.
  opm.set_training(false);
  AVAdapter plain(net);
  EXPECT_TRUE(torch::allclose(opm.forward(batch).logits, plain.forward(batch).logits));
  opm.set_training(true);
  s.end = 0;
  OpmAdapter late(net, s);
  late.begin_epoch(1);
  EXPECT_TRUE(torch::allclose(late.forward(batch).logits, net->forward(batch.audio, batch.visual).logits));
}

TEST(BalanceOpm, DrawsDependOnlyOnSeedEpochAndBatch) {
  torch::manual_seed(2);
  AVClassifier net(kTinyAudio, kTinyVisual, 4);
  const Batch batch = tiny_batch(32);
  OpmSettings s;
  s.q_base = 0.5;
  s.p_exe = 1;
  s.seed = 11;
  auto run = [&](uint64_t seed) {
    s.seed = seed;
    OpmAdapter opm(net, s);
    opm.set_training(true);
    opm.begin_epoch(4);
    torch::manual_seed(99);  // the global generator plays no part
    auto l = opm.forward(batch).logits.detach();
    return std::make_pair(l, opm.end_epoch());
  };
  const auto [a, ja] = run(11);
  const auto [b, jb] = run(11);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_EQ(ja, jb);
  const int64_t dropped = ja["dropped_audio"].get<int64_t>() + ja["dropped_visual"].get<int64_t>();
  EXPECT_GT(dropped, 0);   // q >= 0.5 on 32 samples
  EXPECT_LT(dropped, 32);
  const auto [c, jc] = run(12);
  EXPECT_FALSE(torch::equal(a, c));
}

TEST(BalanceOpm, MakeBalanceWrapsTheModel) {
  TrainConfig cfg;
  cfg.balance = "opm";
  auto av = std::make_shared<AVClassifierImpl>(kTinyAudio, kTinyVisual, 4);
  auto b = make_balance(cfg, av, std::make_unique<AVAdapter>(AVClassifier(av)));
  ASSERT_NE(b.hook, nullptr);
  EXPECT_NE(dynamic_cast<OpmAdapter*>(b.adapter.get()), nullptr);
  cfg.opm_q_base = 1.5;
  EXPECT_THROW(make_balance(cfg, av, std::make_unique<AVAdapter>(AVClassifier(av))), Error);
}
