// avtune bench model|train|fbank: avtune's speed, optionally side by side with the PyTorch reference
// run in the same invocation, on the same machine and inputs, with the same thread count.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <torch/torch.h>
#include <vector>

#include "avtune/run/fbank_bench.h"
#include "avtune/run/pipeline_bench.h"
#include "avtune/run/throughput.h"
#include "avtune/train/precision.h"
#include "avtune/util/error.h"
#include "avtune/util/runtime.h"
#include "cli_common.h"

namespace avtune::cli {

namespace {
namespace fs = std::filesystem;

constexpr const char* kScriptsEnv = "AVTUNE_BENCH_SCRIPTS";

// The PyTorch reference scripts ship beside the binary, not at a path compiled into it: the build
// tree copies them to <build>/share/avtune/bench, an install puts them in <prefix>/share/avtune/bench.
// $AVTUNE_BENCH_SCRIPTS (e.g. <source>/bench), when set, is searched first.
std::string find_bench_script(const std::string& name) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv(kScriptsEnv); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path() / "share" / "avtune" / "bench");         // build tree
    dirs.push_back(exe.parent_path() / ".." / "share" / "avtune" / "bench");  // <prefix>/bin -> <prefix>/share
  }
  std::string tried;
  for (const auto& d : dirs) {
    const fs::path p = (d / name).lexically_normal();
    if (fs::is_regular_file(p)) return p.string();
    tried += (tried.empty() ? "" : ", ") + p.string();
  }
  fail("bench", std::string("the reference script ") + name + " (set " + kScriptsEnv + " to the folder holding it, e.g. <source>/bench)",
       "not found; looked in " + (tried.empty() ? std::string("no folder") : tried));
}

struct ModelBench {
  StepBenchConfig c;
  bool reference = false;
  std::string python = AVTUNE_REFERENCE_PYTHON;
};
struct TrainBench {
  EndToEndBenchConfig e;
  bool reference = false;
  std::string python = AVTUNE_REFERENCE_PYTHON;
};
struct FbankBench {
  FbankBenchConfig c;
  bool reference = false;
  std::string python = AVTUNE_REFERENCE_PYTHON;
};
struct PipelineBench {
  PipelineBenchConfig c;
  bool reference = false;
  std::string python = AVTUNE_REFERENCE_PYTHON;
};

// Runs a reference script and returns the JSON object on the last line of its output.
nlohmann::json run_json_command(const std::string& cmd, const std::string& what) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) fail("bench", "the PyTorch reference to start", cmd);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = pclose(p);
  // The last line, a JSON object (which may nest others).
  const size_t end = out.find_last_not_of(" \r\n");
  size_t brace = end == std::string::npos ? std::string::npos : out.rfind('\n', end);
  brace = brace == std::string::npos ? 0 : brace + 1;
  if (end == std::string::npos || out[brace] != '{') brace = std::string::npos;
  if (rc != 0 || brace == std::string::npos)
    fail("bench", "the PyTorch reference (" + what + ") to succeed", "exit status " + std::to_string(rc) + ": " + out);
  return nlohmann::json::parse(out.substr(brace));
}

nlohmann::json run_reference(const StepBenchConfig& c, int threads, const std::string& python, const std::string& script,
                             const std::string& device) {
  return run_json_command(
      fmt::format("'{}' '{}' --depth {} --width {} --batch {} --audio-frames {} --mel-bins {} --clip-frames {} "
                  "--image-size {} --classes {} --warmup {} --steps {} --threads {} --seed {} --device {} --precision {}",
                  python, script, c.depth, c.width, c.batch, c.audio_frames, c.mel_bins, c.clip_frames, c.image_size,
                  c.classes, c.warmup, c.steps, threads, c.seed, device, c.precision),
      python + " with torch and torchvision");
}

