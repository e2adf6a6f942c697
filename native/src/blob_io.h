/* Little-endian field access for the portable blob (unaligned-safe, host-endian-independent). */
#ifndef EDGEKIT_BLOB_IO_H
#define EDGEKIT_BLOB_IO_H
#include <stdint.h>

static inline uint64_t ek_align16(uint64_t x) { return (x + 15u) & ~(uint64_t)15u; }
static inline void ek_put_u16(uint8_t* p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void ek_put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void ek_put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t ek_get_u16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t ek_get_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t ek_get_u64(const uint8_t* p) {
  return (uint64_t)ek_get_u32(p) | ((uint64_t)ek_get_u32(p + 4) << 32);
}
static inline float ek_get_f32(const uint8_t* p) {
  union { uint32_t u; float f; } v = {ek_get_u32(p)};
  return v.f;
}
#endif
