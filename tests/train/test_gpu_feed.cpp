// How the trainer feeds a GPU (issue 15): the loader threads collate into page-locked memory only when
// the run's device is CUDA (pin_memory needs a CUDA runtime; a CPU-only LibTorch refuses it), and
// batch_to copies with non_blocking. The CPU half runs everywhere; the Cuda.* half carries the ctest
// label "cuda" (tests/CMakeLists.txt) and is skipped with its reason where no GPU is seen.
#include <gtest/gtest.h>

#include <memory>

#include "avtune/data/loader.h"
#include "avtune/train/trainer.h"
#include "stripes_dataset.h"

using namespace avtune;

namespace {

TrainConfig feed_config(const std::string& device) {
  TrainConfig c;
  c.batch_size = 8;
  c.workers = 2;
  c.seed = 3;
  c.device = device;
  return c;
}

void expect_same_batch(const Batch& a, const Batch& b) {
  EXPECT_EQ(a.names, b.names);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_TRUE(torch::equal(a.labels.cpu(), b.labels.cpu()));
  EXPECT_TRUE(torch::equal(a.audio.cpu(), b.audio.cpu()));
  EXPECT_EQ(a.visual.defined(), b.visual.defined());
}

}  // namespace

// A CPU run pins nothing (so it never touches a CUDA runtime) and batch_to leaves the batch as it is.
TEST(GpuFeed, CpuRunPinsNothingAndBatchToKeepsTheBatch) {
  const auto cfg = feed_config("cpu");
  for (bool train : {true, false}) {
    const auto o = loader_options(cfg, train);
    EXPECT_FALSE(o.pin_memory) << "train " << train;
    EXPECT_EQ(o.batch_size, 8);
    EXPECT_EQ(o.workers, 2);
    EXPECT_GE(o.prefetch, 1);  // batches are prepared ahead of the step
  }
  DataLoader loader(std::make_shared<test::StripesDataset>(20), loader_options(cfg, true));
  loader.start_epoch(0);
  int batches = 0;
  while (auto b = loader.next()) {
    const Batch moved = batch_to(*b, torch::Device(torch::kCPU));
    expect_same_batch(moved, *b);
    EXPECT_EQ(moved.audio.device().type(), torch::kCPU);
    ++batches;
  }
  EXPECT_EQ(batches, 3);  // 20 samples in batches of 8, the last one short
}

// On CUDA the loader's batches are page-locked and arrive on the GPU unchanged (the copies are
// non_blocking; .cpu() synchronises before comparing).
TEST(Cuda, LoaderPinsBatchesAndTheyReachTheGpuUnchanged) {
  if (!torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device: this LibTorch (" << TORCH_VERSION
                 << ") reports torch::cuda::is_available() == false";
  const auto cfg = feed_config("cuda");
  const auto o = loader_options(cfg, true);
  ASSERT_TRUE(o.pin_memory);
  DataLoader loader(std::make_shared<test::StripesDataset>(20), o);
  loader.start_epoch(0);
  int batches = 0;
  while (auto b = loader.next()) {
    EXPECT_TRUE(b->audio.is_pinned());
    EXPECT_TRUE(b->labels.is_pinned());
    const Batch moved = batch_to(*b, torch::Device(torch::kCUDA));
    EXPECT_TRUE(moved.audio.is_cuda());
    expect_same_batch(moved, *b);
    ++batches;
  }
  EXPECT_EQ(batches, 3);
}
