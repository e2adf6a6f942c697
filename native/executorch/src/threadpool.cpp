#include "threadpool.h"

#include <cstdlib>
#include <memory>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EK_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define EK_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define EK_CPU_RELAX() ((void)0)
#endif

namespace edgekit_et {
namespace {
constexpr int kSpinIterations = 200000;  // ~ a few hundred microseconds before sleeping
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::drain() {
  for (int i = next_.fetch_add(1); i < count_; i = next_.fetch_add(1)) (*task_)(i);
}

void ThreadPool::run(int count, const std::function<void(int)>& task) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    for (int i = 0; i < count; i++) task(i);
    return;
  }
  std::lock_guard<std::mutex> region(run_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    count_ = count;
    next_.store(0);
    pending_workers_.store(static_cast<int>(workers_.size()));
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  drain();
  while (pending_workers_.load(std::memory_order_acquire) != 0) EK_CPU_RELAX();
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations) {
      EK_CPU_RELAX();
      spins++;
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);  // pairs with run(): task_/count_ are published
      seen = generation_.load();
    }
    if (stop_.load()) return;
    drain();
    pending_workers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

namespace {
std::mutex g_pool_mutex;
std::unique_ptr<ThreadPool> g_pool;
int g_requested = 0;

int default_threads() {
  if (const char* env = std::getenv("EDGEKIT_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n > 64 ? 64 : n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : (hw > 4 ? 4 : static_cast<int>(hw));
}
}  // namespace

ThreadPool& global_pool() {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  int want = g_requested > 0 ? g_requested : default_threads();
  if (!g_pool || g_pool->threads() != want) {
    g_pool.reset();
    g_pool = std::make_unique<ThreadPool>(want);
  }
  return *g_pool;
}

void set_num_threads(int threads) {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_requested = threads > 64 ? 64 : threads;
}

int get_num_threads() {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  return g_requested > 0 ? g_requested : default_threads();
}

}  // namespace edgekit_et
