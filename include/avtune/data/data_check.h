#pragma once
// `avtune data check`: a data set validated before hours of training. Per clip: the audio file and
// frame folder exist and decode, the audio is not silent and is long enough for the model's fbank
// length, the clip has enough frames for T; per split: label range, class balance; across splits:
// duplicate clip names. Errors (missing or unreadable files) fail the check; the rest are warnings.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "avtune/data/dataset_spec.h"

namespace avtune {

struct ClipCheck {
  std::string split, name, class_name;
  int64_t label = -1;
  double audio_s = -1;  // -1: not checked / unreadable
  int frames = -1;
  std::string errors, warnings;  // "; "-joined
};

struct SplitCheck {
  std::string split;
  size_t clips = 0, errors = 0, warnings = 0;
  std::vector<int64_t> class_counts;
  std::string problem;  // the split itself failed to open
};

struct DataCheckReport {
  std::vector<std::string> classes;
  std::vector<SplitCheck> splits;
  std::vector<ClipCheck> clips;
  std::vector<std::string> duplicates;  // names in more than one split
  size_t errors() const;
  std::string summary() const;
  std::string csv() const;  // split,name,label,class,audio_s,frames,errors,warnings
};

struct DataCheckOptions {
  bool decode = true;  // decode every audio file and first frame (false: existence and sizes only)
  size_t max_clips = 0;  // 0 = every clip of each split
};

// Checks each split of `spec` (ks, csv, esc50 formats). The input options in `spec.clip` (fbank
// length, frames) are what "long enough" is measured against.
DataCheckReport check_dataset(const DatasetSpec& spec, const std::vector<std::string>& splits, const DataCheckOptions& o = {});

}  // namespace avtune
