// Hostile .safetensors and .npy headers (issue 17): clean errors naming the file, no allocation from
// a size the file cannot hold, bounded error messages.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "avtune/io/npy.h"
#include "avtune/io/safetensors.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
using test::error_of;

namespace {

std::string safetensors_bytes(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  for (int k = 0; k < 8; ++k) out[k] = static_cast<char>((header.size() >> (8 * k)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

std::string load_error(const test::TempDir& dir, const std::string& header, size_t data_bytes) {
  const std::string path = dir.file("x.safetensors");
  std::ofstream(path, std::ios::binary) << safetensors_bytes(header, data_bytes);
  std::string m = error_of([&] { load_safetensors(path); });
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_EQ(m.find("non-avtune"), std::string::npos) << m;
  return m;
}

TEST(SafetensorsHostile, HundredThousandNestedArraysGiveAShortError) {
  test::TempDir dir;
  const size_t n = 100000;
  const std::string shape = std::string(n, '[') + std::string(n, ']');
  const std::string m = load_error(dir, R"({"a":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,4]}})", 4);
  EXPECT_LT(m.size(), 600u) << m.substr(0, 600);
}

TEST(SafetensorsHostile, MalformedFieldsAreNamed) {
  test::TempDir dir;
  EXPECT_NE(load_error(dir, R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[]}})", 4).find("data_offsets"), std::string::npos);
  EXPECT_NE(load_error(dir, R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4).find("data_offsets"), std::string::npos);
  EXPECT_NE(load_error(dir, R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 4).find("data_offsets"), std::string::npos);
  EXPECT_NE(load_error(dir, R"({"a":{"dtype":5,"shape":[1],"data_offsets":[0,4]}})", 4).find("dtype"), std::string::npos);
  EXPECT_NE(load_error(dir, R"({"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})", 4).find("shape"), std::string::npos);
  EXPECT_NE(load_error(dir, R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4).find("dimensions"), std::string::npos);
  EXPECT_NE(load_error(dir, R"({"__metadata__":[1,2]})", 0).find("__metadata__"), std::string::npos);
  // 2^32 x 2^32 x 16 elements overflow 64 bits; the check must not wrap around to a small size.
  EXPECT_NE(load_error(dir, R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})", 0)
                .find("fits 64 bits"),
            std::string::npos);
}

TEST(SafetensorsHostile, OverlappingRangesAreRefused) {
  test::TempDir dir;
  const std::string m = load_error(
      dir, R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16);
  EXPECT_NE(m.find("non-overlapping"), std::string::npos) << m;
}

TEST(SafetensorsHostile, AdjacentAndEmptyTensorsStillLoad) {
  test::TempDir dir;
  const std::string path = dir.file("ok.safetensors");
  std::ofstream(path, std::ios::binary) << safetensors_bytes(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
      16);
  auto f = load_safetensors(path);
  EXPECT_EQ(f.tensors.keys().size(), 3u);
}

std::string npy_bytes(const std::string& dict, size_t data_bytes) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64) h.push_back(' ');
  h.push_back('\n');
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  out.push_back(static_cast<char>(h.size() & 0xff));
  out.push_back(static_cast<char>(h.size() >> 8));
  return out + h + std::string(data_bytes, '\0');
}

TEST(NpyHostile, ShapesTheFileCannotHoldAreRefusedBeforeAllocating) {
  test::TempDir dir;
  const std::string path = dir.file("x.npy");
  for (const std::string shape : {"(1000000000000,)", "(99999999999999999999,)", "(4294967296, 4294967296, 16)"}) {
    std::ofstream(path, std::ios::binary) << npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", 16);
    const std::string m = error_of([&] { read_npy(path); });
    EXPECT_NE(m.find(path), std::string::npos) << shape << ": " << m;
    EXPECT_EQ(m.find("non-avtune"), std::string::npos) << shape << ": " << m;
  }
}

}  // namespace
