#include <gtest/gtest.h>

#include <set>

#include "avtune/data/loader.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {

// Samples whose content depends on the index and on the per-sample generator.
class ToyDataset : public Dataset {
 public:
  explicit ToyDataset(size_t n, std::set<size_t> bad = {}) : n_(n), bad_(std::move(bad)) {}
  size_t size() const override { return n_; }
  std::string name_of(size_t i) const override { return "clip" + std::to_string(i); }
  int64_t label_of(size_t i) const override { return static_cast<int64_t>(i % 3); }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Sample get(size_t i, std::mt19937_64& rng) const override {
    if (bad_.count(i)) fail("toy", "a readable file", "a corrupt one", FileLocation{"audio/clip" + std::to_string(i) + ".wav"});
    Sample s;
    s.name = name_of(i);
    s.label = label_of(i);
    s.audio = torch::full({1, 4, 2}, static_cast<float>(i)) + static_cast<float>(rng() % 1000) / 1000.0f;
    s.visual = torch::full({3, 2, 5, 5}, static_cast<float>(i));
    return s;
  }

 private:
  size_t n_;
  std::set<size_t> bad_;
  std::vector<std::string> classes_{"a", "b", "c"};
};

std::vector<Batch> run_epoch(DataLoader& dl, int64_t epoch) {
  dl.start_epoch(epoch);
  std::vector<Batch> out;
  while (auto b = dl.next()) out.push_back(std::move(*b));
  return out;
}

TEST(Loader, EveryIndexOnceInLayoutOrder) {
  LoaderOptions o;
  o.batch_size = 4;
  DataLoader dl(std::make_shared<ToyDataset>(10), o);
  auto batches = run_epoch(dl, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(dl.batches_per_epoch(), 3);
  std::multiset<size_t> seen;
  for (auto& b : batches) {
    for (auto i : b.indices) seen.insert(i);
    EXPECT_EQ(b.audio.dim(), 4);
    EXPECT_EQ(b.audio.size(1), 1);
    EXPECT_EQ(b.visual.sizes(), (std::vector<int64_t>{b.size(), 3, 2, 5, 5}));
    for (int64_t k = 0; k < b.size(); ++k) {
      EXPECT_EQ(b.names[k], "clip" + std::to_string(b.indices[k]));
      EXPECT_EQ(b.labels[k].item<int64_t>(), static_cast<int64_t>(b.indices[k] % 3));
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(std::set<size_t>(seen.begin(), seen.end()).size(), 10u);
  EXPECT_EQ(batches.back().size(), 2);
}

TEST(Loader, DropLast) {
  LoaderOptions o;
  o.batch_size = 4;
  o.drop_last = true;
  DataLoader dl(std::make_shared<ToyDataset>(10), o);
  EXPECT_EQ(run_epoch(dl, 0).size(), 2u);
  EXPECT_EQ(dl.batches_per_epoch(), 2);
}

TEST(Loader, OrderDependsOnSeedAndEpochOnly) {
  LoaderOptions o;
  o.batch_size = 5;
  auto ds = std::make_shared<ToyDataset>(40);
  DataLoader a(ds, o), b(ds, o);
  a.start_epoch(3);
  b.start_epoch(3);
  EXPECT_EQ(a.order(), b.order());
  b.start_epoch(4);
  EXPECT_NE(a.order(), b.order());
  o.shuffle = false;
  DataLoader c(ds, o);
  c.start_epoch(7);
  for (size_t i = 0; i < 40; ++i) EXPECT_EQ(c.order()[i], i);
}

TEST(Loader, SameResultsWhateverTheWorkerCount) {
  auto ds = std::make_shared<ToyDataset>(23);
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 3}) {
    LoaderOptions o;
    o.batch_size = 4;
    o.workers = workers;
    o.prefetch = 2;
    o.seed = 11;
    DataLoader dl(ds, o);
    runs.push_back(run_epoch(dl, 2));
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[0].size());
    for (size_t b = 0; b < runs[0].size(); ++b) {
      EXPECT_EQ(runs[r][b].names, runs[0][b].names);
      EXPECT_TRUE(torch::equal(runs[r][b].audio, runs[0][b].audio)) << "run " << r << " batch " << b;
    }
  }
  // Random draws differ between epochs for the same sample.
  LoaderOptions o;
  o.shuffle = false;
  o.batch_size = 23;
  DataLoader dl(ds, o);
  auto e0 = run_epoch(dl, 0), e1 = run_epoch(dl, 1);
  EXPECT_FALSE(torch::equal(e0[0].audio, e1[0].audio));
}

TEST(Loader, BadSampleStopsWithItsFileByDefault) {
  LoaderOptions o;
  o.batch_size = 4;
  DataLoader dl(std::make_shared<ToyDataset>(12, std::set<size_t>{5}), o);
  dl.start_epoch(0);
  try {
    while (dl.next()) {
    }
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("audio/clip5.wav"), std::string::npos) << e.what();
  }
}

TEST(Loader, SkipModeCountsAndReports) {
  LoaderOptions o;
  o.batch_size = 4;
  o.skip_bad = true;
  DataLoader dl(std::make_shared<ToyDataset>(12, std::set<size_t>{5, 6}), o);
  auto batches = run_epoch(dl, 0);
  int64_t total = 0;
  for (auto& b : batches) total += b.size();
  EXPECT_EQ(total, 10);
  ASSERT_EQ(dl.skipped().size(), 2u);
  EXPECT_NE(dl.skipped_report().find("clip5"), std::string::npos);
  EXPECT_NE(dl.skipped_report().find("corrupt"), std::string::npos);
}

TEST(Loader, TransformSeesEverySampleWithItsGenerator) {
  LoaderOptions o;
  o.batch_size = 3;
  o.shuffle = false;
  SampleTransform zero_audio = [](Sample& s, std::mt19937_64&) { s.audio.zero_(); };
  DataLoader dl(std::make_shared<ToyDataset>(7), o, zero_audio);
  for (auto& b : run_epoch(dl, 0)) EXPECT_EQ(b.audio.abs().sum().item<float>(), 0.0f);
}

TEST(Loader, RestartingAnEpochMidwayIsClean) {
  LoaderOptions o;
  o.batch_size = 2;
  o.workers = 2;
  DataLoader dl(std::make_shared<ToyDataset>(20), o);
  dl.start_epoch(0);
  dl.next();
  dl.next();
  auto full = run_epoch(dl, 1);
  EXPECT_EQ(full.size(), 10u);
}

TEST(Collate, MismatchedShapesNameTheSample) {
  std::vector<Sample> s(2);
  s[0].name = "a";
  s[0].audio = torch::zeros({1, 4, 2});
  s[1].name = "b";
  s[1].audio = torch::zeros({1, 5, 2});
  try {
    collate(s);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sample 'b'"), std::string::npos) << e.what();
  }
}

}  // namespace
