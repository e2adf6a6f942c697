/* Tiny test harness shared by the native test files: counters, seeded RNG, dense references. */
#ifndef EK_TEST_H
#define EK_TEST_H
#include <stdint.h>
#include <stdio.h>

#include "edgekit/edgekit.h"

extern int ek_t_passed, ek_t_failed;

#define EK_CHECK(cond, ...)                                          \
  do {                                                               \
    if (cond) {                                                      \
      ek_t_passed++;                                                 \
    } else {                                                         \
      ek_t_failed++;                                                 \
      if (ek_t_failed <= 30) {                                       \
        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);         \
        fprintf(stderr, __VA_ARGS__);                                \
        fprintf(stderr, "\n");                                       \
      }                                                              \
    }                                                                \
  } while (0)

/* Reports a failing element without counting it; the case is counted once by EK_CHECK. */
#define EK_REPORT(cond, ...)                                         \
  do {                                                               \
    if (!(cond) && ek_t_failed <= 30) {                              \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
      fprintf(stderr, __VA_ARGS__);                                  \
      fprintf(stderr, "\n");                                         \
    }                                                                \
  } while (0)

typedef struct ek_rng { uint64_t s; } ek_rng;
static inline uint32_t ek_rand(ek_rng* r) {
  r->s ^= r->s << 13; r->s ^= r->s >> 7; r->s ^= r->s << 17;
  return (uint32_t)(r->s >> 16);
}
static inline float ek_randf(ek_rng* r) { return (float)(ek_rand(r) % 2000001u) / 1000000.0f - 1.0f; }
static inline int8_t ek_rand8(ek_rng* r) { return (int8_t)(ek_rand(r) & 0xff); }

void test_format(void);
void test_kernels(void);
int write_seeds(const char* dir);
#endif
