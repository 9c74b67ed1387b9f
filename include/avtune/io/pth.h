#pragma once
// PyTorch `torch.save` files: the zip format (PyTorch >= 1.6) and the legacy pickle stream.
#include <string>

#include "avtune/io/pickle.h"

namespace avtune {

// Loads every object in the file; tensors land on the CPU with their saved dtype, views and shared
// storages intact. Throws avtune::Error naming the file for anything malformed.
py::ValuePtr load_pth(const std::string& path);

// Writes `root` as a zip-format file that torch.load reads; atomic (temp file + rename).
void save_pth(const std::string& path, const py::ValuePtr& root);

// True when the file starts like a torch.save file (zip or legacy pickle).
bool looks_like_pth(const std::string& path);

}  // namespace avtune
