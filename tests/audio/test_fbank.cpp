// Parity of avtune's two fbanks, kaldi_fbank (ATen, the reference) and fast_fbank (FFTW, the data
// pipeline's), with torchaudio.compliance.kaldi.fbank (fixtures made by
// tests/reference/make_audio_fixtures.py), plus their option checks: every test of the contract runs
// on both implementations.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "../test_support.h"
#include "avtune/audio/audio_file.h"
#include "avtune/audio/fast_fbank.h"
#include "avtune/audio/fbank.h"
#include "avtune/io/weights_file.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {

struct Reference {
  StateDict tensors;
  nlohmann::json cases;
};

// Loaded once; an empty Reference (and a test failure) when the fixtures are missing.
const Reference& reference() {
  static const Reference r = [] {
    Reference out;
    const auto pth = test::fixture("audio/reference.pth");
    const auto json = test::fixture("audio/cases.json");
    if (!std::filesystem::exists(pth) || !std::filesystem::exists(json)) return out;
    out.tensors = load_weights(pth);
    std::ifstream in(json);
    out.cases = nlohmann::json::parse(in);
    return out;
  }();
  return r;
}

const torch::Tensor& ref_tensor(const std::string& key) {
  static const torch::Tensor none;
  const auto* t = reference().tensors.find(key);
  if (!t) {
    ADD_FAILURE() << "reference.pth lacks " << key;
    return none;
  }
  return *t;
}

FbankOptions options_from(const nlohmann::json& j) {
  FbankOptions o;
  for (const auto& [key, v] : j.items()) {
    if (key == "blackman_coeff") o.blackman_coeff = v.get<double>();
    else if (key == "dither") o.dither = v.get<double>();
    else if (key == "energy_floor") o.energy_floor = v.get<double>();
    else if (key == "frame_length") o.frame_length = v.get<double>();
    else if (key == "frame_shift") o.frame_shift = v.get<double>();
    else if (key == "high_freq") o.high_freq = v.get<double>();
    else if (key == "htk_compat") o.htk_compat = v.get<bool>();
    else if (key == "low_freq") o.low_freq = v.get<double>();
    else if (key == "min_duration") o.min_duration = v.get<double>();
    else if (key == "num_mel_bins") o.num_mel_bins = v.get<int64_t>();
    else if (key == "preemphasis_coefficient") o.preemphasis_coefficient = v.get<double>();
    else if (key == "raw_energy") o.raw_energy = v.get<bool>();
    else if (key == "remove_dc_offset") o.remove_dc_offset = v.get<bool>();
    else if (key == "round_to_power_of_two") o.round_to_power_of_two = v.get<bool>();
    else if (key == "sample_frequency") o.sample_frequency = v.get<double>();
    else if (key == "snip_edges") o.snip_edges = v.get<bool>();
    else if (key == "subtract_mean") o.subtract_mean = v.get<bool>();
    else if (key == "use_energy") o.use_energy = v.get<bool>();
    else if (key == "use_log_fbank") o.use_log_fbank = v.get<bool>();
    else if (key == "use_power") o.use_power = v.get<bool>();
    else if (key == "window_type") o.window_type = v.get<std::string>();
    else ADD_FAILURE() << "unknown fbank option in cases.json: " << key;
  }
  return o;
}

// The case's input, through avtune's own reader and channel mixing (so these are end-to-end).
torch::Tensor input_for(const nlohmann::json& c) {
  const AudioClip clip = read_audio(test::fixture("audio/" + c["signal"].get<std::string>() + ".wav"));
  auto wave = c["mix"].is_string() ? to_mono(clip, -1) : to_mono(clip, c["mix"].get<int>());
  if (c["subtract_wave_mean"].get<bool>()) wave = wave - wave.mean();
  return wave;
}

// Log values within e of log(FLT_EPSILON) are sums of rounding noise floored at epsilon: two
// correct implementations may differ there by more than elsewhere.
const double kLogEpsilonLevel = std::log(static_cast<double>(FLT_EPSILON)) + 1.0;

