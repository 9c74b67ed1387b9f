#include "avtune/report/study_report.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "avtune/util/atomic_file.h"
#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A tiny document model rendered twice (Markdown and HTML), so both reports say the same.
struct Block {
  enum Kind { Heading, Para, Table, Figure, List } kind;
  std::string text;                           // heading / paragraph / figure caption
  std::vector<std::vector<std::string>> rows; // table (first row = header) or list items (rows[i][0])
  std::string file, title;                    // figure
};

double num(const json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }

std::string pct(const json& ms) {
  if (!ms.is_object()) return "n/a";
  const double m = num(ms["mean"]), s = num(ms["std"]);
  if (!std::isfinite(m)) return "n/a";
  return ms.value("n", 1) > 1 && std::isfinite(s) ? fmt::format("{:.1f} ± {:.1f}", 100 * m, 100 * s) : fmt::format("{:.1f}", 100 * m);
}

double mean_of(const json& ms) { return ms.is_object() ? num(ms["mean"]) : std::nan(""); }
double std_of(const json& ms) { return ms.is_object() ? num(ms["std"]) : std::nan(""); }

// "a > b" only when the gap exceeds the larger std (a rough, stated bar, not a significance test).
std::string compare(double a, double sa, double b, double sb) {
  const double bar = std::max(std::isfinite(sa) ? sa : 0.0, std::isfinite(sb) ? sb : 0.0);
  if (!std::isfinite(a) || !std::isfinite(b)) return "unknown";
  if (a - b > bar) return "higher than";
  if (b - a > bar) return "lower than";
  return "within noise of";
}

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

}  // namespace

