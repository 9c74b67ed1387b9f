#include "avtune/io/state_dict.h"

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"

namespace avtune {

void StateDict::set(const std::string& key, torch::Tensor t) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(t);
    return;
  }
  index_[key] = entries_.size();
  entries_.emplace_back(key, std::move(t));
}

const torch::Tensor* StateDict::find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

torch::Tensor& StateDict::at(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) fail("state-dict", "key '" + key + "'", "no such key");
  return entries_[it->second].second;
}

const torch::Tensor& StateDict::at(const std::string& key) const { return const_cast<StateDict*>(this)->at(key); }

bool StateDict::erase(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  entries_.erase(entries_.begin() + static_cast<long>(it->second));
  index_.clear();
  for (size_t k = 0; k < entries_.size(); ++k) index_[entries_[k].first] = k;
  return true;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> k;
  for (const auto& e : entries_) k.push_back(e.first);
  return k;
}

int64_t StateDict::numel() const {
  int64_t n = 0;
  for (const auto& e : entries_) n += e.second.numel();
  return n;
}

StateDict state_dict_of(const torch::nn::Module& m) {
  StateDict sd;
  // named_parameters/buffers list a module's own tensors before its children's, which is not
  // PyTorch's order (it interleaves per module); walk modules to match state_dict() order.
  for (const auto& item : m.named_modules("", /*include_self=*/true)) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) sd.set(prefix + p.key(), p.value());
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) sd.set(prefix + b.key(), b.value());
  }
  return sd;
}

namespace {
bool is_tensor_dict(const py::ValuePtr& v) {
  if (!v || v->kind != py::Kind::Dict || v->entries.empty()) return false;
  size_t tensors = 0;
  for (const auto& [k, x] : v->entries) {
    if (k->kind != py::Kind::Str) return false;
    tensors += x->kind == py::Kind::Tensor;
  }
  return tensors > 0 && tensors * 2 >= v->entries.size();
}

StateDict from_pickle_dict(const py::ValuePtr& v) {
  StateDict sd;
  for (const auto& [k, x] : v->entries)
    if (x->kind == py::Kind::Tensor) sd.set(k->s, x->tensor);
  return sd;
}

std::string top_level_keys(const py::ValuePtr& root) {
  if (!root || root->kind != py::Kind::Dict) return "a " + (root ? root->type_name() : std::string("null"));
  std::string s = "a dict with keys [";
  size_t n = 0;
  for (const auto& [k, x] : root->entries) {
    if (n++ == 12) {
      s += ", ...";
      break;
    }
    s += (n > 1 ? ", " : "") + (k->kind == py::Kind::Str ? k->s : k->type_name()) + ":" + x->type_name();
  }
  return s + "]";
}
}  // namespace

StateDict find_state_dict(const py::ValuePtr& root, const std::string& source, const std::string& key) {
  if (!key.empty()) {
    py::ValuePtr v = root;
    // Dotted paths reach into nested dicts: "model.audio" -> root['model']['audio'].
    size_t start = 0;
    while (start <= key.size()) {
      const size_t dot = key.find('.', start);
      const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      auto next = v ? v->get(part) : nullptr;
      if (!next) fail("checkpoint", "key '" + key + "' in the loaded object", top_level_keys(root), {source});
      v = next;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!is_tensor_dict(v)) fail("checkpoint", "a dict of tensors under '" + key + "'", v->type_name(), {source});
    return from_pickle_dict(v);
  }
  if (is_tensor_dict(root)) return from_pickle_dict(root);
  for (const char* k : {"state_dict", "model", "model_state_dict", "net", "network", "weights", "params"}) {
    auto v = root ? root->get(k) : nullptr;
    if (is_tensor_dict(v)) return from_pickle_dict(v);
  }
  fail("checkpoint", "a state dict (a dict of tensors, or one under 'state_dict'/'model'/...; pick one with --key)",
       top_level_keys(root), {source});
}

StateDict strip_prefix(const StateDict& sd, const std::string& prefix) {
  StateDict out;
  for (const auto& [k, t] : sd.entries()) out.set(k.rfind(prefix, 0) == 0 ? k.substr(prefix.size()) : k, t);
  return out;
}

StateDict select_prefix(const StateDict& sd, const std::string& prefix) {
  StateDict out;
  for (const auto& [k, t] : sd.entries())
    if (k.rfind(prefix, 0) == 0) out.set(k.substr(prefix.size()), t);
  return out;
}

StateDict add_prefix(const StateDict& sd, const std::string& prefix) {
  StateDict out;
  for (const auto& [k, t] : sd.entries()) out.set(prefix + k, t);
  return out;
}

