#include <atomic>
#include <cstdint>
#include <vector>

#include "edgekit/edgekit.h"
#include "f32-conv-chw/f32-conv-chw.h"
#include "f32-dwconv-chw/f32-dwconv-chw.h"
#include "f32-eltwise-chw/f32-eltwise-chw.h"
#include "ops.h"
#include "ranges.h"
#include "threadpool.h"

namespace edgekit_et {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

}  // namespace

int run_f32_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::vector<void*>& ptr, ThreadPool& pool) {
  const ekx_op_rec& r = op.rec;
  const ValueInfo& x = values[r.in0];
  const ValueInfo& y = values[r.out];
  const int threads = pool.threads();
  switch (r.kind) {
    case EKX_OP_DWCONV: {
      const ek_dwconv_geom g = dwconv_geom(r, x, y);
      const float* X = static_cast<const float*>(ptr[r.in0]);
      float* Y = static_cast<float*>(ptr[r.out]);
      const float* w = reinterpret_cast<const float*>(op.data);
      const float* bias = w + int64_t{x.C} * g.kh * g.kw;
      Ranges chans(x.C, threads * 2, 1);
      const size_t scratch_floats = ek_f32_dwconv_chw_scratch(&g);
      pool.run(chans.count, [&](int i) {
        thread_local std::vector<float> scratch;
        if (scratch.size() < scratch_floats) scratch.resize(scratch_floats);
        const int64_t c = chans.begin(i);
        ek_f32_dwconv_chw_multi(&g, static_cast<int32_t>(chans.end(i) - c), X + c * x.H * x.W, int64_t{x.H} * x.W,
                                w + c * g.kh * g.kw, bias + c, Y + c * y.H * y.W, int64_t{y.H} * y.W, r.fp[0],
                                r.fp[1], scratch.data());
      });
      return 0;
    }
    case EKX_OP_ADD:
    case EKX_OP_CLAMP:
    case EKX_OP_HARDSWISH: {
      const float* A = static_cast<const float*>(ptr[r.in0]);
      const float* B = r.in1 == kNone ? nullptr : static_cast<const float*>(ptr[r.in1]);
      float* Y = static_cast<float*>(ptr[r.out]);
      Ranges elems(y.numel(), threads, 64);
      pool.run(elems.count, [&](int i) {
        const int64_t b = elems.begin(i);
        const size_t n = static_cast<size_t>(elems.end(i) - b);
        if (r.kind == EKX_OP_ADD) ek_f32_add_clamp(n, A + b, B + b, Y + b, r.fp[0], r.fp[1]);
        else if (r.kind == EKX_OP_CLAMP) ek_f32_clamp(n, A + b, Y + b, r.fp[0], r.fp[1]);
        else ek_f32_hardswish(n, A + b, Y + b);
      });
      return 0;
    }
    case EKX_OP_CONV: {  // output rows split over threads
      const ek_conv_geom g = conv_geom(r, x, y);
      const float* w = reinterpret_cast<const float*>(op.data);
      const float* bias = w + int64_t{x.C} * g.kh * g.kw * y.C;
      float* Y = static_cast<float*>(ptr[r.out]);
      const size_t scratch_floats = ek_f32_conv_chw_scratch(&g);
      Ranges rows(y.H, threads, 1);
      pool.run(rows.count, [&](int i) {
        thread_local std::vector<float> scratch;
        if (scratch.size() < scratch_floats) scratch.resize(scratch_floats);
        const int32_t oy0 = static_cast<int32_t>(rows.begin(i)), oy1 = static_cast<int32_t>(rows.end(i));
        ek_f32_conv_chw(&g, static_cast<const float*>(ptr[r.in0]), w, bias, oy0, oy1, Y + int64_t{oy0} * y.W,
                        int64_t{y.H} * y.W, r.fp[0], r.fp[1], scratch.data());
      });
      return 0;
    }
    case EKX_OP_GAVGPOOL: {  // channels split over threads (1280 serial sums: 21 us on one core)
      const size_t hw = static_cast<size_t>(x.H) * x.W;
      const float* X = static_cast<const float*>(ptr[r.in0]);
      float* Y = static_cast<float*>(ptr[r.out]);
      Ranges chans(x.C, threads, 8);
      pool.run(chans.count, [&](int i) {
        const int64_t c = chans.begin(i);
        ek_f32_gavgpool_chw(static_cast<size_t>(chans.end(i) - c), hw, X + c * static_cast<int64_t>(hw), Y + c);
      });
      return 0;
    }
    default:
      return EK_ERR_ARG;
  }
}

}  // namespace edgekit_et
