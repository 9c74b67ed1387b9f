#pragma once
// Multi-threaded batch loader: worker threads load and collate batches ahead of the consumer,
// batches come out in order, and every random draw depends only on (seed, epoch, sample index),
// so results are identical whatever the number of workers.
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "avtune/data/dataset.h"

namespace avtune {

struct LoaderOptions {
  int64_t batch_size = 32;
  bool shuffle = true;
  bool drop_last = false;
  int workers = 2;        // loading threads; 0 loads on the caller's thread
  int prefetch = 4;       // batches loaded ahead of the consumer
  uint64_t seed = 0;
  bool skip_bad = false;  // false: a sample that fails to load stops the epoch with its error
  // Collated batches in page-locked memory (by the worker threads), so the trainer's non-blocking copy
  // to a GPU overlaps the previous step's compute. Needs a CUDA LibTorch; set for CUDA runs only.
  bool pin_memory = false;
  // Sharding over the processes of a data-parallel run (PyTorch's DistributedSampler): one global
  // order per (seed, epoch), this rank takes every world_size-th index from `rank`. With `pad`, the
  // order is first extended by repeating its head to a multiple of world_size (every rank the same
  // number of steps, for training); without, each sample is in exactly one shard (evaluation).
  int rank = 0, world_size = 1;
  bool pad = true;
};

struct SkippedSample {
  size_t index;
  std::string name;
  std::string error;
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions opts, SampleTransform transform = nullptr);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Begins epoch `epoch`: its order depends only on (seed, epoch). Abandons any unfinished epoch.
  void start_epoch(int64_t epoch);
  // The next batch in order, std::nullopt after the last. Rethrows a loading error.
  std::optional<Batch> next();
  int64_t batches_per_epoch() const;
  // This rank's samples per epoch (all of them in a single-process run).
  size_t shard_size() const;
  // This epoch's order of this rank's samples (the whole order in a single-process run).
  const std::vector<size_t>& order() const { return order_; }
  // Samples skipped so far this epoch (skip_bad mode), and a one-paragraph report of them.
  const std::vector<SkippedSample>& skipped() const { return skipped_; }
  std::string skipped_report() const;
  const Dataset& dataset() const { return *ds_; }
  const LoaderOptions& options() const { return opts_; }

  // The seed of sample `index`'s generator in `epoch` (exposed for tests and reproducibility).
  static uint64_t sample_seed(uint64_t seed, int64_t epoch, size_t index);

 private:
  struct Slot {
    bool ready = false;
    std::optional<Batch> batch;  // empty when every sample of it was skipped
    std::exception_ptr error;
    std::vector<SkippedSample> skipped;
  };
  Slot load_batch(size_t b, int64_t epoch) const;
  void worker_loop();

  std::shared_ptr<const Dataset> ds_;
  LoaderOptions opts_;
  SampleTransform transform_;
  std::vector<size_t> order_;
  std::vector<std::vector<size_t>> batches_;
  std::vector<SkippedSample> skipped_;
  int64_t epoch_ = -1;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::map<size_t, Slot> slots_;
  size_t next_issue_ = 0, next_return_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace avtune
