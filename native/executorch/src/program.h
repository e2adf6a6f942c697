// A validated edgekit delegate program (program_format.h) and its CHW interpreter.
// No ExecuTorch dependency: the backend, the runner's self-checks and the fuzzer share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "program_format.h"

struct ek_weights;
struct ek_conv_geom;
struct ek_dwconv_geom;

namespace edgekit_et {

class ThreadPool;
struct F32Block;  // fused_f32.h
struct Qs8Block;  // fused_qs8.h

struct ValueInfo {
  uint32_t dtype;
  int32_t C, H, W;
  float scale;
  int32_t zero_point;
  int32_t slot;
  int64_t numel() const { return int64_t{C} * H * W; }
  size_t bytes() const { return static_cast<size_t>(numel()) * (dtype == EKX_F32 ? 4 : 1); }
};

struct OpInfo {
  ekx_op_rec rec;
  const uint8_t* data = nullptr;  // inside the program's own aligned copy of the blob
  ek_weights* weights = nullptr;  // CONV1X1 only
};

class Program {
 public:
  ~Program();
  // Copies and validates the blob completely; on failure returns null and says why in *error.
  static std::unique_ptr<Program> parse(const void* blob, size_t size, std::string* error);

  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return outputs_.size(); }
  const ValueInfo& input(size_t i) const { return values_[inputs_[i]]; }
  const ValueInfo& output(size_t i) const { return values_[outputs_[i]]; }
  int64_t max_value_elements() const {
    int64_t m = 0;
    for (const auto& v : values_) m = v.numel() > m ? v.numel() : m;
    return m;
  }

  // inputs[i] / outputs[i]: CHW buffers of input(i) / output(i). Returns 0 or an ek_status.
  int execute(const void* const* inputs, void* const* outputs, ThreadPool& pool);

 private:
  Program() = default;
  bool validate(std::string* error);
  bool validate_op(OpInfo& op, std::string* error);
  int run_op(const OpInfo& op, std::vector<void*>& ptr, ThreadPool& pool);
  void plan_steps();
  int run_step(size_t step, std::vector<void*>& ptr, ThreadPool& pool);

  // What execute() runs in order: a single op, or a fused fp32 / int8 block of consecutive ops.
  struct Step {
    int32_t first_op, num_ops;
    int32_t block;           // index into blocks_, -1: a single op
    int32_t qs8_block = -1;  // index into qs8_blocks_
  };

  uint8_t* blob_ = nullptr;  // 64-byte aligned copy
  size_t size_ = 0;
  std::vector<ValueInfo> values_;
  std::vector<uint32_t> inputs_, outputs_;
  std::vector<OpInfo> ops_;
  std::vector<size_t> slot_bytes_;
  std::vector<uint8_t*> slots_;
  std::vector<F32Block> blocks_;
  std::vector<Qs8Block> qs8_blocks_;
  std::vector<Step> steps_;
  // Per-step wall time, collected when EDGEKIT_PROFILE is set; printed by the destructor.
  bool profile_ = false;
  std::vector<double> step_seconds_;
  std::vector<std::vector<float>> step_samples_;  // per step, one wall time per run
  int64_t profiled_runs_ = 0;
};

// Depthwise kernel, stride, padding and output size (ip[0..7]) against the values' shapes: shared by
// the fp32 (program.cpp) and int8 (ops_qs8.cpp) checks; each then checks its own payload.
bool validate_dwconv_geometry(const ekx_op_rec& r, const ValueInfo& x, const ValueInfo& y, std::string* error);
// The same kernel / stride / padding / output-size check without the channel rule (dense conv).
bool validate_window_geometry(const ekx_op_rec& r, const ValueInfo& x, const ValueInfo& y, std::string* error);

// A dense conv op's geometry (ip = kh kw sh sw pad_top pad_left ...) from its input and output values.
ek_conv_geom conv_geom(const ekx_op_rec& r, const ValueInfo& x, const ValueInfo& y);
// A depthwise op's geometry (ip = kh kw sh sw pad_top pad_left ...) over whole planes x -> y.
ek_dwconv_geom dwconv_geom(const ekx_op_rec& r, const ValueInfo& x, const ValueInfo& y);

// The band height a fused block runs with at `threads`: `rows` (what fits the L2 budget), at least 1;
// at more than one thread lowered so the bands (edges at b * H / bands) are a multiple of `threads`
// of equal height (int8 block 2 at 2 threads: 23+23+10 rows -> 4 x 14, 244 -> 191 us); 0 (run the
// block op by op, or fp32 by channels: fused_f32_channels.h) at more than one thread when the
// output plane has fewer than two rows per thread or at most kOpByOpMaxPlane pixels. There each band
// re-expands so many halo rows that output-channel splits of the single ops win (measured, 2 threads,
// MobileNetV2-1.0 @224: its 7x7 blocks int8 72 -> 47 us, 83 -> 55 us; e2e 2-8% at 70% / 90%).
constexpr int32_t kOpByOpMaxPlane = 49;
int32_t threaded_band_rows(int32_t rows, const ValueInfo& y, int threads);

// Bytes of expanded input rows one fused band may hold, fp32 and int8 alike: the core's L2 size
// (sysconf), 512 KB when the OS does not say, clamped to [256 KB, 4 MB]; $EDGEKIT_BAND_BYTES (>= 1024)
// overrides it, so tests get band edges whatever the host's cache. Measured on Zen 4 (1 MB L2),
// MobileNetV2-1.0 @224 at 90%, 1 thread, sum of per-block minima: fp32 512 KB 2.17 ms, 1 MB 2.13,
// 2 MB 2.12 (op by op 2.41); int8 256 KB 1.27, 1 MB 1.23, 4 MB 1.23 (op by op 1.22). An older
// kernel set on a 1.25 MB-L2 Intel host measured fp32 512 KB 4.1 ms, 1 MB 4.5.
int64_t fused_band_bytes();

}  // namespace edgekit_et
