#include "avtune/io/npy.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

namespace {

const char kMagic[] = "\x93NUMPY";  // 6 bytes, then major/minor version

struct NpyType {
  const char* descr;  // NumPy's dtype.str for little-endian storage
  c10::ScalarType dtype;
};
const NpyType kTypes[] = {{"<f4", c10::kFloat}, {"<f8", c10::kDouble}, {"<f2", c10::kHalf},  {"<i8", c10::kLong},
                          {"<i4", c10::kInt},   {"<i2", c10::kShort},  {"|i1", c10::kChar},  {"|u1", c10::kByte},
                          {"|b1", c10::kBool}};

std::string header_for(const torch::Tensor& t) {
  const char* descr = nullptr;
  for (const auto& d : kTypes)
    if (d.dtype == t.scalar_type()) descr = d.descr;
  if (!descr) fail("npy", "a dtype NumPy has (float16/32/64, int8/16/32/64, uint8, bool)", c10::toString(t.scalar_type()));
  std::string shape = "(";
  for (int64_t i = 0; i < t.dim(); ++i) shape += std::to_string(t.size(i)) + (t.dim() == 1 ? "," : i + 1 < t.dim() ? ", " : "");
  shape += ")";
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // NumPy pads the header with spaces and ends it with '\n' so the data starts 64-byte aligned.
  const size_t fixed = 6 + 2 + 2;  // magic, version, uint16 header length (format 1.0)
  size_t total = fixed + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - fixed - dict.size() - 1, ' ');
  dict += '\n';
  if (dict.size() > 65535) fail("npy", "a header under 64 KiB (format 1.0)", std::to_string(dict.size()) + " bytes");
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  return out + dict;
}

// The value text after `'key':` in NumPy's header dict (a Python literal).
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  auto k = header.find("'" + key + "'");
  if (k == std::string::npos) k = header.find("\"" + key + "\"");
  if (k == std::string::npos) fail("npy", "a header with '" + key + "'", header, {path});
  auto colon = header.find(':', k);
  if (colon == std::string::npos) fail("npy", "'" + key + "': value", header, {path});
  size_t begin = header.find_first_not_of(' ', colon + 1);
  if (begin == std::string::npos) fail("npy", "a value for '" + key + "'", header, {path});
  size_t end;
  if (header[begin] == '(') {
    end = header.find(')', begin);
    if (end == std::string::npos) fail("npy", "a closed shape tuple", header, {path});
    ++end;
  } else if (header[begin] == '\'' || header[begin] == '"') {
    end = header.find(header[begin], begin + 1);
    if (end == std::string::npos) fail("npy", "a closed string", header, {path});
    ++end;
  } else {
    end = header.find_first_of(",}", begin);
    if (end == std::string::npos) end = header.size();
  }
  return header.substr(begin, end - begin);
}

std::vector<int64_t> parse_shape(const std::string& tuple, const std::string& path) {
  std::vector<int64_t> shape;
  std::string body = tuple.substr(1, tuple.size() - 2);
  size_t pos = 0;
  while (pos < body.size()) {
    size_t comma = body.find(',', pos);
    std::string item = body.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) {
      if (item.find_first_not_of("0123456789") != std::string::npos)
        fail("npy", "a shape of non-negative integers", tuple, {path});
      if (item.size() > 18) fail("npy", "shape dimensions below 10^18", tuple.substr(0, 200), {path});
      shape.push_back(std::stoll(item));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return shape;
}

}  // namespace

void write_npy(const std::string& path, const torch::Tensor& t) {
  if (!t.defined()) fail("npy", "a defined tensor", "an undefined one", {path});
  const std::string header = header_for(t);
  auto data = t.to(torch::kCPU).contiguous();  // avtune runs on little-endian hosts only, like LibTorch's CPU builds
  AtomicFile f(path);
  f.stream().write(header.data(), static_cast<std::streamsize>(header.size()));
  f.stream().write(static_cast<const char*>(data.data_ptr()), static_cast<std::streamsize>(data.nbytes()));
  f.commit();
}

