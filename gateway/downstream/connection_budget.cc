#include "gateway/downstream/connection_budget.h"

#include <sys/resource.h>

#include <algorithm>

namespace slotgate::gateway {
namespace {

// Descriptors the process needs besides client and upstream sockets: stdio,
// the admin listener and its clients, the control loop, config and log files.
constexpr uint64_t kFixedReserve = 32;
// Per worker: its epoll and wake-up descriptors, listener, resolver sockets,
// Redis connection.
constexpr uint64_t kPerWorkerReserve = 8;

}  // namespace

bool ConnectionBudget::tryAcquire() {
  // Check and take in one step: two workers accepting at once cannot both
  // take the last unit.
  size_t open = open_.load(std::memory_order_relaxed);
  do {
    if (open >= limit_.load(std::memory_order_relaxed)) {
      return false;
    }
  } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
  return true;
}

size_t ConnectionBudget::derive(uint64_t open_files_limit, uint32_t workers) {
  const uint64_t reserve = kFixedReserve + kPerWorkerReserve * workers;
  if (open_files_limit <= reserve + 2) {
    return 1;  // a descriptor limit this low serves one client at a time, not none
  }
  const uint64_t derived = (open_files_limit - reserve) / 2;
  return static_cast<size_t>(std::min<uint64_t>(derived, SIZE_MAX));
}

size_t ConnectionBudget::resolve(uint32_t configured, uint32_t workers) {
  if (configured != 0) {
    return configured;
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return SIZE_MAX;
  }
  return derive(limit.rlim_cur, workers);
}

}  // namespace slotgate::gateway
