// Data-parallel training across processes on 127.0.0.1 with Gloo (docs/distributed.md). Each
// multi-process test starts this test binary again as its workers (DistWorker.DISABLED_Run, through
// the --nproc launcher), so the workers run the library directly.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "avtune/dist/launcher.h"
#include "avtune/dist/process_group.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/state_dict.h"
#include "avtune/models/batch_norm_sync.h"
#include "avtune/train/lr_schedule.h"
#include "avtune/train/trainer.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {

// Four classes from the sign and the stripe orientation of an input under noise; 64x64 keeps the
// last stage's BatchNorm over more than one value per sample, so training is not chaotic.
constexpr int64_t kSide = 64;
class Stripes : public Dataset {
 public:
  Stripes(size_t n, uint64_t salt) : n_(n), salt_(salt) {}
  size_t size() const override { return n_; }
  std::string name_of(size_t i) const override { return "c" + std::to_string(salt_) + "_" + std::to_string(i); }
  int64_t label_of(size_t i) const override { return static_cast<int64_t>((i * 7 + salt_) % 4); }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Sample get(size_t i, std::mt19937_64& rng) const override {
    const int64_t c = label_of(i);
    auto stripes = torch::arange(kSide).remainder(2).to(torch::kFloat) * 2 - 1;
    auto pattern = (c & 2) ? stripes.view({kSide, 1}).expand({kSide, kSide}) : stripes.view({1, kSide}).expand({kSide, kSide});
    std::normal_distribution<float> noise(0.0f, 0.8f);
    auto n = torch::empty({kSide, kSide});
    for (int64_t k = 0; k < n.numel(); ++k) n.data_ptr<float>()[k] = noise(rng);
    Sample s;
    s.name = name_of(i);
    s.label = c;
    s.audio = (n + ((c & 1) ? 0.5f : -0.5f) + 0.5f * pattern).unsqueeze(0).contiguous();
    return s;
  }

 private:
  size_t n_;
  uint64_t salt_;
  std::vector<std::string> classes_{"a", "b", "c", "d"};
};

// 160 training samples: 2 epochs of 10 steps of 16 samples (1 x 16 or 2 x 8) = 20 steps.
TrainConfig config(const std::string& out, int64_t batch, bool sync_bn) {
  TrainConfig c;
  c.epochs = 2;
  c.batch_size = batch;
  c.optim.lr = 0.01;
  c.optim.momentum = 0.9;
  c.optim.weight_decay = 1e-4;
  c.seed = 11;
  c.workers = 0;
  c.device = "cpu";
  c.out_dir = out;
  c.progress = false;
  c.sync_bn = sync_bn;
  c.record_confidences = true;
  return c;
}

// The equivalence runs in float64: this training amplifies rounding about a millionfold in 20 steps
// (scripts/dist_sensitivity.py, PyTorch: initial weights moved by 1e-7 end 0.58 apart in float32;
// PyTorch's BN kernel and SyncBN's two-pass formula end 1e-2 apart), so float32 sums split over two
// ranks cannot agree to 1e-5; in float64 the two runs agree to ~1e-14.
class DoubleAudio : public AudioAdapter {
 public:
  explicit DoubleAudio(AudioClassifier m) : AudioAdapter(std::move(m)) { module().to(torch::kDouble); }
  ModelOutput forward(const Batch& b) override {
    Batch d = b;
    d.audio = b.audio.to(torch::kDouble);
    return AudioAdapter::forward(d);
  }
};

std::unique_ptr<ModelAdapter> tiny_model(bool f64) {
  AudioClassifier m(ResNetConfig{18, 1, 0.125}, 4);
  if (f64) return std::make_unique<DoubleAudio>(m);
  return std::make_unique<AudioAdapter>(m);
}

// One training run of the tiny audio ResNet; in a worker the group is already joined.
TrainResult train_once(const TrainConfig& c, const BatchHook& hook = nullptr, bool f64 = true) {
  torch::manual_seed(c.seed);
  auto model_ptr = tiny_model(f64);
  ModelAdapter& model = *model_ptr;
  DataLoader train(std::make_shared<Stripes>(160, 0), loader_options(c, true));
  DataLoader eval(std::make_shared<Stripes>(61, 1), loader_options(c, false));  // odd: uneven shards
  return fit(model, train, &eval, c, hook);
}

const char* env_or(const char* k, const char* d) {
  const char* v = std::getenv(k);
  return v ? v : d;
}

LaunchResult launch(int nproc, const std::string& scenario, const std::string& dir) {
  LaunchOptions o;
  o.nproc = nproc;
  o.args = {"avtune_tests", "--gtest_also_run_disabled_tests", "--gtest_filter=DistWorker.DISABLED_Run"};
  o.env = {{"AVTUNE_DIST_SCENARIO", scenario}, {"AVTUNE_DIST_DIR", dir}};
  o.grace_s = 5;
  return launch_local_workers(o);
}

