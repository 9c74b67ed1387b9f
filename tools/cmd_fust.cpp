// avtune fust stage1|masks|stage2: two-stage Fusion Tuning (the paper's Fusion Tuning; docs/fusion_tuning.md, docs/fusion_tuning.md).
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <map>
#include <memory>

#include "avtune/data/dataset_spec.h"
#include "avtune/dist/dist_env.h"
#include "avtune/plot/run_figures.h"
#include "avtune/methods/fusion_masks.h"
#include "avtune/run/training_run.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/dir_lock.h"
#include "avtune/util/error.h"
#include "train_flags.h"

namespace avtune::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Stage 1's output files inside its directory.
constexpr const char* kConfidencesCsv = "confidences.csv";

std::string stage1_encoder(const std::string& dir, const std::string& modality) {
  const auto p = fs::path(dir) / modality / RunFiles::kLast;
  if (!fs::exists(p)) fail("fust", "a finished stage-1 " + modality + " run", "no " + p.string() + " (run `avtune fust stage1` first)");
  return p.string();
}

}  // namespace

void register_fust(CLI::App& app, GlobalOptions& g) {
  auto* fust = app.add_subcommand("fust", "Two-stage Fusion Tuning: stage1, masks, stage2 (see docs/fusion_tuning.md)");
  fust->require_subcommand(1);
  {
    auto* cmd = fust->add_subcommand(
        "stage1", "Fine-tune the audio and the visual model alone on the target set, recording each training sample's confidence");
    auto st = std::make_shared<TrainFlags>();
    add_train_flags(cmd, *st, ModelFlagSet::Stage1);
    cmd->callback([st, &g] {
      if (launch_workers_if_asked(*st, g)) return;
      apply_runtime(g);
      std::string out = st->engine.out_dir.empty() ? default_run_dir("fust") : st->engine.out_dir;
      // One stage 1 per directory (issue 17); each model's run below locks its own sub-folder too.
      std::unique_ptr<DirLock> lock;
      if (dist_env_from_environment().rank == 0) lock = std::make_unique<DirLock>(out);
      std::map<std::string, std::map<std::string, std::vector<float>>> conf;
      std::map<std::string, int64_t> labels;
      for (const std::string mod : {"audio", "visual"}) {
        json extra = {{"out_dir", (fs::path(out) / mod).string()},
                      {"record_confidences", true},
                      {"model", {{"modality", mod}, {"init", st->ov.collect().value("model", json::object())
                                                              .value(mod + "_init", std::string("random"))}}}};
        TrainConfig cfg = resolve_flags(*st, g, extra);
        if (!g.quiet) std::fprintf(stderr, "avtune: fust stage 1, %s model\n", mod.c_str());
        const auto res = run_training(cfg, g.quiet);
        if (secondary_rank()) continue;  // rank 0 writes (docs/distributed.md)
        finish_run(res, cfg.out_dir);
        conf[mod] = res.result.confidences;
        if (labels.empty()) {
          const auto ds = open_dataset(dataset_spec_from(cfg.data, parse_modality(mod)),
                                       cfg.data.value("train_split", std::string("train")), false);
          for (size_t i = 0; i < ds->size(); ++i) labels[ds->name_of(i)] = ds->label_of(i);
        }
      }
      if (secondary_rank()) return;
      const auto joined = join_confidences(conf["audio"], conf["visual"], labels);
      const auto path = (fs::path(out) / kConfidencesCsv).string();
      write_confidences_csv(path, joined);
      std::printf("stage 1: %zu training samples' mean confidences in %s\n", joined.size(), path.c_str());
    });
  }
  {
    auto* cmd = fust->add_subcommand("masks", "Per-sample masking ratios from stage-1 confidences (rule reference|symmetric, mean mode)");
    struct State {
      std::string stage1, confidences, out, rule = "symmetric";
      bool mean = false, mean_clamped = false;
      MaskRuleConfig rc;
    };
    auto st = std::make_shared<State>();
    cmd->add_option("--stage1", st->stage1, "stage-1 directory (reads its confidences.csv)");
    cmd->add_option("--confidences", st->confidences, "a confidences.csv (name,label,audio,visual) instead of --stage1");
    cmd->add_option("--out", st->out, "ratios CSV to write (default <stage1>/ratios-<rule>[-mean].csv)");
    cmd->add_option("--rule", st->rule, "reference (as released: never masks visual) | symmetric")
        ->capture_default_str()
        ->check(CLI::IsMember({"reference", "symmetric"}));
    cmd->add_flag("--mean", st->mean,
                  "mean mode, as the reference: every sample gets the mean of the raw ratios, masked only when positive");
    cmd->add_flag("--mean-of-clamped", st->mean_clamped,
                  "mean mode over the ratios clamped at 0 (avtune before issue 16; not the reference's rule)");
    cmd->add_option("--tau", st->rc.tau, "confidence a modality must reach for masking")->capture_default_str();
    cmd->add_option("--eta-audio", st->rc.eta_audio, "tanh slope, audio")->capture_default_str();
    cmd->add_option("--eta-visual", st->rc.eta_visual, "tanh slope, visual")->capture_default_str();
    cmd->add_option("--rho-audio", st->rc.rho_audio, "largest audio ratio")->capture_default_str();
    cmd->add_option("--rho-visual", st->rc.rho_visual, "largest visual ratio")->capture_default_str();
    cmd->callback([st, &g] {
      apply_runtime(g);
      if (st->stage1.empty() == st->confidences.empty()) fail("fust", "exactly one of --stage1 DIR and --confidences FILE", "none or both");
      const std::string src = st->confidences.empty() ? (fs::path(st->stage1) / kConfidencesCsv).string() : st->confidences;
      MaskRuleConfig rc = st->rc;
      rc.rule = parse_mask_rule(st->rule);
      if (st->mean_clamped) st->mean = true;
      rc.mean_mode = st->mean;
      rc.mean_of_clamped = st->mean_clamped;
      if (rc.rho_audio < 0 || rc.rho_audio >= 1 || rc.rho_visual < 0 || rc.rho_visual >= 1)
        fail("fust", "--rho-audio and --rho-visual in [0, 1)", std::to_string(rc.rho_audio) + ", " + std::to_string(rc.rho_visual));
      const auto conf = read_confidences_csv(src);
      const auto ratios = mask_ratios(rc, conf);
      std::string out = st->out;
      if (out.empty())
        out = (fs::path(src).parent_path() / ("ratios-" + st->rule + (st->mean_clamped ? "-mean-clamped" : st->mean ? "-mean" : "") + ".csv")).string();
      write_mask_ratios_csv(out, conf, ratios);
      const auto sum = summarize(ratios);
      json j = {{"rule", st->rule}, {"mean_mode", st->mean}, {"mean_of_clamped", st->mean_clamped}, {"tau", rc.tau}, {"eta_audio", rc.eta_audio},
                {"eta_visual", rc.eta_visual}, {"rho_audio", rc.rho_audio}, {"rho_visual", rc.rho_visual},
                {"samples", sum.samples}, {"audio_masked", sum.audio_masked}, {"visual_masked", sum.visual_masked},
                {"mean_ratio_audio", sum.mean_audio}, {"mean_ratio_visual", sum.mean_visual},
                {"max_ratio_audio", sum.max_audio}, {"max_ratio_visual", sum.max_visual}, {"confidences", src}};
      const auto summary_path = fs::path(out).replace_extension(".json").string();
      write_file_atomic(summary_path, j.dump(2) + "\n");
      const std::string mode = st->mean_clamped ? " (mean of clamped ratios)" : st->mean ? " (mean mode)" : "";
      const auto png = fs::path(out).replace_extension(".png").string();
      write_confidence_figure(png, conf, mask_classes(ratios), kMaskClassNames,
                              "Stage 1 confidences, " + st->rule + " rule" + mode);
      std::printf("%s rule%s: %s\nratios in %s, summary in %s, scatter in %s\n", st->rule.c_str(), mode.c_str(),
                  sum.text().c_str(), out.c_str(), summary_path.c_str(), png.c_str());
    });
  }
  {
    auto* cmd = fust->add_subcommand("stage2", "Train the audio-visual model from the stage-1 encoders with per-sample patch masking");
    auto st = std::make_shared<TrainFlags>();
    auto stage1 = std::make_shared<std::string>();
    auto masks = std::make_shared<std::string>();
    cmd->add_option("--stage1", *stage1, "stage-1 directory (its audio/ and visual/ runs initialise the encoders)")->required();
    cmd->add_option("--masks", *masks, "ratios CSV from `avtune fust masks` (omit: the joint baseline from the same encoders)");
    add_train_flags(cmd, *st, ModelFlagSet::NoInit);
    cmd->callback([st, stage1, masks, &g] {
      if (launch_workers_if_asked(*st, g)) return;
      apply_runtime(g);
      // Stage 1's data and architecture are the defaults: stage 2 trains on the same set.
      json saved = nullptr;
      const auto saved_path = fs::path(*stage1) / "audio" / RunFiles::kConfig;
      if (fs::exists(saved_path)) {
        std::ifstream in(saved_path);
        try {
          saved = json::parse(in);
        } catch (const json::exception& e) {
          fail("fust", "a stage-1 config.json", e.what(), {saved_path.string()});
        }
      }
      auto [data, model] = sections_over_saved(saved, *st);
      data["mask_file"] = *masks;
      model["modality"] = "av";
      model["audio_init"] = stage1_encoder(*stage1, "audio");
      model["visual_init"] = stage1_encoder(*stage1, "visual");
      json extra = {{"model", model}, {"data", data}};
      TrainConfig cfg = resolve_flags(*st, g, extra);
      if (cfg.out_dir.empty()) cfg.out_dir = default_run_dir("fust-stage2");
      const auto res = run_training(cfg, g.quiet);
      if (!secondary_rank()) finish_run(res, cfg.out_dir);
    });
  }
}

}  // namespace avtune::cli
