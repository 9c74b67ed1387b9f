#pragma once
// The training engine's optimizer: SGD / Adam / AdamW over two parameter groups (with and without
// weight decay), optional gradient clipping by global norm, and its state flattened into a
// StateDict named by parameter ("layer1.0.conv1.weight.momentum_buffer") so checkpoints are readable
// and resumable whatever the LibTorch version.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "avtune/io/state_dict.h"

namespace avtune {

using NamedParameter = std::pair<std::string, torch::Tensor>;

struct OptimizerConfig {
  std::string kind = "sgd";  // sgd|adam|adamw
  double lr = 0.01;          // base learning rate (the schedule scales it per step)
  double momentum = 0.9;     // sgd; dampening is always 0
  bool nesterov = false;     // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam, adamw
  double weight_decay = 1e-4;
  // Weight decay skips BatchNorm parameters, biases and ABRi's mixing weights ("fusion_weight",
  // "alpha"): decaying them is what drives channels dead (the paper's dead-channel analysis).
  bool decay_exclude = true;
  double grad_clip = 0;      // max global L2 norm of the gradients; 0 = no clipping
};

// Which parameters get weight decay. `trainable` keeps its order inside each group.
struct ParamGroups {
  std::vector<NamedParameter> decay, no_decay;
};
// True for names that never get weight decay when decay_exclude is on (biases, "fusion_weight", "alpha");
// BatchNorm parameters are recognised by their module, see split_weight_decay.
bool is_no_decay_name(const std::string& name);
ParamGroups split_weight_decay(const torch::nn::Module& root, const std::vector<NamedParameter>& trainable,
                               bool decay_exclude);

// Every parameter of `m` that requires a gradient, with its state_dict name.
std::vector<NamedParameter> trainable_parameters(const torch::nn::Module& m);

class TrainOptimizer {
 public:
  // `root` is the module the names of `trainable` are relative to (used to find its BatchNorms).
  TrainOptimizer(const torch::nn::Module& root, std::vector<NamedParameter> trainable, const OptimizerConfig& cfg);

  void zero_grad();
  void set_lr(double lr);  // every group
  double lr() const { return lr_; }
  // Clips (when configured) and steps. Returns the gradients' global norm before clipping when
  // clipping is on (a non-finite norm skips the step and is returned for the caller to report), else -1.
  double step();

  // Flattened state: "<param>.momentum_buffer" (sgd), "<param>.exp_avg", "<param>.exp_avg_sq",
  // "<param>.step" (int64 scalar) and "<param>.max_exp_avg_sq" (amsgrad) for adam/adamw. Tensors on CPU.
  StateDict state_dict() const;
  // Restores state_dict(); throws on names that are no parameter, another optimizer's state or shapes
  // that differ. Parameters absent from `sd` start without state (as before their first step).
  void load_state_dict(const StateDict& sd);

  const ParamGroups& groups() const { return groups_; }
  const OptimizerConfig& config() const { return cfg_; }
  torch::optim::Optimizer& torch_optimizer() { return *opt_; }

 private:
  OptimizerConfig cfg_;
  ParamGroups groups_;
  std::vector<NamedParameter> all_;  // decay then no_decay
  std::unique_ptr<torch::optim::Optimizer> opt_;
  double lr_ = 0;
};

}  // namespace avtune
