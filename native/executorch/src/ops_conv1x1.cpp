#include <algorithm>
#include <atomic>

#include "edgekit/edgekit.h"
#include "ops.h"
#include "ops_qs8.h"
#include "ranges.h"
#include "threadpool.h"

namespace edgekit_et {
namespace {

constexpr int32_t kColumnTile = 16;  // N slices stay multiples of a vector tile
// Below this many columns per thread a 1x1 conv splits by output channels instead: every column
// slice walks all the weights, and a 7x7 plane (49 columns) is one vector tile wide, so two column
// slices cost two full passes (measured: MobileNetV2's last 1x1, int8, 52 us at 1 thread -> 83 us
// at 2 threads by columns).
constexpr int32_t kMinColumnsPerThread = 128;

// A 1x1 conv split over threads by output-channel blocks (ek_weights_split_blocks balances kept groups).
int run_conv1x1_by_channels(const OpInfo& op, const ValueInfo& x, const ValueInfo& y, std::vector<void*>& ptr,
                            ThreadPool& pool) {
  const ekx_op_rec& r = op.rec;
  const int32_t N = x.H * x.W;
  const int parts = std::min(pool.threads(), 64);
  int32_t bounds[65];
  if (ek_weights_split_blocks(op.weights, parts, bounds) != EK_OK) return EK_ERR_ARG;
  std::atomic<int> status{0};
  pool.run(parts, [&](int i) {
    ek_status st;
    if (x.dtype == EKX_F32) {
      const ek_f32_params params{r.fp[0], r.fp[1]};
      st = ek_gspmm_f32_blocks(op.weights, bounds[i], bounds[i + 1], N, static_cast<const float*>(ptr[r.in0]), N,
                               static_cast<float*>(ptr[r.out]), N, &params);
    } else {
      const ek_qs8_params params = qs8_conv1x1_params(op, x, y);
      st = ek_gspmm_qs8_blocks(op.weights, bounds[i], bounds[i + 1], N, static_cast<const int8_t*>(ptr[r.in0]), N,
                               static_cast<int8_t*>(ptr[r.out]), N, &params);
    }
    if (st != EK_OK) status.store(st);
  });
  return status.load();
}

}  // namespace

int run_conv1x1_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::vector<void*>& ptr,
                   ThreadPool& pool) {
  const ekx_op_rec& r = op.rec;
  const ValueInfo& x = values[r.in0];
  const ValueInfo& y = values[r.out];
  const int threads = pool.threads();
  const int32_t N = x.H * x.W;
  if (threads > 1 && N < threads * kMinColumnsPerThread) return run_conv1x1_by_channels(op, x, y, ptr, pool);
  Ranges cols(N, threads, kColumnTile);
  std::atomic<int> status{0};
  if (x.dtype == EKX_F32) {
    const float* X = static_cast<const float*>(ptr[r.in0]);
    float* Y = static_cast<float*>(ptr[r.out]);
    const ek_f32_params params{r.fp[0], r.fp[1]};
    pool.run(cols.count, [&](int i) {
      const int64_t n0 = cols.begin(i);
      ek_status st = ek_gspmm_f32(op.weights, static_cast<int32_t>(cols.end(i) - n0), X + n0, N, Y + n0, N, &params);
      if (st != EK_OK) status.store(st);
    });
  } else {
    const int8_t* X = static_cast<const int8_t*>(ptr[r.in0]);
    int8_t* Y = static_cast<int8_t*>(ptr[r.out]);
    const ek_qs8_params params = qs8_conv1x1_params(op, x, y);
    pool.run(cols.count, [&](int i) {
      const int64_t n0 = cols.begin(i);
      ek_status st = ek_gspmm_qs8(op.weights, static_cast<int32_t>(cols.end(i) - n0), X + n0, N, Y + n0, N, &params);
      if (st != EK_OK) status.store(st);
    });
  }
  return status.load();
}

}  // namespace edgekit_et
