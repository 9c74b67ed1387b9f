// Loading torch.save files as users have them, and writing ones torch.load reads.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avtune/io/pth.h"
#include "avtune/io/weights_file.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;
using py::Kind;

namespace {

using test::error_of;

TEST(Pth, PlainDict) {
  auto sd = load_weights(test::fixture("plain_dict.pth"));
  ASSERT_EQ(sd.keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sd.at("a").sizes(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(sd.at("b").sizes(), (std::vector<int64_t>{5}));
}

TEST(Pth, NestedCheckpointWithMetadataAndPythonObjects) {
  auto root = load_pth(test::fixture("nested.pth"));
  ASSERT_EQ(root->kind, Kind::Dict);
  EXPECT_EQ(root->get("epoch")->i, 7);
  EXPECT_DOUBLE_EQ(root->get("best_acc")->f, 0.625);  // numpy.float64
  EXPECT_DOUBLE_EQ(root->get("lr")->f, 0.01);
  EXPECT_EQ(root->get("name")->s, "run-1");
  EXPECT_EQ(root->get("args")->type_name(), "argparse.Namespace");
  EXPECT_EQ(root->get("history")->items.size(), 3u);
  EXPECT_TRUE(root->get("flag")->b);
  EXPECT_EQ(root->get("big")->i, int64_t{1} << 40);
  EXPECT_EQ(root->get("neg")->i, -5);
  // The state dict is an OrderedDict carrying _metadata, which LibTorch's pickle_load rejects.
  EXPECT_TRUE(root->get("model")->ordered);
  auto sd = load_weights(test::fixture("nested.pth"));
  EXPECT_EQ(sd.keys(), (std::vector<std::string>{"conv.weight", "conv.bias"}));
  auto plain = load_weights(test::fixture("plain_dict.pth"));
  EXPECT_TRUE(torch::equal(sd.at("conv.weight"), plain.at("a")));
}

TEST(Pth, PrefixesAreHandled) {
  auto sd = load_weights(test::fixture("module_prefix.pth"));
  EXPECT_EQ(sd.keys(), (std::vector<std::string>{"conv.weight", "conv.bias"}));
  auto joint = load_weights(test::fixture("joint_prefix.pth"));
  auto audio = select_prefix(joint, "audio_net.");
  auto visual = select_prefix(joint, "visual_net.");
  ASSERT_EQ(audio.keys(), (std::vector<std::string>{"conv.weight"}));
  EXPECT_TRUE(torch::allclose(visual.at("conv.weight"), audio.at("conv.weight") * 2));
}

TEST(Pth, EveryDtype) {
  auto sd = load_weights(test::fixture("dtypes.pth"));
  const std::vector<std::pair<std::string, torch::ScalarType>> want = {
      {"f16", torch::kHalf}, {"f32", torch::kFloat}, {"f64", torch::kDouble}, {"bf16", torch::kBFloat16},
      {"i64", torch::kLong}, {"i32", torch::kInt},   {"i16", torch::kShort},  {"i8", torch::kChar},
      {"u8", torch::kByte},  {"b", torch::kBool}};
  for (const auto& [k, dt] : want) {
    const auto& t = sd.at(k);
    EXPECT_EQ(t.scalar_type(), dt) << k;
    EXPECT_TRUE(torch::equal(t, torch::arange(6).reshape({2, 3}).to(dt))) << k;
  }
}

TEST(Pth, ViewsShareOneStorage) {
  auto sd = load_weights(test::fixture("shared.pth"));
  auto base = torch::arange(24, torch::kFloat).view({4, 6});
  EXPECT_TRUE(torch::equal(sd.at("base"), base));
  EXPECT_TRUE(torch::equal(sd.at("t"), base.t()));
  EXPECT_FALSE(sd.at("t").is_contiguous());
  EXPECT_TRUE(torch::equal(sd.at("row"), base[1]));
  EXPECT_TRUE(torch::equal(sd.at("cols"), base.slice(1, 2, 5)));
  EXPECT_TRUE(torch::equal(sd.at("strided"), base.slice(0, 0, 4, 2).slice(1, 0, 6, 3)));
  EXPECT_EQ(sd.at("empty").sizes(), (std::vector<int64_t>{0, 3}));
  // Same storage as in PyTorch: writing through one view shows in the others.
  sd.at("base").index_put_({1, 2}, -1.0);
  EXPECT_EQ(sd.at("row")[2].item<float>(), -1.0f);
  EXPECT_EQ(sd.at("t")[2][1].item<float>(), -1.0f);
  EXPECT_EQ(sd.at("same")[1][2].item<float>(), -1.0f);
}

TEST(Pth, LegacyFormat) {
  auto root = load_pth(test::fixture("legacy.pth"));
  EXPECT_EQ(root->get("epoch")->i, 2);
  auto sd = load_weights(test::fixture("legacy.pth"));
  auto base = torch::arange(24, torch::kFloat).view({4, 6});
  EXPECT_TRUE(torch::equal(sd.at("w"), base));
  EXPECT_TRUE(torch::equal(sd.at("wt"), base.t()));
}

TEST(Pth, ParametersScalarsAndProtocol4) {
  auto p = load_weights(test::fixture("parameter.pth"));
  EXPECT_TRUE(torch::equal(p.at("p"), load_weights(test::fixture("plain_dict.pth")).at("a")));
  auto s = load_weights(test::fixture("proto4.pth"));
  EXPECT_EQ(s.at("s").dim(), 0);
  EXPECT_FLOAT_EQ(s.at("s").item<float>(), 3.5f);
}

TEST(Pth, NotAStateDictSaysWhatItFound) {
  auto m = error_of([] { load_weights(test::fixture("a_list.pth")); });
  EXPECT_NE(m.find("a_list.pth"), std::string::npos) << m;
  EXPECT_NE(m.find("got a list"), std::string::npos) << m;
  auto m2 = error_of([] { load_weights(WeightsSource{test::fixture("nested.pth"), "optimizer"}); });
  EXPECT_NE(m2.find("key 'optimizer'"), std::string::npos) << m2;
  EXPECT_NE(m2.find("epoch:int"), std::string::npos) << m2;
}

TEST(Pth, BadFilesGiveClearErrors) {
  test::TempDir d;
  // Truncated zip.
  {
    std::ifstream in(test::fixture("plain_dict.pth"), std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(d.file("trunc.pth"), std::ios::binary) << all.substr(0, all.size() / 2);
  }
  auto m = error_of([&] { load_pth(d.file("trunc.pth")); });
  EXPECT_NE(m.find("trunc.pth"), std::string::npos) << m;
  EXPECT_NE(m.find("expected"), std::string::npos) << m;
  // Wrong magic.
  std::ofstream(d.file("text.pth")) << "hello, not a checkpoint";
  m = error_of([&] { load_pth(d.file("text.pth")); });
  EXPECT_NE(m.find("text.pth"), std::string::npos) << m;
  EXPECT_NE(m.find("magic"), std::string::npos) << m;
  // Empty.
  std::ofstream(d.file("empty.pth")).close();
  m = error_of([&] { load_pth(d.file("empty.pth")); });
  EXPECT_NE(m.find("empty"), std::string::npos) << m;
  // Missing.
  m = error_of([&] { load_pth(d.file("absent.pth")); });
  EXPECT_NE(m.find("absent.pth"), std::string::npos) << m;
}

TEST(Pth, SaveThenLoadKeepsValuesViewsAndNesting) {
  test::TempDir d;
  auto base = torch::randn({3, 5});
  auto root = py::Value::dict();
  auto sd = py::Value::dict(true);
  sd->set("w", py::Value::from_tensor(base));
  sd->set("wt", py::Value::from_tensor(base.t()));
  sd->set("h", py::Value::from_tensor(torch::ones({4}, torch::kHalf)));
  root->set("model", sd);
  root->set("epoch", py::Value::integer(12));
  root->set("note", py::Value::str("x"));
  save_pth(d.file("out.pth"), root);
  auto back = load_pth(d.file("out.pth"));
  EXPECT_EQ(back->get("epoch")->i, 12);
  auto w = load_weights(d.file("out.pth"));
  EXPECT_TRUE(torch::equal(w.at("w"), base));
  EXPECT_TRUE(torch::equal(w.at("wt"), base.t()));
  EXPECT_EQ(w.at("h").scalar_type(), torch::kHalf);
  w.at("w").index_put_({0, 1}, 42.0);
  EXPECT_EQ(w.at("wt")[1][0].item<float>(), 42.0f);  // still one storage
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path)) { (void)e; ++files; }
  EXPECT_EQ(files, 1) << "temp file left behind";
}

}  // namespace
