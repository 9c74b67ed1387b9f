#pragma once
// Data-set fbank normalisation statistics (the reference normalises with Kinetics-Sounds' mean and
// std; every other data set needs its own): mean and std of every fbank value of a split, as the
// loader delivers it (after padding/cutting to the clip length), before normalisation.
#include <cstdint>
#include <memory>
#include <string>

#include "avtune/data/dataset.h"
#include "avtune/data/dataset_spec.h"

namespace avtune {

struct FbankStats {
  double mean = 0, std = 0;
  int64_t clips = 0, values = 0;
};

// `ds` must deliver un-normalised audio (AudioInputOptions::normalize = false); throws otherwise
// only if it cannot tell. Deterministic: sums in double, in data-set order.
FbankStats fbank_statistics(const std::shared_ptr<const Dataset>& ds, int workers, bool progress);

// The statistics of `split` of the data set `spec` describes (its audio, un-normalised, at its
// fbank length and mel bins), cached as JSON under `cache_dir` (default $AVTUNE_CACHE_DIR, else
// $XDG_CACHE_HOME/avtune, else ~/.cache/avtune) keyed by the data set, its list file's size and
// time and the input options. `from_cache` (may be null) tells whether the cache answered.
FbankStats cached_fbank_statistics(DatasetSpec spec, const std::string& split, int workers, bool progress,
                                   bool* from_cache = nullptr, std::string cache_dir = "");

}  // namespace avtune
