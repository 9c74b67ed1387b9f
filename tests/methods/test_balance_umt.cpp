// UMT (issue 19, docs/balancing.md): the distillation term on hand-computed features, the weighted
// term in the training forward, weight 0 as plain joint training through the engine, frozen teachers,
// the per-epoch summary and the validation of teachers and weight.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "avtune/data/dataset.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/methods/balance.h"
#include "avtune/methods/balance_umt.h"
#include "avtune/util/error.h"
#include "../test_support_base.h"
#include "balance_fixture.h"

using namespace avtune;
using test::kTinyAudio;
using test::kTinyVisual;

namespace {

// Sixteen audio-visual samples in four classes: the class shifts the spectrogram and the frames.
class TinyAVDataset : public Dataset {
 public:
  size_t size() const override { return 16; }
  std::string name_of(size_t i) const override { return "c" + std::to_string(i); }
  int64_t label_of(size_t i) const override { return static_cast<int64_t>(i % 4); }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Sample get(size_t i, std::mt19937_64& rng) const override {
    std::normal_distribution<float> noise(0.0f, 1.0f);
    auto draw = [&](std::vector<int64_t> shape) {
      auto t = torch::empty(shape);
      for (int64_t k = 0; k < t.numel(); ++k) t.data_ptr<float>()[k] = noise(rng);
      return t;
    };
    Sample s;
    s.name = name_of(i);
    s.label = label_of(i);
    s.index = i;
    s.audio = draw({1, 32, 16}) + static_cast<float>(s.label);
    s.visual = draw({3, 2, 32, 32}) - static_cast<float>(s.label);
    return s;
  }

 private:
  std::vector<std::string> classes_{"a", "b", "c", "d"};
};

// Teacher files as runs write them: an avtune checkpoint of an audio classifier, plain weights of a
// visual one.
struct Teachers {
  test::TempDir dir;
  std::string audio = dir.file("audio.pth"), visual = dir.file("visual.safetensors");
  Teachers(const ResNetConfig& a = kTinyAudio, const ResNetConfig& v = kTinyVisual) {
    torch::manual_seed(7);
    AudioClassifier ta(a, 4);
    VisualClassifier tv(v, 4);
    TrainingCheckpoint ck;
    ck.model = state_dict_of(*ta);
    save_checkpoint(audio, ck);
    save_weights(visual, state_dict_of(*tv));
  }
};

TrainConfig umt_config(const Teachers& t, double weight) {
  TrainConfig c;
  c.balance = "umt";
  c.umt_audio_teacher = t.audio;
  c.umt_visual_teacher = t.visual;
  c.umt_weight = weight;
  c.epochs = 1;
  c.batch_size = 8;
  c.optim.lr = 0.1;
  c.workers = 1;
  c.device = "cpu";
  c.progress = false;
  return c;
}

// One epoch (two steps) through the engine from the same initial weights; the trained net and the
// epoch's log line.
std::pair<AVClassifier, nlohmann::json> train_one_epoch(const TrainConfig& c, const Teachers* t) {
  torch::manual_seed(3);
  AVClassifier net(kTinyAudio, kTinyVisual, 4);
  auto ds = std::make_shared<TinyAVDataset>();
  DataLoader train(ds, loader_options(c, true));
  std::unique_ptr<ModelAdapter> adapter = std::make_unique<AVAdapter>(net);
  StepHook* hook = nullptr;
  if (t) {
    auto umt = std::make_unique<UmtAdapter>(std::move(adapter), net, UmtSettings{t->audio, t->visual, c.umt_weight});
    hook = umt.get();
    adapter = std::move(umt);
  }
  const auto res = fit(*adapter, train, nullptr, c, nullptr, hook);
  return {net, res.log.back()};
}

bool same_parameters(const torch::nn::Module& a, const torch::nn::Module& b) {
  const StateDict sa = state_dict_of(a), sb = state_dict_of(b);
  for (const auto& [k, t] : sa.entries())
    if (!torch::equal(t, sb.at(k))) return false;
  return true;
}

}  // namespace

TEST(BalanceUmt, DistillationTermOfKnownFeatures) {
  // Differences 1, 2, 2, 3: (1 + 4 + 4 + 9) / 4 = 4.5; d/ds = 2 (s - t) / 4.
  const auto s = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({2, 2}).requires_grad_(true);
  const auto t = torch::tensor({0.0f, 0.0f, 1.0f, 1.0f}).view({2, 2});
  const auto d = umt_distillation(s, t);
  EXPECT_FLOAT_EQ(d.item<float>(), 4.5f);
  d.backward();
  EXPECT_TRUE(torch::allclose(s.grad(), torch::tensor({0.5f, 1.0f, 1.0f, 1.5f}).view({2, 2})));
  EXPECT_EQ(umt_distillation(t, t).item<float>(), 0.0f);
  EXPECT_THROW(umt_distillation(s, torch::zeros({2, 3})), Error);
}

