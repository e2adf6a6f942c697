// int8 MobileNet blocks run in output-row bands: [expand 1x1 ->] depthwise -> project 1x1 [-> add],
// the int8 twin of fused_f32.h (same block rule, same band walk, same bits as op-by-op execution).
//
// Op by op, MobileNetV2's second block writes its 96 x 112 x 112 expanded int8 tensor (1.2 MB) with
// streaming stores and the depthwise conv reads it back from memory; in bands the expanded rows
// (plus the depthwise halo, recomputed by the neighbouring band) stay in L2 and the projection and
// residual add run on the band while it is in cache. Bands split over threads with no barrier.
#pragma once

#include <cstdint>
#include <vector>

#include "program.h"

namespace edgekit_et {

class ThreadPool;

struct Qs8Block {
  int32_t expand = -1, dw = -1, project = -1, add = -1;  // op indices; expand / add -1: not fused
  uint32_t in = 0;                                       // value the block reads (expand or dw input)
  uint32_t skip = UINT32_MAX;                            // the add's other operand
  uint32_t out = 0;                                      // value the block writes
  int32_t num_ops() const { return (expand >= 0) + 2 + (add >= 0); }
  int32_t first_op() const { return expand >= 0 ? expand : dw; }
};

// The int8 blocks of a validated program, in op order, never overlapping. outputs: the program's
// boundary output value ids (an intermediate that is also an output is never fused away).
std::vector<Qs8Block> find_qs8_blocks(const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                                      const std::vector<uint32_t>& outputs);

// Depthwise output rows per band (0: run this block op by op at this thread count; threaded_band_rows).
int32_t qs8_block_band_rows(const Qs8Block& b, const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                            int threads);

// Runs the block with the given band height. ptr: value id -> memory. Returns 0 or an ek_status.
int run_qs8_block(const Qs8Block& b, int32_t band_rows, const std::vector<ValueInfo>& values,
                  const std::vector<OpInfo>& ops, const std::vector<void*>& ptr, ThreadPool& pool);

}  // namespace edgekit_et
