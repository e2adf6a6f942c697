#include "executorch_pool.h"

#include <executorch/runtime/core/function_ref.h>

#include <cstddef>
#include <cstdint>

// The wheel ships libexecutorch_threadpool but not its header: declare the members used.
namespace executorch::extension::threadpool {
class ThreadPool {
 public:
  size_t get_thread_count() const;
  bool _unsafe_reset_threadpool(uint32_t num_threads);
  void run(executorch::runtime::FunctionRef<void(size_t)> fn, size_t range);
};
ThreadPool* get_threadpool();
}  // namespace executorch::extension::threadpool

namespace edgekit_et {
namespace {

namespace et = executorch::extension::threadpool;

class ExecuTorchPool final : public ThreadPool {
 public:
  explicit ExecuTorchPool(et::ThreadPool* pool) : pool_(pool) {}
  int threads() const override { return static_cast<int>(pool_->get_thread_count()); }
  void run(int count, const std::function<void(int)>& task) override {
    if (count <= 0) return;
    if (count == 1 || pool_->get_thread_count() <= 1) {
      for (int i = 0; i < count; i++) task(i);
      return;
    }
    pool_->run([&task](size_t i) { task(static_cast<int>(i)); }, static_cast<size_t>(count));
  }

 private:
  et::ThreadPool* pool_;
};

}  // namespace

ThreadPool* executorch_pool() {
  static et::ThreadPool* const raw = et::get_threadpool();
  static ExecuTorchPool pool(raw);
  return raw ? &pool : nullptr;
}

void set_executorch_threads(int threads) {
  et::ThreadPool* raw = et::get_threadpool();
  if (raw && threads > 0 && raw->get_thread_count() != static_cast<size_t>(threads))
    raw->_unsafe_reset_threadpool(static_cast<uint32_t>(threads));
}

int executorch_threads() {
  et::ThreadPool* raw = et::get_threadpool();
  return raw ? static_cast<int>(raw->get_thread_count()) : 1;
}

}  // namespace edgekit_et
