// int8 (qs8) CHW ops of the delegate program other than the 1x1 convolution (which ops_conv1x1.cpp
// runs on ek_gspmm_qs8): depthwise convolution, the dense stem convolution, add and clamp (a lookup
// table), XNNPACK's qs8 arithmetic.
#pragma once

#include <string>
#include <vector>

#include "edgekit/edgekit.h"
#include "f32-dwconv-chw/f32-dwconv-chw.h"
#include "program.h"
#include "qs8-eltwise-chw/qs8-eltwise-chw.h"

namespace edgekit_et {

// Checks an op whose values are int8 (kind, shapes, clamp, payload); program.cpp has already checked
// the value ids, storage and that input and output dtypes agree. Returns false and says why.
bool validate_qs8_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::string* error);
// Runs a validated int8 op. Returns 0 or an ek_status.
int run_qs8_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::vector<void*>& ptr, ThreadPool& pool);

// Pieces the fused int8 blocks (fused_qs8.cpp) share with the op-by-op path, so both compute the same bits.
// A validated int8 depthwise op on channels [c0, c1) of geometry g (a whole plane or a band of rows):
// channel c reads X + c * x_ld and writes Y + c * y_ld. scratch: ek_qs8_dwconv_chw_scratch(&g) floats.
void qs8_dwconv_channels(const OpInfo& op, const ValueInfo& x, const ValueInfo& y, const ek_dwconv_geom& g,
                         const int8_t* X, int64_t x_ld, int8_t* Y, int64_t y_ld, int64_t c0, int64_t c1,
                         float* scratch);
// Output rows [oy0, oy1) of a validated int8 dense (stem) convolution: y points at row oy0 of channel
// 0, channel m at y + m * y_ld. scratch: ek_qs8_conv_chw_scratch floats for the op's geometry.
void qs8_conv_rows(const OpInfo& op, const ValueInfo& x, const ValueInfo& y, const int8_t* X, int32_t oy0,
                   int32_t oy1, int8_t* Y, int64_t y_ld, float* scratch);
// Floats of scratch qs8_conv_rows needs for this op.
size_t qs8_conv_scratch(const OpInfo& op, const ValueInfo& x, const ValueInfo& y);
// The 1x1 convolution's requantization parameters (x: its input value, y: its output value).
ek_qs8_params qs8_conv1x1_params(const OpInfo& op, const ValueInfo& x, const ValueInfo& y);
// The add's fixed-point parameters (a = in0, b = in1); false when the scales are out of range.
bool qs8_add_params(const OpInfo& op, const std::vector<ValueInfo>& values, ek_qs8_add_params* p);

}  // namespace edgekit_et
