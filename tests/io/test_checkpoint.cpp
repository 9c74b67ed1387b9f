#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/models/resnet.h"
#include "avtune/train/train_config.h"
#include "avtune/util/error.h"
#include "../test_support.h"

using namespace avtune;

TEST(Checkpoint, RoundTripsEverything) {
  test::TempDir d;
  ResNetEncoder enc(ResNetConfig{18, 1, 0.125});
  TrainingCheckpoint ck;
  ck.model = state_dict_of(*enc);
  ck.optimizer.set("conv1.weight.momentum_buffer", torch::randn({8, 1, 7, 7}));
  ck.scheduler_json = R"({"kind":"cosine","last_epoch":4})";
  ck.config_json = R"({"lr":0.1})";
  ck.epoch = 5;
  ck.step = 1234;
  ck.cpu_rng_state = capture_cpu_rng();
  const auto p = d.file("run/last.pth");
  save_checkpoint(p, ck, /*also_safetensors=*/true);
  auto back = load_checkpoint(p);
  EXPECT_EQ(back.epoch, 5);
  EXPECT_EQ(back.step, 1234);
  EXPECT_EQ(back.scheduler_json, ck.scheduler_json);
  EXPECT_EQ(back.config_json, ck.config_json);
  EXPECT_EQ(back.model.keys(), ck.model.keys());
  for (const auto& [k, t] : ck.model.entries()) EXPECT_TRUE(torch::equal(back.model.at(k), t)) << k;
  EXPECT_TRUE(torch::equal(back.optimizer.at("conv1.weight.momentum_buffer"), ck.optimizer.at("conv1.weight.momentum_buffer")));
  // The weights also come as plain weights (the reference's {'model': ...} convention) and safetensors.
  EXPECT_EQ(load_weights(p).size(), ck.model.size());
  EXPECT_EQ(load_weights(d.file("run/last.safetensors")).size(), ck.model.size());
}

TEST(Checkpoint, RngStateRestoresTheSameDraws) {
  torch::manual_seed(3);
  auto state = capture_cpu_rng();
  auto a = torch::randn({5});
  restore_cpu_rng(state);
  auto b = torch::randn({5});
  EXPECT_TRUE(torch::equal(a, b));
}

TEST(Checkpoint, PlainWeightsAreNotATrainingCheckpoint) {
  test::TempDir d;
  StateDict sd;
  sd.set("w", torch::zeros({2}));
  save_weights(d.file("w.pth"), sd);
  try {
    load_checkpoint(d.file("w.pth"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("avtune training checkpoint"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("w.pth"), std::string::npos) << e.what();
  }
}

namespace {
std::string saved_run_checkpoint(const test::TempDir& d, const std::string& name, const std::string& config_json) {
  ResNetEncoder enc(ResNetConfig{18, 1, 0.125});
  TrainingCheckpoint ck;
  ck.model = state_dict_of(*enc);
  ck.config_json = config_json;
  const auto p = d.file(name);
  save_checkpoint(p, ck, /*also_safetensors=*/true);
  return p;
}
}  // namespace

TEST(Checkpoint, RunCheckpointsAreToldFromPlainWeights) {
  test::TempDir d;
  const auto p = saved_run_checkpoint(d, "last.pth", R"({"lr":0.1})");
  EXPECT_TRUE(is_run_checkpoint(p));
  // The safetensors copy beside it holds weights only.
  EXPECT_FALSE(is_run_checkpoint(d.file("last.safetensors")));
  StateDict sd;
  sd.set("w", torch::zeros({2}));
  save_weights(d.file("w.pth"), sd);
  save_weights(d.file("w.safetensors"), sd);
  EXPECT_FALSE(is_run_checkpoint(d.file("w.pth")));
  EXPECT_FALSE(is_run_checkpoint(d.file("w.safetensors")));
}

TEST(Checkpoint, CorruptCheckpointIsAnErrorNamingTheFile) {
  test::TempDir d;
  const auto p = saved_run_checkpoint(d, "last.pth", "{}");
  const auto size = std::filesystem::file_size(p);
  std::filesystem::resize_file(p, size / 2);  // an interrupted copy
  for (const auto& fn : {std::function<void()>([&] { is_run_checkpoint(p); }), std::function<void()>([&] { load_checkpoint(p); })}) {
    const auto msg = test::error_of(fn);
    EXPECT_NE(msg.find("last.pth"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("key"), std::string::npos) << "a key message for a broken file: " << msg;
    EXPECT_EQ(msg.find("shape"), std::string::npos) << "a shape message for a broken file: " << msg;
  }
  const auto garbage = d.file("garbage.pth");
  { std::ofstream(garbage) << "not a checkpoint"; }
  const auto msg = test::error_of([&] { is_run_checkpoint(garbage); });
  EXPECT_NE(msg.find("garbage.pth"), std::string::npos) << msg;
}

TEST(Checkpoint, UnknownConfigKeyIsAnErrorNamingKeyAndFile) {
  test::TempDir d;
  const auto p = saved_run_checkpoint(d, "best.pth", R"({"lr":0.1,"learning_rat":0.2})");
  ASSERT_TRUE(is_run_checkpoint(p));
  // What eval and probe do with a run checkpoint's configuration.
  const auto msg = test::error_of([&] { train_config_from_json(nlohmann::json::parse(load_checkpoint(p).config_json), p); });
  EXPECT_NE(msg.find("learning_rat"), std::string::npos) << msg;
  EXPECT_NE(msg.find("best.pth"), std::string::npos) << msg;
}
