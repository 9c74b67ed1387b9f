#include "avtune/vision/fused_transforms.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "avtune/util/error.h"
#include "avtune/util/tensor_text.h"
#include "resize_taps.h"

namespace avtune {

namespace {

// ToTensor then Normalize of one 8-bit value, with their float operations: x / 255, (x - m) / s.
inline float normalized(uint8_t v, float m, float s) { return (static_cast<float>(v) / 255.0f - m) / s; }

// The same for every 8-bit value of each channel.
std::array<std::array<float, 256>, 3> value_table(const std::array<float, 3>& mean, const std::array<float, 3>& std) {
  std::array<std::array<float, 256>, 3> t;
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v) t[c][v] = normalized(static_cast<uint8_t>(v), mean[c], std[c]);
  return t;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define AVTUNE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))  // AVX2/AVX-512 32-bit multiply
#else
#define AVTUNE_CLONES
#endif

// PIL's 8-bit filter along lines: output line o = the taps' input lines weighted, rounded, clipped.
// Lines are `len` bytes, contiguous, so the multiply-adds vectorise.
AVTUNE_CLONES
void resample_lines(const uint8_t* __restrict in, int64_t in_stride, int64_t n_in, const Taps& t, int64_t n_out,
                    int64_t len, uint8_t* __restrict out, int32_t* __restrict acc) {
  for (int64_t o = 0; o < n_out; ++o) {
    // Only the window's taps: PIL sums those alone, and the span's others weigh 0.
    const int64_t first = t.first[static_cast<size_t>(o)], n = std::min(t.count[static_cast<size_t>(o)], n_in - first);
    const int32_t* q = &t.fixed[static_cast<size_t>(o * t.span)];
    for (int64_t j = 0; j < len; ++j) acc[j] = 1 << (kWeightBits - 1);  // rounds the shift to nearest
    for (int64_t k = 0; k < n; ++k) {
      const uint8_t* __restrict line = in + (first + k) * in_stride;
      const int32_t w = q[k];
      for (int64_t j = 0; j < len; ++j) acc[j] += static_cast<int32_t>(line[j]) * w;
    }
    for (int64_t j = 0; j < len; ++j) out[o * len + j] = clip8(acc[j]);
  }
}

// (rows x cols) RGB pixels, row stride `stride` bytes -> (cols x rows), so that a horizontal filter
// runs along contiguous lines. Blocks of 16 rows keep the writes in cache; pixels move as 4-byte
// words (the 4th byte is the next pixel's, rewritten right after) except at the ends of the buffers.
void transpose_rgb_scalar(const uint8_t* __restrict in, int64_t rows, int64_t cols, int64_t stride, uint8_t* __restrict out) {
  for (int64_t r0 = 0; r0 < rows; r0 += 16) {
    const int64_t r1 = std::min(rows, r0 + 16);
    for (int64_t x = 0; x < cols; ++x)
      for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* s = in + r * stride + 3 * x;
        uint8_t* d = out + (x * rows + r) * 3;
        if (r + 1 < r1 && x + 1 < cols) {
          uint32_t v;
          std::memcpy(&v, s, 4);
          std::memcpy(d, &v, 4);
        } else {
          d[0] = s[0];
          d[1] = s[1];
          d[2] = s[2];
        }
      }
  }
}

using ValueTable = std::array<std::array<float, 256>, 3>;

