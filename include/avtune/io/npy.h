#pragma once
// NumPy .npy files (format 1.0; 2.0/3.0 read too): little-endian, C order, numpy.load reads them.
#include <torch/torch.h>

#include <string>

namespace avtune {

// Writes `t` (any device, any layout) atomically. Dtypes: float16/32/64, int8/16/32/64, uint8, bool;
// bfloat16 has no NumPy dtype and is refused.
void write_npy(const std::string& path, const torch::Tensor& t);

// Reads a .npy file into a CPU tensor of the matching dtype (Fortran-order arrays come back in C
// order). Throws avtune::Error naming the file for a bad magic, header, dtype (big-endian, structured,
// object) or a truncated payload.
torch::Tensor read_npy(const std::string& path);

}  // namespace avtune
