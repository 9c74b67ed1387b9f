#include "avtune/methods/fusion_masks.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

MaskRule parse_mask_rule(const std::string& s) {
  if (s == "reference") return MaskRule::Reference;
  if (s == "symmetric") return MaskRule::Symmetric;
  fail("fust", "a mask rule reference|symmetric", "'" + s + "'");
}

std::string to_string(MaskRule r) { return r == MaskRule::Reference ? "reference" : "symmetric"; }

MaskRatio raw_mask_ratio(const MaskRuleConfig& cfg, double ca, double cv) {
  MaskRatio r;
  if (cfg.rule == MaskRule::Reference) {
    // As released: audio is masked only when the visual model is confident and audio more so; the
    // visual branch needs c_a >= tau > c_v, where c_v - c_a < 0, so visual is never masked.
    if (cv >= cfg.tau) r.audio = cfg.rho_audio * std::tanh(cfg.eta_audio * (ca - cv));
    else if (ca >= cfg.tau) r.visual = cfg.rho_visual * std::tanh(cfg.eta_visual * (cv - ca));
  } else {
    // Mask the more confident modality of an easy sample, growing with the gap.
    if (ca >= cv && ca >= cfg.tau) r.audio = cfg.rho_audio * std::tanh(cfg.eta_audio * (ca - cv));
    else if (cv > ca && cv >= cfg.tau) r.visual = cfg.rho_visual * std::tanh(cfg.eta_visual * (cv - ca));
  }
  return r;
}

MaskRatio mask_ratio(const MaskRuleConfig& cfg, double ca, double cv) {
  MaskRatio r = raw_mask_ratio(cfg, ca, cv);
  r.audio = std::max(0.0, r.audio);
  r.visual = std::max(0.0, r.visual);
  return r;
}

std::vector<MaskRatio> mask_ratios(const MaskRuleConfig& cfg, const std::vector<SampleConfidence>& conf) {
  std::vector<MaskRatio> out;
  out.reserve(conf.size());
  for (const auto& c : conf) out.push_back(mask_ratio(cfg, c.audio, c.visual));
  if (cfg.mean_mode && !out.empty()) {
    // The reference averages the raw ratios (negative ones included) and masks only a positive mean.
    MaskRatio mean;
    for (const auto& c : conf) {
      const MaskRatio r = cfg.mean_of_clamped ? mask_ratio(cfg, c.audio, c.visual) : raw_mask_ratio(cfg, c.audio, c.visual);
      mean.audio += r.audio;
      mean.visual += r.visual;
    }
    mean.audio = std::max(0.0, mean.audio / static_cast<double>(out.size()));
    mean.visual = std::max(0.0, mean.visual / static_cast<double>(out.size()));
    std::fill(out.begin(), out.end(), mean);
  }
  return out;
}

MaskSummary summarize(const std::vector<MaskRatio>& ratios) {
  MaskSummary s;
  s.samples = ratios.size();
  for (const auto& r : ratios) {
    s.audio_masked += r.audio > 0;
    s.visual_masked += r.visual > 0;
    s.mean_audio += r.audio;
    s.mean_visual += r.visual;
    s.max_audio = std::max(s.max_audio, r.audio);
    s.max_visual = std::max(s.max_visual, r.visual);
  }
  if (s.samples) {
    s.mean_audio /= static_cast<double>(s.samples);
    s.mean_visual /= static_cast<double>(s.samples);
  }
  return s;
}

std::string MaskSummary::text() const {
  return fmt::format("{} samples: audio masked in {} (mean ratio {:.4f}, max {:.4f}), visual masked in {} (mean {:.4f}, max {:.4f})",
                     samples, audio_masked, mean_audio, max_audio, visual_masked, mean_visual, max_visual);
}

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) f.push_back(cell);
  if (!line.empty() && line.back() == ',') f.emplace_back();
  return f;
}

double number(const std::string& s, const std::string& what, const FileLocation& at) {
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  fail("fust", what, "'" + s + "'", at);
}

// Reads a CSV with the given header; calls row(fields, location) for each data line.
template <typename Row>
void read_csv(const std::string& path, const std::string& header, Row row) {
  std::ifstream in(path);
  if (!in) fail("fust", "a readable CSV file", "cannot open it", {path});
  std::string line;
  long n = 0;
  if (!std::getline(in, line)) fail("fust", "the header '" + header + "'", "an empty file", {path, 1});
  ++n;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != header) fail("fust", "the header '" + header + "'", "'" + line + "'", {path, 1});
  const size_t cols = split_csv(header).size();
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto f = split_csv(line);
    if (f.size() != cols) fail("fust", std::to_string(cols) + " comma-separated fields", std::to_string(f.size()), {path, n});
    row(f, FileLocation{path, n});
  }
}

}  // namespace

void write_confidences_csv(const std::string& path, const std::vector<SampleConfidence>& conf) {
  std::string s = "name,label,audio,visual\n";
  // "{}" is fmt's shortest round-trip form: the numbers read back bit for bit.
  for (const auto& c : conf) s += fmt::format("{},{},{},{}\n", c.name, c.label, c.audio, c.visual);
  write_file_atomic(path, s);
}

