// Hostile pickles (issue 17): each ends in an avtune::Error naming the source, never a crash.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "avtune/io/pickle.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
using py::Kind;
using py::Value;
using test::error_of;
using namespace std::string_literals;

namespace {

const std::string kProto = std::string("\x80\x02", 2);

std::string unpickle_error(const std::string& bytes, const py::PersistentLoad& pl = nullptr, size_t max_values = 0) {
  return error_of([&] { py::unpickle(bytes.data(), bytes.size(), pl, "hostile.pkl", nullptr, max_values); });
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int k = 0; k < 8; ++k) s[k] = static_cast<char>((v >> (8 * k)) & 0xff);
  return s;
}

TEST(PickleHostile, HundredThousandNestedListsAreRefused) {
  const size_t n = 100000;
  const std::string p = kProto + std::string(n, '(') + std::string(n, 'l') + ".";
  const std::string m = unpickle_error(p);
  EXPECT_NE(m.find("hostile.pkl"), std::string::npos) << m;
  EXPECT_NE(m.find("nested at most 1000 deep"), std::string::npos) << m;
}

TEST(PickleHostile, MillionNestedDictsAreRefusedAndFreed) {
  // {} then a million (key 0, {}) pairs, then a million SETITEMs: each dict inside the one before.
  const size_t n = 1000000;
  std::string p = kProto + "}";
  p.reserve(p.size() + 4 * n + 1);
  for (size_t k = 0; k < n; ++k) p += std::string("K\x00}", 3);
  p += std::string(n, 's') + ".";
  const std::string m = unpickle_error(p);
  EXPECT_NE(m.find("nested at most 1000 deep"), std::string::npos) << m;
}

TEST(PickleHostile, DeepButAllowedNestingStillLoads) {
  const size_t n = py::kMaxPickleDepth - 1;
  const std::string p = kProto + std::string(n, '(') + std::string(n, 'l') + ".";
  auto v = py::unpickle(p.data(), p.size(), nullptr, "ok.pkl");
  int depth = 0;
  for (const Value* x = v.get(); x && x->kind == Kind::List; x = x->items.empty() ? nullptr : x->items[0].get()) ++depth;
  EXPECT_EQ(depth, static_cast<int>(n));
}

TEST(PickleHostile, ListContainingItselfIsRefused) {
  // L = []; L.append(L) through the memo.
  const std::string p = kProto + "]q\x00" "h\x00" "a."s;
  const std::string m = unpickle_error(p);
  EXPECT_NE(m.find("contains itself"), std::string::npos) << m;
}

TEST(PickleHostile, SelfReferencingRebuildFromTypeIsRefused) {
  // G = torch._tensor._rebuild_from_type_v2; L = [G, None, L, {}]; G(*L) would call G(*L) forever.
  std::string p = kProto + "ctorch._tensor\n_rebuild_from_type_v2\nq\x01" "0"s;
  p += "]q\x00" "(h\x01" "Nh\x00" "}e"s;
  p += "h\x01" "h\x00" "R."s;
  const std::string m = unpickle_error(p);
  EXPECT_NE(m.find("_rebuild_from_type_v2 nested at most 8 deep"), std::string::npos) << m;
  EXPECT_NE(m.find("hostile.pkl"), std::string::npos) << m;
}

TEST(PickleHostile, BadIntAndFloatTextNameTheFile) {
  for (const std::string& p : {kProto + "I12abc\n.", kProto + "I99999999999999999999999\n.", kProto + "F1.5x\n.",
                               kProto + "I\n."}) {
    const std::string m = unpickle_error(p);
    EXPECT_NE(m.find("hostile.pkl"), std::string::npos) << m;
    EXPECT_EQ(m.find("non-avtune"), std::string::npos) << m;
  }
}

TEST(PickleHostile, ValueCountIsCapped) {
  const std::string p = kProto + "(" + std::string(100, 'N') + "l.";
  EXPECT_EQ(unpickle_error(p, nullptr, 1000), "no error");
  const std::string m = unpickle_error(p, nullptr, 50);
  EXPECT_NE(m.find("at most 50 values"), std::string::npos) << m;
}

TEST(PickleHostile, OverflowingViewIsRefusedByAvtuneNotLibTorch) {
  py::PersistentLoad pl = [](const py::ValuePtr&) {
    auto v = std::make_shared<Value>();
    v->kind = Kind::Storage;
    v->tensor = torch::zeros({4});
    return v;
  };
  const uint64_t huge = uint64_t{1} << 62;
  std::string p = kProto + "ctorch._utils\n_rebuild_tensor_v2\n(NQK\x00"s;
  p += "(\x8a\x08"s + le64(huge) + "K\x04" "t"s;
  p += "(K\x04" "\x8a\x08"s + le64(huge) + "t";
  p += "tR.";
  const std::string m = unpickle_error(p, pl);
  EXPECT_NE(m.find("overflowing"), std::string::npos) << m;
  EXPECT_NE(m.find("hostile.pkl"), std::string::npos) << m;
}

TEST(PickleHostile, ManyDictKeysKeepPythonSemantics) {
  // 200k SETITEMs with a repeated key: the last value wins and order is first insertion (hash index).
  std::string p = kProto + "}(";
  for (int k = 0; k < 200000; ++k) {
    const std::string key = "k" + std::to_string(k % 1000);
    p += "X" + std::string(1, static_cast<char>(key.size())) + std::string(3, '\0') + key + "J" + std::string(reinterpret_cast<const char*>(&k), 4);
  }
  p += "u.";
  auto v = py::unpickle(p.data(), p.size(), nullptr, "many.pkl");
  ASSERT_EQ(v->entries.size(), 1000u);
  EXPECT_EQ(v->entries[0].first->s, "k0");
  EXPECT_EQ(v->get("k7")->i, 199007);
}

}  // namespace
