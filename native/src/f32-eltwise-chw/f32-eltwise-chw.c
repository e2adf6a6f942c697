#include "f32-eltwise-chw.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EK_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define EK_MULTIVERSION
#endif

EK_MULTIVERSION
void ek_f32_add_clamp(size_t n, const float* restrict a, const float* restrict b, float* restrict y,
                      float out_min, float out_max) {
  for (size_t i = 0; i < n; i++) {
    float v = a[i] + b[i];
    v = v < out_min ? out_min : v;
    y[i] = v > out_max ? out_max : v;
  }
}

EK_MULTIVERSION
void ek_f32_clamp(size_t n, const float* restrict x, float* restrict y, float out_min, float out_max) {
  for (size_t i = 0; i < n; i++) {
    float v = x[i];
    v = v < out_min ? out_min : v;
    y[i] = v > out_max ? out_max : v;
  }
}

EK_MULTIVERSION
void ek_f32_hardswish(size_t n, const float* restrict x, float* restrict y) {
  for (size_t i = 0; i < n; i++) {
    float r = x[i] + 3.0f;
    r = r < 0.0f ? 0.0f : r;
    r = r > 6.0f ? 6.0f : r;
    y[i] = x[i] * r / 6.0f;
  }
}

EK_MULTIVERSION
void ek_f32_gavgpool_chw(size_t channels, size_t hw, const float* restrict x, float* restrict y) {
  for (size_t c = 0; c < channels; c++) {
    const float* row = x + c * hw;
    float s = 0.0f;
    for (size_t i = 0; i < hw; i++) s += row[i];
    y[c] = s / (float)hw;
  }
}
