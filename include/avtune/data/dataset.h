#pragma once
// The data-set interface every loader reads through: indexable, labelled, named samples.
#include <cstdint>
#include <functional>
#include <optional>
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

  // The shapes every sample's tensors have, when they are fixed (an empty one: the modality is absent),
  // so that the loader can allocate a batch and load each sample straight into its slot (get_into).
  virtual std::optional<SampleShapes> fixed_shapes() const { return std::nullopt; }
  // get() written into a slot of preallocated float tensors of fixed_shapes() (nullptr for an absent
  // modality): the returned Sample carries name, label and index, no tensors. The same draws and
  // numbers as get(). This default copies get()'s tensors; a data set overrides it to skip the copy.
  virtual Sample get_into(size_t index, std::mt19937_64& rng, float* audio, float* visual) const;
};

// Copies `t` into a batch slot of `shape` (get_into's step for a tensor made whole); throws naming
// `what` and `sample` when `t` is missing, not float or of another shape.
void copy_to_slot(const torch::Tensor& t, const std::vector<int64_t>& shape, float* out, const std::string& what,
                  const std::string& sample);

// Applied to each loaded sample before collation (Fusion Tuning's patch masking uses it).
using SampleTransform = std::function<void(Sample& sample, std::mt19937_64& rng)>;

// Per-class sample counts, in class order.
std::vector<int64_t> class_counts(const Dataset& ds);

}  // namespace avtune
