#pragma once
// `avtune preprocess`: a folder of videos -> the Kinetics-Sounds layout the loaders read:
//   <out>/audio/<split>/<name>.wav            16 kHz mono 16-bit
//   <out>/visual/<split>/<name>/frame_00001.jpg …  one JPEG per second (the frame nearest each second's centre)
//   <out>/<split>_1fps_path.txt + classes.txt  (when a labels CSV is given)
// Clips are processed in parallel; finished clips are skipped on a re-run; a clip that fails (no
// audio or video stream, corrupt data) is reported with its path and the rest go on.
#include <string>
#include <utility>
#include <vector>

namespace avtune {

struct PreprocessOptions {
  std::string input_dir;
  std::string output_dir;
  std::string split = "train";
  std::string labels_csv;  // optional `name,LABEL` rows (name = video file stem)
  int sample_rate = 16000;
  int jpeg_quality = 90;
  int workers = 2;
  bool overwrite = false;
  bool quiet = false;
};

struct PreprocessReport {
  int processed = 0, already_done = 0;
  std::vector<std::pair<std::string, std::string>> failures;  // (video path, reason)
  std::string list_file;  // written list, if any
  std::string summary() const;
};

PreprocessReport preprocess_videos(const PreprocessOptions& opts);

// The video files (mp4, mkv, webm, avi, mov) directly inside `dir`, sorted.
std::vector<std::string> find_videos(const std::string& dir);

}  // namespace avtune
