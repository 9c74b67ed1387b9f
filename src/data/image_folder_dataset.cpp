#include "avtune/data/image_folder_dataset.h"

#include <algorithm>
#include <filesystem>

#include "avtune/util/error.h"
#include "avtune/vision/image_cache.h"
#include "avtune/vision/image_io.h"

namespace avtune {

namespace fs = std::filesystem;

ImageFolderDataset::ImageFolderDataset(const std::string& root, ImageFolderOptions opts) : root_(root), opts_(opts) {
  if (!fs::is_directory(root)) fail("image-folder", "a directory of class sub-folders", "'" + root + "'");
  for (auto& e : fs::directory_iterator(root))
    if (e.is_directory()) classes_.push_back(e.path().filename().string());
  std::sort(classes_.begin(), classes_.end());
  if (classes_.empty()) fail("image-folder", "at least one class sub-folder", "none", {root});
  for (size_t c = 0; c < classes_.size(); ++c) {
    std::vector<std::string> files;
    for (auto& e : fs::directory_iterator(fs::path(root) / classes_[c])) {
      auto ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png")) files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      files_.push_back(f);
      names_.push_back(classes_[c] + "/" + fs::path(f).stem().string());
      labels_.push_back(static_cast<int64_t>(c));
    }
  }
  if (files_.empty()) fail("image-folder", "images (.jpg/.jpeg/.png) in the class folders", "none", {root});
  if (opts_.channels != 1 && opts_.channels != 3) fail("image-folder", "channels 1 or 3", std::to_string(opts_.channels));
}

Sample ImageFolderDataset::get(size_t index, std::mt19937_64& rng) const {
  Sample s;
  s.name = names_.at(index);
  s.label = labels_.at(index);
  s.index = index;
  auto img = cached_read_image(files_.at(index));  // shared: transforms return new tensors
  torch::Tensor x;
  if (opts_.train) {
    at::Generator gen = make_generator(rng());
    TrainTransformOptions t;
    t.height = t.width = opts_.image_size;
    t.mean = opts_.mean;
    t.std = opts_.std;
    x = train_transform(img, gen, t);
  } else {
    EvalTransformOptions t;
    t.height = t.width = opts_.image_size;
    t.mean = opts_.mean;
    t.std = opts_.std;
    x = eval_transform(img, t);
  }
  if (opts_.channels == 1) x = x.mean(0, true);
  s.visual = x.unsqueeze(1);  // (C, 1, H, W)
  return s;
}

}  // namespace avtune
