#pragma once
// `avtune preprocess`: a folder of videos -> the Kinetics-Sounds layout the loaders read:
//   <out>/audio/<split>/<name>.wav            16 kHz mono 16-bit
//   <out>/visual/<split>/<name>/frame_00001.jpg …  one JPEG per second (the frame nearest each second's centre)
//   <out>/<split>_1fps_path.txt + classes.txt  (when a labels CSV is given)
// Clips are processed in parallel; finished clips are skipped on a re-run; a clip that fails (no
// audio or video stream, corrupt data) is reported with its path and the rest go on.
// visual_only writes frames only (no audio/ folder), so videos without a sound track (about half of
// UCF-101) are kept for visual training.
// Every file FFmpeg can demux is a candidate (CREMA-D ships .flv); files that are plainly not media
// (text, images, audio-only files) are listed as skipped, never dropped silently.
// classes.txt belongs to the data set: a split's labels are merged into it (existing indices kept,
// new classes appended), so preprocessing the test split never renumbers the train split's labels.
#include <torch/torch.h>

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
  int frame_size = 0;      // > 0: frames whose shorter side is larger are scaled down to it (aspect kept)
  int workers = 2;
  bool overwrite = false;
  bool visual_only = false;  // frames only: no wav, videos without an audio stream accepted
  bool quiet = false;
};

struct PreprocessReport {
  int processed = 0, already_done = 0;
  std::vector<std::pair<std::string, std::string>> failures;  // (video path, reason)
  std::vector<std::pair<std::string, std::string>> skipped;   // (file path, why it is not a video)
  std::vector<std::string> new_classes;                       // classes this split added to classes.txt
  std::string list_file;  // written list, if any
  std::string summary() const;
};

PreprocessReport preprocess_videos(const PreprocessOptions& opts);

// The candidate video files directly inside `dir`, sorted: every regular file but hidden ones and
// those whose extension names a non-video type, which go to `skipped` (path, reason) when given.
std::vector<std::string> find_videos(const std::string& dir,
                                     std::vector<std::pair<std::string, std::string>>* skipped = nullptr);

// One video decoded in memory as `preprocess` stores it: the audio track, mono at `sample_rate`,
// rounded to 16 bits as the wav holds it (float (n) in [-1, 1)), and the frame nearest the centre
// of each second (preprocess_frame applied). `need_*`: fail without that stream (naming the file);
// the audio is decoded whenever the file has it, since it sets the clip's duration.
struct DecodedClip {
  torch::Tensor audio;                // undefined when the file has no audio track
  std::vector<torch::Tensor> frames;  // empty unless need_video
};
DecodedClip decode_clip(const std::string& video, int sample_rate, int frame_size, bool need_audio, bool need_video);

// True for a file name whose extension names a type that holds no video (txt, csv, jpg, wav, ...).
bool is_non_video_name(const std::string& path);

// The frame a model sees from a decoded video, as `preprocess` stores it: scaled so its shorter side
// is at most `frame_size` (0 = as decoded). uint8 (3, H, W).
torch::Tensor preprocess_frame(const torch::Tensor& frame, int frame_size);

}  // namespace avtune
