// The interpreter's pool backed by ExecuTorch's shared thread pool (the pthreadpool XNNPACK and the
// optimized kernels use). One pool per process: on a 2-core device a second pool of our own
// leaves XNNPACK's workers spinning on the cores our workers need, between and after its ops.
#pragma once

#include "threadpool.h"

namespace edgekit_et {

// ExecuTorch's pool, or nullptr if ExecuTorch could not create one (then run single-threaded).
ThreadPool* executorch_pool();
// Resizes ExecuTorch's pool (so XNNPACK's too) when `threads` differs from its size; <= 0: no-op.
void set_executorch_threads(int threads);
int executorch_threads();

}  // namespace edgekit_et
