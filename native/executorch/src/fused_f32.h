// fp32 MobileNet blocks run in output-row bands: [expand 1x1 ->] depthwise -> project 1x1 [-> add].
//
// Run op by op, a block writes its 6x-wide expanded tensor whole (96 x 112 x 112 floats = 4.8 MB
// in MobileNetV2's second block), reads it back for the depthwise conv, writes that out and reads
// it again for the projection: the large early layers were memory-bound. Here each band of output
// rows is computed end to end in a per-thread scratch that stays in L2 (the expanded band plus its
// depthwise halo rows, which are recomputed by the neighbouring band), and the residual add runs on
// the band while it is still in cache. Bands are independent, so threads split them with no
// synchronisation between the block's ops.
//
// Blocks are found in an already validated program (no format change): an fp32 depthwise op whose
// output is read only by the next op, an fp32 1x1 conv; optionally the 1x1 conv before it (whose
// output only the depthwise reads; or the dense stem conv in that place) and the add after it (the
// projection read only by that add).
#pragma once

#include <cstdint>
#include <vector>

#include "program.h"

namespace edgekit_et {

class ThreadPool;

struct F32Block {
  int32_t expand = -1, dw = -1, project = -1, add = -1;  // op indices; expand / add -1: not fused
  uint32_t in = 0;                                       // value the block reads (expand or dw input)
  uint32_t skip = UINT32_MAX;                            // the add's other operand
  uint32_t out = 0;                                      // value the block writes
  int32_t num_ops() const { return (expand >= 0) + 2 + (add >= 0); }
  int32_t first_op() const { return expand >= 0 ? expand : dw; }
};

// The blocks of a validated program, in op order, never overlapping. outputs: the program's
// boundary output value ids (an intermediate that is also an output is never fused away).
std::vector<F32Block> find_f32_blocks(const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                                      const std::vector<uint32_t>& outputs);

// Depthwise output rows per band for this block and thread count: the expanded band (input rows of
// the band times the expanded channels) fits a fixed L2 budget; 0 means "do not fuse here"
// (threaded_band_rows in program.h: small planes at more than one thread run op by op).
int32_t f32_block_band_rows(const F32Block& b, const std::vector<ValueInfo>& values,
                            const std::vector<OpInfo>& ops, int threads);

// Runs the block with the given band height. ptr: value id -> memory. Returns 0 or an ek_status.
int run_f32_block(const F32Block& b, int32_t band_rows, const std::vector<ValueInfo>& values,
                  const std::vector<OpInfo>& ops, const std::vector<void*>& ptr, ThreadPool& pool);

}  // namespace edgekit_et