struct Errors {
  double max_abs = 0;        // over values above the floor level (all values for linear outputs)
  double max_abs_floor = 0;  // where both values sit at the log-epsilon level
  double max_rel = 0;        // |a - b| / max(|b|, 1), for linear outputs
  int64_t floor_values = 0;
};

Errors compare(const torch::Tensor& got, const torch::Tensor& want, bool log_output) {
  Errors e;
  auto a = got.to(torch::kDouble), b = want.to(torch::kDouble);
  auto diff = (a - b).abs();
  if (diff.numel() == 0) return e;
  if (log_output) {
    auto floor = (a <= kLogEpsilonLevel) & (b <= kLogEpsilonLevel);
    e.floor_values = floor.sum().item<int64_t>();
    auto zero = torch::zeros_like(diff);
    e.max_abs = torch::where(floor, zero, diff).max().item<double>();
    e.max_abs_floor = torch::where(floor, diff, zero).max().item<double>();
  } else {
    e.max_abs = diff.max().item<double>();
  }
  e.max_rel = (diff / b.abs().clamp_min(1.0)).max().item<double>();
  return e;
}

using FbankFn = torch::Tensor (*)(const torch::Tensor&, const FbankOptions&, c10::optional<at::Generator>);
struct Implementation {
  const char* name;
  FbankFn fn;
};

// Each test below runs once per implementation (test names end in /kaldi and /fast).
class FbankImpl : public ::testing::TestWithParam<Implementation> {
 protected:
  torch::Tensor fbank(const torch::Tensor& wave, const FbankOptions& o,
                      c10::optional<at::Generator> generator = c10::nullopt) const {
    return GetParam().fn(wave, o, generator);
  }
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Fbank, FbankImpl,
                         ::testing::Values(Implementation{"kaldi", &kaldi_fbank}, Implementation{"fast", &fast_fbank}),
                         [](const ::testing::TestParamInfo<Implementation>& i) { return std::string(i.param.name); });

TEST_P(FbankImpl, MatchesTorchaudioForEveryOptionSet) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.cases.contains("fbank")) << "no fbank cases in cases.json";
  const auto& cases = ref.cases["fbank"];
  ASSERT_GE(cases.size(), 50u) << "the reference grid shrank";
  int checked = 0;
  std::printf("%-32s %12s %10s %10s %10s\n", "case", "shape", "max_abs", "at_floor", "max_rel");
  for (const auto& c : cases) {
    if (c.contains("seed")) continue;  // random (dither): Fbank.DitherIsSeededGaussianNoise
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const FbankOptions o = options_from(c["options"]);
    const auto out = fbank(input_for(c), o);
    const auto& want = ref_tensor("fbank." + name);
    ASSERT_TRUE(want.defined());
    ASSERT_EQ(out.sizes(), want.sizes());
    EXPECT_EQ(out.scalar_type(), torch::kFloat);
    EXPECT_EQ(out.size(0), fbank_num_frames(input_for(c).size(0), o));
    const Errors e = compare(out, want, o.use_log_fbank);
    std::printf("%-32s %12s %10.2e %10.2e %10.2e\n", name.c_str(), c10::str(out.sizes()).c_str(), e.max_abs,
                e.max_abs_floor, e.max_rel);
    if (o.use_log_fbank) {
      EXPECT_LE(e.max_abs, 1e-3);
      EXPECT_LE(e.max_abs_floor, 1e-2);
    } else {
      // Linear energies span many decades: hold them to the same 1e-3, relative above 1.
      EXPECT_LE(e.max_rel, 1e-3);
    }
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

TEST_P(FbankImpl, DitherIsSeededGaussianNoise) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.cases.contains("fbank"));
  const nlohmann::json* dither_case = nullptr;
  for (const auto& c : ref.cases["fbank"])
    if (c.contains("seed")) dither_case = &c;
  ASSERT_NE(dither_case, nullptr);
  const auto wave = input_for(*dither_case);
  const FbankOptions o = options_from((*dither_case)["options"]);
  ASSERT_GT(o.dither, 0.0);
  // torchaudio draws from the global generator after torch.manual_seed(seed); a generator seeded
  // alike draws the same numbers.
  auto gen = at::detail::createCPUGenerator((*dither_case)["seed"].get<uint64_t>());
  const auto out = fbank(wave, o, gen);
  const Errors e = compare(out, ref_tensor("fbank.dither_seed123"), true);
  std::printf("dither_seed123: max_abs %.2e, at floor %.2e\n", e.max_abs, e.max_abs_floor);
  EXPECT_LE(e.max_abs, 1e-3);
  EXPECT_LE(e.max_abs_floor, 1e-2);
  // Another seed gives other noise; no dither gives no noise (the silent edges show it most).
  auto other = at::detail::createCPUGenerator(124);
  EXPECT_GT(test::max_abs_diff(fbank(wave, o, other), out), 0.1);
  FbankOptions quiet = o;
  quiet.dither = 0.0;
  EXPECT_GT(test::max_abs_diff(fbank(wave, quiet), out), 0.1);
  EXPECT_TRUE(fbank(wave, quiet).equal(fbank(wave, quiet)));
}

