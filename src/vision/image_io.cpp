#include "avtune/vision/image_io.h"

#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <new>
#include <vector>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"
#include "jpeg_setup.h"

namespace avtune {

namespace {

constexpr const char* kComponent = "image";

const uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

// Decoder output before it becomes a tensor: rows of `channels` interleaved samples (1 to 4).
struct Pixels {
  std::vector<uint8_t> data;
  std::vector<uint8_t*> rows;
  int height = 0, width = 0, channels = 0;
};

// Sizes the buffer; reports failure (never throws) because it runs between setjmp and longjmp.
bool allocate(Pixels* px, int height, int width, int channels, char* message, size_t message_size) {
  const uint64_t n_px = static_cast<uint64_t>(height) * static_cast<uint64_t>(width);
  if (height <= 0 || width <= 0 || n_px > kMaxPixels) {
    std::snprintf(message, message_size, "an image of %d x %d pixels (at most 2^28 and at least 1 allowed)",
                  width, height);
    return false;
  }
  try {
    px->data.resize(n_px * static_cast<uint64_t>(channels));
    px->rows.resize(static_cast<size_t>(height));
  } catch (const std::bad_alloc&) {
    std::snprintf(message, message_size, "out of memory for %d x %d pixels", width, height);
    return false;
  }
  px->height = height;
  px->width = width;
  px->channels = channels;
  const size_t stride = static_cast<size_t>(width) * static_cast<size_t>(channels);
  for (int y = 0; y < height; ++y) px->rows[static_cast<size_t>(y)] = px->data.data() + stride * static_cast<size_t>(y);
  return true;
}

bool decode_jpeg_raw(const uint8_t* data, size_t n, Pixels* px, JpegErrors* errors, const ImageDecodeOptions& opts) {
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = &errors->mgr;
  if (setjmp(errors->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(n));
  jpeg_read_header(&cinfo, TRUE);
  if (!setup_jpeg_decode(&cinfo, errors, opts)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  if (!allocate(px, static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width),
                cinfo.output_components, errors->message, sizeof errors->message)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_start_decompress(&cinfo);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = px->rows[cinfo.output_scanline];
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

bool encode_jpeg_raw(const Pixels& px, int quality, unsigned char** out, unsigned long* out_size,
                     JpegErrors* errors) {
  jpeg_compress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = &errors->mgr;
  if (setjmp(errors->jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, out_size);  // malloc'd into *out; the caller frees it
  cinfo.image_width = static_cast<JDIMENSION>(px.width);
  cinfo.image_height = static_cast<JDIMENSION>(px.height);
  cinfo.input_components = px.channels;
  cinfo.in_color_space = px.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);  // 4:2:0 chroma subsampling, as PIL's and most encoders' default
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = px.rows[cinfo.next_scanline];
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

// ---------------------------------------------------------------------------------------------------
// PNG (libpng's low-level API: its simplified API would apply gamma when reducing 16-bit samples and
// composite alpha, neither of which PIL does).

struct PngJob {
  const uint8_t* data = nullptr;  // reading
  size_t size = 0, pos = 0;
  std::string* sink = nullptr;    // writing
  bool truncated = false;
  char message[256] = {0};
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof job->message, "%s", msg);
  png_longjmp(png, 1);
}

// Warnings (e.g. a bad ancillary chunk CRC, an "incorrect sRGB profile") do not change the pixels.
void on_png_warning(png_structp, png_const_charp) {}

void on_png_read(png_structp png, png_bytep dst, size_t len) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (len > job->size - job->pos) {
    job->truncated = true;
    png_error(png, "unexpected end of data");
  }
  std::memcpy(dst, job->data + job->pos, len);
  job->pos += len;
}

void on_png_write(png_structp png, png_bytep src, size_t len) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  bool ok = true;
  try {
    job->sink->append(reinterpret_cast<const char*>(src), len);
  } catch (const std::bad_alloc&) {
    ok = false;  // png_error longjmps: leave the catch block first
  }
  if (!ok) png_error(png, "out of memory");
}

void on_png_flush(png_structp) {}

bool decode_png_raw(Pixels* px, PngJob* job) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, on_png_error, on_png_warning);
  if (png == nullptr) {
    std::snprintf(job->message, sizeof job->message, "libpng could not start (out of memory)");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  png_set_read_fn(png, job, on_png_read);
  png_read_info(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  const int color_type = png_get_color_type(png, info);
  // 16 -> 8 bits by keeping the high byte: what PIL does for RGB(A) and gray+alpha.
  if (bit_depth == 16) png_set_strip_16(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  // 1/2/4-bit gray is scaled to 0..255 (a 1-bit 1 becomes 255), as PIL's "1" and "L;2"/"L;4" modes.
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  if (!allocate(px, static_cast<int>(png_get_image_height(png, info)), static_cast<int>(png_get_image_width(png, info)),
                channels, job->message, sizeof job->message)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  if (png_get_rowbytes(png, info) != static_cast<size_t>(px->width) * static_cast<size_t>(channels)) {
    std::snprintf(job->message, sizeof job->message, "an unexpected row layout after conversion to 8 bits");
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_read_image(png, px->rows.data());
  // Chunks after the image data are not read: they cannot change the pixels.
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

bool encode_png_raw(const Pixels& px, PngJob* job) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job, on_png_error, on_png_warning);
  if (png == nullptr) {
    std::snprintf(job->message, sizeof job->message, "libpng could not start (out of memory)");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  png_set_write_fn(png, job, on_png_write, on_png_flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(px.width), static_cast<png_uint_32>(px.height), 8,
               px.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, const_cast<png_bytepp>(px.rows.data()));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

// ---------------------------------------------------------------------------------------------------

std::string first_bytes(const uint8_t* data, size_t n) {
  if (n == 0) return "an empty file";
  std::string s = std::to_string(n) + " byte(s) starting";
  char hex[8];
  for (size_t i = 0; i < n && i < 8; ++i) {
    std::snprintf(hex, sizeof hex, " %02X", data[i]);
    s += hex;
  }
  return s;
}

// (3, H, W) RGB from interleaved 1-4 channels: gray is replicated, alpha dropped.
torch::Tensor to_chw_rgb(Pixels& px) {
  auto hwc = torch::from_blob(px.data.data(), {px.height, px.width, px.channels}, torch::kUInt8);
  torch::Tensor rgb = px.channels >= 3 ? hwc.narrow(2, 0, 3) : hwc.narrow(2, 0, 1).expand({px.height, px.width, 3});
  // clone, not contiguous(): a 1x1 image is "contiguous" already and would keep pointing into `px`.
  return rgb.permute({2, 0, 1}).clone(at::MemoryFormat::Contiguous);
}

// The tensor as rows of interleaved samples, for the encoders. `hwc` keeps the memory alive.
Pixels rows_of(const torch::Tensor& chw, const std::string& path, torch::Tensor* hwc) {
  if (chw.dim() != 3 || (chw.size(0) != 3 && chw.size(0) != 1) || chw.scalar_type() != torch::kUInt8 ||
      chw.size(1) < 1 || chw.size(2) < 1)
    fail(kComponent, "a uint8 (3, H, W) or (1, H, W) image tensor to write",
         dtype_str(chw.scalar_type()) + " " + shape_str(chw), {path});
  *hwc = chw.to(torch::kCPU).permute({1, 2, 0}).contiguous();
  Pixels px;
  px.channels = static_cast<int>(chw.size(0));
  px.height = static_cast<int>(chw.size(1));
  px.width = static_cast<int>(chw.size(2));
  const size_t stride = static_cast<size_t>(px.width) * static_cast<size_t>(px.channels);
  for (int y = 0; y < px.height; ++y) px.rows.push_back(hwc->data_ptr<uint8_t>() + stride * static_cast<size_t>(y));
  return px;
}

}  // namespace

ImageFormat detect_image_format(const uint8_t* data, size_t n, const std::string& name_for_errors) {
  if (n >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::Jpeg;
  if (n >= 8 && std::memcmp(data, kPngSignature, 8) == 0) return ImageFormat::Png;
  fail(kComponent, "a JPEG or PNG image (by its first bytes)", first_bytes(data, n), {name_for_errors});
}

namespace {

Pixels decode_pixels(const uint8_t* data, size_t n, const std::string& name_for_errors, const ImageDecodeOptions& opts) {
  Pixels px;
  if (detect_image_format(data, n, name_for_errors) == ImageFormat::Jpeg) {
    JpegErrors errors;
    init_jpeg_errors(&errors);
    if (!decode_jpeg_raw(data, n, &px, &errors, opts)) {
      if (errors.truncated)
        fail(kComponent, "a complete JPEG image", std::string("truncated data (") + errors.message + ")",
             {name_for_errors});
      fail(kComponent, "a decodable JPEG image", std::string("a corrupt or unsupported one: ") + errors.message,
           {name_for_errors});
    }
  } else {
    PngJob job;
    job.data = data;
    job.size = n;
    if (!decode_png_raw(&px, &job)) {
      if (job.truncated)
        fail(kComponent, "a complete PNG image", std::string("truncated data (") + job.message + ")",
             {name_for_errors});
      fail(kComponent, "a decodable PNG image", std::string("a corrupt or unsupported one: ") + job.message,
           {name_for_errors});
    }
  }
  return px;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(kComponent, "an image file", "a directory", {path});
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(kComponent, "a readable image file", std::strerror(errno), {path});
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(kComponent, "a readable image file", "a read error", {path});
  return bytes;
}

}  // namespace

torch::Tensor decode_image(const uint8_t* data, size_t n, const std::string& name_for_errors) {
  Pixels px = decode_pixels(data, n, name_for_errors, {});
  return to_chw_rgb(px);
}

torch::Tensor read_image(const std::string& path) {
  const auto bytes = read_bytes(path);
  return decode_image(bytes.data(), bytes.size(), path);
}

torch::Tensor read_image_hwc(const std::string& path, const ImageDecodeOptions& opts) {
  const auto bytes = read_bytes(path);
  Pixels px = decode_pixels(bytes.data(), bytes.size(), path, opts);
  if (px.channels == 3) {  // the decoder's buffer becomes the tensor's, without a copy
    auto* owner = new std::vector<uint8_t>(std::move(px.data));
    return torch::from_blob(owner->data(), {px.height, px.width, 3}, [owner](void*) { delete owner; },
                            torch::kUInt8);
  }
  return to_chw_rgb(px).permute({1, 2, 0}).contiguous();
}

void write_jpeg(const std::string& path, const torch::Tensor& chw_uint8, int quality) {
  const std::vector<uint8_t> bytes = encode_jpeg(chw_uint8, quality, path);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

std::vector<uint8_t> encode_jpeg(const torch::Tensor& chw_uint8, int quality, const std::string& name_for_errors) {
  if (quality < 1 || quality > 100)
    fail(kComponent, "a JPEG quality in [1, 100]", std::to_string(quality), {name_for_errors});
  torch::Tensor hwc;
  Pixels px = rows_of(chw_uint8, name_for_errors, &hwc);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  JpegErrors errors;
  init_jpeg_errors(&errors);
  const bool ok = encode_jpeg_raw(px, quality, &buffer, &size, &errors);
  std::unique_ptr<unsigned char, void (*)(void*)> owned(buffer, std::free);
  if (!ok) fail(kComponent, "a JPEG encoding", std::string("libjpeg error: ") + errors.message, {name_for_errors});
  return std::vector<uint8_t>(buffer, buffer + size);
}

void write_png(const std::string& path, const torch::Tensor& chw_uint8) {
  torch::Tensor hwc;
  Pixels px = rows_of(chw_uint8, path, &hwc);
  std::string bytes;
  PngJob job;
  job.sink = &bytes;
  if (!encode_png_raw(px, &job)) fail(kComponent, "a PNG encoding", std::string("libpng error: ") + job.message, {path});
  write_file_atomic(path, bytes);
}

}  // namespace avtune
