#include "avtune/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "avtune/dist/data_parallel.h"
#include "avtune/io/checkpoint.h"
#include "avtune/models/batch_norm_sync.h"
#include "avtune/train/lr_schedule.h"
#include "avtune/train/precision.h"
#include "avtune/train/shard_metrics.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/dir_lock.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"
#include "avtune/util/runtime.h"
#include "avtune/util/tensor_text.h"
#include "run_files.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace trainer_detail;  // the run directory's files (run_files.h)

// ---- evaluation -----------------------------------------------------------------------------

ClassificationMetrics evaluate(ModelAdapter& model, DataLoader& loader, const c10::Device& device, bool progress,
                               const std::string& precision) {
  const Precision prec = parse_precision(precision);
  check_precision_supported(prec, device);
  model.set_training(false);
  torch::NoGradGuard no_grad;
  MetricsAccumulator acc;
  auto group = loader.options().world_size > 1 ? current_dist_group() : nullptr;
  ShardOutputs shard;
  loader.start_epoch(0);
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>("eval", static_cast<long>(loader.batches_per_epoch()));
  long done = 0;
  while (auto b = loader.next()) {
    auto batch = batch_to(*b, device);
    ModelOutput out;
    {
      AutocastGuard autocast(prec, device);
      out = model.forward(batch);
    }
    out.logits = out.logits.to(torch::kFloat);  // metrics in fp32 whatever the autocast dtype
    for (auto& [name, t] : out.parts) t = t.to(torch::kFloat);
    if (group) shard.add(out.logits, batch.labels, out.parts, batch.indices);
    else acc.add(out.logits, batch.labels, out.parts);
    if (bar) bar->update(++done);
  }
  if (bar) bar->finish();
  if (progress && !loader.skipped().empty()) std::fprintf(stderr, "%s\n", loader.skipped_report().c_str());
  return group ? gather_metrics(*group, shard) : acc.compute();
}

// ---- the loop -------------------------------------------------------------------------------

