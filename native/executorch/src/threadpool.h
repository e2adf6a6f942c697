// What the interpreter needs of a thread pool. The backend passes ExecuTorch's shared pool
// (executorch_pool.h); builds without ExecuTorch (the fuzzer) run serially.
#pragma once

#include <functional>

namespace edgekit_et {

class ThreadPool {
 public:
  virtual ~ThreadPool() = default;
  virtual int threads() const = 0;
  // Calls task(i) for every i in [0, count), spread over all threads; returns when all are done.
  virtual void run(int count, const std::function<void(int)>& task) = 0;
};

class SerialPool final : public ThreadPool {
 public:
  int threads() const override { return 1; }
  void run(int count, const std::function<void(int)>& task) override {
    for (int i = 0; i < count; i++) task(i);
  }
};

}  // namespace edgekit_et
