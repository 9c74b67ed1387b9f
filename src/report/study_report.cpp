#include "avtune/report/study_report.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "avtune/report/study_figures.h"
#include "avtune/report/verdicts.h"
#include "avtune/util/atomic_file.h"
#include "avtune/util/base64.h"
#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A tiny document model rendered twice (Markdown and HTML), so both reports say the same.
struct Block {
  enum Kind { Heading, Para, Table, Figure, List } kind;
  std::string text;                            // heading / paragraph / figure caption
  std::vector<std::vector<std::string>> rows;  // table (first row = header) or list items (rows[i][0])
  StudyFigure figure;
};

double num(const json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }
double num(const json& obj, const char* key) { return obj.is_object() ? num(obj.value(key, json())) : std::nan(""); }

std::string pct(const json& ms) {
  if (!ms.is_object()) return "n/a";
  const double m = num(ms, "mean"), s = num(ms, "std");
  if (!std::isfinite(m)) return "n/a";
  return ms.value("n", 1) > 1 && std::isfinite(s) ? fmt::format("{:.1f} ± {:.1f}", 100 * m, 100 * s) : fmt::format("{:.1f}", 100 * m);
}

// An arm's seed count ("n" of its summary).
std::string seeds_of(const json& ms) {
  return ms.is_object() && ms.value("n", json()).is_number_integer() ? std::to_string(ms["n"].get<int64_t>()) : "?";
}

double min_effect_of(const json& r) {
  const double m = num(r.value("plan", json::object()), "min_effect");
  return std::isfinite(m) ? m : kDefaultMinEffect;
}

std::string points(double v) { return std::isfinite(v) ? fmt::format("{:+.1f}", 100 * v) : "n/a"; }

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&') o += "&amp;";
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("report", "a figure file", "cannot read it", {path});
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Doc {
  std::vector<Block> blocks;
  const std::vector<StudyFigure>& figures;
  void heading(const std::string& t) { blocks.push_back({Block::Heading, t, {}, {}}); }
  void para(const std::string& t) { blocks.push_back({Block::Para, t, {}, {}}); }
  void table(std::vector<std::vector<std::string>> rows) { blocks.push_back({Block::Table, "", std::move(rows), {}}); }
  void list(const std::vector<std::string>& items) {
    Block b{Block::List, "", {}, {}};
    for (const auto& i : items) b.rows.push_back({i});
    blocks.push_back(b);
  }
  void figure(const std::string& png) {
    for (const auto& f : figures)
      if (f.file == png) blocks.push_back({Block::Figure, f.caption, {}, f});
  }
};

// The summary: the verdict rule, one sentence per finding, and the table of every comparison.
void summary_section(Doc& doc, const json& r) {
  doc.heading("Summary");
  const double min_effect = min_effect_of(r);
  const auto findings = study_findings(r, min_effect);
  std::vector<std::string> verdicts;
  for (const auto& f : findings) verdicts.push_back("**" + std::string(to_string(f.outcome)) + "** — " + f.text);
  doc.list(verdicts);
  if (const auto b = baseline_sentence(findings); !b.empty()) doc.para(b);
  std::vector<std::vector<std::string>> rows = {{"finding", "a − b", "seeds (a / b)", "difference (points)", "95% CI",
                                                 "Welch df", "paper expects", "verdict"}};
  for (const auto& f : findings)
    rows.push_back({f.id, f.a_label + " − " + f.b_label, fmt::format("{} / {}", f.a.n, f.b.n), points(f.diff.diff),
                    f.diff.valid() ? fmt::format("[{}, {}]", points(f.diff.lo), points(f.diff.hi)) : "n/a",
                    std::isfinite(f.diff.df) ? fmt::format("{:.1f}", f.diff.df) : "n/a", f.a_higher ? "> 0" : "< 0",
                    to_string(f.outcome)});
  doc.table(rows);
  doc.para(verdict_rule_text(min_effect));
  doc.para("Numbers vary by a few points across processors (their floating-point kernels differ and training amplifies "
           "that); the rule is built to absorb it: a verdict needs an interval that excludes zero, so a gap that the "
           "noise of a few seeds could explain stays inconclusive.");
  doc.figure("findings.png");
}