double relative_difference(const StateDict& a, const StateDict& b, std::string* worst) {
  double most = 0;
  for (const auto& [k, t] : b.entries()) {
    if (!t.is_floating_point()) continue;
    const auto x = a.at(k).to(torch::kDouble);
    const auto y = t.to(torch::kDouble);
    const double d = (x - y).norm().item<double>() / std::max(1e-12, y.norm().item<double>());
    if (d > most) most = d, *worst = k;
  }
  return most;
}

// Two ranks without --sync-bn, emulated in one process: the same global batches, each rank's half
// normalised by its own statistics, the mean of the two halves' losses (the Reducer's average), and
// rank 0's running statistics (from its half only). Matching it shows that the two-rank run differs
// from one rank x 16 only through the BN statistics.
StateDict per_rank_bn_emulation(const TrainConfig& c) {
  torch::manual_seed(c.seed);
  DoubleAudio model(AudioClassifier(ResNetConfig{18, 1, 0.125}, 4));
  auto ds = std::make_shared<Stripes>(160, 0);
  std::vector<std::unique_ptr<DataLoader>> shard;
  for (int r = 0; r < 2; ++r) {
    LoaderOptions o = loader_options(c, true);
    o.rank = r, o.world_size = 2, o.pad = true;
    shard.push_back(std::make_unique<DataLoader>(ds, o));
  }
  const LRSchedule schedule(c.schedule, c.optim.lr, shard[0]->batches_per_epoch(), c.epochs);
  TrainOptimizer opt(model.module(), model.parameters_to_train(), c.optim);
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < c.epochs; ++epoch) {
    model.set_training(true);
    for (auto& l : shard) l->start_epoch(epoch);
    while (auto b0 = shard[0]->next()) {
      auto b1 = shard[1]->next();
      opt.set_lr(schedule.at(step++));
      opt.zero_grad();
      auto loss0 = torch::nn::functional::cross_entropy(model.forward(*b0).logits, b0->labels);
      std::vector<torch::Tensor> rank0_stats;
      for (const auto& t : model.module().buffers()) rank0_stats.push_back(t.clone());
      auto loss1 = torch::nn::functional::cross_entropy(model.forward(*b1).logits, b1->labels);
      ((loss0 + loss1) / 2).backward();
      auto buffers = model.module().buffers();  // after backward: BN's backward reads them
      for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(rank0_stats[i]);
      opt.step();
    }
  }
  return state_dict_of(model.module());
}

nlohmann::json last_eval(const std::string& run) {
  std::ifstream in(run + "/metrics.jsonl");
  nlohmann::json last;
  for (std::string l; std::getline(in, l);) last = nlohmann::json::parse(l);
  return last["eval"];
}

}  // namespace

// The worker side of the tests below (skipped unless started by them).
TEST(DistWorker, DISABLED_Run) {
  const std::string scenario = env_or("AVTUNE_DIST_SCENARIO", ""), dir = env_or("AVTUNE_DIST_DIR", "");
  if (scenario.empty()) GTEST_SKIP() << "started by the DataParallel tests only";
  torch::set_num_threads(1);
  DistOptions o;
  o.timeout_s = 30;
  auto group = init_distributed(o);
  ASSERT_TRUE(group);
  if (scenario == "sync" || scenario == "plain") {
    train_once(config(dir + "/" + scenario, 8, scenario == "sync"));
  } else if (scenario == "fail") {
    // Rank 1 dies in the middle of the second epoch (epoch 1's checkpoint written); rank 0 is left
    // waiting in an all-reduce.
    train_once(config(dir + "/fail", 8, false), [&](const BatchReport& r) {
      if (group->rank() == 1 && r.step == 14) std::_Exit(3);
    });
  } else if (scenario == "straight" || scenario == "first_epoch" || scenario == "resumed") {
    // float32, per-rank BN: the engine's everyday path.
    auto c = config(dir + "/" + (scenario == "straight" ? "straight" : "resumed"), 8, false);
    c.epochs = scenario == "first_epoch" ? 1 : 2;
    c.resume = scenario == "resumed";
    train_once(c, nullptr, /*f64=*/false);
  }
}

