#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "avtune/models/encoder_init.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/train/trainer.h"
#include "avtune/util/dir_lock.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;

namespace {

const ResNetConfig kTinyAudio{18, 1, 0.0625}, kTinyVisual{18, 3, 0.0625};

// Four classes from two sign patterns of the input: the sign of its mean and the orientation of
// ±1 stripes (along time or along frequency), under Gaussian noise drawn from the sample's rng.
class SignPatternDataset : public Dataset {
 public:
  SignPatternDataset(size_t n, bool with_visual, uint64_t salt = 0) : n_(n), visual_(with_visual), salt_(salt) {}
  size_t size() const override { return n_; }
  std::string name_of(size_t i) const override { return "clip" + std::to_string(salt_) + "_" + std::to_string(i); }
  int64_t label_of(size_t i) const override { return static_cast<int64_t>((i * 7 + salt_) % 4); }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Sample get(size_t i, std::mt19937_64& rng) const override {
    const int64_t c = label_of(i);
    const float sign = (c & 1) ? 1.0f : -1.0f;
    auto stripes = torch::arange(16).remainder(2).to(torch::kFloat) * 2 - 1;  // -1, 1, -1, ...
    auto pattern = (c & 2) ? stripes.view({16, 1}).expand({16, 16}) : stripes.view({1, 16}).expand({16, 16});
    std::normal_distribution<float> noise(0.0f, 0.5f);
    auto n = torch::empty({16, 16});
    auto* p = n.data_ptr<float>();
    for (int64_t k = 0; k < n.numel(); ++k) p[k] = noise(rng);
    Sample s;
    s.name = name_of(i);
    s.label = c;
    s.audio = (n + sign * 0.7f + pattern).unsqueeze(0).contiguous();  // (1, T=16, F=16)
    if (visual_) s.visual = s.audio.expand({3, 16, 16}).unsqueeze(1).contiguous() * 0.5f;  // (3, T=1, 16, 16)
    return s;
  }

 private:
  size_t n_;
  bool visual_;
  uint64_t salt_;
  std::vector<std::string> classes_{"neg-t", "pos-t", "neg-f", "pos-f"};
};

TrainConfig base_config(const std::string& out_dir) {
  TrainConfig c;
  c.epochs = 3;
  c.batch_size = 16;
  c.optim.kind = "sgd";
  c.optim.lr = 0.05;
  c.optim.momentum = 0.9;
  c.optim.nesterov = true;
  c.optim.weight_decay = 1e-3;
  c.schedule.kind = "cosine";
  c.schedule.warmup_epochs = 1;
  c.seed = 3;
  c.workers = 1;
  c.device = "cpu";
  c.out_dir = out_dir;
  c.progress = false;
  return c;
}

struct Loaders {
  std::shared_ptr<const Dataset> train_ds, eval_ds;
  std::unique_ptr<DataLoader> train, eval;
  Loaders(const TrainConfig& c, size_t n_train, size_t n_eval, bool visual = false)
      : train_ds(std::make_shared<SignPatternDataset>(n_train, visual)),
        eval_ds(std::make_shared<SignPatternDataset>(n_eval, visual, 1)),
        train(std::make_unique<DataLoader>(train_ds, loader_options(c, true))),
        eval(std::make_unique<DataLoader>(eval_ds, loader_options(c, false))) {}
};

struct ThreadsGuard {  // bit-exact comparisons need a fixed intra-op thread count
  int saved = torch::get_num_threads();
  ThreadsGuard() { torch::set_num_threads(1); }
  ~ThreadsGuard() { torch::set_num_threads(saved); }
};

AudioClassifier tiny_audio(uint64_t seed) {
  torch::manual_seed(seed);
  return AudioClassifier(kTinyAudio, 4);
}

}  // namespace

