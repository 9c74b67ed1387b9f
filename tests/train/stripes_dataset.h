#pragma once
// A small synthetic audio task for the mixed-precision tests (test_precision.cpp, test_cuda.cpp).
#include <torch/torch.h>

#include <random>
#include <string>
#include <vector>

#include "avtune/data/dataset.h"

namespace avtune::test {

// Four classes from the sign of the mean and the orientation of ±1 stripes, under noise.
class StripesDataset : public Dataset {
 public:
  explicit StripesDataset(size_t n, uint64_t salt = 0) : n_(n), salt_(salt) {}
  size_t size() const override { return n_; }
  std::string name_of(size_t i) const override { return "s" + std::to_string(salt_) + "_" + std::to_string(i); }
  int64_t label_of(size_t i) const override { return static_cast<int64_t>((i * 5 + salt_) % 4); }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Sample get(size_t i, std::mt19937_64& rng) const override {
    const int64_t c = label_of(i);
    auto stripes = torch::arange(16).remainder(2).to(torch::kFloat) * 2 - 1;
    auto pattern = (c & 2) ? stripes.view({16, 1}).expand({16, 16}) : stripes.view({1, 16}).expand({16, 16});
    std::normal_distribution<float> noise(0.0f, 0.5f);
    auto n = torch::empty({16, 16});
    for (int64_t k = 0; k < n.numel(); ++k) n.data_ptr<float>()[k] = noise(rng);
    Sample s;
    s.name = name_of(i);
    s.label = c;
    s.audio = (n + ((c & 1) ? 0.7f : -0.7f) + pattern).unsqueeze(0).contiguous();
    return s;
  }

 private:
  size_t n_;
  uint64_t salt_;
  std::vector<std::string> classes_{"a", "b", "c", "d"};
};

}  // namespace avtune::test
