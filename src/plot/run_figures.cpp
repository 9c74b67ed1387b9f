#include "avtune/plot/run_figures.h"

#include <filesystem>

#include <fmt/format.h>

#include <cmath>

#include "avtune/methods/dead_channels.h"
#include "avtune/plot/chart.h"
#include "avtune/util/error.h"

namespace avtune {

using nlohmann::json;

void write_curve_figure(const std::string& path, const std::vector<json>& log, const std::string& title) {
  Series train, eval;
  train.name = "train accuracy";
  eval.name = "eval top-1";
  for (const auto& l : log) {
    const double e = l.value("epoch", 0.0);
    train.x.push_back(e);
    train.y.push_back(l.value("train_acc", std::nan("")));
    // Epochs without an evaluation (eval every k epochs) are left out, so the eval points join up.
    if (l.contains("eval") && l["eval"].is_object() && l["eval"].contains("top1")) {
      eval.x.push_back(e);
      eval.y.push_back(l["eval"].value("top1", std::nan("")));
    }
  }
  ChartStyle st;
  st.title = title;
  st.x_label = "epoch";
  st.y_label = "accuracy";
  st.y_min = 0;
  st.y_max = 1;
  write_line_chart(path, st, {train, eval});
}

void write_alpha_figure(const std::string& path, const std::vector<std::string>& bn_names,
                        const std::vector<double>& alpha, const std::string& title) {
  Series s;
  s.name = "alpha (weight of the pre-trained BN)";
  s.y = alpha;
  ChartStyle st;
  st.title = title;
  st.x_label = "BatchNorm layer";
  st.y_label = "alpha";
  st.y_min = 0;
  st.width = 1100;
  write_bar_chart(path, st, bn_names, {s});
}

BarChartModel diagnosis_chart(const Diagnosis& d, const Diagnosis* compare) {
  std::vector<std::string> cats;
  for (const auto& l : d.layers) cats.push_back(l.name);
  std::vector<Series> groups;
  for (const Diagnosis* x : {&d, compare}) {
    if (!x) continue;
    if (x->layers.size() != d.layers.size())
      fail("diagnose", "two checkpoints with the same BN layers to compare",
           fmt::format("{} vs {} layers", d.layers.size(), x->layers.size()));
    const std::string who = compare ? (x == &d ? "first: " : "second: ") : "";
    for (size_t t = 0; t < x->options.abs_thresholds.size(); ++t) {
      Series s;
      // ASCII names: the fonts cairo finds on a bare machine may lack Greek glyphs (drawn as "?").
      s.name = fmt::format("{}|gamma|,|beta| < {:g}", who, x->options.abs_thresholds[t]);
      for (const auto& l : x->layers) s.y.push_back(l.abnormal_ratio.at(t));
      groups.push_back(s);
    }
    bool measured = false;
    Series dead;
    dead.name = who + "dead after ReLU on data";
    for (const auto& l : x->layers) {
      measured |= l.samples > 0;
      dead.y.push_back(l.samples > 0 ? static_cast<double>(l.dead_channels) / static_cast<double>(l.channels) : 0.0);
    }
    if (measured) groups.push_back(dead);
  }
  bool any = false;  // empty axes alone would not say that nothing was found
  for (const auto& g : groups)
    for (double y : g.y) any |= y > 0;
  ChartStyle st;
  st.title = compare ? "Abnormal BN channels: " + d.source + " vs " + compare->source : "Abnormal BN channels: " + d.source;
  if (!any) {
    st.title += " (none found)";
    st.note = "none found: no abnormal or dead channels";
  }
  st.x_label = "BatchNorm layer";
  st.y_label = "share of channels";
  st.y_min = 0;
  st.y_max = 1;
  st.width = 1100;
  return {st, cats, groups};
}

void write_diagnosis_figure(const std::string& path, const Diagnosis& d, const Diagnosis* compare) {
  const BarChartModel c = diagnosis_chart(d, compare);
  write_bar_chart(path, c.style, c.categories, c.groups);
}

void write_confidence_figure(const std::string& path, const std::vector<SampleConfidence>& conf,
                             const std::vector<int>& classes, const std::vector<std::string>& class_names,
                             const std::string& title) {
  if (conf.size() != classes.size())
    fail("figure", "one colour class per sample", fmt::format("{} for {}", classes.size(), conf.size()));
  Series s;  // unnamed: the legend lists the colour classes
  for (size_t i = 0; i < conf.size(); ++i) {
    s.x.push_back(conf[i].audio);
    s.y.push_back(conf[i].visual);
  }
  s.color_class = classes;
  ChartStyle st;
  st.title = title;
  st.x_label = "audio model confidence (true class)";
  st.y_label = "visual model confidence (true class)";
  st.x_min = st.y_min = 0;
  st.x_max = st.y_max = 1;
  st.width = 700;
  st.height = 640;
  st.class_names = class_names;
  write_scatter_chart(path, st, {s}, true);
}

const std::vector<std::string> kMaskClassNames = {"not masked", "audio masked", "visual masked"};

std::vector<int> mask_classes(const std::vector<MaskRatio>& ratios) {
  std::vector<int> c;
  for (const auto& r : ratios) c.push_back(r.audio > 0 ? 1 : r.visual > 0 ? 2 : 0);
  return c;
}

void write_run_figures(const std::string& dir, const std::string& kind, const std::vector<nlohmann::json>& log,
                       const std::vector<std::string>& alpha_bn, const std::vector<double>& alpha_mean) {
  const std::filesystem::path d(dir);
  write_curve_figure((d / "curve.png").string(), log, kind + " (" + d.filename().string() + ")");
  if (!alpha_bn.empty())
    write_alpha_figure((d / "abri_alpha.png").string(), alpha_bn, alpha_mean, "ABRi: learned alpha per BN layer");
}

}  // namespace avtune
