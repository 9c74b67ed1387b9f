// Transforms against torchvision 0.14 applied to PIL images (the reference's pipeline), and the
// RandomResizedCrop sampler against torchvision's get_params under the same seeds.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "avtune/io/weights_file.h"
#include "avtune/util/error.h"
#include "avtune/vision/image_io.h"
#include "avtune/vision/image_transforms.h"
#include "../test_support.h"

using namespace avtune;

namespace {

// Stated tolerance for 8-bit geometry vs PIL (docs/vision.md): at most 1 level on at most 0.1% of
// samples. The implementation follows PIL's fixed-point arithmetic, so the measured figure is 0.
constexpr double kMaxLevels = 1.0;
constexpr double kMaxDifferingFraction = 1e-3;
// After ToTensor + Normalize, one level is 1 / (255 * std) <= 1 / (255 * 0.224).
constexpr double kNormalizedLevel = 1.0 / (255.0 * 0.224);

using test::error_of;

const StateDict& fixtures() {
  static const StateDict sd = load_weights(test::fixture("vision/transforms.pth"));
  return sd;
}

const StateDict& sampling() {
  static const StateDict sd = load_weights(test::fixture("vision/crop_sampling.pth"));
  return sd;
}

// Checks 8-bit parity and prints the measured figures.
void expect_pil_parity(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.scalar_type(), torch::kUInt8) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const auto diff = (got.to(torch::kInt) - want.to(torch::kInt)).abs();
  const double max_diff = diff.max().item<double>();
  const double mean_diff = diff.to(torch::kDouble).mean().item<double>();
  const double frac = diff.gt(0).to(torch::kDouble).mean().item<double>();
  std::cout << "  " << what << ": max " << max_diff << ", mean " << mean_diff << ", differing " << frac << "\n";
  EXPECT_LE(max_diff, kMaxLevels) << what;
  EXPECT_LE(frac, kMaxDifferingFraction) << what;
}

std::vector<int64_t> row(const torch::Tensor& t, int64_t i) {
  auto r = t[i].contiguous();
  return std::vector<int64_t>(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel());
}

}  // namespace

TEST(ImageTransforms, SourceDecodesAsInPython) {
  EXPECT_TRUE(torch::equal(read_image(test::fixture("vision/rgb.png")), fixtures().at("source")));
  EXPECT_TRUE(torch::equal(read_image(test::fixture("vision/frame.png")), fixtures().at("frame")));
}

TEST(ImageTransforms, ResizeMatchesTorchvisionOnPil) {
  const auto& fx = fixtures();
  const auto src = fx.at("source");
  const auto sizes = fx.at("resize_sizes");
  ASSERT_GE(sizes.size(0), 6);
  for (int64_t k = 0; k < sizes.size(0); ++k) {
    const auto hw = row(sizes, k);
    expect_pil_parity(resize(src, hw[0], hw[1]), fx.at("resize_" + std::to_string(k)),
                      "resize 97x131 -> " + std::to_string(hw[0]) + "x" + std::to_string(hw[1]));
  }
  const auto shorter = fx.at("shorter_sizes");
  for (int64_t k = 0; k < shorter.size(0); ++k) {
    const int64_t s = shorter[k].item<int64_t>();
    expect_pil_parity(resize_shorter_side(src, s), fx.at("shorter_" + std::to_string(k)),
                      "Resize(" + std::to_string(s) + ")");
  }
}

TEST(ImageTransforms, FloatResizeMatchesPilFloatMode) {
  const auto& fx = fixtures();
  const auto sizes = fx.at("float_resize_sizes");
  for (int64_t k = 0; k < sizes.size(0); ++k) {
    const auto hw = row(sizes, k);
    const auto got = resize(fx.at("float_source"), hw[0], hw[1]);
    const auto& want = fx.at("float_resize_" + std::to_string(k));
    ASSERT_EQ(got.scalar_type(), torch::kFloat);
    ASSERT_EQ(got.sizes(), want.sizes());
    const double d = test::max_abs_diff(got, want);
    std::cout << "  float resize -> " << hw[0] << "x" << hw[1] << ": max " << d << "\n";
    EXPECT_LT(d, 1e-5);  // float32 rounding of the intermediate image; no quantization
  }
}

