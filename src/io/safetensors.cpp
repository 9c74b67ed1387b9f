#include "avtune/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

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
      for (auto m = it->begin(); m != it->end(); ++m)
        out.metadata[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
      continue;
    }
    const auto& e = it.value();
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      fail("safetensors", "{dtype, shape, data_offsets} for tensor '" + it.key() + "'", e.dump(), {path});
    Item item{it.key(), dtype_of(e["dtype"].get<std::string>(), path), e["shape"].get<std::vector<int64_t>>(),
              e["data_offsets"][0].get<uint64_t>(), e["data_offsets"][1].get<uint64_t>()};
    uint64_t numel = 1;
    for (auto d : item.shape) {
      if (d < 0) fail("safetensors", "non-negative dimensions for '" + item.name + "'", e["shape"].dump(), {path});
      numel *= static_cast<uint64_t>(d);
    }
    if (item.end < item.begin || item.end > data_size)
      fail("safetensors", "data offsets inside the " + std::to_string(data_size) + "-byte data section for '" + item.name + "'",
           e["data_offsets"].dump(), {path});
    if (item.end - item.begin != numel * c10::elementSize(item.dtype))
      fail("safetensors", std::to_string(numel * c10::elementSize(item.dtype)) + " bytes for '" + item.name + "' " + e["shape"].dump(),
           std::to_string(item.end - item.begin), {path});
    items.push_back(std::move(item));
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.begin < b.begin; });
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
