// Op-by-op runners of a validated program's ops, each split over the pool's threads.
#pragma once

#include <vector>

#include "program.h"

namespace edgekit_et {

// A 1x1 convolution, fp32 or int8 (ek_gspmm_*): by column slices, or by output-channel blocks
// (balanced by kept groups) when a plane has too few columns per thread. Returns 0 or an ek_status.
int run_conv1x1_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::vector<void*>& ptr,
                   ThreadPool& pool);
// Any other fp32 op: depthwise and dense (stem) convolution, add / clamp / hardswish, global average
// pool. Returns 0 or an ek_status.
int run_f32_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::vector<void*>& ptr, ThreadPool& pool);

}  // namespace edgekit_et