void diagnosis_section(Doc& doc, const json& r) {
  doc.heading("Dead channels in the source models");
  std::vector<std::vector<std::string>> rows = {
      {"encoder", "channels with γ and β near 0 (share below each threshold)", "channels dead on the target data"}};
  for (const char* key : {"visual_source", "after_audio_from_visual", "audio_source", "after_visual_from_audio"}) {
    if (!r["diagnosis"].contains(key)) continue;
    const auto& d = r["diagnosis"][key];
    int64_t ch = 0, dead = 0;
    for (const auto& l : d.value("layers", json::array())) {
      ch += l.value("channels", int64_t{0});
      dead += std::max<int64_t>(0, l.value("dead_channels", int64_t{0}));
    }
    std::string ab;
    const auto ratios = d.value("total_abnormal_ratio", json::array()), th = d.value("abs_thresholds", json::array());
    for (size_t k = 0; k < ratios.size() && k < th.size(); ++k)
      ab += (ab.empty() ? "" : ", ") + fmt::format("{:.1f}% at {:g}", 100 * num(ratios[k]), num(th[k]));
    rows.push_back({d.value("label", std::string(key)), ab, ch ? fmt::format("{:.1f}% ({} of {})", 100.0 * dead / ch, dead, ch) : "n/a"});
  }
  doc.table(rows);
  doc.figure("diagnosis_audio_from_visual.png");
  doc.figure("diagnosis_visual_from_audio.png");
}

void fust_section(Doc& doc, const json& r) {
  doc.heading("Two-stage Fusion Tuning (Fig. 4)");
  doc.figure("confidence_scatter.png");
  std::vector<std::vector<std::string>> rows = {
      {"arm", "samples masked (audio / visual)", "validation top-1", "joint top-1", "probe: audio", "probe: visual", "seeds"}};
  for (const auto& row : r["fust"].value("rows", json::array())) {
    std::string m = "—";
    const json masks = row.value("masks", json());
    if (masks.is_object())
      m = fmt::format("{} / {} (mean ratio {:.3f} / {:.3f})", masks.value("audio_masked", int64_t{0}),
                      masks.value("visual_masked", int64_t{0}), num(masks, "mean_ratio_audio"),
                      num(masks, "mean_ratio_visual"));
    if (row.value("balance", json()).is_string()) m = "— (" + row["balance"].get<std::string>() + " in training)";
    const json val = row.value("val_top1", json());
    rows.push_back({row.value("arm", std::string("?")), m, val.is_object() ? pct(val) : "—", pct(row.value("joint_top1", json())),
                    pct(row.value("probe_audio", json())), pct(row.value("probe_visual", json())),
                    seeds_of(row.value("joint_top1", json()))});
  }
  doc.table(rows);
  if (const auto b = baseline_sentence(study_findings(r, min_effect_of(r))); !b.empty()) doc.para(b);
  const json& f = r["fust"];
  if (f.contains("stage1_top1"))
    doc.para(fmt::format("Stage 1 alone (each encoder from its same-modality source model): audio {:.1f}%, visual {:.1f}% "
                         "test top-1 — the difficulty of each modality of av-fashion.",
                         100 * num(f.value("stage1_top1", json()), "audio"), 100 * num(f.value("stage1_top1", json()), "visual")));
  const json rule = f.value("rule", json::object());
  doc.para(fmt::format("Stage 2 starts both encoders from stage 1 in every arm, the balancing methods' too (OGM-GE, OPM "
                       "and UMT start where the baseline does, so each differs from it by its method alone; UMT's teachers "
                       "are the stage-1 encoders; docs/balancing.md). The best-on-validation row is the FusT arm with the "
                       "highest mean validation top-1 over the planned seeds, reported on test (the same runs as that arm). "
                       "Rule parameters (not released by the paper; ours): τ = {}, η = {}, ρ = {}.",
                       num(rule, "tau"), num(rule, "eta"), num(rule, "rho")));
}