// One output row of interleaved RGB through the table into the three planes, mirrored when flipped.
// Pixel by pixel into three streams: 20 % faster than a plane at a time (whose stride-3 gathers the
// compiler vectorises badly) in a micro-benchmark of 3 frames of 224 x 224.
void store_rgb_row_table(const uint8_t* __restrict row, int64_t y, int64_t ow, bool flip, const ValueTable& table,
                         float* __restrict out, int64_t plane_stride) {
  float* __restrict d0 = out + y * ow;
  float* __restrict d1 = d0 + plane_stride;
  float* __restrict d2 = d1 + plane_stride;
  const float *t0 = table[0].data(), *t1 = table[1].data(), *t2 = table[2].data();
  for (int64_t x = 0; x < ow; ++x) {
    const int64_t xo = flip ? ow - 1 - x : x;
    d0[xo] = t0[row[3 * x]];
    d1[xo] = t1[row[3 * x + 1]];
    d2[xo] = t2[row[3 * x + 2]];
  }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define AVTUNE_HAS_WIDE_STORE 1
// GCC 12 warns inside its own AVX-512 intrinsics (their undefined "don't care" operands).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Channel c of 16 interleaved pixels (64 bytes read), ToTensor and Normalize computed with
// value_table's very float operations (x / 255, - m, / s; IEEE division rounds the same in a vector
// lane), so the same bits as the table without its 3 lookups per pixel: 4x faster (vpermb
// deinterleaves, vdivps divides; GCC's own shuffle of the bytes went through scalar registers).
__attribute__((target("arch=x86-64-v4,avx512vbmi"), always_inline)) inline __m512 channel16(__m512i bytes, int c,
                                                                                            float m, float s) {
  const __m512i idx = _mm512_add_epi32(_mm512_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45),
                                       _mm512_set1_epi32(c));
  const __m512i v = _mm512_and_si512(_mm512_permutexvar_epi8(idx, bytes), _mm512_set1_epi32(0xff));
  const __m512 f = _mm512_div_ps(_mm512_cvtepi32_ps(v), _mm512_set1_ps(255.0f));
  return _mm512_div_ps(_mm512_sub_ps(f, _mm512_set1_ps(m)), _mm512_set1_ps(s));
}

__attribute__((target("arch=x86-64-v4,avx512vbmi"), always_inline)) inline void put16(float* d, int64_t x, int64_t ow,
                                                                                        bool flip, __m512 f) {
  if (flip)
    _mm512_storeu_ps(d + ow - x - 16,
                     _mm512_permutexvar_ps(_mm512_setr_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), f));
  else
    _mm512_storeu_ps(d + x, f);
}

__attribute__((target("arch=x86-64-v4,avx512vbmi"))) void store_rgb_row_wide(
    const uint8_t* __restrict row, int64_t y, int64_t ow, bool flip, const std::array<float, 3>& mean,
    const std::array<float, 3>& std, float* __restrict out, int64_t plane_stride) {
  float* __restrict d0 = out + y * ow;
  float* __restrict d1 = d0 + plane_stride;
  float* __restrict d2 = d1 + plane_stride;
  int64_t x = 0;
  for (; 3 * x + 64 <= 3 * ow; x += 16) {  // 64 bytes read, 48 used: never past the row's end
    const __m512i b = _mm512_loadu_si512(row + 3 * x);
    put16(d0, x, ow, flip, channel16(b, 0, mean[0], std[0]));
    put16(d1, x, ow, flip, channel16(b, 1, mean[1], std[1]));
    put16(d2, x, ow, flip, channel16(b, 2, mean[2], std[2]));
  }
  for (; x < ow; ++x) {
    const int64_t xo = flip ? ow - 1 - x : x;
    d0[xo] = normalized(row[3 * x], mean[0], std[0]);
    d1[xo] = normalized(row[3 * x + 1], mean[1], std[1]);
    d2[xo] = normalized(row[3 * x + 2], mean[2], std[2]);
  }
}
#else
#define AVTUNE_HAS_WIDE_STORE 0
#endif

// Whether this processor runs store_rgb_row_wide (AVX-512 with VBMI).
bool wide_store() {
#if AVTUNE_HAS_WIDE_STORE
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                          __builtin_cpu_supports("avx512vbmi");
  return yes;
#else
  return false;
#endif
}

