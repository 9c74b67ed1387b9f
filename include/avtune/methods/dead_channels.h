#pragma once
// Dead-channel diagnosis (the paper's dead-channel analysis): per BatchNorm layer, the share of channels whose |gamma| and
// |beta| collapsed (parameter view) and, given data, the share of samples on which each channel's BN
// output is <= 0 everywhere, i.e. zero after its ReLU (activation view).
#include <torch/torch.h>

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "avtune/io/state_dict.h"
#include "avtune/models/resnet.h"

namespace avtune {

struct DiagnoseOptions {
  std::vector<double> abs_thresholds = {1e-10, 2e-5};  // the paper's bar chart / feature-map thresholds
  double rel_threshold = 1e-3;        // |gamma| and |beta| below rel * median |gamma| of the layer
  double dead_sample_fraction = 0.99; // a channel is "dead" when zero after ReLU on at least this share of samples
};

struct BnLayerDiagnosis {
  std::string name;  // state_dict prefix, e.g. "layer2.0.bn1"
  int64_t channels = 0;
  std::vector<double> abnormal_ratio;  // one per abs threshold
  double relative_ratio = 0;
  double median_abs_gamma = 0, min_abs_gamma = 0;
  // Activation view (NaN / -1 when not measured).
  double mean_dead_fraction = std::numeric_limits<double>::quiet_NaN();
  int64_t dead_channels = -1;
  int64_t samples = 0;
};

struct Diagnosis {
  std::string source;
  DiagnoseOptions options;
  std::vector<BnLayerDiagnosis> layers;
  // Channel-weighted totals over all layers.
  std::vector<double> total_abnormal_ratio;
  double total_relative_ratio = 0;
};

// Parameter view over every BN layer in `sd` (a prefix P with P.weight, P.bias, P.running_mean,
// P.running_var); ABRi twins ("*_addition") are skipped.
Diagnosis diagnose_parameters(const StateDict& sd, const DiagnoseOptions& opts, const std::string& source);

// Activation view: runs `enc` (eval mode) on batches from `next_batch` (encoder input layout
// (N, C, H, W); return nullopt to stop) until `max_samples`, filling the matching layers of `d`.
void diagnose_activations(ResNetEncoderImpl& enc, const std::function<std::optional<torch::Tensor>()>& next_batch,
                          Diagnosis& d, int64_t max_samples);

// Depth, input channels and width of a ResNet encoder from its weights (keys without prefix).
ResNetConfig infer_resnet_config(const StateDict& encoder_sd, const std::string& source);

// Outputs: a fixed-width table (two diagnoses side by side when `compare` is given), JSON and CSV.
std::string diagnosis_table(const Diagnosis& d, const Diagnosis* compare = nullptr);
std::string diagnosis_json(const Diagnosis& d, const Diagnosis* compare = nullptr);
std::string diagnosis_csv(const Diagnosis& d, const Diagnosis* compare = nullptr);

}  // namespace avtune
