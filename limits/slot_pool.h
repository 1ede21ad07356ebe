// In-process concurrency slots of one key, with a FIFO queue of waiters (SPEC section 4).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/event/executor.h"
#include "limits/clock.h"
#include "limits/slot_lease.h"

namespace slotgate::limits {

// A waiter is granted on its own loop: whatever Executor the caller runs on.
using Executor = gateway::Executor;

// One waiter in a pool's FIFO queue. Destroying it (or cancel()) removes it at once; after that
// on_granted is never called, and a lease granted concurrently is given back (so it goes to the
// next waiter). Owned by the waiting request and used only on its worker thread (the thread its
// Executor runs on).
class WaitHandle {
 public:
  virtual ~WaitHandle() = default;
  virtual void cancel() = 0;
};
using WaitHandlePtr = std::unique_ptr<WaitHandle>;

// The slots of one key (client key or provider key). Shared by all workers: every method is
// thread-safe. Survives config reloads: the owner keeps pools by key_id and calls setLimit().
//
// Fast path: tryAcquire() and the release of a lease are a CAS / fetch_sub on one atomic counter
// when nobody waits. Waiters live in a list under a mutex and are granted oldest first; while any
// waiter is queued tryAcquire() refuses, so nobody overtakes the queue.
class SlotPool : public std::enable_shared_from_this<SlotPool> {
 public:
  // limit 0 = unlimited. The observer and the clock must outlive the pool.
  static std::shared_ptr<SlotPool> create(std::string key_id, uint32_t limit,
                                          SlotObserver* observer = nullptr,
                                          Clock& clock = Clock::real());
  ~SlotPool();
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  // A slot now, or an empty lease when the pool is full or waiters are queued (FIFO: no
  // overtaking).
  [[nodiscard]] SlotLease tryAcquire();

  // Queues for a slot. Returns nullptr when `max_waiting` waiters are already queued (the caller
  // answers 429); max_waiting 0 refuses unless a slot is free right now and nobody waits. When a
  // slot frees, the OLDEST waiter gets it: on_granted(lease) runs via executor.post() on the
  // waiter's worker, never inline. The timeout is the caller's (its own timer + cancel()). The
  // executor must stay valid until the handle is destroyed; posting happens under the pool's
  // lock, so once cancel() returns the pool never touches the executor again for this waiter.
  [[nodiscard]] WaitHandlePtr wait(Executor& executor, uint32_t max_waiting,
                                   std::function<void(SlotLease)> on_granted);

  // Raising the limit (or making it unlimited) grants queued waiters at once. Lowering it below
  // inUse() keeps the leases held; new ones wait until enough are released.
  void setLimit(uint32_t limit);

  uint32_t limit() const { return limit_.load(std::memory_order_relaxed); }
  uint32_t inUse() const { return in_use_.load(std::memory_order_relaxed); }
  size_t waiting() const { return waiting_.load(std::memory_order_relaxed); }
  // limit - inUse (0 if over), UINT32_MAX when unlimited; 0 whenever waiters are queued.
  uint32_t available() const;
  const std::string& keyId() const { return key_id_; }

 private:
  struct Waiter;
  class Handle;
  friend class SlotLease;

  SlotPool(std::string key_id, uint32_t limit, SlotObserver* observer, Clock& clock);

  // Takes one slot if in_use_ < limit_ (ignoring waiters). seq_cst: see the comment in .cc.
  bool tryIncrement();
  // Called by SlotLease: gives one slot back and hands it to the oldest waiter if any.
  void releaseSlot(SteadyTime acquired_at, bool completed, bool notify);
  // Grants slots to queued waiters, oldest first, while slots are free. Needs mu_.
  void grantLocked();
  // Posts the grant of a freshly taken slot to the waiter's executor. Needs mu_.
  void postGrantLocked(const std::shared_ptr<Waiter>& waiter);
  void cancelWaiter(const std::shared_ptr<Waiter>& waiter);

  const std::string key_id_;
  SlotObserver* const observer_;
  Clock& clock_;

  // Hot counters on their own cache line so that pools do not false-share with each other.
  alignas(64) std::atomic<uint32_t> in_use_{0};
  std::atomic<uint32_t> limit_;
  std::atomic<size_t> waiting_{0};  // == queue_.size(); written under mu_, read lock-free

  alignas(64) std::mutex mu_;
  std::list<std::shared_ptr<Waiter>> queue_;  // oldest first; guarded by mu_
};

}  // namespace slotgate::limits
