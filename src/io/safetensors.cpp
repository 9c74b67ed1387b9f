#include "avtune/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "avtune/util/json_excerpt.h"

namespace avtune {

namespace {
struct DtypeName {
  const char* name;
  c10::ScalarType dtype;
};
const DtypeName kDtypes[] = {{"F64", c10::kDouble}, {"F32", c10::kFloat}, {"F16", c10::kHalf},
                             {"BF16", c10::kBFloat16}, {"I64", c10::kLong}, {"I32", c10::kInt},
                             {"I16", c10::kShort},  {"I8", c10::kChar},   {"U8", c10::kByte},
                             {"BOOL", c10::kBool}};

c10::ScalarType dtype_of(const std::string& name, const std::string& path) {
  for (const auto& d : kDtypes)
    if (name == d.name) return d.dtype;
  fail("safetensors", "a dtype among F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL", "'" + name + "'", {path});
}
const char* name_of(c10::ScalarType t) {
  for (const auto& d : kDtypes)
    if (t == d.dtype) return d.name;
  fail("safetensors", "a dtype safetensors can store", c10::toString(t));
}
}  // namespace

bool looks_like_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[9] = {0};
  in.read(reinterpret_cast<char*>(head), 9);
  return in.gcount() == 9 && head[8] == '{' && head[6] == 0 && head[7] == 0;
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail("safetensors", "a readable file", "cannot open it", {path});
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8) fail("safetensors", "at least an 8-byte header length", std::to_string(file_size) + " bytes", {path});
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t hlen = 0;
  for (int k = 0; k < 8; ++k) hlen |= static_cast<uint64_t>(len_bytes[k]) << (8 * k);
  if (hlen > file_size - 8) fail("safetensors", "a header length within the file", std::to_string(hlen) + " bytes", {path});
  std::string header(hlen, '\0');
  in.read(header.data(), static_cast<std::streamsize>(hlen));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    fail("safetensors", "a JSON header", std::string("invalid JSON (") + e.what() + ")", {path});
  }
  if (!j.is_object()) fail("safetensors", "a JSON object header", j.type_name(), {path});
  const uint64_t data_size = file_size - 8 - hlen;
  SafetensorsFile out;
  struct Item {
    std::string name;
    c10::ScalarType dtype;
    std::vector<int64_t> shape;
    uint64_t begin, end;
  };
  std::vector<Item> items;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail("safetensors", "__metadata__ as an object of strings", json_excerpt(*it), {path});
      for (auto m = it->begin(); m != it->end(); ++m)
        out.metadata[m.key()] = m->is_string() ? m->get<std::string>() : json_excerpt(*m, 1000);
      continue;
    }
    const auto& e = it.value();
    const std::string what = "'" + it.key().substr(0, 200) + "'";
    // Every field is type-checked here: nlohmann's own errors name no file, and operator[] on a const
    // JSON array does not check its index.
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      fail("safetensors", "{dtype, shape, data_offsets} for tensor " + what, json_excerpt(e), {path});
    const auto& dt = e.at("dtype");
    const auto& sh = e.at("shape");
    const auto& offs = e.at("data_offsets");
    if (!dt.is_string()) fail("safetensors", "a dtype string for " + what, json_excerpt(dt), {path});
    if (!sh.is_array()) fail("safetensors", "a shape list of integers for " + what, json_excerpt(sh), {path});
    if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() || !offs[1].is_number_unsigned())
      fail("safetensors", "data_offsets [begin, end] of two non-negative integers for " + what, json_excerpt(offs), {path});
    Item item{it.key(), dtype_of(dt.get<std::string>(), path), {}, offs[0].get<uint64_t>(), offs[1].get<uint64_t>()};
    uint64_t numel = 1;
    bool overflow = false;
    for (const auto& d : sh) {
      if (!d.is_number_unsigned()) fail("safetensors", "non-negative integer dimensions for " + what, json_excerpt(sh), {path});
      const uint64_t n = d.get<uint64_t>();
      if (n > static_cast<uint64_t>(INT64_MAX)) overflow = true;
      overflow = overflow || __builtin_mul_overflow(numel, n, &numel);
      item.shape.push_back(static_cast<int64_t>(n));
    }
    uint64_t want = 0;
    overflow = overflow || __builtin_mul_overflow(numel, static_cast<uint64_t>(c10::elementSize(item.dtype)), &want);
    if (item.end < item.begin || item.end > data_size)
      fail("safetensors", "data offsets inside the " + std::to_string(data_size) + "-byte data section for " + what,
           json_excerpt(offs), {path});
    if (overflow || item.end - item.begin != want)
      fail("safetensors", (overflow ? std::string("a shape whose byte size fits 64 bits") : std::to_string(want) + " bytes") +
                              " for " + what + " " + json_excerpt(sh),
           std::to_string(item.end - item.begin), {path});
    items.push_back(std::move(item));
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  // The format forbids overlapping byte ranges (two tensors would alias one another's bytes).
  for (size_t k = 1; k < items.size(); ++k)
    if (items[k].begin < items[k - 1].end)
      fail("safetensors", "non-overlapping data_offsets", "'" + items[k - 1].name.substr(0, 200) + "' and '" +
                                                              items[k].name.substr(0, 200) + "' sharing bytes", {path});
  const uint64_t base = 8 + hlen;
  for (const auto& item : items) {
    auto t = torch::empty(item.shape, torch::TensorOptions().dtype(item.dtype));
    in.seekg(static_cast<std::streamoff>(base + item.begin));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(item.end - item.begin));
    if (!in) fail("safetensors", "tensor data for '" + item.name + "'", "a read error (truncated?)", {path});
    out.tensors.set(item.name, t);
  }
  return out;
}

void save_safetensors(const std::string& path, const StateDict& sd, const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json j;
  if (!metadata.empty()) j["__metadata__"] = metadata;
  uint64_t off = 0;
  std::vector<torch::Tensor> data;
  for (const auto& [k, t0] : sd.entries()) {
    auto t = t0.detach().to(torch::kCPU).contiguous();
    const uint64_t n = static_cast<uint64_t>(t.numel()) * t.element_size();
    j[k] = {{"dtype", name_of(t.scalar_type())}, {"shape", t.sizes().vec()}, {"data_offsets", {off, off + n}}};
    off += n;
    data.push_back(t);
  }
  std::string header = j.dump();
  while ((header.size() + 8) % 8) header.push_back(' ');  // keeps the data 8-byte aligned
  AtomicFile f(path);
  auto& os = f.stream();
  const uint64_t hlen = header.size();
  for (int k = 0; k < 8; ++k) os.put(static_cast<char>((hlen >> (8 * k)) & 0xff));
  os.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& t : data) os.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
  f.commit();
}

}  // namespace avtune
