#include "avtune/train/optimizer.h"

#include <cmath>
#include <set>
#include <sstream>
#include <type_traits>

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"

namespace avtune {

namespace {

// LibTorch keys optimizer state by the parameter's TensorImpl: as a string of the pointer up to
// 1.13, as the pointer itself in later versions. Build whichever key this version uses.
template <typename Map>
typename Map::key_type state_key(const torch::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;  // what c10::guts::to_string(TensorImpl*) writes
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

bool is_norm_module(const torch::nn::Module& m) {
  return dynamic_cast<const torch::nn::BatchNorm1dImpl*>(&m) || dynamic_cast<const torch::nn::BatchNorm2dImpl*>(&m) ||
         dynamic_cast<const torch::nn::BatchNorm3dImpl*>(&m) || dynamic_cast<const torch::nn::GroupNormImpl*>(&m) ||
         dynamic_cast<const torch::nn::LayerNormImpl*>(&m) || dynamic_cast<const torch::nn::InstanceNorm2dImpl*>(&m);
}

const char* const kSgdStates[] = {"momentum_buffer"};
const char* const kAdamStates[] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"};

}  // namespace

bool is_no_decay_name(const std::string& name) {
  const auto leaf = name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
  return leaf == "bias" || name.find("fusion_weight") != std::string::npos || name.find("alpha") != std::string::npos;
}

std::vector<NamedParameter> trainable_parameters(const torch::nn::Module& m) {
  std::vector<NamedParameter> out;
  for (const auto& p : m.named_parameters(/*recurse=*/true))
    if (p.value().requires_grad()) out.emplace_back(p.key(), p.value());
  return out;
}

ParamGroups split_weight_decay(const torch::nn::Module& root, const std::vector<NamedParameter>& trainable,
                               bool decay_exclude) {
  std::set<std::string> norm_params;
  for (const auto& item : root.named_modules("", /*include_self=*/true)) {
    if (!is_norm_module(*item.value())) continue;
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) norm_params.insert(prefix + p.key());
  }
  ParamGroups g;
  for (const auto& np : trainable) {
    const bool skip = decay_exclude && (norm_params.count(np.first) || is_no_decay_name(np.first));
    (skip ? g.no_decay : g.decay).push_back(np);
  }
  return g;
}

TrainOptimizer::TrainOptimizer(const torch::nn::Module& root, std::vector<NamedParameter> trainable,
                               const OptimizerConfig& cfg)
    : cfg_(cfg), lr_(cfg.lr) {
  if (trainable.empty()) fail("optimizer", "at least one trainable parameter", "none");
  if (!(cfg.lr >= 0)) fail("optimizer", "lr >= 0", std::to_string(cfg.lr));
  if (!(cfg.weight_decay >= 0)) fail("optimizer", "weight_decay >= 0", std::to_string(cfg.weight_decay));
  if (cfg.grad_clip < 0) fail("optimizer", "grad_clip >= 0 (0 = off)", std::to_string(cfg.grad_clip));
  groups_ = split_weight_decay(root, trainable, cfg.decay_exclude);
  all_ = groups_.decay;
  all_.insert(all_.end(), groups_.no_decay.begin(), groups_.no_decay.end());

  auto tensors = [](const std::vector<NamedParameter>& v) {
    std::vector<torch::Tensor> t;
    for (const auto& np : v) t.push_back(np.second);
    return t;
  };
  // One group per decay setting; an empty group is left out (LibTorch accepts it but it is noise).
  auto build = [&](auto make_options) {
    std::vector<torch::optim::OptimizerParamGroup> pg;
    if (!groups_.decay.empty())
      pg.emplace_back(tensors(groups_.decay), std::make_unique<decltype(make_options(0.0))>(make_options(cfg.weight_decay)));
    if (!groups_.no_decay.empty())
      pg.emplace_back(tensors(groups_.no_decay), std::make_unique<decltype(make_options(0.0))>(make_options(0.0)));
    return pg;
  };
  if (cfg.kind == "sgd") {
    if (cfg.nesterov && cfg.momentum <= 0) fail("optimizer", "momentum > 0 with nesterov", std::to_string(cfg.momentum));
    auto make = [&](double wd) {
      return torch::optim::SGDOptions(cfg.lr).momentum(cfg.momentum).dampening(0).nesterov(cfg.nesterov).weight_decay(wd);
    };
    opt_ = std::make_unique<torch::optim::SGD>(build(make), make(cfg.weight_decay));
  } else if (cfg.kind == "adam") {
    auto make = [&](double wd) {
      return torch::optim::AdamOptions(cfg.lr).betas({cfg.beta1, cfg.beta2}).eps(cfg.eps).weight_decay(wd);
    };
    opt_ = std::make_unique<torch::optim::Adam>(build(make), make(cfg.weight_decay));
  } else if (cfg.kind == "adamw") {
    auto make = [&](double wd) {
      return torch::optim::AdamWOptions(cfg.lr).betas({cfg.beta1, cfg.beta2}).eps(cfg.eps).weight_decay(wd);
    };
    opt_ = std::make_unique<torch::optim::AdamW>(build(make), make(cfg.weight_decay));
  } else {
    fail("optimizer", "sgd|adam|adamw", "'" + cfg.kind + "'");
  }
}

void TrainOptimizer::zero_grad() {
  // Gradients set to None (not zero-filled), as PyTorch does by default since 2.0: no stale values.
  for (const auto& np : all_) {
    auto& g = np.second.mutable_grad();
    if (g.defined()) g = torch::Tensor();
  }
}

void TrainOptimizer::set_lr(double lr) {
  lr_ = lr;
  for (auto& g : opt_->param_groups()) g.options().set_lr(lr);
}

double TrainOptimizer::step() {
  double norm = -1;
  if (cfg_.grad_clip > 0) {
    std::vector<torch::Tensor> params;
    for (const auto& np : all_) params.push_back(np.second);
    norm = torch::nn::utils::clip_grad_norm_(params, cfg_.grad_clip);
    if (!std::isfinite(norm)) return norm;
  }
  opt_->step();
  return norm;
}

StateDict TrainOptimizer::state_dict() const {
  StateDict sd;
  const auto& state = opt_->state();
  using Map = std::decay_t<decltype(state)>;
  auto put = [&](const std::string& key, const torch::Tensor& t) {
    if (t.defined()) sd.set(key, t.detach().to(torch::kCPU).clone());
  };
  for (const auto& [name, p] : all_) {
    auto it = state.find(state_key<Map>(p));
    if (it == state.end()) continue;
    const auto* base = it->second.get();
    if (const auto* s = dynamic_cast<const torch::optim::SGDParamState*>(base)) {
      put(name + ".momentum_buffer", s->momentum_buffer());
    } else if (const auto* a = dynamic_cast<const torch::optim::AdamParamState*>(base)) {
      put(name + ".exp_avg", a->exp_avg());
      put(name + ".exp_avg_sq", a->exp_avg_sq());
      put(name + ".max_exp_avg_sq", a->max_exp_avg_sq());
      sd.set(name + ".step", torch::scalar_tensor(static_cast<int64_t>(a->step()), torch::kLong));
    } else if (const auto* w = dynamic_cast<const torch::optim::AdamWParamState*>(base)) {
      put(name + ".exp_avg", w->exp_avg());
      put(name + ".exp_avg_sq", w->exp_avg_sq());
      put(name + ".max_exp_avg_sq", w->max_exp_avg_sq());
      sd.set(name + ".step", torch::scalar_tensor(static_cast<int64_t>(w->step()), torch::kLong));
    } else {
      fail("optimizer", "SGD/Adam/AdamW parameter state", "another kind for '" + name + "'");
    }
  }
  return sd;
}

void TrainOptimizer::load_state_dict(const StateDict& sd) {
  const bool sgd = cfg_.kind == "sgd";
  std::map<std::string, const torch::Tensor*> by_param_name;
  for (const auto& np : all_) by_param_name[np.first] = &np.second;
  // Every entry must be "<a parameter>.<a state of this optimizer>".
  for (const auto& [key, t] : sd.entries()) {
    const auto dot = key.rfind('.');
    const std::string param = dot == std::string::npos ? "" : key.substr(0, dot);
    const std::string what = dot == std::string::npos ? key : key.substr(dot + 1);
    if (!by_param_name.count(param))
      fail("optimizer", "state of a trainable parameter", "'" + key + "' (no such parameter; another model?)");
    bool known = false;
    if (sgd)
      for (const char* s : kSgdStates) known |= what == s;
    else
      for (const char* s : kAdamStates) known |= what == s;
    if (!known)
      fail("optimizer", cfg_.kind + " state (" + (sgd ? "momentum_buffer" : "exp_avg, exp_avg_sq, step") + ")",
           "'" + key + "' (a checkpoint of another optimizer?)");
    if (what != "step" && t.sizes() != by_param_name[param]->sizes())
      fail("optimizer", "'" + key + "' of shape " + shape_str(*by_param_name[param]), shape_str(t));
  }
  auto& state = opt_->state();
  using Map = std::decay_t<decltype(state)>;
  auto get = [&](const std::string& key, const torch::Tensor& p) {
    const auto* t = sd.find(key);
    return t ? t->to(p.device(), p.scalar_type()).clone() : torch::Tensor();
  };
  state.clear();
  for (const auto& [name, p] : all_) {
    if (sgd) {
      auto buf = get(name + ".momentum_buffer", p);
      if (!buf.defined()) continue;
      auto s = std::make_unique<torch::optim::SGDParamState>();
      s->momentum_buffer(buf);
      state[state_key<Map>(p)] = std::move(s);
      continue;
    }
    const auto* step = sd.find(name + ".step");
    auto m = get(name + ".exp_avg", p), v = get(name + ".exp_avg_sq", p), vmax = get(name + ".max_exp_avg_sq", p);
    if (!step && !m.defined() && !v.defined()) continue;
    if (!step || !m.defined() || !v.defined())
      fail("optimizer", "'" + name + "' with step, exp_avg and exp_avg_sq together", "only some of them");
    const int64_t n = step->item<int64_t>();
    auto fill = [&](auto s) {
      s->step(n);
      s->exp_avg(m);
      s->exp_avg_sq(v);
      if (vmax.defined()) s->max_exp_avg_sq(vmax);
      state[state_key<Map>(p)] = std::move(s);
    };
    if (cfg_.kind == "adam")
      fill(std::make_unique<torch::optim::AdamParamState>());
    else
      fill(std::make_unique<torch::optim::AdamWParamState>());
  }
}

}  // namespace avtune
