/* qs8 depthwise CHW, AArch64 NEON, reading the int8 plane in place.
 *
 * Without it an arm64 build ran int8 depthwise on the int32 reference loops. Interior outputs (every
 * tap column inside the row, every loaded byte inside the row) go 8 at a time: x - zp widened to int16,
 * vmlal_n_s16 per tap into two int32x4 (wrapping adds, like the reference's uint32 sum), stride 2 by
 * vld2's even lanes; input rows outside [0, H) are skipped. The requantization is the reference's:
 * fp32 multiply, clamp, FCVTNS (round half to even), + zero point, so results match it bit for bit.
 * Edge columns use the per-output reference arithmetic. Strides 1 and 2; others run the reference. */
#include "qs8-dwconv-chw.h"

#if defined(__aarch64__)
#include <arm_neon.h>

/* One output exactly as ek_qs8_dwconv_chw_ref computes it. */
static int8_t one_output(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                         const ek_qs8_dwconv_params* p, int32_t oy, int32_t ox) {
  uint32_t acc = (uint32_t)bias;
  for (int32_t ky = 0; ky < g->kh; ky++) {
    const int32_t iy = oy * g->sh - g->pad_top + ky;
    if (iy < 0 || iy >= g->H) continue;
    for (int32_t kx = 0; kx < g->kw; kx++) {
      const int32_t ix = ox * g->sw - g->pad_left + kx;
      if (ix < 0 || ix >= g->W) continue;
      acc += (uint32_t)((int32_t)w[ky * g->kw + kx] * ((int32_t)x[(size_t)iy * g->W + ix] - p->input_zero_point));
    }
  }
  return ek_qs8_chw_requant((int32_t)acc, scale, p);
}

static void qs8_dwconv_neon(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                            const ek_qs8_dwconv_params* p, int8_t* y, float* scratch) {
  const int32_t sw = g->sw, W = g->W, pl = g->pad_left, kw = g->kw;
  if (sw != 1 && sw != 2) {
    ek_qs8_dwconv_chw_ref(g, x, w, bias, scale, p, y, scratch);
    return;
  }
  /* Vector blocks of 8 outputs starting at ox need columns ox*sw - pl >= 0 and, for the last tap,
   * the last byte the load touches (8 bytes at stride 1, 16 at stride 2) < W. */
  const int32_t ox_lo = (pl + sw - 1) / sw;
  const int32_t span = sw == 1 ? 8 : 16;
  const int16x8_t vzp = vdupq_n_s16((int16_t)p->input_zero_point);
  const float32x4_t vscale = vdupq_n_f32(scale);
  const float32x4_t vlo = vdupq_n_f32((float)(p->output_min - p->output_zero_point));
  const float32x4_t vhi = vdupq_n_f32((float)(p->output_max - p->output_zero_point));
  const int32x4_t vzp_out = vdupq_n_s32(p->output_zero_point);
  for (int32_t oy = 0; oy < g->OH; oy++) {
    int8_t* yrow = y + (size_t)oy * g->OW;
    int32_t ox = 0;
    for (; ox < ox_lo && ox < g->OW; ox++) yrow[ox] = one_output(g, x, w, bias, scale, p, oy, ox);
    /* last byte read by the block at ox: ox*sw - pl + (kw - 1) + span - 1 */
    for (; ox + 8 <= g->OW && ox * sw - pl + kw - 1 + span - 1 < W; ox += 8) {
      int32x4_t acc0 = vdupq_n_s32(bias), acc1 = acc0;
      for (int32_t ky = 0; ky < g->kh; ky++) {
        const int32_t iy = oy * g->sh - g->pad_top + ky;
        if (iy < 0 || iy >= g->H) continue;
        const int8_t* row = x + (size_t)iy * W + (ox * sw - pl);
        for (int32_t kx = 0; kx < kw; kx++) {
          const int8x8_t v = sw == 1 ? vld1_s8(row + kx) : vld2_s8(row + kx).val[0];
          const int16x8_t xs = vsubq_s16(vmovl_s8(v), vzp);
          const int16_t wt = w[ky * kw + kx];
          acc0 = vmlal_n_s16(acc0, vget_low_s16(xs), wt);
          acc1 = vmlal_high_n_s16(acc1, xs, wt);
        }
      }
      float32x4_t f0 = vmulq_f32(vcvtq_f32_s32(acc0), vscale), f1 = vmulq_f32(vcvtq_f32_s32(acc1), vscale);
      f0 = vminq_f32(vmaxq_f32(f0, vlo), vhi);
      f1 = vminq_f32(vmaxq_f32(f1, vlo), vhi);
      const int32x4_t q0 = vaddq_s32(vcvtnq_s32_f32(f0), vzp_out), q1 = vaddq_s32(vcvtnq_s32_f32(f1), vzp_out);
      vst1_s8(yrow + ox, vqmovn_s16(vcombine_s16(vqmovn_s32(q0), vqmovn_s32(q1))));
    }
    for (; ox < g->OW; ox++) yrow[ox] = one_output(g, x, w, bias, scale, p, oy, ox);
  }
}

int ek_qs8_dwconv_chw_neon_variant(const char** name, ek_qs8_dwconv_chw_fn* fn) {
  *name = "neon";
  *fn = qs8_dwconv_neon;
  return 1;
}
#else
int ek_qs8_dwconv_chw_neon_variant(const char** name, ek_qs8_dwconv_chw_fn* fn) {
  (void)name, (void)fn;
  return 0;
}
#endif