// The row store: computed 16 pixels at a time where the processor has AVX-512 VBMI, else through the
// table (built only then).
struct RowStore {
  const std::array<float, 3> mean, std;
  const bool wide = wide_store();
  ValueTable table{};
  RowStore(const std::array<float, 3>& m, const std::array<float, 3>& s) : mean(m), std(s) {
    if (!wide) table = value_table(m, s);
  }
  void operator()(const uint8_t* row, int64_t y, int64_t ow, bool flip, float* out, int64_t plane_stride) const {
#if AVTUNE_HAS_WIDE_STORE
    if (wide) return store_rgb_row_wide(row, y, ow, flip, mean, std, out, plane_stride);
#endif
    store_rgb_row_table(row, y, ow, flip, table, out, plane_stride);
  }
};

#if defined(__x86_64__) && defined(__GNUC__)
// The same in 4 x 4 pixel blocks with SSSE3: each row's 4 pixels widened to 4 words (pshufb), the
// words transposed, each column's 4 pixels packed back to 12 bytes. The rest as above.
__attribute__((target("ssse3"))) void transpose_rgb_ssse3(const uint8_t* __restrict in, int64_t rows, int64_t cols,
                                                          int64_t stride, uint8_t* __restrict out) {
  const __m128i widen = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
  const __m128i pack = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  const int64_t rows4 = rows & ~int64_t{3};
  // 16 bytes are read from pixel x: whole blocks while x + 6 <= cols stay inside the row's pixels.
  const int64_t cols4 = cols >= 6 ? ((cols - 2) & ~int64_t{3}) : 0;
  for (int64_t r0 = 0; r0 < rows4; r0 += 16) {
    const int64_t r1 = std::min(rows4, r0 + 16);
    for (int64_t x = 0; x < cols4; x += 4)
      for (int64_t r = r0; r < r1; r += 4) {
        const uint8_t* s = in + r * stride + 3 * x;
        const __m128i a = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)), widen);
        const __m128i b = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + stride)), widen);
        const __m128i c = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 2 * stride)), widen);
        const __m128i d = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 3 * stride)), widen);
        const __m128i ab0 = _mm_unpacklo_epi32(a, b), ab1 = _mm_unpackhi_epi32(a, b);
        const __m128i cd0 = _mm_unpacklo_epi32(c, d), cd1 = _mm_unpackhi_epi32(c, d);
        const __m128i col[4] = {_mm_unpacklo_epi64(ab0, cd0), _mm_unpackhi_epi64(ab0, cd0), _mm_unpacklo_epi64(ab1, cd1),
                                _mm_unpackhi_epi64(ab1, cd1)};
        for (int i = 0; i < 4; ++i) {
          const __m128i v = _mm_shuffle_epi8(col[i], pack);
          uint8_t* dst = out + ((x + i) * rows + r) * 3;
          _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), v);
          const uint32_t tail = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(v, 8)));
          std::memcpy(dst + 8, &tail, 4);
        }
      }
  }
  // The edges: the last rows (all columns) and the last columns (the block rows).
  auto pixel = [&](int64_t r, int64_t x) {
    const uint8_t* s = in + r * stride + 3 * x;
    uint8_t* dst = out + (x * rows + r) * 3;
    dst[0] = s[0];
    dst[1] = s[1];
    dst[2] = s[2];
  };
  for (int64_t r = rows4; r < rows; ++r)
    for (int64_t x = 0; x < cols; ++x) pixel(r, x);
  for (int64_t r = 0; r < rows4; ++r)
    for (int64_t x = cols4; x < cols; ++x) pixel(r, x);
}
#endif

void transpose_rgb(const uint8_t* in, int64_t rows, int64_t cols, int64_t stride, uint8_t* out) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool ssse3 = __builtin_cpu_supports("ssse3");
  if (ssse3) return transpose_rgb_ssse3(in, rows, cols, stride, out);
#endif
  transpose_rgb_scalar(in, rows, cols, stride, out);
}

}  // namespace

