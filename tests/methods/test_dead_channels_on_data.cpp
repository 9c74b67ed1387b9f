// The on-data diagnosis across modalities (the paper's dead-channel analysis): a visual source encoder measured on audio and
// an audio one on frames, with input channels adapted 1 <-> 3, on a tiny Kinetics-Sounds layout on disk.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "avtune/audio/audio_file.h"
#include "avtune/data/clip_list.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/weights_file.h"
#include "avtune/methods/dead_channels_on_data.h"
#include "avtune/run/training_run.h"
#include "avtune/vision/image_io.h"
#include "../test_support.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {

constexpr int kClips = 10;

// root/audio/test/c<i>.wav (1 s tones), root/visual/test/c<i>/frame_0000k.jpg and root/test_1fps_path.txt.
std::string make_tiny_ks(const test::TempDir& d) {
  const fs::path root = d.path / "ks";
  ClipList list;
  list.classes = {"low", "high"};
  fs::create_directories(root / "audio" / "test");
  for (int i = 0; i < kClips; ++i) {
    const std::string name = "c" + std::to_string(i);
    auto t = torch::arange(16000, torch::kFloat) / 16000.0;
    write_wav16((root / "audio" / "test" / (name + ".wav")).string(), 0.3 * torch::sin(2 * M_PI * (200.0 * (i + 1)) * t),
                16000);
    fs::create_directories(root / "visual" / "test" / name);
    for (int k = 1; k <= 3; ++k) {
      char fn[32];
      std::snprintf(fn, sizeof fn, "frame_%05d.jpg", k);
      write_jpeg((root / "visual" / "test" / name / fn).string(), torch::randint(0, 255, {3, 36, 36}).to(torch::kUInt8), 90);
    }
    list.entries.push_back({name, i % 2, i + 1});
  }
  write_ks_list((root / "test_1fps_path.txt").string(), list, "test");
  return root.string();
}

DatasetSpec tiny_spec(const std::string& root, Modality on) {
  return dataset_spec_from(resolved_data({{"root", root}, {"image_size", 32}, {"audio_frames", 64}, {"mel_bins", 32}}), on);
}

OnDataOptions small(int64_t samples) {
  OnDataOptions o;
  o.max_samples = samples;
  o.batch_size = 4;
  o.workers = 1;
  o.device = "cpu";
  return o;
}

// Channel 0 of the stem BN outputs -1 everywhere: dead on every sample, whatever the input.
ResNetEncoder encoder_with_dead_stem_channel(int in_channels) {
  torch::manual_seed(1);
  ResNetEncoder e(ResNetConfig{18, in_channels, 0.125});
  torch::NoGradGuard ng;
  e->bn1->weight[0].fill_(0.0);
  e->bn1->bias[0].fill_(-1.0);
  return e;
}

void expect_measured(const Diagnosis& d, int64_t samples) {
  ASSERT_EQ(d.layers.size(), 20u);  // ResNet-18: stem + 8 blocks x 2 + 3 downsample BNs
  for (const auto& L : d.layers) {
    EXPECT_GE(L.dead_channels, 0) << L.name << " not measured";
    EXPECT_LE(L.dead_channels, L.channels) << L.name;
    EXPECT_EQ(L.samples, samples) << L.name;
    EXPECT_TRUE(L.mean_dead_fraction >= 0 && L.mean_dead_fraction <= 1) << L.name;
  }
  EXPECT_EQ(d.layers[0].name, "bn1");
  EXPECT_GE(d.layers[0].dead_channels, 1);  // the planted channel
}

}  // namespace

