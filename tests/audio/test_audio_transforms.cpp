// The paper's audio input: fixed length, normalisation, SpecAugment and the whole loader, against
// torchaudio-based references.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>

#include "../test_support.h"
#include "avtune/audio/audio_file.h"
#include "avtune/audio/audio_transforms.h"
#include "audio_reference.h"
#include "avtune/io/weights_file.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {

using test::error_of;

}  // namespace

TEST(AudioTransforms, PadOrCutAppendsZerosOrKeepsTheStart) {
  const auto x = torch::arange(15, torch::kFloat).reshape({5, 3}) + 1;
  const auto padded = pad_or_cut(x, 8);
  EXPECT_EQ(padded.sizes(), (std::vector<int64_t>{8, 3}));
  EXPECT_TRUE(padded.slice(0, 0, 5).equal(x));
  EXPECT_EQ(padded.slice(0, 5).abs().sum().item<float>(), 0.0f);
  const auto cut = pad_or_cut(x, 2);
  EXPECT_TRUE(cut.equal(x.slice(0, 0, 2)));
  EXPECT_TRUE(pad_or_cut(x, 5).equal(x));
  // A copy, not a view: editing it leaves the input alone.
  auto c = pad_or_cut(x, 2);
  c.zero_();
  EXPECT_EQ(x[0][0].item<float>(), 1.0f);
  EXPECT_NE(error_of([&] { pad_or_cut(x, 0); }), "no error");
  EXPECT_NE(error_of([&] { pad_or_cut(x.unsqueeze(0), 4); }).find("[frames, bins]"), std::string::npos);
}

TEST(AudioTransforms, NormalizeDividesByTwiceTheStd) {
  EXPECT_EQ(kKineticsSoundsFbankMean, -4.503877);
  EXPECT_EQ(kKineticsSoundsFbankStd, 5.141276);
  const auto x = torch::tensor({-4.503877f, 0.0f, 5.778675f});
  const auto y = normalize_fbank(x);
  EXPECT_NEAR(y[0].item<float>(), 0.0, 1e-7);
  EXPECT_NEAR(y[1].item<float>(), 4.503877 / (2 * 5.141276), 1e-6);
  EXPECT_NEAR(y[2].item<float>(), (5.778675 + 4.503877) / (2 * 5.141276), 1e-6);
  EXPECT_NEAR(normalize_fbank(torch::tensor({3.0f}), 1.0, 0.5)[0].item<float>(), 2.0, 1e-7);
  EXPECT_NE(error_of([&] { normalize_fbank(x, 0.0, 0.0); }), "no error");
}

TEST(AudioTransforms, SpecAugmentMatchesTorchaudioMasks) {
  const auto* input = test::audio_reference().find("specaug.input");
  ASSERT_NE(input, nullptr) << "reference.pth lacks specaug.input";
  int masked_some = 0;
  for (int seed = 0; seed < 5; ++seed) {
    SCOPED_TRACE(seed);
    const auto* want = test::audio_reference().find("specaug.seed" + std::to_string(seed));
    ASSERT_NE(want, nullptr);
    at::Generator gen = at::detail::createCPUGenerator(seed);
    const auto got = spec_augment(*input, 15, 64, gen);
    ASSERT_EQ(got.sizes(), want->sizes());
    EXPECT_TRUE(got.equal(*want)) << "max diff " << test::max_abs_diff(got, *want);
    if (!got.equal(*input)) ++masked_some;
  }
  EXPECT_GE(masked_some, 4);  // the comparison is not trivially input == input
}

TEST(AudioTransforms, SpecAugmentMasksWholeBandsAndFrames) {
  auto x = torch::ones({200, 64});
  at::Generator gen = at::detail::createCPUGenerator(11);
  for (int trial = 0; trial < 20; ++trial) {
    const auto y = spec_augment(x, 15, 64, gen);
    const auto zero_cols = (y == 0).all(0).sum().item<int64_t>();  // frequency bins masked on every frame
    const auto zero_rows = (y == 0).all(1).sum().item<int64_t>();  // frames masked on every bin
    EXPECT_LT(zero_cols, 15);
    EXPECT_LT(zero_rows, 64);
    // Every zero lies in a masked band or a masked frame: nothing else was touched.
    const auto in_band = (y == 0).all(0).unsqueeze(0) | (y == 0).all(1).unsqueeze(1);
    EXPECT_TRUE(((y == 0) == in_band).all().item<bool>());
  }
  EXPECT_TRUE(spec_augment(x, 0, 0, gen).equal(x));
  EXPECT_EQ(x.sum().item<float>(), 200.0f * 64);  // input untouched
}