nlohmann::json run_e2e_reference(const EndToEndBenchConfig& c, int threads, const std::string& python,
                                 const std::string& script, const std::string& device) {
  return run_json_command(
      fmt::format("'{}' '{}' --root '{}' --depth {} --width {} --batch {} --audio-frames {} --mel-bins {} --clip-frames {} "
                  "--image-size {} --workers {} --warmup {} --steps {} --threads {} --seed {} --device {} --precision {}",
                  python, script, c.root, c.depth, c.width, c.batch, c.audio_frames, c.mel_bins, c.clip_frames,
                  c.image_size, c.workers, c.warmup, c.steps, threads, c.seed, device, c.precision),
      python + " with torch, torchaudio, torchvision and PIL");
}
// --threads (global) counts clips computed at once, 1 unless given: the target is per thread. Each
// clip is one thread's work, so ATen's own pool stays at one thread (with N, N clips' tensor work
// would share N threads N ways: 44.1 kHz clips took twice as long with 2).
void bench_fbank_command(FbankBench& b, GlobalOptions& g) {
  b.c.threads = g.threads > 0 ? g.threads : 1;
  torch::set_num_threads(1);
  const std::string script = b.reference ? find_bench_script("reference_fbank.py") : "";
  const fs::path dir = fs::temp_directory_path() / ("avtune-bench-fbank-" + std::to_string(::getpid()));
  b.c.dir = dir.string();
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  write_fbank_bench_clips(b.c);
  std::printf("fbank, paper options (128 mel bins, hanning, htk_compat): %d clip%s of 10 s speech (espeak-ng) per "
              "input, %d thread%s, ms per clip (%s), best of %d pass%s\n",
              b.c.clips, b.c.clips == 1 ? "" : "s", b.c.threads, b.c.threads == 1 ? "" : "s",
              b.c.threads == 1 ? "CPU time of the thread" : "wall clock", b.c.repeats,
              b.c.repeats == 1 ? "" : "es");
  const auto rows = bench_fbank(b.c);
  nlohmann::json ref;
  if (b.reference)
    ref = run_json_command(fmt::format("'{}' '{}' --dir '{}' --clips {} --repeats {} --threads {}", b.python, script,
                                       b.c.dir, b.c.clips, b.c.repeats, b.c.threads),
                           b.python + " with torch and torchaudio");
  std::printf("%-12s %10s %12s %12s %18s\n", "input", "avtune", "kaldi_fbank", "torchaudio", "torchaudio/avtune");
  for (const auto& r : rows) {
    std::printf("%-12s %10.3f %12.3f", r.input.c_str(), r.fast_ms, r.kaldi_ms);
    if (b.reference) {
      const double t = ref["ms_per_clip"][r.input].get<double>();
      std::printf(" %12.3f %17.1fx", t, t / r.fast_ms);
    }
    std::printf("\n");
  }
  if (b.reference)
    std::printf("(torch %s, torchaudio %s; avtune = fast_fbank, kaldi_fbank = avtune's ATen reference)\n",
                ref["torch"].get<std::string>().c_str(), ref["torchaudio"].get<std::string>().c_str());
  if (b.c.threads > 1) return;
  std::printf("\nwhere avtune's fbank time goes, ms per clip (the input mono at its fbank rate; best of %d):\n", b.c.repeats);
  std::printf("%-12s %10s %10s %22s %8s\n", "input", "prepare", "FFTW DFTs", "power+mel+log+checks", "fbank");
  for (const auto& r : rows)
    std::printf("%-12s %10.3f %10.3f %22.3f %8.3f\n", r.input.c_str(), r.prepare_ms, r.dft_ms, r.rest_ms, r.stages_ms);
  const auto r16 = std::find_if(rows.begin(), rows.end(), [](const FbankBenchRow& r) { return r.input == "16k"; });
  if (b.reference && r16 != rows.end()) {
    const double t = ref["ms_per_clip"]["16k"].get<double>();
    std::printf("10x torchaudio on 16k is %.3f ms per clip: FFTW's DFTs alone take %.0f%% of it, leaving %.0f ns per "
                "frame (%lld frames) for everything else\n",
                t / 10, 100.0 * r16->dft_ms / (t / 10), 1e6 * (t / 10 - r16->dft_ms) / static_cast<double>(r16->frames),
                static_cast<long long>(r16->frames));
  }
}
void bench_pipeline_command(PipelineBench& b, GlobalOptions& g) {
  apply_runtime(g);
  torch::set_num_threads(1);  // one thread per loader worker, as the reference's one process
  const std::string script = b.reference ? find_bench_script("reference_pipeline.py") : "";
  const auto& c = b.c;
  std::printf("training sample from %s: wav + fbank (paper options) + pad/cut 1024 + normalise; %lld JPEG frames + "
              "RandomResizedCrop %lld + flip + normalise; JPEG %s; caches off, %lld samples, best of %d\n",
              c.root.c_str(), (long long)c.frames, (long long)c.image_size,
              c.jpeg_draft ? "at a reduced size where 2x the crop fits (draft)" : "at full size", (long long)c.samples,
              c.repeats);
  const auto r = bench_pipeline(c);
  std::printf("one thread; samples/s and ms/sample of the thread's CPU time (wall time alongside)\n");
  std::printf("%-8s %10s %10s %12s\n", "impl", "samples/s", "ms/sample", "wall ms/smp");
  std::printf("%-8s %10.1f %10.2f %12.2f\n", "avtune", r.samples_per_second, 1e3 / r.samples_per_second,
              1e3 / r.wall_samples_per_second);
  if (b.reference) {
    const auto ref = run_json_command(fmt::format("'{}' '{}' --root '{}' --samples {} --repeats {} --frames {} --image-size {} --seed {}",
                                                  b.python, script, c.root, c.samples, c.repeats, c.frames, c.image_size, c.seed),
                                      b.python + " with torch, torchaudio, torchvision and PIL");
    const double rs = ref["samples_per_second"].get<double>();
    std::printf("%-8s %10.1f %10.2f %12.2f   (torch %s, torchaudio %s, torchvision %s, Pillow %s)\n", "python", rs,
                1e3 / rs, 1e3 / ref["wall_samples_per_second"].get<double>(), ref["torch"].get<std::string>().c_str(),
                ref["torchaudio"].get<std::string>().c_str(), ref["torchvision"].get<std::string>().c_str(),
                ref["pillow"].get<std::string>().c_str());
    std::printf("speed-up avtune/python: %.2fx\n", r.samples_per_second / rs);
  }
  std::printf("loader, batch %lld, wall clock: %8s %10s %12s %12s\n", (long long)c.batch, "workers", "samples/s",
              "vs 1 worker", "cores used");
  for (size_t w = 0; w < r.loader_samples_per_second.size(); ++w)
    std::printf("%-30s %8zu %10.1f %11.2fx %12.2f\n", "", w + 1, r.loader_samples_per_second[w],
                r.loader_samples_per_second[w] / r.loader_samples_per_second[0], r.loader_cores[w]);
}
}  // namespace

