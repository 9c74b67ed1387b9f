// avtune fbank-stats: the normalisation statistics of a data set's audio, for --fbank-mean/--fbank-std.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "avtune/data/dataset_spec.h"
#include "avtune/data/fbank_stats.h"
#include "avtune/util/atomic_file.h"
#include "cli_common.h"

namespace avtune::cli {

void register_fbank_stats(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("fbank-stats", "Mean and std of a data set's fbank values (for --fbank-mean/--fbank-std)");
  struct State {
    std::string root, format = "ks", split = "train", json_out;
    int64_t audio_frames = 1024, mel_bins = 128;
    int workers = 2;
  };
  auto st = std::make_shared<State>();
  cmd->add_option("--data", st->root, "data set root")->required();
  cmd->add_option("--format", st->format, "ks|csv|esc50")->capture_default_str();
  cmd->add_option("--split", st->split, "split to measure")->capture_default_str();
  cmd->add_option("--audio-frames", st->audio_frames, "fbank frames per clip (padding included, as training sees it)")
      ->capture_default_str();
  cmd->add_option("--mel-bins", st->mel_bins, "mel bins")->capture_default_str();
  cmd->add_option("--workers", st->workers, "loader threads")->capture_default_str();
  cmd->add_option("--json", st->json_out, "also write the statistics as JSON");
  cmd->callback([st, &g] {
    apply_runtime(g);
    DatasetSpec spec;
    spec.root = st->root;
    spec.format = st->format;
    spec.modality = Modality::Audio;
    spec.clip.audio.target_frames = st->audio_frames;
    spec.clip.audio.fbank.num_mel_bins = st->mel_bins;
    spec.clip.audio.normalize = false;
    const auto s = fbank_statistics(open_dataset(spec, st->split, false), st->workers, !g.quiet);
    std::printf("%lld clips, %lld values: mean %.6f, std %.6f\n--fbank-mean %.6f --fbank-std %.6f\n",
                static_cast<long long>(s.clips), static_cast<long long>(s.values), s.mean, s.std, s.mean, s.std);
    if (!st->json_out.empty())
      write_file_atomic(st->json_out, nlohmann::json{{"data", st->root}, {"split", st->split}, {"clips", s.clips},
                                                     {"values", s.values}, {"mean", s.mean}, {"std", s.std},
                                                     {"audio_frames", st->audio_frames}, {"mel_bins", st->mel_bins}}
                                              .dump(2) + "\n");
  });
}

}  // namespace avtune::cli
