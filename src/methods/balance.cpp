#include "avtune/methods/balance.h"

#include <filesystem>
#include <utility>

#include "avtune/dist/process_group.h"
#include "avtune/methods/balance_ogm.h"
#include "avtune/methods/balance_opm.h"
#include "avtune/methods/balance_umt.h"
#include "avtune/util/error.h"

namespace avtune {

BalanceProblem balance_settings_problem(const TrainConfig& cfg, bool av_model) {
  const std::string& m = cfg.balance;
  const bool umt = m == "umt";
  if (!umt && !cfg.umt_audio_teacher.empty())
    return {"--umt-audio-teacher", "a teacher only with --balance umt", "balance '" + m + "'"};
  if (!umt && !cfg.umt_visual_teacher.empty())
    return {"--umt-visual-teacher", "a teacher only with --balance umt", "balance '" + m + "'"};
  if (m == "none" || m.empty()) return {};
  if (m != "ogm" && m != "ogm-ge" && m != "opm" && !umt) return {"--balance", "none|ogm|ogm-ge|opm|umt", "'" + m + "'"};
  if (!av_model) return {"--balance", m + " on an audio-visual model (--modality av)", "another modality"};
  if (umt) {
    if (cfg.umt_audio_teacher.empty() && cfg.umt_visual_teacher.empty())
      return {"--balance", "umt with a teacher (--umt-audio-teacher PATH and/or --umt-visual-teacher PATH)", "none"};
    for (const auto& [flag, path] : {std::pair<std::string, std::string>{"--umt-audio-teacher", cfg.umt_audio_teacher},
                                     {"--umt-visual-teacher", cfg.umt_visual_teacher}})
      if (!path.empty() && !std::filesystem::is_regular_file(path)) return {flag, "an existing weight file", "'" + path + "'"};
  }
  return {};
}

void check_balance_settings(const TrainConfig& cfg, bool av_model) {
  const BalanceProblem p = balance_settings_problem(cfg, av_model);
  if (!p.flag.empty()) fail("balance", p.flag + ": " + p.expected, p.got);
  if (cfg.balance == "none" || cfg.balance.empty()) return;
  if (current_dist_group()) fail("balance", cfg.balance + ": a single-process run", "a data-parallel one (not supported yet)");
  if (cfg.balance != "umt") return;
  if (!cfg.umt_audio_teacher.empty()) check_umt_teacher_file(cfg.umt_audio_teacher, "audio", "--umt-audio-teacher");
  if (!cfg.umt_visual_teacher.empty()) check_umt_teacher_file(cfg.umt_visual_teacher, "visual", "--umt-visual-teacher");
}

Balance make_balance(const TrainConfig& cfg, const std::shared_ptr<torch::nn::Module>& net,
                     std::unique_ptr<ModelAdapter> adapter) {
  Balance b;
  const std::string& m = cfg.balance;
  if (m != "umt" && !(cfg.umt_audio_teacher.empty() && cfg.umt_visual_teacher.empty()))
    fail("balance", "UMT's teachers (--umt-audio-teacher/--umt-visual-teacher) only with --balance umt", "balance '" + m + "'");
  if (m == "none" || m.empty()) {
    b.adapter = std::move(adapter);
    return b;
  }
  if (m != "ogm" && m != "ogm-ge" && m != "opm" && m != "umt") fail("balance", "balance none|ogm|ogm-ge|opm|umt", "'" + m + "'");
  auto av = std::dynamic_pointer_cast<AVClassifierImpl>(net);
  if (!av || !adapter || adapter->kind() != "av")
    fail("balance", m + ": an audio-visual model (--modality av)", adapter ? adapter->kind() : "none");
  if (current_dist_group()) fail("balance", m + ": a single-process run", "a data-parallel one (not supported yet)");
  if (m == "umt") {
    UmtSettings s;
    s.audio_teacher = cfg.umt_audio_teacher;
    s.visual_teacher = cfg.umt_visual_teacher;
    s.weight = cfg.umt_weight;
    auto umt = std::make_unique<UmtAdapter>(std::move(adapter), AVClassifier(av), s);
    b.hook = umt.get();
    b.adapter = std::move(umt);
    return b;
  }
  if (m == "opm") {
    OpmSettings s;
    s.alpha = cfg.balance_alpha;
    s.q_base = cfg.opm_q_base;
    s.p_exe = cfg.opm_p_exe;
    s.start = cfg.balance_start;
    s.end = cfg.balance_end;
    s.seed = cfg.seed;
    auto opm = std::make_unique<OpmAdapter>(AVClassifier(av), s);
    b.hook = opm.get();
    b.adapter = std::move(opm);
    return b;
  }
  OgmSettings s;
  s.alpha = cfg.balance_alpha;
  s.start = cfg.balance_start;
  s.end = cfg.balance_end;
  s.noise = m == "ogm-ge";
  s.centered = cfg.balance_centered;
  s.seed = cfg.seed;
  b.owned = std::make_unique<OgmHook>(AVClassifier(av), s);
  b.hook = b.owned.get();
  b.adapter = std::move(adapter);
  return b;
}

}  // namespace avtune
