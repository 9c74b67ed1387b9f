#pragma once
// The per-clip facts of the embedded data (<av-fashion>/clips.csv, written by make-data; columns
// named in its header): which clips have noise-only audio or item-free frames. The study colours
// stage 1's confidence scatter by them (Fig. 4 style).
#include <map>
#include <string>
#include <vector>

namespace avtune {

// Groups of the confidence scatter, indexed by clip_groups' values.
enum ClipGroup { kBothInformative = 0, kAudioNoiseOnly = 1, kFramesBlank = 2 };
const std::vector<std::string>& clip_group_names();

// Clip name -> group, from the "name", "audio_informative" and "visual_informative" columns (a clip
// with both uninformative counts as audio noise only). A missing file gives an empty map; a header
// without those columns, or a row with too few fields, throws avtune::Error naming the file and line.
std::map<std::string, int> read_clip_groups(const std::string& clips_csv);

}  // namespace avtune
