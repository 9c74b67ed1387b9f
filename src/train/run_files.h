#pragma once
// A run directory's files as the trainer writes them and reads them back on resume. Private to
// src/train (trainer.cpp, run_files.cpp).
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "avtune/io/state_dict.h"
#include "avtune/train/train_config.h"

namespace avtune::trainer_detail {

// Per recorded epoch, each training sample's true-class confidence (record_confidences).
using EpochConfidences = std::vector<std::pair<int64_t, std::map<std::string, float>>>;

// curve.csv from the log: one row per epoch; eval columns empty where the epoch was not evaluated.
std::string curve_csv(const std::vector<nlohmann::json>& log);
// metrics.jsonl: one line per log entry.
std::string jsonl(const std::vector<nlohmann::json>& log);
// metrics.jsonl read back, lines of epochs up to `max_epoch` (later ones will be trained again).
std::vector<nlohmann::json> read_jsonl(const std::string& path, int64_t max_epoch);
std::string confidences_json(const EpochConfidences& conf);
// confidences.json read back up to `max_epoch`; a missing file is none.
EpochConfidences read_confidences(const std::string& path, int64_t max_epoch);

// A checkpoint's copy of a state dict, on the CPU.
StateDict cpu_copy(const StateDict& sd);
// Warns on stderr about settings whose change makes a resumed run differ from an uninterrupted one.
void warn_config_changes(const std::string& saved_json, const TrainConfig& now, const std::string& path);

}  // namespace avtune::trainer_detail
