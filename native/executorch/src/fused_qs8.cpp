#include "fused_qs8.h"

#include <algorithm>
#include <atomic>

#include "edgekit/edgekit.h"
#include "ops_qs8.h"
#include "qs8-dwconv-chw/qs8-dwconv-chw.h"
#include "threadpool.h"

namespace edgekit_et {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

bool is_qs8(const std::vector<ValueInfo>& values, const ekx_op_rec& r) {
  return values[r.in0].dtype == EKX_QS8 && values[r.out].dtype == EKX_QS8;
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

}  // namespace

std::vector<Qs8Block> find_qs8_blocks(const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                                      const std::vector<uint32_t>& outputs) {
  std::vector<int32_t> uses(values.size(), 0);
  for (const OpInfo& op : ops) {
    uses[op.rec.in0]++;
    if (op.rec.in1 != kNone) uses[op.rec.in1]++;
  }
  for (uint32_t id : outputs) uses[id]++;
  // Read by exactly one op and not an output: the value can live only inside a band.
  auto private_to_block = [&](uint32_t id) { return uses[id] == 1 && values[id].slot >= 0; };

  std::vector<Qs8Block> blocks;
  const int32_t n = static_cast<int32_t>(ops.size());
  for (int32_t i = 0; i + 1 < n; i++) {
    const ekx_op_rec& d = ops[i].rec;
    const ekx_op_rec& p = ops[i + 1].rec;
    if (d.kind != EKX_OP_DWCONV || p.kind != EKX_OP_CONV1X1 || !is_qs8(values, d) || !is_qs8(values, p)) continue;
    if (p.in0 != d.out || !private_to_block(d.out)) continue;
    Qs8Block b;
    b.dw = i;
    b.project = i + 1;
    b.in = d.in0;
    b.out = p.out;
    const int32_t previous_last = blocks.empty() ? -1 : std::max(blocks.back().project, blocks.back().add);
    if (i > 0 && previous_last < i - 1) {
      const ekx_op_rec& e = ops[i - 1].rec;
      // The expansion is a 1x1 conv, or the dense stem conv (MobileNetV2's first block: stem ->
      // depthwise -> project; the stem's 32 x 112 x 112 output then never leaves the band).
      const bool expands = e.kind == EKX_OP_CONV1X1 || e.kind == EKX_OP_CONV;
      if (expands && is_qs8(values, e) && e.out == d.in0 && private_to_block(e.out)) {
        b.expand = i - 1;
        b.in = e.in0;
      }
    }
    if (i + 2 < n && private_to_block(p.out)) {
      const ekx_op_rec& a = ops[i + 2].rec;
      if (a.kind == EKX_OP_ADD && is_qs8(values, a) && (a.in0 == p.out) != (a.in1 == p.out)) {
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

int32_t qs8_block_band_rows(const Qs8Block& b, const std::vector<ValueInfo>& values, const std::vector<OpInfo>& ops,
                            int threads) {
  const ekx_op_rec& d = ops[b.dw].rec;
  const ValueInfo& e = values[d.in0];
  const ValueInfo& y = values[d.out];
  const Geometry g = geometry(d);
  const int64_t row_bytes = int64_t{e.C} * e.W;
  const int64_t rows_in = std::max<int64_t>(g.kh, fused_band_bytes() / row_bytes);
  int32_t rows = static_cast<int32_t>(std::min<int64_t>(y.H, (rows_in - g.kh) / g.sh + 1));
  return threaded_band_rows(rows, y, threads);
}

int run_qs8_block(const Qs8Block& b, int32_t band_rows, const std::vector<ValueInfo>& values,
                  const std::vector<OpInfo>& ops, const std::vector<void*>& ptr, ThreadPool& pool) {
  const OpInfo& dw = ops[b.dw];
  const OpInfo& proj = ops[b.project];
  const ValueInfo& e = values[dw.rec.in0];   // depthwise input (C_exp x H x W)
  const ValueInfo& d = values[dw.rec.out];   // depthwise output
  const ValueInfo& p = values[proj.rec.out];  // projection output
  const ValueInfo& y = values[b.out];         // C_out x OH x OW
  const Geometry g = geometry(dw.rec);
  const int32_t H = e.H, W = e.W, OH = y.H, OW = y.W, C = e.C;
  const int8_t* X = static_cast<const int8_t*>(ptr[b.in]);
  const int8_t* skip = b.skip != kNone ? static_cast<const int8_t*>(ptr[b.skip]) : nullptr;
  int8_t* Y = static_cast<int8_t*>(ptr[b.out]);
  const bool stem = b.expand >= 0 && ops[b.expand].rec.kind == EKX_OP_CONV;
  const ek_qs8_params expand_params = b.expand >= 0 && !stem
                                          ? qs8_conv1x1_params(ops[b.expand], values[ops[b.expand].rec.in0], e)
                                          : ek_qs8_params{};
  const ek_qs8_params proj_params = qs8_conv1x1_params(proj, d, p);
  ek_qs8_add_params add_params{};
  if (b.add >= 0 && !qs8_add_params(ops[b.add], values, &add_params)) return EK_ERR_ARG;
  const bool proj_first = b.add >= 0 && ops[b.add].rec.in0 == proj.rec.out;  // operand order of the add

  // Per-thread scratch: expanded band | depthwise output band | projection band (with an add) |
  // the depthwise kernel's own scratch (floats; the stem kernel uses it first, before the depthwise).
  const int32_t max_rows_in = std::min(H, (band_rows - 1) * g.sh + g.kh);
  const size_t expand_bytes = b.expand >= 0 ? (size_t{static_cast<uint32_t>(C)} * max_rows_in * W + 63) / 64 * 64 : 0;
  const size_t band_bytes = (size_t{static_cast<uint32_t>(C)} * band_rows * OW + 63) / 64 * 64;
  const size_t proj_bytes = b.add >= 0 ? (size_t{static_cast<uint32_t>(y.C)} * band_rows * OW + 63) / 64 * 64 : 0;
  const ek_dwconv_geom widest_geom{max_rows_in, W, band_rows, OW, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl};
  const size_t dw_bytes = ek_qs8_dwconv_chw_scratch(&widest_geom) * sizeof(float);
  const size_t stem_bytes = stem ? qs8_conv_scratch(ops[b.expand], values[ops[b.expand].rec.in0], e) * sizeof(float) : 0;
  const size_t need = expand_bytes + band_bytes + proj_bytes + (dw_bytes > stem_bytes ? dw_bytes : stem_bytes) + 64;

  const int bands = (OH + band_rows - 1) / band_rows;
  std::atomic<int> status{0};
  pool.run(bands, [&](int band) {
    thread_local std::vector<float> scratch;  // floats keep the depthwise scratch aligned
    if (scratch.size() * sizeof(float) < need) scratch.resize(need / sizeof(float) + 1);
    int8_t* ebuf = reinterpret_cast<int8_t*>(scratch.data());
    int8_t* dbuf = ebuf + expand_bytes;
    int8_t* pbuf = dbuf + band_bytes;
    float* dscratch = reinterpret_cast<float*>(pbuf + proj_bytes);
    // Bands of equal height (within a row): each at most band_rows, so threads get equal work.
    const int32_t o0 = static_cast<int32_t>(int64_t{band} * OH / bands);
    const int32_t o1 = static_cast<int32_t>(int64_t{band + 1} * OH / bands), orows = o1 - o0;
    const RowWindow win = window(g, H, o0, o1);
    const int32_t rows_in = win.last - win.first;

    const int8_t* in = X + int64_t{win.first} * W;  // depthwise input band, channel stride in_ld
    int64_t in_ld = int64_t{H} * W;
    if (stem) {  // stem rows [first, last) of the band (the depthwise scratch is free until then)
      const OpInfo& cv = ops[b.expand];
      qs8_conv_rows(cv, values[cv.rec.in0], e, X, win.first, win.last, ebuf, int64_t{rows_in} * W, dscratch);
      in = ebuf;
      in_ld = int64_t{rows_in} * W;
    } else if (b.expand >= 0) {
      ek_status st = ek_gspmm_qs8(ops[b.expand].weights, rows_in * W, X + int64_t{win.first} * W, H * W, ebuf,
                                  rows_in * W, &expand_params);
      if (st != EK_OK) status.store(st);
      in = ebuf;
      in_ld = int64_t{rows_in} * W;
    }
    const ek_dwconv_geom bg{rows_in, W, orows, OW, g.kh, g.kw, g.sh, g.sw, win.pad_top, g.pl};
    const int64_t out_ld = int64_t{orows} * OW;
    qs8_dwconv_channels(dw, e, d, bg, in, in_ld, dbuf, out_ld, 0, C, dscratch);

    int8_t* yb = Y + int64_t{o0} * OW;
    if (!skip) {
      ek_status st = ek_gspmm_qs8(proj.weights, static_cast<int32_t>(out_ld), dbuf, static_cast<int32_t>(out_ld), yb,
                                  OH * OW, &proj_params);
      if (st != EK_OK) status.store(st);
      return;
    }
    ek_status st = ek_gspmm_qs8(proj.weights, static_cast<int32_t>(out_ld), dbuf, static_cast<int32_t>(out_ld), pbuf,
                                static_cast<int32_t>(out_ld), &proj_params);
    if (st != EK_OK) status.store(st);
    const int8_t* sb = skip + int64_t{o0} * OW;
    for (int32_t c = 0; c < y.C; c++) {
      const int8_t* pr = pbuf + c * out_ld;
      const int8_t* sr = sb + int64_t{c} * OH * OW;
      ek_qs8_add(static_cast<size_t>(out_ld), proj_first ? pr : sr, proj_first ? sr : pr, yb + int64_t{c} * OH * OW,
                 &add_params);
    }
  });
  return status.load();
}

}  // namespace edgekit_et
