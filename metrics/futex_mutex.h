// A mutex for the short critical sections a request passes through (the live tracker's): a
// lock or unlock that nobody contends is one atomic instruction, where pthread_mutex_lock and
// unlock cost about 57 instructions per pair (issue 12: the tracker takes four per request).
// A contended lock spins briefly, then sleeps on a futex (Drepper, "Futexes Are Tricky",
// mutex 3: 0 unlocked, 1 locked, 2 locked and maybe waited for).
//
// Not recursive, not fair, no timed locking. BasicLockable and Lockable, so std::lock_guard
// and std::unique_lock take it. Thread-safety: it is the synchronisation; the atomic's acquire
// and release orders are what the sanitizers see.
#pragma once

#include <atomic>
#include <cstdint>

namespace slotgate::metrics {

class FutexMutex {
 public:
  FutexMutex() = default;
  FutexMutex(const FutexMutex&) = delete;
  FutexMutex& operator=(const FutexMutex&) = delete;

  void lock() {
    uint32_t seen = kUnlocked;
    if (!state_.compare_exchange_strong(seen, kLocked, std::memory_order_acquire,
                                        std::memory_order_relaxed)) [[unlikely]] {
      lockContended(seen);
    }
  }
  [[nodiscard]] bool try_lock() {
    uint32_t seen = kUnlocked;
    return state_.compare_exchange_strong(seen, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void unlock() {
    if (state_.exchange(kUnlocked, std::memory_order_release) == kWaited) [[unlikely]] {
      wakeOne();
    }
  }

 private:
  static constexpr uint32_t kUnlocked = 0;
  static constexpr uint32_t kLocked = 1;
  static constexpr uint32_t kWaited = 2;  // locked, and a thread may sleep on it

  // `seen`: the state the uncontended attempt found (not kUnlocked).
  void lockContended(uint32_t seen);
  void wakeOne();

  std::atomic<uint32_t> state_{kUnlocked};
};

}  // namespace slotgate::metrics
