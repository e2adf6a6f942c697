// int8 (qs8) CHW ops of the delegate program other than the 1x1 convolution (which program.cpp
// runs on ek_gspmm_qs8): depthwise convolution, add and clamp (a lookup table), XNNPACK's qs8 arithmetic.
#pragma once

#include <string>
#include <vector>

#include "program.h"

namespace edgekit_et {

// Checks an op whose values are int8 (kind, shapes, clamp, payload); program.cpp has already checked
// the value ids, storage and that input and output dtypes agree. Returns false and says why.
bool validate_qs8_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::string* error);
// Runs a validated int8 op. Returns 0 or an ek_status.
int run_qs8_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::vector<void*>& ptr, ThreadPool& pool);

}  // namespace edgekit_et