TEST(Fbank, WindowsMatchTorchaudio) {
  for (const std::string w : {"hamming", "hanning", "povey", "rectangular", "blackman"}) {
    SCOPED_TRACE(w);
    const auto& want = ref_tensor("window." + w);
    ASSERT_TRUE(want.defined());
    const auto got = kaldi_window(w, 400, 0.42);
    ASSERT_EQ(got.sizes(), want.sizes());
    EXPECT_LE(test::max_abs_diff(got, want), 1e-6);
  }
  // Kaldi's "povey" window reaches zero at both ends; "hanning" is symmetric.
  const auto povey = kaldi_window("povey", 400);
  EXPECT_EQ(povey[0].item<float>(), 0.0f);
  EXPECT_EQ(povey[399].item<float>(), 0.0f);
}

TEST(Fbank, MelBanksMatchTorchaudio) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.cases.contains("melbanks"));
  for (const auto& m : ref.cases["melbanks"]) {
    const std::string name = m["name"];
    SCOPED_TRACE(name);
    const auto banks = kaldi_mel_banks(m["num_bins"].get<int64_t>(), m["padded"].get<int64_t>(),
                                       m["sample_frequency"].get<double>(), m["low_freq"].get<double>(),
                                       m["high_freq"].get<double>());
    const auto& want = ref_tensor("melbank." + name);
    ASSERT_TRUE(want.defined());
    const int64_t padded = m["padded"];
    ASSERT_EQ(banks.sizes(), (std::vector<int64_t>{m["num_bins"].get<int64_t>(), padded / 2 + 1}));
    // torchaudio returns padded/2 columns and pads the (zero-weight) Nyquist column itself.
    EXPECT_LE(test::max_abs_diff(banks.slice(1, 0, padded / 2), want), 1e-6);
    EXPECT_EQ(banks.select(1, padded / 2).abs().max().item<float>(), 0.0f);
  }
}

TEST(Fbank, PaperOptionsAreSection6) {
  const FbankOptions p = paper_fbank_options();
  EXPECT_TRUE(p.htk_compat);
  EXPECT_EQ(p.window_type, "hanning");
  EXPECT_EQ(p.num_mel_bins, 128);
  EXPECT_EQ(p.dither, 0.0);
  EXPECT_FALSE(p.use_energy);
  EXPECT_EQ(p.frame_length, 25.0);
  EXPECT_EQ(p.frame_shift, 10.0);
  EXPECT_EQ(p.sample_frequency, 16000.0);
  // torchaudio's defaults everywhere else.
  EXPECT_EQ(p.energy_floor, 1.0);
  EXPECT_TRUE(p.snip_edges);
  EXPECT_EQ(p.preemphasis_coefficient, 0.97);
  EXPECT_EQ(p.low_freq, 20.0);
  EXPECT_EQ(p.high_freq, 0.0);
  const FbankOptions d;
  EXPECT_EQ(d.window_type, "povey");
  EXPECT_EQ(d.num_mel_bins, 23);
  const auto g = fbank_geometry(d);
  EXPECT_EQ(g.window_size, 400);
  EXPECT_EQ(g.window_shift, 160);
  EXPECT_EQ(g.padded_window_size, 512);
}

