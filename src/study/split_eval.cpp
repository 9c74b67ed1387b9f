#include "avtune/study/split_eval.h"

#include <filesystem>
#include <fstream>

#include "avtune/data/loader.h"
#include "avtune/io/checkpoint.h"
#include "avtune/run/training_run.h"
#include "avtune/train/trainer.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "avtune/util/runtime.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
// What identifies the checkpoint an evaluation was made of.
json checkpoint_stamp(const fs::path& ckpt) {
  return {{"bytes", fs::file_size(ckpt)}, {"mtime", fs::last_write_time(ckpt).time_since_epoch().count()}};
}
}  // namespace

double run_split_top1(const TrainConfig& run, const std::string& split) {
  const fs::path dir(run.out_dir), ckpt = dir / RunFiles::kLast, cache = dir / ("eval-" + split + ".json");
  if (!fs::exists(ckpt)) fail("sweep", "a finished run with " + ckpt.string(), "none");
  const json stamp = checkpoint_stamp(ckpt);
  if (fs::exists(cache)) {
    std::ifstream in(cache);
    const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("checkpoint", json()) == stamp && j.contains("top1") && j["top1"].is_number())
      return j["top1"].get<double>();
  }
  const json model = resolved_model(run.model);
  const Modality modality = run_modality(model);
  auto ds = open_dataset(dataset_spec_from(resolved_data(run.data), modality), split, /*train=*/false);
  auto net = build_run_model(model, modality, static_cast<int64_t>(ds->class_names().size()), /*fresh=*/false);
  (void)load_state_dict(*net, load_checkpoint(ckpt.string()).model);  // strict: the run's own model
  auto adapter = run_adapter(net, model);
  const c10::Device device = resolve_device(run.device);
  adapter->module().to(device);
  DataLoader loader(ds, loader_options(run, false));
  const auto m = evaluate(*adapter, loader, device, false);
  json out = m.to_json();
  out["split"] = split;
  out["checkpoint"] = stamp;
  write_file_atomic(cache.string(), out.dump(2) + "\n");
  return m.top1;
}

}  // namespace avtune
