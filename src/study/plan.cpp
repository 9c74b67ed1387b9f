#include "avtune/study/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "avtune/util/error.h"
#include "avtune/util/json_excerpt.h"

namespace avtune {

using nlohmann::json;

namespace {

// Each struct's fields are listed once, in a visit function; to_json and plan_from_json both walk it,
// so the JSON keys cannot drift between the two directions.
template <class F>
void visit(EmbeddedDataOptions& d, F&& f) {
  f("seed", d.seed);
  f("av_train", d.av_train);
  f("av_val", d.av_val);
  f("av_test", d.av_test);
  f("image_size", d.image_size);
  f("frames", d.frames);
  f("clip_min_s", d.clip_min_s);
  f("clip_max_s", d.clip_max_s);
  f("snr_min_db", d.snr_min_db);
  f("snr_max_db", d.snr_max_db);
  f("audio_uninformative", d.audio_uninformative);
  f("visual_uninformative", d.visual_uninformative);
  f("source_train", d.source_train);
  f("source_test", d.source_test);
  f("words", d.words);
  f("word_train", d.word_train);
  f("word_test", d.word_test);
}
template <class F>
void visit(StudySeeds& s, F&& f) {
  f("pretrain_visual", s.pretrain_visual);
  f("pretrain_audio", s.pretrain_audio);
  f("cross_modal", s.cross_modal);
  f("joint", s.joint);
  f("joint_probe", s.joint_probe);
  f("fust_stage1", s.fust_stage1);
  f("fust_stage2", s.fust_stage2);
  f("fust_probe", s.fust_probe);
}
template <class F>
void visit(CrossModalVariant& v, F&& f) {
  f("name", v.name);
  f("model", v.model);
}
template <class F>
void visit(CrossModalDirection& d, F&& f) {
  f("key", d.key);
  f("modality", d.modality);
  f("source", d.source);
  f("conv1", d.conv1);
  f("title", d.title);
  f("prefix", d.prefix);
}
template <class F>
void visit(JointInit& i, F&& f) {
  f("name", i.name);
  f("source", i.source);
  f("conv1", i.conv1);
}
template <class F>
void visit(MaskRuleConfig& r, F&& f) {
  f("rule", r.rule);
  f("mean_mode", r.mean_mode);
  f("mean_of_clamped", r.mean_of_clamped);
  f("tau", r.tau);
  f("eta_audio", r.eta_audio);
  f("eta_visual", r.eta_visual);
  f("rho_audio", r.rho_audio);
  f("rho_visual", r.rho_visual);
}
template <class F>
void visit(FusionArm& a, F&& f) {
  f("name", a.name);
  f("file", a.file);
  f("masked", a.masked);
  f("rule", a.rule);
  f("key", a.key);
  f("train", a.train);
}
template <class F>
void visit(StudyPlan& p, F&& f) {
  f("quick", p.quick);
  f("seeds", p.seeds);
  f("cross_seeds", p.cross_seeds);
  f("max_seeds", p.max_seeds);
  f("min_effect", p.min_effect);
  f("data", p.data);
  f("width", p.width);
  f("batch", p.batch);
  f("audio_frames", p.audio_frames);
  f("mel_bins", p.mel_bins);
  f("image_size", p.image_size);
  f("momentum", p.momentum);
  f("pre_visual_epochs", p.pre_visual_epochs);
  f("pre_audio_epochs", p.pre_audio_epochs);
  f("pre_batch", p.pre_batch);
  f("pre_lr", p.pre_lr);
  f("pre_audio_lr", p.pre_audio_lr);
  f("pre_visual_weight_decay", p.pre_visual_wd);
  f("pre_audio_weight_decay", p.pre_audio_wd);
  f("finetune_epochs", p.ft_epochs);
  f("joint_epochs", p.joint_epochs);
  f("probe_epochs", p.probe_epochs);
  f("stage1_epochs", p.s1_epochs);
  f("stage2_epochs", p.s2_epochs);
  f("finetune_lr", p.ft_lr);
  f("finetune_weight_decay", p.ft_wd);
  f("probe_lr", p.probe_lr);
  f("probe_weight_decay", p.probe_wd);
  f("abnormal_threshold", p.abnormal);
  f("diagnosis_thresholds", p.diag_thresholds);
  f("diagnosis_max_samples", p.diag_max_samples);
  f("diagnosis_batch", p.diag_batch);
  f("seed_bases", p.seed);
  f("cross_modal_directions", p.directions);
  f("cross_modal_variants", p.variants);
  f("joint_audio_inits", p.joint_inits);
  f("fust_arms", p.arms);
}

// ---- writing
json enc(const json& v) { return v; }
json enc(const std::string& v) { return v; }
json enc(bool v) { return v; }
json enc(int v) { return v; }
json enc(int64_t v) { return v; }
json enc(uint64_t v) { return v; }
json enc(double v) { return v; }
json enc(MaskRule v) { return to_string(v); }
json enc(const std::vector<double>& v) { return v; }
template <class T>
json enc(const T& v);
template <class T>
json enc(const std::vector<T>& v) {
  json a = json::array();
  for (const auto& x : v) a.push_back(enc(x));
  return a;
}
template <class T>
json enc(const T& v) {
  json j = json::object();
  T copy = v;
  visit(copy, [&](const char* key, const auto& field) { j[key] = enc(field); });
  return j;
}

// ---- reading
[[noreturn]] void bad(const std::string& key, const std::string& expected, const json& got) {
  fail("plan", fmt::format("\"{}\" as {}", key, expected), json_excerpt(got));
}
void dec(const json& j, const std::string& key, json& v) { v = j; }
void dec(const json& j, const std::string& key, std::string& v) {
  if (!j.is_string()) bad(key, "a string", j);
  v = j.get<std::string>();
}
void dec(const json& j, const std::string& key, bool& v) {
  if (!j.is_boolean()) bad(key, "true or false", j);
  v = j.get<bool>();
}
template <class I>
void dec_int(const json& j, const std::string& key, I& v) {
  if (!j.is_number_integer()) bad(key, "an integer", j);
  v = j.get<I>();
}
void dec(const json& j, const std::string& key, int& v) { dec_int(j, key, v); }
void dec(const json& j, const std::string& key, int64_t& v) { dec_int(j, key, v); }
void dec(const json& j, const std::string& key, uint64_t& v) {
  if (!j.is_number_unsigned()) bad(key, "a non-negative integer", j);
  v = j.get<uint64_t>();
}
void dec(const json& j, const std::string& key, double& v) {
  if (!j.is_number()) bad(key, "a number", j);
  v = j.get<double>();
}
void dec(const json& j, const std::string& key, MaskRule& v) {
  if (!j.is_string()) bad(key, "reference|symmetric", j);
  v = parse_mask_rule(j.get<std::string>());
}
void dec(const json& j, const std::string& key, std::vector<double>& v) {
  if (!j.is_array()) bad(key, "an array of numbers", j);
  v.clear();
  for (const auto& x : j) {
    double d = 0;
    dec(x, key, d);
    v.push_back(d);
  }
}
template <class T>
void dec(const json& j, const std::string& key, T& v);
template <class T>
void dec(const json& j, const std::string& key, std::vector<T>& v) {
  if (!j.is_array()) bad(key, "an array", j);
  v.clear();
  for (size_t i = 0; i < j.size(); ++i) {
    T x;
    dec(j[i], fmt::format("{}[{}]", key, i), x);
    v.push_back(std::move(x));
  }
}
template <class T>
void dec(const json& j, const std::string& key, T& v) {
  if (!j.is_object()) bad(key, "an object", j);
  std::set<std::string> known;
  visit(v, [&](const char* k, auto& field) {
    known.insert(k);
    if (j.contains(k)) dec(j.at(k), key.empty() ? std::string(k) : key + "." + k, field);
  });
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key()))
      fail("plan", "a key of the study plan (docs/reproduce.md)", "\"" + (key.empty() ? "" : key + ".") + it.key() + "\"");
}

}  // namespace

