#include "avtune/methods/balance_umt.h"

#include <cmath>
#include <filesystem>

#include "avtune/data/sample.h"
#include "avtune/io/weights_file.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {

const char* article(const std::string& modality) { return modality == "audio" ? "an " : "a "; }

// The encoder keys of `path` (under "<modality>_net.", else bare); throws naming `flag` and the file
// when it is missing or holds no encoder of `modality`.
StateDict teacher_state(const std::string& path, const std::string& modality, const std::string& flag) {
  const std::string prefix = modality + "_net.";
  if (!std::filesystem::is_regular_file(path)) fail("umt", flag + ": an existing weight file", "'" + path + "'");
  StateDict sd = load_weights(path);
  bool prefixed = false;
  for (const auto& k : sd.keys()) prefixed = prefixed || k.rfind(prefix, 0) == 0;
  if (prefixed) return select_prefix(sd, prefix);
  if (!sd.contains("conv1.weight"))
    fail("umt", flag + ": " + article(modality) + modality + " encoder (" + prefix + "* keys, as a `train --modality " +
                    modality + "` or fust stage 1 checkpoint holds, or a bare encoder)",
         "none", {path});
  return sd;
}

// The teacher's encoder keys, with ABRi twins when the file has them, into `enc`, a fresh encoder
// built like the student's.
void load_teacher_encoder(ResNetEncoder& enc, const std::string& path, const ResNetEncoder& student,
                          const std::string& modality, const std::string& flag) {
  const StateDict sd = teacher_state(path, modality, flag);
  // The teacher's own BN layout: ABRi twins when its run had them (mode from the stem's mixing weights).
  if (const torch::Tensor* w = sd.find("fusion_weight"))
    enc->enable_abri(AbriConfig{w->numel() == 1 ? AbriMode::Batch : AbriMode::Channel});
  LoadOptions o;
  o.strict = false;
  const LoadReport rep = load_state_dict(*enc, sd, o);
  if (!rep.clean())
    fail("umt", flag + ": " + article(modality) + modality + " encoder shaped as the student's (" + student->config().describe() + ")",
         rep.summary(), {path});
}

template <typename C>
void freeze(C& teacher) {
  for (auto& p : teacher->parameters()) p.requires_grad_(false);
  teacher->eval();
}

template <typename C>
void to_device(C& teacher, const c10::Device& device) {
  if (teacher->parameters().front().device() != device) teacher->to(device);
}

}  // namespace

torch::Tensor umt_distillation(const torch::Tensor& student, const torch::Tensor& teacher) {
  if (student.sizes() != teacher.sizes())
    fail("umt", "teacher features shaped as the student's " + std::to_string(student.size(-1)) + "-wide ones",
         std::to_string(teacher.size(-1)) + " wide");
  return torch::mse_loss(student.to(torch::kFloat), teacher.detach().to(torch::kFloat));
}

void check_umt_teacher_file(const std::string& path, const std::string& modality, const std::string& flag) {
  teacher_state(path, modality, flag);
}

AudioClassifier load_umt_audio_teacher(const std::string& path, const ResNetEncoder& student, const std::string& flag) {
  AudioClassifier t(student->config(), 1);
  load_teacher_encoder(t->audio_net, path, student, "audio", flag);
  freeze(t);
  return t;
}

VisualClassifier load_umt_visual_teacher(const std::string& path, const ResNetEncoder& student, const std::string& flag) {
  VisualClassifier t(student->config(), 1);
  load_teacher_encoder(t->visual_net, path, student, "visual", flag);
  freeze(t);
  return t;
}

