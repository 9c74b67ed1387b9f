#pragma once
// Where a data set lives and how to read it, as the CLI and the study driver describe it.
//   format "ks"           root/{audio,visual}/<split>/ + root/<split>_1fps_path.txt (+ classes.txt)
//                         (what `avtune preprocess` and `avtune make-data` write; the reference's layout)
//   format "csv"          like ks, with root/<split>.csv of `name,LABEL` rows (CREMA-D)
//   format "esc50"        root/audio/*.wav + root/meta/esc50.csv; split "fold1".."fold5", "train:1,2,3,4",
//                         or train (folds 1-4) / test, val (fold 5)
//   format "image-folder" root/<split>/<class>/*.jpg|png
//   format "cremad"       like csv with CREMA-D's six emotions; without <split>.csv, the emotions in the clip names
//   format "ave", "vggsound", "ucf101": the shipped lists (trainSet.txt..., vggsound.csv, ucfTrainTestlist/)
//                         over one pool of clips, root/{audio,visual}/all (data/shipped_lists.h)
// Explicit paths override the conventions: audio_dir, visual_dir, list file per split.
#include <map>
#include <memory>
#include <string>

#include "avtune/data/av_clip_dataset.h"
#include "avtune/data/dataset.h"

namespace avtune {

struct DatasetSpec {
  std::string format = "ks";
  std::string root;
  std::string audio_dir, visual_dir;            // default: root/audio/<split>, root/visual/<split>
  std::map<std::string, std::string> lists;     // split -> list file (default by convention)
  std::string classes_file;
  Modality modality = Modality::AV;
  AVClipOptions clip;  // input options (dirs and train flag are filled in); image-folder uses clip.image_size
};

// Opens split `split` (e.g. "train", "val", "test"); `train` turns on random augmentation.
std::shared_ptr<Dataset> open_dataset(const DatasetSpec& spec, const std::string& split, bool train);

}  // namespace avtune
