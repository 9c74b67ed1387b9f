#include "avtune/data/video_preprocess.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "avtune/audio/audio_file.h"
#include "avtune/data/clip_list.h"
#include "avtune/io/video_reader.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"
#include "avtune/vision/image_io.h"

namespace avtune {

namespace fs = std::filesystem;

std::vector<std::string> find_videos(const std::string& dir) {
  if (!fs::is_directory(dir)) fail("preprocess", "a directory of videos", "'" + dir + "'");
  static const std::set<std::string> exts = {".mp4", ".mkv", ".webm", ".avi", ".mov"};
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) {
    auto ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (e.is_regular_file() && exts.count(ext)) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string PreprocessReport::summary() const {
  std::string s = std::to_string(processed) + " clip(s) processed, " + std::to_string(already_done) +
                  " already done, " + std::to_string(failures.size()) + " failed";
  for (const auto& [p, why] : failures) s += "\n  " + p + ": " + why;
  if (!list_file.empty()) s += "\nlist: " + list_file;
  return s;
}

namespace {

// Decodes one video and writes its wav and frames; frames go to a temporary folder renamed at the
// end, and the wav is atomic, so an interrupted clip never looks finished.
void process_one(const std::string& video, const fs::path& wav, const fs::path& frames_dir, const PreprocessOptions& o) {
  VideoReader r(video);
  if (!r.info().has_audio) fail("preprocess", "an audio stream", "none", {video});
  if (!r.info().has_video) fail("preprocess", "a video stream", "none", {video});
  auto audio = r.read_audio(o.sample_rate);
  const double duration = std::max(r.info().duration_s, static_cast<double>(audio.numel()) / o.sample_rate);
  auto frames = r.read_frames_at(centre_of_seconds(duration));
  if (frames.empty()) fail("preprocess", "at least one video frame", "none", {video});
  const fs::path tmp = frames_dir.string() + ".partial";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    for (size_t k = 0; k < frames.size(); ++k) {
      char name[32];
      std::snprintf(name, sizeof name, "frame_%05zu.jpg", k + 1);
      write_jpeg((tmp / name).string(), frames[k], o.jpeg_quality);
    }
    fs::create_directories(wav.parent_path());
    write_wav16(wav.string(), audio, o.sample_rate);
    fs::remove_all(frames_dir);
    fs::rename(tmp, frames_dir);
  } catch (...) {
    fs::remove_all(tmp);
    throw;
  }
}

}  // namespace

PreprocessReport preprocess_videos(const PreprocessOptions& o) {
  const auto videos = find_videos(o.input_dir);
  if (videos.empty()) fail("preprocess", "video files (mp4, mkv, webm, avi, mov)", "none", {o.input_dir});
  const fs::path audio_root = fs::path(o.output_dir) / "audio" / o.split;
  const fs::path visual_root = fs::path(o.output_dir) / "visual" / o.split;
  fs::create_directories(audio_root);
  fs::create_directories(visual_root);

  PreprocessReport rep;
  std::mutex mu;
  std::atomic<size_t> next{0};
  std::set<std::string> ok_names;
  Progress progress("preprocess", static_cast<long>(videos.size()));
  size_t finished = 0;
  auto work = [&] {
    for (size_t i; (i = next++) < videos.size();) {
      const std::string name = fs::path(videos[i]).stem().string();
      const fs::path wav = audio_root / (name + ".wav"), frames = visual_root / name;
      bool done_before = !o.overwrite && fs::exists(wav) && fs::is_directory(frames);
      std::string error;
      if (!done_before) {
        try {
          process_one(videos[i], wav, frames, o);
        } catch (const std::exception& e) {
          error = e.what();
        }
      }
      std::lock_guard<std::mutex> lk(mu);
      if (done_before) ++rep.already_done;
      else if (error.empty()) ++rep.processed;
      else rep.failures.emplace_back(videos[i], error);
      if (error.empty()) ok_names.insert(name);
      if (!o.quiet) progress.update(static_cast<long>(++finished));
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < std::max(1, o.workers); ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (!o.quiet) progress.finish();
  std::sort(rep.failures.begin(), rep.failures.end());

  if (!o.labels_csv.empty()) {
    ClipList labels = read_label_csv(o.labels_csv);
    ClipList out;
    out.classes = labels.classes;
    for (const auto& e : labels.entries)
      if (ok_names.count(e.name)) out.entries.push_back(e);
    rep.list_file = (fs::path(o.output_dir) / (o.split + "_1fps_path.txt")).string();
    write_ks_list(rep.list_file, out, "visual/" + o.split);
  }
  return rep;
}

}  // namespace avtune