TEST(Trainer, LearnsASyntheticTaskAndWritesTheRunDirectory) {
  ThreadsGuard tg;
  test::TempDir d;
  auto cfg = base_config(d.file("run"));
  cfg.epochs = 6;
  Loaders run(cfg, 128, 64);
  AudioAdapter model(tiny_audio(0));
  const auto res = fit(model, *run.train, run.eval.get(), cfg);
  ASSERT_EQ(res.epochs.size(), 6u);
  const auto& last = res.epochs.back();
  ASSERT_TRUE(last.evaluated);
  RecordProperty("eval_top1", std::to_string(last.eval.top1));  // reported by --gtest_output=xml
  EXPECT_GE(last.eval.top1, 0.95) << last.eval.summary();
  EXPECT_GE(last.train_acc, 0.9);
  EXPECT_LT(last.train_loss, res.epochs.front().train_loss);
  EXPECT_EQ(res.steps, 6 * 8);
  EXPECT_EQ(last.step, 48);
  for (const char* f : {"config.json", "last.pth", "best.pth", "metrics.jsonl", "curve.csv"})
    EXPECT_TRUE(std::filesystem::exists(d.file(std::string("run/") + f))) << f;
  EXPECT_FALSE(std::filesystem::exists(d.file("run/confidences.json")));
  // metrics.jsonl: one line per epoch; curve.csv: header + one row per epoch.
  std::ifstream jl(d.file("run/metrics.jsonl"));
  int lines = 0;
  for (std::string l; std::getline(jl, l);) {
    auto j = nlohmann::json::parse(l);
    EXPECT_EQ(j["epoch"].get<int>(), ++lines);
    EXPECT_TRUE(j["eval"].contains("mAP"));
  }
  EXPECT_EQ(lines, 6);
  std::ifstream csv(d.file("run/curve.csv"));
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("epoch,step,lr,train_loss,train_acc,eval_loss,eval_top1", 0), 0u) << header;
  // The checkpoints are avtune checkpoints whose model loads as plain weights too.
  const auto ck = load_checkpoint(d.file("run/last.pth"));
  EXPECT_EQ(ck.epoch, 6);
  EXPECT_EQ(ck.step, 48);
  EXPECT_TRUE(ck.optimizer.contains("fc.weight.momentum_buffer"));
  EXPECT_EQ(nlohmann::json::parse(ck.config_json)["optimizer"], "sgd");
  EXPECT_EQ(load_weights(d.file("run/best.pth")).size(), state_dict_of(model.module()).size());
  const auto best = load_checkpoint(d.file("run/best.pth"));
  EXPECT_EQ(best.epoch, res.best_epoch);
  EXPECT_DOUBLE_EQ(res.best_top1, res.epochs[static_cast<size_t>(res.best_epoch - 1)].eval.top1);
  // A fresh run into the same directory refuses to clobber it.
  AudioAdapter again(tiny_audio(0));
  EXPECT_THROW(fit(again, *run.train, run.eval.get(), cfg), Error);
}

// Interrupted after epoch 1 (a hook throws on the first batch of epoch 2), resumed with a freshly
// built model: the final weights, buffers and optimizer state equal an uninterrupted run's, bit for bit.
class TrainerResume : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainerResume, IsBitExact) {
  ThreadsGuard tg;
  test::TempDir d;
  auto cfg_a = base_config(d.file("a"));
  cfg_a.optim.kind = GetParam();
  cfg_a.optim.lr = GetParam() == "sgd" ? 0.05 : 0.003;
  cfg_a.optim.grad_clip = 5.0;
  cfg_a.record_confidences = true;
  Loaders run_a(cfg_a, 48, 16);
  AudioAdapter a(tiny_audio(0));
  const auto res_a = fit(a, *run_a.train, run_a.eval.get(), cfg_a);

