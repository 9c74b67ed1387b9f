// DistributedSampler semantics of the loader (docs/distributed.md): one global order per
// (seed, epoch), rank-strided shards, the tail padded by repetition for training only.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "avtune/data/loader.h"
#include "avtune/dist/dist_env.h"
#include "avtune/dist/launcher.h"
#include "avtune/util/error.h"

using namespace avtune;

namespace {

class Indices : public Dataset {
 public:
  explicit Indices(size_t n) : n_(n) {}
  size_t size() const override { return n_; }
  std::string name_of(size_t i) const override { return "s" + std::to_string(i); }
  int64_t label_of(size_t) const override { return 0; }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Sample get(size_t i, std::mt19937_64&) const override {
    Sample s;
    s.name = name_of(i);
    s.label = 0;
    s.audio = torch::zeros({1, 1, 1});
    return s;
  }

 private:
  size_t n_;
  std::vector<std::string> classes_{"c"};
};

std::vector<size_t> epoch_samples(size_t n, int rank, int world, bool pad, int64_t epoch, uint64_t seed = 5, int64_t bs = 4) {
  LoaderOptions o;
  o.batch_size = bs;
  o.workers = 0;
  o.seed = seed;
  o.rank = rank;
  o.world_size = world;
  o.pad = pad;
  DataLoader l(std::make_shared<Indices>(n), o);
  l.start_epoch(epoch);
  std::vector<size_t> out;
  int64_t batches = 0;
  while (auto b = l.next()) {
    ++batches;
    out.insert(out.end(), b->indices.begin(), b->indices.end());
  }
  EXPECT_EQ(batches, l.batches_per_epoch());
  EXPECT_EQ(out.size(), l.shard_size());
  return out;
}

}  // namespace

TEST(DistSharding, EachSampleExactlyOncePerEpochWithoutPadding) {
  for (int world : {2, 3, 4})
    for (int64_t epoch : {0, 1}) {
      std::multiset<size_t> seen;
      for (int r = 0; r < world; ++r)
        for (size_t i : epoch_samples(23, r, world, /*pad=*/false, epoch)) seen.insert(i);
      ASSERT_EQ(seen.size(), 23u);
      for (size_t i = 0; i < 23; ++i) EXPECT_EQ(seen.count(i), 1u) << "sample " << i << " world " << world;
    }
}

TEST(DistSharding, PaddingGivesEveryRankTheSameStepsAndRepeatsTheHead) {
  // 23 samples over 4 ranks: 24 slots, the first sample of the global order fills the last one.
  LoaderOptions o;
  o.workers = 0;
  o.seed = 5;
  o.shuffle = true;
  DataLoader whole(std::make_shared<Indices>(23), o);
  whole.start_epoch(1);
  const auto global = whole.order();
  std::map<size_t, int> count;
  for (int r = 0; r < 4; ++r) {
    const auto s = epoch_samples(23, r, 4, /*pad=*/true, 1);
    EXPECT_EQ(s.size(), 6u);
    for (size_t k = 0; k < s.size(); ++k) {
      const size_t slot = static_cast<size_t>(r) + 4 * k;  // rank-strided over the padded order
      EXPECT_EQ(s[k], global[slot % 23]);
      ++count[s[k]];
    }
  }
  EXPECT_EQ(count.size(), 23u);
  EXPECT_EQ(count[global[0]], 2);
  // Fewer samples than ranks: repeated as often as needed.
  for (int r = 0; r < 5; ++r) EXPECT_EQ(epoch_samples(2, r, 5, true, 0).size(), 1u);
}

TEST(DistSharding, SameSeedSameShardsOtherEpochOtherShards) {
  EXPECT_EQ(epoch_samples(40, 1, 2, true, 3), epoch_samples(40, 1, 2, true, 3));
  EXPECT_NE(epoch_samples(40, 1, 2, true, 3), epoch_samples(40, 1, 2, true, 4));
  EXPECT_NE(epoch_samples(40, 1, 2, true, 3, 5), epoch_samples(40, 1, 2, true, 3, 6));
  // One process sees the unsharded order: the single-process path is unchanged.
  LoaderOptions o;
  o.workers = 0;
  o.seed = 5;
  DataLoader whole(std::make_shared<Indices>(40), o);
  whole.start_epoch(3);
  const auto r0 = epoch_samples(40, 0, 2, true, 3), r1 = epoch_samples(40, 1, 2, true, 3);
  for (size_t k = 0; k < 20; ++k) {
    EXPECT_EQ(r0[k], whole.order()[2 * k]);
    EXPECT_EQ(r1[k], whole.order()[2 * k + 1]);
  }
}

TEST(DistSharding, RejectsARankOutsideTheWorld) {
  LoaderOptions o;
  o.rank = 2;
  o.world_size = 2;
  EXPECT_THROW(DataLoader(std::make_shared<Indices>(4), o), Error);
}

TEST(DistEnv, SlurmNodeListsAndLauncherArguments) {
  EXPECT_EQ(first_slurm_host("node[03-05,9],gpu1"), "node03");
  EXPECT_EQ(first_slurm_host("a,b"), "a");
  EXPECT_EQ(first_slurm_host("host"), "host");
  EXPECT_EQ(first_slurm_host("gpu[7]-ib"), "gpu7-ib");
  EXPECT_EQ(without_option({"avtune", "train", "--nproc", "2", "--epochs", "1"}, "--nproc"),
            (std::vector<std::string>{"avtune", "train", "--epochs", "1"}));
  EXPECT_EQ(without_option({"avtune", "train", "--nproc=2"}, "--nproc"), (std::vector<std::string>{"avtune", "train"}));
  const int p = free_local_port();
  EXPECT_GT(p, 0);
  EXPECT_LE(p, 65535);
}
