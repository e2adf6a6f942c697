#include "fused_f32.h"

#include <algorithm>
#include <atomic>

#include "edgekit/edgekit.h"
#include "f32-conv-chw/f32-conv-chw.h"
#include "f32-dwconv-chw/f32-dwconv-chw.h"
#include "f32-eltwise-chw/f32-eltwise-chw.h"
#include "threadpool.h"

namespace edgekit_et {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

bool is_f32(const std::vector<ValueInfo>& values, const ekx_op_rec& r) {
  return values[r.in0].dtype == EKX_F32 && values[r.out].dtype == EKX_F32;
}

struct Geometry {
  int32_t kh, kw, sh, sw, pt, pl;
};

Geometry geometry(const ekx_op_rec& r) { return {r.ip[0], r.ip[1], r.ip[2], r.ip[3], r.ip[4], r.ip[5]}; }

// Input rows [first, last) that output rows [o0, o1) read, clipped to the plane, and how many
// padding rows sit above `first` for output row o0.
struct RowWindow {
  int32_t first, last, pad_top;
};

RowWindow window(const Geometry& g, int32_t H, int32_t o0, int32_t o1) {
  const int32_t start = o0 * g.sh - g.pt;
  const int32_t first = std::max(start, 0);
  const int32_t last = std::min(H, (o1 - 1) * g.sh - g.pt + g.kh);
  return {first, last, first - start};
}

std::vector<float>& thread_scratch() {
  thread_local std::vector<float> scratch;
  return scratch;
}

}  // namespace

std::vector<F32Block> find_f32_blocks(const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                                      const std::vector<uint32_t>& outputs) {
  std::vector<int32_t> uses(values.size(), 0);
  for (const OpInfo& op : ops) {
    uses[op.rec.in0]++;
    if (op.rec.in1 != kNone) uses[op.rec.in1]++;
  }
  for (uint32_t id : outputs) uses[id]++;
  // Read by exactly one op and not an output: the value can live only inside a band.
  auto private_to_block = [&](uint32_t id) { return uses[id] == 1 && values[id].slot >= 0; };

  std::vector<F32Block> blocks;
  const int32_t n = static_cast<int32_t>(ops.size());
  for (int32_t i = 0; i + 1 < n; i++) {
    const ekx_op_rec& d = ops[i].rec;
    const ekx_op_rec& p = ops[i + 1].rec;
    if (d.kind != EKX_OP_DWCONV || p.kind != EKX_OP_CONV1X1 || !is_f32(values, d) || !is_f32(values, p)) continue;
    if (p.in0 != d.out || !private_to_block(d.out)) continue;
    F32Block b;
    b.dw = i;
    b.project = i + 1;
    b.in = d.in0;
    b.out = p.out;
    const int32_t previous_last = blocks.empty() ? -1 : std::max(blocks.back().project, blocks.back().add);
    if (i > 0 && previous_last < i - 1) {
      const ekx_op_rec& e = ops[i - 1].rec;
      // The expansion is a 1x1 conv, or the network's dense stem conv (MobileNetV2's first block has
      // no 1x1 expansion: stem -> depthwise -> project, and the stem's 32x112x112 output is the
      // largest tensor of the network).
      const bool expands = e.kind == EKX_OP_CONV1X1 || e.kind == EKX_OP_CONV;
      if (expands && is_f32(values, e) && e.out == d.in0 && private_to_block(e.out)) {
        b.expand = i - 1;
        b.in = e.in0;
      }
    }
    if (i + 2 < n && private_to_block(p.out)) {
      const ekx_op_rec& a = ops[i + 2].rec;
      if (a.kind == EKX_OP_ADD && is_f32(values, a) && (a.in0 == p.out) != (a.in1 == p.out)) {
        b.add = i + 2;
        b.skip = a.in0 == p.out ? a.in1 : a.in0;
        b.out = a.out;
      }
    }
    // Bands write the output while later bands still read the input (and the skip, row-aligned):
    // the output must not share their memory. Slots are assigned by liveness, so it can.
    const int32_t os = values[b.out].slot;
    const bool aliases = os >= 0 && (os == values[b.in].slot || (b.skip != kNone && os == values[b.skip].slot));
    if (aliases) {
      if (b.add < 0) continue;
      b.add = -1;  // without the add, the projection writes its own (slot-checked) value
      b.skip = kNone;
      b.out = p.out;
      const int32_t ps = values[b.out].slot;
      if (ps >= 0 && ps == values[b.in].slot) continue;
    }
    blocks.push_back(b);
    i = b.add >= 0 ? i + 2 : i + 1;
  }
  return blocks;
}

int32_t f32_block_band_rows(const F32Block& b, const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                            int threads) {
  const ekx_op_rec& d = ops[b.dw].rec;
  const ValueInfo& e = values[d.in0];
  const ValueInfo& y = values[d.out];
  const Geometry g = geometry(d);
  const int64_t row_bytes = int64_t{e.C} * e.W * 4;
  const int64_t rows_in = std::max<int64_t>(g.kh, fused_band_bytes() / row_bytes);
  int32_t rows = static_cast<int32_t>(std::min<int64_t>(y.H, (rows_in - g.kh) / g.sh + 1));
  return threaded_band_rows(rows, y, threads);
}