  auto cfg_b = cfg_a;
  cfg_b.out_dir = d.file("b");
  Loaders run_b(cfg_b, 48, 16);
  {
    AudioAdapter b(tiny_audio(0));
    struct Interrupt {};
    EXPECT_THROW(fit(b, *run_b.train, run_b.eval.get(), cfg_b,
                     [](const BatchReport& r) {
                       if (r.epoch == 1) throw Interrupt{};
                     }),
                 Interrupt);
  }
  EXPECT_EQ(load_checkpoint(d.file("b/last.pth")).epoch, 1);
  cfg_b.resume = true;
  torch::manual_seed(99);  // the resumed process starts from other random weights and RNG state
  AudioAdapter b(AudioClassifier(kTinyAudio, 4));
  const auto res_b = fit(b, *run_b.train, run_b.eval.get(), cfg_b);
  EXPECT_EQ(res_b.epochs.size(), 2u);
  EXPECT_EQ(res_b.steps, res_a.steps);
  const auto sa = state_dict_of(a.module()), sb = state_dict_of(b.module());
  for (const auto& [k, t] : sa.entries()) EXPECT_TRUE(torch::equal(t, sb.at(k))) << k;
  const auto oa = load_checkpoint(d.file("a/last.pth")).optimizer, ob = load_checkpoint(d.file("b/last.pth")).optimizer;
  ASSERT_EQ(oa.keys(), ob.keys());
  for (const auto& [k, t] : oa.entries()) EXPECT_TRUE(torch::equal(t, ob.at(k))) << k;
  // The log and the recorded confidences cover all three epochs, as in the uninterrupted run.
  ASSERT_EQ(res_b.log.size(), 3u);
  for (size_t e = 0; e < 3; ++e) EXPECT_EQ(res_a.log[e]["train_loss"], res_b.log[e]["train_loss"]) << e;
  EXPECT_EQ(res_a.confidences, res_b.confidences);
  ASSERT_EQ(res_b.confidences.size(), 48u);
  for (const auto& [name, v] : res_b.confidences) EXPECT_EQ(v.size(), 3u) << name;
}

INSTANTIATE_TEST_SUITE_P(Trainer, TrainerResume, ::testing::Values("sgd", "adamw"));

TEST(Trainer, NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint) {
  ThreadsGuard tg;
  test::TempDir d;
  auto cfg = base_config(d.file("run"));
  Loaders run(cfg, 48, 16);
  AudioClassifier net = tiny_audio(0);
  AudioAdapter model(net);
  // After the first step of epoch 2 a weight becomes NaN: the next forward's loss is NaN.
  auto hook = [&](const BatchReport& r) {
    if (r.epoch == 1) {
      torch::NoGradGuard ng;
      net->fc->weight[0][0].fill_(std::nan(""));
    }
  };
  try {
    fit(model, *run.train, run.eval.get(), cfg, hook);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("non-finite loss (nan)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("epoch 2/3, step 5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("last.pth (epoch 1) is intact"), std::string::npos) << msg;
  }
  const auto ck = load_checkpoint(d.file("run/last.pth"));
  EXPECT_EQ(ck.epoch, 1);
  EXPECT_EQ(ck.step, 3);
  for (const auto& [k, t] : ck.model.entries())
    if (t.is_floating_point()) {
      EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << k;
    }
  std::ifstream jl(d.file("run/metrics.jsonl"));
  int lines = 0;
  for (std::string l; std::getline(jl, l);) ++lines;
  EXPECT_EQ(lines, 1);
}

TEST(Trainer, AbsurdLearningRateStopsWithAClearMessage) {
  ThreadsGuard tg;
  auto cfg = base_config("");  // no run directory
  cfg.optim.lr = 1e30;
  cfg.schedule.kind = "constant";
  cfg.schedule.warmup_epochs = 0;
  Loaders run(cfg, 48, 16);
  AudioAdapter model(tiny_audio(0));
  try {
    fit(model, *run.train, nullptr, cfg);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no checkpoint was written yet"), std::string::npos) << e.what();
  }
}

