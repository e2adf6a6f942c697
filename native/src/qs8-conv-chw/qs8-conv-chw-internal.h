/* Shared between the qs8 dense CHW conv variants (not a public header). */
#ifndef EDGEKIT_QS8_CONV_CHW_INTERNAL_H
#define EDGEKIT_QS8_CONV_CHW_INTERNAL_H
#include "qs8-conv-chw.h"

size_t ek_qs8_conv_chw_portable_scratch(const ek_conv_geom* g);
void ek_qs8_conv_chw__portable(const ek_conv_geom* g, const int8_t* x, const int8_t* w, const int32_t* bias,
                               const float* mult, const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1, int8_t* y,
                               int64_t y_ld, float* scratch);
/* 1 and the pair when this CPU runs the AVX2 kernel (int16 pairs, vpmaddwd); the floats of scratch it needs. */
size_t ek_qs8_conv_chw_avx2_scratch(const ek_conv_geom* g);
int ek_qs8_conv_chw_avx2_variant(const char** name, ek_qs8_conv_chw_fn* fn);
/* 1 and the pair when this CPU runs the AVX-512 VBMI + VNNI kernel; the floats of scratch it needs. */
size_t ek_qs8_conv_chw_avx512_scratch(const ek_conv_geom* g);
int ek_qs8_conv_chw_avx512_variant(const char** name, ek_qs8_conv_chw_fn* fn);
#endif
