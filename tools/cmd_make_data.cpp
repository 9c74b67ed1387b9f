// avtune make-data: builds the embedded default data sets from Debian packages.
#include <cstdio>
#include <memory>
#include <thread>

#include "avtune/data/embedded_data.h"
#include "avtune/util/dir_lock.h"
#include "cli_common.h"

namespace avtune::cli {

void register_make_data(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("make-data",
                                 "Build the embedded default data (av-fashion, fashion-source, spoken-words) from Debian packages");
  struct Options {
    EmbeddedDataOptions data;
    bool quick = false;
    int workers = 0;
  };
  auto st = std::make_shared<Options>();
  EmbeddedDataOptions& o = st->data;
  cmd->add_option("--out", o.out_dir, "output folder (default: $AVTUNE_DATA or data/embedded)");
  cmd->add_flag("--quick", st->quick, "a small size for tests and smoke runs (overrides the sizes below)");
  cmd->add_option("--seed", o.seed, "seed: the same seed gives byte-identical files")->capture_default_str();
  cmd->add_option("--workers", st->workers, "threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--av-train", o.av_train, "av-fashion train clips")->capture_default_str();
  cmd->add_option("--av-val", o.av_val, "av-fashion val clips")->capture_default_str();
  cmd->add_option("--av-test", o.av_test, "av-fashion test clips")->capture_default_str();
  cmd->add_option("--image-size", o.image_size, "frame size in pixels")->capture_default_str();
  cmd->add_option("--frames", o.frames, "frames per clip")->capture_default_str();
  cmd->add_option("--clip-min", o.clip_min_s, "shortest clip, seconds")->capture_default_str();
  cmd->add_option("--clip-max", o.clip_max_s, "longest clip, seconds")->capture_default_str();
  cmd->add_option("--snr-min", o.snr_min_db, "lowest speech-to-noise ratio, dB")->capture_default_str();
  cmd->add_option("--snr-max", o.snr_max_db, "highest speech-to-noise ratio, dB")->capture_default_str();
  cmd->add_option("--audio-uninformative", o.audio_uninformative, "fraction of clips with noise-only audio")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--visual-uninformative", o.visual_uninformative, "fraction of clips with item-free frames")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--source-train", o.source_train, "fashion-source train images")->capture_default_str();
  cmd->add_option("--source-test", o.source_test, "fashion-source test images")->capture_default_str();
  cmd->add_option("--words", o.words, "spoken-words vocabulary size (30..40)")->capture_default_str();
  cmd->add_option("--word-train", o.word_train, "spoken-words train clips per word")->capture_default_str();
  cmd->add_option("--word-test", o.word_test, "spoken-words test clips per word")->capture_default_str();
  cmd->callback([st, &g] {
    const auto& d = st->data;
    if (d.clip_min_s <= 0 || d.clip_max_s < d.clip_min_s)
      throw CLI::ValidationError("--clip-min/--clip-max", "expected 0 < --clip-min <= --clip-max, got " +
                                                              std::to_string(d.clip_min_s) + " and " + std::to_string(d.clip_max_s));
    if (d.snr_max_db < d.snr_min_db)
      throw CLI::ValidationError("--snr-min/--snr-max", "expected --snr-min <= --snr-max");
    apply_runtime(g);
    EmbeddedDataOptions opts = st->data;
    if (st->quick) {
      opts = EmbeddedDataOptions::quick();
      opts.out_dir = st->data.out_dir;
      opts.seed = st->data.seed;
    }
    opts.workers = st->workers > 0 ? st->workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    opts.quiet = g.quiet;
    // One writer per data folder (issue 17): two at once would mix their files.
    DirLock lock(opts.out_dir.empty() ? default_data_dir() : opts.out_dir);
    auto rep = make_embedded_data(opts);
    std::printf("wrote %lld files in %.1f s; data card: %s\n", static_cast<long long>(rep.files), rep.seconds, rep.card_path.c_str());
  });
}

}  // namespace avtune::cli
