// fp32 MobileNet blocks on small planes split over threads by channels instead of row bands.
//
// At 14x14 and 7x7 a row band re-expands most of the plane as halo, and two bands of a few rows
// leave every kernel with a short N (one or two vector tiles plus remainders) and the depthwise
// kernel's per-channel cost paid twice. Here phase 1 expands and depthwise-convolves ranges of
// expanded channels over the whole plane into a shared buffer, and after one barrier phase 2
// projects (and adds) ranges of output channels. Both phases have several work items per thread,
// so the pool can balance when one vCPU is descheduled. Same bits as op by op (channel splits
// never change a sum's order).
#pragma once

#include <vector>

#include "fused_f32.h"

namespace edgekit_et {

// Whether the block runs split by channels at `threads`: 2+ threads, an output plane of at most 49
// pixels (7x7), no stem expansion.
bool f32_block_by_channels(const F32Block& b, const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                           int threads);

// Runs the block in two channel-split phases. Returns 0 or an ek_status.
int run_f32_block_channels(const F32Block& b, const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                           const std::vector<void*>& ptr, ThreadPool& pool);

}  // namespace edgekit_et
