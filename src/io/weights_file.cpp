#include "avtune/io/weights_file.h"

#include <fmt/format.h>

#include <fstream>

#include "avtune/io/pth.h"
#include "avtune/io/reference_layout.h"
#include "avtune/io/safetensors.h"
#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"

namespace avtune {

WeightsFormat detect_weights_format(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("weights", "a readable file", "cannot open it", {path});
  if (looks_like_safetensors(path)) return WeightsFormat::Safetensors;
  char head[2] = {0, 0};
  in.read(head, 2);
  if (head[0] == 'P' && head[1] == 'K') return WeightsFormat::PthZip;
  if (static_cast<unsigned char>(head[0]) == 0x80) return WeightsFormat::PthLegacy;
  fail("weights", "a .pth (torch.save) or .safetensors file", "unrecognised leading bytes", {path});
}

std::string format_name(WeightsFormat f) {
  switch (f) {
    case WeightsFormat::PthZip: return "torch.save zip";
    case WeightsFormat::PthLegacy: return "torch.save legacy";
    case WeightsFormat::Safetensors: return "safetensors";
  }
  return "?";
}

StateDict load_weights(const WeightsSource& src) {
  StateDict sd;
  if (detect_weights_format(src.path) == WeightsFormat::Safetensors) {
    sd = load_safetensors(src.path).tensors;
    if (!src.key.empty()) sd = select_prefix(sd, src.key + ".");
    if (sd.empty()) fail("weights", "tensors under '" + src.key + ".'", "none", {src.path});
  } else {
    sd = find_state_dict(load_pth(src.path), src.path, src.key);
  }
  if (src.strip_wrappers) sd = strip_common_wrappers(sd);
  return src.avtune_names ? from_reference_layout(sd) : sd;
}

void save_weights(const std::string& path, const StateDict& sd) {
  const bool st = path.size() >= 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0;
  if (st) save_safetensors(path, sd);
  else save_pth(path, to_pickle(sd));
}

namespace {
std::string scalar_text(const py::ValuePtr& v) {
  switch (v->kind) {
    case py::Kind::None: return "None";
    case py::Kind::Bool: return v->b ? "True" : "False";
    case py::Kind::Int: return v->big_int ? "<big int>" : std::to_string(v->i);
    case py::Kind::Float: return fmt::format("{:g}", v->f);
    case py::Kind::Str: return v->s.size() > 60 ? "'" + v->s.substr(0, 57) + "...'" : "'" + v->s + "'";
    case py::Kind::Tensor: return "tensor " + shape_str(v->tensor) + " " + dtype_str(v->tensor.scalar_type());
    default: {
      const size_t n = v->kind == py::Kind::Dict ? v->entries.size() : v->items.size();
      return v->type_name() + " (" + std::to_string(n) + " entries)";
    }
  }
}
}  // namespace

std::string describe_weights_file(const std::string& path, const std::string& key) {
  const auto fmt_kind = detect_weights_format(path);
  std::string out = fmt::format("file: {}\nformat: {}\n", path, format_name(fmt_kind));
  if (fmt_kind != WeightsFormat::Safetensors) {
    auto root = load_pth(path);
    out += "top level: " + root->type_name() + "\n";
    if (root->kind == py::Kind::Dict)
      for (const auto& [k, v] : root->entries)
        if (v->kind != py::Kind::Tensor)
          out += fmt::format("  {}: {}\n", k->kind == py::Kind::Str ? k->s : k->type_name(), scalar_text(v));
  } else {
    auto meta = load_safetensors(path).metadata;
    for (const auto& [k, v] : meta) out += fmt::format("  metadata {}: {}\n", k, v.size() > 60 ? v.substr(0, 57) + "..." : v);
  }
  WeightsSource src;
  src.path = path;
  src.key = key;
  src.strip_wrappers = false;
  src.avtune_names = false;  // the names as stored
  auto sd = load_weights(src);
  out += "layout: " + layout_name(detect_layout(sd)) + "\n";
  size_t w = 3;
  for (const auto& [k, t] : sd.entries()) w = std::max(w, k.size());
  out += fmt::format("tensors: {}\n{:<{}}  {:<20}  {}\n", sd.size(), "key", w, "shape", "dtype");
  int64_t params = 0;
  for (const auto& [k, t] : sd.entries()) {
    out += fmt::format("{:<{}}  {:<20}  {}\n", k, w, shape_str(t), dtype_str(t.scalar_type()));
    // Buffers (running stats, counters) are not parameters.
    const bool buffer = k.find("running_") != std::string::npos || k.find("num_batches_tracked") != std::string::npos;
    if (!buffer) params += t.numel();
  }
  out += fmt::format("parameters: {} ({:.2f} M), elements incl. buffers: {}\n", params, params / 1e6, sd.numel());
  return out;
}

}  // namespace avtune
