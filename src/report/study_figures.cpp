#include "avtune/report/study_figures.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "avtune/report/interval.h"
#include "avtune/report/verdicts.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double num(const json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }
std::vector<double> nums(const json& a) {
  std::vector<double> v;
  if (a.is_array())
    for (const auto& x : a) v.push_back(num(x));
  return v;
}

// Writes <stem>.png and, for svg/pdf, <stem>.<ext> under <dir>/figures with the same drawing.
class FigureWriter {
 public:
  FigureWriter(const std::string& dir, FigureFormat format) : dir_(fs::path(dir) / "figures"), format_(format) {
    fs::create_directories(dir_);
  }
  template <typename Draw>
  void add(const std::string& stem, const std::string& title, const std::string& caption, Draw draw) {
    StudyFigure f{stem + ".png", "", title, caption};
    draw((dir_ / f.file).string());
    if (format_ != FigureFormat::Png) {
      f.vector_file = stem + "." + extension(format_);
      draw((dir_ / f.vector_file).string());
    }
    figures.push_back(f);
  }
  std::vector<StudyFigure> figures;

 private:
  fs::path dir_;
  FigureFormat format_;
};

// Per BN layer: share of channels with |gamma|,|beta| below the last threshold and share dead on data
// (a layer counts as measured when results.json has its dead_channels), one pair of groups per diagnosis.
void diagnosis_figure(FigureWriter& w, const std::string& stem, const std::string& title, const std::string& caption,
                      const std::vector<std::pair<std::string, const json*>>& ds) {
  std::vector<std::string> cats;
  for (const auto& l : ds.front().second->value("layers", json::array())) cats.push_back(l.value("name", std::string("?")));
  std::vector<Series> groups;
  for (const auto& [name, d] : ds) {
    const auto th = nums(d->value("abs_thresholds", json::array()));
    const std::string key = th.empty() ? "" : fmt::format("abnormal_ratio@{:g}", th.back());
    Series ab, dead;
    ab.name = name;
    dead.name = name + ": dead on data";
    for (const auto& l : d->value("layers", json::array())) {
      ab.y.push_back(num(l.value(key, json())));
      const double ch = num(l.value("channels", json()));
      dead.y.push_back(l.contains("dead_channels") && ch > 0 ? num(l["dead_channels"]) / ch : 0.0);
    }
    if (ab.y.size() != cats.size() || dead.y.size() != cats.size()) return;  // diagnoses of different encoders
    groups.push_back(ab);
    groups.push_back(dead);
  }
  ChartStyle st;
  st.title = title;
  st.x_label = "BatchNorm layer";
  st.y_label = "share of channels";
  st.y_min = 0;
  st.y_max = 1;
  st.width = 1100;
  w.add(stem, title, caption, [&](const std::string& p) { write_bar_chart(p, st, cats, groups); });
}

void cross_modal_figures(FigureWriter& w, const json& r) {
  const json& diag = r.value("diagnosis", json::object());
  const double abnormal = num(r.value("plan", json::object()).value("abnormal_threshold", json()));
  for (auto it = r["cross_modal"].begin(); it != r["cross_modal"].end(); ++it) {
    const std::string key = it.key(), title = it.value().value("title", key);
    // The source model's modality: "source" (recorded since the study/ rewrite) or the key's suffix.
    std::string source = it.value().value("source", std::string());
    if (source.empty() && key.find("_from_") != std::string::npos) source = key.substr(key.find("_from_") + 6);
    if (diag.contains(source + "_source") && diag.contains("after_" + key))
      diagnosis_figure(w, "diagnosis_" + key, "Abnormal BN channels: " + title,
                       fmt::format("Share of channels per BN layer with |γ| and |β| < {:g} (parameters) and share dead "
                                   "after ReLU on ≥ 99% of av-fashion test samples (activations), before and after plain "
                                   "fine-tuning (Fig. 2a style).",
                                   abnormal),
                       {{"before fine-tuning", &diag[source + "_source"]}, {"after fine-tuning", &diag["after_" + key]}});
  }
  for (auto it = r["cross_modal"].begin(); it != r["cross_modal"].end(); ++it) {
    std::vector<Series> curves;
    for (const auto& row : it.value().value("rows", json::array())) {
      if (!row.contains("curve")) return;  // results.json from before curves were recorded
      Series s;
      s.name = row.value("variant", std::string("?"));
      s.x = nums(row["curve"]["epoch"]);
      s.y = nums(row["curve"]["mean"]);
      s.err = nums(row["curve"]["std"]);
      // 95% interval of the mean per epoch when the curve records its seed count (older ones: the std band).
      const json n = row["curve"].value("n", json());
      if (n.is_number_integer())
        for (auto& e : s.err) e = n.get<size_t>() > 1 ? mean_half_width(e, n.get<size_t>()) : 0.0;
      curves.push_back(s);
    }
    ChartStyle st;
    st.title = "Cross-modal initialisation: " + it.value().value("title", it.key());
    st.x_label = "epoch";
    st.y_label = "test top-1";
    w.add("curves_" + it.key(), st.title,
          fmt::format("Test accuracy per epoch, mean over seeds with its 95% interval (t, n − 1 df) as the band; at least {} "
                      "seeds per arm, more where the doubt is (Fig. 1a style).",
                      r.value("cross_seeds", 0)),
          [&](const std::string& p) { write_line_chart(p, st, curves); });
  }
}