torch::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail("npy", "a readable .npy file", "cannot open it", {path});
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  char pre[8] = {0};
  in.read(pre, 8);
  if (in.gcount() != 8 || std::memcmp(pre, kMagic, 6) != 0)
    fail("npy", "the .npy magic \\x93NUMPY", "something else", {path});
  const int major = static_cast<unsigned char>(pre[6]);
  if (major < 1 || major > 3) fail("npy", "format version 1, 2 or 3", std::to_string(major), {path});
  const int len_bytes = major == 1 ? 2 : 4;
  unsigned char len_raw[4] = {0};
  in.read(reinterpret_cast<char*>(len_raw), len_bytes);
  uint64_t hlen = 0;
  for (int k = 0; k < len_bytes; ++k) hlen |= static_cast<uint64_t>(len_raw[k]) << (8 * k);
  const uint64_t data_start = 8 + len_bytes + hlen;
  if (!in || data_start > file_size) fail("npy", "a header within the file", std::to_string(hlen) + " header bytes", {path});
  std::string header(hlen, '\0');
  in.read(header.data(), static_cast<std::streamsize>(hlen));

  std::string descr = dict_value(header, "descr", path);
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"'))
    fail("npy", "a simple dtype string (not a structured dtype)", descr, {path});
  descr = descr.substr(1, descr.size() - 2);
  if (!descr.empty() && descr[0] == '=') descr[0] = '<';  // native order on a little-endian host
  if (descr.size() == 3 && descr[0] == '<' && (descr[1] == 'i' || descr[1] == 'u' || descr[1] == 'b') && descr[2] == '1')
    descr[0] = '|';
  c10::optional<c10::ScalarType> dtype;
  for (const auto& d : kTypes)
    if (descr == d.descr) dtype = d.dtype;
  if (!dtype)
    fail("npy", "a little-endian dtype among <f2 <f4 <f8 <i2 <i4 <i8 |i1 |u1 |b1", "'" + descr + "'", {path});

  const std::string order = dict_value(header, "fortran_order", path);
  if (order != "False" && order != "True") fail("npy", "fortran_order True or False", order, {path});
  const std::string shape_text = dict_value(header, "shape", path);
  if (shape_text.empty() || shape_text.front() != '(') fail("npy", "a shape tuple", shape_text, {path});
  auto shape = parse_shape(shape_text, path);

  const bool fortran = order == "True";
  std::vector<int64_t> stored = shape;  // a Fortran array is the C array of the reversed shape, transposed
  if (fortran) std::reverse(stored.begin(), stored.end());
  // The payload size is checked against the file before allocating (a 100-byte file may claim 10^18 elements).
  uint64_t nbytes = c10::elementSize(*dtype);
  bool overflow = false;
  for (auto d : stored) overflow = overflow || __builtin_mul_overflow(nbytes, static_cast<uint64_t>(d), &nbytes);
  // With a zero dimension the byte size is 0 whatever the others are, but LibTorch's strides are the
  // products of the non-zero ones (a fuzzed header made them overflow: fuzz/regressions/npy).
  uint64_t extent = 1;
  for (auto d : stored)
    if (d > 0) overflow = overflow || __builtin_mul_overflow(extent, static_cast<uint64_t>(d), &extent);
  overflow = overflow || extent > (uint64_t{1} << 62);
  if (overflow || file_size - data_start < nbytes)
    fail("npy", (overflow ? std::string("a shape whose byte size fits 64 bits") : std::to_string(nbytes) + " data bytes") +
                    " for shape " + shape_text.substr(0, 200),
         std::to_string(file_size - data_start) + " bytes", {path});
  auto t = torch::empty(stored, torch::TensorOptions().dtype(*dtype));
  in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(nbytes));
  if (static_cast<uint64_t>(in.gcount()) != nbytes) fail("npy", "a readable payload", "a read error", {path});
  if (fortran && t.dim() > 1) {
    std::vector<int64_t> perm(t.dim());
    for (int64_t i = 0; i < t.dim(); ++i) perm[i] = t.dim() - 1 - i;
    t = t.permute(perm).contiguous();
  }
  return t;
}

}  // namespace avtune