TEST_P(FbankImpl, FrameCountsFollowKaldi) {
  FbankOptions o;
  EXPECT_EQ(fbank_num_frames(400, o), 1);
  EXPECT_EQ(fbank_num_frames(559, o), 1);
  EXPECT_EQ(fbank_num_frames(560, o), 2);
  EXPECT_EQ(fbank_num_frames(16000, o), 98);
  o.snip_edges = false;  // round(n / shift)
  EXPECT_EQ(fbank_num_frames(16000, o), 100);
  EXPECT_EQ(fbank_num_frames(16079, o), 100);
  EXPECT_EQ(fbank_num_frames(16080, o), 101);
  const auto wave = torch::randn({16080});
  EXPECT_EQ(fbank(wave, o).size(0), 101);
}

TEST_P(FbankImpl, ShortSignalsAreRefusedOrEmptyAsInTorchaudio) {
  // Shorter than one window: torchaudio asserts, whatever snip_edges says.
  for (bool snip : {true, false}) {
    FbankOptions o;
    o.snip_edges = snip;
    try {
      fbank(torch::zeros({399}), o);
      ADD_FAILURE() << "no error for a 399-sample signal";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("400 samples"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("399 samples"), std::string::npos) << e.what();
    }
  }
  // Below min_duration: no frames, the column count kept.
  FbankOptions o;
  o.min_duration = 1.0;
  o.use_energy = true;
  const auto out = fbank(torch::randn({15999}), o);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{0, 24}));
  EXPECT_EQ(fbank(torch::randn({16000}), o).size(0), 98);
}

TEST_P(FbankImpl, RejectsBadOptionsClearly) {
  const auto wave = torch::randn({16000});
  auto expect_error = [&](const FbankOptions& o, const std::string& needle) {
    try {
      fbank(wave, o);
      ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("fbank: expected"), std::string::npos) << e.what();
    }
  };
  FbankOptions o;
  o.window_type = "kaiser";
  expect_error(o, "'kaiser'");
  o = {};
  o.vtln_warp = 0.9;
  expect_error(o, "vtln_warp");
  o = {};
  o.num_mel_bins = 3;
  expect_error(o, "num_mel_bins");
  o = {};
  o.high_freq = 9000;
  expect_error(o, "high_freq 9000");
  o = {};
  o.low_freq = 5000;
  o.high_freq = 4000;
  expect_error(o, "low_freq 5000");
  o = {};
  o.preemphasis_coefficient = 1.5;
  expect_error(o, "preemphasis_coefficient");
  o = {};
  o.frame_shift = 0.05;  // under one sample at 16 kHz
  expect_error(o, "frame_shift");
  o = {};
  o.frame_length = 0.1;
  expect_error(o, "frame_length");
  o = {};
  o.energy_floor = -1;
  expect_error(o, "energy_floor");
  o = {};
  o.sample_frequency = 0;
  expect_error(o, "sample_frequency");
  o = {};
  o.round_to_power_of_two = false;
  o.frame_length = 25.0625;  // 401 samples: an odd FFT length
  expect_error(o, "even FFT length");
  try {
    fbank(torch::randn({2, 16000}), FbankOptions{});
    ADD_FAILURE() << "no error for a 2-D input";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1-D"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fbank(torch::zeros({16000}, torch::kShort), FbankOptions{}), Error);
}

TEST_P(FbankImpl, AcceptsDoubleInputAndReturnsFloat) {
  const auto wave = torch::randn({8000}, torch::kDouble) * 0.1;
  const auto a = fbank(wave, FbankOptions{});
  const auto b = fbank(wave.to(torch::kFloat), FbankOptions{});
  EXPECT_EQ(a.scalar_type(), torch::kFloat);
  EXPECT_TRUE(a.equal(b));
}
