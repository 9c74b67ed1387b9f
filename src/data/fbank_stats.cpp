#include "avtune/data/fbank_stats.h"

#include <cmath>

#include "avtune/data/loader.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"

namespace avtune {

FbankStats fbank_statistics(const std::shared_ptr<const Dataset>& ds, int workers, bool progress) {
  LoaderOptions lo;
  lo.batch_size = 32;
  lo.shuffle = false;
  lo.workers = workers;
  DataLoader loader(ds, lo);
  loader.start_epoch(0);
  double sum = 0, sq = 0;
  FbankStats s;
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>("fbank statistics", static_cast<long>(loader.batches_per_epoch()));
  long done = 0;
  while (auto b = loader.next()) {
    if (!b->audio.defined()) fail("fbank-stats", "a data set with audio", "samples without audio");
    const auto a = b->audio.to(torch::kDouble);
    sum += a.sum().item<double>();
    sq += a.pow(2).sum().item<double>();
    s.values += a.numel();
    s.clips += b->size();
    if (bar) bar->update(++done);
  }
  if (bar) bar->finish();
  if (s.values == 0) fail("fbank-stats", "at least one clip", "an empty split");
  s.mean = sum / static_cast<double>(s.values);
  s.std = std::sqrt(std::max(0.0, sq / static_cast<double>(s.values) - s.mean * s.mean));
  return s;
}

}  // namespace avtune
