#pragma once
// Data-set fbank normalisation statistics (the reference normalises with Kinetics-Sounds' mean and
// std; every other data set needs its own): mean and std of every fbank value of a split, as the
// loader delivers it (after padding/cutting to the clip length), before normalisation.
#include <cstdint>
#include <memory>

#include "avtune/data/dataset.h"

namespace avtune {

struct FbankStats {
  double mean = 0, std = 0;
  int64_t clips = 0, values = 0;
};

// `ds` must deliver un-normalised audio (AudioInputOptions::normalize = false); throws otherwise
// only if it cannot tell. Deterministic: sums in double, in data-set order.
FbankStats fbank_statistics(const std::shared_ptr<const Dataset>& ds, int workers, bool progress);

}  // namespace avtune
