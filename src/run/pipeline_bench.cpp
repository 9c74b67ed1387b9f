#include "avtune/run/pipeline_bench.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "avtune/audio/fbank_cache.h"
#include "avtune/data/dataset_spec.h"
#include "avtune/data/loader.h"
#include "avtune/util/error.h"
#include "avtune/vision/image_cache.h"

namespace avtune {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
double cpu_seconds(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}
}  // namespace

PipelineBenchResult bench_pipeline(const PipelineBenchConfig& c) {
  if (c.workers < 1) fail("bench", "--workers >= 1", std::to_string(c.workers));
  if (c.samples < 1 || c.batch < 1 || c.repeats < 1)
    fail("bench", "--samples, batch and repeats >= 1", std::to_string(c.samples));
  DatasetSpec spec;
  spec.root = c.root;
  spec.modality = Modality::AV;
  spec.clip.frames = static_cast<int>(c.frames);
  spec.clip.image_size = c.image_size;
  spec.clip.jpeg_draft = c.jpeg_draft;
  const auto ds = open_dataset(spec, "train", /*train=*/true);
  const size_t n = ds->size();
  set_fbank_cache_limit(0);
  set_image_cache_limit(0);
  PipelineBenchResult r;

  // One thread: the sample itself, written into a batch slot as the loader does (a first untimed
  // pass over the data set warms the page cache).
  const SampleShapes shapes = ds->fixed_shapes().value_or(SampleShapes{});
  auto numel = [](const std::vector<int64_t>& s) {
    int64_t k = s.empty() ? 0 : 1;
    for (int64_t d : s) k *= d;
    return k;
  };
  std::vector<float> audio_slot(static_cast<size_t>(numel(shapes.audio))), visual_slot(static_cast<size_t>(numel(shapes.visual)));
  auto load = [&](size_t i, std::mt19937_64& rng) {
    ds->get_into(i, rng, audio_slot.empty() ? nullptr : audio_slot.data(), visual_slot.empty() ? nullptr : visual_slot.data());
  };
  for (size_t i = 0; i < std::min<size_t>(n, static_cast<size_t>(c.samples)); ++i) {
    std::mt19937_64 rng(DataLoader::sample_seed(c.seed, -1, i));
    load(i, rng);
  }
  double best_cpu = 1e300, best_wall = 1e300;
  for (int rep = 0; rep < c.repeats; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    for (int64_t k = 0; k < c.samples; ++k) {
      std::mt19937_64 rng(DataLoader::sample_seed(c.seed, rep, static_cast<size_t>(k)));
      load(static_cast<size_t>(k) % n, rng);
    }
    best_cpu = std::min(best_cpu, cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - c0);
    best_wall = std::min(best_wall, seconds_since(t0));
  }
  r.samples_per_second = static_cast<double>(c.samples) / best_cpu;
  r.wall_samples_per_second = static_cast<double>(c.samples) / best_wall;

  // The loader: batches of `batch` from w threads, epochs chained until `samples` came out.
  for (int w = 1; w <= c.workers; ++w) {
    double rate = 0, cores = 0;
    for (int rep = 0; rep < c.repeats; ++rep) {
      LoaderOptions lo;
      lo.batch_size = c.batch;
      lo.workers = w;
      lo.prefetch = 2 * w;
      lo.seed = c.seed + static_cast<uint64_t>(rep);
      DataLoader loader(ds, lo);
      int64_t got = 0;
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
      for (int64_t epoch = 0; got < c.samples; ++epoch) {
        loader.start_epoch(epoch);
        while (got < c.samples) {
          auto b = loader.next();
          if (!b) break;
          got += b->size();
        }
      }
      const double wall = seconds_since(t0);
      if (static_cast<double>(got) / wall > rate) {
        rate = static_cast<double>(got) / wall;
        cores = (cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0) / wall;
      }
    }
    r.loader_samples_per_second.push_back(rate);
    r.loader_cores.push_back(cores);
  }
  return r;
}

}  // namespace avtune