// The document: the same sections as results.json, in the paper's order.
std::vector<Block> build(const json& r, const std::vector<StudyFigure>& figures) {
  Doc doc{{}, figures};
  doc.para(fmt::format("avtune's small-scale reproduction of \"Revisiting Pre-training in Audio-Visual Learning\" (Feng, Xia, Hu, "
                       "2023) on the embedded default data ({}). {} seed(s) planned per compared run ({} for cross-modal initialisation, "
                       "whose arms differ least), and up to {} per arm where a comparison's interval left the verdict "
                       "open; {} training runs, {} of them "
                       "trained by this invocation in {:.1f} min (the others reused from an earlier one). Accuracies are "
                       "test top-1 in % after the last epoch (no selection on the test split), mean ± sample std over "
                       "seeds; the seeds column says how many each arm got.",
                       r.value("data_dir", std::string("?")), r.value("seeds", 0), r.value("cross_seeds", r.value("seeds", 0)),
                       r.value("max_seeds", r.value("seeds", 0)),
                       r.value("runs_total", 0), r.value("runs_trained_now", 0), r.value("seconds", 0.0) / 60));
  summary_section(doc, r);
  if (r.contains("pretrain")) {
    doc.heading("Source pre-training");
    const auto& p = r["pretrain"];
    doc.table({{"source model", "data", "test top-1", "time"},
               {"visual", "fashion-source", fmt::format("{:.1f}", 100 * num(p.value("visual", json()), "test_top1")),
                fmt::format("{:.0f} s", num(p.value("visual", json()), "seconds"))},
               {"audio", "spoken-words", fmt::format("{:.1f}", 100 * num(p.value("audio", json()), "test_top1")),
                fmt::format("{:.0f} s", num(p.value("audio", json()), "seconds"))}});
    if (r.contains("plan")) {
      const json& pl = r["plan"];
      doc.para(fmt::format("Both trained with SGD (momentum 0.9, batch {}) at a constant rate ({} visual, {} audio) with weight "
                           "decay on every parameter, BatchNorm included ({} visual, {} audio), for {}/{} epochs: the long, "
                           "strongly decayed regime in which BatchNorm channels die (the paper's dead-channel analysis). Fine-tuning runs exclude BN "
                           "from decay.",
                           pl.value("pre_batch", 0), num(pl, "pre_lr"), num(pl, "pre_audio_lr"), num(pl, "pre_visual_weight_decay"),
                           num(pl, "pre_audio_weight_decay"), pl.value("pre_visual_epochs", 0), pl.value("pre_audio_epochs", 0)));
    }
  }
  if (r.contains("diagnosis")) diagnosis_section(doc, r);
  if (r.contains("cross_modal")) {
    doc.heading("Cross-modal initialisation with ABRi (Fig. 1a)");
    for (auto it = r["cross_modal"].begin(); it != r["cross_modal"].end(); ++it) {
      doc.para("**" + it.value().value("title", it.key()) + "**");
      std::vector<std::vector<std::string>> rows = {{"initialisation", "test top-1 (%)", "seeds"}};
      for (const auto& row : it.value().value("rows", json::array()))
        rows.push_back({row.value("variant", std::string("?")), pct(row.value("test_top1", json())),
                        seeds_of(row.value("test_top1", json()))});
      doc.table(rows);
      doc.figure("curves_" + it.key() + ".png");
    }
  }
  if (r.contains("joint")) {
    doc.heading("Joint learning and linear probes (Fig. 1b)");
    std::vector<std::vector<std::string>> rows = {{"audio encoder init", "joint top-1", "probe: audio", "probe: visual", "seeds"}};
    for (const auto& row : r["joint"].value("rows", json::array()))
      rows.push_back({row.value("audio_init", std::string("?")), pct(row.value("joint_top1", json())), pct(row.value("probe_audio", json())),
                      pct(row.value("probe_visual", json())), seeds_of(row.value("joint_top1", json()))});
    doc.table(rows);
    doc.para("The visual encoder starts from the visual source model in every row.");
    doc.figure("joint.png");
  }
  if (r.contains("fust")) fust_section(doc, r);
  if (r.contains("stage_seconds")) {
    doc.heading("Time");
    std::vector<std::vector<std::string>> rows = {{"stage", "seconds"}};
    for (const auto& st : r["stage_seconds"]) rows.push_back({st[0].get<std::string>(), fmt::format("{:.0f}", num(st[1]))});
    doc.table(rows);
  }
  return doc.blocks;
}

std::string markdown(const std::vector<Block>& doc) {
  std::string md = "# avtune study report\n\n";
  for (const auto& b : doc) {
    switch (b.kind) {
      case Block::Heading: md += "## " + b.text + "\n\n"; break;
      case Block::Para: md += b.text + "\n\n"; break;
      case Block::List:
        for (const auto& it : b.rows) md += "- " + it[0] + "\n";
        md += "\n";
        break;
      case Block::Table:
        for (size_t i = 0; i < b.rows.size(); ++i) {
          md += "|";
          for (const auto& c : b.rows[i]) md += " " + c + " |";
          md += "\n";
          if (i == 0) {
            md += "|";
            for (size_t k = 0; k < b.rows[i].size(); ++k) md += "---|";
            md += "\n";
          }
        }
        md += "\n";
        break;
      case Block::Figure:
        md += "![" + b.figure.title + "](figures/" + b.figure.file + ")\n\n*" + b.text + "*";
        if (!b.figure.vector_file.empty()) md += " ([vector](figures/" + b.figure.vector_file + "))";
        md += "\n\n";
        break;
    }
  }
  return md;
}

