#include <gtest/gtest.h>

#include "avtune/train/lr_schedule.h"
#include "avtune/util/error.h"

using namespace avtune;

// 10 steps per epoch, 5 epochs (50 steps), base rate 0.1 unless stated.

TEST(Schedule, Constant) {
  LRSchedule s(ScheduleConfig{}, 0.1, 10, 5);
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(49), 0.1);
}

TEST(Schedule, StepDecaysEveryStepSizeEpochs) {
  ScheduleConfig c;
  c.kind = "step";
  c.step_size = 2;
  c.gamma = 0.5;
  LRSchedule s(c, 0.1, 10, 5);
  EXPECT_DOUBLE_EQ(s.at(19), 0.1);    // epoch 1
  EXPECT_DOUBLE_EQ(s.at(20), 0.05);   // epoch 2
  EXPECT_DOUBLE_EQ(s.at(39), 0.05);   // epoch 3
  EXPECT_DOUBLE_EQ(s.at(40), 0.025);  // epoch 4
}

TEST(Schedule, MultistepAtMilestones) {
  ScheduleConfig c;
  c.kind = "multistep";
  c.milestones = {1, 3};
  c.gamma = 0.1;
  LRSchedule s(c, 0.1, 10, 5);
  EXPECT_DOUBLE_EQ(s.at(9), 0.1);
  EXPECT_NEAR(s.at(10), 0.01, 1e-15);
  EXPECT_NEAR(s.at(29), 0.01, 1e-15);
  EXPECT_NEAR(s.at(30), 0.001, 1e-15);
  EXPECT_NEAR(s.at(49), 0.001, 1e-15);
}

TEST(Schedule, CosineToMinimum) {
  ScheduleConfig c;
  c.kind = "cosine";
  c.min_lr = 0.0;
  LRSchedule s(c, 0.1, 10, 5);
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_NEAR(s.at(25), 0.05, 1e-15);                  // t = 1/2
  EXPECT_NEAR(s.at(10), 0.05 * (1 + std::cos(M_PI * 0.2)), 1e-15);  // t = 1/5: 0.0904508...
  EXPECT_NEAR(s.at(10), 0.0904508497187474, 1e-15);
  EXPECT_NEAR(s.at(50), 0.0, 1e-15);
  c.min_lr = 0.01;
  LRSchedule m(c, 0.1, 10, 5);
  EXPECT_NEAR(m.at(25), 0.055, 1e-15);
}

TEST(Schedule, LinearWarmupThenCosine) {
  ScheduleConfig c;
  c.kind = "cosine";
  c.warmup_epochs = 1;
  LRSchedule s(c, 0.1, 10, 5);
  EXPECT_EQ(s.warmup_steps(), 10);
  EXPECT_NEAR(s.at(0), 0.01, 1e-15);
  EXPECT_NEAR(s.at(4), 0.05, 1e-15);
  EXPECT_NEAR(s.at(9), 0.1, 1e-15);
  EXPECT_NEAR(s.at(10), 0.1, 1e-15);  // cosine starts after the warm-up: t = 0
  EXPECT_NEAR(s.at(30), 0.05, 1e-15); // t = 20/40
}

TEST(Schedule, FractionalWarmupAndStep) {
  ScheduleConfig c;
  c.kind = "step";
  c.step_size = 1;
  c.gamma = 0.1;
  c.warmup_epochs = 0.5;  // 5 steps
  LRSchedule s(c, 1.0, 10, 3);
  EXPECT_NEAR(s.at(0), 0.2, 1e-15);
  EXPECT_NEAR(s.at(4), 1.0, 1e-15);
  EXPECT_NEAR(s.at(5), 1.0, 1e-15);
  EXPECT_NEAR(s.at(10), 0.1, 1e-15);
}

TEST(Schedule, RejectsBadSettings) {
  ScheduleConfig c;
  c.kind = "linear";
  EXPECT_THROW(LRSchedule(c, 0.1, 10, 5), Error);
  c.kind = "multistep";
  c.milestones = {3, 1};
  EXPECT_THROW(LRSchedule(c, 0.1, 10, 5), Error);
  EXPECT_THROW(LRSchedule(ScheduleConfig{}, 0.1, 0, 5), Error);
}
