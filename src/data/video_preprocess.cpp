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
#include "avtune/vision/image_transforms.h"

namespace avtune {

namespace fs = std::filesystem;

bool is_non_video_name(const std::string& path) {
  // Types that hold no video stream; anything else is given to FFmpeg, which decides.
  static const std::set<std::string> not_video = {".txt", ".csv", ".tsv", ".json", ".md", ".xml", ".html", ".pdf",
                                                  ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".wav", ".flac", ".mp3",
                                                  ".ogg", ".m4a", ".aac", ".srt", ".vtt", ".zip", ".tar", ".gz",
                                                  ".py", ".sh", ".pth", ".npy", ".partial", ".tmp"};
  auto ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return not_video.count(ext) > 0;
}

std::vector<std::string> find_videos(const std::string& dir, std::vector<std::pair<std::string, std::string>>* skipped) {
  if (!fs::is_directory(dir)) fail("preprocess", "a directory of videos", "'" + dir + "'");
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) {
    const std::string p = e.path().string(), name = e.path().filename().string();
    if (!e.is_regular_file() || name.empty() || name[0] == '.') {
      if (skipped && !e.is_directory() && !(name.size() && name[0] == '.')) skipped->emplace_back(p, "not a regular file");
      continue;
    }
    if (is_non_video_name(p)) {
      if (skipped) skipped->emplace_back(p, "not a video (" + e.path().extension().string() + ")");
      continue;
    }
    out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  if (skipped) std::sort(skipped->begin(), skipped->end());
  return out;
}

torch::Tensor preprocess_frame(const torch::Tensor& frame, int frame_size) {
  if (frame_size <= 0 || std::min(frame.size(1), frame.size(2)) <= frame_size) return frame;
  return resize_shorter_side(frame, frame_size);
}

DecodedClip decode_clip(const std::string& video, int sample_rate, int frame_size, bool need_audio, bool need_video) {
  VideoReader r(video);
  if (need_audio && !r.info().has_audio) fail("preprocess", "an audio stream", "none", {video});
  if (need_video && !r.info().has_video) fail("preprocess", "a video stream", "none", {video});
  DecodedClip clip;
  // The audio also sets the clip's duration (its track may outlast the container's figure).
  if (r.info().has_audio && (need_audio || need_video)) {
    auto a = r.read_audio(sample_rate);
    if (!torch::isfinite(a).all().item<bool>()) fail("preprocess", "finite audio samples", "NaN or infinity", {video});
    // As the 16-bit wav stores it (write_wav16's rounding), so a clip read back equals this one.
    clip.audio = (a * 32768.0).round().clamp(-32768, 32767) / 32768.0;
  }
  if (need_video) {
    const double seconds = clip.audio.defined() ? static_cast<double>(clip.audio.numel()) / sample_rate : 0.0;
    for (auto& f : r.read_frames_at(centre_of_seconds(std::max(r.info().duration_s, seconds))))
      clip.frames.push_back(preprocess_frame(f, frame_size));
    if (clip.frames.empty()) fail("preprocess", "at least one video frame", "none", {video});
  }
  return clip;
}

std::string PreprocessReport::summary() const {
  std::string s = std::to_string(processed) + " clip(s) processed, " + std::to_string(already_done) +
                  " already done, " + std::to_string(failures.size()) + " failed";
  if (!skipped.empty()) s += ", " + std::to_string(skipped.size()) + " skipped (not videos)";
  for (const auto& [p, why] : failures) {
    // The reason names the file itself; each failing path is printed once.
    std::string r = why;
    for (const std::string& tag : {" (" + p + ")", p + ": "})
      for (size_t at; (at = r.find(tag)) != std::string::npos;) r.erase(at, tag.size());
    s += "\n  failed: " + p + ": " + r;
  }
  for (const auto& [p, why] : skipped) s += "\n  skipped: " + p + ": " + why;
  if (!new_classes.empty()) {
    s += "\nnew classes appended to classes.txt:";
    for (const auto& c : new_classes) s += " " + c;
  }
  if (!list_file.empty()) s += "\nlist: " + list_file;
  return s;
}

namespace {

// Writes one decoded clip's wav and frames; frames go to a temporary folder renamed at the end, and
// the wav is atomic, so an interrupted clip never looks finished.
void process_one(const std::string& video, const fs::path& wav, const fs::path& frames_dir, const PreprocessOptions& o) {
  // Audio checked here, not by decode_clip (whose message serves predict too), so the message can name
  // the way out; the file is opened once either way.
  const DecodedClip clip = decode_clip(video, o.sample_rate, o.frame_size, false, true);
  if (!o.visual_only && !clip.audio.defined())
    fail("preprocess", "an audio stream", "none (--visual-only keeps the frames of videos without sound)", {video});
  const auto& frames = clip.frames;
  const fs::path tmp = frames_dir.string() + ".partial";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    for (size_t k = 0; k < frames.size(); ++k) {
      char name[32];
      std::snprintf(name, sizeof name, "frame_%05zu.jpg", k + 1);
      write_jpeg((tmp / name).string(), frames[k], o.jpeg_quality);
    }
    if (!o.visual_only) {
      fs::create_directories(wav.parent_path());
      write_wav16(wav.string(), clip.audio, o.sample_rate);
    }
    fs::remove_all(frames_dir);
    fs::rename(tmp, frames_dir);
  } catch (...) {
    fs::remove_all(tmp);
    throw;
  }
}

}  // namespace

PreprocessReport preprocess_videos(const PreprocessOptions& o) {
  PreprocessReport rep;
  const auto videos = find_videos(o.input_dir, &rep.skipped);
  if (videos.empty())
    fail("preprocess", "video files (any container FFmpeg reads: mp4, mkv, webm, flv, avi, mov, ...)",
         "none (" + std::to_string(rep.skipped.size()) + " other files)", {o.input_dir});
  // The class set first: a labels CSV that cannot be read fails before hours of decoding.
  ClipList labels;
  std::vector<std::string> classes;
  const fs::path classes_txt = fs::path(o.output_dir) / "classes.txt";
  if (!o.labels_csv.empty()) {
    const std::vector<std::string> existing =
        fs::exists(classes_txt) ? read_class_names(classes_txt.string()) : std::vector<std::string>{};
    const auto mine = read_label_csv(o.labels_csv).classes;  // this split's names, sorted
    classes = merge_class_names(existing, mine);
    for (size_t c = existing.size(); c < classes.size(); ++c)
      if (!existing.empty()) rep.new_classes.push_back(classes[c]);
    labels = read_label_csv(o.labels_csv, classes);
  }
  const fs::path audio_root = fs::path(o.output_dir) / "audio" / o.split;
  const fs::path visual_root = fs::path(o.output_dir) / "visual" / o.split;
  if (!o.visual_only) fs::create_directories(audio_root);
  fs::create_directories(visual_root);

  std::mutex mu;
  std::atomic<size_t> next{0};
  std::set<std::string> ok_names;
  Progress progress("preprocess", static_cast<long>(videos.size()));
  size_t finished = 0;
  auto work = [&] {
    for (size_t i; (i = next++) < videos.size();) {
      const std::string name = fs::path(videos[i]).stem().string();
      const fs::path wav = audio_root / (name + ".wav"), frames = visual_root / name;
      bool done_before = !o.overwrite && (o.visual_only || fs::exists(wav)) && fs::is_directory(frames);
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
