// avtune preprocess: videos -> 16 kHz wav + 1 fps JPEG frames in the Kinetics-Sounds layout.
#include <cstdio>
#include <memory>
#include <thread>

#include "avtune/data/video_preprocess.h"
#include "avtune/util/dir_lock.h"
#include "cli_common.h"

namespace avtune::cli {

void register_preprocess(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "preprocess", "Videos -> 16 kHz mono wav + one JPEG per second, in the Kinetics-Sounds layout (exit 1 if some clips failed; the others are kept)");
  auto st = std::make_shared<PreprocessOptions>();
  PreprocessOptions& o = *st;
  cmd->add_option("INPUT", o.input_dir, "folder of videos (any container FFmpeg reads: mp4, mkv, webm, flv, avi, mov, ...)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--out", o.output_dir, "output root (audio/<split>/, visual/<split>/, list file)")->required();
  cmd->add_option("--split", o.split, "split name used in the paths")->capture_default_str();
  cmd->add_option("--labels", o.labels_csv, "CSV of name,LABEL rows: writes <split>_1fps_path.txt; its classes are merged into the data set's classes.txt (existing labels keep their index)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--frame-size", o.frame_size, "scale frames down so the shorter side is at most this many pixels (0 = as decoded)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--sample-rate", o.sample_rate, "audio rate in Hz")->capture_default_str();
  cmd->add_option("--jpeg-quality", o.jpeg_quality, "JPEG quality 1-100")->capture_default_str()->check(CLI::Range(1, 100));
  cmd->add_option("--workers", o.workers, "clips decoded in parallel (0 = all cores)")->capture_default_str();
  cmd->add_flag("--overwrite", o.overwrite, "redo clips that are already done");
  // A bare flag means true (CLI11 gives a bare option its default_str).
  cmd->add_option("--visual-only", o.visual_only,
                  "frames only, no wav: videos without a sound track are kept (train --modality visual) (default false)")
      ->expected(0, 1)
      ->default_str("true")
      ->option_text("[BOOLEAN]");
  cmd->callback([st, &g] {
    apply_runtime(g);
    PreprocessOptions& o = *st;
    if (o.workers <= 0) o.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    o.quiet = g.quiet;
    DirLock lock(o.output_dir);  // one writer per output root (issue 17); released on exit, kill -9 included
    auto rep = preprocess_videos(o);
    std::printf("%s\n", rep.summary().c_str());
    if (!rep.failures.empty())
      throw PartialFailure(1, std::to_string(rep.failures.size()) + " video(s) failed and were skipped (listed above)");
  });
}

}  // namespace avtune::cli
