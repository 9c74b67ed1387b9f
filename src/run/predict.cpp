#include "avtune/run/predict.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "avtune/audio/audio_transforms.h"
#include "avtune/data/av_clip_dataset.h"
#include "avtune/data/video_preprocess.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/state_dict.h"
#include "avtune/run/run_spec.h"
#include "avtune/run/training_run.h"
#include "avtune/train/train_config.h"
#include "avtune/train/trainer.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"
#include "avtune/util/runtime.h"
#include "avtune/vision/frame_sampling.h"
#include "avtune/vision/image_io.h"
#include "avtune/vision/image_transforms.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

size_t PredictResult::failed() const {
  return static_cast<size_t>(std::count_if(items.begin(), items.end(), [](const Prediction& p) { return !p.error.empty(); }));
}

namespace {

bool is_clip_folder(const fs::path& p) {
  if (!fs::is_directory(p)) return false;
  return fs::exists(p / "frame_00001.jpg") || fs::exists(p / "frame_1.jpg") || fs::exists(p / "frame_000001.jpg");
}

bool is_list_file(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".txt" || ext == ".csv" || ext == ".lst";
}

bool is_audio_file(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".wav" || ext == ".flac" || ext == ".ogg";
}

std::vector<std::string> read_input_list(const fs::path& list) {
  std::ifstream in(list);
  if (!in) fail("predict", "a readable list file", "cannot open it", {list.string()});
  std::vector<std::string> out;
  long n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (n == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::string first = line.substr(0, line.find_first_of(list.extension() == ".csv" ? "," : " \t"));
    fs::path p(first);
    if (p.is_relative()) p = list.parent_path() / p;
    if (!fs::exists(p)) {
      if (n == 1) continue;  // a header line ("path,label")
      fail("predict", "an existing clip or video", "'" + p.string() + "'", {list.string(), n});
    }
    out.push_back(p.string());
  }
  if (out.empty()) fail("predict", "at least one input in the list", "none", {list.string()});
  return out;
}

}  // namespace

std::vector<std::string> expand_predict_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    const fs::path p(in);
    if (!fs::exists(p)) fail("predict", "an existing video, clip folder or list file", "'" + in + "'");
    if (is_clip_folder(p) || (fs::is_regular_file(p) && !is_list_file(p))) {
      out.push_back(in);
    } else if (fs::is_directory(p)) {
      std::vector<std::string> found;
      for (auto& e : fs::directory_iterator(p)) {
        const auto name = e.path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        if (is_clip_folder(e.path()) || (e.is_regular_file() && (!is_non_video_name(e.path().string()) || is_audio_file(e.path()))))
          found.push_back(e.path().string());
      }
      if (found.empty()) fail("predict", "videos or clip folders in the folder", "none", {in});
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      for (auto& f : read_input_list(p)) out.push_back(f);
    }
  }
  return out;
}

std::string resolve_model_path(const std::string& model) {
  if (!fs::is_directory(model)) return model;
  for (const char* f : {RunFiles::kBest, RunFiles::kLast})
    if (fs::exists(fs::path(model) / f)) return (fs::path(model) / f).string();
  fail("predict", "a run directory with best.pth or last.pth", "neither", {model});
}

