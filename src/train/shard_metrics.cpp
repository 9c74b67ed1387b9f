#include "avtune/train/shard_metrics.h"

#include <algorithm>

namespace avtune {

void ShardOutputs::add(const torch::Tensor& lg, const torch::Tensor& lb, const std::map<std::string, torch::Tensor>& ps,
                       const std::vector<size_t>& idx) {
  logits.push_back(lg.detach().to(torch::kCPU, torch::kFloat));
  labels.push_back(lb.detach().to(torch::kCPU, torch::kLong));
  for (const auto& [k, t] : ps) parts[k].push_back(t.detach().to(torch::kCPU, torch::kFloat));
  for (size_t i : idx) indices.push_back(static_cast<int64_t>(i));
}

ClassificationMetrics gather_metrics(DistGroup& group, const ShardOutputs& mine) {
  // One float64 row per sample: index, label, logits, then each part's logits (float32 and int64
  // below 2^53 travel exactly).
  // Ranks without rows (more ranks than samples) learn the class count from the others.
  const double my_c = mine.logits.empty() ? 0.0 : static_cast<double>(mine.logits.front().size(1));
  const int64_t C = static_cast<int64_t>(group.all_gather_rows(torch::full({1, 1}, my_c, torch::kFloat64)).max().item<double>());
  const int64_t P = static_cast<int64_t>(mine.parts.size());
  const int64_t n = static_cast<int64_t>(mine.indices.size());
  auto rows = torch::empty({n, 2 + C * (1 + P)}, torch::kFloat64);
  if (n > 0) {
    rows.select(1, 0).copy_(torch::tensor(mine.indices, torch::kInt64));
    rows.select(1, 1).copy_(torch::cat(mine.labels));
    rows.slice(1, 2, 2 + C).copy_(torch::cat(mine.logits));
    int64_t off = 2 + C;
    for (const auto& [k, v] : mine.parts) {
      rows.slice(1, off, off + C).copy_(torch::cat(v));
      off += C;
    }
  }
  auto all = group.all_gather_rows(rows);
  all = all.index_select(0, all.select(1, 0).argsort());
  const auto labels = all.select(1, 1).to(torch::kLong);
  const auto logits = all.slice(1, 2, 2 + C).to(torch::kFloat).contiguous();
  std::map<std::string, torch::Tensor> parts;
  int64_t off = 2 + C;
  for (const auto& [k, v] : mine.parts) {
    parts[k] = all.slice(1, off, off + C).to(torch::kFloat).contiguous();
    off += C;
  }
  return compute_metrics(logits, labels, parts);
}

std::map<int64_t, float> gather_confidences(DistGroup& group, const std::vector<std::pair<int64_t, float>>& mine) {
  auto rows = torch::empty({static_cast<int64_t>(mine.size()), 2}, torch::kFloat64);
  for (size_t i = 0; i < mine.size(); ++i) {
    rows[static_cast<int64_t>(i)][0] = static_cast<double>(mine[i].first);
    rows[static_cast<int64_t>(i)][1] = static_cast<double>(mine[i].second);
  }
  auto all = group.all_gather_rows(rows).contiguous();
  std::map<int64_t, float> out;
  const double* p = all.data_ptr<double>();
  for (int64_t r = 0; r < all.size(0); ++r) out[static_cast<int64_t>(p[2 * r])] = static_cast<float>(p[2 * r + 1]);
  return out;
}

}  // namespace avtune
