#include <gtest/gtest.h>

#include <filesystem>

#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/models/resnet.h"
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
