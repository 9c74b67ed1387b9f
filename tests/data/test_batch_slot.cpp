// The loader's batch-slot path (Dataset::get_into straight into a preallocated batch) against
// today's path (get() per sample, then collate): the same batch, bit for bit, for each setting of the
// draft decode and with the caches on or off; and the same batches again for the same seed.
#include <gtest/gtest.h>

#include <filesystem>

#include "../test_support.h"
#include "avtune/audio/audio_file.h"
#include "avtune/audio/fbank_cache.h"
#include "avtune/data/av_clip_dataset.h"
#include "avtune/data/loader.h"
#include "avtune/vision/image_cache.h"
#include "avtune/vision/image_io.h"
#include "avtune/vision/image_transforms.h"

using namespace avtune;
namespace fs = std::filesystem;

namespace {

// Clips with 1.5 s of two tones and 4 textured frames of 480 x 500 (drafted to 1/2 for 112 crops).
ClipList clips(const test::TempDir& d, int n) {
  ClipList l;
  l.source = d.file("list.txt");
  l.classes = {"a", "b", "c"};
  for (int i = 0; i < n; ++i) {
    const std::string name = "clip" + std::to_string(i);
    auto t = torch::arange(24000, torch::kFloat) / 16000.0;
    write_wav16(d.file("audio/" + name + ".wav"),
                0.2 * torch::sin(2 * M_PI * (180.0 + 40 * i) * t) + 0.1 * torch::sin(2 * M_PI * 1500.0 * t), 16000);
    fs::create_directories(d.file("frames/" + name));
    for (int k = 1; k <= 4; ++k) {
      auto gen = make_generator(static_cast<uint64_t>(i * 10 + k));
      auto y = torch::linspace(0, 1, 480).view({1, 480, 1}), x = torch::linspace(0, 1, 500).view({1, 1, 500});
      auto img = (torch::cat({(y * 200).expand({1, 480, 500}), (x * 180).expand({1, 480, 500}), (x + y) * 90}, 0) +
                  torch::rand({3, 480, 500}, gen) * 55)
                     .clamp(0, 255)
                     .to(torch::kUInt8);
      char fn[32];
      std::snprintf(fn, sizeof fn, "frame_%05d.jpg", k);
      write_jpeg(d.file("frames/" + name + "/" + fn), img, 85);
    }
    l.entries.push_back({name, i % 3, i + 1});
  }
  return l;
}

AVClipOptions opts(const test::TempDir& d, bool train, bool draft, Modality m = Modality::AV) {
  AVClipOptions o;
  o.modality = m;
  o.train = train;
  o.jpeg_draft = draft;
  o.audio_dir = d.file("audio");
  o.visual_dir = d.file("frames");
  o.audio.target_frames = 128;
  o.audio.fbank.num_mel_bins = 64;
  o.image_size = 112;
  return o;
}

// Today's path for the loader's batch b: get() per sample with the loader's seeds, then collate.
Batch collated(const Dataset& ds, const DataLoader& loader, size_t first, size_t count, uint64_t seed, int64_t epoch) {
  std::vector<Sample> samples;
  for (size_t k = first; k < first + count; ++k) {
    const size_t index = loader.order()[k];
    std::mt19937_64 rng(DataLoader::sample_seed(seed, epoch, index));
    Sample s = ds.get(index, rng);
    s.index = index;
    samples.push_back(std::move(s));
  }
  return collate(samples);
}

void expect_same(const Batch& a, const Batch& b) {
  EXPECT_EQ(a.names, b.names);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_TRUE(a.labels.equal(b.labels));
  ASSERT_EQ(a.audio.defined(), b.audio.defined());
  ASSERT_EQ(a.visual.defined(), b.visual.defined());
  if (a.audio.defined()) {
    EXPECT_TRUE(a.audio.equal(b.audio)) << test::max_abs_diff(a.audio, b.audio);
  }
  if (a.visual.defined()) {
    EXPECT_TRUE(a.visual.equal(b.visual)) << test::max_abs_diff(a.visual, b.visual);
  }
}

}  // namespace

