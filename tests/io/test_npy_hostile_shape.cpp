// An .npy whose shape has a zero dimension beside huge ones: 0 bytes of data, but LibTorch's strides
// (products of the other dimensions) would overflow; refused naming the file (fuzz_npy, issue 17).
#include <gtest/gtest.h>

#include <fstream>

#include "avtune/io/npy.h"
#include "../test_support_base.h"

namespace avtune {
namespace {

TEST(NpyHostileShape, ZeroBesideHugeDimensionsIsAnErrorNamingTheFile) {
  test::TempDir d;
  const std::string path = d.file("zero.npy");
  std::string dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (999999999999999999, 999999999999999999, 0), }";
  dict.resize(118, ' ');
  dict += '\n';  // magic (6) + version (2) + length (2) + 118 = 128 bytes
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(dict.size() & 0xff), static_cast<char>(dict.size() >> 8)};
  out.write(len, 2);
  out << dict;
  out.close();
  const std::string e = test::error_of([&] { read_npy(path); });
  EXPECT_NE(e.find(path), std::string::npos) << e;
  EXPECT_EQ(e.find("non-avtune"), std::string::npos) << e;
}

}  // namespace
}  // namespace avtune