std::string inline_md(std::string s) {  // **bold** only
  s = html_escape(s);
  size_t p;
  bool open = true;
  while ((p = s.find("**")) != std::string::npos) {
    s.replace(p, 2, open ? "<b>" : "</b>");
    open = !open;
  }
  return s;
}

std::string html(const std::vector<Block>& doc, const std::string& dir) {
  std::string h =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>avtune study report</title><style>"
      "body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;text-align:left}"
      "th{background:#eee}figure{margin:1.5em 0}img{max-width:100%;border:1px solid #ddd}figcaption{color:#555}"
      "</style></head><body>\n<h1>avtune study report</h1>\n";
  for (const auto& b : doc) {
    switch (b.kind) {
      case Block::Heading: h += "<h2>" + html_escape(b.text) + "</h2>\n"; break;
      case Block::Para: h += "<p>" + inline_md(b.text) + "</p>\n"; break;
      case Block::List:
        h += "<ul>\n";
        for (const auto& it : b.rows) h += "<li>" + inline_md(it[0]) + "</li>\n";
        h += "</ul>\n";
        break;
      case Block::Table:
        h += "<table>\n";
        for (size_t i = 0; i < b.rows.size(); ++i) {
          h += "<tr>";
          for (const auto& c : b.rows[i]) h += (i == 0 ? "<th>" : "<td>") + html_escape(c) + (i == 0 ? "</th>" : "</td>");
          h += "</tr>\n";
        }
        h += "</table>\n";
        break;
      case Block::Figure: {
        const std::string png = read_all((fs::path(dir) / "figures" / b.figure.file).string());
        h += "<figure><img alt=\"" + html_escape(b.figure.title) + "\" data-file=\"figures/" + html_escape(b.figure.file) +
             "\" src=\"data:image/png;base64," + base64(png) + "\"><figcaption>" + html_escape(b.text) + "</figcaption></figure>\n";
        break;
      }
    }
  }
  // Marks the body with how many figures decoded, so a headless browser can check them (tests do).
  h += "<script>window.addEventListener('load',function(){var i=document.images,n=0;for(var k=0;k<i.length;k++)"
       "if(i[k].complete&&i[k].naturalWidth>0)n++;document.body.setAttribute('data-figures',n+'/'+i.length);});"
       "</script>\n</body></html>\n";
  return h;
}

}  // namespace

bool is_study_results(const json& r) {
  if (!r.is_object()) return false;
  if (r.contains("kind")) return r["kind"] == kStudyResultsKind;
  if (!r.contains("plan") || !r["plan"].is_object()) return false;
  for (const char* k : {"pretrain", "cross_modal", "joint", "fust"})
    if (r.contains(k)) return true;
  return false;
}

json read_study_results(const std::string& dir) {
  const std::string path = (fs::path(dir) / "results.json").string();
  if (!fs::exists(path)) fail("report", "a study's results.json (written by avtune reproduce)", "no such file", {path});
  std::ifstream in(path);
  json r;
  try {
    r = json::parse(in);
  } catch (const json::exception& e) {
    fail("report", "JSON", e.what(), {path});
  }
  if (!is_study_results(r))
    fail("report", "the results of a study (\"kind\": \"" + std::string(kStudyResultsKind) + "\")", "other JSON", {path});
  return r;
}

StudyReportFiles write_study_report(const std::string& dir, const json& r, FigureFormat format) {
  const auto figures = write_study_figures(dir, r, format);
  const auto doc = build(r, figures);
  StudyReportFiles out;
  out.markdown = (fs::path(dir) / "report.md").string();
  out.html = (fs::path(dir) / "report.html").string();
  write_file_atomic(out.markdown, markdown(doc));
  write_file_atomic(out.html, html(doc, dir));
  for (const auto& f : figures) {
    out.figures.push_back((fs::path(dir) / "figures" / f.file).string());
    if (!f.vector_file.empty()) out.figures.push_back((fs::path(dir) / "figures" / f.vector_file).string());
  }
  return out;
}

}  // namespace avtune