int run_f32_block(const F32Block& b, int32_t band_rows, const std::vector<ValueInfo>& values,
                  const std::vector<OpInfo>& ops, const std::vector<void*>& ptr, ThreadPool& pool) {
  const OpInfo& dw = ops[b.dw];
  const OpInfo& proj = ops[b.project];
  const ValueInfo& e = values[dw.rec.in0];  // depthwise input (C_exp x H x W)
  const ValueInfo& y = values[b.out];   // C_out x OH x OW
  const Geometry g = geometry(dw.rec);
  const int32_t H = e.H, W = e.W, OH = y.H, OW = y.W, C = e.C;
  const float* X = static_cast<const float*>(ptr[b.in]);
  const float* skip = b.skip != kNone ? static_cast<const float*>(ptr[b.skip]) : nullptr;
  float* Y = static_cast<float*>(ptr[b.out]);
  const float* dw_w = reinterpret_cast<const float*>(dw.data);
  const float* dw_bias = dw_w + int64_t{C} * g.kh * g.kw;
  const ek_f32_params expand_params = b.expand >= 0 ? ek_f32_params{ops[b.expand].rec.fp[0], ops[b.expand].rec.fp[1]}
                                                    : ek_f32_params{0, 0};
  const ek_f32_params proj_params{proj.rec.fp[0], proj.rec.fp[1]};
  const float add_lo = b.add >= 0 ? ops[b.add].rec.fp[0] : 0.0f, add_hi = b.add >= 0 ? ops[b.add].rec.fp[1] : 0.0f;

  // Per-thread scratch: expanded band | depthwise output band | the depthwise kernel's own scratch.
  const int32_t max_rows_in = std::min(H, (band_rows - 1) * g.sh + g.kh);
  const size_t expand_floats = b.expand >= 0 ? (size_t{static_cast<uint32_t>(C)} * max_rows_in * W + 15) / 16 * 16 : 0;
  const size_t band_floats = (size_t{static_cast<uint32_t>(C)} * band_rows * OW + 15) / 16 * 16;
  const ek_dwconv_geom widest_geom{max_rows_in, W, band_rows, OW, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl};
  const size_t dw_floats = ek_f32_dwconv_chw_scratch(&widest_geom);
  size_t conv_floats = 0;  // the stem kernel's phase rows, when the expansion is the stem
  if (b.expand >= 0 && ops[b.expand].rec.kind == EKX_OP_CONV) {
    const ekx_op_rec& r = ops[b.expand].rec;
    const ValueInfo& xi = values[r.in0];
    const ek_conv_geom cg = conv_geom(r, xi, e);
    conv_floats = (ek_f32_conv_chw_scratch(&cg) + 15) / 16 * 16;
  }
  const size_t need = expand_floats + band_floats + dw_floats + conv_floats + 16;

  const int bands = (OH + band_rows - 1) / band_rows;
  std::atomic<int> status{0};
  pool.run(bands, [&](int band) {
    std::vector<float>& scratch = thread_scratch();
    if (scratch.size() < need) scratch.resize(need);
    float* ebuf = scratch.data();
    float* dbuf = ebuf + expand_floats;
    float* dscratch = dbuf + band_floats;
    float* cscratch = dscratch + dw_floats;
    // Bands of equal height (within a row): each at most band_rows, so threads get equal work.
    const int32_t o0 = static_cast<int32_t>(int64_t{band} * OH / bands);
    const int32_t o1 = static_cast<int32_t>(int64_t{band + 1} * OH / bands), orows = o1 - o0;
    const RowWindow win = window(g, H, o0, o1);
    const int32_t rows_in = win.last - win.first;

    const float* in = X + int64_t{win.first} * W;  // depthwise input band, channel stride in_ld
    int64_t in_ld = int64_t{H} * W;
    if (b.expand >= 0 && ops[b.expand].rec.kind == EKX_OP_CONV) {  // stem rows [first, last) of the band
      const OpInfo& cv = ops[b.expand];
      const ek_conv_geom cg = conv_geom(cv.rec, values[cv.rec.in0], e);
      const float* cw = reinterpret_cast<const float*>(cv.data);
      ek_f32_conv_chw(&cg, X, cw, cw + int64_t{cg.C} * cg.kh * cg.kw * C, win.first, win.last, ebuf,
                      int64_t{rows_in} * W, cv.rec.fp[0], cv.rec.fp[1], cscratch);
      in = ebuf;
      in_ld = int64_t{rows_in} * W;
    } else if (b.expand >= 0) {
      ek_status st = ek_gspmm_f32(ops[b.expand].weights, rows_in * W, X + int64_t{win.first} * W, H * W, ebuf,
                                  rows_in * W, &expand_params);
      if (st != EK_OK) status.store(st);
      in = ebuf;
      in_ld = int64_t{rows_in} * W;
    }
    const ek_dwconv_geom bg{rows_in, W, orows, OW, g.kh, g.kw, g.sh, g.sw, win.pad_top, g.pl};
    const int64_t out_ld = int64_t{orows} * OW;
    ek_f32_dwconv_chw_multi(&bg, C, in, in_ld, dw_w, dw_bias, dbuf, out_ld, dw.rec.fp[0], dw.rec.fp[1], dscratch);

    float* yb = Y + int64_t{o0} * OW;
    ek_status st = ek_gspmm_f32(proj.weights, static_cast<int32_t>(out_ld), dbuf, static_cast<int32_t>(out_ld), yb,
                                OH * OW, &proj_params);
    if (st != EK_OK) status.store(st);
    if (skip) {
      const float* sb = skip + int64_t{o0} * OW;
      for (int32_t c = 0; c < y.C; c++) {
        float* row = yb + int64_t{c} * OH * OW;
        ek_f32_add_clamp(static_cast<size_t>(out_ld), row, sb + int64_t{c} * OH * OW, row, add_lo, add_hi);
      }
    }
  });
  return status.load();
}

}  // namespace edgekit_et