StateDict strip_common_wrappers(const StateDict& sd) {
  for (const auto& [k, t] : sd.entries())
    if (k.rfind("module.", 0) != 0) return sd;
  return strip_prefix(sd, "module.");
}

StateDict rename_keys(const StateDict& sd, const std::vector<std::pair<std::string, std::string>>& rules) {
  StateDict out;
  for (const auto& [k, t] : sd.entries()) {
    std::string key = k;
    for (const auto& [from, to] : rules) {
      auto pos = key.find(from);
      if (pos != std::string::npos) key.replace(pos, from.size(), to);
    }
    out.set(key, t);
  }
  return out;
}

ConvAdapt parse_conv_adapt(const std::string& s) {
  if (s == "sum") return ConvAdapt::Sum;
  if (s == "mean") return ConvAdapt::Mean;
  if (s == "replicate") return ConvAdapt::Replicate;
  fail("conv1-adapt", "sum|mean|replicate", "'" + s + "'");
}

torch::Tensor adapt_conv_weight(const torch::Tensor& w, int64_t in_channels, ConvAdapt mode) {
  if (w.dim() != 4) fail("conv1-adapt", "a 4-D conv weight [O, I, kh, kw]", shape_str(w));
  const int64_t have = w.size(1);
  if (have == in_channels) return w;
  if (in_channels == 1 && mode != ConvAdapt::Replicate)
    return mode == ConvAdapt::Sum ? w.sum(1, true) : w.mean(1, true);
  if (have == 1 && mode == ConvAdapt::Replicate)
    return w.expand({w.size(0), in_channels, w.size(2), w.size(3)}).contiguous() / static_cast<double>(in_channels);
  fail("conv1-adapt", "sum|mean for many->1 channels or replicate for 1->many",
       std::to_string(have) + " -> " + std::to_string(in_channels) + " channels with this mode");
}

void adapt_first_conv(StateDict& sd, const std::string& key, int64_t in_channels, ConvAdapt mode) {
  auto* w = sd.find(key);
  if (!w) fail("conv1-adapt", "key '" + key + "' in the checkpoint", "no such key");
  if (w->size(1) != in_channels) sd.set(key, adapt_conv_weight(*w, in_channels, mode));
}

std::string LoadReport::summary() const {
  auto first = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t k = 0; k < v.size() && k < 5; ++k) s += (k ? ", " : "") + v[k];
    if (v.size() > 5) s += ", ...";
    return s;
  };
  std::string s = std::to_string(loaded.size()) + " loaded";
  if (!missing.empty()) s += "; " + std::to_string(missing.size()) + " missing (" + first(missing) + ")";
  if (!unexpected.empty()) s += "; " + std::to_string(unexpected.size()) + " unexpected (" + first(unexpected) + ")";
  if (!mismatched.empty()) {
    s += "; " + std::to_string(mismatched.size()) + " shape-mismatched (";
    for (size_t k = 0; k < mismatched.size() && k < 5; ++k)
      s += (k ? ", " : "") + mismatched[k].key + ": model " + shape_str(mismatched[k].expected) + " vs file " +
           shape_str(mismatched[k].got);
    s += mismatched.size() > 5 ? ", ...)" : ")";
  }
  return s;
}

LoadReport load_state_dict(torch::nn::Module& m, const StateDict& sd, const LoadOptions& opts) {
  LoadReport rep;
  StateDict target = state_dict_of(m);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
  for (const auto& [k, dst] : target.entries()) {
    const torch::Tensor* src = sd.find(k);
    if (!src) {
      bool ignorable = false;
      for (const auto& suf : opts.ignore_missing_suffixes)
        ignorable |= k.size() >= suf.size() && k.compare(k.size() - suf.size(), suf.size(), suf) == 0;
      if (!ignorable) rep.missing.push_back(k);
      continue;
    }
    if (src->sizes() != dst.sizes()) {
      rep.mismatched.push_back({k, dst.sizes().vec(), src->sizes().vec()});
      continue;
    }
    copies.emplace_back(dst, *src);
    rep.loaded.push_back(k);
  }
  for (const auto& [k, t] : sd.entries())
    if (!target.contains(k)) rep.unexpected.push_back(k);
  if (opts.strict && !rep.clean()) fail("load-state-dict", "every key to match the model (strict)", rep.summary());
  torch::NoGradGuard ng;
  for (auto& [dst, src] : copies) dst.copy_(src.to(dst.device(), dst.scalar_type()));
  return rep;
}

py::ValuePtr to_pickle(const StateDict& sd) {
  auto d = py::Value::dict(/*ordered=*/true);
  for (const auto& [k, t] : sd.entries()) d->entries.emplace_back(py::Value::str(k), py::Value::from_tensor(t));
  return d;
}

}  // namespace avtune
