// CUDA checks (ctest label "cuda"; scripts/gpu/run.sh runs them on a GPU machine). Without a GPU
// each test is skipped with the reason printed, and ctest reports it as skipped, not passed.
#include <gtest/gtest.h>

#include <filesystem>

#include "avtune/io/checkpoint.h"
#include "avtune/models/classifiers.h"
#include "avtune/train/precision.h"
#include "avtune/train/trainer.h"
#include "avtune/util/runtime.h"
#include "../test_support.h"
#include "stripes_dataset.h"

using namespace avtune;

namespace {

#define AVTUNE_NEED_CUDA()                                                                              \
  if (!torch::cuda::is_available())                                                                    \
  GTEST_SKIP() << "no CUDA device: this LibTorch (" << TORCH_VERSION << ") reports torch::cuda::is_available() == false"

// Exact fp32 on the GPU: TF32 (on by default for cuDNN convolutions on Ampere and later) off.
struct NoTf32 {
  bool cudnn = at::globalContext().allowTF32CuDNN(), cublas = at::globalContext().allowTF32CuBLAS();
  NoTf32() {
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
  ~NoTf32() {
    at::globalContext().setAllowTF32CuDNN(cudnn);
    at::globalContext().setAllowTF32CuBLAS(cublas);
  }
};

AVClassifier small_av(uint64_t seed) {
  torch::manual_seed(seed);
  return AVClassifier(ResNetConfig{18, 1, 0.5}, ResNetConfig{18, 3, 0.5}, 7);
}

double rel(const torch::Tensor& a, const torch::Tensor& ref) {
  return (a.to(torch::kCPU, torch::kDouble) - ref.to(torch::kDouble)).norm().item<double>() /
         std::max(ref.to(torch::kDouble).norm().item<double>(), 1e-30);
}

TrainConfig stripes_config(const std::string& out, const std::string& precision) {
  TrainConfig c;
  c.epochs = 4;
  c.batch_size = 16;
  c.optim.lr = 0.05;
  c.schedule.kind = "cosine";
  c.seed = 4;
  c.workers = 1;
  c.device = "cuda";
  c.progress = false;
  c.precision = precision;
  c.out_dir = out;
  return c;
}

}  // namespace

// The audio-visual model's forward (logits) and backward (every parameter's gradient) on CUDA
// against CPU, same weights and inputs, fp32: within 1e-3 relative (L2 norm of the difference).
TEST(Cuda, AVModelForwardBackwardMatchesCpuFp32) {
  AVTUNE_NEED_CUDA();
  NoTf32 exact;
  auto cpu = small_av(1), gpu = small_av(1);
  gpu->to(torch::kCUDA);
  torch::manual_seed(2);
  auto audio = torch::randn({4, 1, 128, 64}), visual = torch::randn({4, 3, 3, 64, 64});
  auto labels = torch::randint(7, {4}, torch::kLong);
  auto lc = cpu->forward(audio, visual).logits;
  auto lg = gpu->forward(audio.cuda(), visual.cuda()).logits;
  EXPECT_LT(rel(lg, lc), 1e-3);
  torch::nn::functional::cross_entropy(lc, labels).backward();
  torch::nn::functional::cross_entropy(lg, labels.cuda()).backward();
  const auto pc = cpu->named_parameters(), pg = gpu->named_parameters();
  for (const auto& item : pc) {
    const auto& g = pg[item.key()].grad();
    ASSERT_TRUE(g.defined()) << item.key();
    EXPECT_LT(rel(g, item.value().grad()), 1e-3) << item.key();
  }
}

// Autocast loss against fp32 at initialisation: bf16 (8-bit mantissa) within 2%, fp16 (11-bit) within 0.5%.
TEST(Cuda, AutocastLossIsCloseToFp32) {
  AVTUNE_NEED_CUDA();
  NoTf32 exact;
  auto m = small_av(3);
  m->to(torch::kCUDA);
  m->eval();
  torch::manual_seed(4);
  auto audio = torch::randn({8, 1, 128, 64}).cuda(), visual = torch::randn({8, 3, 3, 64, 64}).cuda();
  auto labels = torch::randint(7, {8}, torch::kLong).cuda();
  torch::NoGradGuard ng;
  const double ref = torch::nn::functional::cross_entropy(m->forward(audio, visual).logits, labels).item<double>();
  for (auto [p, tol] : {std::pair{Precision::BF16, 2e-2}, std::pair{Precision::FP16, 5e-3}}) {
    AutocastGuard g(p, torch::kCUDA);
    auto logits = m->forward(audio, visual).logits;
    EXPECT_EQ(logits.scalar_type(), autocast_dtype(p));
    const double l = torch::nn::functional::cross_entropy(logits.to(torch::kFloat), labels).item<double>();
    EXPECT_NEAR(l, ref, tol * ref) << to_string(p);
  }
}

// A short training run on the GPU learns, in each precision, and metrics.jsonl has CUDA's peak memory.
TEST(Cuda, ShortTrainingRunLossFalls) {
  AVTUNE_NEED_CUDA();
  for (const std::string p : {"fp32", "bf16", "fp16"}) {
    test::TempDir d;
    auto c = stripes_config(d.file("run"), p);
    auto tr = std::make_shared<test::StripesDataset>(128), ev = std::make_shared<test::StripesDataset>(64, 1);
    DataLoader train(tr, loader_options(c, true)), eval(ev, loader_options(c, false));
    torch::manual_seed(0);
    AudioAdapter model(AudioClassifier(ResNetConfig{18, 1, 0.25}, 4));
    const auto res = fit(model, train, &eval, c);
    EXPECT_LT(res.epochs.back().train_loss, 0.7 * res.epochs.front().train_loss) << p;
    EXPECT_GE(res.epochs.back().eval.top1, 0.85) << p << " " << res.epochs.back().eval.summary();
    EXPECT_GT(res.epochs.back().cuda_peak_mib, 0) << p;
    for (const auto& [k, t] : load_checkpoint(d.file("run/last.pth")).model.entries()) {
      if (t.is_floating_point()) {
        EXPECT_EQ(t.scalar_type(), torch::kFloat) << p << " " << k;
      }
    }
  }
}

// fp16 through the trainer: interrupted after epoch 1 and resumed, the loss scale and growth count
// continue from the checkpoint and end where the uninterrupted run's end.
TEST(Cuda, Fp16ResumeKeepsTheLossScale) {
  AVTUNE_NEED_CUDA();
  test::TempDir d;
  auto tr = std::make_shared<test::StripesDataset>(64), ev = std::make_shared<test::StripesDataset>(32, 1);
  auto run = [&](const std::string& out, bool interrupt, bool resume) {
    auto c = stripes_config(d.file(out), "fp16");
    c.epochs = 3;
    c.resume = resume;
    DataLoader train(tr, loader_options(c, true)), eval(ev, loader_options(c, false));
    torch::manual_seed(0);
    AudioAdapter model(AudioClassifier(ResNetConfig{18, 1, 0.25}, 4));
    struct Stop {};
    try {
      fit(model, train, &eval, c, [&](const BatchReport& r) {
        if (interrupt && r.epoch == 1) throw Stop{};
      });
    } catch (const Stop&) {
    }
  };
  run("a", false, false);
  run("b", true, false);
  run("b", false, true);
  auto scaler_of = [&](const std::string& f) {
    return nlohmann::json::parse(load_checkpoint(d.file(f)).scheduler_json)["loss_scaler"];
  };
  EXPECT_EQ(scaler_of("a/last.pth"), scaler_of("b/last.pth"));
  EXPECT_EQ(scaler_of("b/last.pth")["scale"].get<double>() > 0, true);
}

// --deterministic (cuDNN deterministic algorithms): two trainings from the same seed give the same weights.
TEST(Cuda, DeterministicGivesTheSameWeightsTwice) {
  AVTUNE_NEED_CUDA();
  set_deterministic(true);
  std::vector<StateDict> weights;
  for (int k = 0; k < 2; ++k) {
    test::TempDir d;
    auto c = stripes_config("", "fp32");
    c.epochs = 2;
    auto tr = std::make_shared<test::StripesDataset>(64);
    DataLoader train(tr, loader_options(c, true));
    torch::manual_seed(0);
    AudioAdapter model(AudioClassifier(ResNetConfig{18, 1, 0.25}, 4));
    fit(model, train, nullptr, c);
    weights.push_back(state_dict_of(model.module()));
  }
  set_deterministic(false);
  for (const auto& [k, t] : weights[0].entries()) EXPECT_TRUE(torch::equal(t, weights[1].at(k))) << k;
}
