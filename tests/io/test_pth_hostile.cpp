// Hostile and unlucky .pth files (issue 17): a clean avtune::Error naming the file, never a signal,
// never a partial final file.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "avtune/io/pth.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
using namespace std::string_literals;
using test::error_of;

namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A zip-format .pth whose data.pkl is `pkl` (the archive LibTorch's own writer makes).
void write_zip_pth(const std::string& path, const std::string& pkl) {
  caffe2::serialize::PyTorchStreamWriter w(path);
  w.writeRecord("data.pkl", pkl.data(), pkl.size());
  w.writeEndOfFile();
}

// The legacy (pre-1.6) stream: magic, protocol 1001, sys_info, then `object` and `keys` pickles and
// the raw storages.
std::string legacy_pth(const std::string& object, const std::string& keys, const std::string& storages) {
  std::string magic = "\x80\x02\x8a\x0a"s + "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"s + ".";
  std::string proto = "\x80\x02M\xe9\x03."s;
  std::string sys_info = "\x80\x02}."s;
  return magic + proto + sys_info + object + keys + storages;
}

// torch._utils._rebuild_tensor_v2(persistent ('storage', FloatStorage, 'k0', 'cpu', numel, None), 0, (4,), (1,))
std::string legacy_object(const std::string& numel_opcode) {
  return "\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
         "ctorch\nFloatStorage\nX\x02\x00\x00\x00k0X\x03\x00\x00\x00" "cpu"s +
         numel_opcode + "NtQK\x00(K\x04t(K\x01ttR."s;
}

TEST(PthHostile, DeeplyNestedDataPklInAZipIsRefused) {
  test::TempDir dir;
  const std::string path = dir.file("deep.pth");
  const size_t n = 100000;
  write_zip_pth(path, "\x80\x02"s + std::string(n, '(') + std::string(n, 'l') + ".");
  const std::string m = error_of([&] { load_pth(path); });
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find("nested at most"), std::string::npos) << m;
}

TEST(PthHostile, LegacyStorageMissingFromTheKeyListIsAnError) {
  test::TempDir dir;
  const std::string path = dir.file("legacy.pth");
  write_bytes(path, legacy_pth(legacy_object("K\x04"s), "\x80\x02]."s, std::string(24, '\0')));
  const std::string m = error_of([&] { load_pth(path); });
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find("storage 'k0'"), std::string::npos) << m;
}

TEST(PthHostile, LegacyStorageLargerThanTheFileIsRefusedBeforeAllocating) {
  test::TempDir dir;
  const std::string path = dir.file("huge.pth");
  // numel 2^40 floats (4 TiB) in a file of a few hundred bytes
  write_bytes(path, legacy_pth(legacy_object("\x8a\x06\x00\x00\x00\x00\x00\x01"s), "\x80\x02]X\x02\x00\x00\x00k0a."s, ""));
  const std::string m = error_of([&] { load_pth(path); });
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find("fits in the file"), std::string::npos) << m;
}

TEST(PthHostile, LegacyWellFormedFileStillLoads) {
  test::TempDir dir;
  const std::string path = dir.file("ok.pth");
  std::string data(8, '\0');
  data[0] = 4;  // numel, then 4 floats
  const float v[4] = {1, 2, 3, 4};
  data += std::string(reinterpret_cast<const char*>(v), sizeof v);
  write_bytes(path, legacy_pth(legacy_object("K\x04"s), "\x80\x02]X\x02\x00\x00\x00k0a."s, data));
  auto t = load_pth(path);
  ASSERT_EQ(t->kind, py::Kind::Tensor);
  EXPECT_TRUE(torch::equal(t->tensor, torch::tensor({1.f, 2.f, 3.f, 4.f})));
}

// In a death-test child: files limited to 64 KiB, then save; exit 3 with the message on an avtune::Error.
void save_on_full_disk(const std::string& path, const py::ValuePtr& root) {
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit lim{64 << 10, 64 << 10};
  setrlimit(RLIMIT_FSIZE, &lim);
  try {
    save_pth(path, root);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::_Exit(3);
  }
  std::_Exit(0);
}

// A full disk: the save runs in a child limited to 64 KiB files (RLIMIT_FSIZE, SIGXFSZ ignored, so
// write() fails with EFBIG as on a full disk). LibTorch 1.13's own writer would throw from its
// destructor there and abort; avtune's reports and removes its temp file.
TEST(PthHostile, SaveOnAFullDiskIsACleanErrorAndLeavesNothing) {
  test::TempDir dir;
  const std::string path = dir.file("big.pth");
  auto root = py::Value::dict();
  root->set("w", py::Value::from_tensor(torch::ones({1 << 20})));  // 4 MiB
  EXPECT_EXIT(save_on_full_disk(path, root), ::testing::ExitedWithCode(3), "atomic-write: expected all bytes");
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) left.push_back(e.path().filename().string());
  EXPECT_TRUE(left.empty()) << left.size() << " file(s) left, first " << left[0];
}

}  // namespace
