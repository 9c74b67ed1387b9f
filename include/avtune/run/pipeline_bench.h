#pragma once
// `avtune bench pipeline`: the audio-visual training sample as the loader makes it (wav read, fbank,
// pad/cut, normalise; 3 JPEG frames decoded, RandomResizedCrop, flip, normalise) from a data set on
// disk, with the fbank and image caches off: samples/s on one thread, and the loader's samples/s
// with 1..N worker threads.
#include <cstdint>
#include <string>
#include <vector>

namespace avtune {

struct PipelineBenchConfig {
  std::string root;        // ks layout; the train split is read
  int workers = 2;         // loader measured with 1..workers threads
  int64_t samples = 64;    // per measurement (the data set is cycled through)
  int64_t batch = 8;       // loader batches
  int repeats = 3;         // the best measurement is reported
  int64_t frames = 3, image_size = 224;
  bool jpeg_draft = true;  // AVClipOptions::jpeg_draft (training's default)
  uint64_t seed = 0;
};

struct PipelineBenchResult {
  // Dataset::get on the calling thread: per second of its CPU time (what other processes of a
  // shared machine do not inflate), and per second of wall time.
  double samples_per_second = 0, wall_samples_per_second = 0;
  std::vector<double> loader_samples_per_second;  // [w - 1]: w loader threads, w = 1..workers (wall)
  std::vector<double> loader_cores;               // the process's CPU time over wall time meanwhile
};

// Turns the process's fbank and image caches off (set_fbank_cache_limit(0), set_image_cache_limit(0)):
// every sample is read and decoded again, as in a first epoch.
PipelineBenchResult bench_pipeline(const PipelineBenchConfig& cfg);

}  // namespace avtune