TEST(AudioTransforms, LoadFbankInputMatchesTheReferenceLoader) {
  const auto* want = test::audio_reference().find("pipeline.speech");
  ASSERT_NE(want, nullptr) << "reference.pth lacks pipeline.speech";
  const auto got = load_fbank_input(test::fixture("audio/speech.wav"));
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{1, 1024, 128}));
  ASSERT_EQ(want->sizes(), (std::vector<int64_t>{1024, 128}));
  // Errors on the log scale shrink by 2*std after normalisation; hold them to the log-scale bound
  // scaled the same way, with the log-epsilon floor (silent frames) at the looser one.
  const auto diff = (got[0].to(torch::kDouble) - want->to(torch::kDouble)).abs();
  const double floor_level = (std::log(double(FLT_EPSILON)) + 1.0 - kKineticsSoundsFbankMean) / (2 * kKineticsSoundsFbankStd);
  const auto at_floor = (got[0] <= floor_level) & (*want <= floor_level);
  const double scale = 2 * kKineticsSoundsFbankStd;
  const double max_abs = torch::where(at_floor, torch::zeros_like(diff), diff).max().item<double>();
  const double max_floor = torch::where(at_floor, diff, torch::zeros_like(diff)).max().item<double>();
  std::printf("pipeline.speech: max_abs %.2e (log scale %.2e), at floor %.2e\n", max_abs, max_abs * scale, max_floor * scale);
  EXPECT_LE(max_abs * scale, 1e-3);
  EXPECT_LE(max_floor * scale, 1e-2);
  // The 5.6 s clip fills 558 frames; the rest is zero padding, normalised.
  const double pad_value = (0.0 - kKineticsSoundsFbankMean) / (2 * kKineticsSoundsFbankStd);
  EXPECT_NEAR(got[0][1023][0].item<float>(), pad_value, 1e-6);
}

TEST(AudioTransforms, LoadFbankInputResamplesAndCuts) {
  // The 22.05 kHz original of the sentence, resampled by libsoxr, against the reference loader on
  // the torchaudio-resampled 16 kHz file: different resamplers, so compare loosely below 7 kHz.
  const auto* want = test::audio_reference().find("pipeline.speech");
  ASSERT_NE(want, nullptr);
  const auto got = load_fbank_input(test::fixture("audio/speech_22k.wav"));
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{1, 1024, 128}));
  const auto a = got[0].slice(0, 0, 558).slice(1, 0, 110), b = want->slice(0, 0, 558).slice(1, 0, 110);
  const auto loud = b > 0.0;  // well above the floor
  const double mean_err = ((a - b).abs() * loud).sum().item<double>() / loud.sum().item<double>();
  std::printf("speech_22k via soxr vs torchaudio resample: mean abs error %.3e over %lld loud values\n", mean_err,
              static_cast<long long>(loud.sum().item<int64_t>()));
  EXPECT_LT(mean_err, 0.01);

  AudioInputOptions o;
  o.target_frames = 100;
  o.normalize = false;
  const auto cut = load_fbank_input(test::fixture("audio/speech.wav"), o);
  EXPECT_EQ(cut.sizes(), (std::vector<int64_t>{1, 100, 128}));
  const auto full = load_fbank_input(test::fixture("audio/speech.wav"));
  EXPECT_TRUE(normalize_fbank(cut[0]).equal(full[0].slice(0, 0, 100)));
}

TEST(AudioTransforms, LoadFbankInputNamesTheFileOnErrors) {
  test::TempDir d;
  const auto short_wav = d.file("short.wav");
  write_wav16(short_wav, torch::zeros({100}), 16000);  // shorter than one 400-sample window
  std::string msg = error_of([&] { load_fbank_input(short_wav); });
  EXPECT_NE(msg.find(short_wav), std::string::npos) << msg;
  EXPECT_NE(msg.find("100 samples"), std::string::npos) << msg;
  msg = error_of([&] { load_fbank_input(d.file("missing.wav")); });
  EXPECT_NE(msg.find("missing.wav"), std::string::npos) << msg;
}
