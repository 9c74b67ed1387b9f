#pragma once
// Short text forms of tensor shapes and dtypes for error messages and tables.
#include <ATen/core/Tensor.h>

#include <string>

namespace avtune {

std::string shape_str(c10::IntArrayRef sizes);  // "[2, 3, 224, 224]"
std::string shape_str(const at::Tensor& t);
std::string dtype_str(c10::ScalarType t);        // "float32", "float16", ...

}  // namespace avtune
