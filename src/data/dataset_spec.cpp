#include "avtune/data/dataset_spec.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "avtune/data/image_folder_dataset.h"
#include "avtune/data/shipped_lists.h"
#include "avtune/util/error.h"

namespace avtune {

namespace fs = std::filesystem;

namespace {
std::string or_default(const std::string& v, const fs::path& d) { return v.empty() ? d.string() : v; }

std::set<int> parse_folds(const std::string& split) {
  // "fold3" -> {3}; "train:1,2,3,4" or "1,2,3,4" -> {1,2,3,4}; the default split names hold out the
  // last fold (ESC-50's folds are pre-arranged so that clips of one source share a fold).
  if (split == "train") return {1, 2, 3, 4};
  if (split == "test" || split == "val") return {5};
  std::string s = split;
  if (s.rfind("fold", 0) == 0) s = s.substr(4);
  if (auto c = s.find(':'); c != std::string::npos) s = s.substr(c + 1);
  std::set<int> folds;
  std::stringstream ss(s);
  for (std::string t; std::getline(ss, t, ',');) {
    try {
      folds.insert(std::stoi(t));
    } catch (...) {
      fail("esc50", "a split like train (folds 1-4), test (fold 5), fold3 or train:1,2,3,4", "'" + split + "'");
    }
  }
  return folds;
}
}  // namespace

std::shared_ptr<Dataset> open_dataset(const DatasetSpec& spec, const std::string& split, bool train) {
  const fs::path root(spec.root);
  if (spec.format == "image-folder") {
    ImageFolderOptions o;
    o.train = train;
    o.image_size = spec.clip.image_size;
    if (!fs::is_directory(root / split)) {  // say which splits there are (e.g. val, not test)
      std::string have;
      if (fs::is_directory(root))
        for (auto& e : fs::directory_iterator(root))
          if (e.is_directory()) have += (have.empty() ? "" : ", ") + e.path().filename().string();
      fail("image-folder", "a split folder " + (root / split).string() + " (choose it with --train-split/--eval-split)",
           have.empty() ? "no folders in " + root.string() : "only " + have);
    }
    return std::make_shared<ImageFolderDataset>((root / split).string(), o);
  }
  AVClipOptions o = spec.clip;
  o.modality = spec.modality;
  o.train = train;
  auto list_of = [&](const fs::path& conventional) {
    auto it = spec.lists.find(split);
    return it != spec.lists.end() ? it->second : conventional.string();
  };
  ClipList list;
  if (spec.format == "ks") {
    list = read_ks_list(list_of(root / (split + "_1fps_path.txt")), spec.classes_file);
  } else if (spec.format == "csv") {
    std::vector<std::string> classes;  // one name per line, in label order; else the sorted names in the CSV
    if (!spec.classes_file.empty()) {
      std::ifstream in(spec.classes_file);
      if (!in) fail("dataset", "a readable classes file", "cannot open it", {spec.classes_file});
      for (std::string l; std::getline(in, l);)
        if (!l.empty()) classes.push_back(l);
    }
    list = read_label_csv(list_of(root / (split + ".csv")), classes);
  } else if (spec.format == "esc50") {
    list = read_esc50(list_of(root / "meta" / "esc50.csv"), parse_folds(split));
    o.audio_dir = or_default(spec.audio_dir, root / "audio");
    o.modality = Modality::Audio;
    return std::make_shared<AVClipDataset>(std::move(list), o);
  } else if (spec.format == "cremad") {
    // <split>.csv of name,EMOTION when there is one, else the emotions in the clips' names.
    const fs::path csv = list_of(root / (split + ".csv"));
    list = fs::exists(csv) ? read_label_csv(csv.string(), cremad_classes())
           : spec.modality == Modality::Visual
               ? cremad_list_from_names(or_default(spec.visual_dir, root / "visual" / split), true)
               : cremad_list_from_names(or_default(spec.audio_dir, root / "audio" / split), false);
  } else if (spec.format == "ave" || spec.format == "vggsound" || spec.format == "ucf101") {
    // Splits are lists over one pool of preprocessed clips (shipped_lists.h).
    if (spec.format == "ave") {
      list = read_ave_list(list_of(root / (split + "Set.txt")),
                           {(root / "testSet.txt").string(), (root / "Annotations.txt").string()});
    } else if (spec.format == "vggsound") {
      list = read_vggsound_csv(list_of(root / "vggsound.csv"), split);
    } else {
      // "train"/"test" are split 1 of the three; "train2", "test3", ... the others.
      const fs::path dir = fs::is_directory(root / "ucfTrainTestlist") ? root / "ucfTrainTestlist" : root;
      std::string kind = split, n = "1";
      if (!kind.empty() && kind.back() >= '1' && kind.back() <= '3') n = kind.back(), kind.pop_back();
      if (kind != "train" && kind != "test") fail("ucf101", "a split train|test (split 1) or train2, test3, ...", "'" + split + "'");
      list = read_ucf101_list(list_of(dir / (kind + "list0" + n + ".txt")),
                              spec.classes_file.empty() ? (dir / "classInd.txt").string() : spec.classes_file);
    }
    o.audio_dir = or_default(spec.audio_dir, root / "audio" / kClipPoolSplit);
    o.visual_dir = or_default(spec.visual_dir, root / "visual" / kClipPoolSplit);
    return std::make_shared<AVClipDataset>(std::move(list), o);
  } else {
    fail("dataset", "format ks|csv|esc50|image-folder|cremad|ave|vggsound|ucf101", "'" + spec.format + "'");
  }
  o.audio_dir = or_default(spec.audio_dir, root / "audio" / split);
  o.visual_dir = or_default(spec.visual_dir, root / "visual" / split);
  return std::make_shared<AVClipDataset>(std::move(list), o);
}

}  // namespace avtune