UmtAdapter::UmtAdapter(std::unique_ptr<ModelAdapter> inner, AVClassifier model, const UmtSettings& s)
    : inner_(std::move(inner)), model_(std::move(model)), s_(s) {
  if (!std::isfinite(s_.weight) || s_.weight < 0)
    fail("balance", "umt: --umt-weight a finite number >= 0", std::to_string(s_.weight));
  if (s_.audio_teacher.empty() && s_.visual_teacher.empty())
    fail("balance", "umt: a teacher (--umt-audio-teacher PATH and/or --umt-visual-teacher PATH)", "none");
  if (!s_.audio_teacher.empty())
    audio_teacher_ = load_umt_audio_teacher(s_.audio_teacher, model_->audio_net, "--umt-audio-teacher");
  if (!s_.visual_teacher.empty())
    visual_teacher_ = load_umt_visual_teacher(s_.visual_teacher, model_->visual_net, "--umt-visual-teacher");
  const auto kind = model_->fusion_module->kind();
  parts_ = kind == FusionKind::Concat || kind == FusionKind::Sum;
}

void UmtAdapter::set_training(bool on) {
  inner_->set_training(on);
  if (audio_teacher_) audio_teacher_->eval();  // frozen: running statistics stay the teacher's
  if (visual_teacher_) visual_teacher_->eval();
}

void UmtAdapter::begin_epoch(int64_t epoch) {
  (void)epoch;
  steps_ = seen_ = correct_a_ = correct_v_ = 0;
  sum_da_ = sum_dv_ = 0;
}

ModelOutput UmtAdapter::forward(const Batch& batch) {
  ModelOutput out = inner_->forward(batch);
  if (!model_->is_training()) return out;
  auto feature = [&](const std::string& m) -> const torch::Tensor& {
    auto it = out.features.find(m);
    if (it == out.features.end() || !it->second.defined())
      fail("umt", "the model's pooled " + m + " features in its training forward", "none");
    return it->second;
  };
  torch::Tensor term;
  auto add = [&](const torch::Tensor& d, double& sum) {
    sum += d.item<double>();
    term = term.defined() ? term + d : d;
  };
  if (audio_teacher_) {
    torch::Tensor t;
    {
      torch::NoGradGuard ng;
      to_device(audio_teacher_, batch.audio.device());
      t = audio_teacher_->features(batch.audio);
    }
    add(umt_distillation(feature("audio"), t), sum_da_);
  }
  if (visual_teacher_) {
    torch::Tensor t;
    {
      torch::NoGradGuard ng;
      to_device(visual_teacher_, batch.visual.device());
      t = visual_teacher_->features(batch.visual, ClipLayout::BCTHW);
    }
    add(umt_distillation(feature("visual"), t), sum_dv_);
  }
  // weight 0 adds nothing, so the step is plain joint training (the distances are still logged).
  if (s_.weight > 0) out.aux_loss = term * s_.weight;
  ++steps_;
  const auto& labels = batch.labels;
  seen_ += labels.size(0);
  if (parts_) {
    torch::NoGradGuard ng;
    auto parts = model_->fusion_module->parts(feature("audio").detach().to(torch::kFloat),
                                              feature("visual").detach().to(torch::kFloat));
    correct_a_ += parts.at("audio").argmax(1).eq(labels).sum().item<int64_t>();
    correct_v_ += parts.at("visual").argmax(1).eq(labels).sum().item<int64_t>();
  }
  return out;
}

nlohmann::json UmtAdapter::end_epoch() {
  const double n = steps_ ? static_cast<double>(steps_) : 1;
  const double m = seen_ ? static_cast<double>(seen_) : 1;
  using nlohmann::json;
  json j = {{"method", "umt"},
            {"weight", s_.weight},
            {"distill_audio", audio_teacher_ ? json(sum_da_ / n) : json(nullptr)},
            {"distill_visual", visual_teacher_ ? json(sum_dv_ / n) : json(nullptr)},
            {"steps", steps_}};
  if (parts_) {
    j["train_audio_acc"] = static_cast<double>(correct_a_) / m;
    j["train_visual_acc"] = static_cast<double>(correct_v_) / m;
  }
  return j;
}

}  // namespace avtune
