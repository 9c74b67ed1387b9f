#pragma once
// The list files of audio-visual data sets as they ship (docs/datasets.md), read into clip lists:
// AVE, VGGSound, UCF-101, and CREMA-D's emotions taken from its file names. Their clips are the
// `avtune preprocess` output of the shipped videos; a clip's name is its video's file stem.
#include <string>
#include <vector>

#include "avtune/data/clip_list.h"

namespace avtune {

// AVE, VGGSound and UCF-101 define their splits as lists over one pool of videos: their clips are
// preprocessed once, into ROOT/audio/all and ROOT/visual/all (`preprocess VIDEOS --split all`).
inline constexpr const char* kClipPoolSplit = "all";

// AVE (Tian et al., ECCV 2018): lines `Category&VideoID&Quality&StartTime&EndTime` (trainSet.txt,
// valSet.txt, testSet.txt; Annotations.txt holds them all under that header line). One clip per line,
// named VideoID (a video with two events is listed twice). Classes in order of first appearance in
// `class_order_files` then in `split_file` — the lab's loaders number them as they appear in
// testSet.txt, so that file goes first.
ClipList read_ave_list(const std::string& split_file, const std::vector<std::string>& class_order_files);

// VGGSound (Chen et al., ICASSP 2020): vggsound.csv, headerless `youtube_id,start_seconds,label,split`
// rows (a label with a comma is quoted). Keeps the rows of `split` (train, test). A clip is named as
// the downloaded file, `<youtube_id>_<start, 6 digits>` (`---g-f_I2yQ_000001`). Classes: every label
// in the file, sorted (all splits share them).
ClipList read_vggsound_csv(const std::string& csv, const std::string& split);

// UCF-101: classInd.txt (`1 ApplyEyeMakeup`, 1-based), trainlist0N.txt (`ApplyEyeMakeup/v_..._g08_c01.avi 1`)
// and testlist0N.txt (the path alone: the class is its folder). Clip name: the file stem. Classes in
// classInd order; a train line whose index disagrees with its folder is an error naming the line.
ClipList read_ucf101_list(const std::string& list_file, const std::string& class_ind);

// CREMA-D's six emotions in the lab's label order (NEU HAP SAD FEA DIS ANG).
const std::vector<std::string>& cremad_classes();
// The emotion of a CREMA-D clip name (`1001_DFA_ANG_XX` -> "ANG"); empty when the name is not one.
std::string cremad_emotion(const std::string& name);
// A CREMA-D split without a labels CSV: every clip in `dir` (its `*.wav` files, or with `folders` its
// frame folders), sorted, labelled by the emotion in its name; a name without one is an error.
ClipList cremad_list_from_names(const std::string& dir, bool folders);

}  // namespace avtune
