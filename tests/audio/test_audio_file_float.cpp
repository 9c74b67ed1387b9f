// Float and high-resolution WAV files against torchaudio 0.13's reader and the reference loader
// (tests/reference/make_fidelity_fixtures.py): float samples go through int32 (clipped to [-1, 1],
// rounded to 2^-24) by default; keep_float_samples keeps the stored values.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "avtune/audio/audio_file.h"
#include "avtune/audio/audio_transforms.h"
#include "avtune/io/weights_file.h"
#include "../test_support.h"

using namespace avtune;

namespace {

const StateDict& fidelity_audio() {
  static const StateDict sd = [] {
    const auto p = test::fixture("fidelity/audio/reference.pth");
    return std::filesystem::exists(p) ? load_weights(p) : StateDict{};
  }();
  return sd;
}

std::string wav(const std::string& name) { return test::fixture("fidelity/audio/" + name + ".wav"); }

const char* kFiles[] = {"pcm16", "pcm24", "pcm32", "float32", "float64", "float32_quiet"};

}  // namespace

TEST(AudioFileFloat, ReadsWhatTorchaudioReads) {
  const auto& ref = fidelity_audio();
  ASSERT_FALSE(ref.empty());
  for (const std::string name : kFiles) {
    const auto clip = read_audio(wav(name));
    EXPECT_EQ(clip.sample_rate, 16000) << name;
    const auto& want = ref.at("wave." + name);
    ASSERT_EQ(clip.samples.sizes(), want.sizes()) << name;
    EXPECT_TRUE(torch::equal(clip.samples, want)) << name << ": max diff " << test::max_abs_diff(clip.samples, want);
  }
  // The loud float files are clipped at +-1, as torchaudio returns them.
  EXPECT_EQ(read_audio(wav("float32")).samples.abs().max().item<float>(), 1.0f);
}

TEST(AudioFileFloat, KeepFloatSamplesReadsTheStoredValues) {
  const auto& ref = fidelity_audio();
  ASSERT_FALSE(ref.empty());
  AudioReadOptions keep;
  keep.keep_float_samples = true;
  for (const std::string name : {"float32", "float64", "pcm16", "pcm24"}) {
    const auto clip = read_audio(wav(name), keep);
    EXPECT_LE(test::max_abs_diff(clip.samples, ref.at("stored." + name)), name == "float64" ? 1e-7 : 0.0) << name;
  }
  EXPECT_NEAR(read_audio(wav("float32"), keep).samples.abs().max().item<float>(), 1.74f, 1e-5);
}

TEST(AudioFileFloat, ThePaperInputMatchesTheReferenceLoader) {
  const auto& ref = fidelity_audio();
  ASSERT_FALSE(ref.empty());
  for (const std::string name : kFiles) {
    const auto got = load_fbank_input(wav(name))[0];
    EXPECT_LE(test::max_abs_diff(got, ref.at("pipeline." + name)), 1e-3) << name;
  }
  // With the stored floats, the loud file's features are far from the reference's (the old behaviour),
  // and match what the reference loader gives on those stored values.
  AudioInputOptions keep;
  keep.keep_float_samples = true;
  const auto old = load_fbank_input(wav("float32"), keep)[0];
  EXPECT_GT(test::max_abs_diff(old, ref.at("pipeline.float32")), 0.1);
  EXPECT_LE(test::max_abs_diff(old, ref.at("pipeline_stored.float32")), 1e-3);
}

TEST(AudioFileFloat, SoxConversionRules) {
  for (bool f32 : {true, false}) {
    EXPECT_EQ(sox_float_sample(1.74, f32), 1.0f);
    EXPECT_EQ(sox_float_sample(-1.74, f32), -1.0f);
    EXPECT_EQ(sox_float_sample(1.0, f32), 1.0f);
    EXPECT_EQ(sox_float_sample(0.5, f32), 0.5f);
    EXPECT_EQ(sox_float_sample(1e-9, f32), 0.0f);  // below 2^-25: 0
    EXPECT_EQ(sox_float_sample(std::numeric_limits<double>::quiet_NaN(), f32), 0.0f);
  }
  EXPECT_EQ(sox_float_sample(static_cast<double>(0.123456789f), true), 0.12345677614212036f);  // torchaudio's value
  EXPECT_EQ(sox_int32_sample(std::numeric_limits<int32_t>::max()), 1.0f);
  EXPECT_EQ(sox_int32_sample(std::numeric_limits<int32_t>::min()), -1.0f);
  EXPECT_EQ(sox_int32_sample(1 << 16), 1.0f / 32768);
}
