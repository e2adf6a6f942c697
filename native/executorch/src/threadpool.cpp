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
// Short spins: on an oversubscribed machine a spinning thread steals the core the thread it waits
// for needs, so waiting sides yield soon and workers then sleep.
constexpr int kSpinIterations = 2000;
constexpr uint64_t kIndexMask = (1u << 20) - 1;
constexpr int kMaxTasks = 1 << 20;

uint64_t generation_of(uint64_t s) { return s >> 40; }
int count_of(uint64_t s) { return static_cast<int>((s >> 20) & kIndexMask); }
int index_of(uint64_t s) { return static_cast<int>(s & kIndexMask); }
}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    state_.store((generation_of(state_.load()) + 1) << 40);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

// Claims and runs tasks of `generation` until none is left (or a newer generation started).
void ThreadPool::drain(uint64_t generation) {
  uint64_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (generation_of(s) != generation || index_of(s) >= count_of(s)) return;
    if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    (*task_)(index_of(s));  // task_ cannot change before this claimed task is counted done
    done_.fetch_add(1, std::memory_order_acq_rel);
    s = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::run(int count, const std::function<void(int)>& task) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1 || count >= kMaxTasks) {
    for (int i = 0; i < count; i++) task(i);
    return;
  }
  std::lock_guard<std::mutex> region(run_mutex_);
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    done_.store(0, std::memory_order_relaxed);
    generation = generation_of(state_.load()) + 1;
    state_.store(generation << 40 | static_cast<uint64_t>(count) << 20, std::memory_order_release);
  }
  wake_.notify_all();
  drain(generation);
  for (int spins = 0; done_.load(std::memory_order_acquire) != count; spins++) {
    if (spins < kSpinIterations) EK_CPU_RELAX();
    else std::this_thread::yield();
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_of(state_.load(std::memory_order_acquire)) == seen && spins < 2 * kSpinIterations) {
      if (spins < kSpinIterations) EK_CPU_RELAX();
      else std::this_thread::yield();
      spins++;
    }
    if (generation_of(state_.load(std::memory_order_acquire)) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_of(state_.load()) != seen; });
    }
    if (stop_.load()) return;
    seen = generation_of(state_.load(std::memory_order_acquire));
    drain(seen);
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
