#include "metrics/futex_mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace slotgate::metrics {
namespace {

// Threads adding to a plain counter under the mutex lose no addition (and TSan sees no race).
TEST(FutexMutex, ExcludesConcurrentHolders) {
  FutexMutex mu;
  uint64_t counter = 0;
  constexpr int kThreads = 4;
  constexpr int kAdds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAdds; ++i) {
        std::lock_guard lock(mu);
        ++counter;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(counter, uint64_t{kThreads} * kAdds);
}

// Threads that find it held past their spinning sleep, and each is woken in turn.
TEST(FutexMutex, WakesThreadsThatSleptOnIt) {
  FutexMutex mu;
  std::atomic<int> started{0};
  int entered = 0;
  mu.lock();
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      started.fetch_add(1);
      std::lock_guard lock(mu);
      ++entered;
    });
  }
  while (started.load() < 3) {
    std::this_thread::yield();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let them go to sleep
  EXPECT_FALSE(mu.try_lock());
  mu.unlock();
  for (std::thread& t : threads) {
    t.join();
  }
  std::lock_guard lock(mu);
  EXPECT_EQ(entered, 3);
}

TEST(FutexMutex, TryLockFailsWhileHeld) {
  FutexMutex mu;
  ASSERT_TRUE(mu.try_lock());
  EXPECT_FALSE(mu.try_lock());
  mu.unlock();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

}  // namespace
}  // namespace slotgate::metrics
