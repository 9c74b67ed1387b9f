#include "avtune/train/train_config.h"

#include <fstream>
#include <set>
#include <type_traits>

#include "avtune/util/error.h"

namespace avtune {

using nlohmann::json;

json to_json(const TrainConfig& c) {
  json j;
  j["epochs"] = c.epochs;
  j["batch_size"] = c.batch_size;
  j["optimizer"] = c.optim.kind;
  j["lr"] = c.optim.lr;
  j["momentum"] = c.optim.momentum;
  j["nesterov"] = c.optim.nesterov;
  j["beta1"] = c.optim.beta1;
  j["beta2"] = c.optim.beta2;
  j["eps"] = c.optim.eps;
  j["weight_decay"] = c.optim.weight_decay;
  j["decay_exclude"] = c.optim.decay_exclude;
  j["grad_clip"] = c.optim.grad_clip;
  j["schedule"] = c.schedule.kind;
  j["step_size"] = c.schedule.step_size;
  j["milestones"] = c.schedule.milestones;
  j["gamma"] = c.schedule.gamma;
  j["min_lr"] = c.schedule.min_lr;
  j["warmup_epochs"] = c.schedule.warmup_epochs;
  j["seed"] = c.seed;
  j["workers"] = c.workers;
  j["device"] = c.device;
  j["out_dir"] = c.out_dir;
  j["resume"] = c.resume;
  j["eval_every"] = c.eval_every;
  j["record_confidences"] = c.record_confidences;
  j["progress"] = c.progress;
  j["model"] = c.model;
  j["data"] = c.data;
  return j;
}

TrainConfig apply_json(TrainConfig c, const json& j, const std::string& source) {
  if (!j.is_object()) fail("train-config", "a JSON object of settings", std::string(j.type_name()), {source});
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    // Reads v into `dst`, naming the key and the expected type when it does not fit.
    auto take = [&](auto& dst, const char* type) {
      using T = std::decay_t<decltype(dst)>;
      const bool ok = std::is_same_v<T, bool>          ? v.is_boolean()
                      : std::is_same_v<T, std::string> ? v.is_string()
                      : std::is_floating_point_v<T>    ? v.is_number()
                      : std::is_unsigned_v<T>          ? v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)
                                                       : v.is_number_integer();
      if (!ok) fail("train-config", "'" + k + "' as " + type, v.dump(), {source});
      dst = v.get<T>();
    };
    if (k == "epochs") take(c.epochs, "an integer");
    else if (k == "batch_size") take(c.batch_size, "an integer");
    else if (k == "optimizer") take(c.optim.kind, "a string (sgd|adam|adamw)");
    else if (k == "lr") take(c.optim.lr, "a number");
    else if (k == "momentum") take(c.optim.momentum, "a number");
    else if (k == "nesterov") take(c.optim.nesterov, "true/false");
    else if (k == "beta1") take(c.optim.beta1, "a number");
    else if (k == "beta2") take(c.optim.beta2, "a number");
    else if (k == "eps") take(c.optim.eps, "a number");
    else if (k == "weight_decay") take(c.optim.weight_decay, "a number");
    else if (k == "decay_exclude") take(c.optim.decay_exclude, "true/false");
    else if (k == "grad_clip") take(c.optim.grad_clip, "a number");
    else if (k == "schedule") take(c.schedule.kind, "a string (constant|step|multistep|cosine)");
    else if (k == "step_size") take(c.schedule.step_size, "an integer");
    else if (k == "milestones") {
      if (!v.is_array()) fail("train-config", "'milestones' as a list of epochs", v.dump(), {source});
      c.schedule.milestones.clear();
      for (const auto& e : v) {
        if (!e.is_number_integer()) fail("train-config", "'milestones' as a list of integer epochs", v.dump(), {source});
        c.schedule.milestones.push_back(e.get<int64_t>());
      }
    } else if (k == "gamma") take(c.schedule.gamma, "a number");
    else if (k == "min_lr") take(c.schedule.min_lr, "a number");
    else if (k == "warmup_epochs") take(c.schedule.warmup_epochs, "a number");
    else if (k == "seed") take(c.seed, "a non-negative integer");
    else if (k == "workers") take(c.workers, "an integer");
    else if (k == "device") take(c.device, "a string (auto|cpu|cuda|cuda:N)");
    else if (k == "out_dir") take(c.out_dir, "a string");
    else if (k == "resume") take(c.resume, "true/false");
    else if (k == "eval_every") take(c.eval_every, "an integer");
    else if (k == "record_confidences") take(c.record_confidences, "true/false");
    else if (k == "progress") take(c.progress, "true/false");
    else if (k == "model" || k == "data") {
      if (!v.is_object()) fail("train-config", "'" + k + "' as an object", v.dump(), {source});
      auto& dst = k == "model" ? c.model : c.data;
      for (auto e = v.begin(); e != v.end(); ++e) dst[e.key()] = e.value();  // merge, so overrides add keys
    } else {
      fail("train-config", "a known setting (see docs/training.md)", "'" + k + "'", {source});
    }
  }
  if (c.epochs < 1) fail("train-config", "epochs >= 1", std::to_string(c.epochs), {source});
  if (c.batch_size < 1) fail("train-config", "batch_size >= 1", std::to_string(c.batch_size), {source});
  if (c.workers < 0) fail("train-config", "workers >= 0", std::to_string(c.workers), {source});
  if (c.eval_every < 0) fail("train-config", "eval_every >= 0", std::to_string(c.eval_every), {source});
  return c;
}

TrainConfig train_config_from_json(const json& j, const std::string& source) { return apply_json(TrainConfig{}, j, source); }

TrainConfig load_train_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("train-config", "a readable JSON file", "cannot open it", {path});
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    fail("train-config", "valid JSON", e.what(), {path});
  }
  return train_config_from_json(j, path);
}

TrainConfig resolve_train_config(const std::string& path, const json& overrides) {
  TrainConfig c = path.empty() ? TrainConfig{} : load_train_config(path);
  return apply_json(c, overrides, "command line");
}

}  // namespace avtune
