#pragma once
// Evaluation and recorded confidences of a data-parallel run: each rank holds its shard's results;
// these gather every rank's rows so metrics are exact over the whole split (not averages of
// per-rank numbers) and confidences cover every training sample (docs/distributed.md).
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "avtune/dist/process_group.h"
#include "avtune/train/metrics.h"

namespace avtune {

// One rank's evaluation outputs, with each row's sample index in the split.
struct ShardOutputs {
  std::vector<torch::Tensor> logits, labels;
  std::map<std::string, std::vector<torch::Tensor>> parts;
  std::vector<int64_t> indices;
  void add(const torch::Tensor& logits, const torch::Tensor& labels, const std::map<std::string, torch::Tensor>& parts,
           const std::vector<size_t>& indices);
};

// The metrics of every rank's rows together, in sample-index order (as one process evaluates).
ClassificationMetrics gather_metrics(DistGroup& group, const ShardOutputs& mine);

// Every rank's (sample index, confidence) pairs; a sample seen twice (padding) keeps the last.
std::map<int64_t, float> gather_confidences(DistGroup& group, const std::vector<std::pair<int64_t, float>>& mine);

}  // namespace avtune
