#pragma once
// Named tensors in order (PyTorch's state_dict), finding one inside a loaded checkpoint, key surgery
// (prefixes, renames), cross-modal conv1 adaptation and strict/non-strict loading into a module.
#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "avtune/io/pickle.h"

namespace avtune {

class StateDict {
 public:
  using Entry = std::pair<std::string, torch::Tensor>;
  void set(const std::string& key, torch::Tensor t);  // insert or replace, keeps first-insertion order
  const torch::Tensor* find(const std::string& key) const;
  torch::Tensor& at(const std::string& key);
  const torch::Tensor& at(const std::string& key) const;
  bool contains(const std::string& key) const { return index_.count(key) > 0; }
  bool erase(const std::string& key);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // By reference on a named dict; by value on a temporary, so `for (auto& e : state_dict_of(m).entries())`
  // does not iterate a destroyed vector.
  const std::vector<Entry>& entries() const& { return entries_; }
  std::vector<Entry> entries() && { return std::move(entries_); }
  std::vector<std::string> keys() const;
  int64_t numel() const;  // total elements over all tensors

 private:
  std::vector<Entry> entries_;
  std::map<std::string, size_t> index_;
};

// Every parameter and buffer of `m`, named as PyTorch names them ("layer1.0.bn1.running_mean").
StateDict state_dict_of(const torch::nn::Module& m);

// Finds the tensor dictionary inside what torch.load returned: the object itself when it is a dict of
// tensors, else under `key` when given, else under the usual keys ('state_dict', 'model',
// 'model_state_dict', 'net', 'network', 'weights'). Non-tensor entries are ignored. Throws with the
// top-level keys it saw when none fits.
StateDict find_state_dict(const py::ValuePtr& root, const std::string& source, const std::string& key = "");

// Key surgery. strip_prefix removes `prefix` where present; select_prefix keeps only keys starting with
// it (removing it); strip_common_wrappers removes a leading "module." (DataParallel) from every key.
StateDict strip_prefix(const StateDict& sd, const std::string& prefix);
StateDict select_prefix(const StateDict& sd, const std::string& prefix);
StateDict add_prefix(const StateDict& sd, const std::string& prefix);
StateDict strip_common_wrappers(const StateDict& sd);
// Renames by substring rules applied in order: each (from, to) replaces the first occurrence of `from`.
StateDict rename_keys(const StateDict& sd, const std::vector<std::pair<std::string, std::string>>& rules);

// Cross-modal first-layer adaptation of a [O, I, kh, kw] conv weight to `in_channels`:
// 3 -> 1 by "sum" or "mean" of the RGB kernels, 1 -> 3 by "replicate" (copies / 3). Same count: unchanged.
enum class ConvAdapt { Sum, Mean, Replicate };
ConvAdapt parse_conv_adapt(const std::string& s);
torch::Tensor adapt_conv_weight(const torch::Tensor& w, int64_t in_channels, ConvAdapt mode);
// Applies adapt_conv_weight to `key` when its input-channel count differs from `in_channels`.
void adapt_first_conv(StateDict& sd, const std::string& key, int64_t in_channels, ConvAdapt mode);

struct ShapeMismatch {
  std::string key;
  std::vector<int64_t> expected, got;
};

struct LoadReport {
  std::vector<std::string> loaded, missing, unexpected;
  std::vector<ShapeMismatch> mismatched;
  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string summary() const;  // counts plus the first few names of each kind
};

struct LoadOptions {
  bool strict = true;  // any missing, unexpected or mismatched key throws (after building the report)
  // Keys never reported missing (e.g. "num_batches_tracked" absent from old checkpoints).
  std::vector<std::string> ignore_missing_suffixes = {"num_batches_tracked"};
};

// Copies matching tensors into `m` (converted to the module's dtype/device). Non-strict loads what fits.
LoadReport load_state_dict(torch::nn::Module& m, const StateDict& sd, const LoadOptions& opts = {});

// StateDict <-> pickle values (an OrderedDict of tensors, as model.state_dict() saves).
py::ValuePtr to_pickle(const StateDict& sd);

}  // namespace avtune