TEST(DataParallel, TwoRanksTrainOneRunWithExactMetricsAndGatheredConfidences) {
  torch::set_num_threads(1);
  test::TempDir d;
  const auto r = launch(2, "sync", d.path.string());
  ASSERT_EQ(r.failed_rank, -1) << r.describe();
  const auto ck = load_checkpoint(d.file("sync/last.pth"));
  EXPECT_EQ(ck.step, 20);  // 160 samples / (2 ranks x 8) x 2 epochs
  // The metrics over the whole split (61 samples in uneven shards) are one process's metrics of the
  // same weights, not averages of per-rank numbers.
  const auto got = last_eval(d.file("sync"));
  EXPECT_EQ(got["count"], 61);
  DoubleAudio model(AudioClassifier(ResNetConfig{18, 1, 0.125}, 4));
  load_state_dict(model.module(), ck.model);
  TrainConfig one = config("", 8, false);
  DataLoader eval(std::make_shared<Stripes>(61, 1), loader_options(one, false));
  const auto want = evaluate(model, eval, torch::kCPU);
  EXPECT_DOUBLE_EQ(got["top1"].get<double>(), want.top1);
  EXPECT_DOUBLE_EQ(got["top5"].get<double>(), want.top5);
  EXPECT_DOUBLE_EQ(got["macro_f1"].get<double>(), want.macro_f1);
  EXPECT_NEAR(got["mAP"].get<double>(), want.mean_ap, 1e-9);
  EXPECT_NEAR(got["loss"].get<double>(), want.loss, 1e-5);
  // The recorded config: two processes, batch 8 per process.
  const auto cfg = nlohmann::json::parse(std::ifstream(d.file("sync/config.json")));
  EXPECT_EQ(cfg["world_size"], 2);
  EXPECT_EQ(cfg["batch_size"], 8);
  EXPECT_EQ(cfg["sync_bn"], true);
  // Confidences are gathered from both ranks: every training sample has one per epoch.
  const auto conf = read_run_confidences(d.file("sync/confidences.json"));
  EXPECT_EQ(conf.size(), 160u);
  for (const auto& [name, v] : conf) EXPECT_EQ(v.size(), 2u) << name;
  for (const auto& e : fs::directory_iterator(d.file("sync"))) EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos);
}

// The equivalence criterion (float64, see DoubleAudio): after 20 steps, 2 ranks x 8 with
// --sync-bn are within 1e-5 (relative, per tensor: parameters and BN statistics) of 1 rank x 16, with
// the same test metrics. Without --sync-bn they are not, and they are within 1e-5 of the one-process
// emulation of per-rank BN statistics: the statistics are the only difference.
TEST(DataParallel, TwoRanksWithSyncBnMatchOneRankWithTheGlobalBatch) {
  torch::set_num_threads(1);
  test::TempDir d;
  const auto sync = launch(2, "sync", d.path.string());
  ASSERT_EQ(sync.failed_rank, -1) << sync.describe();
  const auto plain = launch(2, "plain", d.path.string());
  ASSERT_EQ(plain.failed_rank, -1) << plain.describe();
  train_once(config(d.file("ref"), 16, false));
  const auto want = load_checkpoint(d.file("ref/last.pth"));
  const auto got = load_checkpoint(d.file("sync/last.pth"));
  EXPECT_EQ(got.step, 20);
  EXPECT_EQ(want.step, 20);
  std::string worst;
  const double rel = relative_difference(got.model, want.model, &worst);
  EXPECT_LE(rel, 1e-5) << worst;
  std::printf("sync-BN, 2 ranks x 8 vs 1 rank x 16 after 20 steps: largest relative difference %.3g (%s)\n", rel, worst.c_str());
  const auto e2 = last_eval(d.file("sync")), e1 = last_eval(d.file("ref"));
  EXPECT_EQ(e2["count"], e1["count"]);
  for (const char* k : {"top1", "top5", "macro_f1"}) EXPECT_DOUBLE_EQ(e2[k].get<double>(), e1[k].get<double>()) << k;
  EXPECT_NEAR(e2["mAP"].get<double>(), e1["mAP"].get<double>(), 1e-9);
  EXPECT_NEAR(e2["loss"].get<double>(), e1["loss"].get<double>(), 1e-6);

  const auto per_rank = load_checkpoint(d.file("plain/last.pth")).model;
  const double apart = relative_difference(per_rank, want.model, &worst);
  EXPECT_GT(apart, 1e-3) << worst;
  const double emulated = relative_difference(per_rank, per_rank_bn_emulation(config("", 8, false)), &worst);
  EXPECT_LE(emulated, 1e-5) << worst;
  std::printf("per-rank BN: %.3g from 1 rank x 16, %.3g from the per-rank-statistics emulation\n", apart, emulated);
}