// The run directory's one lock (util/dir_lock.h): a lock held elsewhere refuses the trainer; one handed
// over in this process (the study's claim of the run) is the trainer's, and outlives fit.
TEST(Trainer, WritesUnderALockHandedOverAndIsRefusedByAnyOther) {
  ThreadsGuard tg;
  test::TempDir d;
  auto cfg = base_config(d.file("run"));
  cfg.epochs = 1;
  Loaders run(cfg, 32, 16);
  {
    DirLock other(cfg.out_dir);
    AudioAdapter model(tiny_audio(0));
    const std::string m = test::error_of([&] { fit(model, *run.train, nullptr, cfg); });
    EXPECT_NE(m.find("process " + std::to_string(::getpid())), std::string::npos) << m;
  }
  auto claim = DirLock::hand_over(DirLock::try_lock(cfg.out_dir).lock);
  AudioAdapter model(tiny_audio(0));
  EXPECT_EQ(fit(model, *run.train, nullptr, cfg).epochs.size(), 1u);
  EXPECT_TRUE(DirLock::held(cfg.out_dir));  // still the claim's
  for (const auto& e : std::filesystem::directory_iterator(cfg.out_dir))
    EXPECT_EQ(e.path().filename().string().rfind(".avtune-", 0) == 0, e.path().filename() == DirLock::kFileName)
        << e.path();
  claim.reset();
  EXPECT_FALSE(DirLock::held(cfg.out_dir));
  EXPECT_EQ(std::filesystem::file_size(std::filesystem::path(cfg.out_dir) / DirLock::kFileName), 0u);
}

TEST(Trainer, AudioVisualModelReportsEachModalitysPart) {
  ThreadsGuard tg;
  test::TempDir d;
  auto cfg = base_config(d.file("av"));
  cfg.epochs = 2;
  cfg.eval_every = 0;  // only after the last epoch
  Loaders run(cfg, 32, 16, /*visual=*/true);
  torch::manual_seed(0);
  AVAdapter model(AVClassifier(kTinyAudio, kTinyVisual, 4));
  std::vector<size_t> batch_sizes;
  const auto res = fit(model, *run.train, run.eval.get(), cfg, [&](const BatchReport& r) {
    ASSERT_EQ(r.names->size(), r.confidence->size());
    for (float c : *r.confidence) EXPECT_TRUE(c > 0.0f && c < 1.0f);
    batch_sizes.push_back(r.names->size());
  });
  EXPECT_EQ(batch_sizes, (std::vector<size_t>{16, 16, 16, 16}));
  EXPECT_FALSE(res.epochs[0].evaluated);
  ASSERT_TRUE(res.epochs[1].evaluated);
  EXPECT_EQ(res.epochs[1].eval.part_top1.count("audio"), 1u);
  EXPECT_EQ(res.epochs[1].eval.part_top1.count("visual"), 1u);
  std::ifstream csv(d.file("av/curve.csv"));
  std::string header, row1;
  std::getline(csv, header);
  std::getline(csv, row1);
  EXPECT_NE(header.find("eval_audio_top1,eval_visual_top1"), std::string::npos) << header;
  EXPECT_NE(row1.find(",,,,,"), std::string::npos) << row1;  // epoch 1 was not evaluated
  // The visual-only adapter reads the same batches' clips.
  torch::manual_seed(0);
  VisualAdapter v(VisualClassifier(kTinyVisual, 4));
  auto m = evaluate(v, *run.eval, c10::Device(c10::kCPU));
  EXPECT_EQ(m.count, 16);
  // An audio model given visual-only batches says what is missing.
  struct VisualOnly : SignPatternDataset {
    using SignPatternDataset::SignPatternDataset;
    Sample get(size_t i, std::mt19937_64& rng) const override {
      auto s = SignPatternDataset::get(i, rng);
      s.audio = torch::Tensor();
      return s;
    }
  };
  DataLoader vis_only(std::make_shared<VisualOnly>(8, true), loader_options(cfg, false));
  AudioAdapter a(tiny_audio(0));
  EXPECT_THROW(evaluate(a, vis_only, c10::Device(c10::kCPU)), Error);
}

