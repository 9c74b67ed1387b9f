#include "avtune/study/scheduler.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "avtune/models/encoder_init.h"
#include "avtune/study/work_claim.h"
#include "avtune/train/trainer.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

RunLog read_run(const std::string& dir) {
  RunLog r;
  r.dir = dir;
  const std::string path = (fs::path(dir) / RunFiles::kMetrics).string();
  std::ifstream in(path);
  std::string line;
  long n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      fail("reproduce", "a JSON object per line", e.what(), {path, n});
    }
    r.seconds += j.value("seconds", 0.0);
    if (j.contains("eval") && j["eval"].is_object()) {
      r.top1.push_back(j["eval"].value("top1", std::nan("")));
      r.last_eval = j["eval"];
    } else {
      r.top1.push_back(std::nan(""));
    }
  }
  if (!r.top1.empty()) r.last = r.top1.back();
  return r;
}

Scheduler::Scheduler(RunTrainer trainer, bool quiet) : trainer_(std::move(trainer)), quiet_(quiet) {}

void Scheduler::stage(const std::string& name, const std::function<void()>& body) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!quiet_) std::fprintf(stderr, "avtune reproduce: == %s ==\n", name.c_str());
  for (;;) {
    queue_.clear();
    waiting_.clear();
    body();
    if (!pass_pending()) break;
    if (queue_.empty()) {
      std::string why;
      for (const auto& w : waiting_) why += (why.empty() ? "" : "; ") + w;
      fail("reproduce", "stage \"" + name + "\" to have a run it can train", "none, it waits on: " + why);
    }
    trained_ += static_cast<int>(queue_.size());
    trainer_(std::move(queue_));
    queue_.clear();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stage_seconds_.emplace_back(name, s);
  if (!quiet_) std::fprintf(stderr, "avtune reproduce: %s done in %s\n", name.c_str(), format_duration(s).c_str());
}

RunLog Scheduler::cached(TrainConfig cfg) {
  const fs::path dir(cfg.out_dir);
  all_runs_.insert(dir.string());
  if (fs::exists(dir / RunFiles::kLast)) {
    // A run another worker holds is not done even when its files look it (study/work_claim.h): its
    // last.pth is saved after the last epoch's metrics, and its figures after both.
    if (run_files_complete(cfg) && !RunClaim::held(dir.string())) return read_run(dir.string());
    cfg.resume = true;  // interrupted: continue from last.pth (bit-exact on CPU, docs/training.md)
  }
  RunLog pending;
  pending.dir = dir.string();
  pending.pending = true;
  for (const char* key : {"init", "audio_init", "visual_init"}) {
    const auto init = parse_encoder_init(cfg.model.value(key, std::string("random")));
    if (!init.random && !fs::exists(init.path)) {
      waiting_.push_back(dir.string() + " needs " + init.path);
      return pending;
    }
  }
  queue_.push_back(std::move(cfg));
  return pending;
}

void Scheduler::wait(const std::string& why) { waiting_.push_back(why); }

double Scheduler::evaluated(const TrainConfig& run, const std::string& split) {
  if (!evaluator_) fail("reproduce", "an evaluator for the " + split + " split", "none set", {run.out_dir});
  return evaluator_(run, split);
}

}  // namespace avtune
