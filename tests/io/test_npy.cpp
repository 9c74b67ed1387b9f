// .npy writing and reading: round trips, the on-disk header, NumPy-written files, clear errors.
// (That numpy.load reads avtune's files is checked end to end by tests/cli/test_features.sh.)
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "../test_support.h"
#include "avtune/io/npy.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {

using test::error_of;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  test::TempDir d;
  for (auto dt : {torch::kFloat, torch::kDouble, torch::kHalf, torch::kLong, torch::kInt, torch::kShort, torch::kChar,
                  torch::kByte, torch::kBool}) {
    SCOPED_TRACE(c10::toString(dt));
    const auto t = torch::arange(24).reshape({2, 3, 4}).to(dt);
    write_npy(d.file("t.npy"), t);
    const auto back = read_npy(d.file("t.npy"));
    EXPECT_EQ(back.scalar_type(), dt);
    EXPECT_TRUE(back.equal(t));
  }
  const std::vector<torch::Tensor> shapes = {torch::tensor(3.5f), torch::randn({7}), torch::zeros({0, 3}),
                                             torch::randn({4, 5}).t(), torch::randn({2, 1, 3, 1, 2})};
  for (const auto& t : shapes) {
    SCOPED_TRACE(c10::str(t.sizes()));
    write_npy(d.file("s.npy"), t);
    const auto back = read_npy(d.file("s.npy"));
    EXPECT_EQ(back.sizes(), t.sizes());
    EXPECT_TRUE(back.equal(t));
  }
}

TEST(Npy, WritesNumpyFormat10Header) {
  test::TempDir d;
  write_npy(d.file("h.npy"), torch::zeros({2, 3}, torch::kFloat));
  const std::string bytes = read_bytes(d.file("h.npy"));
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY"));
  EXPECT_EQ(bytes[6], '\x01');
  EXPECT_EQ(bytes[7], '\x00');
  const size_t hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u);  // data 64-byte aligned, as NumPy writes it
  const std::string header = bytes.substr(10, hlen);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0), 0u) << header;
  EXPECT_EQ(bytes.size(), 10 + hlen + 6 * 4);
  write_npy(d.file("v.npy"), torch::zeros({5}, torch::kLong));
  EXPECT_NE(read_bytes(d.file("v.npy")).find("'shape': (5,)"), std::string::npos);
  write_npy(d.file("b.npy"), torch::zeros({1}, torch::kBool));
  EXPECT_NE(read_bytes(d.file("b.npy")).find("'descr': '|b1'"), std::string::npos);
}

TEST(Npy, ReadsNumpyWrittenFiles) {
  const auto a = torch::arange(24);
  auto f4 = read_npy(test::fixture("audio/npy_f4_2x3x4.npy"));
  EXPECT_EQ(f4.scalar_type(), torch::kFloat);
  EXPECT_TRUE(f4.equal(a.reshape({2, 3, 4}).to(torch::kFloat)));
  auto f8 = read_npy(test::fixture("audio/npy_f8_fortran_2x3x4.npy"));
  EXPECT_EQ(f8.scalar_type(), torch::kDouble);
  EXPECT_TRUE(f8.equal(a.reshape({2, 3, 4}).to(torch::kDouble)));  // Fortran order comes back as C order
  EXPECT_TRUE(read_npy(test::fixture("audio/npy_i8_24.npy")).equal(a));
  auto u1 = read_npy(test::fixture("audio/npy_u1_scalar.npy"));
  EXPECT_EQ(u1.dim(), 0);
  EXPECT_EQ(u1.scalar_type(), torch::kByte);
  EXPECT_EQ(u1.item<uint8_t>(), 7);
  EXPECT_TRUE(read_npy(test::fixture("audio/npy_b1_2x3.npy")).equal((a.slice(0, 0, 6) % 2 == 0).reshape({2, 3})));
  auto f2 = read_npy(test::fixture("audio/npy_f2_0x3.npy"));
  EXPECT_EQ(f2.sizes(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(f2.scalar_type(), torch::kHalf);
  EXPECT_TRUE(read_npy(test::fixture("audio/npy_v2_i2_4x6.npy")).equal(a.reshape({4, 6}).to(torch::kShort)));
}

TEST(Npy, RefusesWhatItCannotRepresentClearly) {
  test::TempDir d;
  auto big = test::fixture("audio/npy_big_endian.npy");
  std::string msg = error_of([&] { read_npy(big); });
  EXPECT_NE(msg.find("'>f4'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(big), std::string::npos) << msg;
  msg = error_of([&] { read_npy(test::fixture("audio/npy_structured.npy")); });
  EXPECT_NE(msg.find("structured"), std::string::npos) << msg;

  msg = error_of([&] { write_npy(d.file("bf.npy"), torch::zeros({2}, torch::kBFloat16)); });
  EXPECT_NE(msg.find("BFloat16"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(d.file("bf.npy")));

  std::ofstream(d.file("text.npy")) << "hello";
  msg = error_of([&] { read_npy(d.file("text.npy")); });
  EXPECT_NE(msg.find("magic"), std::string::npos) << msg;
  EXPECT_NE(msg.find("text.npy"), std::string::npos) << msg;

  write_npy(d.file("full.npy"), torch::randn({100}));
  const std::string bytes = read_bytes(d.file("full.npy"));
  std::ofstream(d.file("cut.npy"), std::ios::binary) << bytes.substr(0, bytes.size() - 10);
  msg = error_of([&] { read_npy(d.file("cut.npy")); });
  EXPECT_NE(msg.find("400 data bytes"), std::string::npos) << msg;
  std::ofstream(d.file("hdr.npy"), std::ios::binary) << bytes.substr(0, 40);
  EXPECT_NE(error_of([&] { read_npy(d.file("hdr.npy")); }).find("hdr.npy"), std::string::npos);

  msg = error_of([&] { read_npy(d.file("missing.npy")); });
  EXPECT_NE(msg.find("missing.npy"), std::string::npos) << msg;
}
