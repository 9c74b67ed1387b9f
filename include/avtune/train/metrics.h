#pragma once
// Classification metrics from accumulated logits and labels (definitions in docs/training.md), plus
// the per-modality logits of a concat fusion head that the lab's code uses to watch each modality.
#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace avtune {

struct ClassificationMetrics {
  int64_t count = 0;           // samples
  int64_t num_classes = 0;
  double loss = 0;             // mean cross-entropy over samples
  double top1 = 0, top5 = 0;   // fractions in [0, 1]; top5 uses k = min(5, classes)
  int64_t top5_k = 5;
  double macro_f1 = 0;         // mean F1 over classes present in the labels or the predictions
  double mean_ap = 0;          // mean one-vs-rest average precision over classes with positives
  std::vector<double> per_class_accuracy;  // recall of each class; NaN where the class has no sample
  std::map<std::string, double> part_top1; // top-1 of each modality's part of a fusion head ("audio", "visual")
  nlohmann::json to_json() const;           // NaN -> null
  std::string summary() const;              // one line: top1, top5, macro-F1, mAP, loss (+ parts)
};

// Metrics of (N, C) logits against (N) int64 labels in [0, C). `parts` are (N, C) logits per modality.
ClassificationMetrics compute_metrics(const torch::Tensor& logits, const torch::Tensor& labels,
                                      const std::map<std::string, torch::Tensor>& parts = {});

// Collects batches (detached, moved to CPU float) and computes the metrics at the end.
class MetricsAccumulator {
 public:
  void add(const torch::Tensor& logits, const torch::Tensor& labels,
           const std::map<std::string, torch::Tensor>& parts = {});
  int64_t count() const;
  ClassificationMetrics compute() const;
  torch::Tensor logits() const;  // (N, C) concatenated
  torch::Tensor labels() const;

 private:
  std::vector<torch::Tensor> logits_, labels_;
  std::map<std::string, std::vector<torch::Tensor>> parts_;
};

// One-vs-rest average precision of scores (N) for binary targets (N): the sum over distinct score
// thresholds, highest first, of (recall gain) x precision — sklearn's average_precision_score.
double average_precision(const torch::Tensor& scores, const torch::Tensor& positives);

}  // namespace avtune
