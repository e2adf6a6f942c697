/* Native test runner: `ek_tests [LEG]` runs every test and prints `LEG: N passed, N failed`.
 * `ek_tests --write-seeds DIR` writes valid blobs as a fuzzing seed corpus. */
#include <string.h>

#include "ek_test.h"

int ek_t_passed, ek_t_failed;

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) return write_seeds(argv[2]);
  const char* leg = argc > 1 ? argv[1] : "native";
  uint32_t isa = ek_isa_available();
  printf("%s: %s; ISAs:", leg, ek_version());
  for (int i = 1; i <= EK_ISA_AVX512; i++)
    if (isa & (1u << i)) printf(" %s", ek_isa_name((ek_isa)i));
  printf("; selected f32=%s qs8=%s\n", ek_isa_name(ek_isa_selected(EK_DTYPE_F32)),
         ek_isa_name(ek_isa_selected(EK_DTYPE_QS8)));
  test_format();
  test_kernels();
  printf("%s: %d passed, %d failed\n", leg, ek_t_passed, ek_t_failed);
  return ek_t_failed ? 1 : 0;
}