TrainResult fit(ModelAdapter& model, DataLoader& train, DataLoader* eval, const TrainConfig& cfg_in, const BatchHook& hook,
                StepHook* step_hook) {
  const c10::Device device = resolve_device(cfg_in.device);
  // Data parallel when this process joined a group (dist/process_group.h); rank 0 alone writes.
  const auto group = current_dist_group();
  const bool main = !group || group->is_main();
  TrainConfig cfg = cfg_in;
  cfg.world_size = group ? group->world_size() : 1;
  if (!main) cfg.progress = false;
  const bool files = !cfg.out_dir.empty();
  const bool writes = files && main;
  const fs::path dir(cfg.out_dir);
  const std::string last_path = (dir / RunFiles::kLast).string(), best_path = (dir / RunFiles::kBest).string();
  if (cfg.resume && !files) fail("trainer", "an output directory to resume from", "none (set out_dir / --out)");

  model.module().to(device);
  const int64_t steps_per_epoch = train.batches_per_epoch();
  if (steps_per_epoch < 1) fail("trainer", "a training set with at least one batch", "an empty one");
  const LRSchedule schedule(cfg.schedule, cfg.optim.lr, steps_per_epoch, cfg.epochs);
  TrainOptimizer opt(model.module(), model.parameters_to_train(), cfg.optim);
  // Mixed precision (train/precision.h): parameters and optimizer state stay fp32; fp16 scales the loss.
  const Precision precision = parse_precision(cfg.precision, "precision");
  check_precision_supported(precision, device);
  DynamicLossScaler scaler(precision == Precision::FP16);
  std::vector<torch::Tensor> scaled_params;
  for (const auto& [name, p] : model.parameters_to_train())
    if (p.requires_grad()) scaled_params.push_back(p);

  TrainResult res;
  res.run_dir = cfg.out_dir;
  EpochConfidences conf;
  int64_t start_epoch = 0, step = 0;
  // One writer per run directory (util/dir_lock.h), held to the end of fit: the study's claim of the
  // run when this process holds it (handed over), else a lock of its own. Temp files of killed
  // writers are removed once no one else can be writing here.
  std::shared_ptr<DirLock> dir_lock;
  if (writes) {
    dir_lock = DirLock::for_writer(dir.string());
    remove_stale_temp_files(dir.string());
  }
  if (files) {
    if (!cfg.resume && fs::exists(last_path))
      fail("trainer", "a fresh run directory", dir.string() + " already holds a run (" + RunFiles::kLast +
                                                   "); pass --resume to continue it or choose another --out");
    if (cfg.resume) {
      if (!fs::exists(last_path)) fail("trainer", "a checkpoint to resume from", "no " + last_path);
      TrainingCheckpoint ck = load_checkpoint(last_path);
      load_state_dict(model.module(), ck.model);  // strict: a resumed run is the same model
      opt.load_state_dict(ck.optimizer);
      const json sched = json::parse(ck.scheduler_json);
      if (sched.contains("loss_scaler")) scaler.load_state(sched["loss_scaler"], last_path);
      if (sched.value("steps_per_epoch", steps_per_epoch) != steps_per_epoch)
        fail("trainer", std::to_string(sched.value("steps_per_epoch", int64_t{0})) + " steps per epoch as in " + last_path,
             std::to_string(steps_per_epoch) + " (the training set or batch size changed)");
      warn_config_changes(ck.config_json, cfg, last_path);
      start_epoch = ck.epoch;
      step = ck.step;
      res.best_top1 = sched.value("best_top1", -1.0);
      res.best_epoch = sched.value("best_epoch", int64_t{0});
      if (ck.cpu_rng_state.defined()) {
        std::lock_guard<std::mutex> rng_lock(global_rng_mutex());
        restore_cpu_rng(ck.cpu_rng_state);
      }
      res.log = read_jsonl((dir / RunFiles::kMetrics).string(), start_epoch);
      if (cfg.record_confidences) conf = read_confidences((dir / RunFiles::kConfidences).string(), start_epoch);
      if (cfg.progress)
        std::fprintf(stderr, "avtune: resuming %s at epoch %lld/%lld (step %lld)\n", last_path.c_str(),
                     static_cast<long long>(start_epoch), static_cast<long long>(cfg.epochs), static_cast<long long>(step));
    }
    if (writes) {
      fs::create_directories(dir);
      write_file_atomic((dir / RunFiles::kConfig).string(), to_json(cfg).dump(2) + "\n");
    }
  }
  std::unique_ptr<GradientAverager> ddp;
  std::unique_ptr<ScopedBatchNormSync> sync_bn;
  if (group) {
    broadcast_module_state(*group, model.module());  // identical replicas, whatever each rank loaded
    std::vector<torch::Tensor> params;
    std::vector<std::string> names;
    for (const auto& [name, p] : model.parameters_to_train())
      if (p.requires_grad()) names.push_back(name), params.push_back(p);
    ddp = std::make_unique<GradientAverager>(*group, std::move(params), std::move(names));
    if (cfg.sync_bn)
      sync_bn = std::make_unique<ScopedBatchNormSync>([g = group.get()](const torch::Tensor& t) { return all_reduce_sum_autograd(*g, t); });
  }
  if (cfg.progress)
    std::fprintf(stderr, "avtune: training %s on %s: %lld epochs x %lld steps, %s optimizer (%zu decayed, %zu not), lr %s\n",
                 model.kind().c_str(), device.str().c_str(), static_cast<long long>(cfg.epochs),
                 static_cast<long long>(steps_per_epoch), cfg.optim.kind.c_str(), opt.groups().decay.size(),
                 opt.groups().no_decay.size(), schedule.describe().c_str());

  const bool want_conf = hook || cfg.record_confidences;
  for (int64_t epoch = start_epoch; epoch < cfg.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    reset_cuda_peak(device);
    const int64_t skipped_before = scaler.skipped_steps();
    model.set_training(true);
    train.start_epoch(epoch);
    if (step_hook) step_hook->begin_epoch(epoch);
    std::unique_ptr<Progress> bar;
    if (cfg.progress)
      bar = std::make_unique<Progress>("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(cfg.epochs),
                                       static_cast<long>(steps_per_epoch));
    double loss_sum = 0, lr = 0;
    int64_t correct = 0, seen = 0;
    long batch_no = 0;
    std::map<std::string, float> epoch_conf;
    std::vector<std::pair<int64_t, float>> shard_conf;  // data parallel: gathered at the epoch's end
    while (auto b = train.next()) {
      ++batch_no;
      const Batch batch = batch_to(*b, device);
      lr = schedule.at(step);
      opt.set_lr(lr);
      opt.zero_grad();
      if (ddp) ddp->before_forward();
      ModelOutput out;
      torch::Tensor loss;
      {
        AutocastGuard autocast(precision, device);
        out = model.forward(batch);
        // The loss in fp32 whatever the autocast dtype (autocast's CUDA fp32 list does the same).
        // A float64 model (dist equivalence test) keeps its precision.
        const auto& lg = out.logits.scalar_type() == torch::kDouble ? out.logits : out.logits.to(torch::kFloat);
        loss = torch::nn::functional::cross_entropy(lg, batch.labels);
        if (out.aux_loss.defined()) loss = loss + out.aux_loss.to(loss.scalar_type());
      }
      const double lv = loss.item<double>();
      auto stop = [&](const std::string& what) {
        fail_msg("trainer", what + " at epoch " + std::to_string(epoch + 1) + "/" + std::to_string(cfg.epochs) +
                                ", step " + std::to_string(step + 1) + " (batch " + std::to_string(batch_no) + "/" +
                                std::to_string(steps_per_epoch) + ", lr " + std::to_string(lr) +
                                "); stopped before saving this epoch — " +
                                (files && fs::exists(last_path)
                                     ? "the last good checkpoint " + last_path + " (epoch " + std::to_string(epoch) + ") is intact"
                                     : std::string("no checkpoint was written yet")));
      };
      if (!std::isfinite(lv)) stop(std::string("non-finite loss (") + (std::isnan(lv) ? "nan" : "inf") + ")");
      const torch::Tensor scaled = scaler.scale_loss(loss);
      if (ddp) ddp->before_backward(scaled);
      scaled.backward();
      if (step_hook) step_hook->after_backward(StepView{epoch, step, &batch, &out});
      // fp16: gradients back to the loss's scale before clipping; an inf/NaN skips the step (GradScaler).
      double gnorm = -1;
      scaler.step(scaled_params, [&] { gnorm = opt.step(); });
      if (cfg.optim.grad_clip > 0 && !std::isfinite(gnorm)) stop("non-finite gradient norm");
      ++step;

      const int64_t B = batch.size();
      loss_sum += lv * static_cast<double>(B);
      seen += B;
      correct += out.logits.detach().argmax(1).eq(batch.labels).sum().item<int64_t>();
      if (want_conf) {
        auto c = torch::softmax(out.logits.detach().to(torch::kFloat), 1)
                     .gather(1, batch.labels.unsqueeze(1))
                     .squeeze(1)
                     .to(torch::kCPU)
                     .contiguous();
        std::vector<float> cv(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
        if (cfg.record_confidences)
          for (int64_t i = 0; i < B; ++i) {
            if (group) shard_conf.emplace_back(static_cast<int64_t>(batch.indices[static_cast<size_t>(i)]), cv[static_cast<size_t>(i)]);
            else epoch_conf[batch.names[static_cast<size_t>(i)]] = cv[static_cast<size_t>(i)];
          }
        if (hook) hook(BatchReport{epoch, step, lv, &batch.names, &cv});
      }
      if (bar) {
        char extra[96];
        std::snprintf(extra, sizeof extra, "loss %.4f acc %.1f%% lr %.3g", loss_sum / static_cast<double>(seen),
                      100.0 * static_cast<double>(correct) / static_cast<double>(seen), lr);
        bar->update(batch_no, extra);
      }
    }
    if (bar) bar->finish();
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (cfg.progress && !train.skipped().empty()) std::fprintf(stderr, "%s\n", train.skipped_report().c_str());
    if (group) {  // the epoch's figures over every rank's samples
      std::vector<torch::Tensor> sums{torch::tensor({loss_sum, static_cast<double>(correct), static_cast<double>(seen)}, torch::kFloat64)};
      group->all_reduce_sum(sums);
      loss_sum = sums[0][0].item<double>();
      correct = static_cast<int64_t>(sums[0][1].item<double>());
      seen = static_cast<int64_t>(sums[0][2].item<double>());
      if (cfg.record_confidences)
        for (const auto& [index, c] : gather_confidences(*group, shard_conf))
          epoch_conf[train.dataset().name_of(static_cast<size_t>(index))] = c;
    }

    // --skip-bad with every sample bad must not "train" 0 steps and write a checkpoint.
    if (seen == 0)
      fail("trainer", "at least one training sample loaded in epoch " + std::to_string(epoch + 1),
           train.skipped().empty() ? std::string("none") : "none: " + train.skipped_report());

    EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.step = step;
    rec.lr = lr;
    rec.train_loss = seen ? loss_sum / static_cast<double>(seen) : 0;
    rec.train_acc = seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0;
    rec.samples_per_second = train_seconds > 0 ? static_cast<double>(seen) / train_seconds : 0;  // all ranks' samples
    rec.peak_rss_mib = peak_rss_mib();
    rec.cuda_peak_mib = cuda_peak_allocated_mib(device);
    rec.skipped_steps = scaler.skipped_steps() - skipped_before;
    rec.loss_scale = scaler.scale();
    const bool last_epoch = epoch + 1 == cfg.epochs;
    if (eval && (last_epoch || (cfg.eval_every > 0 && (epoch + 1) % cfg.eval_every == 0))) {
      // Every rank evaluates rank 0's model, the checkpoint's: per-rank BN statistics differ (DDP's
      // broadcast_buffers), and a resumed run starts from rank 0's.
      if (group) broadcast_module_state(*group, model.module());
      rec.eval = evaluate(model, *eval, device, cfg.progress, cfg.precision);
      rec.evaluated = true;
    }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool improved = rec.evaluated && rec.eval.top1 > res.best_top1;
    if (improved) {
      res.best_top1 = rec.eval.top1;
      res.best_epoch = rec.epoch;
    }
    if (cfg.record_confidences) conf.emplace_back(rec.epoch, std::move(epoch_conf));
    res.log.push_back(rec.to_json());
    if (step_hook)
      if (json summary = step_hook->end_epoch(); !summary.is_null()) res.log.back()["balance"] = std::move(summary);
    res.epochs.push_back(rec);
    res.epochs_done = rec.epoch;
    res.steps = step;

    if (writes) {
      // Order matters for resume: the side files first (metrics too: resume reads them back by epoch,
      // so lines past last.pth's epoch are harmless, a line missing for it is lost), last.pth decides.
      TrainingCheckpoint ck;
      ck.model = cpu_copy(state_dict_of(model.module()));
      ck.optimizer = opt.state_dict();
      ck.scheduler_json = json{{"kind", cfg.schedule.kind},
                               {"steps_per_epoch", steps_per_epoch},
                               {"step", step},
                               {"lr", lr},
                               {"best_top1", res.best_top1},
                               {"best_epoch", res.best_epoch},
                               {"loss_scaler", scaler.state()}}
                              .dump();
      ck.config_json = to_json(cfg).dump();
      ck.epoch = rec.epoch;
      ck.step = step;
      ck.cpu_rng_state = capture_cpu_rng();
      if (cfg.record_confidences) write_file_atomic((dir / RunFiles::kConfidences).string(), confidences_json(conf));
      write_file_atomic((dir / RunFiles::kMetrics).string(), jsonl(res.log));
      write_file_atomic((dir / RunFiles::kCurve).string(), curve_csv(res.log));
      if (improved) save_checkpoint(best_path, ck);
      save_checkpoint(last_path, ck);
    }
    if (cfg.progress) {
      std::fprintf(stderr, "epoch %lld/%lld lr %.3g train loss %.4f acc %.2f%%%s%s (%s)\n",
                   static_cast<long long>(rec.epoch), static_cast<long long>(cfg.epochs), rec.lr, rec.train_loss,
                   100 * rec.train_acc, rec.evaluated ? " | eval " : "", rec.evaluated ? rec.eval.summary().c_str() : "",
                   format_duration(rec.seconds).c_str());
    }
  }
  res.epochs_done = std::max(res.epochs_done, start_epoch);
  res.steps = step;
  for (const auto& [epoch, m] : conf)
    for (const auto& [name, c] : m) res.confidences[name].push_back(c);
  return res;
}

}  // namespace avtune
