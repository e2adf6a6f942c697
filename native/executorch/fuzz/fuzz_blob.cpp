// libFuzzer harness: any byte string given to the delegate blob parser is either rejected with a
// message or accepted and then executed on zero inputs, without reading out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "program.h"
#include "threadpool.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  auto program = edgekit_et::Program::parse(data, size, &error);
  if (!program) return 0;
  // Accepted: run it (bounded sizes so the fuzzer stays fast).
  if (program->max_value_elements() > (1 << 18)) return 0;
  std::vector<std::vector<uint8_t>> in(program->num_inputs()), out(program->num_outputs());
  std::vector<const void*> in_ptr;
  std::vector<void*> out_ptr;
  for (size_t i = 0; i < in.size(); i++) {
    in[i].assign(program->input(i).bytes(), 0);
    in_ptr.push_back(in[i].data());
  }
  for (size_t i = 0; i < out.size(); i++) {
    out[i].assign(program->output(i).bytes(), 0);
    out_ptr.push_back(out[i].data());
  }
  static edgekit_et::SerialPool pool;
  program->execute(in_ptr.data(), out_ptr.data(), pool);
  return 0;
}
