#pragma once
// Images in one sub-folder per class (<root>/<class>/<file>.jpg|png), as still "clips" of T = 1:
// visual (3, 1, H, W). Classes are the sorted sub-folder names; files sorted by name.
#include <string>
#include <vector>

#include "avtune/data/dataset.h"
#include "avtune/vision/image_transforms.h"

namespace avtune {

struct ImageFolderOptions {
  bool train = false;
  int64_t image_size = 224;
  int channels = 3;  // 1: grey (mean of RGB) for single-channel encoders
  std::array<float, 3> mean = kImageNetMean, std = kImageNetStd;
};

class ImageFolderDataset : public Dataset {
 public:
  ImageFolderDataset(const std::string& root, ImageFolderOptions opts);
  size_t size() const override { return files_.size(); }
  std::string name_of(size_t i) const override { return names_.at(i); }
  int64_t label_of(size_t i) const override { return labels_.at(i); }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Sample get(size_t index, std::mt19937_64& rng) const override;

 private:
  std::string root_;
  ImageFolderOptions opts_;
  std::vector<std::string> classes_, files_, names_;
  std::vector<int64_t> labels_;
};

}  // namespace avtune