namespace {

// The evaluation input of one clip, exactly as the run's evaluation data set builds it.
Sample clip_sample(const std::string& input, const DatasetSpec& spec, const PredictOptions& o) {
  const fs::path p(input);
  const bool need_audio = spec.modality != Modality::Visual, need_visual = spec.modality != Modality::Audio;
  Sample s;
  s.name = p.filename().string();
  if (is_clip_folder(p) || (is_audio_file(p) && !need_visual)) {
    // A preprocessed clip: the data set class itself, over a one-clip list.
    const bool folder = fs::is_directory(p);
    const std::string name = folder ? p.filename().string() : p.stem().string();
    fs::path wav = folder ? fs::path(p.string() + ".wav") : p;
    const fs::path split_dir = p.parent_path(), visual_root = split_dir.parent_path();
    if (folder && !fs::exists(wav) && visual_root.filename() == "visual")  // ROOT/visual/SPLIT/NAME
      wav = visual_root.parent_path() / "audio" / split_dir.filename() / (name + ".wav");
    if (need_audio && !fs::exists(wav))
      fail("predict", "the clip's audio (" + wav.string() + ")", "no such file", {input});
    ClipList list;
    list.source = input;
    list.entries.push_back({name, 0, 0});
    list.classes = {"?"};
    AVClipOptions co = spec.clip;
    co.modality = spec.modality;
    co.train = false;
    co.audio_dir = wav.parent_path().string();
    co.audio_ext = wav.extension().string();
    co.visual_dir = split_dir.string();
    std::mt19937_64 rng(0);  // evaluation draws nothing
    s = AVClipDataset(std::move(list), co).get(0, rng);
    s.name = input;
    return s;
  }
  // A video: decoded in memory as preprocess would store it, then the same evaluation transforms.
  const DecodedClip clip = decode_clip(input, o.sample_rate, o.frame_size, need_audio, need_visual);
  if (need_audio) s.audio = fbank_input_from_wave(clip.audio, o.sample_rate, spec.clip.audio, input);
  if (need_visual) {
    const auto picks = sample_frame_indices(static_cast<int>(clip.frames.size()), spec.clip.frames, FrameSamplingMode::Eval,
                                            nullptr, input, spec.clip.frame_sampling);
    EvalTransformOptions t;
    t.height = t.width = spec.clip.image_size;
    t.mean = spec.clip.mean;
    t.std = spec.clip.std;
    std::vector<torch::Tensor> frames;
    for (int k : picks) {
      torch::Tensor f = clip.frames[static_cast<size_t>(k)];
      if (o.jpeg_quality > 0) {
        const auto bytes = encode_jpeg(f, o.jpeg_quality, input);
        f = decode_image(bytes.data(), bytes.size(), input);
      }
      frames.push_back(eval_transform(f, t));
    }
    s.visual = torch::stack(frames, 1);
  }
  s.name = input;
  return s;
}

std::vector<ClassScore> top_of(const torch::Tensor& probs, const std::vector<std::string>& classes, int k) {
  const int64_t n = std::min<int64_t>(std::max(k, 1), probs.size(0));
  const auto [vals, idx] = probs.topk(n);
  std::vector<ClassScore> out;
  for (int64_t j = 0; j < n; ++j) {
    const int64_t c = idx[j].item<int64_t>();
    out.push_back({c < static_cast<int64_t>(classes.size()) ? classes[static_cast<size_t>(c)] : std::to_string(c), c,
                   vals[j].item<double>()});
  }
  return out;
}

}  // namespace