// Resume on CPU: 2 ranks stopped after epoch 1 and resumed end bit-identical to 2 ranks that ran
// both epochs (float32, per-rank BN), weights, optimizer state and final metrics.
TEST(DataParallel, AResumedTwoRankRunEndsBitIdenticalToAnUninterruptedOne) {
  torch::set_num_threads(1);
  test::TempDir d;
  for (const char* s : {"straight", "first_epoch", "resumed"}) {
    const auto r = launch(2, s, d.path.string());
    ASSERT_EQ(r.failed_rank, -1) << s << ": " << r.describe();
  }
  const auto a = load_checkpoint(d.file("straight/last.pth")), b = load_checkpoint(d.file("resumed/last.pth"));
  EXPECT_EQ(a.step, 20);
  EXPECT_EQ(b.step, 20);
  for (const auto& [k, t] : a.model.entries()) EXPECT_TRUE(torch::equal(t, b.model.at(k))) << k;
  for (const auto& [k, t] : a.optimizer.entries()) EXPECT_TRUE(torch::equal(t, b.optimizer.at(k))) << k;
  EXPECT_EQ(last_eval(d.file("straight")), last_eval(d.file("resumed")));
}

TEST(DataParallel, AFailingWorkerStopsTheOthersAndNamesItsRank) {
  test::TempDir d;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = launch(2, "fail", d.path.string());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.failed_rank, 1) << r.describe();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_LT(s, 60);
  EXPECT_NE(r.describe().find("rank 1 failed"), std::string::npos);
  // Killed in its second epoch: epoch 1's checkpoint is whole, and nothing is half-written.
  const auto ck = load_checkpoint(d.file("fail/last.pth"));
  EXPECT_EQ(ck.epoch, 1);
  EXPECT_EQ(ck.step, 10);
  for (const auto& e : fs::directory_iterator(d.file("fail")))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(DataParallel, APeerThatNeverArrivesEndsTheRendezvousWithATimeout) {
  DistEnv env;
  env.world_size = 2;
  env.master_port = free_local_port();
  DistOptions o;
  o.timeout_s = 1.5;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    DistGroup g(env, o);  // rank 0 of 2, alone
    FAIL() << "expected a rendezvous timeout";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("dist: expected 2 processes at 127.0.0.1:"), std::string::npos) << m;
    EXPECT_NE(m.find("got 1"), std::string::npos) << m;
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10);
  env.rank = 1;  // a client whose server never starts
  env.master_port = free_local_port();
  EXPECT_THROW(DistGroup(env, o), Error);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20);
}

TEST(DataParallel, SyncBnSingleLayer) {
  torch::manual_seed(0);
  torch::nn::BatchNorm2d a(4), b(4);
  b->weight.data().copy_(torch::rand({4}));
  a->weight.data().copy_(b->weight.data());
  auto x = torch::randn({8, 4, 3, 5}) * 3 + 1;
  auto xa = x.clone().requires_grad_(), xb = x.clone().requires_grad_();
  auto w = torch::randn({8, 4, 3, 5});
  auto ya = a(xa);
  torch::Tensor yb;
  {
    ScopedBatchNormSync s([](const torch::Tensor& t) { return t * 1.0; });
    yb = batch_norm(b, xb);
  }
  (ya * w).sum().backward();
  (yb * w).sum().backward();
  EXPECT_LT(test::max_abs_diff(ya, yb), 1e-5);
  EXPECT_LT(test::max_abs_diff(xa.grad(), xb.grad()), 1e-5);
  EXPECT_LT(test::max_abs_diff(a->weight.grad(), b->weight.grad()), 1e-5);
  EXPECT_LT(test::max_abs_diff(a->running_var, b->running_var), 1e-5);
  EXPECT_LT(test::max_abs_diff(a->running_mean, b->running_mean), 1e-5);
}

TEST(DataParallel, SyncBnWholeModelSteps) {
  torch::manual_seed(3);
  AudioClassifier a(ResNetConfig{18, 1, 0.125}, 4);
  torch::manual_seed(3);
  AudioClassifier b(ResNetConfig{18, 1, 0.125}, 4);
  torch::optim::SGD oa(a->parameters(), 0.01), ob(b->parameters(), 0.01);
  for (int step = 0; step < 4; ++step) {
    auto x = torch::randn({16, 1, 64, 64});
    auto y = torch::randint(0, 4, {16}, torch::kLong);
    oa.zero_grad(), ob.zero_grad();
    torch::nn::functional::cross_entropy(a->forward(x), y).backward();
    {
      ScopedBatchNormSync s([](const torch::Tensor& t) { return t * 1.0; });
      torch::nn::functional::cross_entropy(b->forward(x), y).backward();
    }
    auto pa = a->named_parameters(), pb = b->named_parameters();
    double worst = 0;
    std::string wk;
    for (const auto& kv : pa) {
      const auto& ga = kv.value().grad();
      const auto& gb = pb[kv.key()].grad();
      const double rel = (ga - gb).norm().item<double>() / std::max(1e-12, ga.norm().item<double>());
      if (rel > worst) worst = rel, wk = kv.key();
    }
    EXPECT_LT(worst, 1e-4) << "step " << step << " " << wk;
    oa.step(), ob.step();
  }
}