TEST(ImageTransforms, CenterCropMatchesTorchvision) {
  const auto& fx = fixtures();
  const auto sizes = fx.at("center_crop_sizes");
  for (int64_t k = 0; k < sizes.size(0); ++k) {
    const auto hw = row(sizes, k);
    const auto got = center_crop(fx.at("source"), hw[0], hw[1]);
    EXPECT_TRUE(torch::equal(got, fx.at("center_crop_" + std::to_string(k))))
        << "center_crop " << hw[0] << "x" << hw[1];
  }
}

TEST(ImageTransforms, CenterCropRoundsHalfToEven) {
  const auto img = torch::arange(7, torch::kUInt8).view({1, 1, 7}).expand({1, 7, 7}).contiguous();
  // margin 3 -> offset round(1.5) = 2; margin 1 -> round(0.5) = 0; margin 5 -> round(2.5) = 2.
  EXPECT_EQ(center_crop(img, 1, 4)[0][0][0].item<int>(), 2);
  EXPECT_EQ(center_crop(img, 1, 6)[0][0][0].item<int>(), 0);
  EXPECT_EQ(center_crop(img, 1, 2)[0][0][0].item<int>(), 2);
}

TEST(ImageTransforms, ResizedCropMatchesTorchvision) {
  const auto& fx = fixtures();
  const auto params = fx.at("resized_crop_params");
  for (int64_t k = 0; k < params.size(0); ++k) {
    const auto p = row(params, k);
    const CropParams cp{static_cast<int>(p[0]), static_cast<int>(p[1]), static_cast<int>(p[2]), static_cast<int>(p[3])};
    expect_pil_parity(resized_crop(fx.at("source"), cp, p[4], p[5]), fx.at("resized_crop_" + std::to_string(k)),
                      "resized_crop #" + std::to_string(k));
  }
}

TEST(ImageTransforms, FlipToTensorNormalizeMatchTorchvision) {
  const auto& fx = fixtures();
  EXPECT_TRUE(torch::equal(hflip(fx.at("source")), fx.at("hflip")));
  EXPECT_TRUE(torch::equal(to_float01(fx.at("source")), fx.at("to_tensor")));
  const auto norm = normalize(to_float01(fx.at("source")), kImageNetMean, kImageNetStd);
  EXPECT_EQ(norm.scalar_type(), torch::kFloat);
  std::cout << "  normalize: max " << test::max_abs_diff(norm, fx.at("normalized")) << "\n";
  EXPECT_LE(test::max_abs_diff(norm, fx.at("normalized")), 1e-6);
}

TEST(ImageTransforms, EvalPipelineMatchesTorchvision) {
  const auto& fx = fixtures();
  const auto frame = fx.at("frame");
  const auto out = eval_transform(frame);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 224, 224}));
  EXPECT_LE(test::max_abs_diff(out, fx.at("eval_224")), kMaxLevels * kNormalizedLevel + 1e-6);
  std::cout << "  eval 180x240 -> 224x224: max " << test::max_abs_diff(out, fx.at("eval_224")) << "\n";
  EvalTransformOptions opts;
  opts.height = 112;
  opts.width = 160;
  const double d_small = test::max_abs_diff(eval_transform(frame, opts), fx.at("eval_112x160"));
  std::cout << "  eval 180x240 -> 112x160: max " << d_small << "\n";
  EXPECT_LE(d_small, kMaxLevels * kNormalizedLevel + 1e-6);
}

TEST(ImageTransforms, TrainPipelineMatchesTorchvisionForTheSameSeed) {
  const auto& fx = fixtures();
  const auto frame = fx.at("frame");
  const auto seeds = fx.at("train_seeds");
  const auto flips = fx.at("train_flips");
  bool saw_flip = false, saw_no_flip = false;
  for (int64_t k = 0; k < seeds.size(0); ++k) {
    const auto seed = static_cast<uint64_t>(seeds[k].item<int64_t>());
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto gen = make_generator(seed);
    const CropParams p = sample_resized_crop(frame.size(1), frame.size(2), gen);
    EXPECT_EQ(std::vector<int64_t>({p.top, p.left, p.height, p.width}), row(fx.at("train_params"), k));
    EXPECT_EQ(torch::rand({1}, gen).item<float>() < 0.5f, flips[k].item<bool>());
    (flips[k].item<bool>() ? saw_flip : saw_no_flip) = true;

    auto gen2 = make_generator(seed);
    const auto out = train_transform(frame, gen2);
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 224, 224}));
    const auto& want = fx.at("train_" + std::to_string(k));
    std::cout << "  train seed " << seed << ": max " << test::max_abs_diff(out, want) << "\n";
    EXPECT_LE(test::max_abs_diff(out, want), kMaxLevels * kNormalizedLevel + 1e-6);
  }
  EXPECT_TRUE(saw_flip && saw_no_flip) << "the fixture seeds should exercise both flip outcomes";
}

