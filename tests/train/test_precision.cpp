// Mixed precision (train/precision.h): the autocast guard, dynamic loss scaling, bf16 training on CPU.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "avtune/io/checkpoint.h"
#include "avtune/train/precision.h"
#include "avtune/train/trainer.h"
#include "avtune/util/error.h"
#include "../test_support.h"
#include "stripes_dataset.h"

using namespace avtune;

namespace {

torch::Tensor param_with_grad(std::vector<float> w, std::vector<float> g) {
  auto p = torch::tensor(w).requires_grad_(true);
  p.mutable_grad() = torch::tensor(g);
  return p;
}

}  // namespace

TEST(Precision, ParsesTheThreeNamesAndRejectsOthers) {
  EXPECT_EQ(parse_precision("fp32"), Precision::FP32);
  EXPECT_EQ(parse_precision("bf16"), Precision::BF16);
  EXPECT_EQ(parse_precision("fp16"), Precision::FP16);
  EXPECT_EQ(to_string(Precision::BF16), "bf16");
  EXPECT_EQ(autocast_dtype(Precision::FP16), torch::kHalf);
  try {
    parse_precision("half", "--precision");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fp32|bf16|fp16"), std::string::npos) << e.what();
  }
  // fp16 autocast is CUDA only (LibTorch 1.13's CPU autocast casts to bf16 only).
  EXPECT_THROW(check_precision_supported(Precision::FP16, torch::kCPU), Error);
  EXPECT_NO_THROW(check_precision_supported(Precision::BF16, torch::kCPU));
}

TEST(Precision, AutocastGuardCastsInsideAndRestoresOutside) {
  torch::manual_seed(0);
  torch::nn::Linear lin(8, 4);
  auto x = torch::randn({2, 8});
  {
    AutocastGuard g(Precision::BF16, torch::kCPU);
    EXPECT_EQ(lin->forward(x).scalar_type(), torch::kBFloat16);
    {
      AutocastGuard off(Precision::FP32, torch::kCPU);  // fp32 changes nothing, even nested
      EXPECT_EQ(lin->forward(x).scalar_type(), torch::kBFloat16);
    }
    EXPECT_EQ(lin->forward(x).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(lin->forward(x).scalar_type(), torch::kFloat);
  EXPECT_EQ(lin->weight.scalar_type(), torch::kFloat);  // master weights stay fp32
}

// What autocast does with BatchNorm on CPU (LibTorch 1.13 has no fp32 rule for it): the bf16
// activations go through BN as bf16 with fp32 weights and running statistics, as on CUDA/cuDNN.
TEST(Precision, BatchNormKeepsFp32ParametersAndStatisticsUnderBf16) {
  torch::manual_seed(0);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3));
  torch::nn::BatchNorm2d bn32(8), bn16(8);
  auto x = torch::randn({4, 3, 16, 16});
  auto y32 = bn32->forward(conv->forward(x));
  torch::Tensor y16;
  {
    AutocastGuard g(Precision::BF16, torch::kCPU);
    y16 = bn16->forward(conv->forward(x));
  }
  EXPECT_EQ(bn16->running_mean.scalar_type(), torch::kFloat);
  EXPECT_EQ(bn16->running_var.scalar_type(), torch::kFloat);
  EXPECT_EQ(bn16->weight.scalar_type(), torch::kFloat);
  // Running statistics within bf16's rounding of the conv output (8 bits of mantissa: ~0.4%).
  EXPECT_TRUE(torch::allclose(bn16->running_mean, bn32->running_mean, 1e-2, 1e-3));
  EXPECT_TRUE(torch::allclose(bn16->running_var, bn32->running_var, 1e-2, 1e-3));
  EXPECT_LT((y16.to(torch::kFloat) - y32).abs().max().item<double>(), 0.05);
}

TEST(LossScaler, AnInfGradientSkipsTheStepAndHalvesTheScale) {
  DynamicLossScaler s(true, {1024.0, 2.0, 0.5, 3});
  auto p = param_with_grad({1, 2}, {1024, std::numeric_limits<float>::infinity()});
  torch::optim::SGD opt({p}, torch::optim::SGDOptions(0.1));
  const auto before = p.detach().clone();
  EXPECT_FALSE(s.step({p}, [&] { opt.step(); }));
  EXPECT_TRUE(torch::equal(p.detach(), before));  // the parameter did not move
  EXPECT_DOUBLE_EQ(s.scale(), 512.0);
  EXPECT_EQ(s.skipped_steps(), 1);
  EXPECT_EQ(s.growth_tracker(), 0);
  // NaN counts as well.
  p.mutable_grad() = torch::tensor({std::numeric_limits<float>::quiet_NaN(), 0.0f});
  EXPECT_FALSE(s.step({p}, [&] { opt.step(); }));
  EXPECT_DOUBLE_EQ(s.scale(), 256.0);
}

TEST(LossScaler, FiniteGradientsAreUnscaledStepAndGrowTheScaleAfterTheInterval) {
  DynamicLossScaler s(true, {256.0, 2.0, 0.5, 2});
  auto p = param_with_grad({1, 2}, {256, -512});
  torch::optim::SGD opt({p}, torch::optim::SGDOptions(0.5));
  EXPECT_TRUE(s.step({p}, [&] { opt.step(); }));
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({1.0f, -2.0f})));   // unscaled exactly
  EXPECT_TRUE(torch::equal(p.detach(), torch::tensor({0.5f, 3.0f})));  // stepped on unscaled gradients
  EXPECT_DOUBLE_EQ(s.scale(), 256.0);
  EXPECT_EQ(s.growth_tracker(), 1);
  p.mutable_grad() = torch::tensor({256.0f, 256.0f});
  EXPECT_TRUE(s.step({p}, [&] { opt.step(); }));
  EXPECT_DOUBLE_EQ(s.scale(), 512.0);  // two good steps in a row
  EXPECT_EQ(s.growth_tracker(), 0);
  // The scaled loss carries the scale.
  EXPECT_DOUBLE_EQ(s.scale_loss(torch::tensor(0.25)).item<double>(), 128.0);
}