TEST(Trainer, ConfigFileWithCommandLineOverrides) {
  test::TempDir d;
  const auto path = d.file("train.json");
  std::ofstream(path) << R"({"epochs": 7, "lr": 0.1, "schedule": "multistep", "milestones": [3, 5],
                             "decay_exclude": false, "model": {"depth": 34}})";
  const auto c = resolve_train_config(path, {{"lr", 0.01}, {"batch_size", 8}, {"model", {{"width", 0.5}}}});
  EXPECT_EQ(c.epochs, 7);                 // from the file
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.01);     // the override wins
  EXPECT_EQ(c.batch_size, 8);             // override of a default
  EXPECT_EQ(c.schedule.kind, "multistep");
  EXPECT_EQ(c.schedule.milestones, (std::vector<int64_t>{3, 5}));
  EXPECT_FALSE(c.optim.decay_exclude);
  EXPECT_EQ(c.model["depth"], 34);        // sections merge key by key
  EXPECT_EQ(c.model["width"], 0.5);
  EXPECT_EQ(c.optim.momentum, TrainConfig{}.optim.momentum);  // untouched default
  // Round trip through JSON.
  const auto back = train_config_from_json(to_json(c));
  EXPECT_EQ(to_json(back), to_json(c));
  // Unknown keys and wrong types name the file.
  std::ofstream(d.file("typo.json")) << R"({"learning_rate": 0.1})";
  try {
    load_train_config(d.file("typo.json"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("learning_rate"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("typo.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolve_train_config("", {{"epochs", "ten"}}), Error);
  EXPECT_THROW(resolve_train_config("", {{"epochs", 0}}), Error);
  EXPECT_THROW(resolve_train_config(d.file("missing.json"), nlohmann::json::object()), Error);
}

TEST(Trainer, EncoderInitFromBarePrefixedOrCrossModalFiles) {
  test::TempDir d;
  torch::manual_seed(1);
  VisualClassifier src(kTinyVisual, 5);  // an RGB classifier: visual_net.* + fc.*
  save_weights(d.file("visual.pth"), state_dict_of(*src));
  save_weights(d.file("bare.safetensors"), select_prefix(state_dict_of(*src), "visual_net."));
  // Cross-modal: the RGB encoder into an audio encoder, conv1 summed over RGB.
  AudioClassifier dst(kTinyAudio, 4);
  const auto rep = init_encoder(*dst->audio_net, 1, parse_encoder_init(d.file("visual.pth")), "audio_net.");
  EXPECT_TRUE(rep.missing.empty());
  EXPECT_TRUE(torch::allclose(dst->audio_net->conv1->weight, src->visual_net->conv1->weight.sum(1, true)));
  EXPECT_TRUE(torch::equal(dst->audio_net->layer3[0]->as<BasicBlock>()->bn1->weight,
                           src->visual_net->layer3[0]->as<BasicBlock>()->bn1->weight));
  AudioClassifier dst2(kTinyAudio, 4);
  init_encoder(*dst2->audio_net, 1, parse_encoder_init(d.file("bare.safetensors") + ":conv1=mean"), "audio_net.");
  EXPECT_TRUE(torch::allclose(dst2->audio_net->conv1->weight, src->visual_net->conv1->weight.mean(1, true)));
  EXPECT_TRUE(parse_encoder_init("random").random);
  EXPECT_THROW(parse_encoder_init("x.pth:conv1=median"), Error);
  // A file of another width does not load silently.
  AudioClassifier wide(ResNetConfig{18, 1, 0.125}, 4);
  EXPECT_THROW(init_encoder(*wide->audio_net, 1, parse_encoder_init(d.file("visual.pth")), "audio_net."), Error);
}