TEST(BatchSlot, LoaderBatchesEqualCollatedSamples) {
  test::TempDir d;
  const auto list = clips(d, 5);
  for (bool cache : {false, true}) {
    set_image_cache_limit(cache ? size_t{1} << 30 : 0);
    set_fbank_cache_limit(cache ? size_t{1} << 30 : 0);
    for (bool train : {true, false})
      for (bool draft : {false, true})
        for (Modality m : {Modality::AV, Modality::Audio, Modality::Visual}) {
          SCOPED_TRACE(std::string(cache ? "cache" : "no cache") + (train ? " train" : " eval") + (draft ? " draft " : " full ") +
                       to_string(m));
          auto ds = std::make_shared<AVClipDataset>(list, opts(d, train, draft, m));
          ASSERT_TRUE(ds->fixed_shapes().has_value());
          LoaderOptions lo;
          lo.batch_size = 3;
          lo.workers = 0;
          lo.seed = 11;
          DataLoader loader(ds, lo);
          loader.start_epoch(2);
          size_t first = 0;
          while (auto b = loader.next()) {
            expect_same(*b, collated(*ds, loader, first, static_cast<size_t>(b->size()), lo.seed, 2));
            first += static_cast<size_t>(b->size());
          }
          EXPECT_EQ(first, 5u);
        }
  }
  set_image_cache_limit(size_t{1} << 30);
  set_fbank_cache_limit(size_t{1} << 30);
  clear_image_cache();
  clear_fbank_cache();
}

TEST(BatchSlot, SameSeedSameBatchesWhateverTheWorkers) {
  test::TempDir d;
  const auto list = clips(d, 6);
  set_image_cache_limit(0);
  auto ds = std::make_shared<AVClipDataset>(list, opts(d, true, true));
  std::vector<Batch> first;
  for (int workers : {0, 2, 2}) {
    LoaderOptions lo;
    lo.batch_size = 4;
    lo.workers = workers;
    lo.seed = 5;
    DataLoader loader(ds, lo);
    loader.start_epoch(0);
    std::vector<Batch> got;
    while (auto b = loader.next()) got.push_back(std::move(*b));
    ASSERT_EQ(got.size(), 2u);
    if (first.empty()) first = std::move(got);
    else
      for (size_t k = 0; k < got.size(); ++k) expect_same(got[k], first[k]);
  }
  // Another seed draws other crops.
  LoaderOptions lo;
  lo.batch_size = 6;
  lo.workers = 0;
  lo.seed = 6;
  lo.shuffle = false;
  DataLoader other(ds, lo);
  other.start_epoch(0);
  EXPECT_FALSE(other.next()->visual.equal(torch::cat({first[0].visual, first[1].visual})));
  set_image_cache_limit(size_t{1} << 30);
}

TEST(BatchSlot, SkippedSamplesLeaveNoHole) {
  test::TempDir d;
  const auto list = clips(d, 5);
  fs::remove_all(d.file("frames/clip1"));
  auto o = opts(d, true, false);
  o.allow_missing = true;
  auto ds = std::make_shared<AVClipDataset>(list, o);
  LoaderOptions lo;
  lo.batch_size = 5;
  lo.workers = 0;
  lo.shuffle = false;
  lo.skip_bad = true;
  DataLoader loader(ds, lo);
  loader.start_epoch(0);
  const auto b = loader.next();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->size(), 4);
  EXPECT_EQ(b->visual.size(0), 4);
  EXPECT_EQ(b->audio.size(0), 4);
  ASSERT_EQ(loader.skipped().size(), 1u);
  EXPECT_EQ(loader.skipped()[0].name, "clip1");
  std::vector<Sample> samples;
  for (size_t index : {0, 2, 3, 4}) {
    std::mt19937_64 rng(DataLoader::sample_seed(lo.seed, 0, index));
    samples.push_back(ds->get(index, rng));
    samples.back().index = index;
  }
  expect_same(*b, collate(samples));
}
