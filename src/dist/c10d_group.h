#pragma once
// The c10d objects behind a DistGroup, for the dist area's own sources only (c10d stays out of the
// public headers).
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include "avtune/dist/process_group.h"

namespace avtune {

struct DistGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
};

}  // namespace avtune