TEST(ImageTransforms, CropSamplingReproducesTorchvisionSeeds) {
  const auto& fx = sampling();
  int cases = 0;
  for (const auto& [key, params] : fx.entries()) {
    if (key.rfind("params_", 0) != 0) continue;
    const std::string name = key.substr(7);
    const auto shape = fx.at("shape_" + name), scale = fx.at("scale_" + name);
    RandomResizedCropOptions opts;
    opts.scale_min = scale[0].item<double>();
    opts.scale_max = scale[1].item<double>();
    int mismatches = 0;
    for (int64_t s = 0; s < params.size(0); ++s) {
      auto gen = make_generator(static_cast<uint64_t>(s));
      const CropParams p = sample_resized_crop(shape[0].item<int64_t>(), shape[1].item<int64_t>(), gen, opts);
      if (std::vector<int64_t>({p.top, p.left, p.height, p.width}) != row(params, s)) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0) << name;
    ++cases;
  }
  EXPECT_GE(cases, 8);
}

TEST(ImageTransforms, CropSamplingStaysInRange) {
  // The bounds undo the rounding: w = round(sqrt(A r)), h = round(sqrt(A / r)) within 0.5 each.
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{97, 131}, {224, 224}, {300, 200}};
  for (const auto& [H, W] : shapes) {
    auto gen = make_generator(12345);
    const double area = static_cast<double>(H * W);
    int fallbacks = 0;
    double min_frac = 1e9, max_frac = 0, sum_log_ratio = 0;
    const int n = 4000;
    for (int i = 0; i < n; ++i) {
      const CropParams p = sample_resized_crop(H, W, gen);
      ASSERT_GE(p.top, 0);
      ASSERT_GE(p.left, 0);
      ASSERT_GE(p.height, 1);
      ASSERT_GE(p.width, 1);
      ASSERT_LE(p.top + p.height, H);
      ASSERT_LE(p.left + p.width, W);
      const double w = p.width, h = p.height;
      const bool in_range = (w + 0.5) * (h + 0.5) >= 0.08 * area && (w - 0.5) * (h - 0.5) <= area &&
                            (w + 0.5) / (h - 0.5) >= 0.75 && (w - 0.5) / (h + 0.5) <= 4.0 / 3.0;
      if (!in_range) {
        ++fallbacks;
        continue;  // only the (deterministic) fallback may leave the sampled range
      }
      min_frac = std::min(min_frac, w * h / area);
      max_frac = std::max(max_frac, w * h / area);
      sum_log_ratio += std::log(w / h);
    }
    SCOPED_TRACE(std::to_string(H) + "x" + std::to_string(W));
    EXPECT_LT(min_frac, 0.1);
    EXPECT_GT(max_frac, 0.6);
    if (H == W) {
      EXPECT_NEAR(sum_log_ratio / (n - fallbacks), 0.0, 0.02);  // symmetric in log-ratio
    }
    EXPECT_LE(fallbacks, n / 100);
  }
}

TEST(ImageTransforms, CropSamplingIsDeterministicPerSeed) {
  auto a = make_generator(7), b = make_generator(7), c = make_generator(8);
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const CropParams pa = sample_resized_crop(97, 131, a), pb = sample_resized_crop(97, 131, b),
                     pc = sample_resized_crop(97, 131, c);
    EXPECT_EQ(std::vector<int>({pa.top, pa.left, pa.height, pa.width}),
              std::vector<int>({pb.top, pb.left, pb.height, pb.width}));
    differs |= pa.top != pc.top || pa.left != pc.left || pa.height != pc.height || pa.width != pc.width;
  }
  EXPECT_TRUE(differs);
  auto g1 = make_generator(3), g2 = make_generator(3);
  const auto img = fixtures().at("frame");
  EXPECT_TRUE(torch::equal(train_transform(img, g1), train_transform(img, g2)));
}