TEST(BalanceUmt, TrainingForwardCarriesTheWeightedTerm) {
  Teachers t;
  torch::manual_seed(0);
  AVClassifier net(kTinyAudio, kTinyVisual, 4);
  const Batch batch = test::tiny_balance_batch();
  UmtAdapter umt(std::make_unique<AVAdapter>(net), net, UmtSettings{t.audio, t.visual, 0.5});
  umt.set_training(true);
  const ModelOutput out = umt.forward(batch);
  // The teachers by hand: the files' encoders in eval mode, their pooled features.
  AudioClassifier ta(kTinyAudio, 4);
  VisualClassifier tv(kTinyVisual, 4);
  load_state_dict(*ta, load_weights(t.audio));
  load_state_dict(*tv, load_weights(t.visual));
  ta->eval();
  tv->eval();
  torch::NoGradGuard ng;
  const auto fa = out.features.at("audio"), fv = out.features.at("visual");
  const auto ea = ta->features(batch.audio), ev = tv->features(batch.visual);
  const double expect = 0.5 * ((fa - ea).pow(2).mean().item<double>() + (fv - ev).pow(2).mean().item<double>());
  ASSERT_TRUE(out.aux_loss.defined());
  EXPECT_NEAR(out.aux_loss.item<double>(), expect, 1e-6 * std::max(1.0, expect));
  EXPECT_GT(expect, 0);
  // The fused logits are the plain model's: UMT changes the loss, not the forward.
  EXPECT_TRUE(torch::allclose(out.logits, net->fusion_module->forward(fa, fv)));
  const auto j = umt.end_epoch();
  EXPECT_NEAR(j["distill_audio"].get<double>(), (fa - ea).pow(2).mean().item<double>(), 1e-6);
  EXPECT_EQ(j["steps"], 1);
  // Evaluation: no term.
  umt.set_training(false);
  EXPECT_FALSE(umt.forward(batch).aux_loss.defined());
}

TEST(BalanceUmt, WeightZeroIsPlainJointTrainingAndTheTermReachesTheStep) {
  Teachers t;
  const auto [plain, plain_log] = train_one_epoch(umt_config(t, 0), nullptr);
  const auto [zero, zero_log] = train_one_epoch(umt_config(t, 0), &t);
  EXPECT_TRUE(same_parameters(*plain, *zero));
  EXPECT_EQ(plain_log["train_loss"], zero_log["train_loss"]);
  EXPECT_FALSE(plain_log.contains("balance"));
  // A positive weight: the engine adds the term, so the loss and the step change.
  const auto [pulled, pulled_log] = train_one_epoch(umt_config(t, 2), &t);
  EXPECT_FALSE(same_parameters(*plain, *pulled));
  // The epoch's summary: the distances and each modality's training accuracy.
  const auto& b = pulled_log.at("balance");
  EXPECT_EQ(b["method"], "umt");
  EXPECT_EQ(b["steps"], 2);
  EXPECT_GT(b["distill_audio"].get<double>(), 0);
  EXPECT_GT(b["distill_visual"].get<double>(), 0);
  for (const char* k : {"train_audio_acc", "train_visual_acc"}) {
    ASSERT_TRUE(b.contains(k)) << k;
    EXPECT_GE(b[k].get<double>(), 0);
    EXPECT_LE(b[k].get<double>(), 1);
  }
}

TEST(BalanceUmt, TeachersAreFrozen) {
  Teachers t;
  torch::manual_seed(3);
  AVClassifier net(kTinyAudio, kTinyVisual, 4);
  TrainConfig c = umt_config(t, 5);
  auto b = make_balance(c, net.ptr(), std::make_unique<AVAdapter>(net));
  auto* umt = dynamic_cast<UmtAdapter*>(b.adapter.get());
  ASSERT_NE(umt, nullptr);
  ASSERT_EQ(b.hook, umt);
  const StateDict before_a = state_dict_of(*umt->audio_teacher()), before_v = state_dict_of(*umt->visual_teacher());
  StateDict copy_a, copy_v;
  for (const auto& [k, v] : before_a.entries()) copy_a.set(k, v.clone());
  for (const auto& [k, v] : before_v.entries()) copy_v.set(k, v.clone());
  // The optimizer sees the student's parameters only.
  EXPECT_EQ(umt->parameters_to_train().size(), trainable_parameters(*net).size());
  auto ds = std::make_shared<TinyAVDataset>();
  DataLoader train(ds, loader_options(c, true));
  fit(*b.adapter, train, nullptr, c, nullptr, b.hook);
  for (const torch::nn::Module* teacher : {static_cast<const torch::nn::Module*>(umt->audio_teacher().get()),
                                          static_cast<const torch::nn::Module*>(umt->visual_teacher().get())}) {
    EXPECT_FALSE(teacher->is_training());
    for (const auto& p : teacher->parameters()) {
      EXPECT_FALSE(p.requires_grad());
      EXPECT_FALSE(p.grad().defined());
    }
  }
  // Weights and BN running statistics unchanged after two steps.
  for (const auto& [k, v] : state_dict_of(*umt->audio_teacher()).entries()) EXPECT_TRUE(torch::equal(v, copy_a.at(k))) << k;
  for (const auto& [k, v] : state_dict_of(*umt->visual_teacher()).entries()) EXPECT_TRUE(torch::equal(v, copy_v.at(k))) << k;
}