PredictResult predict(const PredictOptions& o) {
  const std::string path = resolve_model_path(o.model);
  if (!is_run_checkpoint(path))
    fail("predict", "a run checkpoint (best.pth or last.pth of `avtune train`), whose config names the inputs", "plain weights",
         {path});
  auto ck = load_checkpoint(path);
  json j;
  try {
    j = json::parse(ck.config_json);
  } catch (const json::exception& e) {
    fail("predict", "the checkpoint's run configuration as JSON", e.what(), {path});
  }
  const TrainConfig cfg = train_config_from_json(j, path);
  const json model = resolved_model(cfg.model), data = resolved_data(cfg.data);
  const ModelSettings ms = model_settings_from_json(model, path);
  const Modality modality = run_modality(model);
  PredictResult r;
  r.model = path;
  r.modality = to_string(modality);
  r.classes = ms.class_names;
  int64_t classes = ms.classes;
  if (classes <= 0) fail("predict", "the number of classes in the checkpoint's config", "none", {path});
  if (r.classes.size() != static_cast<size_t>(classes)) {  // a run from before class names were stored
    r.classes.clear();
    for (int64_t c = 0; c < classes; ++c) r.classes.push_back(std::to_string(c));
  }
  json d = data;
  if (d.value("root", std::string()).empty()) d["root"] = ".";  // the data set itself is not needed
  const DatasetSpec spec = dataset_spec_from(d, modality);
  auto net = build_run_model(model, modality, classes, /*fresh=*/false);
  (void)load_state_dict(*net, ck.model);
  auto adapter = run_adapter(net, model);
  const c10::Device device = resolve_device(o.device);
  adapter->module().to(device);
  adapter->set_training(false);
  torch::NoGradGuard no_grad;

  const auto inputs = expand_predict_inputs(o.inputs);
  r.items.resize(inputs.size());
  Progress progress("predict", static_cast<long>(inputs.size()));
  const size_t bs = static_cast<size_t>(std::max<int64_t>(1, o.batch_size));
  for (size_t start = 0; start < inputs.size(); start += bs) {
    std::vector<Sample> samples;
    std::vector<size_t> where;
    for (size_t i = start; i < std::min(inputs.size(), start + bs); ++i) {
      r.items[i].input = inputs[i];
      try {
        samples.push_back(clip_sample(inputs[i], spec, o));
        samples.back().index = i;
        where.push_back(i);
      } catch (const std::exception& e) {
        r.items[i].error = e.what();
      }
    }
    if (!samples.empty()) {
      try {
        Batch b = collate(samples);
        if (b.audio.defined()) b.audio = b.audio.to(device);
        if (b.visual.defined()) b.visual = b.visual.to(device);
        const ModelOutput out = adapter->forward(b);
        const auto probs = torch::softmax(out.logits.to(torch::kCPU).to(torch::kFloat), 1);
        std::map<std::string, torch::Tensor> part_probs;
        for (const auto& [k, v] : out.parts) part_probs[k] = torch::softmax(v.to(torch::kCPU).to(torch::kFloat), 1);
        for (size_t n = 0; n < where.size(); ++n) {
          auto& item = r.items[where[n]];
          item.top = top_of(probs[static_cast<int64_t>(n)], r.classes, o.top_k);
          for (const auto& [k, v] : part_probs) item.parts[k] = top_of(v[static_cast<int64_t>(n)], r.classes, o.top_k);
        }
      } catch (const std::exception& e) {
        for (size_t i : where) r.items[i].error = e.what();
      }
    }
    if (o.progress) progress.update(static_cast<long>(std::min(inputs.size(), start + bs)));
  }
  if (o.progress) progress.finish();
  return r;
}

namespace {
std::string scores_text(const std::vector<ClassScore>& v) {
  std::string s;
  for (const auto& c : v) s += fmt::format("{}{} {:.3f}", s.empty() ? "" : "  ", c.name, c.prob);
  return s;
}
json scores_json(const std::vector<ClassScore>& v) {
  json a = json::array();
  for (const auto& c : v) a.push_back({{"class", c.name}, {"index", c.index}, {"prob", c.prob}});
  return a;
}
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
}  // namespace

std::string prediction_table(const PredictResult& r) {
  size_t w = 5;
  for (const auto& p : r.items) w = std::max(w, p.input.size());
  std::string s = fmt::format("{:<{}}  {}\n", "input", w, "top classes (probability)");
  for (const auto& p : r.items) {
    if (!p.error.empty()) {
      s += fmt::format("{:<{}}  FAILED: {}\n", p.input, w, p.error);
      continue;
    }
    s += fmt::format("{:<{}}  {}\n", p.input, w, scores_text(p.top));
    for (const auto& [k, v] : p.parts) s += fmt::format("{:>{}}  {}\n", k + " part", w, scores_text(v));
  }
  return s;
}

json to_json(const PredictResult& r) {
  json items = json::array(), failures = json::array();
  for (const auto& p : r.items) {
    if (!p.error.empty()) {
      failures.push_back({{"input", p.input}, {"error", p.error}});
      continue;
    }
    json it = {{"input", p.input}, {"top", scores_json(p.top)}};
    for (const auto& [k, v] : p.parts) it[k] = scores_json(v);
    items.push_back(it);
  }
  return {{"model", r.model}, {"modality", r.modality}, {"classes", r.classes}, {"predictions", items}, {"failures", failures}};
}

std::string prediction_csv(const PredictResult& r) {
  std::string s = "input,output,rank,class,index,prob\n";
  for (const auto& p : r.items) {
    if (!p.error.empty()) continue;
    auto rows = [&](const std::string& what, const std::vector<ClassScore>& v) {
      for (size_t k = 0; k < v.size(); ++k)
        s += fmt::format("{},{},{},{},{},{:.6f}\n", csv_field(p.input), what, k + 1, csv_field(v[k].name), v[k].index, v[k].prob);
    };
    rows(r.modality, p.top);
    for (const auto& [k, v] : p.parts) rows(k, v);
  }
  return s;
}

}  // namespace avtune
