#include <gtest/gtest.h>

#include <cmath>

#include "avtune/data/fbank_stats.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {
// Sample i's audio is (1, 4, 3) filled with i: mean and std of 0..n-1 repeated 12 times each.
class ConstantAudio : public Dataset {
 public:
  explicit ConstantAudio(size_t n, bool audio = true) : n_(n), audio_(audio) {}
  size_t size() const override { return n_; }
  std::string name_of(size_t i) const override { return "c" + std::to_string(i); }
  int64_t label_of(size_t) const override { return 0; }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Sample get(size_t i, std::mt19937_64&) const override {
    Sample s;
    s.name = name_of(i);
    s.label = 0;
    s.index = i;
    if (audio_) s.audio = torch::full({1, 4, 3}, static_cast<float>(i));
    else s.visual = torch::zeros({3, 1, 4, 4});
    return s;
  }

 private:
  size_t n_;
  bool audio_;
  std::vector<std::string> classes_{"x"};
};
}  // namespace

TEST(FbankStats, MeanAndPopulationStdOverEveryValue) {
  const size_t n = 101;  // 4 batches, the last one short
  for (int workers : {0, 2}) {
    const auto s = fbank_statistics(std::make_shared<ConstantAudio>(n), workers, false);
    EXPECT_EQ(s.clips, 101);
    EXPECT_EQ(s.values, 101 * 12);
    EXPECT_NEAR(s.mean, 50.0, 1e-9);
    EXPECT_NEAR(s.std, std::sqrt((101.0 * 101.0 - 1) / 12.0), 1e-9);  // std of 0..n-1 (population)
  }
}

TEST(FbankStats, RejectsDataWithoutAudio) {
  EXPECT_THROW(fbank_statistics(std::make_shared<ConstantAudio>(3, false), 0, false), Error);
  EXPECT_THROW(fbank_statistics(std::make_shared<ConstantAudio>(0), 0, false), Error);
}

namespace {
// Sample i's audio: (1, 128, 40) values drawn from a generator seeded by i (the quick study's shape, where ATen
// splits a batch's sum between threads and the old statistics differed in the last bit).
class RandomAudio : public ConstantAudio {
 public:
  using ConstantAudio::ConstantAudio;
  Sample get(size_t i, std::mt19937_64& rng) const override {
    Sample s = ConstantAudio::get(i, rng);
    auto g = at::make_generator<at::CPUGeneratorImpl>(1000 + i);
    s.audio = torch::randn({1, 128, 40}, g) * 3.0 - 4.0;
    return s;
  }
};
}  // namespace

// The statistics do not depend on LibTorch's thread count: a study on one worker with 2 threads and
// on two workers with one thread each normalises with the same numbers (tests/cli/test_study_workers.sh).
TEST(FbankStats, SameBitsWithOneOrTwoThreads) {
  const int before = torch::get_num_threads();
  torch::set_num_threads(1);
  const auto one = fbank_statistics(std::make_shared<RandomAudio>(120), 0, false);
  torch::set_num_threads(2);
  const auto two = fbank_statistics(std::make_shared<RandomAudio>(120), 2, false);
  torch::set_num_threads(before);
  EXPECT_EQ(one.mean, two.mean);
  EXPECT_EQ(one.std, two.std);
  EXPECT_NEAR(one.mean, -4.0, 0.05);
  EXPECT_NEAR(one.std, 3.0, 0.05);
}
