#include "avtune/io/pth.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("pth", "a readable file", "cannot open it", {path});
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const py::Value& storage_type_of(const py::ValuePtr& v, const std::string& path) {
  if (!v || v->kind != py::Kind::Global) fail("pth", "a storage class in the persistent id", v ? v->type_name() : "nothing", {path});
  return *v;
}

py::ValuePtr load_zip(const std::string& path) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const c10::Error& e) {
    fail("pth", "a readable zip archive written by torch.save", "a broken one (" + std::string(e.what_without_backtrace()) + ")", {path});
  }
  if (!reader->hasRecord("data.pkl")) {
    if (reader->hasRecord("constants.pkl"))
      fail("pth", "a torch.save file", "a TorchScript archive (torch.jit.save); load it with torch.jit in Python and save its state_dict", {path});
    fail("pth", "a data.pkl record in the zip archive", "none", {path});
  }
  if (reader->hasRecord("byteorder")) {
    auto [ptr, n] = reader->getRecord("byteorder");
    std::string order(static_cast<const char*>(ptr.get()), n);
    if (order != "little") fail("pth", "little-endian tensor data", "byteorder '" + order + "'", {path});
  }
  std::map<std::string, py::ValuePtr> storages;
  py::PersistentLoad pl = [&](const py::ValuePtr& pid) -> py::ValuePtr {
    if (pid->kind != py::Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != py::Kind::Str ||
        pid->items[0]->s != "storage")
      fail("pth", "a persistent id ('storage', type, key, location, numel)", pid->type_name(), {path});
    if (pid->items[2]->kind != py::Kind::Str) fail("pth", "a storage key string in the persistent id", pid->items[2]->type_name(), {path});
    const std::string key = pid->items[2]->s;
    auto it = storages.find(key);
    if (it != storages.end()) return it->second;
    const auto dtype = py::storage_dtype(storage_type_of(pid->items[1], path).name, path);
    const std::string rec = "data/" + key;
    if (!reader->hasRecord(rec)) fail("pth", "record " + rec + " in the archive", "none (truncated file?)", {path});
    at::DataPtr ptr;
    size_t nbytes = 0;
    try {  // a corrupt record: LibTorch's error names no file
      std::tie(ptr, nbytes) = reader->getRecord(rec);
    } catch (const c10::Error& e) {
      fail("pth", "a readable record " + rec, "a corrupt one (" + std::string(e.what_without_backtrace()) + ")", {path});
    }
    const size_t isz = c10::elementSize(dtype);
    const int64_t numel = pid->items[4]->kind == py::Kind::Int ? pid->items[4]->i : static_cast<int64_t>(nbytes / isz);
    if (numel < 0 || static_cast<uint64_t>(numel) > nbytes / isz)
      fail("pth", std::to_string(nbytes / isz) + " elements at most in " + rec + " (" + std::to_string(nbytes) + " bytes)",
           "a storage of " + std::to_string(numel), {path});
    auto t = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (numel > 0) std::memcpy(t.data_ptr(), ptr.get(), static_cast<size_t>(numel) * isz);
    auto v = std::make_shared<py::Value>();
    v->kind = py::Kind::Storage;
    v->tensor = t;
    storages[key] = v;
    return v;
  };
  at::DataPtr pkl;
  size_t pkl_size = 0;
  try {  // a corrupt record throws c10::Error, which names no file (found by fuzz_pth)
    std::tie(pkl, pkl_size) = reader->getRecord("data.pkl");
  } catch (const c10::Error& e) {
    fail("pth", "a readable data.pkl record", "a corrupt one (" + std::string(e.what_without_backtrace()) + ")", {path});
  }
  // torch.save stores records uncompressed; a deflated data.pkl may expand ~1000x, so the values it may
  // make are bounded by the file's size on disk, not by the decompressed record.
  const size_t on_disk = static_cast<size_t>(std::filesystem::file_size(path));
  return py::unpickle(static_cast<const char*>(pkl.get()), pkl_size, pl, path + ":data.pkl", nullptr,
                      std::min(pkl_size, on_disk) + 1024);
}

