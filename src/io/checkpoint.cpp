#include "avtune/io/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include "avtune/io/pth.h"
#include "avtune/io/safetensors.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {
constexpr const char* kFormat = "avtune-checkpoint/1";

StateDict tensors_of(const py::ValuePtr& v) {
  StateDict sd;
  if (v && v->kind == py::Kind::Dict)
    for (const auto& [k, x] : v->entries)
      if (k->kind == py::Kind::Str && x->kind == py::Kind::Tensor) sd.set(k->s, x->tensor);
  return sd;
}

int64_t int_of(const py::ValuePtr& v, const std::string& what, const std::string& path) {
  if (!v || v->kind != py::Kind::Int) fail("checkpoint", "an int '" + what + "'", v ? v->type_name() : "none", {path});
  return v->i;
}
std::string str_of(const py::ValuePtr& v, const std::string& what, const std::string& path) {
  if (!v || v->kind != py::Kind::Str) fail("checkpoint", "a string '" + what + "'", v ? v->type_name() : "none", {path});
  return v->s;
}
}  // namespace

torch::Tensor capture_cpu_rng() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void restore_cpu_rng(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

void save_checkpoint(const std::string& path, const TrainingCheckpoint& ck, bool also_safetensors) {
  auto root = py::Value::dict();
  root->set("format", py::Value::str(kFormat));
  root->set("model", to_pickle(ck.model));
  root->set("optimizer", to_pickle(ck.optimizer));
  root->set("scheduler", py::Value::str(ck.scheduler_json));
  root->set("epoch", py::Value::integer(ck.epoch));
  root->set("step", py::Value::integer(ck.step));
  auto rng = py::Value::dict();
  if (ck.cpu_rng_state.defined()) rng->set("cpu", py::Value::from_tensor(ck.cpu_rng_state));
  root->set("rng", rng);
  root->set("config", py::Value::str(ck.config_json));
  if (also_safetensors) {
    std::string st = path;
    if (st.size() > 4 && st.compare(st.size() - 4, 4, ".pth") == 0) st.resize(st.size() - 4);
    save_safetensors(st + ".safetensors", ck.model, {{"format", kFormat}, {"epoch", std::to_string(ck.epoch)}});
  }
  save_pth(path, root);
}

bool is_run_checkpoint(const std::string& path) {
  if (looks_like_safetensors(path)) return false;  // the .safetensors beside a checkpoint holds weights only
  auto root = load_pth(path);                      // throws naming the file when it is not a readable .pth
  auto fmt = root ? root->get("format") : nullptr;
  return fmt && fmt->kind == py::Kind::Str && fmt->s == kFormat;
}

TrainingCheckpoint load_checkpoint(const std::string& path) {
  auto root = load_pth(path);
  auto fmt = root->get("format");
  if (!fmt || fmt->kind != py::Kind::Str || fmt->s != kFormat)
    fail("checkpoint", std::string("an avtune training checkpoint (format '") + kFormat + "')",
         fmt ? "format " + (fmt->kind == py::Kind::Str ? "'" + fmt->s + "'" : fmt->type_name())
             : "a file without a 'format' entry (plain weights? use them as --init)",
         {path});
  TrainingCheckpoint ck;
  ck.model = tensors_of(root->get("model"));
  ck.optimizer = tensors_of(root->get("optimizer"));
  ck.scheduler_json = str_of(root->get("scheduler"), "scheduler", path);
  ck.config_json = str_of(root->get("config"), "config", path);
  ck.epoch = int_of(root->get("epoch"), "epoch", path);
  ck.step = int_of(root->get("step"), "step", path);
  if (auto rng = root->get("rng"); rng)
    if (auto cpu = rng->get("cpu"); cpu && cpu->kind == py::Kind::Tensor) ck.cpu_rng_state = cpu->tensor;
  return ck;
}

}  // namespace avtune