TEST(LossScaler, DisabledNeverScalesNorSkips) {
  DynamicLossScaler s;  // fp32/bf16
  auto p = param_with_grad({1}, {std::numeric_limits<float>::infinity()});
  bool stepped = false;
  EXPECT_TRUE(s.step({p}, [&] { stepped = true; }));
  EXPECT_TRUE(stepped);
  EXPECT_DOUBLE_EQ(s.scale(), 1.0);
  EXPECT_DOUBLE_EQ(s.scale_loss(torch::tensor(3.0)).item<double>(), 3.0);
}

// The scale travels in the checkpoint the trainer writes (scheduler_json's "loss_scaler") and a
// resumed scaler continues from it: same scale, same growth count.
TEST(LossScaler, ResumeKeepsTheScale) {
  test::TempDir d;
  DynamicLossScaler a(true, {1024.0, 2.0, 0.5, 4});
  auto p = param_with_grad({1}, {std::numeric_limits<float>::infinity()});
  a.step({p}, [] {});
  p.mutable_grad() = torch::tensor({1.0f});
  a.step({p}, [] {});
  a.step({p}, [] {});
  ASSERT_DOUBLE_EQ(a.scale(), 512.0);
  TrainingCheckpoint ck;
  ck.model.set("w", torch::zeros({1}));
  ck.scheduler_json = nlohmann::json{{"loss_scaler", a.state()}}.dump();
  ck.config_json = "{}";
  save_checkpoint(d.file("last.pth"), ck);
  const auto back = load_checkpoint(d.file("last.pth"));
  DynamicLossScaler b(true, {1024.0, 2.0, 0.5, 4});
  b.load_state(nlohmann::json::parse(back.scheduler_json)["loss_scaler"], d.file("last.pth"));
  EXPECT_DOUBLE_EQ(b.scale(), 512.0);
  EXPECT_EQ(b.growth_tracker(), 2);
  EXPECT_EQ(b.skipped_steps(), 1);
  // Two more good steps grow both the same way.
  for (auto* s : {&a, &b}) {
    s->step({p}, [] {});
    s->step({p}, [] {});
  }
  EXPECT_DOUBLE_EQ(a.scale(), 1024.0);
  EXPECT_DOUBLE_EQ(b.scale(), 1024.0);
  EXPECT_THROW(b.load_state(nlohmann::json{{"scale", -1.0}, {"growth_tracker", 0}}, "x.pth"), Error);
}

// bf16 on CPU end to end through the trainer: it learns, the checkpoint is fp32, metrics.jsonl has
// the throughput and memory fields, and the run's config records the precision.
TEST(Precision, Bf16TrainingOnCpuLearnsAndSavesFp32) {
  const int saved_threads = torch::get_num_threads();
  torch::set_num_threads(1);
  test::TempDir d;
  TrainConfig c;
  c.epochs = 5;
  c.batch_size = 16;
  c.optim.lr = 0.05;
  c.schedule.kind = "cosine";
  c.seed = 2;
  c.workers = 1;
  c.device = "cpu";
  c.progress = false;
  c.precision = "bf16";
  c.out_dir = d.file("run");
  auto train_ds = std::make_shared<test::StripesDataset>(128), eval_ds = std::make_shared<test::StripesDataset>(64, 1);
  DataLoader train(train_ds, loader_options(c, true)), eval(eval_ds, loader_options(c, false));
  torch::manual_seed(0);
  AudioAdapter model(AudioClassifier(ResNetConfig{18, 1, 0.0625}, 4));
  const auto res = fit(model, train, &eval, c);
  torch::set_num_threads(saved_threads);
  ASSERT_TRUE(res.epochs.back().evaluated);
  EXPECT_GE(res.epochs.back().eval.top1, 0.9) << res.epochs.back().eval.summary();
  EXPECT_LT(res.epochs.back().train_loss, res.epochs.front().train_loss);
  const auto ck = load_checkpoint(d.file("run/last.pth"));
  for (const auto& [k, t] : ck.model.entries()) {
    if (t.is_floating_point()) {
      EXPECT_EQ(t.scalar_type(), torch::kFloat) << k;
    }
  }
  for (const auto& [k, t] : ck.optimizer.entries()) {
    if (t.is_floating_point()) {
      EXPECT_EQ(t.scalar_type(), torch::kFloat) << k;
    }
  }
  EXPECT_EQ(nlohmann::json::parse(ck.config_json)["precision"], "bf16");
  std::ifstream jl(d.file("run/metrics.jsonl"));
  std::string line;
  ASSERT_TRUE(std::getline(jl, line));
  const auto j = nlohmann::json::parse(line);
  EXPECT_GT(j["samples_per_second"].get<double>(), 0);
  EXPECT_GT(j["peak_rss_mib"].get<double>(), 1);
  EXPECT_FALSE(j.contains("cuda_peak_allocated_mib"));  // CPU run
  // fp16 on CPU is refused with a one-line reason before anything is written.
  c.precision = "fp16";
  c.out_dir = d.file("fp16");
  AudioAdapter again(AudioClassifier(ResNetConfig{18, 1, 0.0625}, 4));
  EXPECT_THROW(fit(again, train, &eval, c), Error);
  EXPECT_FALSE(std::filesystem::exists(d.file("fp16/config.json")));
}
