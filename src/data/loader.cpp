#include "avtune/data/loader.h"

#include "avtune/util/error.h"

namespace avtune {

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t DataLoader::sample_seed(uint64_t seed, int64_t epoch, size_t index) {
  return splitmix64(splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(epoch)) ^ static_cast<uint64_t>(index));
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions opts, SampleTransform transform)
    : ds_(std::move(dataset)), opts_(opts), transform_(std::move(transform)) {
  if (!ds_) fail("loader", "a data set", "null");
  if (opts_.batch_size <= 0) fail("loader", "batch size >= 1", std::to_string(opts_.batch_size));
  if (opts_.workers < 0) fail("loader", "workers >= 0", std::to_string(opts_.workers));
  if (opts_.prefetch < 1) opts_.prefetch = 1;
  if (opts_.world_size < 1 || opts_.rank < 0 || opts_.rank >= opts_.world_size)
    fail("loader", "0 <= rank < world_size", std::to_string(opts_.rank) + " of " + std::to_string(opts_.world_size));
  for (int w = 0; w < opts_.workers; ++w) threads_.emplace_back([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

size_t DataLoader::shard_size() const {
  const size_t n = ds_->size(), w = static_cast<size_t>(opts_.world_size), r = static_cast<size_t>(opts_.rank);
  if (w == 1) return n;
  if (opts_.pad) return n == 0 ? 0 : (n + w - 1) / w;
  return n > r ? (n - r + w - 1) / w : 0;
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = static_cast<int64_t>(shard_size());
  return opts_.drop_last ? n / opts_.batch_size : (n + opts_.batch_size - 1) / opts_.batch_size;
}

void DataLoader::start_epoch(int64_t epoch) {
  std::vector<size_t> order(ds_->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (opts_.shuffle) {
    // Fisher-Yates on mt19937_64, whose output the C++ standard fixes: the same order everywhere.
    std::mt19937_64 rng(sample_seed(opts_.seed, epoch, ~size_t{0}));
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng() % k]);
  }
  if (opts_.world_size > 1) {
    const size_t w = static_cast<size_t>(opts_.world_size), n = order.size();
    if (opts_.pad && n > 0)  // DistributedSampler: repeat the head (several times when n < w)
      for (size_t i = 0; order.size() % w != 0; ++i) order.push_back(order[i % n]);
    std::vector<size_t> shard;
    for (size_t i = static_cast<size_t>(opts_.rank); i < order.size(); i += w) shard.push_back(order[i]);
    order = std::move(shard);
  }
  std::vector<std::vector<size_t>> batches;
  const size_t bs = static_cast<size_t>(opts_.batch_size);
  for (size_t s = 0; s < order.size(); s += bs) {
    if (opts_.drop_last && s + bs > order.size()) break;
    batches.emplace_back(order.begin() + static_cast<long>(s), order.begin() + static_cast<long>(std::min(order.size(), s + bs)));
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    ++generation_;
    order_ = std::move(order);
    batches_ = std::move(batches);
    slots_.clear();
    next_issue_ = next_return_ = 0;
    epoch_ = epoch;
    skipped_.clear();
  }
  cv_.notify_all();
}

DataLoader::Slot DataLoader::load_batch(size_t b, int64_t epoch) const {
  Slot slot;
  // The batch's indices are copied under the lock: start_epoch may replace batches_ while a worker
  // still loads a batch of the epoch before (ASan: heap-use-after-free, scripts/sanitize.sh). That
  // slot is dropped (generation_); the lock is the loader's own, hence the const_cast.
  std::vector<size_t> indices;
  {
    std::lock_guard<std::mutex> lk(const_cast<std::mutex&>(mu_));
    if (b < batches_.size()) indices = batches_[b];
  }
  std::vector<Sample> samples;
  try {
    std::optional<SampleShapes> shapes;
    if (!transform_) shapes = ds_->fixed_shapes();
    if (shapes && !indices.empty()) {
      // Each sample loaded straight into its slot of the batch: no per-sample tensors to stack. A
      // skipped sample's slot is taken by the next one; the batch is cut to the samples loaded.
      auto batch_of = [&](const std::vector<int64_t>& shape) {
        if (shape.empty()) return torch::Tensor();
        std::vector<int64_t> sizes{static_cast<int64_t>(indices.size())};
        sizes.insert(sizes.end(), shape.begin(), shape.end());
        return torch::empty(sizes, torch::TensorOptions(torch::kFloat).pinned_memory(opts_.pin_memory));
      };
      Batch b;
      b.audio = batch_of(shapes->audio);
      b.visual = batch_of(shapes->visual);
      const int64_t audio_n = b.audio.defined() ? b.audio[0].numel() : 0;
      const int64_t visual_n = b.visual.defined() ? b.visual[0].numel() : 0;
      std::vector<int64_t> labels;
      for (size_t index : indices) {
        std::mt19937_64 rng(sample_seed(opts_.seed, epoch, index));
        const int64_t k = static_cast<int64_t>(labels.size());
        try {
          Sample s = ds_->get_into(index, rng, b.audio.defined() ? b.audio.data_ptr<float>() + k * audio_n : nullptr,
                                   b.visual.defined() ? b.visual.data_ptr<float>() + k * visual_n : nullptr);
          b.names.push_back(s.name);
          b.indices.push_back(index);
          labels.push_back(s.label);
        } catch (const std::exception& e) {
          if (!opts_.skip_bad) throw;
          slot.skipped.push_back({index, ds_->name_of(index), e.what()});
        }
      }
      if (!labels.empty()) {
        const int64_t n = static_cast<int64_t>(labels.size());
        b.labels = torch::tensor(labels, torch::kLong);
        if (opts_.pin_memory) b.labels = b.labels.pin_memory();
        if (n < static_cast<int64_t>(indices.size())) {
          if (b.audio.defined()) b.audio = b.audio.slice(0, 0, n);
          if (b.visual.defined()) b.visual = b.visual.slice(0, 0, n);
        }
        slot.batch = std::move(b);
      }
      slot.ready = true;
      return slot;
    }
    for (size_t index : indices) {
      std::mt19937_64 rng(sample_seed(opts_.seed, epoch, index));
      try {
        Sample s = ds_->get(index, rng);
        s.index = index;
        if (transform_) transform_(s, rng);
        samples.push_back(std::move(s));
      } catch (const std::exception& e) {
        if (!opts_.skip_bad) throw;
        slot.skipped.push_back({index, ds_->name_of(index), e.what()});
      }
    }
    if (!samples.empty()) slot.batch = collate(samples);
    if (slot.batch && opts_.pin_memory)
      for (auto* t : {&slot.batch->audio, &slot.batch->visual, &slot.batch->labels})
        if (t->defined()) *t = t->pin_memory();
  } catch (...) {
    slot.error = std::current_exception();
  }
  slot.ready = true;
  return slot;
}

void DataLoader::worker_loop() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] {
      return stop_ || (next_issue_ < batches_.size() && next_issue_ < next_return_ + static_cast<size_t>(opts_.prefetch));
    });
    if (stop_) return;
    const size_t b = next_issue_++;
    const uint64_t gen = generation_;
    const int64_t epoch = epoch_;
    lk.unlock();
    Slot slot = load_batch(b, epoch);
    lk.lock();
    if (gen == generation_) slots_[b] = std::move(slot);
    cv_.notify_all();
  }
}

