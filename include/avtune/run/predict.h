#pragma once
// `avtune predict`: a trained run's model applied to new clips. Inputs are video files (any container
// FFmpeg reads, decoded in memory as `preprocess` would store them), preprocessed clip folders
// (frame_00001.jpg ... with the wav of the Kinetics-Sounds layout beside them), folders of either,
// or list files naming them. Each clip goes through the evaluation transforms of the model's own run
// (its config: frames, image size, fbank length, mel bins, normalisation), so a preprocessed clip
// gets exactly what `avtune eval` feeds the model.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace avtune {

struct PredictOptions {
  std::string model;                // run checkpoint (best.pth/last.pth) or a run directory
  std::vector<std::string> inputs;  // videos, clip folders, folders of them, list files (.txt/.csv)
  int top_k = 5;
  int64_t batch_size = 8;
  // How a video becomes a clip, as `preprocess` does it: frames scaled to this shorter side (0 = as
  // decoded) and stored as JPEG at this quality (0 = no JPEG round trip), audio as 16-bit at 16 kHz.
  int frame_size = 0;
  int jpeg_quality = 90;
  int sample_rate = 16000;
  std::string device = "cpu";
  bool progress = true;
};

struct ClassScore {
  std::string name;
  int64_t index = 0;
  double prob = 0;
};

struct Prediction {
  std::string input;
  std::string error;             // non-empty: this clip failed and was skipped
  std::vector<ClassScore> top;   // the model's top-k, most probable first
  // Joint models with an additive fusion head: each modality's share of the logits, as `eval`'s
  // per-modality metrics use them ("audio", "visual").
  std::map<std::string, std::vector<ClassScore>> parts;
};

struct PredictResult {
  std::string model, modality;
  std::vector<std::string> classes;
  std::vector<Prediction> items;  // in input order
  size_t failed() const;
};

// The clips named by `inputs`, in order: a folder holding frame_*.jpg is a clip; another folder
// gives its clips and videos (sorted, non-video files skipped); a .txt/.csv/.lst file gives one
// path per line (first token or first CSV column; relative to the list's folder; a header and
// '#' lines ignored); anything else is a video. A missing path or an empty list throws naming it.
std::vector<std::string> expand_predict_inputs(const std::vector<std::string>& inputs);

// A run directory -> its best.pth (else last.pth); a file is returned as is.
std::string resolve_model_path(const std::string& model);

PredictResult predict(const PredictOptions& opts);

// Table (one row per clip; per-modality rows under joint models), JSON and CSV renderings.
std::string prediction_table(const PredictResult& r);
nlohmann::json to_json(const PredictResult& r);
std::string prediction_csv(const PredictResult& r);

}  // namespace avtune
