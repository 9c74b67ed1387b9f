#include "avtune/data/dataset.h"

#include "avtune/util/error.h"

namespace avtune {

std::vector<int64_t> class_counts(const Dataset& ds) {
  std::vector<int64_t> counts(ds.class_names().size(), 0);
  for (size_t i = 0; i < ds.size(); ++i) {
    const int64_t l = ds.label_of(i);
    if (l < 0 || l >= static_cast<int64_t>(counts.size()))
      fail("dataset", "labels in [0, " + std::to_string(counts.size()) + ")", std::to_string(l) + " for '" + ds.name_of(i) + "'");
    ++counts[static_cast<size_t>(l)];
  }
  return counts;
}

}  // namespace avtune
