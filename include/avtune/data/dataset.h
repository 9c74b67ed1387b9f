#pragma once
// The data-set interface every loader reads through: indexable, labelled, named samples.
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "avtune/data/sample.h"

namespace avtune {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  virtual std::string name_of(size_t index) const = 0;
  virtual int64_t label_of(size_t index) const = 0;
  virtual const std::vector<std::string>& class_names() const = 0;
  // Loads sample `index`. Random augmentation draws only from `rng`, which the loader seeds per
  // (seed, epoch, index): results do not depend on which thread loads the sample.
  virtual Sample get(size_t index, std::mt19937_64& rng) const = 0;
};

// Applied to each loaded sample before collation (Fusion Tuning's patch masking uses it).
using SampleTransform = std::function<void(Sample& sample, std::mt19937_64& rng)>;

// Per-class sample counts, in class order.
std::vector<int64_t> class_counts(const Dataset& ds);

}  // namespace avtune