TEST(BalanceUmt, TeachersAndWeightAreValidated) {
  Teachers t;
  auto av = std::make_shared<AVClassifierImpl>(kTinyAudio, kTinyVisual, 4);
  auto err = [&](const TrainConfig& c) {
    return test::error_of([&] { make_balance(c, av, std::make_unique<AVAdapter>(AVClassifier(av))); });
  };
  TrainConfig c = umt_config(t, 1);
  c.umt_audio_teacher = t.dir.file("missing.pth");
  EXPECT_NE(err(c).find("--umt-audio-teacher"), std::string::npos) << err(c);
  // A visual classifier's file as the audio teacher: no audio encoder in it.
  c = umt_config(t, 1);
  c.umt_audio_teacher = t.visual;
  EXPECT_NE(err(c).find("audio encoder"), std::string::npos) << err(c);
  // Another width: shapes differ from the student's.
  Teachers wide(ResNetConfig{18, 1, 0.125}, ResNetConfig{18, 3, 0.125});
  c = umt_config(wide, 1);
  c.umt_audio_teacher = t.audio;
  const std::string w = err(c);
  EXPECT_NE(w.find("--umt-visual-teacher"), std::string::npos) << w;
  EXPECT_NE(w.find("shaped as the student's"), std::string::npos) << w;
  // No teacher at all; teachers without --balance umt; a negative weight.
  c = umt_config(t, 1);
  c.umt_audio_teacher = c.umt_visual_teacher = "";
  EXPECT_NE(err(c).find("a teacher"), std::string::npos) << err(c);
  c = umt_config(t, 1);
  c.balance = "ogm";
  EXPECT_NE(err(c).find("only with --balance umt"), std::string::npos) << err(c);
  c = umt_config(t, -1);
  EXPECT_NE(err(c).find("--umt-weight"), std::string::npos) << err(c);
  for (const nlohmann::json& v : {nlohmann::json(-0.5), nlohmann::json(HUGE_VAL)}) {
    const std::string m = test::error_of([&] { train_config_from_json(nlohmann::json{{"umt_weight", v}}, "run.json"); });
    EXPECT_NE(m.find("'umt_weight'"), std::string::npos) << m;
  }
  // Only one teacher is allowed: that encoder alone is distilled.
  c = umt_config(t, 1);
  c.umt_visual_teacher = "";
  auto b = make_balance(c, av, std::make_unique<AVAdapter>(AVClassifier(av)));
  auto* umt = dynamic_cast<UmtAdapter*>(b.adapter.get());
  ASSERT_NE(umt, nullptr);
  EXPECT_TRUE(umt->audio_teacher());
  EXPECT_FALSE(umt->visual_teacher());
}

// The checks run/ makes before the data (check_balance_settings) and the CLI's usage errors
// (balance_settings_problem): each names the flag to blame, without a model.
TEST(BalanceUmt, SettingsAreCheckedWithoutAModel) {
  Teachers t;
  TrainConfig c = umt_config(t, 1);
  EXPECT_TRUE(balance_settings_problem(c, true).flag.empty());
  EXPECT_EQ(test::error_of([&] { check_balance_settings(c, true); }), "no error");
  EXPECT_EQ(balance_settings_problem(c, false).flag, "--balance");  // not an audio-visual model
  c.umt_visual_teacher = t.dir.file("missing.pth");
  EXPECT_EQ(balance_settings_problem(c, true).flag, "--umt-visual-teacher");
  c = umt_config(t, 1);
  c.umt_audio_teacher = c.umt_visual_teacher = "";
  EXPECT_EQ(balance_settings_problem(c, true).flag, "--balance");
  c = umt_config(t, 1);
  c.balance = "none";
  EXPECT_EQ(balance_settings_problem(c, true).flag, "--umt-audio-teacher");
  // A file holding the other modality's encoder: found by reading its keys, still without a model.
  c = umt_config(t, 1);
  c.umt_audio_teacher = t.visual;
  EXPECT_TRUE(balance_settings_problem(c, true).flag.empty());
  const std::string m = test::error_of([&] { check_balance_settings(c, true); });
  EXPECT_NE(m.find("--umt-audio-teacher: an audio encoder"), std::string::npos) << m;
}