TEST(ImageTransforms, FallbackIsACentredCropWithTheRatioClamped) {
  RandomResizedCropOptions never_fits;
  never_fits.scale_min = 1.5;  // every attempt asks for more than the image's area
  never_fits.scale_max = 2.0;
  auto gen = make_generator(0);
  auto params = [&](int64_t h, int64_t w) {
    const CropParams p = sample_resized_crop(h, w, gen, never_fits);
    return std::vector<int>({p.top, p.left, p.height, p.width});
  };
  EXPECT_EQ(params(97, 131), std::vector<int>({0, 1, 97, 129}));    // ratio 1.35 > 4/3: w = round(97 * 4/3)
  EXPECT_EQ(params(20, 200), std::vector<int>({0, 86, 20, 27}));    // w = round(26.67), left = 173 // 2
  EXPECT_EQ(params(200, 20), std::vector<int>({86, 0, 27, 20}));    // h = round(20 / 0.75)
  EXPECT_EQ(params(100, 110), std::vector<int>({0, 0, 100, 110}));  // ratio in range: the whole image
  // The fallback still consumed the 10 attempts' draws (2 uniforms each), as torchvision does.
  auto fresh = make_generator(0), spent = make_generator(0);
  sample_resized_crop(97, 131, spent, never_fits);
  for (int i = 0; i < 20; ++i) torch::empty({1}, torch::kFloat).uniform_(0, 1, fresh);
  EXPECT_EQ(torch::rand({1}, fresh).item<float>(), torch::rand({1}, spent).item<float>());
}

TEST(ImageTransforms, BadInputsFailClearly) {
  const auto img = torch::zeros({3, 8, 8}, torch::kUInt8);
  std::string e = error_of([&] { resize(img, 0, 5); });
  EXPECT_NE(e.find("image-transform: expected resize output size of at least 1 x 1, got 0 x 5"), std::string::npos) << e;
  e = error_of([&] { resize(torch::zeros({8, 8}, torch::kUInt8), 4, 4); });
  EXPECT_NE(e.find("(C, H, W)"), std::string::npos) << e;
  e = error_of([&] { resize(torch::zeros({3, 8, 8}, torch::kInt), 4, 4); });
  EXPECT_NE(e.find("int32"), std::string::npos) << e;
  e = error_of([&] { normalize(img, kImageNetMean, kImageNetStd); });
  EXPECT_NE(e.find("normalize input as a floating (3, H, W) image, got uint8"), std::string::npos) << e;
  e = error_of([&] { normalize(torch::zeros({3, 2, 2}), kImageNetMean, {1.f, 0.f, 1.f}); });
  EXPECT_NE(e.find("non-zero normalize std"), std::string::npos) << e;
  e = error_of([&] { to_float01(torch::zeros({3, 2, 2})); });
  EXPECT_NE(e.find("to_float01 input as a uint8 image"), std::string::npos) << e;
  auto gen = make_generator(0);
  e = error_of([&] { train_transform(torch::zeros({3, 8, 8}), gen); });
  EXPECT_NE(e.find("train_transform input as a CPU uint8 (3, H, W) image"), std::string::npos) << e;
  RandomResizedCropOptions bad;
  bad.ratio_min = 2.0;
  bad.ratio_max = 1.0;
  e = error_of([&] { sample_resized_crop(8, 8, gen, bad); });
  EXPECT_NE(e.find("ratio with 0 < min <= max"), std::string::npos) << e;
}

TEST(ImageTransforms, CropOutsideTheImageIsZero) {
  const auto img = torch::full({3, 4, 4}, 9, torch::kUInt8);
  const auto out = crop(img, -1, 2, 3, 4);  // one row above, two columns past the right edge
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 3, 4}));
  EXPECT_EQ(out.sum().item<int64_t>(), 3 * 2 * 2 * 9);
  EXPECT_EQ(out[0][0].sum().item<int64_t>(), 0);
}
