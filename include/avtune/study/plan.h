#pragma once
// The study's plan: every hyper-parameter, seed and compared arm of `avtune reproduce` in one typed,
// serialisable value (printed by `reproduce --plan`, recorded as results.json's "plan"). The values
// and the reasons behind them are documented in docs/reproduce.md.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "avtune/data/embedded_data.h"
#include "avtune/methods/fusion_masks.h"

namespace avtune {

// Seed bases: run `s` of a stage uses base + s, so runs of different stages never share a seed.
struct StudySeeds {
  uint64_t pretrain_visual = 1, pretrain_audio = 2;
  uint64_t cross_modal = 100, joint = 200, joint_probe = 300;
  uint64_t fust_stage1 = 400, fust_stage2 = 500, fust_probe = 600;
};

// One arm of the cross-modal experiment (Fig. 1a): keys set on top of the run's model section.
struct CrossModalVariant {
  std::string name;
  nlohmann::json model = nlohmann::json::object();
};

// A transfer direction: the target encoder (`modality`) starts from the `source` model ("visual" or
// "audio"), its conv1 adapted by `conv1` (the paper's cross-modal initialisation: summed 3->1, replicated 1->3).
struct CrossModalDirection {
  std::string key, modality, source, conv1, title, prefix;
};

// The joint experiment's audio-encoder initialisations (Fig. 1b): "random" or a source model.
struct JointInit {
  std::string name, source, conv1;  // source: random|visual|audio; conv1: "" = the encoder's default
};

// An arm of Fusion Tuning's stage 2, every one from both stage-1 encoders: no masks (the baseline), masks
// from `rule` written to `file`, or a modality-balancing method (docs/balancing.md) named by `train`.
struct FusionArm {
  std::string name, file;
  bool masked = false;
  MaskRuleConfig rule;
  std::string key;  // run folders fust/stage2-<key>-seed<k> ("0".."3" for the first four: their folders before issue 19)
  // Engine keys set on the stage-2 run (train/train_config.h): {"balance": "ogm-ge", "balance_alpha": 0.1}, ...
  // UMT's teachers, when not given, are stage 1's last.pth (the encoders the arm starts from).
  nlohmann::json train = nlohmann::json::object();
};

struct StudyPlan {
  bool quick = false;
  int seeds = 3;        // seeds of every compared fine-tuning run
  int cross_seeds = 5;  // seeds of the cross-modal runs (their arms differ least)
  // Seeds where the doubt is (study/adaptive_seeds.h): arms of a comparison whose 95% interval contains
  // zero and reaches beyond +-min_effect get seeds added, up to max_seeds per arm.
  int max_seeds = 7;
  double min_effect = 0.02;
  EmbeddedDataOptions data;  // sizes of the embedded data (built when missing)
  double width = 0.25;       // ResNet-18 width of every model
  int64_t batch = 32;
  int64_t audio_frames = 200, mel_bins = 40, image_size = 32;  // 200 frames hold the longest (2 s) clips
  double momentum = 0.9;
  // Source pre-training in the dead-channel regime (the paper's dead-channel analysis): SGD at a high constant rate and weight
  // decay on *every* parameter, BN included. Audio learns the spoken words only at the lower rate.
  int64_t pre_visual_epochs = 5, pre_audio_epochs = 30, pre_batch = 32;
  double pre_lr = 0.1, pre_audio_lr = 0.03, pre_visual_wd = 5e-3, pre_audio_wd = 1e-2;
  // Fine-tuning (cosine schedule, BN excluded from decay).
  int64_t ft_epochs = 5, joint_epochs = 5, probe_epochs = 1, s1_epochs = 5, s2_epochs = 5;
  double ft_lr = 0.05, ft_wd = 1e-4, probe_lr = 0.05, probe_wd = 0;
  // |gamma| and |beta| threshold this short pre-training reaches (the paper's 1e-10 needs far longer).
  double abnormal = 1e-2;
  std::vector<double> diag_thresholds = {2e-5, 1e-2};  // the diagnosis' thresholds (the last is `abnormal`)
  int64_t diag_max_samples = 512, diag_batch = 64;     // activation view on the target's test split
  StudySeeds seed;
  std::vector<CrossModalDirection> directions;
  std::vector<CrossModalVariant> variants;
  std::vector<JointInit> joint_inits;
  std::vector<FusionArm> arms;
};

// Today's plan: the reported sizes, or with `quick` the smoke-test ones (tiny data, 1-2 epochs).
StudyPlan make_plan(bool quick);
// `seeds` per compared run; `cross_seeds` for the cross-modal runs (0 = seeds + 2, seeds when quick);
// `max_seeds` caps the seeds added where the doubt is (0 = the larger of the two + 2, + 1 when quick;
// a cap at or below the planned seeds adds none).
void set_seeds(StudyPlan& p, int seeds, int cross_seeds, int max_seeds = 0);

// JSON with every field; the keys of the earlier flat "plan" (width, finetune_lr, ...) keep their names.
nlohmann::json to_json(const StudyPlan& p);
// The inverse of to_json. Absent keys keep make_plan(false)'s value; unknown keys and wrong types
// throw avtune::Error naming the key.
StudyPlan plan_from_json(const nlohmann::json& j);

}  // namespace avtune
