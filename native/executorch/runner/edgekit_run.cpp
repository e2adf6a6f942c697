// edgekit-run MODEL.pte [--runs N] [--threads T] [--input FILE] [--output FILE]
//
// Runs an ExecuTorch program without Python: edgekit's backend (linked in, registered statically),
// XNNPACK and the optimized CPU kernels. Inputs are float32, read raw from FILE (all inputs back to
// back) or filled with a fixed pattern; outputs are written raw (float32) to FILE. Prints one JSON
// line: {"runs": N, "threads": T, "median_ms": .., "min_ms": .., "outputs": [[shape..], ..]}.
#include <executorch/extension/data_loader/file_data_loader.h>
#include <executorch/runtime/core/evalue.h>
#include <executorch/runtime/core/exec_aten/exec_aten.h>
#include <executorch/runtime/core/hierarchical_allocator.h>
#include <executorch/runtime/core/memory_allocator.h>
#include <executorch/runtime/executor/memory_manager.h>
#include <executorch/runtime/executor/method.h>
#include <executorch/runtime/executor/program.h>
#include <executorch/runtime/platform/runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

extern "C" void edgekit_et_set_num_threads(int threads);
extern "C" int edgekit_et_backend_registered(void);

using executorch::aten::ScalarType;
using executorch::aten::Tensor;
using executorch::aten::TensorImpl;
using executorch::extension::FileDataLoader;
using executorch::runtime::Error;
using executorch::runtime::EValue;
using executorch::runtime::HierarchicalAllocator;
using executorch::runtime::MemoryAllocator;
using executorch::runtime::MemoryManager;
using executorch::runtime::Method;
using executorch::runtime::MethodMeta;
using executorch::runtime::Program;
using executorch::runtime::Result;
using executorch::runtime::Span;

namespace {

int usage() {
  std::fprintf(stderr, "usage: edgekit-run MODEL.pte [--runs N] [--threads T] [--input FILE] [--output FILE]\n");
  return 2;
}

int die(const std::string& msg) {
  std::fprintf(stderr, "edgekit-run: error: %s\n", msg.c_str());
  return 1;
}

struct InputTensor {
  std::vector<float> data;
  std::vector<executorch::aten::SizesType> sizes;
  std::vector<executorch::aten::DimOrderType> dim_order;
  std::unique_ptr<TensorImpl> impl;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const char* model = nullptr;
  int runs = 10, threads = 1;
  std::string input_path, output_path;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if ((a == "--runs" || a == "--threads" || a == "--input" || a == "--output") && i + 1 < argc) {
      std::string v = argv[++i];
      if (a == "--runs") runs = std::atoi(v.c_str());
      if (a == "--threads") threads = std::atoi(v.c_str());
      if (a == "--input") input_path = v;
      if (a == "--output") output_path = v;
    } else if (a[0] != '-' && !model) {
      model = argv[i];
    } else {
      return usage();
    }
  }
  if (!model || runs < 1 || threads < 1) return usage();

  executorch::runtime::runtime_init();
  if (!edgekit_et_backend_registered()) return die("the edgekit backend failed to register");
  edgekit_et_set_num_threads(threads);  // ExecuTorch's shared pool: edgekit and XNNPACK both

  Result<FileDataLoader> loader = FileDataLoader::from(model);
  if (!loader.ok()) return die(std::string("cannot open ") + model);
  Result<Program> program = Program::load(&loader.get());
  if (!program.ok()) return die(std::string(model) + " is not a valid ExecuTorch program");
  Result<MethodMeta> meta = program->method_meta("forward");
  if (!meta.ok()) return die("the program has no method 'forward'");

  std::vector<std::unique_ptr<uint8_t[]>> planned;
  std::vector<Span<uint8_t>> planned_spans;
  for (size_t i = 0; i < meta->num_memory_planned_buffers(); i++) {
    const size_t n = static_cast<size_t>(meta->memory_planned_buffer_size(i).get());
    planned.emplace_back(new uint8_t[n]);
    planned_spans.emplace_back(planned.back().get(), n);
  }
  HierarchicalAllocator planned_memory({planned_spans.data(), planned_spans.size()});
  std::vector<uint8_t> method_pool(64 << 20), temp_pool(16 << 20);
  MemoryAllocator method_allocator(method_pool.size(), method_pool.data());
  MemoryAllocator temp_allocator(temp_pool.size(), temp_pool.data());
  MemoryManager memory(&method_allocator, &planned_memory, &temp_allocator);
  Result<Method> method = program->load_method("forward", &memory);
  if (!method.ok())
    return die("failed to load method forward (error " + std::to_string(static_cast<int>(method.error())) +
               "): a delegate was rejected or an operator is missing; see the log above");

