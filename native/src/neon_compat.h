/* NEON intrinsics: the real <arm_neon.h> on aarch64, SIMDe's portable version when the NEON
 * sources are compiled for x86 to test their logic on every run (EK_NEON_SIMDE). */
#ifndef EDGEKIT_NEON_COMPAT_H
#define EDGEKIT_NEON_COMPAT_H
#ifdef EK_NEON_SIMDE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/arm/neon.h>
#else
#include <arm_neon.h>
#endif
#define EK_INLINE static inline __attribute__((always_inline))
#endif
