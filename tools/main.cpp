// The avtune CLI: parses arguments and hands each subcommand to the library.
#include <cstdio>

#include "avtune/build_config.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"
#include "avtune/util/runtime.h"
#include "cli_common.h"

int main(int argc, char** argv) {
  avtune::tune_allocator();
  avtune::cli::set_command_line(argc, argv);
  CLI::App app{"avtune: audio-visual learning with pre-trained models (dead-channel diagnosis, ABRi, Fusion Tuning)"};
  app.require_subcommand(1);
  app.fallthrough();
  avtune::cli::GlobalOptions g;
  app.add_option("--threads", g.threads, "CPU threads for LibTorch (intra- and inter-op); 0 = all cores")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--device", g.device, "auto|cpu|cuda|cuda:N (auto = CUDA when available)")->capture_default_str();
  app.add_flag("-q,--quiet", g.quiet, "Less output on stderr");
  app.add_flag("--deterministic", g.deterministic, "Deterministic GPU algorithms (cuDNN, cuBLAS workspace); slower");

  using namespace avtune::cli;
  register_ckpt(app, g);
#if AVTUNE_HAS_MEDIA
  register_bench(app, g);
  register_features(app, g);
  register_preprocess(app, g);
  register_train(app, g);
  register_eval(app, g);
  register_diagnose(app, g);
  register_fust(app, g);
  register_probe(app, g);
  register_fbank_stats(app, g);
  register_predict(app, g);
  register_data(app, g);
#else
  register_missing(app, {"bench", "features", "preprocess", "train", "eval", "diagnose", "fust", "probe", "fbank-stats", "predict", "data"},
                   "media", "libsndfile, libsoxr, libjpeg, libpng, FFmpeg", "AVTUNE_WITH_MEDIA");
#endif
#if AVTUNE_HAS_EMBEDDED
  register_make_data(app, g);
#else
  register_missing(app, {"make-data"}, "embedded", "libespeak-ng, zlib", "AVTUNE_WITH_EMBEDDED");
#endif
#if AVTUNE_HAS_STUDY
  register_reproduce(app, g);
  register_report(app, g);
  register_sweep(app, g);
#else
  register_missing(app, {"reproduce", "report", "sweep"}, "study", "cairo", "AVTUNE_WITH_STUDY");
#endif
  register_planned(app, g);
  guard_number_flags(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help (exit 0) or the usage error; every usage error exits 2 (docs: exit codes).
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const avtune::cli::PartialFailure& e) {
    avtune::end_progress_line();
    std::fprintf(stderr, "avtune: %s\n", e.what());
    return e.code;
  } catch (const avtune::cli::NotBuilt& e) {
    avtune::end_progress_line();
    std::fprintf(stderr, "avtune: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    // c10::Error messages carry a backtrace ("Exception raised from ..."): cut it, but keep the
    // whole of a multi-line message (avtune's strict-load report lists one problem a line).
    std::string msg = e.what();
    if (auto bt = msg.find("\nException raised from"); bt != std::string::npos) msg.resize(bt);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    avtune::end_progress_line();
    std::fprintf(stderr, "avtune: error: %s\n", msg.c_str());
    return 1;
  }
  return 0;
}