void train_transform_into(const torch::Tensor& hwc, at::Generator& gen, const TrainTransformOptions& opts, float* out,
                          int64_t plane_stride) {
  if (!hwc.defined() || hwc.dim() != 3 || hwc.size(2) != 3 || hwc.scalar_type() != torch::kUInt8 ||
      !hwc.device().is_cpu() || hwc.size(0) < 1 || hwc.size(1) < 1)
    fail("image-transform", "train_transform_into input as a CPU uint8 (H, W, 3) image",
         hwc.defined() ? dtype_str(hwc.scalar_type()) + " " + shape_str(hwc) : "an undefined tensor");
  for (float s : opts.std)
    if (!(s != 0.0f) || !std::isfinite(s)) fail("image-transform", "finite non-zero normalize std", std::to_string(s));
  const auto img = hwc.contiguous();
  const int64_t H = img.size(0), W = img.size(1), oh = opts.height, ow = opts.width;
  if (oh < 1 || ow < 1) fail("image-transform", "an output of at least 1 x 1", std::to_string(oh) + " x " + std::to_string(ow));
  // train_transform's draws, in its order: the crop, then the flip.
  const CropParams p = sample_resized_crop(H, W, gen, opts.crop);
  const bool flip = torch::rand({1}, gen).item<float>() < static_cast<float>(opts.flip_probability);
  resized_crop_into(img, p, flip, opts, out, plane_stride);
}

void resized_crop_into(const torch::Tensor& hwc, const CropParams& p, bool flip, const TrainTransformOptions& opts,
                       float* out, int64_t plane_stride) {
  const auto img = hwc.contiguous();
  const int64_t H = img.size(0), W = img.size(1), oh = opts.height, ow = opts.width;
  const RowStore store(opts.mean, opts.std);
  auto store_row = [&](const uint8_t* row, int64_t y) { store(row, y, ow, flip, out, plane_stride); };
  if (p.top < 0 || p.left < 0 || p.top + p.height > H || p.left + p.width > W) {
    // Not from RandomResizedCrop's own draws (they stay inside): the general path, zero-filled crop.
    auto x = resized_crop(img.permute({2, 0, 1}), p, oh, ow);
    if (flip) x = hflip(x);
    x = x.permute({1, 2, 0}).contiguous();
    for (int64_t y = 0; y < oh; ++y) store_row(x.data_ptr<uint8_t>() + y * ow * 3, y);
    return;
  }
  const int64_t ch = p.height, cw = p.width, stride = W * 3;
  const uint8_t* src = img.data_ptr<uint8_t>() + (p.top * W + p.left) * 3;

  // PIL's order and rounding: the horizontal pass (only when the width changes) into an 8-bit
  // intermediate, then the vertical one (only when the height changes). The horizontal one runs on
  // the transposed crop, where its taps are whole lines.
  thread_local std::vector<uint8_t> a, b, mid;
  thread_local std::vector<int32_t> acc;
  acc.resize(static_cast<size_t>(std::max(ch, ow) * 3));
  const uint8_t* rows = src;
  int64_t rows_stride = stride;
  if (cw != ow) {
    a.resize(static_cast<size_t>(cw * ch * 3));
    b.resize(static_cast<size_t>(ow * ch * 3));
    mid.resize(static_cast<size_t>(ch * ow * 3));
    transpose_rgb(src, ch, cw, stride, a.data());
    resample_lines(a.data(), ch * 3, cw, make_taps(cw, ow), ow, ch * 3, b.data(), acc.data());
    transpose_rgb(b.data(), ow, ch, ch * 3, mid.data());
    rows = mid.data();
    rows_stride = ow * 3;
  }
  if (ch == oh) {
    for (int64_t y = 0; y < oh; ++y) store_row(rows + y * rows_stride, y);
    return;
  }
  a.resize(static_cast<size_t>(oh * ow * 3));
  resample_lines(rows, rows_stride, ch, make_taps(ch, oh), oh, ow * 3, a.data(), acc.data());
  for (int64_t y = 0; y < oh; ++y) store_row(a.data() + y * ow * 3, y);
}

}  // namespace avtune