StudyPlan make_plan(bool quick) {
  StudyPlan p;
  p.quick = quick;
  if (quick) {
    p.data = EmbeddedDataOptions::quick();
    p.pre_visual_epochs = 1;
    p.pre_audio_epochs = 2;
    p.ft_epochs = p.joint_epochs = p.s1_epochs = p.s2_epochs = 2;
    p.probe_epochs = 1;
    p.audio_frames = 128;
  }
  p.diag_thresholds = {2e-5, p.abnormal};
  p.directions = {
      {"audio_from_visual", "audio", "visual", "sum", "audio encoder from the visual source model", "audio_net."},
      {"visual_from_audio", "visual", "audio", "replicate", "visual encoder from the audio source model", "visual_net."},
  };
  p.variants = {
      {"random", {{"init", "random"}}},
      {"pre-trained", json::object()},
      {"pre-trained + ABRi (per layer)", {{"abri", "batch"}}},
      {"pre-trained + ABRi (per channel)", {{"abri", "channel"}}},
      {"pre-trained, all BN reset", {{"bn_reset", "all"}}},
      {"pre-trained, abnormal BN reset", {{"bn_reset", "abnormal"}, {"bn_reset_threshold", p.abnormal}}},
  };
  p.joint_inits = {
      {"random", "random", ""},
      {"other-modality pre-trained (visual source)", "visual", "sum"},
      {"same-modality pre-trained (audio source)", "audio", ""},
  };
  MaskRuleConfig ref, sym, mean;
  ref.rule = MaskRule::Reference;
  sym.rule = MaskRule::Symmetric;
  // The paper's mean mode is the reference rule's (docs/fusion_tuning.md): every sample gets the mean
  // of the raw ratios, and nothing is masked when that mean is not positive.
  mean = ref;
  mean.mean_mode = true;
  p.arms = {{"joint baseline (no masks)", "", false, {}, "0"},
            {"FusT, reference rule", "ratios-reference.csv", true, ref, "1"},
            {"FusT, symmetric rule", "ratios-symmetric.csv", true, sym, "2"},
            {"FusT, mean mode", "ratios-reference-mean.csv", true, mean, "3"}};
  // The field's modality-balancing baselines (issue 19, docs/balancing.md) at their documented defaults,
  // from the same stage-1 encoders as every arm above; UMT distils toward those same encoders.
  p.arms.push_back({"OGM-GE", "", false, {}, "ogm-ge", {{"balance", "ogm-ge"}, {"balance_alpha", 0.1}}});
  p.arms.push_back({"OPM", "", false, {}, "opm",
                    {{"balance", "opm"}, {"balance_alpha", 0.1}, {"opm_q_base", 0.5}, {"opm_p_exe", 0.7}}});
  p.arms.push_back({"UMT (stage-1 teachers)", "", false, {}, "umt", {{"balance", "umt"}, {"umt_weight", 1.0}}});
  set_seeds(p, 3, 0);
  return p;
}

void set_seeds(StudyPlan& p, int seeds, int cross_seeds, int max_seeds) {
  if (seeds < 1) fail("reproduce", "--seeds >= 1", std::to_string(seeds));
  if (cross_seeds < 0) fail("reproduce", "--cross-seeds >= 0", std::to_string(cross_seeds));
  if (max_seeds < 0) fail("reproduce", "--max-seeds >= 0", std::to_string(max_seeds));
  p.seeds = seeds;
  p.cross_seeds = cross_seeds > 0 ? cross_seeds : p.quick ? seeds : seeds + 2;
  // The default keeps the default study within 20 minutes on a 2-core machine (docs/reproduce.md, "Seeds").
  p.max_seeds = max_seeds > 0 ? max_seeds : std::max(p.seeds, p.cross_seeds) + (p.quick ? 1 : 2);
}

json to_json(const StudyPlan& p) { return enc(p); }

StudyPlan plan_from_json(const json& j) {
  StudyPlan p = make_plan(false);
  dec(j, "", p);
  return p;
}

}  // namespace avtune
