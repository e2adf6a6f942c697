#include "fused_f32_channels.h"

#include <algorithm>
#include <atomic>

#include "edgekit/edgekit.h"
#include "f32-dwconv-chw/f32-dwconv-chw.h"
#include "f32-eltwise-chw/f32-eltwise-chw.h"
#include "threadpool.h"

namespace edgekit_et {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

// Largest output plane (pixels) split by channels: MobileNetV2's 7x7 blocks (2 threads, 90%: 47 / 50 /
// 58 median 76 -> 62-66, 79 -> 66-71, 100 -> 87-91 us vs op by op). Its 14x14 blocks lose (+15-19%:
// the projection reads the depthwise output the other thread wrote, and the block pays two barriers
// instead of one), so they stay in row bands.
constexpr int64_t kMaxPlane = 49;
// Work items per thread in each phase, so the pool can move work off a descheduled vCPU (8 was
// slower than 4: per-call cost; 1-2 balanced worse).
constexpr int kItemsPerThread = 4;

// Output-channel slices of a 1x1 conv, balanced by kept groups: channels [first(i), last(i)).
struct Slices {
  int parts = 0, group_m = 1, M = 0;
  int32_t bounds[65];
  bool init(const ek_weights* w, int want) {
    ek_weights_info info;
    if (ek_weights_info_get(w, &info) != EK_OK) return false;
    parts = std::max(1, std::min(want, 64));
    group_m = info.group_m;
    M = info.M;
    return ek_weights_split_blocks(w, parts, bounds) == EK_OK;
  }
  int32_t first(int i) const { return std::min(M, bounds[i] * group_m); }
  int32_t last(int i) const { return std::min(M, bounds[i + 1] * group_m); }
};

std::vector<float>& dw_scratch(size_t floats) {
  thread_local std::vector<float> s;
  if (s.size() < floats) s.resize(floats);
  return s;
}

}  // namespace

bool f32_block_by_channels(const F32Block& b, const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                           int threads) {
  const ValueInfo& y = values[b.out];
  const bool stem = b.expand >= 0 && ops[b.expand].rec.kind != EKX_OP_CONV1X1;  // stem rows: bands only
  return threads > 1 && !stem && int64_t{y.H} * y.W <= kMaxPlane;
}

int run_f32_block_channels(const F32Block& b, const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                           const std::vector<void*>& ptr, ThreadPool& pool) {
  const OpInfo& dw = ops[b.dw];
  const OpInfo& proj = ops[b.project];
  const ValueInfo& e = values[dw.rec.in0];
  const ValueInfo& d = values[dw.rec.out];
  const int32_t N_in = e.H * e.W, N = d.H * d.W;
  const ekx_op_rec& r = dw.rec;
  const ek_dwconv_geom g = dwconv_geom(r, e, d);
  const float* dw_w = reinterpret_cast<const float*>(dw.data);
  const float* dw_bias = dw_w + int64_t{e.C} * g.kh * g.kw;
  const bool expand = b.expand >= 0;
  if (expand && ops[b.expand].rec.kind != EKX_OP_CONV1X1) return EK_ERR_ARG;  // f32_block_by_channels: never

  // Shared buffers (the calling thread's): expanded plane | depthwise output.
  thread_local std::vector<float> shared;
  const size_t e_floats = expand ? (size_t(e.C) * N_in + 15) / 16 * 16 : 0;
  if (shared.size() < e_floats + size_t(d.C) * N) shared.resize(e_floats + size_t(d.C) * N);
  float* ebuf = shared.data();
  float* dbuf = ebuf + e_floats;
  const float* X = static_cast<const float*>(ptr[b.in]);
  const size_t scratch_floats = ek_f32_dwconv_chw_scratch(&g);
  const int threads = pool.threads();
  std::atomic<int> status{0};

  // Phase 1: expand + depthwise, ranges of expanded channels.
  Slices ex;
  if (expand && !ex.init(ops[b.expand].weights, threads * kItemsPerThread)) return EK_ERR_ARG;
  const int parts1 = expand ? ex.parts : std::min(threads * kItemsPerThread, e.C);
  pool.run(parts1, [&](int i) {
    int32_t c0 = static_cast<int32_t>(int64_t{e.C} * i / parts1);
    int32_t c1 = static_cast<int32_t>(int64_t{e.C} * (i + 1) / parts1);
    const float* in = X;
    if (expand) {
      const ekx_op_rec& er = ops[b.expand].rec;
      const ek_f32_params ep{er.fp[0], er.fp[1]};
      c0 = ex.first(i);
      c1 = ex.last(i);
      ek_status st = ek_gspmm_f32_blocks(ops[b.expand].weights, ex.bounds[i], ex.bounds[i + 1], N_in, X, N_in, ebuf,
                                         N_in, &ep);
      if (st != EK_OK) status.store(st);
      in = ebuf;
    }
    if (c1 <= c0) return;
    ek_f32_dwconv_chw_multi(&g, c1 - c0, in + int64_t{c0} * N_in, N_in, dw_w + int64_t{c0} * g.kh * g.kw,
                            dw_bias + c0, dbuf + int64_t{c0} * N, N, r.fp[0], r.fp[1],
                            dw_scratch(scratch_floats).data());
  });
  if (status.load() != 0) return status.load();

  // Phase 2: projection (+ add), ranges of output channels.
  Slices pr;
  if (!pr.init(proj.weights, threads * kItemsPerThread)) return EK_ERR_ARG;
  float* Y = static_cast<float*>(ptr[b.out]);
  const float* skip = b.skip != kNone ? static_cast<const float*>(ptr[b.skip]) : nullptr;
  const ek_f32_params pp{proj.rec.fp[0], proj.rec.fp[1]};
  pool.run(pr.parts, [&](int i) {
    ek_status st = ek_gspmm_f32_blocks(proj.weights, pr.bounds[i], pr.bounds[i + 1], N, dbuf, N, Y, N, &pp);
    if (st != EK_OK) status.store(st);
    if (!skip) return;
    const float lo = ops[b.add].rec.fp[0], hi = ops[b.add].rec.fp[1];
    for (int32_t c = pr.first(i); c < pr.last(i); c++) {
      float* row = Y + int64_t{c} * N;
      ek_f32_add_clamp(static_cast<size_t>(N), row, skip + int64_t{c} * N, row, lo, hi);
    }
  });
  return status.load();
}

}  // namespace edgekit_et
