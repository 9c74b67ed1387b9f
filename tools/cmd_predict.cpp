// avtune predict MODEL INPUT...: a trained run's top-k classes for videos, clip folders or list files.
#include <cstdio>
#include <memory>

#include "avtune/run/predict.h"
#include "avtune/util/atomic_file.h"
#include "cli_common.h"

namespace avtune::cli {

void register_predict(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "predict",
      "Top-k classes of a trained model for videos (any container FFmpeg reads), preprocessed clip folders or list files "
      "(exit 1 if any clip failed; the others are still printed)");
  auto st = std::make_shared<PredictOptions>();
  auto json_out = std::make_shared<std::string>(), csv_out = std::make_shared<std::string>();
  cmd->add_option("MODEL", st->model, "run checkpoint (best.pth/last.pth) or run directory")->required()->check(CLI::ExistingPath);
  cmd->add_option("INPUT", st->inputs, "video files, clip folders (frame_00001.jpg ...), folders of them, list files (.txt/.csv)")
      ->required();
  cmd->add_option("--top-k", st->top_k, "classes shown per clip")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_option("--batch-size", st->batch_size, "clips per forward pass")->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_option("--frame-size", st->frame_size, "videos: shorter side of the stored frames, as `preprocess --frame-size` (0 = as decoded)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--jpeg-quality", st->jpeg_quality, "videos: JPEG round trip of each frame as `preprocess` stores it (0 = none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--json", *json_out, "also write the predictions as JSON");
  cmd->add_option("--csv", *csv_out, "also write the predictions as CSV (input,output,rank,class,index,prob)");
  cmd->callback([st, json_out, csv_out, &g] {
    apply_runtime(g);
    st->device = g.device;  // auto: CUDA when available
    st->progress = !g.quiet;
    const PredictResult r = predict(*st);
    std::printf("%s", prediction_table(r).c_str());
    if (!json_out->empty()) write_file_atomic(*json_out, to_json(r).dump(2) + "\n");
    if (!csv_out->empty()) write_file_atomic(*csv_out, prediction_csv(r));
    if (r.failed() > 0)
      throw PartialFailure(1, std::to_string(r.failed()) + " of " + std::to_string(r.items.size()) +
                                  " clip(s) failed and were skipped (listed above)");
  });
}

}  // namespace avtune::cli
