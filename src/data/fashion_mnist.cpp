#include "avtune/data/fashion_mnist.h"

#include <zlib.h>

#include <filesystem>

#include "avtune/util/error.h"

namespace avtune {

namespace {
std::string gunzip(const std::string& path) {
  if (!std::filesystem::exists(path))
    fail("fashion-mnist", "the Debian package's files", "no " + path +
         "; install it with: apt-get install dataset-fashion-mnist (or run scripts/setup.sh)");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) fail("fashion-mnist", "a readable gzip file", "cannot open it", {path});
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  const bool bad = n < 0;
  gzclose(f);
  if (bad) fail("fashion-mnist", "valid gzip data", "a read error", {path});
  return out;
}

uint32_t be32(const std::string& s, size_t off) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(s[off])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[off + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[off + 2])) << 8) | static_cast<unsigned char>(s[off + 3]);
}
}  // namespace

ImageSet load_fashion_mnist(const std::string& split, const std::string& dir) {
  if (split != "train" && split != "test") fail("fashion-mnist", "split train|test", "'" + split + "'");
  const std::string prefix = dir + "/" + (split == "train" ? "train" : "t10k");
  const std::string img_path = prefix + "-images-idx3-ubyte.gz", lab_path = prefix + "-labels-idx1-ubyte.gz";
  const std::string img = gunzip(img_path), lab = gunzip(lab_path);
  if (img.size() < 16 || be32(img, 0) != 2051) fail("fashion-mnist", "IDX image magic 2051", "other bytes", {img_path});
  if (lab.size() < 8 || be32(lab, 0) != 2049) fail("fashion-mnist", "IDX label magic 2049", "other bytes", {lab_path});
  const int64_t n = be32(img, 4), h = be32(img, 8), w = be32(img, 12);
  if (static_cast<int64_t>(img.size()) != 16 + n * h * w)
    fail("fashion-mnist", std::to_string(16 + n * h * w) + " bytes", std::to_string(img.size()), {img_path});
  if (be32(lab, 4) != n || static_cast<int64_t>(lab.size()) != 8 + n)
    fail("fashion-mnist", std::to_string(n) + " labels", std::to_string(be32(lab, 4)), {lab_path});
  ImageSet s;
  s.images = torch::from_blob(const_cast<char*>(img.data() + 16), {n, h, w}, torch::kUInt8).clone();
  s.labels = torch::from_blob(const_cast<char*>(lab.data() + 8), {n}, torch::kUInt8).to(torch::kLong);
  return s;
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> c = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  return c;
}

const std::vector<std::string>& fashion_mnist_spoken() {
  static const std::vector<std::string> c = {"t-shirt", "trousers", "pullover", "dress", "coat",
                                             "sandal", "shirt", "sneaker", "bag", "ankle boot"};
  return c;
}

}  // namespace avtune
