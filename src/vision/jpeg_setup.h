#pragma once
// libjpeg's error handling and decoder set-up, shared by image_io.cpp (whole images) and
// jpeg_region.cpp (the crop's region only), so both decode with the same settings and refuse the same files.
// jpeglib.h needs size_t and FILE declared first.
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>  // message codes (JWRN_JPEG_EOF)

#include <algorithm>
#include <csetjmp>
#include <cstdint>

#include "avtune/vision/image_io.h"

namespace avtune {
namespace {

// A corrupt header can claim gigapixel sizes; refuse before allocating (2^28 px = 768 MiB as RGB).
constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

// libjpeg API (libjpeg-turbo's TurboJPEG header is not installed by libjpeg62-turbo-dev).
// libjpeg's default error_exit calls exit(); ours longjmps back to the decode call. The functions
// that call setjmp hold no C++ objects of their own, so the jump skips no destructors.
struct JpegErrors {
  jpeg_error_mgr mgr;  // first member: libjpeg hands back &mgr and we recover the whole struct
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64];
  bool truncated;
};

[[noreturn]] void on_jpeg_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  cinfo->err->format_message(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// Warnings: "Premature end of JPEG file" means truncated data, which libjpeg would silently pad with
// gray; PIL refuses such files, so do we. Other corrupt-data warnings are tolerated as PIL does, and
// nothing is printed to stderr.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
    errors->truncated = true;
    cinfo->err->format_message(cinfo, errors->message);
    std::longjmp(errors->jump, 1);
  }
}

void init_jpeg_errors(JpegErrors* errors) {
  jpeg_std_error(&errors->mgr);
  errors->mgr.error_exit = on_jpeg_error;
  errors->mgr.emit_message = on_jpeg_message;
  errors->message[0] = '\0';
  errors->truncated = false;
}

// After jpeg_read_header: the size limit, the output colour space (PIL's RGB conversion), PIL's draft
// scale when asked, then the output dimensions. False (message in `errors`) for what is refused.
// Runs under the caller's setjmp: libjpeg errors longjmp there.
bool setup_jpeg_decode(jpeg_decompress_struct* cinfo, JpegErrors* errors, const ImageDecodeOptions& opts) {
  // The declared size, not the draft's output: a progressive JPEG buffers every coefficient at full
  // size (a 35-byte file claiming 31500 x 16394 px took seconds and ~1.5 GB; fuzz_image).
  if (static_cast<uint64_t>(cinfo->image_width) * cinfo->image_height > kMaxPixels) {
    std::snprintf(errors->message, sizeof errors->message, "an image of %u x %u pixels (at most 2^28 allowed)",
                  static_cast<unsigned>(cinfo->image_width), static_cast<unsigned>(cinfo->image_height));
    return false;
  }
  // Default decoder settings (islow IDCT, fancy upsampling), as PIL uses them: decodes match PIL's.
  if (cinfo->jpeg_color_space == JCS_GRAYSCALE) {
    cinfo->out_color_space = JCS_GRAYSCALE;
  } else if (cinfo->jpeg_color_space == JCS_YCbCr || cinfo->jpeg_color_space == JCS_RGB) {
    cinfo->out_color_space = JCS_RGB;
  } else {
    std::snprintf(errors->message, sizeof errors->message,
                  "an unsupported JPEG colour space (%d components, CMYK/YCCK are not read)", cinfo->num_components);
    return false;
  }
  if (opts.min_height > 0 && opts.min_width > 0) {
    // PIL's draft: the largest of 1/8, 1/4, 1/2 with both sides still at least the requested ones.
    const int64_t scale = std::min(static_cast<int64_t>(cinfo->image_width) / opts.min_width,
                                   static_cast<int64_t>(cinfo->image_height) / opts.min_height);
    cinfo->scale_num = 1;
    cinfo->scale_denom = scale >= 8 ? 8 : scale >= 4 ? 4 : scale >= 2 ? 2 : 1;
  }
  jpeg_calc_output_dimensions(cinfo);
  return true;
}

}  // namespace
}  // namespace avtune
