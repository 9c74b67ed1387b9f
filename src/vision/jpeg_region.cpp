#include "avtune/vision/jpeg_region.h"

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <vector>

#include "avtune/util/error.h"
#include "avtune/vision/fused_transforms.h"
#include "jpeg_setup.h"

namespace avtune {

namespace {

// Output pixels around the box decoded as well: fancy upsampling replicates the edge chroma sample
// at a cropped decode's first and last columns, where a full decode reads its neighbour, so the box
// must stay 2 pixels (one 4:2:0 chroma sample) inside what is decoded. Rows likewise, for safety.
constexpr int64_t kMargin = 2;

// The libjpeg state lives in the caller's frame between the phases below; each phase sets its own
// setjmp and holds no C++ objects (image_io.cpp's rule), so an error longjmps back into it and it
// returns false with the message in `errors`.
struct RegionJob {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  bool created = false;
};

// Header and set-up. `supported`: 3-channel output, which the region decode handles.
bool region_header(RegionJob* job, const uint8_t* data, size_t n, const ImageDecodeOptions& opts) {
  if (setjmp(job->errors.jump)) return false;
  jpeg_create_decompress(&job->cinfo);
  job->created = true;
  jpeg_mem_src(&job->cinfo, data, static_cast<unsigned long>(n));
  jpeg_read_header(&job->cinfo, TRUE);
  return setup_jpeg_decode(&job->cinfo, &job->errors, opts);
}

// Starts the decode and crops the columns; `x0` and `width` in: the columns wanted, out: libjpeg's
// (aligned to its iMCU columns, containing the wanted ones).
bool region_start(RegionJob* job, JDIMENSION* x0, JDIMENSION* width) {
  if (setjmp(job->errors.jump)) return false;
  jpeg_start_decompress(&job->cinfo);
  if (*x0 != 0 || *width != job->cinfo.output_width) jpeg_crop_scanline(&job->cinfo, x0, width);
  return true;
}

// Rows r0..r0+rows-1 into `out` (rows of the cropped width, and one spare row after them), then the
// rest skipped; a truncated file fails as a full decode does.
bool region_rows(RegionJob* job, JDIMENSION r0, JDIMENSION rows, uint8_t* out, size_t stride, bool ends_with_eoi) {
  if (setjmp(job->errors.jump)) return false;
  jpeg_decompress_struct* c = &job->cinfo;
  if (r0 > 0) jpeg_skip_scanlines(c, r0);
  for (JDIMENSION r = 0; r < rows; ++r) {
    JSAMPROW row = out + stride * r;
    jpeg_read_scanlines(c, &row, 1);
  }
  // libjpeg-turbo's skip to the very end reads nothing more. A file that does not end in its EOI marker
  // may be cut below the box: skipped to the last row instead, the rows in between are still
  // entropy-decoded, so it fails here as in a full decode.
  if (!ends_with_eoi && c->output_scanline + 1 < c->output_height)
    jpeg_skip_scanlines(c, c->output_height - 1 - c->output_scanline);
  if (ends_with_eoi && c->output_scanline < c->output_height)
    jpeg_skip_scanlines(c, c->output_height - c->output_scanline);
  if (c->output_scanline < c->output_height) {
    JSAMPROW row = out + stride * rows;  // the caller's spare row after the region
    jpeg_read_scanlines(c, &row, 1);
  }
  jpeg_finish_decompress(c);
  return true;
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail("image", "a readable image file", std::strerror(errno), {path});
  const auto size = static_cast<size_t>(in.tellg());
  std::vector<uint8_t> bytes(size);
  in.seekg(0);
  if (size && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    fail("image", "a readable image file", "a read error", {path});
  return bytes;
}

}  // namespace

DecodedRegion read_image_region_hwc(const std::string& path, const ImageDecodeOptions& opts,
                                    const std::function<ImageBox(int64_t, int64_t)>& choose) {
  auto whole = [&] {
    DecodedRegion r;
    r.hwc = read_image_hwc(path, opts);
    const ImageBox box = choose(r.hwc.size(0), r.hwc.size(1));
    (void)box;  // the whole image contains it
    return r;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return whole();  // read_image_hwc's error
  const auto bytes = file_bytes(path);
  if (bytes.size() < 3 || bytes[0] != 0xFF || bytes[1] != 0xD8 || bytes[2] != 0xFF) return whole();  // PNG or not an image

  RegionJob job;
  std::memset(&job.cinfo, 0, sizeof job.cinfo);
  init_jpeg_errors(&job.errors);
  job.cinfo.err = &job.errors.mgr;
  struct Destroy {
    RegionJob* j;
    ~Destroy() {
      if (j->created) jpeg_destroy_decompress(&j->cinfo);
    }
  } destroy{&job};
  auto failed = [&]() -> DecodedRegion {
    // The whole-image decoder words every refusal (truncated, corrupt, too large) as it always has.
    read_image_hwc(path, opts);
    fail("image", "a decodable JPEG image", std::string("a corrupt or unsupported one: ") + job.errors.message, {path});
  };
  if (!region_header(&job, bytes.data(), bytes.size(), opts)) return failed();
  if (job.cinfo.out_color_space != JCS_RGB) {
    jpeg_destroy_decompress(&job.cinfo);
    job.created = false;
    return whole();
  }
  const int64_t H = job.cinfo.output_height, W = job.cinfo.output_width;
  const ImageBox box = choose(H, W);
  if (box.height < 1 || box.width < 1 || box.top < 0 || box.left < 0 || box.top + box.height > H ||
      box.left + box.width > W)
    fail("image", "a region inside the " + std::to_string(W) + " x " + std::to_string(H) + " image",
         std::to_string(box.width) + " x " + std::to_string(box.height) + " at (" + std::to_string(box.left) + ", " +
             std::to_string(box.top) + ")",
         {path});
  const int64_t x_lo = std::max<int64_t>(0, box.left - kMargin), x_hi = std::min(W, box.left + box.width + kMargin);
  const int64_t y_lo = std::max<int64_t>(0, box.top - kMargin), y_hi = std::min(H, box.top + box.height + kMargin);
  JDIMENSION x0 = static_cast<JDIMENSION>(x_lo), width = static_cast<JDIMENSION>(x_hi - x_lo);
  if (!region_start(&job, &x0, &width)) return failed();
  DecodedRegion r;
  r.top = y_lo;
  r.left = x0;
  r.hwc = torch::empty({y_hi - y_lo + 1, static_cast<int64_t>(width), 3}, torch::kUInt8);
  if (!region_rows(&job, static_cast<JDIMENSION>(y_lo), static_cast<JDIMENSION>(y_hi - y_lo), r.hwc.data_ptr<uint8_t>(),
                   static_cast<size_t>(width) * 3, bytes[bytes.size() - 2] == 0xFF && bytes.back() == 0xD9))
    return failed();
  r.hwc = r.hwc.narrow(0, 0, y_hi - y_lo);
  return r;
}

void train_transform_file_into(const std::string& path, const ImageDecodeOptions& decode, at::Generator& gen,
                               const TrainTransformOptions& opts, float* out, int64_t plane_stride) {
  for (float s : opts.std)
    if (!(s != 0.0f) || !std::isfinite(s)) fail("image-transform", "finite non-zero normalize std", std::to_string(s));
  if (opts.height < 1 || opts.width < 1)
    fail("image-transform", "an output of at least 1 x 1", std::to_string(opts.height) + " x " + std::to_string(opts.width));
  CropParams p;
  // train_transform_into's draws in its order: the crop (from the decoded size), then the flip.
  const DecodedRegion r = read_image_region_hwc(path, decode, [&](int64_t H, int64_t W) {
    p = sample_resized_crop(H, W, gen, opts.crop);
    const bool inside = p.top >= 0 && p.left >= 0 && p.top + p.height <= H && p.left + p.width <= W;
    return inside ? ImageBox{p.top, p.left, p.height, p.width} : ImageBox{0, 0, H, W};
  });
  const bool flip = torch::rand({1}, gen).item<float>() < static_cast<float>(opts.flip_probability);
  CropParams q = p;  // in the region's coordinates
  q.top -= static_cast<int>(r.top);
  q.left -= static_cast<int>(r.left);
  resized_crop_into(r.hwc, q, flip, opts, out, plane_stride);
}

}  // namespace avtune
