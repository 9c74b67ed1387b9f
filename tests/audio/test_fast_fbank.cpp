// What fast_fbank adds to the contract test_fbank.cpp checks on both fbanks: the rows written into
// a caller's buffer, plans shared by threads, and the exact path for ill-conditioned frames.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "../test_support.h"
#include "avtune/audio/fast_fbank.h"
#include "avtune/audio/fbank.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {

torch::Tensor speech_like(int64_t n, uint64_t seed) {
  // Noise shaped by a slow envelope: loud and quiet frames, no ill-conditioned bins to speak of.
  auto gen = at::detail::createCPUGenerator(seed);
  auto t = torch::arange(n, torch::kFloat) / 16000.0;
  return torch::randn({n}, gen) * 0.1 * (torch::sin(t * 3.0).abs() + 0.05);
}

}  // namespace

TEST(FastFbank, IntoWritesTheFirstRowsCutAndNormalised) {
  const auto wave = speech_like(48000, 1);
  const FbankOptions o = paper_fbank_options();
  const auto full = fast_fbank(wave, o);
  ASSERT_EQ(full.size(0), 298);
  const float shift = -4.5f, div = 10.25f;
  std::vector<float> buf(100 * 130, -1.0f);
  EXPECT_EQ(fast_fbank_into(wave.data_ptr<float>(), wave.size(0), o, 100, buf.data(), 130, shift, div), 100);
  const auto got = torch::from_blob(buf.data(), {100, 130}, torch::kFloat);
  // The same float operations as normalize_fbank, so the same bits.
  EXPECT_TRUE(got.slice(1, 0, 128).equal((full.slice(0, 0, 100) - shift) / div));
  EXPECT_EQ(got.slice(1, 128).eq(-1.0f).all().item<bool>(), true);  // the row stride is respected
  // More room than frames: every frame, and the count.
  std::vector<float> all(400 * 128);
  EXPECT_EQ(fast_fbank_into(wave.data_ptr<float>(), wave.size(0), o, 400, all.data(), 128), 298);
  EXPECT_TRUE(torch::from_blob(all.data(), {298, 128}, torch::kFloat).equal(full));
  // Options that need every frame (or the generator) are refused, naming them.
  FbankOptions d = o;
  d.dither = 1.0;
  EXPECT_NE(test::error_of([&] { fast_fbank_into(wave.data_ptr<float>(), 48000, d, 10, all.data(), 128); }).find("dither"),
            std::string::npos);
  d = o;
  d.subtract_mean = true;
  EXPECT_NE(test::error_of([&] { fast_fbank_into(wave.data_ptr<float>(), 48000, d, 10, all.data(), 128); })
                .find("subtract_mean"),
            std::string::npos);
}

// The benchmark's stages (avtune bench fbank): every frame at every stage, the options checked as
// fast_fbank_into checks them, and the full stage leaves the results of later calls unchanged.
TEST(FastFbank, StagesCoverEveryFrameAndCheckTheOptions) {
  const auto wave = speech_like(48000, 2);
  for (const double rate : {16000.0, 44100.0}) {
    const FbankOptions o = paper_fbank_options(rate);
    const auto frames = fast_fbank(wave, o).size(0);
    for (const FbankStage stage : {FbankStage::kPrepare, FbankStage::kDft, FbankStage::kAll})
      EXPECT_EQ(fast_fbank_stages(wave.data_ptr<float>(), wave.size(0), o, stage), frames) << rate;
    FbankOptions d = o;
    d.dither = 1.0;
    EXPECT_NE(test::error_of([&] { fast_fbank_stages(wave.data_ptr<float>(), 48000, d, FbankStage::kDft); }).find("dither"),
              std::string::npos);
    EXPECT_NE(test::error_of([&] { fast_fbank_stages(wave.data_ptr<float>(), 100, o, FbankStage::kAll); }).find("window"),
              std::string::npos);
  }
  // Stopping early leaves the per-thread scratch fit for the next full call.
  const FbankOptions o = paper_fbank_options();
  const auto before = fast_fbank(wave, o);
  fast_fbank_stages(wave.data_ptr<float>(), wave.size(0), o, FbankStage::kPrepare);
  fast_fbank_stages(wave.data_ptr<float>(), wave.size(0), o, FbankStage::kDft);
  EXPECT_TRUE(fast_fbank(wave, o).equal(before));
}

TEST(FastFbank, ThreadsSharePlansAndGiveTheSameRows) {
  // Two geometries (512- and 1024-point FFTs) from four threads at once, against one thread.
  FbankOptions a = paper_fbank_options(), b = paper_fbank_options(22050.0);
  b.num_mel_bins = 64;
  b.use_energy = true;
  std::vector<torch::Tensor> waves;
  for (uint64_t s = 0; s < 8; ++s) waves.push_back(speech_like(16000 + 1000 * s, 10 + s));
  std::vector<torch::Tensor> want;
  for (size_t i = 0; i < waves.size(); ++i) want.push_back(fast_fbank(waves[i], i % 2 ? b : a));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep)
        for (size_t i = 0; i < waves.size(); ++i)
          if (!fast_fbank(waves[(i + t) % waves.size()], (i + t) % 2 ? b : a).equal(want[(i + t) % waves.size()]))
            ++mismatches[t];
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(FastFbank, IllConditionedFramesFollowKaldiFbankExactly) {
  // A pure tone: far from it the window's leakage sits ~100 dB down, where float rounding decides
  // the values and FFTW and torchaudio's FFT disagree by up to 1e-2. Those frames take kaldi_fbank's
  // operations, so the result is kaldi_fbank's up to the mel sum's order and the log.
  const auto t = torch::arange(32000, torch::kDouble) / 16000.0;
  const auto tone = (torch::sin(t * (2 * M_PI * 1000.0)) * 0.5).to(torch::kFloat);
  const FbankOptions o = paper_fbank_options();
  EXPECT_LE(test::max_abs_diff(fast_fbank(tone, o), kaldi_fbank(tone, o)), 1e-5);
  // On noise, the fast path itself: float rounding apart only.
  const auto noise = speech_like(32000, 3);
  const double d = test::max_abs_diff(fast_fbank(noise, o), kaldi_fbank(noise, o));
  EXPECT_GT(d, 0.0);
  EXPECT_LE(d, 1e-3);
}

TEST(FastFbank, EveryFftLengthOfTheBlockedPathMatchesKaldiFbank) {
  // The blocked path (FFTW per frame, then the split and mel filters with frames in SIMD lanes)
  // at every length from 32 to 4096 points, frame counts that leave a partial last block, and both
  // edge modes: within the parity tolerance of kaldi_fbank (ATen's FFT) everywhere.
  for (const double rate : {1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 32000.0, 64000.0, 128000.0}) {
    for (const bool snip : {true, false}) {
      FbankOptions o = paper_fbank_options(rate);
      o.num_mel_bins = 23;
      o.snip_edges = snip;
      o.use_energy = !snip;
      const auto wave = speech_like(static_cast<int64_t>(rate * 0.37), 20 + static_cast<uint64_t>(rate));
      const auto fast = fast_fbank(wave, o), ref = kaldi_fbank(wave, o);
      ASSERT_EQ(fast.sizes(), ref.sizes()) << rate;
      EXPECT_NE(fast.size(0) % 8, 0) << rate;
      EXPECT_LE(test::max_abs_diff(fast, ref), 1e-3) << "rate " << rate << " snip_edges " << snip;
    }
  }
}
