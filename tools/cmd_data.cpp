// avtune data check [ROOT] [data flags]: a data set validated before training (docs/datasets.md).
#include <cstdio>
#include <memory>

#include "avtune/data/data_check.h"
#include "avtune/run/training_run.h"
#include "avtune/util/atomic_file.h"
#include "train_flags.h"

namespace avtune::cli {

using nlohmann::json;

void register_data(CLI::App& app, GlobalOptions& g) {
  auto* data = app.add_subcommand("data", "Data set tools: `data check`");
  data->require_subcommand(1);
  auto* cmd = data->add_subcommand(
      "check",
      "Validate a data set: missing/unreadable files, silent or short audio, frames per clip, labels, class balance, "
      "duplicate names across splits (exit 1 on errors)");
  struct State {
    Overrides ov;
    DataFlags data;
    std::string root, modality = "av", csv_out;
    std::vector<std::string> splits;
    bool quick = false;
    size_t max_clips = 0;
  };
  auto st = std::make_shared<State>();
  cmd->add_option("ROOT", st->root, "data set root (or --data)");
  add_data_flags(cmd, st->ov, st->data, /*train_split=*/true, /*masks=*/false);
  cmd->add_option("--modality", st->modality, "what the model will read: audio|visual|av")
      ->capture_default_str()
      ->check(CLI::IsMember({"audio", "visual", "av"}));
  cmd->add_option("--split", st->splits, "splits to check (default: --train-split and --eval-split)");
  cmd->add_option("--csv", st->csv_out, "write one row per clip (split,name,label,class,audio_s,frames,errors,warnings)");
  cmd->add_flag("--quick", st->quick, "existence and frame counts only, no decoding");
  cmd->add_option("--max-clips", st->max_clips, "check only the first N clips of each split (0 = all)")->capture_default_str();
  cmd->callback([st, &g] {
    apply_runtime(g);
    json d = st->ov.collect().value("data", json::object());
    if (!st->root.empty()) d["root"] = st->root;
    d = resolved_data(d);
    Modality m = parse_modality(st->modality);
    if (d.value("format", std::string()) == "esc50") m = Modality::Audio;
    std::vector<std::string> splits = st->splits;
    if (splits.empty()) {
      splits.push_back(d.value("train_split", std::string("train")));
      const std::string ev = d.value("eval_split", std::string());
      if (!ev.empty() && ev != "none" && ev != splits.front()) splits.push_back(ev);
    }
    DataCheckOptions o;
    o.decode = !st->quick;
    o.max_clips = st->max_clips;
    const auto rep = check_dataset(dataset_spec_from(d, m), splits, o);
    std::printf("%s", rep.summary().c_str());
    if (!st->csv_out.empty()) write_file_atomic(st->csv_out, rep.csv());
    if (rep.errors() > 0) throw PartialFailure(1, std::to_string(rep.errors()) + " error(s) in the data set (listed above)");
  });
}

}  // namespace avtune::cli