// Pre-1.6 format: magic, protocol, sys_info, the object, the storage keys, then raw storages.
py::ValuePtr load_legacy(const std::string& path) {
  const std::string buf = read_all(path);
  size_t pos = 0, used = 0;
  auto next = [&](const py::PersistentLoad& pl) {
    auto v = py::unpickle(buf.data() + pos, buf.size() - pos, pl, path, &used);
    pos += used;
    return v;
  };
  auto magic = next(nullptr);
  static const unsigned char kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (!(magic->kind == py::Kind::Int && magic->big_int && magic->s == std::string(reinterpret_cast<const char*>(kMagic), 10)))
    fail("pth", "the torch.save magic number", "another value (not a PyTorch file?)", {path});
  auto proto = next(nullptr);
  if (proto->kind != py::Kind::Int || proto->i != 1001)
    fail("pth", "legacy protocol version 1001", proto->type_name(), {path});
  auto sys_info = next(nullptr);
  if (auto le = sys_info->get("little_endian"); le && le->kind == py::Kind::Bool && !le->b)
    fail("pth", "a little-endian file", "a big-endian one", {path});

  std::map<std::string, py::ValuePtr> storages;
  py::PersistentLoad pl = [&](const py::ValuePtr& pid) -> py::ValuePtr {
    if (pid->kind != py::Kind::Tuple || pid->items.size() < 6 || pid->items[0]->s != "storage" ||
        pid->items[2]->kind != py::Kind::Str || pid->items[4]->kind != py::Kind::Int)
      fail("pth", "a legacy persistent id ('storage', type, key, location, numel, view)", pid->type_name(), {path});
    const std::string key = pid->items[2]->s;
    auto it = storages.find(key);
    py::ValuePtr root;
    if (it != storages.end()) {
      root = it->second;
    } else {
      const auto dtype = py::storage_dtype(storage_type_of(pid->items[1], path).name, path);
      // The storages follow the pickles in this file: a size the file cannot hold is refused before allocating.
      const int64_t numel = pid->items[4]->i;
      const size_t isz = c10::elementSize(dtype);
      if (numel < 0 || static_cast<uint64_t>(numel) > (buf.size() - pos) / isz)
        fail("pth", "a storage that fits in the file's " + std::to_string(buf.size() - pos) + " remaining bytes",
             "storage '" + key + "' of " + std::to_string(numel) + " elements", {path});
      root = std::make_shared<py::Value>();
      root->kind = py::Kind::Storage;
      root->tensor = torch::empty({numel}, torch::TensorOptions().dtype(dtype));  // filled below
      storages[key] = root;
    }
    const auto& view = pid->items[5];
    if (view->kind == py::Kind::Tuple && view->items.size() == 3) {  // (view_key, offset, size)
      const auto& off = view->items[1];
      const auto& len = view->items[2];
      const int64_t n = root->tensor.numel();
      if (off->kind != py::Kind::Int || len->kind != py::Kind::Int || off->i < 0 || len->i < 0 || off->i > n || len->i > n - off->i)
        fail("pth", "a storage view inside storage '" + key + "' of " + std::to_string(n) + " elements", "one outside it", {path});
      auto sub = std::make_shared<py::Value>();
      sub->kind = py::Kind::Storage;
      sub->tensor = root->tensor.narrow(0, off->i, len->i);
      return sub;
    }
    return root;
  };
  auto result = next(pl);
  auto keys = next(nullptr);
  if (keys->kind != py::Kind::List) fail("pth", "the list of storage keys", keys->type_name(), {path});
  std::set<std::string> filled;
  for (const auto& k : keys->items) {
    if (k->kind != py::Kind::Str) fail("pth", "storage keys as strings", k->type_name(), {path});
    auto it = storages.find(k->s);
    if (it == storages.end()) fail("pth", "storage keys used by the object", "an unused key '" + k->s + "'", {path});
    if (!filled.insert(k->s).second) fail("pth", "each storage key listed once", "'" + k->s + "' twice", {path});
    if (buf.size() - pos < 8) fail("pth", "a storage size", "end of file (truncated?)", {path});
    int64_t numel;
    std::memcpy(&numel, buf.data() + pos, 8);
    pos += 8;
    at::Tensor& t = it->second->tensor;
    const size_t nbytes = static_cast<size_t>(numel) * t.element_size();
    if (numel != t.numel()) fail("pth", std::to_string(t.numel()) + " elements in storage " + k->s, std::to_string(numel), {path});
    if (buf.size() - pos < nbytes) fail("pth", std::to_string(nbytes) + " bytes of storage " + k->s, "end of file (truncated?)", {path});
    std::memcpy(t.data_ptr(), buf.data() + pos, nbytes);
    pos += nbytes;
  }
  // A storage the object uses but the key list omits would otherwise load as uninitialised memory.
  for (const auto& [key, v] : storages)
    if (!filled.count(key)) fail("pth", "data for every storage the object uses", "none for storage '" + key + "'", {path});
  return result;
}

}  // namespace

bool looks_like_pth(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[2] = {0, 0};
  in.read(head, 2);
  return (head[0] == 'P' && head[1] == 'K') || (static_cast<unsigned char>(head[0]) == 0x80);
}

py::ValuePtr load_pth(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("pth", "a readable file", "cannot open it", {path});
  char head[4] = {0, 0, 0, 0};
  in.read(head, 4);
  if (in.gcount() < 2) fail("pth", "a torch.save file", "an empty or 1-byte file", {path});
  in.close();
  if (head[0] == 'P' && head[1] == 'K') return load_zip(path);
  if (static_cast<unsigned char>(head[0]) == 0x80) return load_legacy(path);
  fail("pth", "a torch.save file (zip 'PK' or pickle 0x80 magic)", "other bytes", {path});
}

void save_pth(const std::string& path, const py::ValuePtr& root) {
  auto pk = py::pickle_dump(root);
  AtomicFile file(path);
  auto& os = file.stream();
  {
    // The callback never reports failure: LibTorch 1.13's writer throws on a short write and throws
    // again from its destructor (std::terminate). A failed stream stays failed, so commit() below
    // reports it as an avtune error and the temp file is removed.
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* buf, size_t n) -> size_t {
      if (os) os.write(static_cast<const char*>(buf), static_cast<std::streamsize>(n));
      return n;
    });
    writer.writeRecord("data.pkl", pk.bytes.data(), pk.bytes.size());
    writer.writeRecord("byteorder", "little", 6);
    for (size_t k = 0; k < pk.storages.size(); ++k) {
      const auto& t = pk.storages[k];
      writer.writeRecord("data/" + std::to_string(k), t.data_ptr(), t.numel() * t.element_size());
    }
    writer.writeEndOfFile();
  }
  file.commit();
}

}  // namespace avtune
