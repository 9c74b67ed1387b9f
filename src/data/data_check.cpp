#include "avtune/data/data_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "avtune/audio/audio_file.h"
#include "avtune/data/av_clip_dataset.h"
#include "avtune/vision/frame_sampling.h"
#include "avtune/vision/image_io.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {
void add(std::string& to, const std::string& what) { to += (to.empty() ? "" : "; ") + what; }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Seconds of audio the model's fbank length covers (10 ms hop, 25 ms window).
double input_seconds(const AudioInputOptions& a) {
  return (static_cast<double>(a.target_frames - 1) * a.fbank.frame_shift + a.fbank.frame_length) / 1000.0;
}

void check_clip(const AVClipDataset& ds, size_t i, const DataCheckOptions& o, ClipCheck& c) {
  const auto& opts = ds.options();
  if (opts.modality != Modality::Visual) {
    const std::string wav = ds.audio_path(i);
    if (!fs::is_regular_file(wav)) {
      add(c.errors, "missing audio " + wav);
    } else if (o.decode) {
      try {
        const AudioClip a = read_audio(wav);
        c.audio_s = static_cast<double>(a.samples.size(1)) / a.sample_rate;
        if (a.samples.numel() == 0 || a.samples.abs().max().item<float>() < 1e-4f) add(c.warnings, "silent audio");
        if (c.audio_s < input_seconds(opts.audio))
          add(c.warnings, fmt::format("audio {:.2f} s shorter than the model's input ({:.2f} s): padded", c.audio_s,
                                      input_seconds(opts.audio)));
      } catch (const std::exception& e) {
        add(c.errors, std::string("unreadable audio: ") + e.what());
      }
    }
  }
  if (opts.modality != Modality::Audio) {
    const std::string dir = ds.frames_dir(i);
    if (!fs::is_directory(dir)) {
      add(c.errors, "missing frame folder " + dir);
      return;
    }
    try {
      const auto files = list_clip_frames(dir);
      c.frames = static_cast<int>(files.size());
      if (files.empty()) add(c.errors, "no frames in " + dir);
      else if (c.frames < opts.frames)
        add(c.warnings, fmt::format("{} frame(s) for T = {}: frames repeated", c.frames, opts.frames));
      if (o.decode && !files.empty()) (void)read_image(files.front());
    } catch (const std::exception& e) {
      add(c.errors, std::string("unreadable frames: ") + e.what());
    }
  }
}
}  // namespace

size_t DataCheckReport::errors() const {
  size_t n = 0;
  for (const auto& s : splits) n += s.errors + (s.problem.empty() ? 0 : 1);
  return n;
}

std::string DataCheckReport::summary() const {
  std::string s;
  for (const auto& sp : splits) {
    if (!sp.problem.empty()) {
      s += fmt::format("{}: ERROR {}\n", sp.split, sp.problem);
      continue;
    }
    s += fmt::format("{}: {} clips, {} with errors, {} with warnings\n", sp.split, sp.clips, sp.errors, sp.warnings);
    std::string counts;
    int64_t lo = -1, hi = 0;
    for (size_t c = 0; c < sp.class_counts.size(); ++c) {
      counts += fmt::format("{}{}={}", counts.empty() ? "" : " ", c < classes.size() ? classes[c] : std::to_string(c),
                            sp.class_counts[c]);
      lo = lo < 0 ? sp.class_counts[c] : std::min(lo, sp.class_counts[c]);
      hi = std::max(hi, sp.class_counts[c]);
    }
    s += "  classes: " + counts + "\n";
    if (lo == 0) s += "  warning: some classes have no clips in this split\n";
    else if (lo > 0 && hi > 3 * lo) s += fmt::format("  warning: imbalanced classes ({} to {} clips)\n", lo, hi);
  }
  // The first problems by clip, the rest in the CSV.
  size_t shown = 0;
  for (const auto& c : clips)
    if ((!c.errors.empty() || !c.warnings.empty()) && shown++ < 10)
      s += fmt::format("  {} {}: {}\n", c.split, c.name, c.errors.empty() ? "warning: " + c.warnings : "ERROR " + c.errors);
  if (shown > 10) s += fmt::format("  ... {} more clips with problems (see the CSV)\n", shown - 10);
  if (!duplicates.empty()) {
    s += fmt::format("warning: {} clip name(s) in more than one split:", duplicates.size());
    for (size_t k = 0; k < std::min<size_t>(5, duplicates.size()); ++k) s += " " + duplicates[k];
    s += duplicates.size() > 5 ? " ...\n" : "\n";
  }
  s += errors() ? fmt::format("data check: {} error(s)\n", errors()) : "data check: no errors\n";
  return s;
}

std::string DataCheckReport::csv() const {
  std::string s = "split,name,label,class,audio_s,frames,errors,warnings\n";
  for (const auto& c : clips)
    s += fmt::format("{},{},{},{},{},{},{},{}\n", csv_field(c.split), csv_field(c.name), c.label, csv_field(c.class_name),
                     c.audio_s < 0 ? std::string() : fmt::format("{:.3f}", c.audio_s),
                     c.frames < 0 ? std::string() : std::to_string(c.frames), csv_field(c.errors), csv_field(c.warnings));
  return s;
}

DataCheckReport check_dataset(const DatasetSpec& spec_in, const std::vector<std::string>& splits, const DataCheckOptions& o) {
  DataCheckReport rep;
  DatasetSpec spec = spec_in;
  spec.clip.allow_missing = true;  // every missing file is reported, not only the first ones
  std::map<std::string, std::vector<std::string>> seen;  // name -> splits
  for (const auto& split : splits) {
    SplitCheck sc;
    sc.split = split;
    std::shared_ptr<Dataset> opened;
    try {
      opened = open_dataset(spec, split, /*train=*/false);
    } catch (const std::exception& e) {
      sc.problem = e.what();
      rep.splits.push_back(sc);
      continue;
    }
    auto ds = std::dynamic_pointer_cast<AVClipDataset>(opened);
    if (!ds) {
      sc.problem = "data check reads the ks, csv and esc50 formats";
      rep.splits.push_back(sc);
      continue;
    }
    if (rep.classes.empty()) rep.classes = ds->class_names();
    else if (rep.classes != ds->class_names()) sc.problem = "other classes (or another order) than the first split's";
    sc.class_counts.assign(ds->class_names().size(), 0);
    const size_t n = o.max_clips ? std::min(o.max_clips, ds->size()) : ds->size();
    for (size_t i = 0; i < n; ++i) {
      ClipCheck c;
      c.split = split;
      c.name = ds->name_of(i);
      c.label = ds->label_of(i);
      if (c.label < 0 || c.label >= static_cast<int64_t>(ds->class_names().size()))
        add(c.errors, fmt::format("label {} outside 0..{}", c.label, ds->class_names().size() - 1));
      else {
        c.class_name = ds->class_names()[static_cast<size_t>(c.label)];
        ++sc.class_counts[static_cast<size_t>(c.label)];
      }
      check_clip(*ds, i, o, c);
      sc.errors += !c.errors.empty();
      sc.warnings += c.errors.empty() && !c.warnings.empty();
      seen[c.name].push_back(split);
      rep.clips.push_back(std::move(c));
    }
    sc.clips = n;
    rep.splits.push_back(sc);
  }
  for (const auto& [name, in] : seen)
    if (std::set<std::string>(in.begin(), in.end()).size() > 1) rep.duplicates.push_back(name);
  return rep;
}

}  // namespace avtune
