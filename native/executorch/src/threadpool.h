// A tiny fork-join pool for the backend: the caller's thread plus (threads - 1) workers.
// Tasks are claimed from one atomic word (generation | count | next index), so the caller runs
// every task no worker has claimed yet and waits only for tasks a worker is actually running:
// on an oversubscribed machine a worker that is not scheduled costs nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace edgekit_et {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls task(i) for every i in [0, count), spread over all threads; returns when all are done.
  void run(int count, const std::function<void(int)>& task);

 private:
  void worker_loop();
  void drain(uint64_t generation);

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one parallel region at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> state_{0};  // generation << 40 | count << 20 | next index
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int)>* task_ = nullptr;
};

// The process-wide pool the backend uses; recreated when the thread count changes.
ThreadPool& global_pool();
void set_num_threads(int threads);  // <= 0: default (EDGEKIT_NUM_THREADS or the core count, max 4)
int get_num_threads();

}  // namespace edgekit_et
