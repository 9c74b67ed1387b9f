#include <gtest/gtest.h>

#include "avtune/models/classifiers.h"
#include "avtune/models/memory_format.h"
#include "../test_support.h"

using namespace avtune;

TEST(MemoryFormat, SwitchesEveryEncoderOfAJointModelAndKeepsItsOutputs) {
  torch::manual_seed(3);
  AVClassifier m(ResNetConfig{18, 1, 0.25}, ResNetConfig{18, 3, 0.25}, 5);
  m->eval();
  torch::NoGradGuard ng;
  const auto a = torch::randn({2, 1, 64, 32}), v = torch::randn({2, 3, 2, 32, 32});
  const auto before = m->forward(a, v).logits;
  EXPECT_EQ(set_channels_last(*m, true), 2);
  EXPECT_TRUE(m->audio_net->channels_last());
  EXPECT_TRUE(m->visual_net->layer4[1]->as<BasicBlock>()->conv2->weight.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_LE(test::max_abs_diff(m->forward(a, v).logits, before), 1e-4);
  EXPECT_EQ(set_channels_last(*m, false), 2);
  EXPECT_TRUE(m->visual_net->conv1->weight.is_contiguous());
}
