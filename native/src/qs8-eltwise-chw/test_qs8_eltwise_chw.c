/* qs8 elementwise kernels against plain loops, bit for bit: the lookup table (AVX-512 VBMI path when
 * the CPU has it) and the add (its per-ISA clones) on lengths 0..300 at odd offsets, random tables,
 * extreme scales and zero points; checks nothing is written past the end.
 *
 *   ekx_qs8_eltwise_test       run the checks (exit 1 on a mismatch) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qs8-eltwise-chw/qs8-eltwise-chw.h"

#define CANARY 0x5A
#define MAXN 300

static uint32_t rng_state = 4242u;
static uint32_t urand(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}

/* The add's arithmetic written out once more, independently of the library's loop. */
static int8_t add_ref(int8_t a, int8_t b, const ek_qs8_add_params* p) {
  const int64_t acc = (int64_t)p->bias + (int64_t)a * p->a_mult + (int64_t)b * p->b_mult;
  int64_t out = acc >= 0 ? acc >> p->shift : -((-acc + ((1ll << p->shift) - 1)) >> p->shift);
  out = out < p->lo ? p->lo : out;
  out = out > p->hi ? p->hi : out;
  return (int8_t)(out + p->zp_out);
}

int main(void) {
  int8_t x[MAXN + 80], b[MAXN + 80], y[MAXN + 80], table[256];
  int failures = 0, cases = 0;
  for (int round = 0; round < 40; round++) {
    for (int i = 0; i < 256; i++) table[i] = (int8_t)(urand() & 0xFF);
    for (int i = 0; i < MAXN + 80; i++) x[i] = (int8_t)(urand() & 0xFF), b[i] = (int8_t)(urand() & 0xFF);
    ek_qs8_add_params p;
    const float sa = (round % 4 == 0 ? 0.002f : 0.05f) * (1.0f + (float)(urand() % 1000) / 1000.0f);
    const float sb = (round % 4 == 1 ? 3.0f : 0.04f) * (1.0f + (float)(urand() % 1000) / 1000.0f);
    const float sy = 0.06f;
    const int32_t za = round % 5 == 0 ? -128 : (int32_t)(urand() % 256) - 128;
    const int32_t zb = round % 5 == 0 ? 127 : (int32_t)(urand() % 256) - 128;
    const int32_t zy = (int32_t)(urand() % 256) - 128;
    const int8_t lo = round % 3 == 0 ? (int8_t)zy : -128, hi = round % 3 == 0 ? (int8_t)(zy / 2 + 60) : 127;
    if (ek_qs8_add_init(&p, sa, za, sb, zb, sy, zy, lo, hi) != 0) {
      fprintf(stderr, "FAIL add init rejected round %d\n", round);
      failures++;
      continue;
    }
    for (int n = 0; n <= MAXN; n += (n < 70 ? 1 : 37)) {
      const int off = (int)(urand() % 7);
      for (int op = 0; op < 2; op++) {
        memset(y, CANARY, sizeof y);
        if (op == 0) ek_qs8_lut((size_t)n, x + off, table, y + off);
        else ek_qs8_add((size_t)n, x + off, b + off, y + off, &p);
        cases++;
        for (int i = 0; i < (int)sizeof y; i++) {
          const int inside = i >= off && i < off + n;
          const int8_t want = !inside ? (int8_t)CANARY
                              : op == 0 ? table[(uint8_t)x[i]] : add_ref(x[i], b[i], &p);
          if (y[i] != want) {
            fprintf(stderr, "FAIL %s n=%d off=%d round=%d: y[%d]=%d want %d%s\n", op ? "add" : "lut", n, off, round,
                    i - off, y[i], want, inside ? "" : " (wrote outside)");
            failures++;
            break;
          }
        }
      }
    }
  }
  printf("qs8-eltwise-chw: lut + add x %d cases vs plain loops: %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
