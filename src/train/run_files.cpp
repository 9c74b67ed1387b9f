// A run directory's files as the trainer writes them (metrics.jsonl, curve.csv, confidences.json)
// and reads them back when a run resumes (train/trainer.h, src/train/run_files.h).
#include "run_files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "avtune/train/trainer.h"
#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- records and run files ------------------------------------------------------------------

json EpochRecord::to_json() const {
  json j;
  j["epoch"] = epoch;
  j["step"] = step;
  j["lr"] = lr;
  j["train_loss"] = std::isfinite(train_loss) ? json(train_loss) : json(nullptr);
  j["train_acc"] = train_acc;
  j["eval"] = evaluated ? eval.to_json() : json(nullptr);
  j["seconds"] = seconds;
  j["samples_per_second"] = samples_per_second;
  j["peak_rss_mib"] = peak_rss_mib;
  if (cuda_peak_mib >= 0) j["cuda_peak_allocated_mib"] = cuda_peak_mib;
  if (loss_scale != 1 || skipped_steps > 0) {
    j["loss_scale"] = loss_scale;
    j["skipped_steps"] = skipped_steps;
  }
  return j;
}

namespace {

std::string num(const json& v) {
  if (!v.is_number()) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
  return buf;
}

}  // namespace

namespace trainer_detail {

// curve.csv from the log: one row per epoch; eval columns empty where the epoch was not evaluated.
std::string curve_csv(const std::vector<json>& log) {
  std::vector<std::string> parts;  // "<modality>_top1" keys of fusion heads, in first-seen order
  for (const auto& l : log)
    if (l.contains("eval") && l["eval"].is_object())
      for (auto it = l["eval"].begin(); it != l["eval"].end(); ++it) {
        const auto& k = it.key();
        if (k != "top1" && k.size() > 5 && k.compare(k.size() - 5, 5, "_top1") == 0 &&
            std::find(parts.begin(), parts.end(), k) == parts.end())
          parts.push_back(k);
      }
  std::ostringstream s;
  s << "epoch,step,lr,train_loss,train_acc,eval_loss,eval_top1,eval_top5,eval_macro_f1,eval_mAP";
  for (const auto& p : parts) s << ",eval_" << p;
  s << ",seconds\n";
  for (const auto& l : log) {
    const json e = l.contains("eval") && l["eval"].is_object() ? l["eval"] : json::object();
    auto ev = [&](const std::string& k) { return e.contains(k) ? num(e[k]) : std::string(); };
    auto lv = [&](const std::string& k) { return l.contains(k) ? num(l[k]) : std::string(); };
    s << l.value("epoch", 0) << ',' << l.value("step", 0) << ',' << lv("lr") << ',' << lv("train_loss") << ','
      << lv("train_acc") << ',' << ev("loss") << ',' << ev("top1") << ',' << ev("top5") << ',' << ev("macro_f1")
      << ',' << ev("mAP");
    for (const auto& p : parts) s << ',' << ev(p);
    s << ',' << lv("seconds") << '\n';
  }
  return s.str();
}

std::string jsonl(const std::vector<json>& log) {
  std::string s;
  for (const auto& l : log) s += l.dump() + "\n";
  return s;
}

std::vector<json> read_jsonl(const std::string& path, int64_t max_epoch) {
  std::vector<json> out;
  std::ifstream in(path);
  long line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty()) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      fail("trainer", "one JSON object per line", e.what(), {path, line_no});
    }
    // Lines past the checkpoint come from epochs that will be trained again.
    if (j.value("epoch", int64_t{0}) <= max_epoch) out.push_back(std::move(j));
  }
  return out;
}

std::string confidences_json(const EpochConfidences& conf) {
  json arr = json::array();
  for (const auto& [epoch, m] : conf) arr.push_back({{"epoch", epoch}, {"confidence", m}});
  return json{{"epochs", arr}}.dump() + "\n";
}

EpochConfidences read_confidences(const std::string& path, int64_t max_epoch) {
  EpochConfidences out;
  std::ifstream in(path);
  if (!in) return out;
  try {
    const json j = json::parse(in);
    for (const auto& e : j.at("epochs"))
      if (e.at("epoch").get<int64_t>() <= max_epoch)
        out.emplace_back(e.at("epoch").get<int64_t>(), e.at("confidence").get<std::map<std::string, float>>());
  } catch (const json::exception& e) {
    fail("trainer", "a confidences file written by avtune", e.what(), {path});
  }
  return out;
}

StateDict cpu_copy(const StateDict& sd) {
  StateDict out;
  for (const auto& [k, t] : sd.entries()) out.set(k, t.detach().to(torch::kCPU));
  return out;
}

// Settings whose change makes a resumed run differ from an uninterrupted one.
void warn_config_changes(const std::string& saved_json, const TrainConfig& now, const std::string& path) {
  json saved;
  try {
    saved = json::parse(saved_json);
  } catch (const json::parse_error&) {
    return;
  }
  const json cur = to_json(now);
  static const std::set<std::string> free_keys = {"epochs", "resume", "workers", "device", "out_dir", "progress"};
  std::string changed;
  for (auto it = cur.begin(); it != cur.end(); ++it)
    if (!free_keys.count(it.key()) && saved.contains(it.key()) && saved[it.key()] != it.value())
      changed += " " + it.key() + " (" + saved[it.key()].dump() + " -> " + it.value().dump() + ")";
  if (!changed.empty())
    std::fprintf(stderr, "avtune: warning: resuming %s with changed settings:%s; the run will not match an uninterrupted one\n",
                 path.c_str(), changed.c_str());
}

}  // namespace trainer_detail

std::map<std::string, std::vector<float>> read_run_confidences(const std::string& path) {
  if (!fs::exists(path)) fail("trainer", "a confidences file (a run trained with record_confidences)", "none", {path});
  std::map<std::string, std::vector<float>> out;
  for (const auto& [epoch, per_sample] : trainer_detail::read_confidences(path, std::numeric_limits<int64_t>::max()))
    for (const auto& [name, c] : per_sample) out[name].push_back(c);
  return out;
}

}  // namespace avtune
