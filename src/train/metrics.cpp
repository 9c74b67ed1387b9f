#include "avtune/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"

namespace avtune {

namespace {
double top1_of(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.argmax(1).eq(labels).to(torch::kDouble).mean().item<double>();
}
}  // namespace

double average_precision(const torch::Tensor& scores, const torch::Tensor& positives) {
  auto s = scores.to(torch::kDouble).contiguous();
  auto y = positives.to(torch::kBool).contiguous();
  const int64_t n = s.numel();
  const double total_pos = static_cast<double>(y.sum().item<int64_t>());
  if (total_pos == 0) return std::nan("");
  const double* sp = s.data_ptr<double>();
  const bool* yp = y.data_ptr<bool>();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return sp[a] > sp[b]; });
  // Samples with equal scores enter together: one threshold per distinct score.
  double tp = 0, fp = 0, prev_recall = 0, ap = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && sp[order[j]] == sp[order[i]]) {
      (yp[order[j]] ? tp : fp) += 1;
      ++j;
    }
    const double recall = tp / total_pos;
    ap += (recall - prev_recall) * (tp / (tp + fp));
    prev_recall = recall;
    i = j;
  }
  return ap;
}

ClassificationMetrics compute_metrics(const torch::Tensor& logits_in, const torch::Tensor& labels_in,
                                      const std::map<std::string, torch::Tensor>& parts) {
  if (logits_in.dim() != 2) fail("metrics", "logits (N, C)", shape_str(logits_in));
  if (labels_in.dim() != 1 || labels_in.size(0) != logits_in.size(0))
    fail("metrics", "labels (" + std::to_string(logits_in.size(0)) + ")", shape_str(labels_in));
  auto logits = logits_in.detach().to(torch::kCPU, torch::kDouble);
  auto labels = labels_in.detach().to(torch::kCPU, torch::kLong).contiguous();
  ClassificationMetrics m;
  m.count = logits.size(0);
  m.num_classes = logits.size(1);
  const int64_t C = m.num_classes;
  m.top5_k = std::min<int64_t>(5, C);
  m.per_class_accuracy.assign(static_cast<size_t>(C), std::nan(""));
  if (m.count == 0) return m;
  if (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= C)
    fail("metrics", "labels in [0, " + std::to_string(C) + ")",
         "labels from " + std::to_string(labels.min().item<int64_t>()) + " to " + std::to_string(labels.max().item<int64_t>()));

  m.loss = torch::nn::functional::cross_entropy(logits, labels).item<double>();
  const auto pred = logits.argmax(1);
  m.top1 = pred.eq(labels).to(torch::kDouble).mean().item<double>();
  const auto topk = std::get<1>(logits.topk(m.top5_k, 1));
  m.top5 = topk.eq(labels.unsqueeze(1)).any(1).to(torch::kDouble).mean().item<double>();

  // Per-class counts for accuracy (recall) and F1.
  std::vector<double> tp(static_cast<size_t>(C)), support(static_cast<size_t>(C)), predicted(static_cast<size_t>(C));
  const auto* lp = labels.data_ptr<int64_t>();
  const auto pred_c = pred.contiguous();
  const auto* pp = pred_c.data_ptr<int64_t>();
  for (int64_t i = 0; i < m.count; ++i) {
    support[static_cast<size_t>(lp[i])] += 1;
    predicted[static_cast<size_t>(pp[i])] += 1;
    if (lp[i] == pp[i]) tp[static_cast<size_t>(lp[i])] += 1;
  }
  double f1_sum = 0;
  int64_t f1_classes = 0;
  for (size_t c = 0; c < static_cast<size_t>(C); ++c) {
    if (support[c] > 0) m.per_class_accuracy[c] = tp[c] / support[c];
    if (support[c] + predicted[c] > 0) {
      f1_sum += 2 * tp[c] / (support[c] + predicted[c]);  // 2TP / (2TP + FP + FN)
      ++f1_classes;
    }
  }
  m.macro_f1 = f1_classes ? f1_sum / static_cast<double>(f1_classes) : 0;

  // mAP on softmax probabilities (what the lab's code feeds average_precision_score).
  const auto probs = torch::softmax(logits, 1);
  double ap_sum = 0;
  int64_t ap_classes = 0;
  for (int64_t c = 0; c < C; ++c) {
    if (support[static_cast<size_t>(c)] == 0) continue;
    ap_sum += average_precision(probs.select(1, c), labels.eq(c));
    ++ap_classes;
  }
  m.mean_ap = ap_classes ? ap_sum / static_cast<double>(ap_classes) : 0;

  for (const auto& [name, part] : parts) {
    if (part.sizes() != logits_in.sizes())
      fail("metrics", "'" + name + "' part logits " + shape_str(logits_in), shape_str(part));
    m.part_top1[name] = top1_of(part.detach().to(torch::kCPU, torch::kDouble), labels);
  }
  return m;
}

nlohmann::json ClassificationMetrics::to_json() const {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j;
  j["count"] = count;
  j["loss"] = num(loss);
  j["top1"] = num(top1);
  j["top5"] = num(top5);
  j["top5_k"] = top5_k;
  j["macro_f1"] = num(macro_f1);
  j["mAP"] = num(mean_ap);
  auto pc = nlohmann::json::array();
  for (double v : per_class_accuracy) pc.push_back(num(v));
  j["per_class_accuracy"] = pc;
  for (const auto& [name, v] : part_top1) j[name + "_top1"] = num(v);
  return j;
}

std::string ClassificationMetrics::summary() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "top1 %.2f%% top%lld %.2f%% macro-F1 %.4f mAP %.4f loss %.4f (n=%lld)", 100 * top1,
                static_cast<long long>(top5_k), 100 * top5, macro_f1, mean_ap, loss, static_cast<long long>(count));
  std::string s = buf;
  for (const auto& [name, v] : part_top1) {
    std::snprintf(buf, sizeof buf, " %s %.2f%%", name.c_str(), 100 * v);
    s += buf;
  }
  return s;
}

void MetricsAccumulator::add(const torch::Tensor& logits, const torch::Tensor& labels,
                             const std::map<std::string, torch::Tensor>& parts) {
  logits_.push_back(logits.detach().to(torch::kCPU, torch::kFloat));
  labels_.push_back(labels.detach().to(torch::kCPU, torch::kLong));
  for (const auto& [name, p] : parts) parts_[name].push_back(p.detach().to(torch::kCPU, torch::kFloat));
}

int64_t MetricsAccumulator::count() const {
  int64_t n = 0;
  for (const auto& l : labels_) n += l.size(0);
  return n;
}

torch::Tensor MetricsAccumulator::logits() const {
  return logits_.empty() ? torch::zeros({0, 0}) : torch::cat(logits_, 0);
}

torch::Tensor MetricsAccumulator::labels() const {
  return labels_.empty() ? torch::zeros({0}, torch::kLong) : torch::cat(labels_, 0);
}

ClassificationMetrics MetricsAccumulator::compute() const {
  std::map<std::string, torch::Tensor> parts;
  for (const auto& [name, v] : parts_)
    if (v.size() == logits_.size()) parts[name] = torch::cat(v, 0);  // only parts every batch had
  return compute_metrics(logits(), labels(), parts);
}

}  // namespace avtune