  std::vector<float> file_data;
  if (!input_path.empty()) {
    FILE* f = std::fopen(input_path.c_str(), "rb");
    if (!f) return die("cannot open input " + input_path);
    float buf[4096];
    size_t n;
    while ((n = std::fread(buf, sizeof(float), 4096, f)) > 0) file_data.insert(file_data.end(), buf, buf + n);
    std::fclose(f);
  }
  size_t consumed = 0;
  std::vector<InputTensor> inputs(method->inputs_size());
  for (size_t i = 0; i < method->inputs_size(); i++) {
    auto tmeta = meta->input_tensor_meta(i);
    if (!tmeta.ok() || tmeta->scalar_type() != ScalarType::Float) return die("only float32 tensor inputs are supported");
    InputTensor& in = inputs[i];
    size_t numel = 1;
    for (auto s : tmeta->sizes()) {
      in.sizes.push_back(s);
      numel *= static_cast<size_t>(s);
    }
    for (size_t d = 0; d < in.sizes.size(); d++) in.dim_order.push_back(static_cast<executorch::aten::DimOrderType>(d));
    in.data.resize(numel);
    if (!file_data.empty()) {
      if (consumed + numel > file_data.size()) return die("input file is smaller than the model's inputs");
      std::copy(file_data.begin() + consumed, file_data.begin() + consumed + numel, in.data.begin());
      consumed += numel;
    } else {
      for (size_t k = 0; k < numel; k++) in.data[k] = static_cast<float>((k * 7919u) % 1000u) / 500.0f - 1.0f;
    }
    in.impl = std::make_unique<TensorImpl>(ScalarType::Float, in.sizes.size(), in.sizes.data(), in.data.data(),
                                           in.dim_order.data());
  }
  if (!file_data.empty() && consumed != file_data.size()) return die("input file is larger than the model's inputs");

  std::vector<double> times;
  for (int r = 0; r < runs; r++) {
    // Planned memory may reuse an input's buffer once it is consumed: set inputs before every run.
    for (size_t i = 0; i < inputs.size(); i++)
      if (method->set_input(EValue(Tensor(inputs[i].impl.get())), i) != Error::Ok) return die("set_input failed");
    auto t0 = std::chrono::steady_clock::now();
    Error err = method->execute();
    auto t1 = std::chrono::steady_clock::now();
    if (err != Error::Ok) return die("execute failed (error " + std::to_string(static_cast<int>(err)) + ")");
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }

  FILE* out = output_path.empty() ? nullptr : std::fopen(output_path.c_str(), "wb");
  if (!output_path.empty() && !out) return die("cannot write " + output_path);
  std::string shapes;
  for (size_t i = 0; i < method->outputs_size(); i++) {
    const EValue& v = method->get_output(i);
    if (!v.isTensor()) continue;
    const Tensor& t = v.toTensor();
    shapes += shapes.empty() ? "[" : ", [";
    for (ssize_t d = 0; d < t.dim(); d++) shapes += (d ? ", " : "") + std::to_string(t.size(d));
    shapes += "]";
    if (out) {
      if (t.scalar_type() != ScalarType::Float) return die("only float32 outputs can be written");
      std::fwrite(t.const_data_ptr<float>(), sizeof(float), static_cast<size_t>(t.numel()), out);
    }
  }
  if (out) std::fclose(out);
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  std::string samples;
  for (size_t r = 0; r < times.size(); r++) samples += (r ? ", " : "") + std::to_string(times[r]);
  std::printf("{\"runs\": %d, \"threads\": %d, \"median_ms\": %.4f, \"min_ms\": %.4f, \"outputs\": [%s], "
              "\"samples_ms\": [%s]}\n", runs, threads, sorted[sorted.size() / 2], sorted.front(), shapes.c_str(),
              samples.c_str());
  return 0;
}
