#include "avtune/report/sweep_report.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "avtune/plot/chart.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const json& at(const json& j, const std::string& key) {
  if (!j.is_object() || !j.contains(key)) fail("sweep report", "sweep.json with \"" + key + "\"", "none");
  return j.at(key);
}

double num(const json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }

// "91.2 ± 0.5" in percent (NaN: "–").
std::string pct(const json& ms) {
  const double m = num(at(ms, "mean")), s = num(at(ms, "std"));
  if (!std::isfinite(m)) return "–";
  return fmt::format("{:.1f} ± {:.1f}", 100 * m, 100 * (std::isfinite(s) ? s : 0.0));
}

std::string per_seed(const json& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + (x.is_number() ? fmt::format("{:.1f}", 100 * x.get<double>()) : "–");
  return out;
}

}  // namespace

std::string sweep_markdown(const json& s) {
  const auto& rows = at(s, "settings");
  const std::string best = at(at(s, "best"), "key").get<std::string>();
  std::string md = "# Fusion Tuning hyper-parameter sweep\n\n";
  md += fmt::format("Search: {}; {} settings besides the no-mask baseline, {} search seed(s), scored on the "
                    "**validation** split (top-1 of the last epoch, %). Choice: {}.\n\n",
                    at(s, "search").get<std::string>(), rows.size() - 1, at(s, "search_seeds").get<int>(),
                    at(s, "choice").get<std::string>());
  md += "| # | setting | samples masked (audio / visual) | val top-1 | per seed |\n|---|---|---|---|---|\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const bool chosen = r.at("key") == best;
    const std::string masked = r.at("masks").is_object()
                                   ? fmt::format("{} / {}", r["masks"].value("audio_masked", 0), r["masks"].value("visual_masked", 0))
                                   : "–";
    const std::string label = r.at("label").get<std::string>();
    md += fmt::format("| {} | {} | {} | {} | {} |\n", i, chosen ? "**" + label + "** (chosen)" : label, masked,
                      pct(r.at("val")), per_seed(r.at("val_top1")));
  }
  const auto& t = at(s, "test");
  md += fmt::format("\n## On test ({} seeds; the chosen setting was picked before any test evaluation)\n\n",
                    at(s, "test_seeds").get<int>());
  md += "| arm | val top-1 | test top-1 | test per seed |\n|---|---|---|---|\n";
  md += fmt::format("| {} | {} | {} | {} |\n", at(at(s, "best"), "label").get<std::string>(), pct(at(at(t, "best"), "val")),
                    pct(at(at(t, "best"), "test")), per_seed(at(at(t, "best"), "test_top1")));
  md += fmt::format("| no masks (joint baseline) | {} | {} | {} |\n", pct(at(at(t, "baseline"), "val")),
                    pct(at(at(t, "baseline"), "test")), per_seed(at(at(t, "baseline"), "test_top1")));
  const double d = num(at(t, "difference"));
  md += fmt::format("\nChosen minus baseline on test: {} points.\n",
                    std::isfinite(d) ? fmt::format("{:+.1f}", 100 * d) : std::string("–"));
  return md;
}

SweepReportFiles write_sweep_report(const std::string& dir, const json& s) {
  SweepReportFiles f;
  f.table = (fs::path(dir) / "sweep.md").string();
  write_file_atomic(f.table, sweep_markdown(s));
  // Settings as points with error bars (each bar its own unnamed two-point series), the baseline's
  // validation mean as a horizontal line across them.
  const auto& rows = at(s, "settings");
  std::vector<Series> series;
  Series pts{"FusT settings (mean ± std over search seeds)", {}, {}, {}, {}};
  double base = std::nan("");
  for (size_t i = 0; i < rows.size(); ++i) {
    const double m = num(at(rows[i].at("val"), "mean")), sd = num(at(rows[i].at("val"), "std"));
    if (!rows[i].value("masked", true)) {
      base = m;
      continue;
    }
    const double x = static_cast<double>(i);
    if (!pts.x.empty()) {  // a NaN between points: no line joins two settings
      pts.x.push_back(x - 0.5);
      pts.y.push_back(std::nan(""));
    }
    pts.x.push_back(x);
    pts.y.push_back(100 * m);
    if (std::isfinite(sd) && sd > 0) series.push_back({"", {x, x}, {100 * (m - sd), 100 * (m + sd)}, {}, {}});
  }
  series.insert(series.begin(), pts);
  if (std::isfinite(base) && rows.size() > 1)
    series.push_back({"no-mask baseline", {0.5, static_cast<double>(rows.size()) - 0.5}, {100 * base, 100 * base}, {}, {}});
  ChartStyle st;
  st.title = "Fusion Tuning sweep: validation top-1 per setting";
  st.x_label = "setting (# in sweep.md)";
  st.y_label = "val top-1 (%)";
  st.x_min = 0.5;
  st.x_max = static_cast<double>(rows.size()) - 0.5;
  f.figure = (fs::path(dir) / "sweep.svg").string();
  write_line_chart(f.figure, st, series);
  write_line_chart((fs::path(dir) / "sweep.png").string(), st, series);
  return f;
}

}  // namespace avtune
