#include "avtune/run/fbank_bench.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "avtune/audio/audio_file.h"
#include "avtune/audio/fast_fbank.h"
#include "avtune/audio/fbank.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {
namespace fs = std::filesystem;

constexpr int kSpokenRate = 22050;  // espeak-ng's output rate
constexpr double kClipSeconds = 10.0;

// Read aloud, looped as often as the clips need.
constexpr const char* kText =
    "The input pipeline reads a short sound file, turns it into a picture of its frequencies over "
    "time, and hands that picture to the network together with three frames of the video. "
    "When the network trains on a fast accelerator, every step waits for these pictures, so the "
    "work of making them decides how fast training can go. This recording exists to measure that "
    "work: a few sentences, spoken at an ordinary pace, with the pauses and the changes of pitch "
    "that real speech has. Nothing in it matters but its sound.";

std::string clip_path(const FbankBenchConfig& c, const std::string& kind, int i) {
  return (fs::path(c.dir) / (kind + "_" + std::to_string(i) + ".wav")).string();
}

// CPU time of the calling thread (user + system): on one thread, the cost of the work itself, which
// other processes on a shared machine do not inflate as they inflate the wall clock.
double thread_cpu_ms() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

// ms per clip, best of `repeats` passes: thread CPU time on one thread, wall time on several.
double best_ms_per_clip(const std::function<void(int)>& run_clip, int clips, int repeats, int threads) {
  auto pass = [&] {
    if (threads <= 1) {
      const double t0 = thread_cpu_ms();
      for (int i = 0; i < clips; ++i) run_clip(i);
      return (thread_cpu_ms() - t0) / clips;
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        for (int i = t; i < clips; i += threads) run_clip(i);
      });
    for (auto& th : pool) th.join();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / clips;
  };
  pass();  // warm-up: plans, tables, caches
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) best = std::min(best, pass());
  return best;
}

}  // namespace

void write_fbank_bench_clips(const FbankBenchConfig& c) {
  if (c.clips < 1) fail("bench", "--clips >= 1", std::to_string(c.clips));
  fs::create_directories(c.dir);
  const auto text = (fs::path(c.dir) / "speech.txt").string(), spoken = (fs::path(c.dir) / "speech.wav").string();
  std::ofstream(text) << kText << "\n";
  const std::string cmd = "espeak-ng -v en-us -s 165 -w '" + spoken + "' -f '" + text + "' > /dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0 || !fs::exists(spoken))
    fail("bench", "the espeak-ng program to speak the benchmark clips (Debian package espeak-ng)", "'" + cmd + "' failed");
  const AudioClip speech = read_audio(spoken);
  if (speech.sample_rate != kSpokenRate)
    fail("bench", "espeak-ng speech at " + std::to_string(kSpokenRate) + " Hz", std::to_string(speech.sample_rate) + " Hz");
  auto wave = to_mono(speech);
  const auto len = static_cast<int64_t>(kClipSeconds * kSpokenRate);
  const int64_t need = len * c.clips;
  wave = wave.repeat({(need + wave.size(0) - 1) / wave.size(0)}).slice(0, 0, need);
  for (int i = 0; i < c.clips; ++i) {
    const auto piece = wave.slice(0, i * len, (i + 1) * len);
    write_wav16(clip_path(c, "speech22k", i), piece, kSpokenRate);
    write_wav16(clip_path(c, "speech16k", i), resample(piece, kSpokenRate, 16000), 16000);
    const auto left = resample(piece, kSpokenRate, 44100);
    const int64_t delay = 132;  // 3 ms
    const auto right = torch::cat({torch::zeros({delay}), left.slice(0, 0, left.size(0) - delay)}) * 0.8;
    write_wav16(clip_path(c, "stereo44k", i), torch::stack({left, right}), 44100);
  }
}

std::vector<FbankBenchRow> bench_fbank(const FbankBenchConfig& c) {
  std::vector<torch::Tensor> s16, s44, s22;
  for (int i = 0; i < c.clips; ++i) {
    s16.push_back(read_audio(clip_path(c, "speech16k", i)).samples[0].contiguous());
    s44.push_back(read_audio(clip_path(c, "stereo44k", i)).samples.contiguous());
    s22.push_back(read_audio(clip_path(c, "speech22k", i)).samples[0].contiguous());
  }
  const FbankOptions o16 = paper_fbank_options(16000.0), o44 = paper_fbank_options(44100.0);
  // Each input's clip i made mono at its fbank rate (the mixing and resampling are timed with it).
  auto mono = [&](const std::string& input, int i) {
    if (input == "44k_stereo") return s44[i].mean(0);
    if (input == "22k_to_16k") return resample(s22[i], kSpokenRate, 16000);
    return s16[i];
  };
  auto options = [&](const std::string& input) -> const FbankOptions& { return input == "44k_stereo" ? o44 : o16; };
  using Fbank = torch::Tensor (*)(const torch::Tensor&, const FbankOptions&, c10::optional<at::Generator>);
  auto time = [&](Fbank fbank, const std::string& input) {
    return best_ms_per_clip([&](int i) { fbank(mono(input, i), options(input), c10::nullopt); }, c.clips, c.repeats,
                            c.threads);
  };
  // The fbank's own stages on the mono clips, made once.
  auto stages = [&](const std::string& input, FbankBenchRow& r) {
    std::vector<torch::Tensor> waves;
    for (int i = 0; i < c.clips; ++i) waves.push_back(mono(input, i).contiguous());
    auto upto = [&](FbankStage stage) {
      return best_ms_per_clip(
          [&](int i) { r.frames = fast_fbank_stages(waves[i].data_ptr<float>(), waves[i].size(0), options(input), stage); },
          c.clips, c.repeats, 1);
    };
    const double prepare = upto(FbankStage::kPrepare), dft = upto(FbankStage::kDft), all = upto(FbankStage::kAll);
    r.prepare_ms = prepare;
    r.dft_ms = dft - prepare;
    r.rest_ms = all - dft;
    r.stages_ms = all;
  };
  std::vector<FbankBenchRow> rows;
  for (const std::string input : {"16k", "44k_stereo", "22k_to_16k"}) {
    FbankBenchRow r;
    r.input = input;
    r.fast_ms = time(&fast_fbank, input);
    r.kaldi_ms = time(&kaldi_fbank, input);
    if (c.threads <= 1) stages(input, r);
    rows.push_back(r);
  }
  return rows;
}

}  // namespace avtune
