#pragma once
// Fashion-MNIST from Debian's dataset-fashion-mnist package (gzip'd IDX files).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace avtune {

struct ImageSet {
  torch::Tensor images;  // (N, 28, 28) uint8
  torch::Tensor labels;  // (N) int64
};

// Where the Debian package puts the files.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// split "train" (60 000) or "test" (10 000). Throws a clear error telling how to install the
// package when the files are missing.
ImageSet load_fashion_mnist(const std::string& split, const std::string& dir = kFashionMnistDir);

// The ten class names, and the words spoken for them in the embedded audio.
const std::vector<std::string>& fashion_mnist_classes();
const std::vector<std::string>& fashion_mnist_spoken();

}  // namespace avtune
