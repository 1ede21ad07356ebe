#include "metrics/futex_mutex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace slotgate::metrics {

namespace {

// The futex word is the atomic's own storage.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// Spins before sleeping: the sections this mutex guards last well under a microsecond, so a
// holder on another core is usually done before a futex round trip would be.
constexpr int kSpins = 100;

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

uint32_t* word(std::atomic<uint32_t>& state) { return reinterpret_cast<uint32_t*>(&state); }

}  // namespace

void FutexMutex::lockContended(uint32_t seen) {
  for (int i = 0; i < kSpins && seen == kLocked; ++i) {
    pause();
    seen = kUnlocked;
    if (state_.compare_exchange_weak(seen, kLocked, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return;
    }
  }
  // From here the lock is taken as kWaited: whoever unlocks it next wakes a sleeper, which may
  // be one more wake-up than needed, never one fewer.
  if (seen != kWaited) {
    seen = state_.exchange(kWaited, std::memory_order_acquire);
  }
  while (seen != kUnlocked) {
    // Sleeps only while the word still says kWaited (else returns at once and retries).
    ::syscall(SYS_futex, word(state_), FUTEX_WAIT_PRIVATE, kWaited, nullptr, nullptr, 0);
    seen = state_.exchange(kWaited, std::memory_order_acquire);
  }
}

void FutexMutex::wakeOne() {
  ::syscall(SYS_futex, word(state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace slotgate::metrics