std::optional<Batch> DataLoader::next() {
  if (epoch_ < 0) fail("loader", "start_epoch() before next()", "no epoch started");
  for (;;) {
    Slot slot;
    {
      std::unique_lock<std::mutex> lk(mu_);
      if (next_return_ >= batches_.size()) return std::nullopt;
      const size_t b = next_return_;
      if (threads_.empty()) {
        lk.unlock();
        slot = load_batch(b, epoch_);
        lk.lock();
      } else {
        cv_.wait(lk, [&] { return slots_.count(b) && slots_[b].ready; });
        slot = std::move(slots_[b]);
        slots_.erase(b);
      }
      ++next_return_;
    }
    cv_.notify_all();
    skipped_.insert(skipped_.end(), slot.skipped.begin(), slot.skipped.end());
    if (slot.error) std::rethrow_exception(slot.error);
    if (slot.batch) return std::move(slot.batch);
  }
}

std::string DataLoader::skipped_report() const {
  if (skipped_.empty()) return "";
  std::string s = "skipped " + std::to_string(skipped_.size()) + " bad sample(s) this epoch:";
  for (size_t k = 0; k < skipped_.size() && k < 10; ++k) s += "\n  " + skipped_[k].name + ": " + skipped_[k].error;
  if (skipped_.size() > 10) s += "\n  ...";
  return s;
}

}  // namespace avtune