std::vector<SampleConfidence> read_confidences_csv(const std::string& path) {
  std::vector<SampleConfidence> out;
  read_csv(path, "name,label,audio,visual", [&](const std::vector<std::string>& f, const FileLocation& at) {
    SampleConfidence c;
    c.name = f[0];
    c.label = static_cast<int64_t>(number(f[1], "an integer label", at));
    c.audio = number(f[2], "an audio confidence in [0, 1]", at);
    c.visual = number(f[3], "a visual confidence in [0, 1]", at);
    if (c.audio < 0 || c.audio > 1) fail("fust", "an audio confidence in [0, 1]", f[2], at);
    if (c.visual < 0 || c.visual > 1) fail("fust", "a visual confidence in [0, 1]", f[3], at);
    out.push_back(c);
  });
  return out;
}

std::vector<SampleConfidence> join_confidences(const std::map<std::string, std::vector<float>>& audio,
                                               const std::map<std::string, std::vector<float>>& visual,
                                               const std::map<std::string, int64_t>& labels) {
  auto mean = [](const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  };
  std::vector<SampleConfidence> out;
  for (const auto& [name, a] : audio) {
    const auto v = visual.find(name);
    if (v == visual.end()) fail("fust", "sample '" + name + "' in the visual stage-1 run too", "only in the audio run");
    const auto l = labels.find(name);
    SampleConfidence c;
    c.name = name;
    c.label = l == labels.end() ? -1 : l->second;
    c.audio = mean(a);
    c.visual = mean(v->second);
    out.push_back(c);
  }
  if (out.size() != visual.size())
    fail("fust", "the same samples in both stage-1 runs",
         std::to_string(audio.size()) + " audio vs " + std::to_string(visual.size()) + " visual");
  return out;
}

void write_mask_ratios_csv(const std::string& path, const std::vector<SampleConfidence>& conf,
                           const std::vector<MaskRatio>& ratios) {
  if (conf.size() != ratios.size())
    fail("fust", "one ratio per sample", std::to_string(ratios.size()) + " for " + std::to_string(conf.size()));
  std::string s = "name,label,conf_audio,conf_visual,ratio_audio,ratio_visual\n";
  for (size_t i = 0; i < conf.size(); ++i)
    s += fmt::format("{},{},{},{},{},{}\n", conf[i].name, conf[i].label, conf[i].audio, conf[i].visual,
                     ratios[i].audio, ratios[i].visual);
  write_file_atomic(path, s);
}

std::map<std::string, MaskRatio> read_mask_ratios_csv(const std::string& path) {
  std::map<std::string, MaskRatio> out;
  read_csv(path, "name,label,conf_audio,conf_visual,ratio_audio,ratio_visual",
           [&](const std::vector<std::string>& f, const FileLocation& at) {
             MaskRatio r;
             r.audio = number(f[4], "an audio mask ratio in [0, 1)", at);
             r.visual = number(f[5], "a visual mask ratio in [0, 1)", at);
             if (r.audio < 0 || r.audio >= 1) fail("fust", "an audio mask ratio in [0, 1)", f[4], at);
             if (r.visual < 0 || r.visual >= 1) fail("fust", "a visual mask ratio in [0, 1)", f[5], at);
             if (!out.emplace(f[0], r).second) fail("fust", "each sample once", "'" + f[0] + "' again", at);
           });
  return out;
}

}  // namespace avtune

namespace avtune {

nlohmann::json to_json(const MaskRuleConfig& r) {
  return {{"rule", to_string(r.rule)}, {"mean_mode", r.mean_mode}, {"mean_of_clamped", r.mean_of_clamped},
          {"tau", r.tau}, {"eta_audio", r.eta_audio}, {"eta_visual", r.eta_visual},
          {"rho_audio", r.rho_audio}, {"rho_visual", r.rho_visual}};
}

MaskRuleConfig mask_rule_from_json(const nlohmann::json& j, const std::string& where) {
  const std::string at = where.empty() ? "" : " (" + where + ")";
  if (!j.is_object()) fail("mask rule", "a JSON object" + at, j.dump());
  MaskRuleConfig r;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    const auto number = [&](double& out) {
      if (!v.is_number()) fail("mask rule", "\"" + k + "\" to be a number" + at, v.dump());
      out = v.get<double>();
    };
    const auto flag = [&](bool& out) {
      if (!v.is_boolean()) fail("mask rule", "\"" + k + "\" to be true or false" + at, v.dump());
      out = v.get<bool>();
    };
    if (k == "rule") {
      if (!v.is_string()) fail("mask rule", "\"rule\" to be reference|symmetric" + at, v.dump());
      r.rule = parse_mask_rule(v.get<std::string>());
    } else if (k == "mean_mode") flag(r.mean_mode);
    else if (k == "mean_of_clamped") flag(r.mean_of_clamped);
    else if (k == "tau") number(r.tau);
    else if (k == "eta_audio") number(r.eta_audio);
    else if (k == "eta_visual") number(r.eta_visual);
    else if (k == "rho_audio") number(r.rho_audio);
    else if (k == "rho_visual") number(r.rho_visual);
    else fail("mask rule", "a key of rule|mean_mode|mean_of_clamped|tau|eta_audio|eta_visual|rho_audio|rho_visual" + at,
              "\"" + k + "\"");
  }
  return r;
}

}  // namespace avtune