void register_bench_dist(CLI::App* bench, GlobalOptions& g);  // cmd_bench_dist.cpp

void register_bench(CLI::App& app, GlobalOptions& g) {
  auto* bench = app.add_subcommand("bench", "Benchmarks printed side by side with the PyTorch reference");
  bench->require_subcommand(1);
  register_bench_dist(bench, g);
  auto* model = bench->add_subcommand("model", "Audio-visual training step (ResNet encoders + concat head), synthetic inputs");
  auto mb = std::make_shared<ModelBench>();
  StepBenchConfig& c = mb->c;
  model->add_option("--depth", c.depth, "ResNet depth 18|34")->capture_default_str();
  model->add_option("--width", c.width, "width multiplier")->capture_default_str()->check(CLI::PositiveNumber);
  model->add_option("--batch", c.batch, "batch size")->capture_default_str();
  model->add_option("--audio-frames", c.audio_frames, "fbank frames")->capture_default_str();
  model->add_option("--mel-bins", c.mel_bins, "mel bins")->capture_default_str();
  model->add_option("--clip-frames", c.clip_frames, "frames per clip (T)")->capture_default_str();
  model->add_option("--image-size", c.image_size, "frame height = width")->capture_default_str();
  model->add_option("--classes", c.classes, "classes")->capture_default_str()->check(CLI::PositiveNumber);
  model->add_option("--warmup", c.warmup, "untimed steps first")->capture_default_str();
  model->add_option("--steps", c.steps, "timed steps (median reported)")->capture_default_str();
  model->add_option("--seed", c.seed, "seed")->capture_default_str();
  model->add_flag("--nchw{false}", c.channels_last, "NCHW layout instead of avtune's channels-last");
  model->add_option("--precision", c.precision, "fp32|bf16|fp16 (autocast; not fp32: fp32 is timed too, side by side)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}));
  model->add_flag("--reference", mb->reference, "also run the PyTorch reference and print the ratio");
  model->add_option("--python", mb->python, "Python with torch+torchvision for --reference")->capture_default_str();
  model->callback([mb, &g] {
    apply_runtime(g);
    const StepBenchConfig& c = mb->c;
    // Found before the timed run, so a missing script fails fast.
    const std::string script = mb->reference ? find_bench_script("reference_av_step.py") : "";
    const auto device = resolve_device(g.device);
    std::printf("shapes: batch %lld, audio (B,1,%lld,%lld), visual (B,3,%lld,%lld,%lld), resnet%d width %g, %s, %d threads\n",
                (long long)c.batch, (long long)c.audio_frames, (long long)c.mel_bins, (long long)c.clip_frames,
                (long long)c.image_size, (long long)c.image_size, c.depth, c.width, device.str().c_str(),
                torch::get_num_threads());
    check_precision_supported(parse_precision(c.precision, "--precision"), device);
    // A lower precision is printed beside fp32 (same shapes, same process), and each beside PyTorch's.
    std::vector<std::string> precisions{c.precision};
    if (c.precision != "fp32") precisions.insert(precisions.begin(), "fp32");
    std::printf("%-10s %-6s %10s %12s\n", "impl", "prec", "s/step", "samples/s");
    double fp32_s = 0;
    for (const auto& p : precisions) {
      StepBenchConfig cp = c;
      cp.precision = p;
      auto r = bench_av_train_step(cp, device);
      std::printf("%-10s %-6s %10.3f %12.2f", "avtune", p.c_str(), r.seconds_per_step, r.samples_per_second);
      if (p == "fp32") fp32_s = r.seconds_per_step;
      else std::printf("   %.2fx of fp32", fp32_s / r.seconds_per_step);
      std::printf("\n");
      if (mb->reference) {
        auto ref = run_reference(cp, torch::get_num_threads(), mb->python, script, device.str());
        const double rs = ref["seconds_per_step"].get<double>();
        std::printf("%-10s %-6s %10.3f %12.2f   (torch %s)\n", "pytorch", p.c_str(), rs,
                    ref["samples_per_second"].get<double>(), ref["torch"].get<std::string>().c_str());
        std::printf("speed-up avtune/pytorch %s: %.2fx\n", p.c_str(), rs / r.seconds_per_step);
      }
    }
  });

  auto* fb = bench->add_subcommand("fbank", "The data pipeline's fbank (paper options) per 10 s clip vs torchaudio, one thread");
  auto fbb = std::make_shared<FbankBench>();
  fb->add_option("--clips", fbb->c.clips, "10 s speech clips (espeak-ng), per input")->capture_default_str();
  fb->add_option("--repeats", fbb->c.repeats, "timed passes over the clips (the best is reported)")->capture_default_str();
  fb->add_flag("--reference", fbb->reference, "also time torchaudio on the same clips and print the ratio");
  fb->add_option("--python", fbb->python, "Python with torch and torchaudio for --reference")->capture_default_str();
  fb->callback([fbb, &g] { bench_fbank_command(*fbb, g); });

  auto* pl = bench->add_subcommand(
      "pipeline", "The training sample (wav, fbank, 3 JPEG frames, crop/flip/normalise) vs the Python loader, and loader scaling");
  auto plb = std::make_shared<PipelineBench>();
  pl->add_option("--data", plb->c.root, "Kinetics-Sounds layout root (e.g. bench/make_pipeline_data.sh ROOT)")->required();
  pl->add_option("--workers", plb->c.workers, "loader measured with 1..N threads")->capture_default_str();
  pl->add_option("--samples", plb->c.samples, "samples per measurement")->capture_default_str();
  pl->add_option("--repeats", plb->c.repeats, "measurements (the best is reported)")->capture_default_str();
  pl->add_option("--batch", plb->c.batch, "loader batch size")->capture_default_str();
  pl->add_flag("--full-decode{false}", plb->c.jpeg_draft, "decode JPEG frames at full size (no draft reduction)");
  pl->add_flag("--reference", plb->reference, "also time the Python sample on one thread and print the ratio");
  pl->add_option("--python", plb->python, "Python with torch, torchaudio, torchvision and PIL")->capture_default_str();
  pl->callback([plb, &g] { bench_pipeline_command(*plb, g); });

  auto* e2e = bench->add_subcommand(
      "train", "Audio-visual training end to end from files (loading, fbank, JPEG, augmentation, step) vs PyTorch");
  auto tb = std::make_shared<TrainBench>();
  EndToEndBenchConfig& e = tb->e;
  e2e->add_option("--data", e.root, "Kinetics-Sounds layout root (e.g. make-data --image-size 224 ... /av-fashion)")
      ->required();
  e2e->add_option("--depth", e.depth, "ResNet depth 18|34")->capture_default_str();
  e2e->add_option("--batch", e.batch, "batch size")->capture_default_str();
  e2e->add_option("--audio-frames", e.audio_frames, "fbank frames")->capture_default_str();
  e2e->add_option("--mel-bins", e.mel_bins, "mel bins")->capture_default_str();
  e2e->add_option("--clip-frames", e.clip_frames, "frames per clip (T)")->capture_default_str();
  e2e->add_option("--image-size", e.image_size, "crop size")->capture_default_str();
  e2e->add_option("--workers", e.workers, "loader threads (PyTorch: worker processes)")->capture_default_str();
  e2e->add_option("--warmup", e.warmup, "untimed batches first")->capture_default_str();
  e2e->add_option("--steps", e.steps, "timed batches")->capture_default_str();
  e2e->add_flag("--nchw{false}", e.channels_last, "NCHW layout instead of avtune's channels-last");
  e2e->add_option("--precision", e.precision, "fp32|bf16|fp16 (autocast of forward and loss)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}));
  e2e->add_flag("--reference", tb->reference, "also run the PyTorch pipeline on the same files and print the ratio");
  e2e->add_option("--python", tb->python, "Python with torch, torchaudio, torchvision and PIL")->capture_default_str();
  e2e->callback([tb, &g] {
    apply_runtime(g);
    const EndToEndBenchConfig& e = tb->e;
    const std::string script = tb->reference ? find_bench_script("reference_av_e2e.py") : "";
    const auto device = resolve_device(g.device);
    std::printf("end to end from %s: batch %lld, audio (B,1,%lld,%lld), visual (B,3,%lld,%lld,%lld), resnet%d, %d loader "
                "workers, %s, %d threads\n",
                e.root.c_str(), (long long)e.batch, (long long)e.audio_frames, (long long)e.mel_bins,
                (long long)e.clip_frames, (long long)e.image_size, (long long)e.image_size, e.depth, e.workers,
                device.str().c_str(), torch::get_num_threads());
    auto r = bench_av_train_end_to_end(e, device);
    std::printf("%-10s %10s %12s\n", "impl", "s/step", "samples/s");
    std::printf("%-10s %10.3f %12.2f   (%s)\n", "avtune", r.seconds_per_step, r.samples_per_second, e.precision.c_str());
    if (tb->reference) {
      auto ref = run_e2e_reference(e, torch::get_num_threads(), tb->python, script, device.str());
      const double rs = ref["seconds_per_step"].get<double>();
      std::printf("%-10s %10.3f %12.2f   (torch %s)\n", "pytorch", rs, ref["samples_per_second"].get<double>(),
                  ref["torch"].get<std::string>().c_str());
      std::printf("speed-up avtune/pytorch: %.2fx\n", rs / r.seconds_per_step);
    }
  });
}

}  // namespace avtune::cli
