/* NEON requantization of 8 int32 accumulators to 8 int8, bit-exact to ek_requant_scalar:
 * fp32 multiply, clamp in float, vrndnq (round half even; exact vcvtq after it), + zero point,
 * saturating narrow. (vrndnq+vcvtq rather than vcvtnq: SIMDe 0.7.4 lacks vcvtnq_s32_f32.) */
#ifndef EDGEKIT_NEON_REQUANT_H
#define EDGEKIT_NEON_REQUANT_H
#include "../neon_compat.h"

EK_INLINE int8x8_t ek_neon_requant8(int32x4_t a, int32x4_t b, float32x4_t mult, float32x4_t fmin, float32x4_t fmax,
                                    int32x4_t zp) {
  float32x4_t fa = vminq_f32(vmaxq_f32(vmulq_f32(vcvtq_f32_s32(a), mult), fmin), fmax);
  float32x4_t fb = vminq_f32(vmaxq_f32(vmulq_f32(vcvtq_f32_s32(b), mult), fmin), fmax);
  const int32x4_t qa = vaddq_s32(vcvtq_s32_f32(vrndnq_f32(fa)), zp);
  const int32x4_t qb = vaddq_s32(vcvtq_s32_f32(vrndnq_f32(fb)), zp);
  return vqmovn_s16(vcombine_s16(vqmovn_s32(qa), vqmovn_s32(qb)));
}
#endif
