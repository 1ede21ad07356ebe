// How many client connections the whole process holds, against
// server.max_connections. Every worker's ConnectionManager takes a unit per
// accepted socket and gives it back when the connection closes; at the limit
// the listener pauses (see ConnectionManager) instead of accepting what the
// process could not serve.
//
// Thread-safety: every member may be called from any thread (atomics).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace slotgate::gateway {

class ConnectionBudget {
 public:
  explicit ConnectionBudget(size_t limit) : limit_(limit) {}

  // One more connection, unless the limit is reached.
  [[nodiscard]] bool tryAcquire();
  void release(size_t n = 1) { open_.fetch_sub(n, std::memory_order_relaxed); }

  size_t open() const { return open_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_.load(std::memory_order_relaxed); }
  // A reload may change the limit; connections above a lowered limit stay.
  void setLimit(size_t limit) { limit_.store(limit, std::memory_order_relaxed); }

  // server.max_connections, or for 0 what RLIMIT_NOFILE leaves once the
  // process's own descriptors (listeners, event loops, Redis, logs: a fixed
  // reserve per worker) are set aside, halved so that every client connection
  // can have an upstream connection too.
  [[nodiscard]] static size_t resolve(uint32_t configured, uint32_t workers);
  [[nodiscard]] static size_t derive(uint64_t open_files_limit, uint32_t workers);

 private:
  std::atomic<size_t> open_{0};
  std::atomic<size_t> limit_;
};

}  // namespace slotgate::gateway
