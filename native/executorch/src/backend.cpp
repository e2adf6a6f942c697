// The ExecuTorch side of the edgekit backend: registered statically as "EdgekitBackend" (the name
// the ahead-of-time BackendDetails class writes into the .pte), it validates the delegate blob in
// init() and runs the CHW program in execute().
#include <executorch/runtime/backend/interface.h>
#include <executorch/runtime/core/error.h>
#include <executorch/runtime/core/evalue.h>
#include <executorch/runtime/platform/log.h>

#include <string>

#include "executorch_pool.h"
#include "program.h"

namespace edgekit_et {
namespace {

using executorch::aten::ScalarType;
using executorch::runtime::ArrayRef;
using executorch::runtime::Backend;
using executorch::runtime::BackendExecutionContext;
using executorch::runtime::BackendInitContext;
using executorch::runtime::BackendInterface;
using executorch::runtime::CompileSpec;
using executorch::runtime::DelegateHandle;
using executorch::runtime::Error;
using executorch::runtime::EValue;
using executorch::runtime::FreeableBuffer;
using executorch::runtime::Result;
using executorch::runtime::Span;

// ExecuTorch's shared pool: one set of workers for edgekit and XNNPACK. A second pool of our own
// measured 5-12% slower at 2 threads on MobileNetV2 (XNNPACK's idle workers spin on the same cores).
ThreadPool& runtime_pool() {
  static SerialPool serial;
  ThreadPool* pool = executorch_pool();
  return pool ? *pool : serial;
}

bool tensor_matches(const EValue* v, const ValueInfo& info) {
  if (v == nullptr || !v->isTensor()) return false;
  const auto& t = v->toTensor();
  const ScalarType want = info.dtype == EKX_F32 ? ScalarType::Float : ScalarType::Char;
  return t.scalar_type() == want && t.numel() == info.numel();
}

class EdgekitBackend final : public BackendInterface {
 public:
  bool is_available() const override { return true; }

  Result<DelegateHandle*> init(BackendInitContext& /*context*/, FreeableBuffer* processed,
                               ArrayRef<CompileSpec> /*compile_specs*/) const override {
    std::string error;
    std::unique_ptr<Program> program = Program::parse(processed->data(), processed->size(), &error);
    processed->Free();
    if (!program) {
      ET_LOG(Error, "edgekit backend: invalid delegate blob: %s", error.c_str());
      return error.find("version") != std::string::npos ? Error::DelegateInvalidCompatibility
                                                         : Error::InvalidProgram;
    }
    return program.release();
  }

  Error execute(BackendExecutionContext& /*context*/, DelegateHandle* handle, Span<EValue*> args) const override {
    auto* program = static_cast<Program*>(handle);
    const size_t nin = program->num_inputs(), nout = program->num_outputs();
    if (args.size() != nin + nout) {
      ET_LOG(Error, "edgekit backend: expected %zu tensors, got %zu", nin + nout, args.size());
      return Error::InvalidArgument;
    }
    std::vector<const void*> inputs(nin);
    std::vector<void*> outputs(nout);
    for (size_t i = 0; i < nin; i++) {
      if (!tensor_matches(args[i], program->input(i))) {
        ET_LOG(Error, "edgekit backend: input %zu has the wrong dtype or size", i);
        return Error::InvalidArgument;
      }
      inputs[i] = args[i]->toTensor().const_data_ptr();
    }
    for (size_t i = 0; i < nout; i++) {
      if (!tensor_matches(args[nin + i], program->output(i))) {
        ET_LOG(Error, "edgekit backend: output %zu has the wrong dtype or size", i);
        return Error::InvalidArgument;
      }
      outputs[i] = args[nin + i]->toTensor().mutable_data_ptr();
    }
    int status = program->execute(inputs.data(), outputs.data(), runtime_pool());
    if (status != 0) {
      ET_LOG(Error, "edgekit backend: kernel failed with status %d", status);
      return Error::Internal;
    }
    return Error::Ok;
  }

  void destroy(DelegateHandle* handle) const override { delete static_cast<Program*>(handle); }
};

EdgekitBackend g_backend;
const Backend g_registration{"EdgekitBackend", &g_backend};
const Error g_registered = executorch::runtime::register_backend(g_registration);

}  // namespace
}  // namespace edgekit_et

// Plain C entry points for ctypes (edgekit.backends.executorch.runtime) and the runner.
extern "C" {
__attribute__((visibility("default"))) int edgekit_et_backend_registered(void) {
  return edgekit_et::g_registered == executorch::runtime::Error::Ok ? 1 : 0;
}
__attribute__((visibility("default"))) void edgekit_et_set_num_threads(int threads) {
  edgekit_et::set_executorch_threads(threads);
}
__attribute__((visibility("default"))) int edgekit_et_get_num_threads(void) { return edgekit_et::executorch_threads(); }
}