void joint_figure(FigureWriter& w, const json& r) {
  const std::vector<std::string> cats = {"random", "other-modality", "same-modality"};
  const auto& rows = r["joint"].value("rows", json::array());
  if (rows.size() != cats.size()) return;
  std::vector<Series> groups(3);
  groups[0].name = "joint model";
  groups[1].name = "linear probe: audio encoder";
  groups[2].name = "linear probe: visual encoder";
  const char* keys[3] = {"joint_top1", "probe_audio", "probe_visual"};
  for (const auto& row : rows)
    for (size_t g = 0; g < 3; ++g) {
      const json& ms = row.value(keys[g], json::object());
      groups[g].y.push_back(num(ms.value("mean", json())));
      const double hw = mean_half_width(num(ms.value("std", json())), ms.value("n", json()).is_number_integer() ? ms["n"].get<size_t>() : 0);
      groups[g].err.push_back(std::isfinite(hw) ? hw : 0.0);
    }
  ChartStyle st;
  st.title = "Joint learning: audio encoder initialisation varied, visual encoder pre-trained";
  st.x_label = "audio encoder initialisation";
  st.y_label = "test top-1";
  st.y_min = 0;
  st.y_max = 1;
  w.add("joint", st.title,
        "Joint accuracy and the linear-probe accuracy of each encoder inside the joint model, mean over seeds with "
        "its 95% interval as the error bar (Fig. 1b style).",
        [&](const std::string& p) { write_bar_chart(p, st, cats, groups); });
}

// Mean audio vs visual confidence per training sample, coloured by what the clip's data card says.
void confidence_figure(FigureWriter& w, const json& r) {
  const json& sc = r["fust"].value("stage1_confidence", json());
  if (!sc.is_object()) return;
  Series s;  // unnamed: the legend lists the colour groups
  s.x = nums(sc.value("audio", json()));
  s.y = nums(sc.value("visual", json()));
  for (const auto& g : sc.value("group", json::array())) s.color_class.push_back(g.is_number_integer() ? g.get<int>() : -1);
  if (s.x.size() != s.y.size() || s.color_class.size() != s.x.size()) return;
  ChartStyle st;
  st.title = "Stage 1: mean confidence per training sample";
  st.x_label = "audio model confidence (true class)";
  st.y_label = "visual model confidence (true class)";
  st.x_min = st.y_min = 0;
  st.x_max = st.y_max = 1;
  st.width = 700;
  st.height = 640;
  for (const auto& n : sc.value("group_names", json::array())) st.class_names.push_back(n.get<std::string>());
  w.add("confidence_scatter", st.title,
        "Each training sample's mean true-class confidence over stage-1 epochs (Fig. 4 style); colours from the data card.",
        [&](const std::string& p) { write_scatter_chart(p, st, {s}, true); });
}

// "cross_modal_hurts/audio_from_visual" -> "hurts: audio<-visual": category labels that fit.
std::string short_id(std::string id) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"cross_modal_hurts/", "hurts: "}, {"abri_helps/", "ABRi: "}, {"audio_from_visual", "audio←visual"},
           {"visual_from_audio", "visual←audio"}, {"joint_stronger_encoder", "joint: stronger"},
           {"joint_suppression", "joint: suppression"}, {"fust_improves", "FusT improves"},
           {"beats_baseline/fust-best-val", "FusT best on val"}, {"beats_baseline/", "vs joint: "}}) {
    const auto at = id.find(from);
    if (at != std::string::npos) id.replace(at, from.size(), to);
  }
  return id;
}

// Each finding's difference of means, signed so that positive is the paper's direction, with its 95%
// Welch interval as the error bar: a bar whose interval clears zero upwards held, downwards was contradicted.
void findings_figure(FigureWriter& w, const json& r) {
  std::vector<std::string> cats;
  Series s;
  s.name = "difference of means (paper's direction > 0), 95% CI";
  for (const auto& f : study_findings(r)) {
    if (!f.diff.valid()) continue;
    const double sign = f.a_higher ? 1 : -1;
    cats.push_back(short_id(f.id));
    s.y.push_back(100 * sign * f.diff.diff);
    s.err.push_back(100 * (f.diff.hi - f.diff.diff));
  }
  if (cats.empty()) return;
  ChartStyle st;
  st.title = "Findings: differences with 95% confidence intervals";
  st.x_label = "finding";
  st.y_label = "points (paper's direction > 0)";
  st.width = 1000;
  w.add("findings", st.title,
        "Each finding's difference of means in points, signed so that the paper's direction is positive, with its 95% "
        "Welch interval: held when the bar's interval lies above 0, contradicted below, inconclusive across it.",
        [&](const std::string& p) { write_bar_chart(p, st, cats, {s}); });
}

}  // namespace

std::vector<StudyFigure> write_study_figures(const std::string& dir, const json& r, FigureFormat format) {
  FigureWriter w(dir, format);
  findings_figure(w, r);
  if (r.contains("cross_modal") && r["cross_modal"].is_object()) cross_modal_figures(w, r);
  if (r.contains("joint") && r["joint"].is_object()) joint_figure(w, r);
  if (r.contains("fust") && r["fust"].is_object()) confidence_figure(w, r);
  return w.figures;
}

}  // namespace avtune