std::string base64(const std::string& bytes) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? tbl[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::vector<std::string> study_verdicts(const json& r) {
  std::vector<std::string> v;
  if (r.contains("cross_modal")) {
    for (auto it = r["cross_modal"].begin(); it != r["cross_modal"].end(); ++it) {
      const auto& rows = it.value()["rows"];
      if (rows.size() < 3) continue;
      const auto &rnd = rows[0]["test_top1"], &pre = rows[1]["test_top1"], &abri = rows[2]["test_top1"];
      const std::string title = it.value().value("title", it.key());
      const std::string c1 = compare(mean_of(pre), std_of(pre), mean_of(rnd), std_of(rnd));
      const std::string c2 = compare(mean_of(abri), std_of(abri), mean_of(pre), std_of(pre));
      v.push_back(fmt::format(
          "Cross-modal initialisation ({}): pre-trained init ({}) is {} random init ({}) — the paper's finding that "
          "cross-modal pre-training can hurt {}. ABRi (per layer) ({}) is {} plain pre-trained init — the paper's fix {}.",
          title, pct(pre), c1, pct(rnd), c1 == "lower than" ? "held" : "did not hold here", pct(abri), c2,
          c2 == "higher than" ? "held" : "did not show a clear gain here"));
    }
  }
  if (r.contains("joint") && r["joint"]["rows"].size() == 3) {
    const auto& rows = r["joint"]["rows"];
    const auto &j0 = rows[0]["joint_top1"], &j2 = rows[2]["joint_top1"];
    const auto &v0 = rows[0]["probe_visual"], &v2 = rows[2]["probe_visual"];
    const std::string cj = compare(mean_of(j2), std_of(j2), mean_of(j0), std_of(j0));
    const std::string cv = compare(mean_of(v2), std_of(v2), mean_of(v0), std_of(v0));
    v.push_back(fmt::format(
        "Joint learning: with a same-modality pre-trained audio encoder instead of a random one, the joint accuracy ({}) is {} "
        "that with a random one ({}), and the visual encoder's linear probe ({}) is {} that with a random one ({}). The paper's finding (a stronger encoder "
        "raises the joint accuracy while the other encoder learns less) {}.",
        pct(j2), cj, pct(j0), pct(v2), cv, pct(v0),
        cj == "higher than" && cv == "lower than" ? "held" : cv == "lower than" ? "held for the suppression part only" : "did not hold here"));
  }
  if (r.contains("fust") && r["fust"]["rows"].size() >= 3) {
    const auto& rows = r["fust"]["rows"];
    const auto& base = rows[0]["joint_top1"];
    std::string best_name;
    double best = -1;
    for (size_t i = 1; i < rows.size(); ++i)
      if (mean_of(rows[i]["joint_top1"]) > best) {
        best = mean_of(rows[i]["joint_top1"]);
        best_name = rows[i]["arm"].get<std::string>();
      }
    const auto& sym = rows[2]["joint_top1"];
    const std::string cs = compare(mean_of(sym), std_of(sym), mean_of(base), std_of(base));
    v.push_back(fmt::format("Fusion Tuning: the symmetric rule ({}) is {} the joint baseline ({}); the best arm is {} ({:.1f}). "
                            "The paper's claim that FusT improves joint learning {}.",
                            pct(sym), cs, pct(base), best_name, 100 * best, cs == "higher than" ? "held" : "did not hold clearly here"));
  }
  return v;
}

std::pair<std::string, std::string> write_study_report(const std::string& dir, const json& r,
                                                       const std::vector<StudyFigure>& figures) {
  std::vector<Block> doc;
  auto heading = [&](const std::string& t) { doc.push_back({Block::Heading, t, {}, "", ""}); };
  auto para = [&](const std::string& t) { doc.push_back({Block::Para, t, {}, "", ""}); };
  auto table = [&](std::vector<std::vector<std::string>> rows) { doc.push_back({Block::Table, "", std::move(rows), "", ""}); };
  auto figure = [&](const std::string& file) {
    for (const auto& f : figures)
      if (f.file == file) doc.push_back({Block::Figure, f.caption, {}, f.file, f.title});
  };

  para(fmt::format("avtune's small-scale reproduction of \"Revisiting Pre-training in Audio-Visual Learning\" (Feng, Xia, Hu, "
                   "2023) on the embedded default data ({}). {} seed(s) per compared run ({} for cross-modal initialisation, "
                   "whose arms differ least); {} training runs, {} of them "
                   "trained by this invocation in {:.1f} min (the others reused from an earlier one). Accuracies are "
                   "test top-1 in % after the last epoch (no selection on the test split), mean ± sample std over seeds.",
                   r.value("data_dir", std::string("?")), r.value("seeds", 0),
                   r.value("cross_seeds", r.value("seeds", 0)), r.value("runs_total", 0),
                   r.value("runs_trained_now", 0), r.value("seconds", 0.0) / 60));
  heading("Summary");
  {
    Block list{Block::List, "", {}, "", ""};
    for (const auto& s : study_verdicts(r)) list.rows.push_back({s});
    doc.push_back(list);
  }
  if (r.contains("pretrain")) {
    heading("Source pre-training");
    const auto& p = r["pretrain"];
    table({{"source model", "data", "test top-1", "time"},
           {"visual", "fashion-source", fmt::format("{:.1f}", 100 * num(p["visual"]["test_top1"])),
            fmt::format("{:.0f} s", num(p["visual"]["seconds"]))},
           {"audio", "spoken-words", fmt::format("{:.1f}", 100 * num(p["audio"]["test_top1"])),
            fmt::format("{:.0f} s", num(p["audio"]["seconds"]))}});
    if (r.contains("plan"))
      para(fmt::format("Both trained with SGD (momentum 0.9, batch {}) at a constant rate ({} visual, {} audio) with weight "
                       "decay on every parameter, BatchNorm included ({} visual, {} audio), for {}/{} epochs: the long, "
                       "strongly decayed regime in which BatchNorm channels die (paper §2). Fine-tuning runs exclude BN "
                       "from decay.",
                       r["plan"].value("pre_batch", 0), num(r["plan"]["pre_lr"]), num(r["plan"].value("pre_audio_lr", json())),
                       num(r["plan"]["pre_visual_weight_decay"]),
                       num(r["plan"]["pre_audio_weight_decay"]), r["plan"].value("pre_visual_epochs", 0),
                       r["plan"].value("pre_audio_epochs", 0)));
  }
  if (r.contains("diagnosis")) {
    heading("Dead channels in the source models");
    std::vector<std::vector<std::string>> rows = {{"encoder", "channels with γ and β near 0 (share below each threshold)", "channels dead on the target data"}};
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
    table(rows);
    figure("diagnosis_audio_from_visual.png");
    figure("diagnosis_visual_from_audio.png");
  }
  if (r.contains("cross_modal")) {
    heading("Cross-modal initialisation with ABRi (Fig. 1a)");
    for (auto it = r["cross_modal"].begin(); it != r["cross_modal"].end(); ++it) {
      para("**" + it.value().value("title", it.key()) + "**");
      std::vector<std::vector<std::string>> rows = {{"initialisation", "test top-1 (%)"}};
      for (const auto& row : it.value()["rows"]) rows.push_back({row["variant"].get<std::string>(), pct(row["test_top1"])});
      table(rows);
      figure("curves_" + it.key() + ".png");
    }
  }
  if (r.contains("joint")) {
    heading("Joint learning and linear probes (Fig. 1b)");
    std::vector<std::vector<std::string>> rows = {{"audio encoder init", "joint top-1", "probe: audio", "probe: visual"}};
    for (const auto& row : r["joint"]["rows"])
      rows.push_back({row["audio_init"].get<std::string>(), pct(row["joint_top1"]), pct(row["probe_audio"]), pct(row["probe_visual"])});
    table(rows);
    para("The visual encoder starts from the visual source model in every row.");
    figure("joint.png");
  }
  if (r.contains("fust")) {
    heading("Two-stage Fusion Tuning (Fig. 4)");
    figure("confidence_scatter.png");
    std::vector<std::vector<std::string>> rows = {{"arm", "samples masked (audio / visual)", "joint top-1", "probe: audio", "probe: visual"}};
    for (const auto& row : r["fust"]["rows"]) {
      std::string m = "—";
      if (row["masks"].is_object())
        m = fmt::format("{} / {} (mean ratio {:.3f} / {:.3f})", row["masks"]["audio_masked"].get<int64_t>(),
                        row["masks"]["visual_masked"].get<int64_t>(), num(row["masks"]["mean_ratio_audio"]),
                        num(row["masks"]["mean_ratio_visual"]));
      rows.push_back({row["arm"].get<std::string>(), m, pct(row["joint_top1"]), pct(row["probe_audio"]), pct(row["probe_visual"])});
    }
    table(rows);
    const auto& rule = r["fust"]["rule"];
    if (r["fust"].contains("stage1_top1"))
      para(fmt::format("Stage 1 alone (each encoder from its same-modality source model): audio {:.1f}%, visual {:.1f}% "
                       "test top-1 — the difficulty of each modality of av-fashion.",
                       100 * num(r["fust"]["stage1_top1"]["audio"]), 100 * num(r["fust"]["stage1_top1"]["visual"])));
    para(fmt::format("Stage 2 starts both encoders from stage 1 in every arm. Rule parameters (not released by the paper; "
                     "ours): τ = {}, η = {}, ρ = {}.",
                     num(rule["tau"]), num(rule["eta"]), num(rule["rho"])));
  }
  if (r.contains("stage_seconds")) {
    heading("Time");
    std::vector<std::vector<std::string>> rows = {{"stage", "seconds"}};
    for (const auto& st : r["stage_seconds"]) rows.push_back({st[0].get<std::string>(), fmt::format("{:.0f}", num(st[1]))});
    table(rows);
  }

  // ---- Markdown
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
      case Block::Figure: md += "![" + b.title + "](figures/" + b.file + ")\n\n*" + b.text + "*\n\n"; break;
    }
  }
  // ---- HTML, figures embedded
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>avtune study report</title><style>"
      "body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;text-align:left}"
      "th{background:#eee}figure{margin:1.5em 0}img{max-width:100%;border:1px solid #ddd}figcaption{color:#555}"
      "</style></head><body>\n<h1>avtune study report</h1>\n";
  auto inline_md = [](std::string s) {  // **bold** only
    s = html_escape(s);
    size_t p;
    bool open = true;
    while ((p = s.find("**")) != std::string::npos) {
      s.replace(p, 2, open ? "<b>" : "</b>");
      open = !open;
    }
    return s;
  };
  for (const auto& b : doc) {
    switch (b.kind) {
      case Block::Heading: html += "<h2>" + html_escape(b.text) + "</h2>\n"; break;
      case Block::Para: html += "<p>" + inline_md(b.text) + "</p>\n"; break;
      case Block::List:
        html += "<ul>\n";
        for (const auto& it : b.rows) html += "<li>" + inline_md(it[0]) + "</li>\n";
        html += "</ul>\n";
        break;
      case Block::Table:
        html += "<table>\n";
        for (size_t i = 0; i < b.rows.size(); ++i) {
          html += "<tr>";
          for (const auto& c : b.rows[i]) html += (i == 0 ? "<th>" : "<td>") + html_escape(c) + (i == 0 ? "</th>" : "</td>");
          html += "</tr>\n";
        }
        html += "</table>\n";
        break;
      case Block::Figure: {
        const std::string png = read_all((fs::path(dir) / "figures" / b.file).string());
        html += "<figure><img alt=\"" + html_escape(b.title) + "\" data-file=\"figures/" + html_escape(b.file) +
                "\" src=\"data:image/png;base64," + base64(png) + "\"><figcaption>" + html_escape(b.text) +
                "</figcaption></figure>\n";
        break;
      }
    }
  }
  // Marks the body with how many figures decoded, so a headless browser can check them (tests do).
  html +=
      "<script>window.addEventListener('load',function(){var i=document.images,n=0;for(var k=0;k<i.length;k++)"
      "if(i[k].complete&&i[k].naturalWidth>0)n++;document.body.setAttribute('data-figures',n+'/'+i.length);});"
      "</script>\n</body></html>\n";
  const std::string md_path = (fs::path(dir) / "report.md").string(), html_path = (fs::path(dir) / "report.html").string();
  write_file_atomic(md_path, md);
  write_file_atomic(html_path, html);
  return {md_path, html_path};
}

}  // namespace avtune
