#include "avtune/methods/dead_channels.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <set>

#include "avtune/util/error.h"

namespace avtune {

namespace {
bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
}  // namespace

Diagnosis diagnose_parameters(const StateDict& sd, const DiagnoseOptions& opts, const std::string& source) {
  Diagnosis d;
  d.source = source;
  d.options = opts;
  d.total_abnormal_ratio.assign(opts.abs_thresholds.size(), 0.0);
  int64_t total_channels = 0;
  for (const auto& [key, t] : sd.entries()) {
    if (!ends_with(key, ".running_var") && key != "running_var") continue;
    const std::string prefix = key.substr(0, key.size() - std::string("running_var").size());
    const std::string name = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
    if (name.find("_addition") != std::string::npos) continue;
    const auto* w = sd.find(prefix + "weight");
    const auto* b = sd.find(prefix + "bias");
    if (!w || !b) continue;  // BN without affine parameters: nothing can collapse
    auto g = w->detach().to(torch::kDouble).abs().flatten(), be = b->detach().to(torch::kDouble).abs().flatten();
    BnLayerDiagnosis L;
    L.name = name;
    L.channels = g.numel();
    if (L.channels == 0) continue;
    for (double thr : opts.abs_thresholds)
      L.abnormal_ratio.push_back(((g < thr) & (be < thr)).to(torch::kDouble).mean().item<double>());
    L.median_abs_gamma = g.median().item<double>();
    L.min_abs_gamma = g.min().item<double>();
    const double rel = opts.rel_threshold * L.median_abs_gamma;
    L.relative_ratio = ((g < rel) & (be < rel)).to(torch::kDouble).mean().item<double>();
    for (size_t k = 0; k < L.abnormal_ratio.size(); ++k) d.total_abnormal_ratio[k] += L.abnormal_ratio[k] * L.channels;
    d.total_relative_ratio += L.relative_ratio * L.channels;
    total_channels += L.channels;
    d.layers.push_back(std::move(L));
  }
  if (d.layers.empty()) fail("diagnose", "BatchNorm layers (keys ending in .running_var with .weight/.bias)", "none", {source});
  for (auto& r : d.total_abnormal_ratio) r /= static_cast<double>(total_channels);
  d.total_relative_ratio /= static_cast<double>(total_channels);
  return d;
}

void diagnose_activations(ResNetEncoderImpl& enc, const std::function<std::optional<torch::Tensor>()>& next_batch,
                          Diagnosis& d, int64_t max_samples) {
  std::map<std::string, torch::Tensor> dead_counts;  // per layer: (C) samples on which the channel is dead
  int64_t seen = 0;
  BnObserver obs = [&](const std::string& name, const torch::Tensor& out) {
    // (N, C, h, w): dead on a sample when no position is positive.
    auto dead = (out.amax({2, 3}) <= 0).sum(0).to(torch::kLong).cpu();
    auto it = dead_counts.find(name);
    if (it == dead_counts.end()) dead_counts[name] = dead;
    else it->second += dead;
  };
  const bool was_training = enc.is_training();
  enc.eval();
  enc.set_observer(&obs);
  try {
    torch::NoGradGuard ng;
    while (seen < max_samples) {
      auto batch = next_batch();
      if (!batch) break;
      auto x = *batch;
      if (seen + x.size(0) > max_samples) x = x.slice(0, 0, max_samples - seen);
      enc.forward(x.to(enc.conv1->weight.device()));
      seen += x.size(0);
    }
  } catch (...) {
    enc.set_observer(nullptr);
    enc.train(was_training);
    throw;
  }
  enc.set_observer(nullptr);
  enc.train(was_training);
  if (seen == 0) fail("diagnose", "at least one sample for the activation view", "no data");
  for (auto& L : d.layers) {
    // Layers may carry a prefix in the file (audio_net.bn1): match on the encoder-relative suffix.
    for (const auto& [name, counts] : dead_counts) {
      if (L.name != name && !ends_with(L.name, "." + name)) continue;
      auto frac = counts.to(torch::kDouble) / static_cast<double>(seen);
      L.mean_dead_fraction = frac.mean().item<double>();
      L.dead_channels = (frac >= d.options.dead_sample_fraction).sum().item<int64_t>();
      L.samples = seen;
    }
  }
}

ResNetConfig infer_resnet_config(const StateDict& sd, const std::string& source) {
  const auto* w = sd.find("conv1.weight");
  if (!w || w->dim() != 4) fail("resnet", "a 'conv1.weight' [C, in, 7, 7] in the encoder weights", "none", {source});
  ResNetConfig c;
  c.in_channels = static_cast<int>(w->size(1));
  c.width = static_cast<double>(w->size(0)) / 64.0;
  c.depth = sd.contains("layer3.5.conv1.weight") ? 34 : 18;
  if (!sd.contains("layer4.1.conv1.weight")) fail("resnet", "a ResNet-18/34 encoder (layer4.1.*)", "other keys", {source});
  return c;
}

std::string diagnosis_table(const Diagnosis& d, const Diagnosis* cmp) {
  std::string out = "diagnosis of " + d.source + (cmp ? "  vs  " + cmp->source : "") + "\n";
  size_t w = 5;
  for (const auto& L : d.layers) w = std::max(w, L.name.size());
  out += fmt::format("{:<{}} {:>6}", "layer", w, "chan");
  for (double t : d.options.abs_thresholds) out += fmt::format(" {:>9}", fmt::format("<{:g}", t));
  out += fmt::format(" {:>9} {:>10}", "rel", "med|g|");
  const bool act = !d.layers.empty() && d.layers.front().samples > 0;
  if (act) out += fmt::format(" {:>9} {:>6}", "deadfrac", "dead99");
  if (cmp) {
    for (double t : cmp->options.abs_thresholds) out += fmt::format(" {:>9}", fmt::format("B<{:g}", t));
    out += fmt::format(" {:>9}", "B rel");
  }
  out += "\n";
  std::map<std::string, const BnLayerDiagnosis*> other;
  if (cmp)
    for (const auto& L : cmp->layers) other[L.name] = &L;
  for (const auto& L : d.layers) {
    out += fmt::format("{:<{}} {:>6}", L.name, w, L.channels);
    for (double r : L.abnormal_ratio) out += fmt::format(" {:>8.1f}%", 100 * r);
    out += fmt::format(" {:>8.1f}% {:>10.3g}", 100 * L.relative_ratio, L.median_abs_gamma);
    if (act) out += fmt::format(" {:>8.1f}% {:>6}", 100 * L.mean_dead_fraction, L.dead_channels);
    if (cmp) {
      auto it = other.find(L.name);
      if (it != other.end()) {
        for (double r : it->second->abnormal_ratio) out += fmt::format(" {:>8.1f}%", 100 * r);
        out += fmt::format(" {:>8.1f}%", 100 * it->second->relative_ratio);
      }
    }
    out += "\n";
  }
  out += fmt::format("{:<{}} {:>6}", "all", w, "");
  for (double r : d.total_abnormal_ratio) out += fmt::format(" {:>8.1f}%", 100 * r);
  out += fmt::format(" {:>8.1f}%\n", 100 * d.total_relative_ratio);
  return out;
}

namespace {
nlohmann::json layer_json(const BnLayerDiagnosis& L, const DiagnoseOptions& o) {
  nlohmann::json j = {{"name", L.name}, {"channels", L.channels}, {"relative_ratio", L.relative_ratio},
                      {"median_abs_gamma", L.median_abs_gamma}, {"min_abs_gamma", L.min_abs_gamma}};
  for (size_t k = 0; k < L.abnormal_ratio.size(); ++k) j[fmt::format("abnormal_ratio@{:g}", o.abs_thresholds[k])] = L.abnormal_ratio[k];
  if (L.samples > 0) {
    j["mean_dead_fraction"] = L.mean_dead_fraction;
    j["dead_channels"] = L.dead_channels;
    j["samples"] = L.samples;
  }
  return j;
}
nlohmann::json diag_json(const Diagnosis& d) {
  nlohmann::json j = {{"source", d.source}, {"abs_thresholds", d.options.abs_thresholds},
                      {"rel_threshold", d.options.rel_threshold}, {"total_abnormal_ratio", d.total_abnormal_ratio},
                      {"total_relative_ratio", d.total_relative_ratio}};
  j["layers"] = nlohmann::json::array();
  for (const auto& L : d.layers) j["layers"].push_back(layer_json(L, d.options));
  return j;
}
}  // namespace

std::string diagnosis_json(const Diagnosis& d, const Diagnosis* cmp) {
  nlohmann::json j = diag_json(d);
  if (cmp) j = {{"before", j}, {"after", diag_json(*cmp)}};
  return j.dump(2) + "\n";
}

std::string diagnosis_csv(const Diagnosis& d, const Diagnosis* cmp) {
  std::string out = "checkpoint,layer,channels";
  for (double t : d.options.abs_thresholds) out += fmt::format(",abnormal_ratio@{:g}", t);
  out += ",relative_ratio,median_abs_gamma,mean_dead_fraction,dead_channels\n";
  for (const Diagnosis* x : {&d, cmp}) {
    if (!x) continue;
    for (const auto& L : x->layers) {
      out += fmt::format("{},{},{}", x->source, L.name, L.channels);
      for (double r : L.abnormal_ratio) out += fmt::format(",{:.6g}", r);
      out += fmt::format(",{:.6g},{:.6g},", L.relative_ratio, L.median_abs_gamma);
      out += L.samples > 0 ? fmt::format("{:.6g},{}", L.mean_dead_fraction, L.dead_channels) : std::string(",");
      out += "\n";
    }
  }
  return out;
}

}  // namespace avtune
