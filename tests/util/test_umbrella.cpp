// The umbrella header compiles on its own, in every build configuration, and brings each component's API.
#include "avtune/avtune.h"

#include <gtest/gtest.h>

TEST(Umbrella, BringsTheApiOfEveryComponentThisBuildHas) {
  // core
  EXPECT_TRUE(avtune::parse_encoder_init("random").random);
  EXPECT_EQ(avtune::to_json(avtune::DataSettings{}).at("image_size"), 224);
#if AVTUNE_HAS_STUDY
  EXPECT_EQ(avtune::parse_figure_format("svg"), avtune::FigureFormat::Svg);
#endif
  EXPECT_TRUE(AVTUNE_HAS_MEDIA == 0 || AVTUNE_HAS_MEDIA == 1);
}
