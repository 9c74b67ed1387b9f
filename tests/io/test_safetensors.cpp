#include <gtest/gtest.h>

#include <fstream>

#include "avtune/io/safetensors.h"
#include "avtune/io/weights_file.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;

namespace {

using test::error_of;

void write_raw(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  const uint64_t n = header.size();
  for (int k = 0; k < 8; ++k) out.put(static_cast<char>((n >> (8 * k)) & 0xff));
  out << header << data;
}

TEST(Safetensors, RoundTripEveryDtypeAndMetadata) {
  test::TempDir d;
  StateDict sd;
  for (auto dt : {torch::kFloat, torch::kDouble, torch::kHalf, torch::kBFloat16, torch::kLong, torch::kInt,
                  torch::kShort, torch::kChar, torch::kByte, torch::kBool})
    sd.set(std::string("t_") + c10::toString(dt), torch::arange(6).reshape({2, 3}).to(dt));
  sd.set("noncontig", torch::randn({4, 3}).t());
  sd.set("scalar", torch::tensor(2.5));
  save_safetensors(d.file("w.safetensors"), sd, {{"epoch", "3"}});
  EXPECT_EQ(detect_weights_format(d.file("w.safetensors")), WeightsFormat::Safetensors);
  auto back = load_safetensors(d.file("w.safetensors"));
  EXPECT_EQ(back.metadata.at("epoch"), "3");
  ASSERT_EQ(back.tensors.size(), sd.size());
  EXPECT_EQ(back.tensors.keys(), sd.keys());
  for (const auto& [k, t] : sd.entries()) {
    EXPECT_EQ(back.tensors.at(k).scalar_type(), t.scalar_type()) << k;
    EXPECT_TRUE(torch::equal(back.tensors.at(k), t)) << k;
  }
  // The header keeps the data 8-byte aligned.
  std::ifstream in(d.file("w.safetensors"), std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  EXPECT_EQ(n % 8, 0u);
}

TEST(Safetensors, BadFilesGiveClearErrors) {
  test::TempDir d;
  write_raw(d.file("len.safetensors"), std::string(4, ' '), "");
  std::ofstream(d.file("huge.safetensors"), std::ios::binary) << std::string("\xff\xff\xff\x00\x00\x00\x00\x00{}", 10);
  auto m = error_of([&] { load_safetensors(d.file("huge.safetensors")); });
  EXPECT_NE(m.find("header length within the file"), std::string::npos) << m;
  write_raw(d.file("json.safetensors"), "{\"a\": [", "");
  m = error_of([&] { load_safetensors(d.file("json.safetensors")); });
  EXPECT_NE(m.find("invalid JSON"), std::string::npos) << m;
  EXPECT_NE(m.find("json.safetensors"), std::string::npos) << m;
  write_raw(d.file("off.safetensors"), R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "abcd");
  m = error_of([&] { load_safetensors(d.file("off.safetensors")); });
  EXPECT_NE(m.find("data offsets inside"), std::string::npos) << m;
  write_raw(d.file("shape.safetensors"), R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "abcdefgh");
  m = error_of([&] { load_safetensors(d.file("shape.safetensors")); });
  EXPECT_NE(m.find("12 bytes for 'w'"), std::string::npos) << m;
  write_raw(d.file("dtype.safetensors"), R"({"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", "a");
  m = error_of([&] { load_safetensors(d.file("dtype.safetensors")); });
  EXPECT_NE(m.find("'F8'"), std::string::npos) << m;
}

TEST(Safetensors, ConvertFromPthKeepsValues) {
  test::TempDir d;
  auto sd = load_weights(test::fixture("dtypes.pth"));
  save_weights(d.file("x.safetensors"), sd);
  auto back = load_weights(d.file("x.safetensors"));
  for (const auto& [k, t] : sd.entries()) EXPECT_TRUE(torch::equal(back.at(k), t)) << k;
  save_weights(d.file("y.pth"), back);
  auto again = load_weights(d.file("y.pth"));
  for (const auto& [k, t] : sd.entries()) EXPECT_TRUE(torch::equal(again.at(k), t)) << k;
}

}  // namespace