TEST(DeadChannelsOnData, VisualRunCheckpointMeasuredOnAudio) {
  test::TempDir d;
  const auto root = make_tiny_ks(d);
  auto enc = encoder_with_dead_stem_channel(3);
  TrainingCheckpoint ck;
  ck.model = add_prefix(state_dict_of(*enc), "visual_net.");
  const auto path = d.file("last.pth");
  save_checkpoint(path, ck);

  const auto diag = diagnose_on_data(path, "visual_net.", tiny_spec(root, Modality::Audio), "test", Modality::Audio,
                                     DiagnoseOptions{}, small(6));
  EXPECT_EQ(diag.source, path);
  expect_measured(diag, 6);
  // The parameter view is that of the encoder's own weights.
  const auto params = diagnose_parameters(state_dict_of(*enc), DiagnoseOptions{}, path);
  ASSERT_EQ(params.layers.size(), diag.layers.size());
  for (size_t i = 0; i < params.layers.size(); ++i) {
    EXPECT_EQ(params.layers[i].name, diag.layers[i].name);
    EXPECT_EQ(params.layers[i].abnormal_ratio, diag.layers[i].abnormal_ratio);
  }
}

TEST(DeadChannelsOnData, AudioWeightsMeasuredOnFramesAndCappedByTheSplit) {
  test::TempDir d;
  const auto root = make_tiny_ks(d);
  auto enc = encoder_with_dead_stem_channel(1);
  const auto path = d.file("audio.safetensors");
  save_weights(path, state_dict_of(*enc));
  // More samples asked for than the split holds: every clip once; each clip's 3 frames count as samples.
  const auto diag = diagnose_on_data(path, "", tiny_spec(root, Modality::Visual), "test", Modality::Visual,
                                     DiagnoseOptions{}, small(1000));
  expect_measured(diag, 3 * kClips);
}

TEST(DeadChannelsOnData, SameSamplesWhateverTheBatchAndWorkers) {
  test::TempDir d;
  const auto root = make_tiny_ks(d);
  auto enc = encoder_with_dead_stem_channel(3);
  const StateDict sd = state_dict_of(*enc);
  auto a_opts = small(7);
  auto b_opts = small(7);
  b_opts.batch_size = 3;
  b_opts.workers = 2;
  const auto spec = tiny_spec(root, Modality::Audio);
  const auto a = diagnose_on_data(sd, "a", spec, "test", Modality::Audio, DiagnoseOptions{}, a_opts);
  const auto b = diagnose_on_data(sd, "b", spec, "test", Modality::Audio, DiagnoseOptions{}, b_opts);
  for (size_t i = 0; i < a.layers.size(); ++i) {
    EXPECT_EQ(a.layers[i].dead_channels, b.layers[i].dead_channels) << a.layers[i].name;
    EXPECT_NEAR(a.layers[i].mean_dead_fraction, b.layers[i].mean_dead_fraction, 1e-9) << a.layers[i].name;
  }
}

TEST(DeadChannelsOnData, InputChannelsAdaptedAsInTraining) {
  const auto audio = torch::randn({2, 1, 8, 4});
  const auto clips = torch::randn({2, 3, 3, 5, 5});  // (B, C, T, H, W)
  EXPECT_EQ(encoder_input(audio, {}, Modality::Audio, 1).sizes(), audio.sizes());
  const auto a3 = encoder_input(audio, {}, Modality::Audio, 3);
  EXPECT_EQ(a3.sizes(), (std::vector<int64_t>{2, 3, 8, 4}));
  EXPECT_TRUE(torch::equal(a3[0][2], audio[0][0]));
  const auto v1 = encoder_input({}, clips, Modality::Visual, 1);
  EXPECT_EQ(v1.sizes(), (std::vector<int64_t>{6, 1, 5, 5}));  // frames folded into the batch, RGB averaged
  EXPECT_TRUE(torch::allclose(v1[1][0], clips[0].select(1, 1).mean(0)));
  EXPECT_EQ(encoder_input({}, clips, Modality::Visual, 3).sizes(), (std::vector<int64_t>{6, 3, 5, 5}));
}

TEST(DeadChannelsOnData, ErrorsNameTheFile) {
  test::TempDir d;
  const auto root = make_tiny_ks(d);
  const auto path = d.file("broken.pth");
  { std::ofstream(path) << "not weights"; }
  const auto msg = test::error_of([&] {
    diagnose_on_data(path, "", tiny_spec(root, Modality::Audio), "test", Modality::Audio, DiagnoseOptions{}, small(2));
  });
  EXPECT_NE(msg.find("broken.pth"), std::string::npos) << msg;
}
