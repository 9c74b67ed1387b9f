#include <gtest/gtest.h>

#include "avtune/models/fusion.h"

#include <cmath>

#include "avtune/train/metrics.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {
// 6 samples, 3 classes. Predictions: 0 (ok), 1 (true 0), 1 (ok), 2 (true 1), 2 (ok), 2 (ok).
torch::Tensor example_logits() {
  return torch::tensor({{2.0, 1.0, 0.0}, {0.0, 3.0, 1.0}, {0.0, 2.0, 1.0}, {1.0, 0.0, 2.0}, {0.0, 0.0, 5.0}, {0.0, 1.0, 4.0}},
                       torch::kDouble);
}
torch::Tensor example_labels() { return torch::tensor({0, 0, 1, 1, 2, 2}, torch::kLong); }
}  // namespace

TEST(Metrics, HandComputedExample) {
  const auto m = compute_metrics(example_logits(), example_labels());
  EXPECT_EQ(m.count, 6);
  EXPECT_NEAR(m.top1, 4.0 / 6.0, 1e-12);
  EXPECT_EQ(m.top5_k, 3);  // clipped to the number of classes
  EXPECT_NEAR(m.top5, 1.0, 1e-12);
  // F1 per class: 2TP/(2TP+FP+FN) = 2/3, 2/4, 4/5 -> mean 59/90.
  EXPECT_NEAR(m.macro_f1, 59.0 / 90.0, 1e-12);
  // AP on softmax scores, class by class (ranking written out in docs/training.md): 0.75, 0.5, 1.
  EXPECT_NEAR(m.mean_ap, 0.75, 1e-12);
  ASSERT_EQ(m.per_class_accuracy.size(), 3u);
  EXPECT_NEAR(m.per_class_accuracy[0], 0.5, 1e-12);
  EXPECT_NEAR(m.per_class_accuracy[1], 0.5, 1e-12);
  EXPECT_NEAR(m.per_class_accuracy[2], 1.0, 1e-12);
  EXPECT_NEAR(m.loss, 1.0786556197280508, 1e-12);  // torch.nn.functional.cross_entropy
}

TEST(Metrics, ClassesWithoutSamplesOrPredictionsAreLeftOut) {
  // A fourth class nobody has and nobody predicts: F1 and mAP average over the other three.
  auto logits = torch::cat({example_logits(), torch::full({6, 1}, -30.0, torch::kDouble)}, 1);
  const auto m = compute_metrics(logits, example_labels());
  EXPECT_NEAR(m.macro_f1, 59.0 / 90.0, 1e-12);
  EXPECT_NEAR(m.mean_ap, 0.75, 1e-12);
  EXPECT_EQ(m.top5_k, 4);
  EXPECT_TRUE(std::isnan(m.per_class_accuracy[3]));
  EXPECT_TRUE(m.to_json()["per_class_accuracy"][3].is_null());
}

TEST(Metrics, TopFiveMissesTheSixthRank) {
  auto logits = torch::tensor({{6.0f, 5.0f, 4.0f, 3.0f, 2.0f, 1.0f}, {6.0f, 5.0f, 4.0f, 3.0f, 2.0f, 1.0f}});
  const auto m = compute_metrics(logits, torch::tensor({5, 4}, torch::kLong));
  EXPECT_EQ(m.top5_k, 5);
  EXPECT_NEAR(m.top5, 0.5, 1e-12);
  EXPECT_NEAR(m.top1, 0.0, 1e-12);
}

TEST(Metrics, AveragePrecisionWithTies) {
  // Ranked positives at 1 and 3: 1*(1/2) + (2/3)*(1/2).
  EXPECT_NEAR(average_precision(torch::tensor({0.9, 0.8, 0.7, 0.6}), torch::tensor({1, 0, 1, 0})), 5.0 / 6.0, 1e-12);
  // Tied scores enter together: thresholds 0.9 (0/1), 0.8 (1/3, recall 1/2), 0.1 (2/4, recall 1).
  EXPECT_NEAR(average_precision(torch::tensor({0.9, 0.8, 0.8, 0.1}), torch::tensor({0, 1, 0, 1})), 1.0 / 6 + 1.0 / 4, 1e-12);
  EXPECT_TRUE(std::isnan(average_precision(torch::tensor({0.5, 0.4}), torch::tensor({0, 0}))));
}

TEST(Metrics, AccumulatorMatchesOneShot) {
  MetricsAccumulator acc;
  acc.add(example_logits().slice(0, 0, 4), example_labels().slice(0, 0, 4));
  acc.add(example_logits().slice(0, 4, 6), example_labels().slice(0, 4, 6));
  EXPECT_EQ(acc.count(), 6);
  const auto m = acc.compute();
  EXPECT_NEAR(m.top1, 4.0 / 6.0, 1e-12);
  EXPECT_NEAR(m.mean_ap, 0.75, 1e-6);  // accumulated in float32
}

TEST(Metrics, ConcatHeadPartsSplitWeightsAndHalveBias) {
  // W = [[1, 2 | 3], [4, 5 | 6]], b = (2, -4); a = (1, 1), v = (2).
  auto W = torch::tensor({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  auto b = torch::tensor({2.0f, -4.0f});
  auto a = torch::tensor({{1.0f, 1.0f}}), v = torch::tensor({{2.0f}});
  ConcatFusion head(2, 1, 2);
  {
    torch::NoGradGuard ng;
    head->fc_out->weight.copy_(W);
    head->fc_out->bias.copy_(b);
  }
  const auto parts = head->parts(a, v);
  EXPECT_TRUE(torch::allclose(parts.at("audio"), torch::tensor({{3.0f + 1.0f, 9.0f - 2.0f}})));
  EXPECT_TRUE(torch::allclose(parts.at("visual"), torch::tensor({{6.0f + 1.0f, 12.0f - 2.0f}})));
  // The parts add up to the head's logits.
  auto full = torch::mm(torch::cat({a, v}, 1), W.t()) + b;
  EXPECT_TRUE(torch::allclose(parts.at("audio") + parts.at("visual"), full));
  // Part accuracies land in the metrics.
  const auto m = compute_metrics(full, torch::tensor({1}, torch::kLong), parts);
  EXPECT_NEAR(m.part_top1.at("audio"), 1.0, 1e-12);
  EXPECT_NEAR(m.part_top1.at("visual"), 1.0, 1e-12);
  EXPECT_TRUE(m.to_json().contains("audio_top1"));
}

TEST(Metrics, RejectsLabelsOutOfRange) {
  EXPECT_THROW(compute_metrics(example_logits(), torch::tensor({0, 0, 1, 1, 2, 3}, torch::kLong)), Error);
  EXPECT_THROW(compute_metrics(example_logits(), torch::tensor({0, 1}, torch::kLong)), Error);
}
