// avtune fbank-stats: the normalisation statistics of a data set's audio, for --fbank-mean/--fbank-std.
// It takes the data flags `train` takes (--data, --format, --audio-dir, --train-split, ...).
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "avtune/data/dataset_spec.h"
#include "avtune/data/fbank_stats.h"
#include "avtune/run/training_run.h"
#include "avtune/util/atomic_file.h"
#include "train_flags.h"

namespace avtune::cli {

using nlohmann::json;

void register_fbank_stats(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("fbank-stats", "Mean and std of a data set's fbank values (for --fbank-mean/--fbank-std)");
  struct State {
    Overrides ov;
    DataFlags data;
    std::string split, json_out;
    int workers = 2;
  };
  auto st = std::make_shared<State>();
  add_data_flags(cmd, st->ov, st->data, /*train_split=*/true, /*masks=*/false);
  cmd->add_option("--split", st->split, "split to measure (default: --train-split, the split training normalises with)");
  cmd->add_option("--workers", st->workers, "loader threads")->capture_default_str();
  cmd->add_option("--json", st->json_out, "also write the statistics as JSON");
  cmd->callback([st, &g] {
    apply_runtime(g);
    const json data = resolved_data(st->ov.collect().value("data", json::object()));
    const std::string split = st->split.empty() ? data.value("train_split", std::string("train")) : st->split;
    DatasetSpec spec = dataset_spec_from(data, Modality::Audio);
    spec.clip.audio.normalize = false;
    spec.clip.allow_missing = data.value("skip_bad", false);
    const auto s = fbank_statistics(open_dataset(spec, split, false), st->workers, !g.quiet);
    std::printf("%lld clips, %lld values: mean %.6f, std %.6f\n--fbank-mean %.6f --fbank-std %.6f\n",
                static_cast<long long>(s.clips), static_cast<long long>(s.values), s.mean, s.std, s.mean, s.std);
    if (!st->json_out.empty())
      write_file_atomic(st->json_out, json{{"data", data.value("root", std::string())}, {"split", split}, {"clips", s.clips},
                                           {"values", s.values}, {"mean", s.mean}, {"std", s.std},
                                           {"audio_frames", data.value("audio_frames", int64_t{0})},
                                           {"mel_bins", data.value("mel_bins", int64_t{0})}}
                                          .dump(2) + "\n");
  });
}

}  // namespace avtune::cli
